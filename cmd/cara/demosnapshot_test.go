package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// demoSnapshot is the data directory (./data: the SQLite database and the audit key) that
// `cara demo` made in the first test of this process that asked for it, with what the command
// printed. Under -race the demo load takes seconds and some twenty tests start from it; each
// later test gets a copy of the files, which is what the command would have made again: the
// demo is the same for the same clock (testNow). One thing is not: the demo registry's intake
// file is stored by its absolute path, in the first test's directory, so a test that reads that
// file runs the command itself.
var demoSnapshot struct {
	mu    sync.Mutex
	files map[string][]byte // path under ./data → content
	modes map[string]fs.FileMode
	out   string
}

// runDemo is runCmd(t, e, "", "demo") for a test that starts from the demo data. On SQLite with
// testEnv's defaults it copies the snapshot of the first run; otherwise (MySQL, another clock or
// audit key, a data directory already there) it runs the command.
func runDemo(t *testing.T, e env) (string, error) {
	t.Helper()
	_, statErr := os.Stat("data")
	if e.DatabaseURL != "" || e.AuditKey != "" || e.AuditKeyFile != "" || e.Now == nil || !e.Now().Equal(testNow) || statErr == nil {
		return runCmd(t, e, "", "demo")
	}
	demoSnapshot.mu.Lock()
	defer demoSnapshot.mu.Unlock()
	if demoSnapshot.files == nil {
		out, err := runCmd(t, e, "", "demo")
		if err != nil {
			return out, err
		}
		files, modes := map[string][]byte{}, map[string]fs.FileMode{}
		err = filepath.WalkDir("data", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			files[path], modes[path] = b, fi.Mode().Perm()
			return nil
		})
		if err != nil {
			t.Fatalf("snapshot of the demo data: %v", err)
		}
		demoSnapshot.files, demoSnapshot.modes, demoSnapshot.out = files, modes, out
		return out, nil
	}
	for path, b := range demoSnapshot.files {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, demoSnapshot.modes[path]); err != nil {
			t.Fatal(err)
		}
	}
	return demoSnapshot.out, nil
}
