package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
)

// approvedPatient is a patient whose one tumor passes every edit.
func approvedPatient(n int, site string) naaccr.Patient {
	return naaccr.Patient{
		Items: map[string]string{
			"patientIdNumber": fmt.Sprintf("%08d", n), "nameLast": fmt.Sprintf("Jones%d", n), "nameFirst": "Robert",
			"dateOfBirth": "19470211", "sexAssignedAtBirth": "1", "race1": "02", "spanishHispanicOrigin": "0",
			"dateOfLastContact": "20260801", "vitalStatus": "1",
		},
		Tumors: []naaccr.Tumor{{Items: map[string]string{
			"medicalRecordNumber": fmt.Sprintf("MR%06d", n), "accessionNumberHosp": fmt.Sprintf("2024%05d", n),
			"sequenceNumberHospital": "00", "dateOfDiagnosis": "20240120", "primarySite": site, "laterality": "0",
			"histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "diagnosticConfirmation": "1",
			"classOfCase": "10", "typeOfReportingSource": "1",
		}}},
	}
}

func TestSubmissionCreateRecordsBatchCopiesFileAndListsIt(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		addFacility(t, e)
		s := openTestStore(t, e)
		ctx := context.Background()
		f, err := s.FacilityByCode(ctx, "F1")
		if err != nil {
			t.Fatal(err)
		}
		for i, site := range []string{"C619", "C619", "C999"} {
			if _, err := s.CreatePatient(ctx, f.ID, approvedPatient(i+1, site), "approved"); err != nil {
				t.Fatal(err)
			}
		}
		e.SubmissionDir = filepath.Join(t.TempDir(), "subs")
		// A dry run prints the preview and writes nothing.
		out, err := runCmd(t, e, "", "submission", "create", "--facility", "F1", "--dry-run")
		if err != nil {
			t.Fatalf("submission create --dry-run: %v\n%s", err, out)
		}
		for _, want := range []string{"2 tumors of 2 patients would be sent", "1 case held back", "MR000003", "Primary Site", "nothing was written"} {
			if !strings.Contains(out, want) {
				t.Errorf("dry run output lacks %q:\n%s", want, out)
			}
		}
		if files, _ := os.ReadDir(e.SubmissionDir); len(files) != 0 {
			t.Errorf("a dry run left %d files in the submission directory", len(files))
		}
		out, err = runCmd(t, e, "", "submission", "create", "--facility", "F1", "--out", "batch.xml.gz")
		if err != nil {
			t.Fatalf("submission create: %v\n%s", err, out)
		}
		for _, want := range []string{"F1_20261120_001.xml.gz", "2 patients, 2 tumors", "1 held back", "1 case held back", "MR000003", "Primary Site"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		copied, err := os.ReadFile("batch.xml.gz")
		if err != nil {
			t.Fatal(err)
		}
		stored, err := os.ReadFile(filepath.Join(e.SubmissionDir, "F1_20261120_001.xml.gz"))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(stored)
		if !bytes.Equal(copied, stored) || !strings.Contains(out, "sha256 "+hex.EncodeToString(sum[:])) {
			t.Errorf("the copy differs from the stored file, or the printed sha256 is not the file's")
		}

		out, err = runCmd(t, e, "", "submission", "create", "--facility", "F1")
		if !errors.Is(err, errProblems) || !strings.Contains(out, "MR000003") {
			t.Errorf("second create: %v, want exit status 1 listing the held case\n%s", err, out)
		}
		out, err = runCmd(t, e, "", "submission", "list")
		if err != nil || !strings.Contains(out, "F1_20261120_001.xml.gz") || !strings.Contains(out, "2 tumors") || !strings.Contains(out, "command line") {
			t.Errorf("list: %v\n%s", err, out)
		}
		if _, err := runCmd(t, e, "", "submission", "create", "--facility", "NOPE"); err == nil {
			t.Error("create for an unknown facility succeeded")
		}
		if _, err := runCmd(t, e, "", "submission", "create"); !errors.Is(err, errUsage) {
			t.Errorf("create without --facility: %v, want a usage error", err)
		}
		var n int64
		db := openTestStore(t, e).DB()
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM tumors WHERE status = 'submitted'").Scan(&n); err != nil || n != 2 {
			t.Errorf("%d cases submitted (%v), want 2", n, err)
		}

		// The batch's cases are bound to its audit event: a link removed afterwards is found.
		if out, err := runCmd(t, e, "", "audit", "verify"); err != nil || !strings.Contains(out, "submission batches intact: 1 checked") {
			t.Errorf("audit verify after the batch: %v\n%s", err, out)
		}
		if _, err := db.ExecContext(ctx, "DELETE FROM submission_tumors WHERE held = ? AND tumor_id = (SELECT MIN(tumor_id) FROM submission_tumors)", false); err != nil {
			t.Fatal(err)
		}
		out, err = runCmd(t, e, "", "audit", "verify")
		if !errors.Is(err, errProblems) || !strings.Contains(out, "F1_20261120_001.xml.gz") || !strings.Contains(out, "do not match the digest") {
			t.Errorf("audit verify after a link was removed: %v, want exit status 1 naming the batch\n%s", err, out)
		}
	})
}
