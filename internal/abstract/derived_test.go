package abstract_test

import (
	"maps"
	"os"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

func TestAgeAtDiagnosisCountsCompletedYears(t *testing.T) {
	tests := []struct {
		name       string
		birth, dx  string
		want       string
		wantReason string
	}{
		{"day before the birthday", "19600315", "20250314", "064", ""},
		{"on the birthday", "19600315", "20250315", "065", ""},
		{"day after the birthday", "19600315", "20250316", "065", ""},
		{"month before the birthday", "19600315", "20250220", "064", ""},
		{"month after the birthday", "19600315", "20250401", "065", ""},
		{"under one year", "20250315", "20250320", "000", ""},
		{"eleven months old", "20240315", "20250214", "000", ""},
		{"born on 29 February, day before", "20000229", "20010228", "000", ""},
		{"born on 29 February, 1 March", "20000229", "20010301", "001", ""},
		{"oldest age the item codes", "19040101", "20240101", "120", ""},
		{"blanks around the dates", " 19600315 ", "20250316\n", "065", ""},

		// partial dates: compared on the known parts, else the year difference
		{"diagnosis month known, day unknown, month before", "19600315", "202502", "064", ""},
		{"diagnosis month known, day unknown, same month", "19600315", "202503", "065", ""},
		{"birth day unknown, same month", "196003", "20250301", "065", ""},
		{"birth day unknown, month before", "196003", "20250201", "064", ""},
		{"birth month unknown", "1960", "20250101", "065", ""},
		{"diagnosis month unknown", "19601231", "2025", "065", ""},
		{"both years only", "1960", "2025", "065", ""},
		{"year only, same year", "2025", "2025", "000", ""},

		// unknown
		{"", "", "20250101", "999", "birth blank"},
		{"", "19600101", "", "999", "diagnosis blank"},
		{"", "", "", "999", "both blank"},
		{"", "19600230", "20250101", "999", "impossible birth date"},
		{"", "19600101", "2025013", "999", "seven digits"},
		{"", "99999999", "20250101", "999", "all nines"},
		{"", "196O0101", "20250101", "999", "a letter"},
		{"", "20250316", "20250315", "999", "diagnosis before birth"},
		{"", "2026", "2025", "999", "diagnosis year before birth year"},
		{"", "18900101", "20250101", "999", "older than 120"},
	}
	for _, tt := range tests {
		name := tt.name
		if name == "" {
			name = tt.wantReason
		}
		t.Run(name, func(t *testing.T) {
			if got := abstract.AgeAtDiagnosis(tt.birth, tt.dx); got != tt.want {
				t.Errorf("AgeAtDiagnosis(%q, %q) = %q, want %q", tt.birth, tt.dx, got, tt.want)
			}
		})
	}
}

var (
	stagingOnce sync.Once
	stagingData *staging.DataSet
	stagingErr  error
)

func loadStaging(t *testing.T) *staging.DataSet {
	t.Helper()
	stagingOnce.Do(func() { stagingData, stagingErr = staging.Load(os.DirFS("../../schemas")) })
	if stagingErr != nil {
		t.Fatal(stagingErr)
	}
	return stagingData
}

func TestDeriveComputesEveryDerivedItem(t *testing.T) {
	st := loadStaging(t)
	tests := []struct {
		name           string
		patient, tumor map[string]string
		st             *staging.DataSet
		want           map[string]string
	}{
		{
			name:    "complete breast case",
			patient: map[string]string{"dateOfBirth": "19600315", "sexAssignedAtBirth": "2"},
			tumor:   map[string]string{"dateOfDiagnosis": "20250314", "primarySite": "C509", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3"},
			st:      st,
			want: map[string]string{"ageAtDiagnosis": "064", "schemaId": "00480", "derivedSummaryStage2018": "9", "derivedSummaryGrade2018": "9",
				"derivedRaiStage": "", "schemaIdVersionCurrent": "3.3", "schemaIdVersionOriginal": "3.3"},
		},
		{
			name:    "schema waiting for its discriminator",
			patient: map[string]string{"dateOfBirth": "1950"},
			tumor:   map[string]string{"dateOfDiagnosis": "2024", "primarySite": "C160", "histologicTypeIcdO3": "8140"},
			st:      st,
			want:    noSchema("074"),
		},
		{
			name:    "new case with nothing yet",
			patient: map[string]string{},
			tumor:   map[string]string{},
			st:      st,
			want:    noSchema("999"),
		},
		{
			name:    "no staging data: age only",
			patient: map[string]string{"dateOfBirth": "19600315"},
			tumor:   map[string]string{"dateOfDiagnosis": "20250315", "primarySite": "C509", "histologicTypeIcdO3": "8500"},
			want:    map[string]string{"ageAtDiagnosis": "065"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := abstract.Derive(tt.patient, tt.tumor, tt.st, 2026); !maps.Equal(got, tt.want) {
				t.Errorf("Derive = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDerivedItemsAreV26TumorItemsOfTheirLength(t *testing.T) {
	dict, _, _, _ := fixture(t)
	for id, length := range map[string]int{abstract.ItemAgeAtDiagnosis: 3, abstract.ItemSchemaID: 5} {
		def, ok := dict.Item(id)
		if !ok {
			t.Errorf("%s is not in the v26 dictionary", id)
			continue
		}
		if def.Length != length || def.Parent != naaccr.ParentTumor {
			t.Errorf("%s: length %d parent %q, want %d and Tumor", id, def.Length, def.Parent, length)
		}
	}
}

// noSchema is what Derive returns for a tumor without a schema: the age, and every staged item blank.
func noSchema(age string) map[string]string {
	return map[string]string{"ageAtDiagnosis": age, "schemaId": "", "derivedSummaryStage2018": "", "derivedSummaryGrade2018": "",
		"derivedRaiStage": "", "schemaIdVersionCurrent": ""}
}
