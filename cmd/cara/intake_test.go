package main

import (
	"bytes"
	"compress/gzip"
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

func TestIntakeCommandRefusesAGzipThatUnpacksPastTheLimit(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	addFacility(t, e)
	path, _ := synthFile(t, "260", 20)
	plain, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(plain)
	zw.Close()
	if err := os.WriteFile("sub.xml.gz", z.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	e.IntakeMaxUnpackedBytes = int64(len(plain)) / 2
	out, err := runCmd(t, e, "", "intake", "--accept", "sub.xml.gz")
	if !errors.Is(err, errProblems) || !strings.Contains(err.Error(), "unpacks to more than") || !strings.Contains(err.Error(), "CARA_INTAKE_MAX_UNPACKED_BYTES") {
		t.Errorf("intake past the unpacked limit: %v, want the limit named\n%.400s", err, out)
	}
	s := openTestStore(t, e)
	if n, err := s.CountPatients(t.Context(), store.AllFacilities); err != nil || n != 0 {
		t.Errorf("%d patients imported from a refused file (%v)", n, err)
	}

	e.IntakeMaxUnpackedBytes = -1 // what envFromOS makes of CARA_INTAKE_MAX_UNPACKED_BYTES=lots
	if _, err := runCmd(t, e, "", "intake", "sub.xml.gz"); err == nil || !strings.Contains(err.Error(), "CARA_INTAKE_MAX_UNPACKED_BYTES") {
		t.Errorf("bad CARA_INTAKE_MAX_UNPACKED_BYTES: %v, want an error naming it", err)
	}
}

func TestIntakeUnpackedLimitDefaultsToTenUploads(t *testing.T) {
	for _, tc := range []struct {
		maxBytes, unpacked int64
		want               int64
	}{
		{0, 0, 20 << 30},
		{1 << 20, 0, 10 << 20},
		{1 << 20, 5 << 20, 5 << 20},
	} {
		_, got, err := env{IntakeMaxBytes: tc.maxBytes, IntakeMaxUnpackedBytes: tc.unpacked}.intakeLimits("serve")
		if err != nil || got != tc.want {
			t.Errorf("max %d, unpacked %d: limit %d (%v), want %d", tc.maxBytes, tc.unpacked, got, err, tc.want)
		}
	}
}
