package edits_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
)

// breastLocalized is a breast case the Breast schema's tables stage as localized: C504 8500/3 with
// EOD Primary Tumor 100 (extension_bak), Regional Nodes 000 (nodes_daj) and Mets 00 (mets_hau)
// give Summary Stage 2018 1 (ss2018_breast_69079 maps 100/000/00 to 1).
var breastLocalized = map[string]string{
	"primarySite": "C504", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240105",
	"eodPrimaryTumor": "100", "eodRegionalNodes": "000", "eodMets": "00",
}

func with(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

// stagingResults runs the set on one tumor and keeps the staging edits' results.
func stagingResults(t *testing.T, set *edits.Set, tumor map[string]string) []edits.Result {
	t.Helper()
	res, err := set.NewRunner().Tumor(map[string]string{"sexAssignedAtBirth": "2"}, tumor, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []edits.Result
	for _, r := range res {
		if strings.HasPrefix(r.EditID, "Staging") {
			out = append(out, r)
		}
	}
	return out
}

func TestStagingEdits(t *testing.T) {
	set := loadSet(t)
	tests := []struct {
		name  string
		tumor map[string]string
		// want are the staging edits that fail, in order, with the items each names and words its
		// message must contain; none when nil.
		want []wantResult
	}{
		{name: "valid breast case with its SSDIs", tumor: with(breastLocalized, "her2OverallSummary", "1", "estrogenReceptorSummary", "0", "summaryStage2018", "1")},
		{name: "blank SSDIs are not errors", tumor: with(breastLocalized, "her2OverallSummary", "", "summaryStage2018", "")},
		{
			name:  "HER2 5 is no code of the Breast schema",
			tumor: with(breastLocalized, "her2OverallSummary", "5"),
			want: []wantResult{{edit: "StagingInputNotValid", severity: edits.SeverityError, items: []string{"her2OverallSummary"},
				words: []string{"HER2 Overall Summary [3855]", `"5"`, "schema Breast", "table her2_summary_30512", "0 (HER2 negative", "1 (HER2 positive)", "9 ("}}},
		},
		{
			name:  "a long code list is shortened, consecutive codes as ranges",
			tumor: with(breastLocalized, "tumorSizeClinical", "ABC"),
			want: []wantResult{{edit: "StagingInputNotValid", severity: edits.SeverityError, items: []string{"tumorSizeClinical"},
				words: []string{"Tumor Size Clinical [752]", `"ABC"`, "000, 001, 002-988, 989, 990, 998, 999", "tumor_size_clinical_breast_34385"}}},
		},
		{
			name:  "two invalid inputs, two results",
			tumor: with(breastLocalized, "her2OverallSummary", "5", "gradeClinical", "Z"),
			want: []wantResult{
				{edit: "StagingInputNotValid", items: []string{"gradeClinical"}, words: []string{"Grade Clinical [3843]", `"Z"`, "1-3, L, M, H"}},
				{edit: "StagingInputNotValid", items: []string{"her2OverallSummary"}, words: []string{`"5"`}},
			},
		},
		{
			name:  "recorded Summary Stage 2018 disagrees with the derived one",
			tumor: with(breastLocalized, "summaryStage2018", "3"),
			want: []wantResult{{edit: "StagingSummaryStageDisagrees", severity: edits.SeverityWarning,
				items: []string{"summaryStage2018", "behaviorCodeIcdO3", "eodPrimaryTumor", "eodRegionalNodes", "eodMets"},
				words: []string{"Summary Stage 2018 [764] is 3", "derives 1", "Derived Summary Stage 2018 [762]", `EOD Primary Tumor "100"`, `EOD Regional Nodes "000"`, `EOD Mets "00"`}}},
		},
		{
			name:  "a discriminator is needed",
			tumor: map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240105"},
			want: []wantResult{{edit: "StagingDiscriminatorNeeded", severity: edits.SeverityError, items: []string{"schemaDiscriminator1"},
				words: []string{"Schema Discriminator 1 [3926]", "Stomach", "Esophagus", "C160", "8140"}}},
		},
		{
			name:  "the tables have no row: a warning naming the table",
			tumor: with(breastLocalized, "behaviorCodeIcdO3", "0"),
			want: []wantResult{{edit: "StagingMappingFailed", severity: edits.SeverityWarning, items: []string{"behaviorCodeIcdO3", "gradeClinical", "gradePathological"},
				words: []string{"combined_grade_breast_8723", "Behavior Code ICD-O-3 [523]"}}},
		},
		{name: "before 2018 the EOD schemas do not apply", tumor: with(breastLocalized, "dateOfDiagnosis", "20170105", "her2OverallSummary", "5", "summaryStage2018", "3")},
		{name: "no schema for the site, no staging edit", tumor: map[string]string{"primarySite": "C809", "histologicTypeIcdO3": "8000", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240105"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := stagingResults(t, set, tc.tumor)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d staging results, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.EditID != w.edit || (w.severity != "" && g.Severity != w.severity) || !slices.Equal(g.Items, w.items) {
					t.Errorf("result %d = %s %s %v, want %s %s %v", i, g.EditID, g.Severity, g.Items, w.edit, w.severity, w.items)
				}
				for _, word := range w.words {
					if !strings.Contains(g.Message, word) {
						t.Errorf("%s: message %q does not say %q", g.EditID, g.Message, word)
					}
				}
			}
		})
	}
}

type wantResult struct {
	edit     string
	severity edits.Severity
	items    []string
	words    []string
}

// TestStagingEditsRunInPatient: the batch path (Runner.Patient, which RunReader and the stored
// runs use) reports the staging edits of each tumor with its position.
func TestStagingEditsRunInPatient(t *testing.T) {
	set := loadSet(t)
	p := naaccr.Patient{Items: map[string]string{"sexAssignedAtBirth": "2"}, Tumors: []naaccr.Tumor{
		{Items: breastLocalized},
		{Items: with(breastLocalized, "her2OverallSummary", "5")},
	}}
	res, err := set.NewRunner().Patient(&p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tumors []int
	for _, r := range res {
		if r.EditID == "StagingInputNotValid" {
			tumors = append(tumors, r.Tumor)
		}
	}
	if !slices.Equal(tumors, []int{1}) {
		t.Errorf("StagingInputNotValid on tumors %v, want [1]", tumors)
	}
}

// TestSetWithoutStagingHasNoStagingEdits: a set loaded without staging data leaves the staging
// edits out rather than listing edits that never run.
func TestSetWithoutStagingHasNoStagingEdits(t *testing.T) {
	dict, tables := loadDeps(t)
	set, err := edits.Load(fstest.MapFS{"edits/staging.yaml": {Data: []byte(stagingEdit("check: needs_input", "x {needs}"))}}, dict, tables, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Edits) != 0 {
		t.Errorf("edits = %d, want none without staging data", len(set.Edits))
	}
}

func stagingEdit(block, message string) string {
	return "edits:\n  - id: S\n    name: test\n    severity: error\n    staging:\n      " +
		strings.ReplaceAll(block, "\n", "\n      ") + "\n    message: '" + message + "'\n"
}

func TestStagingEditLoadErrors(t *testing.T) {
	dict, tables := loadDeps(t)
	stg := loadStaging(t)
	tests := []struct{ name, src, want string }{
		{"unknown check", stagingEdit("check: stage_it", "x"), `check "stage_it"`},
		{"no error types", stagingEdit("check: errors", "x"), "list the error types"},
		{"unknown error type", stagingEdit("check: errors\nerrors: [bad_code]", "x"), `"bad_code" is not an error type`},
		{"unknown output", stagingEdit("check: disagrees\noutput: ss2019\nitem: summaryStage2018", "x"), `derives "ss2019"`},
		{"unknown item", stagingEdit("check: disagrees\noutput: ss2018_derived\nitem: summaryStage2019", "x"), `"summaryStage2019" is not an item`},
		{"unknown placeholder", stagingEdit("check: needs_input", "{derived}"), "{derived} is neither an item nor a value"},
		{"a check expression too", strings.Replace(stagingEdit("check: needs_input", "x"), "    staging:", "    check: 'true'\n    staging:", 1), "put a condition in when"},
		{"when reads an unlisted item", strings.Replace(stagingEdit("check: needs_input", "x"), "    staging:", "    when: year(dateOfDiagnosis) >= 2018\n    staging:", 1), "not listed in items"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := edits.Load(fstest.MapFS{"edits/bad.yaml": {Data: []byte(tc.src)}}, dict, tables, stg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.yaml") {
				t.Fatalf("err = %v, want the file and %q", err, tc.want)
			}
		})
	}
}
