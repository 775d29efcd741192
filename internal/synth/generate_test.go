package synth

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/schemas"
)

var testToday = time.Date(2026, time.March, 15, 0, 0, 0, 0, time.UTC)

func generate(t *testing.T, opt Options) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Generate(context.Background(), &buf, opt)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opt, err)
	}
	return buf.Bytes(), st
}

// xmlFile is a NAACCR XML data file as encoding/xml reads it.
type xmlFile struct {
	XMLName    xml.Name
	BaseURI    string       `xml:"baseDictionaryUri,attr"`
	RecordType string       `xml:"recordType,attr"`
	Items      []xmlItem    `xml:"Item"`
	Patients   []xmlPatient `xml:"Patient"`
}

type xmlPatient struct {
	Items  []xmlItem `xml:"Item"`
	Tumors []struct {
		Items []xmlItem `xml:"Item"`
	} `xml:"Tumor"`
}

type xmlItem struct {
	ID    string `xml:"naaccrId,attr"`
	Value string `xml:",chardata"`
}

func parse(t *testing.T, b []byte) xmlFile {
	t.Helper()
	var f xmlFile
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("output does not parse as XML: %v", err)
	}
	if f.XMLName.Space != naaccr.Namespace || f.XMLName.Local != "NaaccrData" {
		t.Fatalf("root element %v, want NaaccrData in %s", f.XMLName, naaccr.Namespace)
	}
	return f
}

func TestGenerateGivesTheSameBytesForTheSameSeed(t *testing.T) {
	opt := Options{Patients: 40, Seed: 7, TextItems: true, Today: testToday}
	a, _ := generate(t, opt)
	b, _ := generate(t, opt)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same options differ")
	}
	opt.Seed = 8
	if c, _ := generate(t, opt); bytes.Equal(a, c) {
		t.Error("seeds 7 and 8 give the same file")
	}
}

func TestGenerateWritesOnlyValidItemsOfTheVersionAndRecordType(t *testing.T) {
	for _, version := range naaccr.BaseVersions {
		for _, rt := range []string{"A", "I"} {
			t.Run(version+rt, func(t *testing.T) {
				dict, err := naaccr.LoadBaseDictionary(schemas.FS, version)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := generate(t, Options{Version: version, RecordType: rt, Patients: 60, Seed: 3, TextItems: true, Today: testToday})
				f := parse(t, b)
				if f.BaseURI != naaccr.BaseDictionaryURI(version) || f.RecordType != rt {
					t.Errorf("header says %s record type %s, want %s and %s", f.BaseURI, f.RecordType, naaccr.BaseDictionaryURI(version), rt)
				}
				check := func(where string, items []xmlItem, lvl naaccr.Parent) {
					t.Helper()
					for _, it := range items {
						def, ok := dict.Item(it.ID)
						switch {
						case !ok:
							t.Errorf("%s: item %s is not in dictionary %s", where, it.ID, version)
						case def.Parent != lvl:
							t.Errorf("%s: item %s belongs to %s", where, it.ID, def.Parent)
						case !def.InRecordType(rt):
							t.Errorf("%s: item %s is not in record type %s", where, it.ID, rt)
						case len([]rune(it.Value)) > def.Length:
							t.Errorf("%s: item %s = %q is longer than %d", where, it.ID, it.Value, def.Length)
						case strings.TrimSpace(it.Value) != it.Value || it.Value == "":
							t.Errorf("%s: item %s = %q has blanks at an end or is empty", where, it.ID, it.Value)
						default:
							if err := naaccr.CheckType(def.DataType, it.Value); err != nil {
								t.Errorf("%s: item %s = %q: %v", where, it.ID, it.Value, err)
							}
						}
					}
				}
				check("root", f.Items, naaccr.ParentRoot)
				for i, p := range f.Patients {
					check(fmt.Sprintf("patient %d", i+1), p.Items, naaccr.ParentPatient)
					for j, tu := range p.Tumors {
						check(fmt.Sprintf("patient %d tumor %d", i+1, j+1), tu.Items, naaccr.ParentTumor)
					}
				}
			})
		}
	}
}

func TestVersion250UsesOnlyItsOwnItems(t *testing.T) {
	b, _ := generate(t, Options{Version: "250", Patients: 30, Seed: 1, TextItems: true, Today: testToday})
	f := parse(t, b)
	dict, err := naaccr.LoadBaseDictionary(schemas.FS, "250")
	if err != nil {
		t.Fatal(err)
	}
	sex := 0
	for _, p := range f.Patients {
		for _, it := range p.Items {
			if it.ID == "sexAssignedAtBirth" {
				t.Fatal("v250 file has the v26 item sexAssignedAtBirth")
			}
			if it.ID == "sex" {
				sex++
			}
		}
		for _, tu := range p.Tumors {
			for _, it := range tu.Items {
				if _, ok := dict.Item(it.ID); !ok {
					t.Errorf("item %s is not in the v250 dictionary", it.ID)
				}
			}
		}
	}
	if sex != len(f.Patients) {
		t.Errorf("%d of %d patients have sex (demo's sexAssignedAtBirth under its v250 name)", sex, len(f.Patients))
	}
}

func TestStatsMatchTheFile(t *testing.T) {
	b, st := generate(t, Options{Patients: 50, Seed: 2, Today: testToday})
	f := parse(t, b)
	tumors, items := 0, 0
	for _, p := range f.Patients {
		tumors += len(p.Tumors)
		items += len(p.Items)
		for _, tu := range p.Tumors {
			items += len(tu.Items)
		}
	}
	got := Stats{Patients: len(f.Patients), Tumors: tumors, Items: items, Bytes: int64(len(b))}
	if st != got {
		t.Errorf("Stats %+v, the file has %+v", st, got)
	}
	if st.Patients != 50 {
		t.Errorf("%d patients, want 50", st.Patients)
	}
}

func TestItemsPerTumorAreAroundTheTarget(t *testing.T) {
	tests := []struct {
		name   string
		opt    Options
		lo, hi int // bounds of the mean items per tumor
		min    int // fewest items any tumor may have
	}{
		{"default 150", Options{}, 145, 150, 130},
		{"150 with text", Options{TextItems: true}, 145, 150, 130},
		{"60", Options{ItemsPerTumor: 60}, 58, 60, 50},
		{"below the core", Options{ItemsPerTumor: 5}, 10, 14, 10}, // demo's 13 core items stay
		{"record type I", Options{RecordType: "I"}, 145, 150, 130},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := tt.opt
			opt.Patients, opt.Seed, opt.Today = 100, 5, testToday
			g, err := NewGenerator(opt)
			if err != nil {
				t.Fatal(err)
			}
			var p naaccr.Patient
			n, sum, fewest := 0, 0, 1<<30
			for g.Next(&p) {
				if len(p.Items) < 15 || len(p.Items) > patientItemsTarget {
					t.Errorf("patient %s has %d items", p.Items["patientIdNumber"], len(p.Items))
				}
				for _, tu := range p.Tumors {
					n++
					sum += len(tu.Items)
					fewest = min(fewest, len(tu.Items))
				}
			}
			if mean := float64(sum) / float64(n); mean < float64(tt.lo) || mean > float64(tt.hi) {
				t.Errorf("mean %.1f items per tumor, want %d-%d", mean, tt.lo, tt.hi)
			}
			if fewest < tt.min {
				t.Errorf("a tumor has %d items, want at least %d", fewest, tt.min)
			}
		})
	}
}

func TestTextItemsHaveAboutFortyWords(t *testing.T) {
	g, err := NewGenerator(Options{Patients: 20, Seed: 9, TextItems: true, Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	var p naaccr.Patient
	for g.Next(&p) {
		for _, tu := range p.Tumors {
			texts := 0
			for id, v := range tu.Items {
				if def, _ := g.Dictionary().Item(id); def.Length < 1000 {
					continue
				}
				texts++
				if w := len(strings.Fields(v)); w < textWords || w > textWords+15 {
					t.Errorf("%s has %d words: %q", id, w, v)
				}
			}
			if texts != textItemsPerTumor {
				t.Errorf("a tumor has %d long text items, want %d", texts, textItemsPerTumor)
			}
		}
	}
}

func TestTumorsPerPatientFollowTheRange(t *testing.T) {
	tests := []struct {
		r              Range
		minOne, maxOne float64 // share of patients with Min tumors
	}{
		{Range{1, 3}, 0.70, 0.80},
		{Range{2, 2}, 1, 1},
		{Range{1, 1}, 1, 1},
		{Range{2, 5}, 0.70, 0.80},
	}
	for _, tt := range tests {
		g, err := NewGenerator(Options{Patients: 2000, Tumors: tt.r, Seed: 11, ItemsPerTumor: 20, Today: testToday})
		if err != nil {
			t.Fatal(err)
		}
		var p naaccr.Patient
		atMin := 0
		for g.Next(&p) {
			n := len(p.Tumors)
			if n < tt.r.Min || n > tt.r.Max {
				t.Fatalf("range %v: a patient has %d tumors", tt.r, n)
			}
			if n == tt.r.Min {
				atMin++
			}
		}
		if share := float64(atMin) / 2000; share < tt.minOne || share > tt.maxOne {
			t.Errorf("range %v: %.2f of patients have %d tumors, want %.2f-%.2f", tt.r, share, tt.r.Min, tt.minOne, tt.maxOne)
		}
	}
}

func TestDatesAgreeWithDiagnosisAndFollowUp(t *testing.T) {
	g, err := NewGenerator(Options{Patients: 300, Seed: 4, ItemsPerTumor: 400, Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	today := testToday.Format(dateLayout)
	var p naaccr.Patient
	for g.Next(&p) {
		pid := p.Items["patientIdNumber"]
		birth, last := p.Items["dateOfBirth"], p.Items["dateOfLastContact"]
		if birth == "" || last == "" || last > today {
			t.Fatalf("patient %s: birth %q, last contact %q, today %s", pid, birth, last, today)
		}
		if death, ok := p.Items["dateOfDeathCanada"]; ok && (p.Items["vitalStatus"] != "0" || death != last) {
			t.Errorf("patient %s: date of death %s, vital status %s, last contact %s", pid, death, p.Items["vitalStatus"], last)
		}
		for _, tu := range p.Tumors {
			dx := tu.Items["dateOfDiagnosis"]
			if dx < birth || dx > last {
				t.Errorf("patient %s: diagnosis %s outside birth %s to last contact %s", pid, dx, birth, last)
			}
			if age, ok := tu.Items["ageAtDiagnosis"]; ok {
				want := zeroPad(ageAt(parseDate(birth), parseDate(dx)), 3)
				if age != want {
					t.Errorf("patient %s: age at diagnosis %s, want %s (born %s, diagnosed %s)", pid, age, want, birth, dx)
				}
			}
			if adm, dis := tu.Items["dateOfInptAdm"], tu.Items["dateOfInptDisch"]; adm != "" && dis != "" && dis < adm {
				t.Errorf("patient %s: discharged %s before admission %s", pid, dis, adm)
			}
			for id, v := range tu.Items {
				def, _ := g.Dictionary().Item(id)
				if def.DataType != naaccr.TypeDate || id == "dateOfDiagnosis" {
					continue
				}
				hi := last // treatment and work-up end by the last contact
				if strings.HasPrefix(id, "dateCase") || strings.HasPrefix(id, "dateTumorRecord") || strings.HasPrefix(id, "edpMde") {
					hi = today
				}
				if v < dx || v > hi {
					t.Errorf("patient %s: %s %s outside diagnosis %s to %s", pid, id, v, dx, hi)
				}
			}
		}
	}
}

func TestGeneratorReusesThePatientWithoutLeftovers(t *testing.T) {
	opt := Options{Patients: 200, Seed: 6, TextItems: true, Today: testToday}
	reuse, err := NewGenerator(opt)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := NewGenerator(opt)
	if err != nil {
		t.Fatal(err)
	}
	var p naaccr.Patient
	for i := 1; reuse.Next(&p); i++ {
		var q naaccr.Patient
		if !fresh.Next(&q) {
			t.Fatalf("patient %d: the second generator ran out", i)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("patient %d: a reused patient differs from a fresh one", i)
		}
	}
	var q naaccr.Patient
	if fresh.Next(&q) {
		t.Error("the second generator has more patients")
	}
}

func TestNewGeneratorRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		want string
	}{
		{"negative patients", Options{Patients: -1}, "patients"},
		{"too many patients", Options{Patients: MaxPatients + 1}, "patients"},
		{"tumor range upside down", Options{Tumors: Range{3, 1}}, "tumors per patient"},
		{"no tumors", Options{Tumors: Range{0, 2}}, "tumors per patient"},
		{"too many tumors", Options{Tumors: Range{1, MaxTumorsPerPatient + 1}}, "tumors per patient"},
		{"negative items", Options{ItemsPerTumor: -1}, "items per tumor"},
		{"unknown version", Options{Version: "180"}, "version"},
		{"unknown record type", Options{RecordType: "U"}, "record type"},
		{"today before 2018", Options{Today: time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC)}, "today"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewGenerator(tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one about %s", err, tt.want)
			}
		})
	}
}

func TestGenerateStopsWhenTheContextIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, io.Discard, Options{Patients: 1000, Today: testToday})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestGenerateWithNoPatientsWritesAnEmptyFile(t *testing.T) {
	b, st := generate(t, Options{Today: testToday})
	if f := parse(t, b); len(f.Patients) != 0 || st.Patients != 0 || st.Tumors != 0 {
		t.Errorf("%d patients in the file, stats %+v", len(f.Patients), st)
	}
}

// BenchmarkGenerate measures writing NAACCR XML like the reference generator's
// (/work/shared/bench/gen_naaccr.py): about 150 items and 3 text items per tumor.
func BenchmarkGenerate(b *testing.B) {
	const patients = 2000
	opt := Options{Patients: patients, Seed: 1, TextItems: true}
	st, err := Generate(context.Background(), io.Discard, opt)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Bytes)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(context.Background(), io.Discard, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(patients)*float64(b.N)/b.Elapsed().Seconds(), "patients/s")
}

// BenchmarkGeneratorNext measures making patients in memory, without XML.
func BenchmarkGeneratorNext(b *testing.B) {
	g, err := NewGenerator(Options{Patients: MaxPatients, Seed: 1, TextItems: true})
	if err != nil {
		b.Fatal(err)
	}
	var p naaccr.Patient
	b.ReportAllocs()
	for b.Loop() {
		g.Next(&p)
	}
}

// Fill completes a patient made elsewhere: its own items stay as they are, and the items filled
// in come from FillFrom only (the demo fills the items of its form).
func TestFillKeepsThePatientsItemsAndFillsOnlyFromFillFrom(t *testing.T) {
	from := []string{"addrAtDxCity", "maritalStatusAtDx", "rxSummChemo", "rxSummHormone", "tnmPathT", "textRemarks"}
	g, err := NewGenerator(Options{Seed: 3, TextItems: true, Today: testToday, FillFrom: from})
	if err != nil {
		t.Fatal(err)
	}
	p := naaccr.Patient{
		Items:  map[string]string{"patientIdNumber": "00000042", "dateOfBirth": "19500101", "dateOfLastContact": "20251201", "vitalStatus": "1"},
		Tumors: []naaccr.Tumor{{Items: map[string]string{"dateOfDiagnosis": "20240105", "primarySite": "C509", "sequenceNumberHospital": "00"}}},
	}
	g.Fill(&p)
	allowed := map[string]bool{}
	for _, id := range from {
		allowed[id] = true
	}
	check := func(level string, items, own map[string]string) {
		t.Helper()
		for id, v := range own {
			if items[id] != v {
				t.Errorf("%s item %s = %q, want its own %q", level, id, items[id], v)
			}
		}
		for id := range items {
			if _, mine := own[id]; !mine && !allowed[id] {
				t.Errorf("%s item %s was filled in, but is not in FillFrom", level, id)
			}
		}
	}
	check("patient", p.Items, map[string]string{"patientIdNumber": "00000042", "dateOfBirth": "19500101", "dateOfLastContact": "20251201", "vitalStatus": "1"})
	check("tumor", p.Tumors[0].Items, map[string]string{"dateOfDiagnosis": "20240105", "primarySite": "C509", "sequenceNumberHospital": "00"})
	if p.Tumors[0].Items["rxSummChemo"] == "" || p.Tumors[0].Items["textRemarks"] == "" {
		t.Errorf("tumor items %v; want rxSummChemo and textRemarks filled in", p.Tumors[0].Items)
	}
}
