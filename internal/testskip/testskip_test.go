package testskip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A skip writes its reason, on one line, to a file in the folder the environment names; the
// Makefile's summary reads those files.
func TestSkipRecordsTheReasonInTheFolderTheEnvironmentNames(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(DirEnv, dir)
	for range 2 {
		t.Run("skipped", func(t *testing.T) {
			Skip(t, "MySQL at %s is not reachable:\n%s", "127.0.0.1:3306", "connection refused")
		})
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v, %v; want one", files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("MySQL at 127.0.0.1:3306 is not reachable: connection refused\n", 2)
	if string(b) != want {
		t.Errorf("recorded %q, want %q", b, want)
	}
}

// Without the variable a skip only skips.
func TestSkipWithoutTheFolderOnlySkips(t *testing.T) {
	t.Setenv(DirEnv, "")
	t.Run("skipped", func(t *testing.T) { Skip(t, "no chromium") })
}
