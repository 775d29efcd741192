package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// breastStage3 is the items of a breast tumor that stages to Summary Stage 3: EOD Primary Tumor
// 100 is L in extension_bak (row 4), EOD Regional Nodes 300 is RN in nodes_daj (row 9), EOD Mets
// 00 is NONE in mets_hau (row 1), and L, RN, NONE is 3 in summary_stage_rpa (row 7).
var breastStage3 = []string{"primarySite", "C504", "histologicTypeIcdO3", "8500", "behaviorCodeIcdO3", "3", "dateOfDiagnosis", "20240115",
	"eodPrimaryTumor", "100", "eodRegionalNodes", "300", "eodMets", "00"}

func TestStagingSchemasListsEverySchemaInEachFormat(t *testing.T) {
	out, err := runCmd(t, naaccrEnv, "", "staging", "schemas")
	if err != nil {
		t.Fatalf("staging schemas: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// A header, the 141 schemas of EOD 3.3, the count.
	if len(lines) != 143 || !strings.HasPrefix(lines[0], "ID ") || lines[142] != "141 schemas (eod_public 3.3)" {
		t.Fatalf("text: %d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	if f := strings.Fields(findLine(lines, "breast ")); len(f) < 4 || f[1] != "00480" || f[2] != "Breast" {
		t.Errorf("text: breast line = %q", findLine(lines, "breast "))
	}

	out, err = runCmd(t, naaccrEnv, "", "staging", "schemas", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	if strings.Join(rows[0], ",") != "id,schemaId,name,inputs,discriminators" || len(rows) != 142 {
		t.Fatalf("csv: header %v, %d rows", rows[0], len(rows))
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r
	}
	// Stomach and Esophagus and EGJ share C160 with an adenocarcinoma: Schema Discriminator 1
	// tells them apart (schema_discriminators of stomach.json).
	if s := byID["stomach"]; s == nil || s[1] != "00170" || s[4] != "schemaDiscriminator1" {
		t.Errorf("csv: stomach = %v", s)
	}
	if s := byID["breast"]; s == nil || s[3] == "0" || s[4] != "" {
		t.Errorf("csv: breast = %v", s)
	}

	out, err = runCmd(t, naaccrEnv, "", "staging", "schemas", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var list []schemaJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(list) != 141 || list[0].ID != "adnexa_uterine_other" {
		t.Fatalf("json: %d schemas, first %+v", len(list), list[0])
	}
	for _, s := range list {
		if s.ID == "breast" && (s.SchemaID != "00480" || s.Inputs != len(byIDInputs(t, "breast"))) {
			t.Errorf("json: breast = %+v", s)
		}
	}
}

func findLine(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// byIDInputs is the inputs of a schema of the embedded release.
func byIDInputs(t *testing.T, id string) []string {
	t.Helper()
	d, err := stagingData("test")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, in := range d.Schemas[id].Inputs {
		keys = append(keys, in.Key)
	}
	return keys
}

func TestStagingRunReportsEachTumorAsCSVAndJSON(t *testing.T) {
	doc := naaccrDoc(base260, "",
		xmlPatient([]string{"patientIdNumber", "00000001", "sexAssignedAtBirth", "2"},
			breastStage3,
			// Lung, 2025+ schema: EOD 100, 000, 00 is localized (1). The HER2 code is not an
			// input of lung and is not checked.
			[]string{"primarySite", "C341", "histologicTypeIcdO3", "8140", "behaviorCodeIcdO3", "3", "dateOfDiagnosis", "20250310",
				"eodPrimaryTumor", "100", "eodRegionalNodes", "000", "eodMets", "00", "her2OverallSummary", "6"}),
		// C160 with an adenocarcinoma needs Schema Discriminator 1.
		xmlPatient([]string{"patientIdNumber", "00000002"},
			[]string{"primarySite", "C160", "histologicTypeIcdO3", "8140", "behaviorCodeIcdO3", "3", "dateOfDiagnosis", "20200101"}),
		// C507 is no ICD-O-3 code: no schema.
		xmlPatient([]string{"patientIdNumber", "00000003"},
			[]string{"primarySite", "C507", "histologicTypeIcdO3", "8500", "behaviorCodeIcdO3", "3"}),
		// Breast with a HER2 Overall Summary of 6, which her2_summary_30512 does not hold: staged
		// all the same (on_invalid_input CONTINUE), the input listed.
		xmlPatient([]string{"patientIdNumber", "00000004"},
			append(append([]string{}, breastStage3...), "her2OverallSummary", "6")),
	)
	path := writeFile(t, "tumors.xml", doc)

	status, stdout, stderr := runCLI(t, naaccrEnv, "staging", "run", path)
	if status != 0 {
		t.Fatalf("exit status %d\n%s", status, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, stdout)
	}
	wantHeader := "patientIdNumber,tumor,schemaId,derivedSummaryStage2018,derivedSummaryGrade2018,derivedRaiStage,schemaIdVersionCurrent,invalidInputs,status"
	if got := strings.Join(rows[0], ","); got != wantHeader {
		t.Fatalf("header\n%s\nwant\n%s", got, wantHeader)
	}
	want := []string{
		// Grade: blank grades default to 9, and combined_grade_breast_8723 gives 9.
		"00000001,1,00480,3,9,,3.3,,staged",
		"00000001,2,09360,1,9,,3.3,,staged",
		"00000002,1,,,,,,,needs_input: schemaDiscriminator1",
		"00000003,1,,,,,,,no_schema",
		"00000004,1,00480,3,9,,3.3,her2OverallSummary=6,staged",
	}
	if len(rows) != len(want)+1 {
		t.Fatalf("%d rows, want %d:\n%s", len(rows)-1, len(want), stdout)
	}
	for i, w := range want {
		if got := strings.Join(rows[i+1], ","); got != w {
			t.Errorf("row %d = %s\n    want %s", i+1, got, w)
		}
	}
	for _, w := range []string{"5 tumors: 3 staged, 1 no schema, 1 needing a discriminator; 1 with invalid inputs; ", " tumors/s\n"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("summary %q does not say %q", stderr, w)
		}
	}

	status, stdout, _ = runCLI(t, naaccrEnv, "staging", "run", "--format", "json", path)
	if status != 0 {
		t.Fatalf("json: exit status %d", status)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("json: %d lines, want one per tumor:\n%s", len(lines), stdout)
	}
	var first, needs, bad tumorJSON
	for i, p := range map[int]*tumorJSON{0: &first, 2: &needs, 4: &bad} {
		if err := json.Unmarshal([]byte(lines[i]), p); err != nil {
			t.Fatalf("json line %d: %v", i+1, err)
		}
	}
	if first.Schema != "breast" || first.SchemaID != "00480" || first.Derived["derivedSummaryStage2018"] != "3" || first.Status != "staged" {
		t.Errorf("json: first tumor %+v", first)
	}
	if needs.Status != "needs_input" || strings.Join(needs.Needs, ",") != "schemaDiscriminator1" {
		t.Errorf("json: C160 tumor %+v", needs)
	}
	if len(bad.InvalidInputs) != 1 || bad.InvalidInputs[0].Item != "her2OverallSummary" || bad.InvalidInputs[0].Value != "6" || bad.InvalidInputs[0].Table != "her2_summary_30512" {
		t.Errorf("json: invalid inputs %+v", bad.InvalidInputs)
	}
}

func TestStagingExplainShowsTheSchemaTheTablesWalkedAndTheStage(t *testing.T) {
	args := []string{"staging", "explain", "--site", "C504", "--hist", "8500", "--behavior", "3", "--year", "2024",
		"--item", "eodPrimaryTumor=100", "--item", "eodRegionalNodes=300", "--item", "eodMets=00", "--item", "ki67=abc"}
	status, out, stderr := runCLI(t, naaccrEnv, args...)
	if status != 0 {
		t.Fatalf("exit status %d\n%s", status, stderr)
	}
	for _, w := range []string{
		"Schema:  Breast (breast), Schema ID 00480, eod_public 3.3\n",
		"Why:     Breast: site C504 and histology 8500 select it (table schema_selection_breast)\n",
		// A blank Tumor Size Summary stages as the schema's default 999.
		"Tumor Size Summary [756]", "999 *\n",
		// The tables walked, in order, with the row that matched and what it gave.
		"2. extension_bak (EOD Primary Tumor), row 4\n     with eod_primary_tumor=\"100\"\n     means Any size tumor Confined to breast tissue",
		"     gives ss2018_t=L\n",
		"3. nodes_daj (EOD Regional Nodes), row 9\n", "gives ss2018_n=RN\n",
		"4. mets_hau (EOD Mets), row 1\n", "gives ss2018_m=NONE\n",
		"5. summary_stage_rpa (Summary Stage), row 7\n     with ss2018_t=\"L\", ss2018_n=\"RN\", ss2018_m=\"NONE\"\n     gives ss2018_derived=3\n",
		"Derived Summary Stage 2018 [762]", "derivedSummaryStage2018  3\n",
		// The invalid Ki-67 is named with its table and the valid codes.
		"invalid_non_required_input: Ki-67 (MIB-1) [3863] \"abc\" is not a valid code for schema Breast (table ki67_8355)\n",
		"    valid codes: 0.0-100.0 ",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("explain does not say %q:\n%s", w, out)
		}
	}

	out, err := runCmd(t, naaccrEnv, "", append(args, "--format", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	var x explainJSON
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	var walked []string
	for _, st := range x.Tables {
		walked = append(walked, st.Table)
	}
	if x.Schema != "breast" || x.Derived["derivedSummaryStage2018"] != "3" ||
		strings.Join(walked, " ") != "combined_grade_breast_8723 extension_bak nodes_daj mets_hau summary_stage_rpa" {
		t.Errorf("json: schema %s, derived %v, tables %v", x.Schema, x.Derived, walked)
	}
	if len(x.Errors) != 1 || x.Errors[0].Item != "ki67" || x.Errors[0].Table != "ki67_8355" {
		t.Errorf("json: errors %+v", x.Errors)
	}
}

func TestStagingExplainSaysWhichDiscriminatorIsNeeded(t *testing.T) {
	status, out, stderr := runCLI(t, naaccrEnv, "staging", "explain", "--site", "C160", "--hist", "8140", "--year", "2020")
	if status != 1 {
		t.Errorf("exit status %d, want 1 (not staged)", status)
	}
	for _, w := range []string{"Candidates: esophagus_gejunction, stomach\n", "Give Schema Discriminator 1 [3926] with --item schemaDiscriminator1=CODE (0 \"NO involvement"} {
		if !strings.Contains(out, w) {
			t.Errorf("explain does not say %q:\n%s", w, out)
		}
	}
	if !strings.Contains(stderr, "not staged (needs_input)") {
		t.Errorf("stderr %q", stderr)
	}
	status, out, _ = runCLI(t, naaccrEnv, "staging", "explain", "--site", "C160", "--hist", "8140", "--year", "2020", "--item", "schemaDiscriminator1=0")
	if status != 0 || !strings.Contains(out, "Schema:  Stomach (stomach), Schema ID 00170") {
		t.Errorf("with the discriminator: exit status %d\n%s", status, out)
	}
}

func TestStagingRefusesBadArguments(t *testing.T) {
	good := writeFile(t, "good.xml", naaccrDoc(base260, "", xmlPatient([]string{"patientIdNumber", "1"}, breastStage3)))
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		want      string
	}{
		{"no command", []string{"staging"}, true, "staging: say what to do: schemas, run, explain"},
		{"unknown command", []string{"staging", "stage"}, true, `unknown command "stage" (schemas, run, explain, rederive)`},
		{"schemas format", []string{"staging", "schemas", "--format", "xml"}, true, `staging schemas: --format "xml": use text, csv or json`},
		{"schemas argument", []string{"staging", "schemas", "breast"}, true, `unexpected argument "breast"`},
		{"run no file", []string{"staging", "run"}, true, "staging run: name one NAACCR XML file"},
		{"run two files", []string{"staging", "run", good, good}, true, "name one NAACCR XML file"},
		{"run format", []string{"staging", "run", "--format", "text", good}, true, `--format "text": use csv or json`},
		{"run missing file", []string{"staging", "run", "no/such/file.xml"}, false, "staging run: no/such/file.xml: "},
		{"run not XML", []string{"staging", "run", writeFile(t, "x.xml", "not xml")}, false, "x.xml: "},
		{"explain no site", []string{"staging", "explain", "--hist", "8500"}, true, "staging explain: --site is required"},
		{"explain no histology", []string{"staging", "explain", "--site", "C504"}, true, "--hist is required"},
		{"explain site format", []string{"staging", "explain", "--site", "C50", "--hist", "8500"}, true, `--site "C50": use an ICD-O-3 topography code such as C504`},
		{"explain site not a code", []string{"staging", "explain", "--site", "C507", "--hist", "8500"}, true, `--site "C507": not a valid Primary Site [400] code, so no schema`},
		{"explain histology not a code", []string{"staging", "explain", "--site", "C504", "--hist", "8888"}, true, `--hist "8888": not a valid Histologic Type ICD-O-3 [522] code`},
		{"explain histology format", []string{"staging", "explain", "--site", "C504", "--hist", "85"}, true, `--hist "85": use four digits`},
		{"explain behavior", []string{"staging", "explain", "--site", "C504", "--hist", "8500", "--behavior", "33"}, true, `--behavior "33": use one digit`},
		{"explain year", []string{"staging", "explain", "--site", "C504", "--hist", "8500", "--year", "24"}, true, `--year "24": use four digits`},
		{"explain unknown item", []string{"staging", "explain", "--site", "C504", "--hist", "8500", "--item", "eodTumor=100"}, true, `--item "eodTumor=100": "eodTumor" is not a NAACCR item`},
		{"explain item without value", []string{"staging", "explain", "--site", "C504", "--hist", "8500", "--item", "eodPrimaryTumor"}, true, `--item "eodPrimaryTumor": write naaccrId=value`},
		{"explain item of a flag", []string{"staging", "explain", "--site", "C504", "--hist", "8500", "--item", "primarySite=C341"}, true, "give primarySite with --site"},
		{"explain item twice", []string{"staging", "explain", "--site", "C504", "--hist", "8500", "--item", "eodMets=00", "--item", "eodMets=10"}, true, "eodMets is given twice"},
		{"explain format", []string{"staging", "explain", "--site", "C504", "--hist", "8500", "--format", "csv"}, true, `--format "csv": use text or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, naaccrEnv, "", tt.args...)
			if err == nil || errors.Is(err, errUsage) != tt.wantUsage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v (output %q); want a usage error %v naming %q", err, out, tt.wantUsage, tt.want)
			}
		})
	}
}
