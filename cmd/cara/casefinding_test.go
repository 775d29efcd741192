package main

import (
	"encoding/csv"
	"errors"
	"os"
	"strings"
	"testing"
)

const casefindingCSV = `mrn,last_name,first_name,date_of_birth,sex,encounter_date,icd10cm_codes,text,unit
M1,Hale,Anne,19550304,F,20260901,C50.912,,4B
M2,Ortiz,Luis,19600102,M,20260815,C44.311,,2
M3,Brown,Tom,19800230,M,20260820,C61,,1
M4,Nakamura,Emi,19710730,F,20260820,Z85.3;C44.311,,2
`

func TestCasefindingImportAndList(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General Hospital"); err != nil {
			t.Fatalf("facility add: %q %v", out, err)
		}
		if err := os.WriteFile("list.csv", []byte(casefindingCSV), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := runCmd(t, e, "", "casefinding", "import", "--facility", "F1", "--source", "disease index", "list.csv")
		if !errors.Is(err, errProblems) {
			t.Fatalf("import with a bad row: %v, want problems", err)
		}
		for _, want := range []string{"rows read: 4\n", "added: 3 (set aside as not reportable: 1)\n", "already there: 0\n", "errors: 1\n",
			"columns ignored: unit\n", `row 4, column date_of_birth: "19800230": not a date`} {
			if !strings.Contains(out, want) {
				t.Errorf("summary lacks %q:\n%s", want, out)
			}
		}
		out, _ = runCmd(t, e, "", "casefinding", "import", "--facility", "F1", "--source", "disease_index", "list.csv")
		if !strings.Contains(out, "added: 0 ") || !strings.Contains(out, "already there: 3\n") {
			t.Errorf("re-import: %s", out)
		}
		out, err = runCmd(t, e, "", "casefinding", "list", "--facility", "F1", "--format", "csv")
		if err != nil {
			t.Fatalf("list: %v %s", err, out)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) != 4 {
			t.Fatalf("list csv: %d rows (%v):\n%s", len(recs), err, out)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		want := map[string][3]string{
			"M1": {"reportable", "C45-C96", "waiting"},
			"M2": {"not_reportable", "C44*", "set_aside"},
			"M4": {"review", "Z85*", "waiting"},
		}
		for _, r := range recs[1:] {
			w := want[r[col["mrn"]]]
			if got := [3]string{r[col["screening"]], r[col["rule"]], r[col["status"]]}; got != w {
				t.Errorf("%s: %v, want %v", r[col["mrn"]], got, w)
			}
			if r[col["match"]] != "new_patient" || r[col["source"]] != "disease_index" {
				t.Errorf("%s: match %s source %s", r[col["mrn"]], r[col["match"]], r[col["source"]])
			}
		}
		out, err = runCmd(t, e, "", "casefinding", "list", "--facility", "F1", "--status", "set_aside")
		if err != nil || !strings.Contains(out, "1 suspense record\n") || !strings.Contains(out, "Ortiz") {
			t.Errorf("list of set aside: %v\n%s", err, out)
		}
	})
}

func TestCasefindingRefusesBadCommandLines(t *testing.T) {
	e := testEnv(t, "sqlite")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"casefinding", "import", "list.csv"}, "--facility is required"},
		{[]string{"casefinding", "import", "--facility", "F1"}, "name one casefinding CSV file"},
		{[]string{"casefinding", "list", "--facility", "F1", "--format", "xml"}, "--format \"xml\""},
		{[]string{"casefinding", "list", "--facility", "F1", "--status", "pending"}, "--status \"pending\""},
		{[]string{"casefinding", "frob"}, "unknown subcommand"},
	}
	for _, c := range cases {
		status, _, stderr := runCLI(t, e, c.args...)
		if status != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: status %d, stderr %q; want 2 and %q", c.args, status, stderr, c.want)
		}
	}
}

func TestDemoHasASuspenseList(t *testing.T) {
	e := testEnv(t, "sqlite")
	if out, err := runDemo(t, e); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	out, err := runCmd(t, e, "", "casefinding", "list", "--facility", "DEMO")
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	for _, want := range []string{"8 suspense records", "already_abstracted", "known_patient", "set_aside", "Z85*"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's suspense list lacks %q:\n%s", want, out)
		}
	}
}
