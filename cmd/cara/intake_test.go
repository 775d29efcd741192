package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

func TestIntakeCommandReportsAcceptsAndSecondAcceptAddsNothing(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		addFacility(t, e)
		path, st := synthFile(t, "260", 30)
		out, err := runCmd(t, e, "", "intake", "--facility", "F1", "--accept", path)
		if err != nil {
			t.Fatalf("intake: %v\n%s", err, out)
		}
		if !strings.Contains(out, ": done; 30 patients") || !strings.Contains(out, "accepted under facility") || !strings.Contains(out, "imported") {
			t.Errorf("report lacks the summary or the accept:\n%.800s", out)
		}
		s := openTestStore(t, e)
		rows, err := s.Worklist(t.Context(), store.WorklistFilter{Scope: store.AllFacilities, Status: "received", Limit: 1000})
		if err != nil || len(rows) == 0 || len(rows) > st.Tumors {
			t.Fatalf("%d received cases (%v), want some of %d", len(rows), err, st.Tumors)
		}
		out, err = runCmd(t, e, "", "intake", "--accept", path)
		if err != nil || !strings.Contains(out, "nothing new") {
			t.Errorf("second intake: %v\n%.800s", err, out)
		}
	})
}

func TestIntakeCommandCSVAndStructuralErrorExitStatus(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	addFacility(t, e)
	path, _ := synthFile(t, "260", 5)
	out, err := runCmd(t, e, "", "intake", "--format", "csv", path)
	if err != nil || !strings.HasPrefix(out, "patient,tumor,patientIdNumber,sequence,edit,severity,item,message\n") {
		t.Errorf("csv: %v\n%.400s", err, out)
	}
	if err := os.WriteFile("broken.xml", []byte("<NaaccrData>"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, e, "", "intake", "broken.xml")
	if !errors.Is(err, errProblems) || !strings.Contains(out, "xml.structure") {
		t.Errorf("broken file: %v, want errProblems with the structural failure\n%s", err, out)
	}
	if _, err := runCmd(t, e, "", "intake", "--format", "pdf", path); !errors.Is(err, errUsage) {
		t.Errorf("--format pdf: %v, want a usage error", err)
	}
}
