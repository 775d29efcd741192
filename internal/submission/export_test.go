package submission_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/schemas"
)

// fakeSource hands out fixed patients and records the filter it was asked for.
type fakeSource struct {
	patients []store.Patient
	tumors   [][]store.Tumor
	filter   store.PatientFilter
	err      error // returned after the patients
}

func (f *fakeSource) EachPatient(_ context.Context, flt store.PatientFilter, _ int, fn func(*store.Patient, []store.Tumor) error) error {
	f.filter = flt
	for i := range f.patients {
		if err := fn(&f.patients[i], f.tumors[i]); err != nil {
			return err
		}
	}
	return f.err
}

// exportedFile is what a test reads back of an exported file.
type exportedFile struct {
	BaseURI       string       `xml:"baseDictionaryUri,attr"`
	RecordType    string       `xml:"recordType,attr"`
	TimeGenerated string       `xml:"timeGenerated,attr"`
	Items         []exportItem `xml:"Item"`
	Patients      []struct {
		Items  []exportItem `xml:"Item"`
		Tumors []struct {
			Items []exportItem `xml:"Item"`
		} `xml:"Tumor"`
	} `xml:"Patient"`
}

type exportItem struct {
	ID    string `xml:"naaccrId,attr"`
	Value string `xml:",chardata"`
}

func itemMap(items []exportItem) map[string]string {
	m := map[string]string{}
	for _, it := range items {
		m[it.ID] = it.Value
	}
	return m
}

func twoPatients() *fakeSource {
	return &fakeSource{
		patients: []store.Patient{
			{ID: 1, Items: store.Items{"patientIdNumber": "00000001", "nameLast": "DOE", "sexAssignedAtBirth": "2"}},
			{ID: 2, Items: store.Items{"patientIdNumber": "00000002", "nameLast": "ROE", "sexAssignedAtBirth": "1"}},
		},
		tumors: [][]store.Tumor{
			{{Items: store.Items{"sequenceNumberHospital": "00", "primarySite": "C509", "residualCancerBurdenClass": "1"}}},
			{{Items: store.Items{"sequenceNumberHospital": "01", "primarySite": "C341"}}, {Items: store.Items{"sequenceNumberHospital": "02", "primarySite": "C180"}}},
		},
	}
}

func loadDictionary(t *testing.T, version string) *naaccr.Dictionary {
	t.Helper()
	reg, err := registry()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := reg.Lookup(naaccr.BaseDictionaryURI(version))
	if !ok {
		t.Fatalf("no dictionary %s", version)
	}
	return d
}

func TestExportTranslatesIntoAnOlderVersionAndCountsLostValues(t *testing.T) {
	from, to := loadDictionary(t, "260"), loadDictionary(t, "250")
	rules, err := naaccr.LoadTranslations(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := naaccr.NewSchema(from)
	ts, _ := naaccr.NewSchema(to)
	tr, err := rules.NewTranslator(fs, ts)
	if err != nil {
		t.Fatal(err)
	}
	src := twoPatients()
	var buf bytes.Buffer
	filter := store.PatientFilter{Statuses: []string{"approved"}, DiagnosedFrom: "2020"}
	st, err := submission.Export(context.Background(), src, to, &buf, submission.ExportOptions{Filter: filter, Translator: tr})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(src.filter, filter) {
		t.Errorf("source asked for %+v, want %+v", src.filter, filter)
	}
	var f exportedFile
	if err := xml.Unmarshal(buf.Bytes(), &f); err != nil {
		t.Fatalf("the file does not parse: %v", err)
	}
	if f.BaseURI != naaccr.BaseDictionaryURI("250") || f.RecordType != "A" {
		t.Errorf("root: dictionary %s, record type %s; want 250, A", f.BaseURI, f.RecordType)
	}
	if len(f.Patients) != 2 {
		t.Fatalf("%d patients in the file, want 2", len(f.Patients))
	}
	for i, wantSex := range []string{"2", "1"} {
		items := itemMap(f.Patients[i].Items)
		if items["sex"] != wantSex || items["sexAssignedAtBirth"] != "" || items["nameLast"] == "" {
			t.Errorf("patient %d items %v, want sex %s in place of sexAssignedAtBirth", i+1, items, wantSex)
		}
	}
	if len(f.Patients[1].Tumors) != 2 || itemMap(f.Patients[1].Tumors[1].Items)["primarySite"] != "C180" {
		t.Errorf("patient 2's tumors %+v, want C341 and C180", f.Patients[1].Tumors)
	}
	if items := itemMap(f.Patients[0].Tumors[0].Items); items["residualCancerBurdenClass"] != "" || items["primarySite"] != "C509" {
		t.Errorf("patient 1's tumor %v, want C509 without the NAACCR 26 item", items)
	}
	if st.Patients != 2 || st.Tumors != 3 {
		t.Errorf("stats %d patients, %d tumors; want 2 and 3", st.Patients, st.Tumors)
	}
	if st.Translation.LostValues() != 1 || st.Translation.Lost["residualCancerBurdenClass"] == nil || st.Translation.Lost["residualCancerBurdenClass"].Count != 1 {
		t.Errorf("translation report: %s; want one residualCancerBurdenClass value lost", st.Translation.String())
	}
	if st.Translation.From != "260" || st.Translation.To != "250" {
		t.Errorf("report versions %s to %s, want 260 to 250", st.Translation.From, st.Translation.To)
	}
}

func TestExportWithoutTranslatorWritesTheStoredItems(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 3, 15, 10, 20, 30, 0, time.UTC)
	st, err := submission.Export(context.Background(), twoPatients(), loadDictionary(t, "260"), &buf, submission.ExportOptions{
		RootItems: map[string]string{"registryId": "0000012345"}, TimeGenerated: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	var f exportedFile
	if err := xml.Unmarshal(buf.Bytes(), &f); err != nil {
		t.Fatalf("the file does not parse: %v", err)
	}
	if f.BaseURI != naaccr.BaseDictionaryURI("260") || f.TimeGenerated != "2026-03-15T10:20:30Z" || itemMap(f.Items)["registryId"] != "0000012345" {
		t.Errorf("root: %s, time %q, items %v", f.BaseURI, f.TimeGenerated, f.Items)
	}
	if got := itemMap(f.Patients[0].Items)["sexAssignedAtBirth"]; got != "2" {
		t.Errorf("patient 1 sexAssignedAtBirth %q, want 2", got)
	}
	if got := itemMap(f.Patients[0].Tumors[0].Items)["residualCancerBurdenClass"]; got != "1" {
		t.Errorf("patient 1's tumor residualCancerBurdenClass %q, want 1", got)
	}
	if st.Translation.LostValues() != 0 || st.Patients != 2 || st.Tumors != 3 {
		t.Errorf("stats %+v, want 2 patients, 3 tumors, nothing lost", st)
	}

	// A zero TimeGenerated leaves the attribute out, so the same cases give the same bytes.
	var a, b bytes.Buffer
	for _, w := range []*bytes.Buffer{&a, &b} {
		if _, err := submission.Export(context.Background(), twoPatients(), loadDictionary(t, "260"), w, submission.ExportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) || bytes.Contains(a.Bytes(), []byte("timeGenerated")) {
		t.Errorf("two exports without a time differ or carry timeGenerated")
	}
}

func TestExportFailsOnASourceErrorOrAnItemTheDictionaryLacks(t *testing.T) {
	failing := twoPatients()
	failing.err = errors.New("connection lost")
	stray := twoPatients()
	stray.patients[1].Items["notAnItem"] = "x"
	tests := []struct {
		name string
		src  *fakeSource
		want string
	}{
		{"source error", failing, "connection lost"},
		{"unknown item", stray, `patient 2: naaccr: write patient 2 (patientIdNumber "00000002"): item "notAnItem"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := submission.Export(context.Background(), tt.src, loadDictionary(t, "260"), &buf, submission.ExportOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}
