package tempfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// age sets a file's modification time to d ago, as a killed job's temporary would have.
func age(t *testing.T, path string, d time.Duration) {
	t.Helper()
	old := time.Now().Add(-d)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("<NaaccrData/>"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestCreateRemovesStaleTemporariesAndKeepsFreshOnes(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".cara-batch-0123.tmp")
	legacy := filepath.Join(dir, ".batch-4567.tmp") // the name older caras gave batches
	fresh := filepath.Join(dir, ".cara-batch-89ab.tmp")
	other := filepath.Join(dir, "CA0001_20260101_01.xml")
	for _, p := range []string{stale, legacy, fresh, other} {
		write(t, p)
	}
	age(t, stale, 2*time.Hour)
	age(t, legacy, 2*time.Hour)
	age(t, other, 48*time.Hour)
	age(t, fresh, 10*time.Minute) // a running job on another host touches it every minute

	f, err := Create(dir, "batch")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	for _, p := range []string{stale, legacy} {
		if exists(p) {
			t.Errorf("%s: a stale temporary is still there", filepath.Base(p))
		}
	}
	for _, p := range []string{fresh, other} {
		if !exists(p) {
			t.Errorf("%s: removed, but it is not a stale temporary", filepath.Base(p))
		}
	}
}

func TestLiveTemporaryIsTouchedSoThatNoSweepTakesIt(t *testing.T) {
	dir := t.TempDir()
	f, err := create(dir, "batch", 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	age(t, f.Name(), 2*time.Hour) // a job waiting on its transaction writes nothing for a while
	deadline := time.Now().Add(5 * time.Second)
	for {
		fi, err := os.Stat(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(fi.ModTime()) < time.Minute {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the live temporary's modification time was not renewed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if removed, err := Sweep(dir, time.Now()); err != nil || len(removed) > 0 {
		t.Errorf("Sweep removed %v (err %v): the temporary of a running job", removed, err)
	}
}

func TestRemoveDeletesTheTemporary(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir, "export")
	if err != nil {
		t.Fatal(err)
	}
	name := f.Name()
	f.Remove()
	if exists(name) {
		t.Error("Remove left the temporary")
	}
}
