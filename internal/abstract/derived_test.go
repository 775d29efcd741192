package abstract_test

import (
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/naaccr"
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
	selectorOnce sync.Once
	selector     *abstract.SchemaSelector
	selectorErr  error
)

func loadSelector(t *testing.T) *abstract.SchemaSelector {
	t.Helper()
	selectorOnce.Do(func() { selector, selectorErr = abstract.LoadSchemaSelector(os.DirFS("../../schemas")) })
	if selectorErr != nil {
		t.Fatal(selectorErr)
	}
	return selector
}

func TestSchemaSelectorPicksTheEODSchema(t *testing.T) {
	sel := loadSelector(t)
	tests := []struct {
		name  string
		in    abstract.SchemaInput
		want  string
		needs []string
	}{
		{"breast", abstract.SchemaInput{Site: "C509", Histology: "8500", Behavior: "3", YearOfDiagnosis: "2024"}, "00480", nil},
		{"breast, behavior and year blank", abstract.SchemaInput{Site: "C504", Histology: "8520"}, "00480", nil},
		{"melanoma of the nipple is skin, not breast", abstract.SchemaInput{Site: "C500", Histology: "8720", YearOfDiagnosis: "2024"}, "00470", nil},
		{"prostate", abstract.SchemaInput{Site: "C619", Histology: "8140", Behavior: "3", YearOfDiagnosis: "2023"}, "00580", nil},
		{"lung 2018-2024", abstract.SchemaInput{Site: "C341", Histology: "8070", YearOfDiagnosis: "2024"}, "00360", nil},
		{"lung version 9 from 2025", abstract.SchemaInput{Site: "C341", Histology: "8070", YearOfDiagnosis: "2025"}, "09360", nil},
		{"lung, year unknown: the current version", abstract.SchemaInput{Site: "C341", Histology: "8070"}, "09360", nil},
		{"lung before 2018 has no EOD schema", abstract.SchemaInput{Site: "C341", Histology: "8070", YearOfDiagnosis: "2017"}, "", nil},
		{"leukemia in the bone marrow", abstract.SchemaInput{Site: "C421", Histology: "9861", Behavior: "3", YearOfDiagnosis: "2024"}, "00830", nil},
		{"leukemia, behavior blank outside the CNS", abstract.SchemaInput{Site: "C421", Histology: "9861", YearOfDiagnosis: "2024"}, "00830", nil},
		{"9861 in the brain, malignant", abstract.SchemaInput{Site: "C710", Histology: "9861", Behavior: "3", YearOfDiagnosis: "2024"}, "00830", nil},
		{"9861 in the brain, benign", abstract.SchemaInput{Site: "C710", Histology: "9861", Behavior: "1", YearOfDiagnosis: "2024"}, "09721", nil},
		{"9861 in the brain needs behavior", abstract.SchemaInput{Site: "C710", Histology: "9861", YearOfDiagnosis: "2024"}, "", []string{"behaviorCodeIcdO3"}},
		{"cardia needs discriminator 1", abstract.SchemaInput{Site: "C160", Histology: "8140", Behavior: "3", YearOfDiagnosis: "2024"}, "", []string{"schemaDiscriminator1"}},
		{"cardia, discriminator 0: stomach", abstract.SchemaInput{Site: "C160", Histology: "8140", YearOfDiagnosis: "2024", Discriminator1: "0"}, "00170", nil},
		{"cardia, discriminator 2: esophagus and EGJ", abstract.SchemaInput{Site: "C160", Histology: "8140", YearOfDiagnosis: "2024", Discriminator1: "2"}, "00169", nil},
		{"cardia, squamous, discriminator 2", abstract.SchemaInput{Site: "C160", Histology: "8070", Discriminator1: "2"}, "00161", nil},
		{"cardia, squamous, discriminator 0: stomach", abstract.SchemaInput{Site: "C160", Histology: "8070", Discriminator1: "0"}, "00170", nil},
		{"fundus needs no discriminator", abstract.SchemaInput{Site: "C161", Histology: "8140"}, "00170", nil},
		{"8020 of the cardia needs both discriminators", abstract.SchemaInput{Site: "C160", Histology: "8020"}, "", []string{"schemaDiscriminator1", "schemaDiscriminator2"}},
		{"8020 of the cardia, EGJ, squamous", abstract.SchemaInput{Site: "C160", Histology: "8020", Discriminator1: "2", Discriminator2: "1"}, "00161", nil},
		{"8020 of the cardia, stomach", abstract.SchemaInput{Site: "C160", Histology: "8020", Discriminator1: "0"}, "00170", nil},
		{"bile duct, distal", abstract.SchemaInput{Site: "C240", Histology: "8140", Discriminator1: "4"}, "00260", nil},
		{"bile duct, cystic duct", abstract.SchemaInput{Site: "C240", Histology: "8140", Discriminator1: "3"}, "00242", nil},
		{"bile duct, perihilar", abstract.SchemaInput{Site: "C240", Histology: "8140", Discriminator1: "9"}, "00250", nil},
		{"peritoneum needs sex at birth", abstract.SchemaInput{Site: "C481", Histology: "8441"}, "", []string{"sexAssignedAtBirth"}},
		{"peritoneum, female", abstract.SchemaInput{Site: "C481", Histology: "8441", SexAtBirth: "2"}, "00552", nil},
		{"peritoneum, male", abstract.SchemaInput{Site: "C481", Histology: "8441", SexAtBirth: "1"}, "00440", nil},
		{"unknown primary", abstract.SchemaInput{Site: "C809", Histology: "8000", YearOfDiagnosis: "2024"}, "99999", nil},
		{"histology outside every table", abstract.SchemaInput{Site: "C509", Histology: "9999"}, "", nil},
		{"three-digit histology matches no range", abstract.SchemaInput{Site: "C509", Histology: "850"}, "", nil},
		{"site blank", abstract.SchemaInput{Histology: "8500"}, "", []string{"primarySite"}},
		// Codes inside a table's range that are not ICD-O-3 codes get no schema, as in SEER's
		// staging library.
		{"lymphoma of C156, which is not a topography code", abstract.SchemaInput{Site: "C156", Histology: "9590", Behavior: "3", YearOfDiagnosis: "2024"}, "", nil},
		{"leukemia of C007, which is not a topography code", abstract.SchemaInput{Site: "C007", Histology: "9861", Behavior: "3", YearOfDiagnosis: "2024"}, "", nil},
		{"lymphoma of C779, which is", abstract.SchemaInput{Site: "C779", Histology: "9590", Behavior: "3", YearOfDiagnosis: "2024"}, "00790", nil},
		{"site C810 is past C809", abstract.SchemaInput{Site: "C810", Histology: "8000", YearOfDiagnosis: "2024"}, "", nil},
		{"site in lower case", abstract.SchemaInput{Site: "c509", Histology: "8500", Behavior: "3", YearOfDiagnosis: "2024"}, "", nil},
		{"site with a letter for a digit", abstract.SchemaInput{Site: "C50A", Histology: "8500", Behavior: "3", YearOfDiagnosis: "2024"}, "", nil},
		{"histology 8567 is not a morphology code", abstract.SchemaInput{Site: "C509", Histology: "8567", Behavior: "3", YearOfDiagnosis: "2024"}, "", nil},
		{"histology with a letter", abstract.SchemaInput{Site: "C509", Histology: "85A0", Behavior: "3", YearOfDiagnosis: "2024"}, "", nil},
		{"invalid codes need nothing else", abstract.SchemaInput{Site: "C156", Histology: "8140"}, "", nil},
		{"a histology of SEER's additions is valid", abstract.SchemaInput{Site: "C421", Histology: "9597", Behavior: "3", YearOfDiagnosis: "2024"}, "00790", nil},
		{"site and histology blank", abstract.SchemaInput{}, "", []string{"primarySite", "histologicTypeIcdO3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, needs := sel.Select(tt.in)
			if got != tt.want || !slices.Equal(needs, tt.needs) {
				t.Errorf("Select(%+v) = %q, %v; want %q, %v", tt.in, got, needs, tt.want, tt.needs)
			}
		})
	}
	for id, name := range map[string]string{"00480": "Breast", "00580": "Prostate", "00170": "Stomach", "": ""} {
		if got := sel.Name(id); got != name {
			t.Errorf("Name(%q) = %q, want %q", id, got, name)
		}
	}
}

func TestSchemaInputOfReadsTheItems(t *testing.T) {
	patient := map[string]string{"sexAssignedAtBirth": "2", "dateOfBirth": "19600315"}
	tumor := map[string]string{
		"primarySite": "C160", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3",
		"dateOfDiagnosis": "202503", "schemaDiscriminator1": " 2 ", "schemaDiscriminator2": "9",
	}
	want := abstract.SchemaInput{Site: "C160", Histology: "8140", Behavior: "3", YearOfDiagnosis: "2025", SexAtBirth: "2", Discriminator1: "2", Discriminator2: "9"}
	if got := abstract.SchemaInputOf(patient, tumor); got != want {
		t.Errorf("SchemaInputOf = %+v, want %+v", got, want)
	}
	tumor["dateOfDiagnosis"] = "20250230"
	if got := abstract.SchemaInputOf(patient, tumor); got.YearOfDiagnosis != "" {
		t.Errorf("year of an invalid date = %q, want blank", got.YearOfDiagnosis)
	}
}

func TestDeriveComputesEveryDerivedItem(t *testing.T) {
	sel := loadSelector(t)
	tests := []struct {
		name           string
		patient, tumor map[string]string
		sel            *abstract.SchemaSelector
		want           map[string]string
	}{
		{
			name:    "complete breast case",
			patient: map[string]string{"dateOfBirth": "19600315", "sexAssignedAtBirth": "2"},
			tumor:   map[string]string{"dateOfDiagnosis": "20250314", "primarySite": "C509", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3"},
			sel:     sel,
			want:    map[string]string{"ageAtDiagnosis": "064", "schemaId": "00480"},
		},
		{
			name:    "schema waiting for its discriminator",
			patient: map[string]string{"dateOfBirth": "1950"},
			tumor:   map[string]string{"dateOfDiagnosis": "2024", "primarySite": "C160", "histologicTypeIcdO3": "8140"},
			sel:     sel,
			want:    map[string]string{"ageAtDiagnosis": "074", "schemaId": ""},
		},
		{
			name:    "new case with nothing yet",
			patient: map[string]string{},
			tumor:   map[string]string{},
			sel:     sel,
			want:    map[string]string{"ageAtDiagnosis": "999", "schemaId": ""},
		},
		{
			name:    "no selector: age only",
			patient: map[string]string{"dateOfBirth": "19600315"},
			tumor:   map[string]string{"dateOfDiagnosis": "20250315", "primarySite": "C509", "histologicTypeIcdO3": "8500"},
			want:    map[string]string{"ageAtDiagnosis": "065"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := abstract.Derive(tt.patient, tt.tumor, tt.sel); !maps.Equal(got, tt.want) {
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

func TestLoadSchemaSelectorRejectsBrokenFiles(t *testing.T) {
	const header = "schema_id,schema,name,site,histology,behavior,year_dx,sex_at_birth,discriminator_1,discriminator_2\n"
	tests := []struct {
		name    string
		data    string // "" leaves the file out
		wantErr string
	}{
		{"missing file", "", "eod-schema-selection.csv"},
		{"wrong header", strings.Replace(header, "schema_id", "id", 1) + "00480,breast,Breast,C500,8000,*,*,*,*,*\n", `column 1 is "id"`},
		{"short record", header + "00480,breast,Breast,C500\n", "eod-schema-selection.csv"},
		{"schema id of four digits", header + "0480,breast,Breast,C500,8000,*,*,*,*,*\n", `schema id "0480"`},
		{"reversed range", header + "00480,breast,Breast,C509-C500,8000,*,*,*,*,*\n", `bad range "C509-C500"`},
		{"range of unequal lengths", header + "00480,breast,Breast,C500,800-8000,*,*,*,*,*\n", "histology"},
		{"no rows", header, "no rows"},
		{"no ICD-O-3 codes to check against", header + "00480,breast,Breast,C500,8000,*,*,*,*,*\n", "icdo3-topography.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			if tt.data != "" {
				fsys[abstract.SchemaSelectionFile] = &fstest.MapFile{Data: []byte(tt.data)}
			}
			_, err := abstract.LoadSchemaSelector(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadSchemaSelector = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
