package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

func TestEHRFHIRTakesABundleOnceAndRefusesABadOne(t *testing.T) {
	bundle, err := filepath.Abs("../../internal/fhirintake/testdata/breast.json") // before the test's own directory
	if err != nil {
		t.Fatal(err)
	}
	e := testEnv(t, store.DialectSQLite)
	if out, err := runCmd(t, e, "", "facility", "add", "--code", "FH", "--name", "FHIR General"); err != nil {
		t.Fatalf("facility add: %q %v", out, err)
	}
	out, err := runCmd(t, e, "", "ehr", "fhir", "--facility", "FH", bundle)
	if err != nil {
		t.Fatalf("ehr fhir: %q %v", out, err)
	}
	for _, want := range []string{"possible case #1 added", "Primary Site [400] = C504  from Bundle.entry[1].resource(Condition).bodySite[0].coding[0]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out, err = runCmd(t, e, "", "ehr", "fhir", "--facility", "FH", bundle); err != nil || !strings.Contains(out, "received before: possible case #1") {
		t.Errorf("again: %q %v", out, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"resourceType": "Patient"}`), 0o600)
	out, err = runCmd(t, e, "", "ehr", "fhir", "--facility", "FH", "--outcome", bad)
	if err == nil || !strings.Contains(out, `"severity": "error"`) || !strings.Contains(out, "not a Bundle") {
		t.Errorf("a Patient: %q %v; want an OperationOutcome error and exit status 1", out, err)
	}
}
