package staging

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// The expectations below were worked out by hand from the tables of seer-eod-public-3.3.zip
// (unzip -p schemas/staging/seer-eod-public-3.3.zip tables/extension_bak.json), not from the
// engine. Each names the rows that produce it: "extension_bak 4" is row 4 of table extension_bak.
// Blank EOD items take the schema's defaults (EOD Primary Tumor 999, Regional Nodes 999, Mets 00,
// grades 9, unless the case says otherwise).

type stageCase struct {
	name   string
	items  map[string]string // NAACCR items on top of the schema's base record
	ss2018 string            // derivedSummaryStage2018
	grade  string            // derivedSummaryGrade2018
	rai    string            // derivedRaiStage (CLL/SLL only)
	errs   []ErrorType
}

type schemaCases struct {
	schema string            // schema id
	id     string            // its Schema ID
	base   map[string]string // site, histology, behavior and date of diagnosis that select it
	cases  []stageCase
}

// eod items, shortened for the tables below: T, N, M, grade clinical, grade pathological.
func eodItems(t, n, m, gc, gp string, more ...string) map[string]string {
	items := map[string]string{"eodPrimaryTumor": t, "eodRegionalNodes": n, "eodMets": m, "gradeClinical": gc, "gradePathological": gp}
	for i := 0; i+1 < len(more); i += 2 {
		items[more[i]] = more[i+1]
	}
	return items
}

var schemaTests = []schemaCases{
	{schema: "breast", id: "00480",
		base: map[string]string{"primarySite": "C504", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240310"},
		cases: []stageCase{
			// T 100 → L (extension_bak 4), N 000 → NONE (nodes_daj 1), M 00 → NONE (mets_hau 1):
			// summary_stage_rpa 5 → 1. Grade: behavior 3, path 3 → combined_grade_breast_8723 21 → {{grade_path}}.
			{name: "localized", items: eodItems("100", "000", "00", "2", "3"), ss2018: "1", grade: "3"},
			// T 200 → RE (extension_bak 5), N 200 → RN (nodes_daj 7), M 00 → NONE: rpa 8 → 4.
			// Grade: clin 9, path 2 → combined_grade_breast_8723 23 → {{grade_path}}.
			{name: "regional by extension and nodes", items: eodItems("200", "200", "00", "9", "2"), ss2018: "4", grade: "2"},
			// N 700 (supraclavicular) → D (nodes_daj 14): rpa 10 (L, D, *) → 7.
			{name: "supraclavicular nodes are distant", items: eodItems("100", "700", "00", "", ""), ss2018: "7", grade: "9"},
			// M 10 → D (mets_hau 3): rpa 11 (L, NONE, D) → 7. Grades blank → 9 and 9: row 41 → {{grade_path}} 9.
			{name: "distant", items: eodItems("100", "000", "10", "", ""), ss2018: "7", grade: "9"},
			// All blank: T 999 → U (extension_bak 13), N 999 → U (nodes_daj 16), M 00 → NONE: rpa 12 → 9.
			// Grade: clin 3, path 9 → combined_grade_breast_8723 22 → {{grade_clin}}.
			{name: "unknown", items: eodItems("", "", "", "3", ""), ss2018: "9", grade: "3"},
			// Behavior 2, T 000 → IS (extension_bak 1): rpa 1 → 0. Grade: behavior 2, path H → row 1.
			{name: "in situ", items: eodItems("000", "000", "00", "9", "H", "behaviorCodeIcdO3", "2"), ss2018: "0", grade: "H"},
			// T 050 (Paget) jumps (extension_bak 2) to behavior_with_primary_tumor_for_ss2018_t_69793,
			// row 2 (behavior 3) → L: rpa 5 → 1. Grade: path 1, clin H → combined_grade 25 → {{grade_path}}.
			{name: "Paget disease jumps on behavior", items: eodItems("050", "000", "00", "H", "1"), ss2018: "1", grade: "1"},
			// The same T with behavior 2: behavior_with_primary_tumor 1 → IS: rpa 1 → 0.
			{name: "Paget disease in situ", items: eodItems("050", "000", "00", "9", "9", "behaviorCodeIcdO3", "2"), ss2018: "0", grade: "9"},
			// HER2 5 is not in her2_summary_30512 (0, 1, 7, 9): an SSDI error, staging goes on.
			{name: "invalid SSDI", items: eodItems("100", "000", "00", "1", "1", "her2OverallSummary", "5"), ss2018: "1", grade: "1",
				errs: []ErrorType{InvalidNonRequiredInput}},
		}},
	{schema: "lung", id: "00360",
		base: map[string]string{"primarySite": "C341", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20220601"},
		cases: []stageCase{
			// T 300 → L (extension_baj 4), N 000 → NONE (nodes_dai 1), M 00 → NONE (mets_hab 1): rpa 5 → 1.
			// Grade: clin 2, path 9 → combined_grade_56638 10 → {{grade_clin}}.
			{name: "localized", items: eodItems("300", "000", "00", "2", ""), ss2018: "1", grade: "2"},
			// T 450 → RE (extension_baj 6), N 400 → RN (nodes_dai 3): rpa 8 → 4. Grade: path 3 → row 7.
			{name: "regional by extension and nodes", items: eodItems("450", "400", "00", "1", "3"), ss2018: "4", grade: "3"},
			// T 980 (sputum only) → U (extension_baj 13), N 300 → RN (nodes_dai 2): rpa 7 (L,U | RN) → 3.
			{name: "unknown extension with nodes", items: eodItems("980", "300", "00", "", ""), ss2018: "3", grade: "9"},
			// T 700 → D (extension_baj 11): rpa 9 → 7.
			{name: "distant by extension", items: eodItems("700", "000", "00", "", ""), ss2018: "7", grade: "9"},
			// M 10 (pleural effusion) → D (mets_hab 2) with N RN: rpa 11 → 7.
			{name: "distant", items: eodItems("300", "300", "10", "", ""), ss2018: "7", grade: "9"},
			// Blank: 999 → U (extension_baj 14), 999 → U (nodes_dai 7), 00 → NONE: rpa 12 → 9.
			{name: "unknown", items: eodItems("", "", "", "", ""), ss2018: "9", grade: "9"},
			// N 450 exists only in version 9 (eod_regional_nodes_v9_56625 4); nodes_dai has no such
			// row: the input is invalid, nodes_dai finds no row, so ss2018_n stays blank and
			// summary_stage_rpa finds none either: the output keeps its default 9.
			{name: "version 9 nodes code before 2025", items: eodItems("300", "450", "00", "", ""), ss2018: "9", grade: "9",
				errs: []ErrorType{InvalidRequiredInput, MatchNotFound, MatchNotFound}},
		}},
	{schema: "lung_v9_2025", id: "09360",
		base: map[string]string{"primarySite": "C341", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20250601"},
		cases: []stageCase{
			// T 300 → L (eod_primary_tumor_v9_75679 4), N 000 → NONE (eod_regional_nodes_v9_56625 1),
			// M 00 → NONE (eod_mets_v9_76161 1): rpa 5 → 1. Grade: path 1, clin 9 → combined_grade 11.
			{name: "localized", items: eodItems("300", "000", "00", "9", "1"), ss2018: "1", grade: "1"},
			// N 450 → RN (eod_regional_nodes_v9_56625 4): rpa 7 → 3. Grade: clin 4, path 9 → row 6.
			{name: "regional nodes, a version 9 code", items: eodItems("300", "450", "00", "4", "9"), ss2018: "3", grade: "4"},
			// T 500 → RE (v9 row 7), N 000: rpa 6 → 2.
			{name: "regional by extension", items: eodItems("500", "000", "00", "", ""), ss2018: "2", grade: "9"},
			// M 45 → D (eod_mets_v9_76161 6), a version 9 code: rpa 11 → 7.
			{name: "distant, a version 9 code", items: eodItems("300", "000", "45", "", ""), ss2018: "7", grade: "9"},
			{name: "unknown", items: eodItems("", "", "", "", ""), ss2018: "9", grade: "9"},
		}},
	{schema: "colon_rectum", id: "00200",
		base: map[string]string{"primarySite": "C187", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20230102"},
		cases: []stageCase{
			// T 200 → L (extension_bao 4), N 000 → NONE (nodes_dan 1), M 00 → NONE (mets_hae 1): rpa 5 → 1.
			// Grade: clin 9, path 2 → combined_grade_56638 9 → {{grade_path}}.
			{name: "localized", items: eodItems("200", "000", "00", "9", "2"), ss2018: "1", grade: "2"},
			// T 400 → RE (extension_bao 6), N 300 → RN (nodes_dan 3): rpa 8 → 4. Grade: clin 3, path 9 → row 8.
			{name: "regional by extension and nodes", items: eodItems("400", "300", "00", "3", ""), ss2018: "4", grade: "3"},
			// Rectum, same schema. T 300 → L (extension_bao 5), N 450 → RN (nodes_dan 6): rpa 7 → 3.
			{name: "rectum, regional nodes", items: eodItems("300", "450", "00", "", "", "primarySite", "C209"), ss2018: "3", grade: "9"},
			// M 50 (peritoneum) → D (mets_hae 6): rpa 11 → 7.
			{name: "distant", items: eodItems("300", "000", "50", "", ""), ss2018: "7", grade: "9"},
			// T 700 → D (extension_bao 9): rpa 9 → 7.
			{name: "distant by extension", items: eodItems("700", "999", "00", "", ""), ss2018: "7", grade: "9"},
			// Death certificate only: 999 → U, 999 → U (nodes_dan 11), 99 → U (mets_hae 8): rpa 12 → 9.
			{name: "death certificate only", items: eodItems("999", "999", "99", "", ""), ss2018: "9", grade: "9"},
			// Behavior 2, T 000 → IS (extension_bao 1): rpa 1 → 0.
			{name: "in situ", items: eodItems("000", "000", "00", "", "", "behaviorCodeIcdO3", "2"), ss2018: "0", grade: "9"},
		}},
	{schema: "prostate", id: "00580",
		base: map[string]string{"primarySite": "C619", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20230915"},
		cases: []stageCase{
			// Clinical T 120 → L (extension_bbo 4, written to clin_ss2018_t by the output mapping),
			// pathological 900 → U (eod_prostate_pathologic_extension_2781 9, to path_ss2018_t):
			// combine_prostate_eod_extension_16771 1 → {{clin_ss2018_t}} L. N 000 → NONE (nodes_dbf 1),
			// M 00 → NONE (mets_hal 1): rpa 5 → 1. Grade: clin 3, path 9 → combined_grade_56638 8.
			{name: "localized, no prostatectomy", items: eodItems("120", "000", "00", "3", "", "prostatePathologicalExtension", "900"), ss2018: "1", grade: "3"},
			// Clinical 200 → L, pathological 400 → RE (path ext 4): combine 8 (L | RE) → {{path_ss2018_t}}
			// RE: rpa 6 → 2. Grade: clin 2, path 4 → combined_grade 5 → {{grade_path}}.
			{name: "regional on pathology", items: eodItems("200", "000", "00", "2", "4", "prostatePathologicalExtension", "400"), ss2018: "2", grade: "4"},
			// Clinical 300 → L, pathological 300 → L (path ext 2): combine 6 → L. N 300 → RN (nodes_dbf 2): rpa 7 → 3.
			{name: "regional nodes", items: eodItems("300", "300", "00", "", "", "prostatePathologicalExtension", "300"), ss2018: "3", grade: "9"},
			// Clinical 700 → D, pathological 400 → RE: combine 7 (D | RE) → {{clin_ss2018_t}} D: rpa 9 → 7.
			{name: "clinically distant extension outranks pathology", items: eodItems("700", "000", "00", "", "", "prostatePathologicalExtension", "400"), ss2018: "7", grade: "9"},
			// M 30 (bone) → D (mets_hal 3); clinical 200 L, pathological blank → 999 → U: combine 1 → L: rpa 11 → 7.
			{name: "distant", items: eodItems("200", "000", "30", "", ""), ss2018: "7", grade: "9"},
			// All blank: clinical 999 U, pathological 999 U → combine 2 → U; N 999 → U (nodes_dbf 4): rpa 12 → 9.
			{name: "unknown", items: eodItems("", "", "", "", ""), ss2018: "9", grade: "9"},
		}},
	{schema: "melanoma_skin", id: "00470",
		base: map[string]string{"primarySite": "C445", "histologicTypeIcdO3": "8720", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20210420"},
		cases: []stageCase{
			// T 200 → L (extension_ban 3), N 000 → NONE (nodes_dam 1), M 00 → NONE (mets_had 1):
			// summary_stage_rac 4 → 1. Grade: clin A, path C → combined_grade_56638 17 → {{grade_path}}.
			{name: "localized", items: eodItems("200", "000", "00", "A", "C"), ss2018: "1", grade: "C"},
			// T 500 → RE (extension_ban 6): rac 5 → 2.
			{name: "regional by extension", items: eodItems("500", "000", "00", "", ""), ss2018: "2", grade: "9"},
			// T 300 → L, N 300 (in-transit) → RN (nodes_dam 4): rac 6 → 3.
			{name: "regional nodes", items: eodItems("300", "300", "00", "", ""), ss2018: "3", grade: "9"},
			// M 30 (lung) → D (mets_had 4): rac 9 (L,RE,U | * | D) → 7.
			{name: "distant", items: eodItems("300", "000", "30", "", ""), ss2018: "7", grade: "9"},
			// Blank: 999 → U (extension_ban 9), 999 → U (nodes_dam 15), 00 → NONE: rac 10 → 9.
			{name: "unknown", items: eodItems("", "", "", "", ""), ss2018: "9", grade: "9"},
			// Behavior 2, T 000 → IS (extension_ban 1): rac 1 → 0.
			{name: "in situ", items: eodItems("000", "000", "00", "", "", "behaviorCodeIcdO3", "2"), ss2018: "0", grade: "9"},
		}},
	{schema: "lymphoma", id: "00790",
		base: map[string]string{"primarySite": "C779", "histologicTypeIcdO3": "9680", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240101"},
		cases: []stageCase{
			// T 100 → L (eod_primary_tumor_72245 1), N blank → 888 → U (nodes_dna 1), M blank → 88 → NA
			// (mets_hna 1): summary_stage_lymphoma_25139 1 → 1. Grades blank → 8: derived_summary_grade_na_6690 1.
			{name: "localized", items: eodItems("100", "", "", "", ""), ss2018: "1", grade: "8"},
			// T 300 → RE (row 3): summary_stage_lymphoma 2 → 2.
			{name: "regional", items: eodItems("300", "", "", "", ""), ss2018: "2", grade: "8"},
			// T 800 → D (row 10): summary_stage_lymphoma 3 → 7.
			{name: "distant", items: eodItems("800", "", "", "", ""), ss2018: "7", grade: "8"},
			// T blank → 999 → U (row 11): summary_stage_lymphoma 4 → 9.
			{name: "unknown", items: eodItems("", "", "", "", ""), ss2018: "9", grade: "8"},
		}},
	{schema: "lymphoma_cll_sll", id: "00795",
		base: map[string]string{"primarySite": "C779", "histologicTypeIcdO3": "9823", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240101"},
		cases: []stageCase{
			// T 100 → L (eod_primary_tumor_copy_25294 1), N 888 → U, M 88 → NA: summary_stage_lymphoma_25139 1.
			// Rai factors all blank: derive_rai_stage_42032 1 → blank. Grade 8: derived_summary_grade_na_6690 1.
			{name: "localized, no Rai factors", items: eodItems("100", "", "", "", ""), ss2018: "1", grade: "8", rai: ""},
			// T 300 → RE: 2. Lymphocytosis 1 and adenopathy 1, the rest 0: derive_rai_stage 22 → 1.
			{name: "regional, Rai 1", items: eodItems("300", "", "", "", "", "lymphocytosis", "1", "adenopathy", "1", "organomegaly", "0", "anemia", "0", "thrombocytopenia", "0"),
				ss2018: "2", grade: "8", rai: "1"},
			// T 700 → D: 7. Lymphocytosis 1 with anemia 1: derive_rai_stage 24 → 3.
			{name: "distant, Rai 3", items: eodItems("700", "", "", "", "", "lymphocytosis", "1", "adenopathy", "0", "organomegaly", "0", "anemia", "1", "thrombocytopenia", "0"),
				ss2018: "7", grade: "8", rai: "3"},
			// Every factor 1: rows 2-24 each fail on one factor; derive_rai_stage 25 → 4.
			{name: "Rai 4", items: eodItems("100", "", "", "", "", "lymphocytosis", "1", "adenopathy", "1", "organomegaly", "1", "anemia", "1", "thrombocytopenia", "1"),
				ss2018: "1", grade: "8", rai: "4"},
			// T 999 → U: 9. Every factor 9: derive_rai_stage 11 → 9.
			{name: "unknown, Rai unknown", items: eodItems("", "", "", "", "", "lymphocytosis", "9", "adenopathy", "9", "organomegaly", "9", "anemia", "9", "thrombocytopenia", "9"),
				ss2018: "9", grade: "8", rai: "9"},
			// All factors 5 (not C421): derive_rai_stage 2 → 8.
			{name: "not applicable", items: eodItems("100", "", "", "", "", "lymphocytosis", "5", "adenopathy", "5", "organomegaly", "5", "anemia", "5", "thrombocytopenia", "5"),
				ss2018: "1", grade: "8", rai: "8"},
			// Lymphocytosis 5 with adenopathy 0 and the rest blank: derive_rai_stage 3 is an ERROR; the
			// output keeps its (blank) default.
			{name: "Rai factors in conflict", items: eodItems("100", "", "", "", "", "lymphocytosis", "5", "adenopathy", "0"),
				ss2018: "1", grade: "8", rai: "", errs: []ErrorType{StagingError}},
		}},
	{schema: "brain", id: "00721",
		base: map[string]string{"primarySite": "C711", "histologicTypeIcdO3": "9440", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20210707"},
		cases: []stageCase{
			// T 100 → L (extension_bcc 2), N 888 → U (nodes_dna 1), M 00 → NONE (mets_haw 1):
			// summary_stage_benign_3306 5 → 1. Grade: clin 9, path 4 → combined_grade_56638 5.
			{name: "localized", items: eodItems("100", "", "00", "", "4"), ss2018: "1", grade: "4"},
			// T 500 → RE (extension_bcc 3): benign 6 → 2. Grade: clin H, path 9 → combined_grade 24 → {{grade_clin}}.
			{name: "regional", items: eodItems("500", "", "00", "H", "9"), ss2018: "2", grade: "H"},
			// M 70 → D (mets_haw 3): benign 7 (L,RE,U | U | D) → 7.
			{name: "distant", items: eodItems("100", "", "70", "", ""), ss2018: "7", grade: "9"},
			// Blank: 999 → U (extension_bcc 6), 888 → U, 00 → NONE: benign 9 → 9.
			{name: "unknown", items: eodItems("", "", "", "", ""), ss2018: "9", grade: "9"},
			// Meningioma, behavior 0: T 050 → B (extension_bcc 1): benign 3 → 8.
			{name: "benign", items: eodItems("050", "", "00", "", "", "primarySite", "C700", "histologicTypeIcdO3", "9530", "behaviorCodeIcdO3", "0"), ss2018: "8", grade: "9"},
			// Benign with M 10 → D: benign 4 is an ERROR; the output keeps its default 9.
			{name: "benign with metastases", items: eodItems("050", "", "10", "", "", "primarySite", "C700", "histologicTypeIcdO3", "9530", "behaviorCodeIcdO3", "0"),
				ss2018: "9", grade: "9", errs: []ErrorType{StagingError}},
		}},
	{schema: "retinoblastoma", id: "00680",
		base: map[string]string{"primarySite": "C692", "histologicTypeIcdO3": "9510", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20200202"},
		cases: []stageCase{
			// T 200 → L (seer_primary_tumor_88917 5), N 000 → NONE (eod_regional_nodes_27426 1),
			// M 00 → NONE (seer_mets_32413 1): rpa 5 → 1. Grade: clin 9, path 3 → combined_grade_56638 7.
			{name: "localized", items: eodItems("200", "000", "00", "", "3"), ss2018: "1", grade: "3"},
			// T 600 → RE (row 20), N 300 → RN (nodes 2): rpa 8 → 4.
			{name: "regional by extension and nodes", items: eodItems("600", "300", "00", "", ""), ss2018: "4", grade: "9"},
			// T 200 → L, N 800 → RN (nodes 3): rpa 7 → 3.
			{name: "regional nodes", items: eodItems("200", "800", "00", "", ""), ss2018: "3", grade: "9"},
			// M 50 (CNS) → D (seer_mets_32413 4): rpa 11 (RE | NONE | D) → 7.
			{name: "distant", items: eodItems("600", "000", "50", "", ""), ss2018: "7", grade: "9"},
			// Blank: 999 → U (row 25), 999 → U (nodes 4), 00 → NONE: rpa 12 → 9.
			{name: "unknown", items: eodItems("", "", "", "", ""), ss2018: "9", grade: "9"},
		}},
	{schema: "hemeretic", id: "00830",
		base: map[string]string{"primarySite": "C421", "histologicTypeIcdO3": "9861", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240101"},
		cases: []stageCase{
			// T 100 → L (extension_bci 1), N 888 → U, M 88 → NA: summary_stage_lymphoma_25139 1 → 1.
			// Grade blank → 8: derived_summary_grade_na_6690 1.
			{name: "localized", items: eodItems("100", "", "", "", ""), ss2018: "1", grade: "8"},
			// T 700 (systemic) → D (extension_bci 2): summary_stage_lymphoma 3 → 7.
			{name: "systemic", items: eodItems("700", "", "", "", ""), ss2018: "7", grade: "8"},
			// T 999 → U: summary_stage_lymphoma 4 → 9.
			{name: "unknown", items: eodItems("", "", "", "", ""), ss2018: "9", grade: "8"},
		}},
}

func TestStageSchemasAsWorkedOutFromTheirTables(t *testing.T) {
	d := eod(t)
	for _, sc := range schemaTests {
		for _, tc := range sc.cases {
			t.Run(sc.schema+"/"+tc.name, func(t *testing.T) {
				items := maps.Clone(sc.base)
				maps.Copy(items, tc.items)
				r := d.Stage(recordOf(items), 2026)
				if r.Schema == nil || r.Schema.ID != sc.schema {
					t.Fatalf("schema %v, want %s (selection %+v)", r.Schema, sc.schema, r.Selection)
				}
				if r.Status != Staged {
					t.Fatalf("status %s, errors %+v", r.Status, r.Errors)
				}
				var types []ErrorType
				for _, e := range r.Errors {
					types = append(types, e.Type)
				}
				if !slices.Equal(types, tc.errs) {
					t.Errorf("errors %+v, want %v", r.Errors, tc.errs)
				}
				got := r.Items(d)
				want := map[string]string{"schemaId": sc.id, "derivedSummaryStage2018": tc.ss2018, "derivedSummaryGrade2018": tc.grade}
				if sc.schema == "lymphoma_cll_sll" {
					want["derivedRaiStage"] = tc.rai
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s = %q, want %q (path %s)", k, got[k], v, pathText(r.Path))
					}
				}
				if r.Output(OutputVersion) != d.Version {
					t.Errorf("derived version %q, want %q", r.Output(OutputVersion), d.Version)
				}
			})
		}
	}
}

func pathText(p []Step) string {
	var parts []string
	for _, s := range p {
		parts = append(parts, fmt.Sprintf("%s row %d %v", s.Table, s.Row, s.Results))
	}
	return strings.Join(parts, "; ")
}

// TestEverySchemaStagesABlankRecord stages, for each schema, a record with only what selects it
// (and a behavior):
// every schema's defaults and tables must carry a tumor with nothing abstracted to a result.
func TestEverySchemaStagesABlankRecord(t *testing.T) {
	d := eod(t)
	for _, id := range slices.Sorted(maps.Keys(d.Schemas)) {
		s := d.Schemas[id]
		// Behavior is there, as on every abstract: breast's grade table has no row for a blank one.
		m, ok := selectionRecord(d, s, map[string]string{"behaviorCodeIcdO3": "3"})
		if !ok {
			t.Errorf("%s: no row of %s selects it", id, s.SelectionTable)
			continue
		}
		r := d.Stage(recordOf(m), 2026)
		if r.Schema != s || r.Status != Staged {
			t.Errorf("%s: record %v staged as %v, %s (errors %v)", id, m, r.Schema, r.Status, r.Errors)
			continue
		}
		items := r.Items(d)
		if items["schemaId"] != schemaIDOf(s) || items["schemaId"] == "" {
			t.Errorf("%s: schemaId %q", id, items["schemaId"])
		}
		for _, e := range r.Errors {
			// A blank record is not wrong: no input is invalid and no output out of its table.
			if e.Type == InvalidRequiredInput || e.Type == InvalidNonRequiredInput || e.Type == InvalidOutput || e.Type == InfiniteLoop {
				t.Errorf("%s: %+v", id, e)
			}
		}
		if len(r.Path) == 0 {
			t.Errorf("%s: no table walked", id)
		}
	}
}

// TestSchemaSelectionTablesDoNotOverlap: Select relies on no input matching rows of two schemas'
// selection tables; a data update must keep it so. Two cells share a value exactly when one of
// them holds the low end of one of the other's ranges (or either is *), so those ends are the only
// values to try.
func TestSchemaSelectionTablesDoNotOverlap(t *testing.T) {
	d := eod(t)
	ctx := d.Context(2026)
	type selRow struct {
		schema string
		row    int
		cells  map[string]*Cell
	}
	var rows []selRow
	for _, id := range slices.Sorted(maps.Keys(d.Schemas)) {
		tb := d.Tables[d.Schemas[id].SelectionTable]
		for i := range tb.Rows {
			if !isMatch(&tb.Rows[i]) {
				continue
			}
			r := selRow{schema: id, row: i + 1, cells: map[string]*Cell{}}
			for ci := range tb.Rows[i].Inputs {
				in := &tb.Rows[i].Inputs[ci]
				r.cells[in.Key] = &in.Cell
			}
			rows = append(rows, r)
		}
	}
	overlaps := 0
	for i := range rows {
		for j := i + 1; j < len(rows); j++ {
			a, b := &rows[i], &rows[j]
			if a.schema == b.schema {
				continue
			}
			shared := true
			for _, k := range d.selectionKeys {
				if !cellsIntersect(a.cells[k], b.cells[k], ctx) {
					shared = false
					break
				}
			}
			if shared {
				overlaps++
				t.Errorf("schemas %s (row %d) and %s (row %d) share an input", a.schema, a.row, b.schema, b.row)
			}
		}
	}
	if len(rows) < 141 {
		t.Errorf("only %d selection rows", len(rows))
	}
}

// cellsIntersect reports whether some value is in both cells; a missing cell (a key the table does
// not read) holds every value.
func cellsIntersect(a, b *Cell, ctx map[string]string) bool {
	if a == nil || b == nil || a.Any || b.Any {
		return true
	}
	for _, c := range [][2]*Cell{{a, b}, {b, a}} {
		for _, r := range c[0].Ranges {
			v := translate(r.Low, ctx)
			if c[0].Matches(v, ctx) && c[1].Matches(v, ctx) {
				return true
			}
		}
	}
	return false
}

func TestCellsIntersect(t *testing.T) {
	ctx := map[string]string{CtxYearCurrent: "2026"}
	tests := []struct {
		a, b string
		want bool
	}{
		{"C500-C509", "C509", true},
		{"C500-C509", "C510-C519", false},
		{"C505-C515", "C510-C519", true},
		{"8000-8700", "8500", true},
		{"2018-2022", "2023-9998", false},
		{"2018-{{ctx_year_current}},9999", "2025-9998,9999,", true},
		{"2018-2022", "2022-9998", true},
		{"0,", "1,2", false},
		{"0,", "", true}, // both hold the blank value
		{"*", "1", true},
		{"3,9", "1,2", false},
	}
	for _, tt := range tests {
		a, b := ParseCell(tt.a), ParseCell(tt.b)
		if got := cellsIntersect(&a, &b, ctx); got != tt.want {
			t.Errorf("cellsIntersect(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestEveryInputDefaultIsInItsTable: the engine checks an input after its default is filled in,
// the staging library only a value supplied; the two agree while every default is a valid code.
func TestEveryInputDefaultIsInItsTable(t *testing.T) {
	d := eod(t)
	ctx := d.Context(2026)
	for _, id := range slices.Sorted(maps.Keys(d.Schemas)) {
		s := d.Schemas[id]
		for _, in := range s.Inputs {
			if in.Default == nil {
				continue
			}
			if err := d.Validate(s, in, translate(*in.Default, ctx), ctx); err != nil {
				t.Errorf("default: %v", err)
			}
		}
	}
}

// Derive is Stage without the path: same status, inputs, outputs and errors on every
// worked-out case.
func TestDeriveStagesAsStage(t *testing.T) {
	d := eod(t)
	for _, sc := range schemaTests {
		for _, tc := range sc.cases {
			items := maps.Clone(sc.base)
			maps.Copy(items, tc.items)
			full, quick := d.Stage(recordOf(items), 2026), d.Derive(recordOf(items), 2026)
			if len(full.Path) == 0 || quick.Path != nil || len(full.Inputs) == 0 || quick.Inputs != nil {
				t.Errorf("%s/%s: path %d steps with, %d without", sc.schema, tc.name, len(full.Path), len(quick.Path))
			}
			if full.Status != quick.Status || !maps.Equal(full.Outputs, quick.Outputs) || !slices.Equal(full.Errors, quick.Errors) {
				t.Errorf("%s/%s: Stage %+v, Derive %+v", sc.schema, tc.name, full, quick)
			}
		}
	}
}

func TestInputIsTheValueAsStagedWithStageAndDerive(t *testing.T) {
	d := eod(t)
	items := map[string]string{"primarySite": "C504", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240310", "eodPrimaryTumor": "100"}
	for _, r := range []*Result{d.Stage(recordOf(items), 2026), d.Derive(recordOf(items), 2026)} {
		// eod_mets is blank and takes the breast schema's default 00.
		if r.Input("eod_primary_tumor") != "100" || r.Input("eod_mets") != "00" {
			t.Errorf("Input: eod_primary_tumor %q, eod_mets %q; want 100 and the default 00", r.Input("eod_primary_tumor"), r.Input("eod_mets"))
		}
	}
}
