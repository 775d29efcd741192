package main

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

// stagingDoc has one breast case (C504 8500/3, 2025) that the Breast schema refuses HER2 Overall
// Summary 5 for, and whose EOD fields (100, 000, 00) stage as localized (1) while Summary Stage
// 2018 says 3.
var stagingDoc = naaccrDoc(base260, "", xmlPatient([]string{
	"patientIdNumber", "00000001", "dateOfBirth", "19580704", "sexAssignedAtBirth", "2", "race1", "01",
	"spanishHispanicOrigin", "0", "dateOfLastContact", "20250915", "vitalStatus", "1",
}, []string{
	"sequenceNumberHospital", "00", "dateOfDiagnosis", "20250314", "primarySite", "C504", "laterality", "1",
	"histologicTypeIcdO3", "8500", "behaviorCodeIcdO3", "3", "diagnosticConfirmation", "1",
	"classOfCase", "10", "typeOfReportingSource", "1", "eodPrimaryTumor", "100", "eodRegionalNodes", "000",
	"eodMets", "00", "her2OverallSummary", "5", "summaryStage2018", "3",
}))

// The staging edits run in batch as every edit does: `cara edits run` and `cara intake` report them.
func TestEditsRunAndIntakeReportTheStagingEdits(t *testing.T) {
	path := writeFile(t, "staging.xml", stagingDoc)
	out, err := runCmd(t, naaccrEnv, "", "edits", "run", "--format", "json", path)
	if !errors.Is(err, errProblems) {
		t.Fatalf("edits run: %v, want errProblems (an error-severity failure)\n%s", err, out)
	}
	byEdit := map[string]reportLine{}
	for _, l := range parseJSONReport(t, out) {
		byEdit[l.Edit] = l
	}
	if l := byEdit["StagingInputNotValid"]; l.Severity != "error" || !slices.Equal(l.Items, []string{"her2OverallSummary"}) ||
		!strings.Contains(l.Message, `HER2 Overall Summary [3855] is "5"`) || !strings.Contains(l.Message, "her2_summary_30512") {
		t.Errorf("StagingInputNotValid: %+v", l)
	}
	if l := byEdit["StagingSummaryStageDisagrees"]; l.Severity != "warning" || !strings.Contains(l.Message, "derives 1") {
		t.Errorf("StagingSummaryStageDisagrees: %+v", l)
	}

	e := testEnv(t, store.DialectSQLite)
	addFacility(t, e)
	path = writeFile(t, "staging.xml", stagingDoc)
	out, err = runCmd(t, e, "", "intake", "--format", "csv", path)
	if err == nil || !strings.Contains(out, ",StagingInputNotValid,error,her2OverallSummary,") || !strings.Contains(out, ",StagingSummaryStageDisagrees,warning,") {
		t.Errorf("intake: %v, want the staging edits in the report\n%.1500s", err, out)
	}
}
