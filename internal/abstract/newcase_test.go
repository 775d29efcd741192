package abstract_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/naaccr"
)

func TestNewCaseStepsAskForTheCoreItems(t *testing.T) {
	_, _, form, _ := fixture(t)
	nc, err := abstract.LoadNewCase(os.DirFS("../../schemas"), form)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(fs []*abstract.Field) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Def.ID)
		}
		return out
	}
	patient, tumor := strings.Join(ids(nc.Patient), " "), strings.Join(ids(nc.Tumor), " ")
	for _, id := range []string{"nameLast", "nameFirst", "dateOfBirth", "sexAssignedAtBirth", "race1"} {
		if !strings.Contains(patient, id) {
			t.Errorf("patient step %q lacks %s", patient, id)
		}
	}
	for _, id := range []string{"medicalRecordNumber", "sequenceNumberHospital", "dateOfDiagnosis", "primarySite"} {
		if !strings.Contains(tumor, id) {
			t.Errorf("tumor step %q lacks %s", tumor, id)
		}
	}
	for _, f := range nc.Tumor {
		if f.Def.Parent != naaccr.ParentTumor {
			t.Errorf("tumor step item %s is a %s item", f.Def.ID, f.Def.Parent)
		}
	}
	if !nc.PatientRequired("nameLast") || !nc.PatientRequired("dateOfBirth") || !nc.TumorRequired("dateOfDiagnosis") {
		t.Errorf("last name, birth date and diagnosis date must be required: %v", nc.Required)
	}
	if nc.PatientRequired("race1") {
		t.Errorf("race1 must not be required to start a case")
	}
}

func TestLoadNewCaseRejectsItemsNotOnTheForm(t *testing.T) {
	_, _, form, _ := fixture(t)
	for _, tt := range []struct{ name, file, want string }{
		{"unknown item", "patient:\n  - item: nameLast\ntumor:\n  - item: noSuchItem\n", "not on form"},
		{"empty step", "patient:\n  - item: nameLast\n", "no items"},
		{"unknown key", "patient:\n  - item: nameLast\n    label: x\ntumor:\n  - item: primarySite\n", "label"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := abstract.LoadNewCase(fstest.MapFS{abstract.NewCaseFile: {Data: []byte(tt.file)}}, form)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one that says %q", err, tt.want)
			}
		})
	}
}

func TestNextSequenceNumber(t *testing.T) {
	for _, tt := range []struct {
		name     string
		existing []string
		want     string
		renumber bool
	}{
		{"first tumor", nil, "00", false},
		{"second after the only one", []string{"00"}, "02", true},
		{"third", []string{"01", "02"}, "03", false},
		{"00 left beside later ones", []string{"00", "02"}, "03", true},
		{"gaps: one past the highest", []string{"01", "04"}, "05", false},
		{"non-malignant series ignored", []string{"60", "61"}, "00", false},
		{"malignant after non-malignant", []string{"60", "00"}, "02", true},
		{"unknown and junk ignored", []string{"99", "", "x", "7"}, "00", false},
		{"series full", []string{"59"}, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, renumber := abstract.NextSequenceNumber(tt.existing)
			if got != tt.want || renumber != tt.renumber {
				t.Errorf("NextSequenceNumber(%q) = %q, %v; want %q, %v", tt.existing, got, renumber, tt.want, tt.renumber)
			}
		})
	}
}
