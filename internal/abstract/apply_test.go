package abstract_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
)

// allFields lists every field of the form, in order.
func allFields(f *abstract.Form) []*abstract.Field {
	var out []*abstract.Field
	for _, s := range f.Sections {
		out = append(out, s.Fields...)
	}
	return out
}

func TestNormalizeTrimsAndUpperCasesTypedCodesOnly(t *testing.T) {
	_, _, f, _ := fixture(t)
	tests := []struct {
		item, raw, want string
	}{
		{"primarySite", "c509 ", "C509"},
		{"primarySite", "  C509", "C509"},
		{"histologicTypeIcdO3", " 8500\t", "8500"},
		{"nameLast", "  o'brien  ", "o'brien"},
		{"dateOfDiagnosis", " 20250315\n", "20250315"},
		{"laterality", " 1 ", "1"},
		{"nameFirst", "   ", ""},
		{"textRemarks", "line one\r\nline two\r\n", "line one\nline two"}, // a browser's text area sends CR LF
	}
	for _, tt := range tests {
		t.Run(tt.item+"/"+tt.raw, func(t *testing.T) {
			fl, ok := f.Field(tt.item)
			if !ok {
				t.Fatalf("no field %s", tt.item)
			}
			if got := abstract.Normalize(fl, tt.raw); got != tt.want {
				t.Errorf("Normalize(%s, %q) = %q, want %q", tt.item, tt.raw, got, tt.want)
			}
		})
	}
}

func TestApplyWritesEachItemAtItsLevel(t *testing.T) {
	_, _, f, fc := fixture(t)
	patient := map[string]string{"nameLast": "Old", "nameMiddle": "Q", "patientIdNumber": "00000001"}
	tumor := map[string]string{"primarySite": "C500", "grade": "2", "medicalRecordNumber": "MRN1"}
	errs := abstract.Apply(allFields(f), map[string]string{
		"nameLast":        " Doe ",
		"nameMiddle":      "",      // blank removes the item
		"grade":           "  ",    // blank after trimming removes it too
		"primarySite":     "c509 ", // typed code, normalized
		"laterality":      "2",
		"dateOfDiagnosis": "202503",
		"race1":           "01",
		"registryId":      "0000001234", // not on the form: ignored
	}, fc, patient, tumor)
	if errs != nil {
		t.Fatalf("Apply = %v, want no errors", errs)
	}
	wantPatient := map[string]string{"nameLast": "Doe", "race1": "01", "patientIdNumber": "00000001"}
	wantTumor := map[string]string{"primarySite": "C509", "laterality": "2", "dateOfDiagnosis": "202503", "medicalRecordNumber": "MRN1"}
	if !maps.Equal(patient, wantPatient) {
		t.Errorf("patient = %v, want %v", patient, wantPatient)
	}
	if !maps.Equal(tumor, wantTumor) {
		t.Errorf("tumor = %v, want %v", tumor, wantTumor)
	}
}

func TestApplyChangesNothingWhenOneValueIsInvalid(t *testing.T) {
	_, _, f, fc := fixture(t)
	tests := []struct {
		name    string
		values  map[string]string
		badItem string
		msg     string
	}{
		{
			name:    "code not in the list",
			values:  map[string]string{"nameLast": "Doe", "primarySite": "C509", "laterality": "7"},
			badItem: "laterality", msg: "Laterality [410]",
		},
		{
			name:    "impossible date",
			values:  map[string]string{"nameLast": "Doe", "nameMiddle": "", "dateOfDiagnosis": "20250230"},
			badItem: "dateOfDiagnosis", msg: "Date of Diagnosis [390]",
		},
		{
			name:    "patient-level item too long",
			values:  map[string]string{"nameLast": strings.Repeat("X", 41), "primarySite": "C509", "grade": ""},
			badItem: "nameLast", msg: "Name--Last [2230]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patient := map[string]string{"nameLast": "Old", "nameMiddle": "Q"}
			tumor := map[string]string{"primarySite": "C500", "grade": "2", "laterality": "1"}
			beforeP, beforeT := maps.Clone(patient), maps.Clone(tumor)
			errs := abstract.Apply(allFields(f), tt.values, fc, patient, tumor)
			if len(errs) != 1 || !strings.Contains(errs[tt.badItem], tt.msg) {
				t.Errorf("errors = %v, want only %s with a message naming %q", errs, tt.badItem, tt.msg)
			}
			if !maps.Equal(patient, beforeP) || !maps.Equal(tumor, beforeT) {
				t.Errorf("maps changed despite an error: patient %v tumor %v", patient, tumor)
			}
		})
	}
}

func TestApplyReportsEveryInvalidField(t *testing.T) {
	_, _, f, fc := fixture(t)
	errs := abstract.Apply(allFields(f), map[string]string{
		"laterality": "7", "race1": "1", "primarySite": "C999", "nameLast": "Doe",
	}, fc, map[string]string{}, map[string]string{})
	for _, item := range []string{"laterality", "race1", "primarySite"} {
		if errs[item] == "" {
			t.Errorf("no error for %s; errors %v", item, errs)
		}
	}
	if len(errs) != 3 {
		t.Errorf("errors = %v, want exactly the three invalid items", errs)
	}
}
