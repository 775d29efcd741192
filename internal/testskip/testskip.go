// Package testskip skips a test for a missing part of the test environment (MySQL, chromium)
// and records why, so that `make test` can end with a summary of what it did not run: a green
// run on a laptop without them is not the whole suite.
package testskip

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DirEnv names the folder the reasons are written to, one file per test process; the Makefile
// sets it. Unset, Skip only skips.
const DirEnv = "CARA_TEST_SKIP_DIR"

// Skip records the reason (one line) and skips the test with it.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if dir := os.Getenv(DirEnv); dir != "" {
		if err := record(dir, reason); err != nil {
			t.Logf("testskip: %v", err)
		}
	}
	t.Skip(reason)
}

// record appends the reason to this process's file in dir, in one write (O_APPEND keeps the
// lines of parallel tests whole).
func record(dir, reason string) error {
	line := strings.Join(strings.Fields(reason), " ") + "\n"
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("skips-%d.txt", os.Getpid())), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("record skip: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("record skip: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("record skip: %w", err)
	}
	return nil
}
