package abstract_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
)

var (
	fixtureOnce sync.Once
	dict        *naaccr.Dictionary
	tables      *codes.Tables
	form        *abstract.Form
	checker     *edits.FieldChecker
	fixtureErr  error
)

// fixture loads the real v26 dictionary, code tables and abstract form once.
func fixture(t *testing.T) (*naaccr.Dictionary, *codes.Tables, *abstract.Form, *edits.FieldChecker) {
	t.Helper()
	fixtureOnce.Do(func() {
		schemas := os.DirFS("../../schemas")
		if dict, fixtureErr = naaccr.LoadBaseDictionary(schemas, "260"); fixtureErr != nil {
			return
		}
		if tables, fixtureErr = codes.Load(schemas); fixtureErr != nil {
			return
		}
		if form, fixtureErr = abstract.LoadForm(schemas, "abstract", dict, tables); fixtureErr != nil {
			return
		}
		checker, fixtureErr = edits.NewFieldChecker(tables)
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return dict, tables, form, checker
}

func TestAbstractFormHasTheCoreItems(t *testing.T) {
	_, _, f, _ := fixture(t)
	if f.Name != "abstract" || f.RecordType != "A" || f.Title == "" {
		t.Errorf("form %q record type %q title %q", f.Name, f.RecordType, f.Title)
	}
	core := []string{
		"nameLast", "nameFirst", "dateOfBirth", "sexAssignedAtBirth", "race1", "medicalRecordNumber",
		"dateOfDiagnosis", "primarySite", "laterality", "histologicTypeIcdO3", "behaviorCodeIcdO3", "grade",
		"diagnosticConfirmation", "classOfCase", "dateOfLastContact", "vitalStatus",
	}
	for _, id := range core {
		fl, ok := f.Field(id)
		if !ok {
			t.Errorf("form lacks %s", id)
			continue
		}
		if fl.Def == nil || fl.Def.ID != id || fl.Label == "" || fl.Help == "" {
			t.Errorf("field %s = %+v, want its definition, a label and help", id, fl)
		}
	}
	if _, ok := f.Field("registryId"); ok {
		t.Error("form has the file-level item registryId")
	}
}

func TestAbstractFormSectionsKeepTheFileOrder(t *testing.T) {
	_, _, f, _ := fixture(t)
	var ids []string
	for _, s := range f.Sections {
		ids = append(ids, s.ID)
	}
	want := "patient,identification,diagnosis,stage,site-specific,surgery,radiation,systemic,followup,text,admin,overrides"
	if got := strings.Join(ids, ","); got != want {
		t.Errorf("sections %s", got)
	}
	s, ok := f.Section("diagnosis")
	if !ok || s.Title != "Cancer identification" || len(s.Fields) == 0 || s.Fields[0].Def.ID != "dateOfDiagnosis" {
		t.Errorf("Section(diagnosis) = %+v, %v", s, ok)
	}
	if _, ok := f.Section("nope"); ok {
		t.Error("Section(nope) found a section")
	}
	if _, ok := f.Field("censusTract2020"); ok {
		t.Error("Field(censusTract2020) found a field the form does not place")
	}
	if s, ok := f.SectionOf("textRemarks"); !ok || s.ID != "text" {
		t.Errorf("SectionOf(textRemarks) = %v, %v; want the text section", s, ok)
	}
	if s, ok := f.SectionOf("censusTract2020"); ok {
		t.Errorf("SectionOf(censusTract2020) = %s, want none", s.ID)
	}
}

// TestAbstractFormCoversRecordTypeA makes every item of the dictionary's record type A a decision:
// placed on the form, or listed under notOnForm in the form file with a reason. A new dictionary
// item fails this test until the form file places it or says why it does not.
func TestAbstractFormCoversRecordTypeA(t *testing.T) {
	d, _, f, _ := fixture(t)
	placed, left := 0, 0
	for _, it := range d.Items {
		if !it.InRecordType("A") {
			continue
		}
		_, onForm := f.Field(it.ID)
		reason, listed := f.NotOnForm(it.ID)
		switch {
		case onForm:
			placed++
		case listed && reason != "":
			left++
		default:
			t.Errorf("item %s [%d] %q is neither on the form nor under notOnForm in forms/abstract.yaml", it.ID, it.Number, it.Name)
		}
	}
	if placed < 450 {
		t.Errorf("only %d items placed on the form", placed)
	}
	t.Logf("record type A: %d items on the form, %d left out with a reason", placed, left)
	for _, id := range []string{"registryId", "censusTract2020", "derivedEod2018T", "pathReportNumber1", "csExtension"} {
		if _, ok := f.NotOnForm(id); !ok {
			t.Errorf("%s is not listed as left out", id)
		}
	}
}

// derivedItems are the items cara derives on save (abstract.Derive): the only read-only fields.
var derivedItems = map[string]bool{
	"ageAtDiagnosis": true, "schemaId": true, "schemaIdVersionCurrent": true, "schemaIdVersionOriginal": true,
	"derivedSummaryStage2018": true, "derivedSummaryGrade2018": true, "derivedRaiStage": true,
}

// TestAbstractFormLayout checks the placement registrars expect: text items are text areas in the
// Text section, large sections are split, the derived items are the only read-only ones, and the
// items every abstract needs are required.
func TestAbstractFormLayout(t *testing.T) {
	_, _, f, _ := fixture(t)
	for _, s := range f.Sections {
		// A schema section shows only the few fields of the case's schema out of its pool.
		if len(s.Fields) > 65 && !s.Schema {
			t.Errorf("section %s has %d fields; split it", s.ID, len(s.Fields))
		}
		for _, fl := range s.Fields {
			if fl.Derived != derivedItems[fl.Def.ID] {
				t.Errorf("%s: derived %v", fl.Def.ID, fl.Derived)
			}
			isText := strings.HasPrefix(fl.Def.ID, "text") || strings.HasPrefix(fl.Def.ID, "rxText")
			if isText && (s.ID != "text" || fl.Widget != abstract.WidgetTextArea) {
				t.Errorf("%s in section %s with widget %s; want a textarea in text", fl.Def.ID, s.ID, fl.Widget)
			}
		}
	}
	for item, section := range map[string]string{
		"addrAtDxState": "patient", "race5": "patient", "dateOf1stContact": "identification",
		"ambiguousTerminologyDx": "diagnosis", "summaryStage2018": "stage", "eodMets": "site-specific",
		"estrogenReceptorSummary": "site-specific", "psaLabValue": "site-specific", "breslowTumorThickness": "site-specific",
		"gradeClinical": "site-specific", "schemaDiscriminator1": "site-specific", "inrgss": "stage", "derivedSummaryStage2018": "site-specific",
		"schemaIdVersionCurrent": "diagnosis", "grade": "diagnosis",
		"rxSummSurgPrimSite2023": "surgery", "phase1TotalDose": "radiation", "rxSummChemo": "systemic",
		"recurrenceType1st": "followup", "textRemarks": "text", "abstractedBy": "admin", "overRideTnmStage": "overrides",
	} {
		if s, ok := f.SectionOf(item); !ok || s.ID != section {
			t.Errorf("%s in section %v, want %s", item, s, section)
		}
	}
	for _, id := range []string{"summaryStage2018", "dateOf1stContact", "abstractedBy", "rxSummTreatmentStatus"} {
		if fl, ok := f.Field(id); !ok || !fl.Required {
			t.Errorf("%s is not required", id)
		}
	}
	for _, id := range []string{"race2", "eodPrimaryTumor", "textRemarks", "rxSummSurgPrimSite"} {
		if fl, ok := f.Field(id); !ok || fl.Required {
			t.Errorf("%s is required or missing (%v)", id, ok)
		}
	}
}

func TestAbstractFormFieldsGetWidgetCodesAndRequired(t *testing.T) {
	_, _, f, _ := fixture(t)
	tests := []struct {
		item     string
		widget   abstract.Widget
		list     string // "" when the field has no code list
		required bool
		label    string
	}{
		{item: "laterality", widget: abstract.WidgetSelect, list: "laterality", required: true, label: "Laterality"},
		{item: "race1", widget: abstract.WidgetSelect, list: "race", required: true, label: "Race 1"},
		{item: "primarySite", widget: abstract.WidgetCode, list: codes.SchemeTopography, required: true, label: "Primary Site"},
		{item: "histologicTypeIcdO3", widget: abstract.WidgetCode, list: codes.SchemeHistology, required: true, label: "Histologic Type ICD-O-3"},
		{item: "dateOfDiagnosis", widget: abstract.WidgetDate, required: true, label: "Date of Diagnosis"},
		{item: "dateOfBirth", widget: abstract.WidgetDate, required: true, label: "Date of Birth"},
		{item: "nameLast", widget: abstract.WidgetText, required: true, label: "Name--Last"},
		{item: "nameMiddle", widget: abstract.WidgetText, required: false, label: "Name--Middle"},
		{item: "grade", widget: abstract.WidgetSelect, list: "grade", required: false, label: "Grade"},
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			fl, ok := f.Field(tt.item)
			if !ok {
				t.Fatalf("no field %s", tt.item)
			}
			if fl.Widget != tt.widget || fl.Required != tt.required || fl.Label != tt.label {
				t.Errorf("widget %s required %v label %q; want %s, %v, %q", fl.Widget, fl.Required, fl.Label, tt.widget, tt.required, tt.label)
			}
			switch {
			case tt.list == "" && fl.Codes != nil:
				t.Errorf("codes %s, want none", fl.Codes.Name)
			case tt.list != "" && (fl.Codes == nil || fl.Codes.Name != tt.list):
				t.Errorf("codes %v, want %s", fl.Codes, tt.list)
			}
		})
	}
}

const formHead = "form: test\ntitle: Test\nrecordType: A\nsections:\n"

func TestLoadFormChoosesWidgetsAndHonoursANamedOne(t *testing.T) {
	d, tb, _, _ := fixture(t)
	fsys := fstest.MapFS{"forms/test.yaml": {Data: []byte(formHead + `
  - id: s
    title: S
    fields:
      - item: textDxProcPe
      - item: nameLast
        widget: textarea
        label: Surname
      - item: laterality
        widget: text
`)}}
	f, err := abstract.LoadForm(fsys, "test", d, tb)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		item   string
		widget abstract.Widget
		label  string
	}{
		{"textDxProcPe", abstract.WidgetTextArea, "Text--DX Proc--PE"},
		{"nameLast", abstract.WidgetTextArea, "Surname"},
		{"laterality", abstract.WidgetText, "Laterality"},
	}
	for _, tt := range tests {
		fl, ok := f.Field(tt.item)
		if !ok || fl.Widget != tt.widget || fl.Label != tt.label {
			t.Errorf("%s = %+v, %v; want widget %s label %q", tt.item, fl, ok, tt.widget, tt.label)
		}
	}
	if fl, _ := f.Field("laterality"); fl.Codes == nil {
		t.Error("a named widget dropped the item's code list")
	}
}

func TestLoadFormRejectsBadForms(t *testing.T) {
	d, tb, _, _ := fixture(t)
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
	}{
		{
			name:    "unknown item",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: nameLastt\n",
			wantErr: []string{`item "nameLastt" is not in dictionary`, "section s"},
		},
		{
			name:    "item placed twice",
			yaml:    formHead + "  - id: a\n    fields:\n      - item: nameLast\n  - id: b\n    fields:\n      - item: nameLast\n",
			wantErr: []string{`item "nameLast" is placed twice`},
		},
		{
			name:    "unknown widget",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: laterality\n        widget: radio\n",
			wantErr: []string{`item "laterality"`, `unknown widget "radio"`},
		},
		{
			name:    "file-level item",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: registryId\n",
			wantErr: []string{`item "registryId" is a file-level item`},
		},
		{
			name:    "item outside the record type",
			yaml:    "form: test\nrecordType: I\nsections:\n  - id: s\n    fields:\n      - item: nameLast\n",
			wantErr: []string{`item "nameLast" is not part of record type I`},
		},
		{
			name:    "repeated section",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: nameLast\n  - id: s\n    fields:\n      - item: nameFirst\n",
			wantErr: []string{`section id "s" is empty or repeated`},
		},
		{
			name:    "section without id",
			yaml:    formHead + "  - title: Nameless\n    fields:\n      - item: nameLast\n",
			wantErr: []string{`section id "" is empty or repeated`},
		},
		{
			name:    "no sections",
			yaml:    "form: test\ntitle: Test\n",
			wantErr: []string{"no sections"},
		},
		{
			name:    "left-out item unknown",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: nameLast\nnotOnForm:\n  - reason: r\n    items: [censusTractt]\n",
			wantErr: []string{`notOnForm: item "censusTractt" is not in dictionary`},
		},
		{
			name:    "left-out item also placed",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: nameLast\nnotOnForm:\n  - reason: r\n    items: [nameLast]\n",
			wantErr: []string{`item "nameLast" is placed on the form and listed under notOnForm`},
		},
		{
			name:    "left-out item listed twice",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: nameLast\nnotOnForm:\n  - reason: r\n    items: [latitude]\n  - reason: q\n    items: [latitude]\n",
			wantErr: []string{`notOnForm: item "latitude" is listed twice`},
		},
		{
			name:    "left out without a reason",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: nameLast\nnotOnForm:\n  - items: [latitude]\n",
			wantErr: []string{"notOnForm group 1 has no reason"},
		},
		{
			name:    "misspelt key",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: nameLast\n        requird: true\n",
			wantErr: []string{"forms/test.yaml", "requird"},
		}, {
			name:    "re-abstraction item not on the form",
			yaml:    formHead + "  - id: s\n    fields:\n      - item: nameLast\nreabstraction: [primarySite]\n",
			wantErr: []string{"forms/test.yaml", "reabstraction", "primarySite", "not on the form"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"forms/test.yaml": {Data: []byte(tt.yaml)}}
			f, err := abstract.LoadForm(fsys, "test", d, tb)
			if err == nil {
				t.Fatalf("LoadForm succeeded: %+v", f)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadFormFailsForAMissingFile(t *testing.T) {
	d, tb, _, _ := fixture(t)
	_, err := abstract.LoadForm(fstest.MapFS{}, "absent", d, tb)
	if err == nil || !strings.Contains(err.Error(), "absent") {
		t.Fatalf("err = %v, want an error naming the form", err)
	}
}

func TestReabstractionItemsAreOnTheForm(t *testing.T) {
	_, _, f, _ := fixture(t)
	if len(f.Reabstraction) < 5 {
		t.Fatalf("the form lists %d re-abstraction items, want the default set", len(f.Reabstraction))
	}
	for _, id := range f.Reabstraction {
		if _, ok := f.Field(id); !ok {
			t.Errorf("re-abstraction item %q is not on the form", id)
		}
	}
}
