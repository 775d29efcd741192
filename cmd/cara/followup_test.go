package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFollowUpCommandsListRateMatchAndPrint(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runDemo(t, e); err != nil {
			t.Fatalf("demo: %q, %v", out, err)
		}
		out, err := runCmd(t, e, "", "followup", "due", "--facility", "DEMO", "--format", "csv")
		if err != nil || !strings.HasPrefix(out, "tumor_id,patient_id,mrn,last_name,first_name,site,class_of_case,date_of_last_contact,due,") {
			t.Errorf("due csv: %q, %v", out, err)
		}
		if out, err := runCmd(t, e, "", "followup", "due", "--facility", "DEMO", "--format", "xml"); !errors.Is(err, errUsage) {
			t.Errorf("due --format xml: %q, %v", out, err)
		}
		out, err = runCmd(t, e, "", "followup", "rate", "--facility", "DEMO")
		if err != nil || !strings.Contains(out, "rate (B + D) / A") || !strings.Contains(out, "Last five years") {
			t.Errorf("rate: %q, %v", out, err)
		}
		deaths := filepath.Join(t.TempDir(), "deaths.csv")
		if err := os.WriteFile(deaths, []byte("last_name,first_name,date_of_birth,sex,date_of_death,underlying_cause\n"+
			"Nobody,Known,19400101,F,20261001,C349\nBad,Row,19400101,F,2026-13-01,C349\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err = runCmd(t, e, "", "followup", "deaths", "--facility", "DEMO", deaths)
		if !errors.Is(err, errProblems) || !strings.Contains(out, "row 3, column date_of_death") || !strings.Contains(out, "no living patient matches") {
			t.Errorf("deaths: %q, %v", out, err)
		}
		pdf := filepath.Join(t.TempDir(), "letters.pdf")
		out, err = runCmd(t, e, "", "followup", "letters", "--facility", "DEMO", "--month", "202611", "--out", pdf)
		b, rerr := os.ReadFile(pdf)
		if err != nil || rerr != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("letters: %q, %v, %v", out, err, rerr)
		}
	})
}
