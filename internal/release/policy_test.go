package release

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/schemas"
)

func loadPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := LoadPolicy(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func loadDict(t *testing.T) *naaccr.Dictionary {
	t.Helper()
	d, err := naaccr.LoadBaseDictionary(schemas.FS, "260")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestIdentifiersFileNamesItemsOfTheDictionary: every row is an item of v26 by number and id,
// and every date item of the dictionary is listed.
func TestIdentifiersFileNamesItemsOfTheDictionary(t *testing.T) {
	p, d := loadPolicy(t), loadDict(t)
	if len(p.Identifiers) < 100 {
		t.Fatalf("%d identifiers: the file is not read whole", len(p.Identifiers))
	}
	for _, id := range p.Identifiers {
		it, ok := d.Item(id.ID)
		if !ok {
			t.Errorf("%s: not an item of the v26 dictionary", id.ID)
			continue
		}
		if it.Number != id.Number {
			t.Errorf("%s: number %d, the dictionary says %d", id.ID, id.Number, it.Number)
		}
	}
	for _, it := range d.Items {
		if (it.DataType == naaccr.TypeDate || it.DataType == naaccr.TypeDateTime) && p.Category(it.ID) != CatDate {
			t.Errorf("date item %s (%d) is not listed as a date", it.ID, it.Number)
		}
	}
	for _, must := range []string{"nameLast", "nameFirst", "addrAtDxNoStreet", "telephone", "socialSecurityNumber",
		"medicalRecordNumber", "patientIdNumber", "accessionNumberHosp", "medicareBeneficiaryIdentifier",
		"dateOfBirth", "ageAtDiagnosis", "addrAtDxPostalCode", "textRemarks", "latitude", "longitude"} {
		if p.Category(must) == "" {
			t.Errorf("%s is not listed as an identifier", must)
		}
	}
}

// identifying is a value of an item as a real record could hold it, so that a leak would show.
func identifying(it *naaccr.ItemDef) string {
	switch it.DataType {
	case naaccr.TypeDate:
		return "19340615"
	case naaccr.TypeDateTime:
		return "2025-03-15T10:20:30-05:00"
	}
	return "SECRET<" + it.ID + ">"
}

// TestNoIdentifierSurvivesALimitedOrDeidentifiedExtract walks every identifier item of the data
// file, alone and among random picks of other items: at the limited level, names, addresses,
// phones, record numbers and text never come out; at the de-identified level no identifier
// comes out as it went in (dates as years, ages top-coded, ZIP as three digits); items that
// identify no one come out unchanged at every level.
func TestNoIdentifierSurvivesALimitedOrDeidentifiedExtract(t *testing.T) {
	p, d := loadPolicy(t), loadDict(t)
	all := map[string]string{}
	for _, it := range d.Items {
		all[it.ID] = identifying(it)
	}
	all["ageAtDiagnosis"] = "093"
	for _, zip := range []string{"addrAtDxPostalCode", "addrCurrentPostalCode", "followUpContactPostal"} {
		all[zip] = "021154321"
	}
	rng := rand.New(rand.NewSource(26))
	for _, id := range p.Identifiers {
		picks := [][]string{{id.ID}}
		for i := 0; i < 5; i++ { // the identifier among random others
			pick := []string{id.ID}
			for j := 0; j < 20; j++ {
				pick = append(pick, d.Items[rng.Intn(len(d.Items))].ID)
			}
			picks = append(picks, pick)
		}
		picks = append(picks, keys(all)) // everything
		for _, pick := range picks {
			set := map[string]bool{}
			for _, k := range pick {
				set[k] = true
			}
			lim := p.Apply(Limited, set, all)
			de := p.Apply(Deidentified, set, all)
			switch id.Category {
			case CatName, CatAddress, CatPhone, CatEmail, CatRecordNumber, CatText:
				if v, ok := lim[id.ID]; ok {
					t.Fatalf("limited extract keeps %s (%s) = %q", id.ID, id.Category, v)
				}
			default:
				if lim[id.ID] != all[id.ID] {
					t.Fatalf("limited extract changes %s (%s): %q", id.ID, id.Category, lim[id.ID])
				}
			}
			v, ok := de[id.ID]
			switch id.Category {
			case CatDate:
				if !ok || len(v) != 4 || !strings.HasPrefix(all[id.ID], v) {
					t.Fatalf("de-identified %s = %q, want the year of %q", id.ID, v, all[id.ID])
				}
			case CatAge:
				if v != "090" {
					t.Fatalf("de-identified age 093 = %q, want 090", v)
				}
			case CatZip:
				if v != "021" {
					t.Fatalf("de-identified ZIP 021154321 = %q, want 021", v)
				}
			default:
				if ok {
					t.Fatalf("de-identified extract keeps %s (%s) = %q", id.ID, id.Category, v)
				}
			}
			// No value of a dropped identifier hides in another item's value.
			for k, out := range de {
				if strings.Contains(out, "SECRET<"+id.ID+">") && k != id.ID {
					t.Fatalf("%s's value found in %s", id.ID, k)
				}
			}
		}
	}
	// Items that identify no one survive both levels unchanged.
	kept := 0
	for _, it := range d.Items {
		if p.Category(it.ID) != "" {
			continue
		}
		set := map[string]bool{it.ID: true}
		for _, l := range Levels {
			if got := p.Apply(l, set, all)[it.ID]; got != all[it.ID] {
				t.Fatalf("%s at %s: %q, want %q", it.ID, l, got, all[it.ID])
			}
		}
		kept++
	}
	if kept < 500 {
		t.Fatalf("only %d items survive: the policy drops too much", kept)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestIdentifiedKeepsEverything(t *testing.T) {
	p := loadPolicy(t)
	for _, id := range p.Identifiers {
		if got := p.Action(Identified, id.ID); got != Keep {
			t.Errorf("%s: action %v at identified", id.ID, got)
		}
	}
}

func TestDateYear(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"20250315", "2025"}, {"202503", "2025"}, {"2025", "2025"}, {"", ""}, {"   ", ""},
		{"99999999", "9999"}, {"2025-03-15T10:20:30-05:00", "2025"}, {"19", ""}, {"20X5", ""},
	} {
		if got := DateYear(tt.in); got != tt.want {
			t.Errorf("DateYear(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTopCodeAge(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"089", "089"}, {"89", "089"}, {"090", "090"}, {"090", "090"}, {"091", "090"}, {"120", "090"},
		{"000", "000"}, {"999", "999"}, {"", ""}, {"-1", ""}, {"8a", ""}, {"099", "090"},
	} {
		if got := TopCodeAge(tt.in); got != tt.want {
			t.Errorf("TopCodeAge(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestZip3(t *testing.T) {
	p := loadPolicy(t)
	for _, tt := range []struct{ in, want string }{
		{"02115", "021"}, {"021154321", "021"}, {"03601", "000"}, {"89301", "000"}, {"05901", "000"},
		{"", ""}, {"K1A0B1", "000"}, {"999999999", "000"}, {"888888888", "000"}, {"0211", "000"}, {"  02115", "021"},
	} {
		if got := p.Zip3(tt.in); got != tt.want {
			t.Errorf("Zip3(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParsePolicyFilesRefuseMistakes(t *testing.T) {
	for _, in := range []string{
		"", "num,id,category,reason\n", "naaccrNum,naaccrId,category,reason\nx,nameLast,name,r\n",
		"naaccrNum,naaccrId,category,reason\n2230,,name,r\n", "naaccrNum,naaccrId,category,reason\n2230,nameLast,name\n",
	} {
		if _, err := parseIdentifiers(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	if _, err := NewPolicy([]Identifier{{Number: 1, ID: "x", Category: "bogus"}}, nil); err == nil {
		t.Error("unknown category: no error")
	}
	if _, err := NewPolicy([]Identifier{{Number: 1, ID: "x", Category: CatName}, {Number: 1, ID: "x", Category: CatName}}, nil); err == nil {
		t.Error("duplicate: no error")
	}
	for _, in := range []string{"zip\n036\n", "zip3\n36\n", "zip3\nabc\n"} {
		if _, err := parseZip3(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func FuzzPolicyValue(f *testing.F) {
	for _, s := range []string{"20250315", "093", "02115", "", "K1A0B1"} {
		f.Add(s)
	}
	p, err := LoadPolicy(schemas.FS)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if y := DateYear(v); y != "" && (len(y) != 4 || !strings.HasPrefix(strings.TrimSpace(v), y)) {
			t.Fatalf("DateYear(%q) = %q", v, y)
		}
		if a := TopCodeAge(v); a != "" && len(a) != 3 {
			t.Fatalf("TopCodeAge(%q) = %q", v, a)
		}
		if z := p.Zip3(v); z != "" && len(z) != 3 {
			t.Fatalf("Zip3(%q) = %q", v, z)
		}
	})
}

func TestOver89(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		dob  string
		ages []string
		want bool
	}{
		{"19500101", []string{"073"}, false},
		{"19360101", []string{"089"}, true}, // 89 at diagnosis but 90 this year: the year would tell it
		{"19370101", []string{"089"}, false},
		{"19600101", []string{"090"}, true},
		{"", []string{"999"}, false},
		{"", []string{"091", "999"}, true},
		{"19300101", nil, true},
		{"99999999", []string{"999"}, false},
		{"", nil, false},
	} {
		if got := Over89(tt.dob, tt.ages, now); got != tt.want {
			t.Errorf("Over89(%q, %v) = %v, want %v", tt.dob, tt.ages, got, tt.want)
		}
	}
}
