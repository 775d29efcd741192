//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
)

func TestSubmissionCreateAndExportWriteOwnerOnlyFilesAndSweepKilledRuns(t *testing.T) {
	old := syscall.Umask(0) // whatever the umask, the files are cara's user's only
	defer syscall.Umask(old)
	e := testEnv(t, store.DialectSQLite)
	addFacility(t, e)
	s := openTestStore(t, e)
	ctx := context.Background()
	f, err := s.FacilityByCode(ctx, "F1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePatient(ctx, f.ID, approvedPatient(1, "C619"), "approved"); err != nil {
		t.Fatal(err)
	}
	e.SubmissionDir = filepath.Join(t.TempDir(), "subs")
	outDir := t.TempDir()
	killed := filepath.Join(outDir, ".cara-cases.xml-0123.tmp") // an export killed an hour and a half ago
	if err := os.WriteFile(killed, []byte("<Patient/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	stale := time.Now().Add(-90 * time.Minute)
	if err := os.Chtimes(killed, stale, stale); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, e, "", "export", "--out", filepath.Join(outDir, "cases.xml")); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if _, err := os.Stat(killed); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed export's temporary is still there (%v)", err)
	}
	if out, err := runCmd(t, e, "", "submission", "create", "--facility", "F1", "--out", filepath.Join(outDir, "batch.xml")); err != nil {
		t.Fatalf("submission create: %v\n%s", err, out)
	}
	batches, _ := filepath.Glob(filepath.Join(e.SubmissionDir, "*.xml"))
	if len(batches) != 1 {
		t.Fatalf("batch files %v", batches)
	}
	for _, p := range []string{filepath.Join(outDir, "cases.xml"), filepath.Join(outDir, "batch.xml"), batches[0]} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
		}
	}
	fi, err := os.Stat(e.SubmissionDir)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("submission directory mode %v, want 0700", m)
	}
}
