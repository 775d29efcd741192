package staging

import (
	"slices"
	"strings"
	"testing"
)

// TestSelectPicksTheEODSchemaOfARecord reads the selection keys from NAACCR items as a record holds
// them (a whole date of diagnosis) and names what is needed by naaccrId, as the form shows it.
func TestSelectPicksTheEODSchemaOfARecord(t *testing.T) {
	d := eod(t)
	tests := []struct {
		name  string
		items map[string]string
		want  string // Schema ID
		needs []string
	}{
		{"breast", map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "00480", nil},
		{"breast, behavior and year blank", map[string]string{"primarySite": "C504", "histologicTypeIcdO3": "8520"}, "00480", nil},
		{"melanoma of the nipple is skin, not breast", map[string]string{"primarySite": "C500", "histologicTypeIcdO3": "8720", "dateOfDiagnosis": "2024"}, "00470", nil},
		{"prostate", map[string]string{"primarySite": "C619", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2023"}, "00580", nil},
		{"lung 2018-2024", map[string]string{"primarySite": "C341", "histologicTypeIcdO3": "8070", "dateOfDiagnosis": "2024"}, "00360", nil},
		{"lung version 9 from 2025", map[string]string{"primarySite": "C341", "histologicTypeIcdO3": "8070", "dateOfDiagnosis": "2025"}, "09360", nil},
		{"lung, year unknown: the current version", map[string]string{"primarySite": "C341", "histologicTypeIcdO3": "8070"}, "09360", nil},
		{"lung before 2018 has no EOD schema", map[string]string{"primarySite": "C341", "histologicTypeIcdO3": "8070", "dateOfDiagnosis": "2017"}, "", nil},
		{"leukemia in the bone marrow", map[string]string{"primarySite": "C421", "histologicTypeIcdO3": "9861", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "00830", nil},
		{"leukemia, behavior blank outside the CNS", map[string]string{"primarySite": "C421", "histologicTypeIcdO3": "9861", "dateOfDiagnosis": "2024"}, "00830", nil},
		{"9861 in the brain, malignant", map[string]string{"primarySite": "C710", "histologicTypeIcdO3": "9861", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "00830", nil},
		{"9861 in the brain, benign", map[string]string{"primarySite": "C710", "histologicTypeIcdO3": "9861", "behaviorCodeIcdO3": "1", "dateOfDiagnosis": "2024"}, "09721", nil},
		{"9861 in the brain needs behavior", map[string]string{"primarySite": "C710", "histologicTypeIcdO3": "9861", "dateOfDiagnosis": "2024"}, "", []string{"behaviorCodeIcdO3"}},
		{"cardia needs discriminator 1", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "", []string{"schemaDiscriminator1"}},
		{"cardia, discriminator 0: stomach", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8140", "dateOfDiagnosis": "2024", "schemaDiscriminator1": "0"}, "00170", nil},
		{"cardia, discriminator 2: esophagus and EGJ", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8140", "dateOfDiagnosis": "2024", "schemaDiscriminator1": "2"}, "00169", nil},
		{"cardia, squamous, discriminator 2", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8070", "schemaDiscriminator1": "2"}, "00161", nil},
		{"cardia, squamous, discriminator 0: stomach", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8070", "schemaDiscriminator1": "0"}, "00170", nil},
		{"fundus needs no discriminator", map[string]string{"primarySite": "C161", "histologicTypeIcdO3": "8140"}, "00170", nil},
		{"8020 of the cardia needs both discriminators", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8020"}, "", []string{"schemaDiscriminator1", "schemaDiscriminator2"}},
		{"8020 of the cardia, EGJ, squamous", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8020", "schemaDiscriminator1": "2", "schemaDiscriminator2": "1"}, "00161", nil},
		{"8020 of the cardia, stomach", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8020", "schemaDiscriminator1": "0"}, "00170", nil},
		{"bile duct, distal", map[string]string{"primarySite": "C240", "histologicTypeIcdO3": "8140", "schemaDiscriminator1": "4"}, "00260", nil},
		{"bile duct, cystic duct", map[string]string{"primarySite": "C240", "histologicTypeIcdO3": "8140", "schemaDiscriminator1": "3"}, "00242", nil},
		{"bile duct, perihilar", map[string]string{"primarySite": "C240", "histologicTypeIcdO3": "8140", "schemaDiscriminator1": "9"}, "00250", nil},
		{"peritoneum needs sex at birth", map[string]string{"primarySite": "C481", "histologicTypeIcdO3": "8441"}, "", []string{"sexAssignedAtBirth"}},
		{"peritoneum, female", map[string]string{"primarySite": "C481", "histologicTypeIcdO3": "8441", "sexAssignedAtBirth": "2"}, "00552", nil},
		{"peritoneum, male", map[string]string{"primarySite": "C481", "histologicTypeIcdO3": "8441", "sexAssignedAtBirth": "1"}, "00440", nil},
		{"unknown primary", map[string]string{"primarySite": "C809", "histologicTypeIcdO3": "8000", "dateOfDiagnosis": "2024"}, "99999", nil},
		{"histology outside every table", map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "9999"}, "", nil},
		{"three-digit histology matches no range", map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "850"}, "", nil},
		{"site blank", map[string]string{"histologicTypeIcdO3": "8500"}, "", []string{"primarySite"}},
		{"lymphoma of C156, which is not a topography code", map[string]string{"primarySite": "C156", "histologicTypeIcdO3": "9590", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "", nil},
		{"leukemia of C007, which is not a topography code", map[string]string{"primarySite": "C007", "histologicTypeIcdO3": "9861", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "", nil},
		{"lymphoma of C779, which is", map[string]string{"primarySite": "C779", "histologicTypeIcdO3": "9590", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "00790", nil},
		{"site C810 is past C809", map[string]string{"primarySite": "C810", "histologicTypeIcdO3": "8000", "dateOfDiagnosis": "2024"}, "", nil},
		{"site in lower case", map[string]string{"primarySite": "c509", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "", nil},
		{"site with a letter for a digit", map[string]string{"primarySite": "C50A", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "", nil},
		{"histology 8567 is not a morphology code", map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "8567", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "", nil},
		{"histology with a letter", map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "85A0", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "", nil},
		{"invalid codes need nothing else", map[string]string{"primarySite": "C156", "histologicTypeIcdO3": "8140"}, "", nil},
		{"a histology of SEER's additions is valid", map[string]string{"primarySite": "C421", "histologicTypeIcdO3": "9597", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "2024"}, "00790", nil},
		{"site and histology blank", map[string]string{}, "", []string{"primarySite", "histologicTypeIcdO3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := d.Select(d.SelectionValues(func(id string) string { return tt.items[id] }), d.Context(2026))
			got := ""
			if sel.Schema != nil {
				got = schemaIDOf(sel.Schema)
			}
			var needs []string
			for _, k := range sel.Needs {
				needs = append(needs, d.ItemOf(k))
			}
			if got != tt.want || !slices.Equal(needs, tt.needs) {
				t.Errorf("Select(%v) = %q, %v; want %q, %v", tt.items, got, needs, tt.want, tt.needs)
			}
		})
	}
}

func TestDescribeNamesTheItemsOfTheSelection(t *testing.T) {
	d := eod(t)
	name := func(k string) string { return "<" + d.ItemOf(k) + ">" }
	tests := []struct {
		values map[string]string
		want   string
	}{
		{map[string]string{"site": "C504", "hist": "8500"}, "Breast: site C504 and histology 8500 select it"},
		{map[string]string{"site": "C341", "hist": "8140", "year_dx": "2025"}, "8140 with <dateOfDiagnosis> 2025 select it"},
		{map[string]string{"site": "C160", "hist": "8140", "year_dx": "2020"}, "fit Esophagus (including GE junction) (excluding Squamous) or Stomach; <schemaDiscriminator1> decides"},
		{map[string]string{"site": "C507", "hist": "8500"}, `no schema: <primarySite> "C507" is not a valid code`},
		{map[string]string{"site": "C504"}, "no schema yet: <histologicTypeIcdO3> is blank"},
	}
	for _, tt := range tests {
		got := d.Select(tt.values, d.Context(2026)).Describe(tt.values, name)
		if !strings.Contains(got, tt.want) {
			t.Errorf("Describe(%v) = %q, want it to contain %q", tt.values, got, tt.want)
		}
	}
}
