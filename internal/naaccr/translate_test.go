package naaccr

import (
	"maps"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var (
	translateOnce    sync.Once
	translateSchemas map[string]*Schema // by base version, no user dictionaries
	translateRules   *Translations
	translateErr     error
)

// fixtures loads the base schemas 240, 250 and 260 and the translation rules once.
func fixtures(tb testing.TB) (map[string]*Schema, *Translations) {
	tb.Helper()
	translateOnce.Do(func() {
		fsys := os.DirFS("../../schemas")
		translateSchemas = map[string]*Schema{}
		for _, v := range BaseVersions {
			d, err := LoadBaseDictionary(fsys, v)
			if err != nil {
				translateErr = err
				return
			}
			if translateSchemas[v], err = NewSchema(d); err != nil {
				translateErr = err
				return
			}
		}
		translateRules, translateErr = LoadTranslations(fsys)
	})
	if translateErr != nil {
		tb.Fatal(translateErr)
	}
	return translateSchemas, translateRules
}

func translator(t *testing.T, from, to string) *Translator {
	t.Helper()
	schemas, rules := fixtures(t)
	tr, err := rules.NewTranslator(schemas[from], schemas[to])
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTranslatorCarriesRenamesAndReportsWhatItCannotCarry(t *testing.T) {
	tests := []struct {
		name             string
		from, to         string
		patient, tumor   map[string]string
		wantPat, wantTum map[string]string
		wantLost         map[string]int    // naaccrId -> values not carried (the patient has two equal tumors)
		wantReason       map[string]string // naaccrId -> substring of its reasons
	}{
		{
			name: "sex becomes sexAssignedAtBirth in 260",
			from: "250", to: "260",
			patient: map[string]string{"sex": "2", "nameLast": "DOE"},
			tumor:   map[string]string{"primarySite": "C509"},
			wantPat: map[string]string{"sexAssignedAtBirth": "2", "nameLast": "DOE"},
			wantTum: map[string]string{"primarySite": "C509"},
		},
		{
			name: "sexAssignedAtBirth becomes sex in 250",
			from: "260", to: "250",
			patient: map[string]string{"sexAssignedAtBirth": "2"},
			wantPat: map[string]string{"sex": "2"},
			wantTum: map[string]string{},
		},
		{
			name: "sex code without an equivalent is reported",
			from: "250", to: "260",
			patient:    map[string]string{"sex": "4"},
			wantPat:    map[string]string{},
			wantTum:    map[string]string{},
			wantLost:   map[string]int{"sex": 1},
			wantReason: map[string]string{"sex": `code "4" has no equivalent in sexAssignedAtBirth`},
		},
		{
			name: "item retired in 260 is reported for every tumor",
			from: "250", to: "260",
			tumor:      map[string]string{"comorbidComplication1": "I10", "primarySite": "C619"},
			wantPat:    map[string]string{},
			wantTum:    map[string]string{"primarySite": "C619"},
			wantLost:   map[string]int{"comorbidComplication1": 2},
			wantReason: map[string]string{"comorbidComplication1": "not defined in NAACCR 260"},
		},
		{
			name: "item new in 260 is reported going back to 250",
			from: "260", to: "250",
			tumor:      map[string]string{"residualCancerBurdenClass": "1"},
			wantPat:    map[string]string{},
			wantTum:    map[string]string{},
			wantLost:   map[string]int{"residualCancerBurdenClass": 2},
			wantReason: map[string]string{"residualCancerBurdenClass": "not defined in NAACCR 250"},
		},
		{
			name: "value longer than the shrunk length is reported",
			from: "250", to: "240",
			tumor:      map[string]string{"pathDateSpecCollect1": "2024-01-15T10:20:30-05:00"},
			wantPat:    map[string]string{},
			wantTum:    map[string]string{},
			wantLost:   map[string]int{"pathDateSpecCollect1": 2},
			wantReason: map[string]string{"pathDateSpecCollect1": "longer than 14 characters"},
		},
		{
			name: "value invalid for the changed data type is reported",
			from: "240", to: "250",
			tumor:      map[string]string{"pathDateSpecCollect1": "20240115", "geocodingQualityCodeDetail": "A"},
			wantPat:    map[string]string{},
			wantTum:    map[string]string{"geocodingQualityCodeDetail": "A"},
			wantLost:   map[string]int{"pathDateSpecCollect1": 2},
			wantReason: map[string]string{"pathDateSpecCollect1": "not a valid dateTime value"},
		},
		{
			name: "240 to 260 goes through 250",
			from: "240", to: "260",
			patient:    map[string]string{"sex": "1", "raceCodingSysCurrent": "7", "dateOfBirth": "19500101"},
			wantPat:    map[string]string{"sexAssignedAtBirth": "1", "dateOfBirth": "19500101"},
			wantTum:    map[string]string{},
			wantLost:   map[string]int{"raceCodingSysCurrent": 1},
			wantReason: map[string]string{"raceCodingSysCurrent": "not defined in NAACCR 260"},
		},
		{
			name: "item unknown to the source is reported",
			from: "260", to: "260",
			patient:    map[string]string{"noSuchItem": "x", "nameLast": "DOE"},
			wantPat:    map[string]string{"nameLast": "DOE"},
			wantTum:    map[string]string{},
			wantLost:   map[string]int{"noSuchItem": 1},
			wantReason: map[string]string{"noSuchItem": "not defined in the source dictionaries"},
		},
		{
			name: "item at the wrong level is reported",
			from: "260", to: "260",
			patient:    map[string]string{"primarySite": "C509"},
			wantPat:    map[string]string{},
			wantTum:    map[string]string{},
			wantLost:   map[string]int{"primarySite": 1},
			wantReason: map[string]string{"primarySite": "is a Tumor item"},
		},
		{
			name: "empty values are left out",
			from: "250", to: "260",
			patient: map[string]string{"sex": "", "nameLast": "DOE"},
			wantPat: map[string]string{"nameLast": "DOE"},
			wantTum: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Patient{Items: tt.patient, Tumors: []Tumor{{Items: tt.tumor}, {Items: maps.Clone(tt.tumor)}}}
			before := maps.Clone(tt.patient)
			got, rep := translator(t, tt.from, tt.to).Patient(in)

			if !maps.Equal(got.Items, tt.wantPat) {
				t.Errorf("patient items %v, want %v", got.Items, tt.wantPat)
			}
			if len(got.Tumors) != 2 || !maps.Equal(got.Tumors[0].Items, tt.wantTum) || !maps.Equal(got.Tumors[1].Items, tt.wantTum) {
				t.Errorf("tumors %+v, want two with %v", got.Tumors, tt.wantTum)
			}
			if !maps.Equal(in.Items, before) {
				t.Errorf("source patient changed to %v", in.Items)
			}
			lost := map[string]int{}
			for id, l := range rep.Lost {
				lost[id] = l.Count
			}
			if !maps.Equal(lost, tt.wantLost) {
				t.Errorf("lost %v, want %v\n%s", lost, tt.wantLost, rep.String())
			}
			for id, w := range tt.wantReason {
				if l := rep.Lost[id]; l == nil || !strings.Contains(strings.Join(l.Reasons, "; "), w) {
					t.Errorf("reasons for %s = %v, want one containing %q", id, l, w)
				}
			}
			if rep.From != tt.from || rep.To != tt.to {
				t.Errorf("report from %q to %q, want %q to %q", rep.From, rep.To, tt.from, tt.to)
			}
			wantCarried := len(tt.wantPat) + 2*len(tt.wantTum)
			if rep.Carried != wantCarried {
				t.Errorf("carried %d values, want %d", rep.Carried, wantCarried)
			}
		})
	}
}

// sampleValue makes a value that fits an item's data type and length.
func sampleValue(it *ItemDef) string {
	switch it.DataType {
	case TypeDate:
		return "20240115"
	case TypeDateTime:
		return "2024-01-15T10:20:30Z"
	case TypeAlpha:
		return strings.Repeat("A", it.Length)
	case TypeMixed:
		return strings.Repeat("7", it.Length)
	case TypeNumeric:
		return "1"
	case TypeDigits:
		return strings.Repeat("1", it.Length)
	}
	return strings.Repeat("x", it.Length)
}

func TestTranslateRoundTrip250To260To250KeepsCommonItems(t *testing.T) {
	schemas, _ := fixtures(t)
	p := &Patient{Items: map[string]string{"sex": "9"}, Tumors: []Tumor{{Items: map[string]string{}}}}
	for _, it := range schemas["250"].Items() {
		if _, common := schemas["260"].Item(it.ID); !common {
			continue
		}
		switch it.Parent {
		case ParentPatient:
			p.Items[it.ID] = sampleValue(it)
		case ParentTumor:
			p.Tumors[0].Items[it.ID] = sampleValue(it)
		}
	}
	mid, rep := translator(t, "250", "260").Patient(p)
	back, repBack := translator(t, "260", "250").Patient(mid)
	if rep.LostValues() != 0 || repBack.LostValues() != 0 {
		t.Fatalf("values lost:\n%s\n%s", rep.String(), repBack.String())
	}
	if !maps.Equal(back.Items, p.Items) || !maps.Equal(back.Tumors[0].Items, p.Tumors[0].Items) {
		t.Errorf("round trip changed the patient:\n got %v\nwant %v", back, p)
	}
	if n := len(p.Items) + len(p.Tumors[0].Items); n < 700 || rep.Carried != n {
		t.Errorf("carried %d of %d values", rep.Carried, n)
	}
}

func TestTranslatorRootUpdatesTheRecordVersion(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		in, want map[string]string
		lost     int
	}{
		{name: "250 to 260", from: "250", to: "260",
			in:   map[string]string{"naaccrRecordVersion": "250", "registryId": "0000001234"},
			want: map[string]string{"naaccrRecordVersion": "260", "registryId": "0000001234"}},
		{name: "260 to 250", from: "260", to: "250",
			in:   map[string]string{"naaccrRecordVersion": "260"},
			want: map[string]string{"naaccrRecordVersion": "250"}},
		{name: "240 to 260", from: "240", to: "260",
			in:   map[string]string{"naaccrRecordVersion": "240"},
			want: map[string]string{"naaccrRecordVersion": "260"}},
		{name: "a version that disagrees with the file is reported", from: "250", to: "260",
			in:   map[string]string{"naaccrRecordVersion": "240"},
			want: map[string]string{}, lost: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rep := translator(t, tt.from, tt.to).Root(tt.in)
			if !maps.Equal(got, tt.want) || rep.LostValues() != tt.lost {
				t.Errorf("root %v, %d lost; want %v, %d lost\n%s", got, rep.LostValues(), tt.want, tt.lost, rep.String())
			}
		})
	}
}

func TestTranslatorCarriesUserItemsOnlyToSchemasThatDefineThem(t *testing.T) {
	schemas, rules := fixtures(t)
	user := loadExampleUserDictionary(t)
	with := func(v string) *Schema {
		s, err := NewSchema(schemas[v].Base, user)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	p := &Patient{Items: map[string]string{"myVariable2": "Y", "sex": "1"}}
	tests := []struct {
		name string
		to   *Schema
		want map[string]string
		lost int
	}{
		{name: "target with the user dictionary", to: with("260"), want: map[string]string{"myVariable2": "Y", "sexAssignedAtBirth": "1"}},
		{name: "target without it", to: schemas["260"], want: map[string]string{"sexAssignedAtBirth": "1"}, lost: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := rules.NewTranslator(with("250"), tt.to)
			if err != nil {
				t.Fatal(err)
			}
			got, rep := tr.Patient(p)
			if !maps.Equal(got.Items, tt.want) || rep.LostValues() != tt.lost {
				t.Errorf("items %v, %d lost; want %v, %d lost", got.Items, rep.LostValues(), tt.want, tt.lost)
			}
		})
	}
}

func TestNewTranslatorRejectsUnknownVersions(t *testing.T) {
	schemas, rules := fixtures(t)
	old, err := ParseDictionary(strings.NewReader(`<NaaccrDictionary xmlns="` + Namespace + `" dictionaryUri="` +
		BaseDictionaryURI("230") + `" naaccrVersion="230" specificationVersion="1.7"><ItemDefs/></NaaccrDictionary>`))
	if err != nil {
		t.Fatal(err)
	}
	s230, err := NewSchema(old)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		from, to *Schema
		want     string
	}{
		{name: "unknown source version", from: s230, to: schemas["260"], want: `no translation from NAACCR "230" to "260"`},
		{name: "unknown target version", from: schemas["260"], to: s230, want: `no translation from NAACCR "260" to "230"`},
		{name: "no schema", from: nil, to: schemas["260"], want: "schema with a base dictionary is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rules.NewTranslator(tt.from, tt.to)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseTranslationsRejectsBadRules(t *testing.T) {
	const header = "from_version,to_version,from_id,to_id,codes\n"
	tests := []struct {
		name string
		csv  string
		want string
	}{
		{name: "wrong header", csv: "from,to,a,b,c\n", want: "header"},
		{name: "versions not adjacent", csv: header + "240,260,sex,sexAssignedAtBirth,\n", want: `line 2: versions "240" to "260" are not adjacent`},
		{name: "unknown version", csv: header + "250,270,sex,sex,\n", want: "not adjacent"},
		{name: "bad naaccrId", csv: header + "250,260,sex,sex_at_birth,\n", want: `"sex_at_birth"`},
		{name: "bad code pair", csv: header + "250,260,sex,sexAssignedAtBirth,1=1 2\n", want: `code pair "2"`},
		{name: "code mapped twice", csv: header + "250,260,sex,sexAssignedAtBirth,1=1 1=2\n", want: `code "1" is mapped twice`},
		{name: "second rule for an item", csv: header + "250,260,sex,sexAssignedAtBirth,\n250,260,sex,sex,\n", want: "line 3: item sex has a second rule"},
		{name: "missing field", csv: header + "250,260,sex\n", want: "wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTranslations(strings.NewReader(tt.csv))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestTranslationRulesNameItemsOfTheirVersions(t *testing.T) {
	schemas, rules := fixtures(t)
	n := 0
	for i := range BaseVersions {
		for _, j := range []int{i - 1, i + 1} {
			if j < 0 || j >= len(BaseVersions) {
				continue
			}
			from, to := BaseVersions[i], BaseVersions[j]
			for _, r := range rules.Rules(from, to) {
				n++
				src, ok := schemas[from].Item(r.FromID)
				dst, ok2 := schemas[to].Item(r.ToID)
				if !ok || !ok2 {
					t.Errorf("rule %s→%s %s→%s: item missing in its dictionary", from, to, r.FromID, r.ToID)
					continue
				}
				if src.Parent != dst.Parent {
					t.Errorf("rule %s→%s: %s is a %s item, %s a %s item", from, to, r.FromID, src.Parent, r.ToID, dst.Parent)
				}
				for code, nv := range r.Codes {
					if CheckType(dst.DataType, nv) != nil || len(nv) > dst.Length || CheckType(src.DataType, code) != nil {
						t.Errorf("rule %s→%s %s: code %s=%s does not fit the items", from, to, r.FromID, code, nv)
					}
				}
			}
		}
	}
	if n != 6 {
		t.Errorf("%d rules, want the 6 of translations.csv", n)
	}
}

func TestTranslateReportAddsUpPatients(t *testing.T) {
	tr := translator(t, "250", "260")
	var total TranslateReport
	for _, sex := range []string{"1", "4", "5"} {
		_, rep := tr.Patient(&Patient{Items: map[string]string{"sex": sex, "nameLast": "DOE"}})
		total.Add(rep)
	}
	l := total.Lost["sex"]
	if total.From != "250" || total.To != "260" || total.Carried != 4 || l == nil || l.Count != 2 || len(l.Reasons) != 2 {
		t.Fatalf("total %+v, sex %+v; want 4 carried, 2 sex codes lost with 2 reasons", total, l)
	}
	want := `sex: 2 not carried over (code "4" has no equivalent in sexAssignedAtBirth; code "5" has no equivalent in sexAssignedAtBirth)`
	if s := total.String(); !strings.Contains(s, want) {
		t.Errorf("String() = %q, want a line %q", s, want)
	}
}

func TestTranslateReportKeepsFewReasonsAndShortCodes(t *testing.T) {
	tr := translator(t, "250", "260")
	var total TranslateReport
	for i := range 1000 {
		_, rep := tr.Patient(&Patient{Items: map[string]string{"sex": strings.Repeat("x", 1000) + string(rune('a'+i%26)) + strings.Repeat("y", i)}})
		total.Add(rep)
	}
	l := total.Lost["sex"]
	if l == nil || l.Count != 1000 || len(l.Reasons) != maxReasons || !l.MoreReasons {
		t.Fatalf("sex %+v, want 1000 lost with %d reasons and more", l, maxReasons)
	}
	if s := total.String(); len(s) > 10000 || !strings.HasSuffix(s, "; and other reasons)") {
		t.Errorf("report of %d bytes: %.300s", len(s), s)
	}
}

// TestPatientInPlaceMatchesPatient: translating a patient in place gives what Patient gives, for
// a copy to the same version (which changes only the values that cannot be carried: too long,
// at the wrong level, unknown) and for a change of version.
func TestPatientInPlaceMatchesPatient(t *testing.T) {
	long := strings.Repeat("X", 200)
	for _, tc := range []struct{ from, to string }{{"260", "260"}, {"250", "250"}, {"250", "260"}, {"260", "250"}} {
		t.Run(tc.from+"-"+tc.to, func(t *testing.T) {
			tr := translator(t, tc.from, tc.to)
			if got := tr.identity; got != (tc.from == tc.to) {
				t.Fatalf("identity = %v", got)
			}
			mk := func() *Patient {
				return &Patient{
					Items: map[string]string{"sex": "2", "nameLast": long, "primarySite": "C509", "noSuchItem": "1", "nameFirst": ""},
					Tumors: []Tumor{
						{Items: map[string]string{"primarySite": "C509", "sequenceNumberCentral": "00", "textRemarks": long, "dateOfDiagnosis": "20250101"}},
						{Items: map[string]string{"grade": "9"}, Extensions: []Extension{{XML: `<o:x xmlns:o="urn:o"/>`}}},
					},
					Extensions: []Extension{{XML: `<o:y xmlns:o="urn:o"/>`}},
				}
			}
			want, wantRep := tr.Patient(mk())
			got := mk()
			gotRep := tr.PatientInPlace(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("patient:\n got %+v\nwant %+v", got, want)
			}
			if !reflect.DeepEqual(gotRep, wantRep) {
				t.Errorf("report:\n got %+v\nwant %+v", gotRep, wantRep)
			}
			// sex is not in 260 (sexAssignedAtBirth took its place).
			if tc.from == "260" && tc.to == "260" && (wantRep.LostValues() != 4 || wantRep.Carried != 5) {
				t.Errorf("a copy carries 5 values and loses 4 (too long, wrong level, two unknown): %s, carried %d", wantRep.String(), wantRep.Carried)
			}
		})
	}
}
