package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
)

// These tests rely on two edits only, DateOfBirthBeforeDiagnosis and DiagnosisBeforeLastContact
// (schemas/edits/dates.yaml): the rest of the edit set changes, so no count assumes its size.

// cleanPatient is a complete, consistent case: it passes every edit.
func cleanPatient(id string) string {
	return xmlPatient([]string{
		"patientIdNumber", id, "dateOfBirth", "19580704", "sexAssignedAtBirth", "2", "race1", "01",
		"spanishHispanicOrigin", "0", "dateOfLastContact", "20250915", "vitalStatus", "1",
	}, cleanTumor("00", "20250314"))
}

func cleanTumor(seq, dx string) []string {
	return []string{
		"sequenceNumberHospital", seq, "dateOfDiagnosis", dx, "primarySite", "C341", "laterality", "1",
		"histologicTypeIcdO3", "8140", "behaviorCodeIcdO3", "3", "diagnosticConfirmation", "1",
		"classOfCase", "10", "typeOfReportingSource", "1",
	}
}

// badDoc has a clean patient, then a patient (00000002, born 1980) whose second tumor was
// diagnosed in 1970, before the birth.
var badDoc = naaccrDoc(base260, "",
	cleanPatient("00000001"),
	xmlPatient([]string{
		"patientIdNumber", "00000002", "dateOfBirth", "19800101", "sexAssignedAtBirth", "2", "race1", "01",
		"spanishHispanicOrigin", "0", "dateOfLastContact", "20250915", "vitalStatus", "1", "race2", "&lt;b&gt;",
	}, cleanTumor("01", "20200601"), cleanTumor("02", "19700101")),
)

const birthEdit = "DateOfBirthBeforeDiagnosis"

// reportLine is one line of `cara edits run --format json`.
type reportLine struct {
	Patient         int      `json:"patient"`
	Tumor           int      `json:"tumor"`
	PatientIDNumber string   `json:"patientIdNumber"`
	Edit            string   `json:"edit"`
	Severity        string   `json:"severity"`
	Items           []string `json:"items"`
	Message         string   `json:"message"`
}

func parseJSONReport(t *testing.T, out string) []reportLine {
	t.Helper()
	var lines []reportLine
	for i, s := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if s == "" {
			continue
		}
		// Every key of the format is there, and no other.
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &keys); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, s)
		}
		for _, k := range []string{"patient", "tumor", "patientIdNumber", "edit", "severity", "items", "message"} {
			if _, ok := keys[k]; !ok {
				t.Errorf("line %d has no %q: %s", i+1, k, s)
			}
		}
		var l reportLine
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, s)
		}
		if l.Severity != "error" && l.Severity != "warning" {
			t.Errorf("line %d: severity %q", i+1, l.Severity)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestEditsRunTextSummarisesByEditAndFailsOnErrors(t *testing.T) {
	path := writeFile(t, "bad.xml", badDoc)
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", path)
	if !errors.Is(err, errProblems) {
		t.Fatalf("err = %v, want errProblems\n%s", err, out)
	}
	summary := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(path) + `: 2 patients, 3 tumors; (\d+) error and \d+ warning failures; (\d+) records with errors$`)
	m := summary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 1 {
		t.Errorf("summary counts %s errors", m[1])
	}
	if n, _ := strconv.Atoi(m[2]); n < 1 || n > 3 {
		t.Errorf("summary counts %s records with errors, want 1 to 3", m[2])
	}
	if !regexp.MustCompile(`(?m)^\s+1\s+error\s+` + birthEdit + `\s+\S`).MatchString(out) {
		t.Errorf("no count line for %s in\n%s", birthEdit, out)
	}
	failure := "patient 1 (00000002), tumor 1: error " + birthEdit + ": Date of Diagnosis 19700101 is before Date of Birth 19800101"
	if !strings.Contains(out, failure) {
		t.Errorf("no failure line %q in\n%s", failure, out)
	}
	if strings.Contains(out, "patient 0 (") {
		t.Errorf("the clean patient 0 has failures:\n%s", out)
	}
	// The failures come before the summary.
	if strings.Index(out, failure) > strings.Index(out, m[0]) {
		t.Errorf("failures after the summary:\n%s", out)
	}
}

func TestEditsRunOnACleanFileExitsWithoutError(t *testing.T) {
	path := writeFile(t, "clean.xml", naaccrDoc(base260, "", cleanPatient("00000001"), cleanPatient("00000002")))
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", path)
	if err != nil {
		t.Fatalf("err = %v\n%s", err, out)
	}
	want := path + ": 2 patients, 2 tumors; 0 error and 0 warning failures; 0 records with errors"
	if !strings.Contains(out, want) {
		t.Errorf("output\n%s\nwant %q", out, want)
	}
	out, err = runCmd(t, naaccrEnv, "", "edits", "run", "--format", "json", path)
	if err != nil || out != "" {
		t.Errorf("json report of a clean file: %q, %v; want nothing", out, err)
	}
}

func TestEditsRunJSONGivesOneObjectPerFailureWithZeroBasedPositions(t *testing.T) {
	path := writeFile(t, "bad.xml", badDoc)
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", "--format", "json", path)
	if !errors.Is(err, errProblems) {
		t.Fatalf("err = %v, want errProblems\n%s", err, out)
	}
	lines := parseJSONReport(t, out)
	var got []reportLine
	for _, l := range lines {
		if l.Edit == birthEdit {
			got = append(got, l)
		}
		if l.Patient == 0 {
			t.Errorf("the clean patient 0 fails: %+v", l)
		}
		if l.Patient < 0 || l.Patient > 1 || l.Tumor < -1 || l.Tumor > 1 {
			t.Errorf("position out of the file: %+v", l)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d lines for %s, want 1:\n%s", len(got), birthEdit, out)
	}
	g := got[0]
	if g.Patient != 1 || g.Tumor != 1 || g.PatientIDNumber != "00000002" || g.Severity != "error" ||
		!slices.Equal(g.Items, []string{"dateOfBirth", "dateOfDiagnosis"}) ||
		!strings.Contains(g.Message, "19700101") || !strings.Contains(g.Message, "19800101") {
		t.Errorf("line %+v\nwant patient 1, tumor 1, 00000002, error, items [dateOfBirth dateOfDiagnosis], a message with both dates", g)
	}
	for _, l := range lines {
		if l.Edit == "DiagnosisBeforeLastContact" {
			t.Errorf("DiagnosisBeforeLastContact fails though every diagnosis is before the last contact: %+v", l)
		}
	}
}

func TestEditsRunJSONReportsDiagnosisAfterLastContact(t *testing.T) {
	path := writeFile(t, "late.xml", naaccrDoc(base260, "",
		xmlPatient([]string{"patientIdNumber", "00000009", "dateOfBirth", "19580704", "dateOfLastContact", "20240101"},
			cleanTumor("00", "20250314"))))
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", "--format", "json", path)
	if !errors.Is(err, errProblems) {
		t.Fatalf("err = %v, want errProblems\n%s", err, out)
	}
	found := false
	for _, l := range parseJSONReport(t, out) {
		if l.Edit == "DiagnosisBeforeLastContact" {
			found = l.Patient == 0 && l.Tumor == 0 && l.Severity == "error" &&
				slices.Equal(l.Items, []string{"dateOfDiagnosis", "dateOfLastContact"})
		}
	}
	if !found {
		t.Errorf("no DiagnosisBeforeLastContact failure for patient 0, tumor 0 in\n%s", out)
	}
}

func TestEditsRunCSVHasAHeaderAndARowPerFailure(t *testing.T) {
	path := writeFile(t, "bad.xml", badDoc)
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", "--format", "csv", path)
	if !errors.Is(err, errProblems) {
		t.Fatalf("err = %v, want errProblems\n%s", err, out)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	want := []string{"patient", "tumor", "patientIdNumber", "edit", "severity", "items", "message"}
	if len(recs) < 2 || !slices.Equal(recs[0], want) {
		t.Fatalf("records %q, want the header %q and rows", recs, want)
	}
	var row []string
	for _, r := range recs[1:] {
		if r[3] == birthEdit {
			row = r
		}
	}
	if row == nil || row[0] != "1" || row[1] != "1" || row[2] != "00000002" || row[4] != "error" ||
		row[5] != "dateOfBirth dateOfDiagnosis" || !strings.Contains(row[6], "19700101") {
		t.Errorf("row of %s = %q", birthEdit, row)
	}
}

func TestEditsRunHTMLHasSummaryCountsAndDrillDown(t *testing.T) {
	path := writeFile(t, "bad.xml", badDoc)
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", "--format", "html", path)
	if !errors.Is(err, errProblems) {
		t.Fatalf("err = %v, want errProblems\n%s", err, out)
	}
	if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "</html>") {
		t.Fatalf("not an HTML document:\n%s", out)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.Find("p").First().Text(), "2 patients, 3 tumors") {
		t.Errorf("no totals in the summary: %q", doc.Find("p").First().Text())
	}
	var count string
	doc.Find("tr").EachWithBreak(func(_ int, tr *goquery.Selection) bool {
		if tr.Find(`a[href="#`+birthEdit+`"]`).Length() == 1 {
			count = strings.TrimSpace(tr.Find("td.num").Text())
			if tr.Find("span.bar").Length() != 1 {
				t.Errorf("no bar for %s", birthEdit)
			}
			return false
		}
		return true
	})
	if count != "1" {
		t.Errorf("summary table gives %s %q failures, want 1\n%s", birthEdit, count, out)
	}
	det := doc.Find(`details#` + birthEdit)
	if det.Length() != 1 || !strings.Contains(det.Find("summary").Text(), birthEdit+": 1 failures") {
		t.Fatalf("no drill-down for %s\n%s", birthEdit, out)
	}
	cells := det.Find("tbody tr").First().Find("td")
	if cells.Length() != 4 || cells.Eq(0).Text() != "1" || cells.Eq(1).Text() != "1" || cells.Eq(2).Text() != "00000002" ||
		!strings.Contains(cells.Eq(3).Text(), "19700101") {
		t.Errorf("drill-down row %q", cells.Text())
	}
	// Values from the file are escaped: the field check of race2 quotes "<b>".
	if strings.Contains(out, "<b>") {
		t.Errorf("a value of the file is in the report unescaped")
	}
}

func TestEditsRunOutWritesTheReportAndNothingOnFailure(t *testing.T) {
	path := writeFile(t, "bad.xml", badDoc)
	dir := t.TempDir()
	stdout, err := runCmd(t, naaccrEnv, "", "edits", "run", "--format", "json", path)
	if !errors.Is(err, errProblems) {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.json")
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", "--format", "json", "--out", report, path)
	if !errors.Is(err, errProblems) || out != "" {
		t.Fatalf("with --out: %q, %v; want nothing printed and errProblems", out, err)
	}
	b, err := os.ReadFile(report)
	if err != nil || string(b) != stdout {
		t.Fatalf("report file %q (%v), want what standard output got:\n%s", b, err, stdout)
	}

	// A file that breaks off in the middle: the run fails and leaves no report.
	broken := writeFile(t, "broken.xml", naaccrDoc(base260, "", cleanPatient("00000001"), "  <Patient><Bogus/></Patient>\n"))
	failed := filepath.Join(dir, "failed.json")
	_, err = runCmd(t, naaccrEnv, "", "edits", "run", "--format", "json", "--out", failed, broken)
	if err == nil || errors.Is(err, errProblems) || !strings.Contains(err.Error(), "Bogus") {
		t.Fatalf("err = %v, want the structural error", err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"report.json"}) {
		t.Errorf("folder holds %q after the failed run; want only report.json", names)
	}
}

func TestEditsRunGivesTheSameReportWithSeveralWorkers(t *testing.T) {
	gen := filepath.Join(t.TempDir(), "gen.xml")
	if out, err := runCmd(t, naaccrEnv, "", "naaccr", "generate", "--patients", "250", "--seed", "6", "--out", gen); err != nil {
		t.Fatalf("generate: %v\n%s", err, out)
	}
	for _, format := range []string{"json", "text"} {
		one, err1 := runCmd(t, naaccrEnv, "", "edits", "run", "--format", format, "--workers", "1", gen)
		if err1 != nil && !errors.Is(err1, errProblems) {
			t.Fatal(err1)
		}
		if format == "json" {
			lines := parseJSONReport(t, one)
			if len(lines) < 10 {
				t.Fatalf("only %d failures in the generated file; it does not test the order", len(lines))
			}
			// File order: patients never go back.
			for i := 1; i < len(lines); i++ {
				if lines[i].Patient < lines[i-1].Patient {
					t.Fatalf("line %d is patient %d after patient %d", i+1, lines[i].Patient, lines[i-1].Patient)
				}
			}
		}
		for _, w := range []string{"2", "4"} {
			many, err := runCmd(t, naaccrEnv, "", "edits", "run", "--format", format, "--workers", w, gen)
			if (err == nil) != (err1 == nil) {
				t.Errorf("%s, %s workers: err %v, with one %v", format, w, err, err1)
			}
			if many != one {
				t.Errorf("%s report with %s workers differs from one worker's", format, w)
			}
		}
	}
}

func TestEditsRunRefusesBadArguments(t *testing.T) {
	path := writeFile(t, "bad.xml", badDoc)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"edits", "run", "--format", "pdf", path}, `--format "pdf"`},
		{"negative workers", []string{"edits", "run", "--workers", "-1", path}, "--workers -1"},
		{"too many workers", []string{"edits", "run", "--workers", "1000", path}, "--workers 1000"},
		{"workers not a number", []string{"edits", "run", "--workers", "two", path}, "workers"},
		{"no file", []string{"edits", "run"}, "name one NAACCR XML file"},
		{"two files", []string{"edits", "run", path, path}, "name one NAACCR XML file"},
		{"store and a file", []string{"edits", "run", "--store", path}, "--store reads the database"},
		{"no verb", []string{"edits"}, "run or list"},
		{"unknown verb", []string{"edits", "fix"}, `"fix"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCmd(t, naaccrEnv, "", tc.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a usage error saying %q", err, tc.want)
			}
			if out != "" {
				t.Errorf("a refused run printed %q", out)
			}
		})
	}
}

func TestEditsRunRefusesAnOlderVersionAndSaysToConvert(t *testing.T) {
	path := writeFile(t, "old.xml", naaccrDoc(base250, "",
		xmlPatient([]string{"patientIdNumber", "00000001"}, []string{"primarySite", "C341"})))
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", path)
	if err == nil || errors.Is(err, errProblems) || !strings.Contains(err.Error(), "version 250") ||
		!strings.Contains(err.Error(), "cara naaccr convert --to 260") {
		t.Fatalf("err = %v, want a refusal naming version 250 and the convert command", err)
	}
	if out != "" {
		t.Errorf("printed %q", out)
	}
}

func TestEditsRunStoreUpdatesTheTumorsEditCounts(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		if out, err := runDemo(t, e); err != nil {
			t.Fatalf("demo: %v\n%s", err, out)
		}
		s, err := store.Open(ctx, store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath, AuditKey: envAuditKey(t, e)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.AllFacilities})
		if err != nil || len(rows) == 0 {
			t.Fatalf("worklist: %d rows, %v", len(rows), err)
		}
		// One case made wrong: diagnosed in 1900, before the birth; saved with no edit errors.
		bad := rows[0].TumorID
		cs, err := s.LoadCase(ctx, bad, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		tumor := map[string]string(cs.Tumor.Items)
		tumor["dateOfDiagnosis"] = "19000101"
		if _, _, err := s.SaveCase(ctx, store.CaseSave{
			TumorID: bad, Scope: store.AllFacilities, PatientVersion: cs.Patient.Version, TumorVersion: cs.Tumor.Version,
			PatientItems: cs.Patient.Items, TumorItems: tumor,
		}); err != nil {
			t.Fatal(err)
		}
		errorsOf := func() int {
			t.Helper()
			rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.AllFacilities})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.TumorID == bad {
					return r.EditErrors
				}
			}
			t.Fatalf("tumor %d is not on the worklist", bad)
			return 0
		}
		if n := errorsOf(); n != 0 {
			t.Fatalf("before the run the bad case has %d edit errors stored, want 0", n)
		}

		out, err := runCmd(t, e, "", "edits", "run", "--store")
		if err != nil {
			t.Fatalf("edits run --store: %v\n%s", err, out)
		}
		if want := "on " + strconv.Itoa(len(rows)) + " tumors"; !strings.Contains(out, want) || !strings.Contains(out, "counts updated") {
			t.Errorf("output %q, want it to say %q and counts updated", out, want)
		}
		if n := errorsOf(); n < 1 {
			t.Errorf("after the run the bad case has %d edit errors stored, want at least 1", n)
		}

		// The same for one facility; an unknown facility is refused.
		if out, err := runCmd(t, e, "", "edits", "run", "--store", "--facility", demoFacilityCode); err != nil || !strings.Contains(out, "on "+strconv.Itoa(len(rows))+" tumors") {
			t.Errorf("--facility %s: %q, %v", demoFacilityCode, out, err)
		}
		if _, err := runCmd(t, e, "", "edits", "run", "--store", "--facility", "NOPE"); err == nil || !strings.Contains(err.Error(), `"NOPE"`) {
			t.Errorf("--facility NOPE: err = %v", err)
		}
	})
}

func TestEditsListNamesEveryEdit(t *testing.T) {
	out, err := runCmd(t, naaccrEnv, "", "edits", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	last := lines[len(lines)-1]
	if want := strconv.Itoa(len(lines)-1) + " edits"; last != want {
		t.Errorf("last line %q, want %q", last, want)
	}
	found := false
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 3 && f[0] == birthEdit {
			found = f[1] == "error" && f[2] == "tumor" && strings.Contains(l, "[dateOfBirth, dateOfDiagnosis]")
		}
	}
	if !found {
		t.Errorf("no line for %s (error, tumor, its items) in\n%s", birthEdit, out)
	}
	if _, err := runCmd(t, naaccrEnv, "", "edits", "list", "extra"); !errors.Is(err, errUsage) {
		t.Errorf("edits list extra: err = %v, want a usage error", err)
	}
}
