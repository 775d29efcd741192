package demo

import (
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

var (
	schemasFS = os.DirFS("../../schemas")
	testToday = time.Date(2026, time.March, 15, 14, 30, 0, 0, time.UTC)
	// testStaging is loaded once for the many generations of these tests.
	testStaging = sync.OnceValues(func() (*staging.DataSet, error) { return staging.Load(schemasFS) })
)

func generate(t *testing.T, seed int64, n int, today time.Time) []naaccr.Patient {
	t.Helper()
	stg, err := testStaging()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Patients(schemasFS, stg, seed, n, today)
	if err != nil {
		t.Fatalf("Patients(seed %d, n %d, %s): %v", seed, n, today.Format(time.DateOnly), err)
	}
	if len(ps) != n {
		t.Fatalf("Patients(seed %d, n %d): got %d patients", seed, n, len(ps))
	}
	return ps
}

func countTumors(ps []naaccr.Patient) int {
	n := 0
	for _, p := range ps {
		n += len(p.Tumors)
	}
	return n
}

func TestDeterministic(t *testing.T) {
	for _, seed := range []int64{0, 1, 42, -7} {
		a := generate(t, seed, 25, testToday)
		b := generate(t, seed, 25, testToday)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("seed %d: two runs differ", seed)
		}
	}
	if reflect.DeepEqual(generate(t, 1, 25, testToday), generate(t, 2, 25, testToday)) {
		t.Errorf("seeds 1 and 2 give the same patients")
	}
}

func TestTumorCount(t *testing.T) {
	for seed := range int64(20) {
		ps := generate(t, seed, 25, testToday)
		if got := countTumors(ps); got < 30 {
			t.Errorf("seed %d: 25 patients have %d tumors, want at least 30", seed, got)
		}
		for _, p := range ps {
			if len(p.Tumors) < 1 || len(p.Tumors) > 2 {
				t.Errorf("seed %d: patient %s has %d tumors", seed, p.Items["patientIdNumber"], len(p.Tumors))
			}
		}
	}
}

func TestZeroAndErrors(t *testing.T) {
	if ps := generate(t, 1, 0, testToday); len(ps) != 0 {
		t.Errorf("n=0: got %d patients", len(ps))
	}
	tests := []struct {
		name  string
		fsys  fs.FS
		n     int
		today time.Time
	}{
		{"negative n", schemasFS, -1, testToday},
		{"today before 2018", schemasFS, 5, time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"today is 1 Jan 2018", schemasFS, 5, time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"no schemas", os.DirFS(t.TempDir()), 5, testToday},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Patients(tt.fsys, nil, 1, tt.n, tt.today); err == nil {
				t.Errorf("no error")
			}
		})
	}
}

// TestItemsFitDictionary checks every item against the v26 base dictionary: it exists, at the
// level it is put at, and its value fits the data type and length.
func TestItemsFitDictionary(t *testing.T) {
	dict, err := naaccr.LoadBaseDictionary(schemasFS, "260")
	if err != nil {
		t.Fatal(err)
	}
	check := func(where string, level naaccr.Parent, items map[string]string) {
		t.Helper()
		for id, v := range items {
			def, ok := dict.Item(id)
			if !ok {
				t.Errorf("%s: item %q is not in the v26 dictionary", where, id)
				continue
			}
			if def.Parent != level {
				t.Errorf("%s: item %q is at %s level, the dictionary puts it at %s", where, id, level, def.Parent)
			}
			if len(v) == 0 || len(v) > def.Length {
				t.Errorf("%s: %s=%q: length %d, want 1..%d", where, id, v, len(v), def.Length)
			}
			if def.Padding == "leftZero" && len(v) != def.Length {
				t.Errorf("%s: %s=%q: want zero-padded to %d", where, id, v, def.Length)
			}
			if err := naaccr.CheckType(def.DataType, v); err != nil {
				t.Errorf("%s: %s=%q is not valid %s: %v", where, id, v, def.DataType, err)
			}
		}
	}
	patientItems := []string{"patientIdNumber", "nameLast", "nameFirst", "dateOfBirth", "sexAssignedAtBirth",
		"race1", "spanishHispanicOrigin", "dateOfLastContact", "vitalStatus"}
	tumorItems := []string{"medicalRecordNumber", "accessionNumberHosp", "sequenceNumberHospital",
		"dateOfDiagnosis", "primarySite", "histologicTypeIcdO3", "behaviorCodeIcdO3", "laterality", "grade",
		"gradeClinical", "diagnosticConfirmation", "classOfCase", "typeOfReportingSource"}
	middles := 0
	for _, seed := range []int64{1, 2, 3} {
		for _, p := range generate(t, seed, 40, testToday) {
			id := p.Items["patientIdNumber"]
			check("patient "+id, naaccr.ParentPatient, p.Items)
			for _, want := range patientItems {
				if p.Items[want] == "" {
					t.Errorf("patient %s: no %s", id, want)
				}
			}
			if p.Items["nameMiddle"] != "" {
				middles++
			}
			for k, tu := range p.Tumors {
				where := fmt.Sprintf("patient %s tumor %d", id, k+1)
				check(where, naaccr.ParentTumor, tu.Items)
				for _, want := range tumorItems {
					if tu.Items[want] == "" {
						t.Errorf("%s: no %s", where, want)
					}
				}
			}
		}
	}
	if middles == 0 {
		t.Errorf("no patient has a middle name")
	}
}

func TestIdentifiers(t *testing.T) {
	ps := generate(t, 7, 60, testToday)
	mrns := map[string]bool{}
	accessions := map[string]bool{}
	for i, p := range ps {
		id := p.Items["patientIdNumber"]
		if want := fmt.Sprintf("%08d", i+1); id != want {
			t.Errorf("patient %d: patientIdNumber %q, want %q", i+1, id, want)
		}
		mrn := p.Tumors[0].Items["medicalRecordNumber"]
		if len(mrn) != 8 || !strings.HasPrefix(mrn, "MR") || !naaccr.IsDigits(mrn[2:]) {
			t.Errorf("patient %s: medicalRecordNumber %q, want MR and 6 digits", id, mrn)
		}
		if mrns[mrn] {
			t.Errorf("patient %s: medicalRecordNumber %q used twice", id, mrn)
		}
		mrns[mrn] = true
		acc := p.Tumors[0].Items["accessionNumberHosp"]
		if accessions[acc] {
			t.Errorf("patient %s: accessionNumberHosp %q used twice", id, acc)
		}
		accessions[acc] = true
		if want := p.Tumors[0].Items["dateOfDiagnosis"][:4]; !strings.HasPrefix(acc, want) {
			t.Errorf("patient %s: accessionNumberHosp %q does not start with the diagnosis year %s", id, acc, want)
		}
		for k, tu := range p.Tumors {
			if tu.Items["medicalRecordNumber"] != mrn {
				t.Errorf("patient %s tumor %d: medicalRecordNumber %q, first tumor has %q", id, k+1, tu.Items["medicalRecordNumber"], mrn)
			}
			if tu.Items["accessionNumberHosp"] != acc {
				t.Errorf("patient %s tumor %d: accessionNumberHosp %q, first tumor has %q", id, k+1, tu.Items["accessionNumberHosp"], acc)
			}
			want := "00"
			if len(p.Tumors) > 1 {
				want = fmt.Sprintf("%02d", k+1)
			}
			if got := tu.Items["sequenceNumberHospital"]; got != want {
				t.Errorf("patient %s tumor %d of %d: sequenceNumberHospital %q, want %q", id, k+1, len(p.Tumors), got, want)
			}
		}
	}
}

func date(t *testing.T, where, s string) time.Time {
	t.Helper()
	d, err := time.Parse("20060102", s)
	if err != nil {
		t.Fatalf("%s: date %q: %v", where, s, err)
	}
	return d
}

func TestDatesOrdered(t *testing.T) {
	tests := []struct {
		name  string
		today time.Time
	}{
		{"2026", testToday},
		{"end of a year", time.Date(2024, 12, 31, 23, 59, 0, 0, time.UTC)},
		{"early 2018", time.Date(2018, 1, 3, 0, 0, 0, 0, time.UTC)},
		{"2 Jan 2018", time.Date(2018, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"other zone", time.Date(2025, 7, 4, 1, 0, 0, 0, time.FixedZone("UTC-10", -10*3600))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			today := time.Date(tt.today.Year(), tt.today.Month(), tt.today.Day(), 0, 0, 0, 0, time.UTC)
			first := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
			dead := 0
			for _, p := range generate(t, 11, 50, tt.today) {
				id := "patient " + p.Items["patientIdNumber"]
				birth := date(t, id, p.Items["dateOfBirth"])
				last := date(t, id, p.Items["dateOfLastContact"])
				if last.After(today) {
					t.Errorf("%s: last contact %s after today", id, p.Items["dateOfLastContact"])
				}
				if p.Items["vitalStatus"] == "0" {
					dead++
				}
				var prev time.Time
				for k, tu := range p.Tumors {
					dx := date(t, id, tu.Items["dateOfDiagnosis"])
					if !birth.Before(dx) {
						t.Errorf("%s tumor %d: diagnosis %s not after birth %s", id, k+1, dx.Format("20060102"), birth.Format("20060102"))
					}
					if dx.Before(first) || !dx.Before(today) {
						t.Errorf("%s tumor %d: diagnosis %s not in 2018..yesterday", id, k+1, dx.Format("20060102"))
					}
					if dx.After(last) {
						t.Errorf("%s tumor %d: diagnosis %s after last contact %s", id, k+1, dx.Format("20060102"), last.Format("20060102"))
					}
					if k > 0 && !dx.After(prev) {
						t.Errorf("%s tumor %d: diagnosis %s not after the previous one %s", id, k+1, dx.Format("20060102"), prev.Format("20060102"))
					}
					if age := ageAt(birth, dx); age < 25 || age > 90 {
						t.Errorf("%s tumor %d: age %d at diagnosis", id, k+1, age)
					}
					prev = dx
				}
			}
			if dead == 0 || dead == 50 {
				t.Errorf("%d of 50 patients dead, want some but not all", dead)
			}
		})
	}
}

// TestSitesFitSex checks that no male has a female-only site and no female a male-only one.
func TestSitesFitSex(t *testing.T) {
	femaleOnly := []string{"C51", "C52", "C53", "C54", "C55", "C56", "C57", "C58"}
	maleOnly := []string{"C60", "C61", "C62", "C63"}
	hasPrefix := func(s string, ps []string) bool {
		for _, p := range ps {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
		return false
	}
	breastFemale := 0
	for seed := range int64(10) {
		for _, p := range generate(t, seed, 50, testToday) {
			sex := p.Items["sexAssignedAtBirth"]
			for _, tu := range p.Tumors {
				site := tu.Items["primarySite"]
				switch {
				case sex == "1" && hasPrefix(site, femaleOnly):
					t.Errorf("seed %d patient %s: male with site %s", seed, p.Items["patientIdNumber"], site)
				case sex == "2" && hasPrefix(site, maleOnly):
					t.Errorf("seed %d patient %s: female with site %s", seed, p.Items["patientIdNumber"], site)
				case sex == "2" && strings.HasPrefix(site, "C50"):
					breastFemale++
				}
				if b := tu.Items["behaviorCodeIcdO3"]; b != "2" && b != "3" {
					t.Errorf("seed %d patient %s: behavior %q", seed, p.Items["patientIdNumber"], b)
				}
			}
		}
	}
	if breastFemale == 0 {
		t.Errorf("no female breast tumor in 500 patients")
	}
}

// loadCodes returns the codes of a code list in schemas/codes/items or of the topography file.
func loadCodes(t *testing.T, name string) map[string]bool {
	t.Helper()
	recs, err := readCSV(schemasFS, name, "code")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, r := range recs {
		set[r[0]] = true
	}
	if len(set) == 0 {
		t.Fatalf("%s: no codes", name)
	}
	return set
}

func TestCodesInLists(t *testing.T) {
	tests := []struct {
		item, file string
		tumor      bool
	}{
		{"sexAssignedAtBirth", "codes/items/sexAssignedAtBirth.csv", false},
		{"race1", "codes/items/race.csv", false},
		{"spanishHispanicOrigin", "codes/items/spanishHispanicOrigin.csv", false},
		{"vitalStatus", "codes/items/vitalStatus.csv", false},
		{"primarySite", "codes/icdo3-topography.csv", true},
		{"behaviorCodeIcdO3", "codes/items/behavior.csv", true},
		{"laterality", "codes/items/laterality.csv", true},
		{"grade", "codes/items/grade.csv", true},
		{"classOfCase", "codes/items/classOfCase.csv", true},
		{"diagnosticConfirmation", "codes/items/diagnosticConfirmation.csv", true},
		{"typeOfReportingSource", "codes/items/typeOfReportingSource.csv", true},
	}
	ps := generate(t, 3, 200, testToday)
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			codes := loadCodes(t, tt.file)
			seen := map[string]bool{}
			for _, p := range ps {
				values := []string{p.Items[tt.item]}
				if tt.tumor {
					values = values[:0]
					for _, tu := range p.Tumors {
						values = append(values, tu.Items[tt.item])
					}
				}
				for _, v := range values {
					seen[v] = true
					if !codes[v] {
						t.Errorf("patient %s: %s=%q is not in %s", p.Items["patientIdNumber"], tt.item, v, tt.file)
					}
				}
			}
			if tt.item == "sexAssignedAtBirth" && (!seen["1"] || !seen["2"]) {
				t.Errorf("both sexes expected, saw %v", seen)
			}
		})
	}
	// Grade Clinical is drawn from 1, 2, 3 and 9, then fitted to the tumor's EOD schema
	// (FitSchema): a code its table refuses (melanoma's grades are A-D) is the first it accepts.
	stg, err := staging.Load(schemasFS)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		for _, tu := range p.Tumors {
			g := tu.Items["gradeClinical"]
			if len(g) != 1 {
				t.Errorf("patient %s: gradeClinical %q", p.Items["patientIdNumber"], g)
			}
			res := stg.Stage(func(id string) string {
				if v, ok := tu.Items[id]; ok {
					return v
				}
				return p.Items[id]
			}, 2026)
			for _, e := range res.Errors {
				if e.Type == staging.InvalidRequiredInput || e.Type == staging.InvalidNonRequiredInput {
					t.Errorf("patient %s: %s", p.Items["patientIdNumber"], e.Message)
				}
			}
			if res.Status == staging.NeedsInput && len(res.Selection.Candidates) > 0 {
				t.Errorf("patient %s: no schema chosen: %s needed", p.Items["patientIdNumber"], res.Selection.Needs)
			}
		}
	}
}

func TestLaterality(t *testing.T) {
	tests := []struct {
		site   string
		paired bool
	}{
		{"C504", true}, {"C509", true}, {"C341", true}, {"C342", true}, {"C649", true},
		{"C569", true}, {"C620", true}, {"C079", true}, {"C444", false}, {"C445", true},
		{"C180", false}, {"C619", false}, {"C339", false}, {"C739", false}, {"C541", false},
	}
	g, err := newGenerator(os.DirFS("../../schemas"), nil, 1, testToday)
	if err != nil {
		t.Fatal(err)
	}
	pairedSite := g.pairedSite
	for _, tt := range tests {
		if got := pairedSite(tt.site); got != tt.paired {
			t.Errorf("pairedSite(%s) = %v, want %v", tt.site, got, tt.paired)
		}
	}
	for _, p := range generate(t, 5, 200, testToday) {
		for _, tu := range p.Tumors {
			site, lat := tu.Items["primarySite"], tu.Items["laterality"]
			switch {
			case !pairedSite(site) && lat != "0":
				t.Errorf("unpaired site %s has laterality %q", site, lat)
			case pairedSite(site) && lat != "1" && lat != "2":
				t.Errorf("paired site %s has laterality %q", site, lat)
			case site == "C342" && lat != "1":
				t.Errorf("middle lobe C342 has laterality %q", lat)
			}
		}
	}
}
