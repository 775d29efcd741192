package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/tempfile"
)

// helperArgs, when set, makes the test binary run cara with these arguments (separated by
// newlines) instead of the tests: the test below runs it as a child and kills it.
const helperArgs = "CARA_TEST_RUN_ARGS"

func TestHelperRunsCara(t *testing.T) {
	args := os.Getenv(helperArgs)
	if args == "" {
		t.Skip("runs only as the child of a test")
	}
	err := run(context.Background(), strings.Split(args, "\n"), envFromOS(), os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

func TestKilledSubmissionCreateLeavesAnOwnerOnlyTemporaryThatTheNextBatchRemoves(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a database of 1500 cases")
	}
	e := testEnv(t, store.DialectSQLite)
	work, _ := os.Getwd() // testEnv's temporary working directory, with ./data/cara.db
	addFacility(t, e)
	s := openTestStore(t, e)
	ctx := context.Background()
	f, err := s.FacilityByCode(ctx, "F1")
	if err != nil {
		t.Fatal(err)
	}
	pats := make([]naaccr.Patient, 0, 500)
	for i := 1; i <= 1500; i++ {
		pats = append(pats, approvedPatient(i, "C619"))
		if len(pats) == cap(pats) {
			if _, err := s.ImportPatients(ctx, f.ID, "approved", pats, nil); err != nil {
				t.Fatal(err)
			}
			pats = pats[:0]
		}
	}
	dir := filepath.Join(t.TempDir(), "subs")

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRunsCara$")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), helperArgs+"=submission\ncreate\n--facility\nF1", "CARA_SUBMISSION_DIR="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it with SIGKILL as soon as its temporary is there: mid-batch, nothing cleans up.
	var tmp string
	deadline := time.Now().Add(60 * time.Second)
	for tmp == "" {
		ents, _ := os.ReadDir(dir)
		for _, de := range ents {
			if tempfile.IsTemp(de.Name()) {
				tmp = filepath.Join(dir, de.Name())
			}
		}
		if tmp == "" && time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no temporary appeared in %s\n%s", dir, out.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	fi, err := os.Stat(tmp)
	if err != nil {
		t.Fatalf("the killed batch left no temporary (it finished first?): %v\n%s", err, out.String())
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("the killed batch's temporary has mode %v, want 0600", m)
	}
	if batches, _ := filepath.Glob(filepath.Join(dir, "*.xml")); len(batches) != 0 {
		t.Fatalf("the killed batch was completed: %v", batches)
	}

	// Fresh, it could be another process's running batch: the next batch leaves it.
	e.SubmissionDir = dir
	// (No case was diagnosed in 2025: the batch sweeps, writes nothing and is not recorded.)
	runCmd(t, e, "", "submission", "create", "--facility", "F1", "--from", "2025")
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("a fresh temporary was removed: %v", err)
	}
	// An hour later no running job has it: the next batch removes it and is made.
	old := time.Now().Add(-tempfile.StaleAfter - time.Minute)
	if err := os.Chtimes(tmp, old, old); err != nil {
		t.Fatal(err)
	}
	if o, err := runCmd(t, e, "", "submission", "create", "--facility", "F1"); err != nil {
		t.Fatalf("batch after the killed one: %v\n%s", err, o)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed batch's temporary is still there: %v", err)
	}
}
