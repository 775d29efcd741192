package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// The SQLite database holds names, dates of birth and addresses: a new one, its folder and its
// WAL files are for cara's user alone, whatever the umask.
func TestANewSQLiteDatabaseIsReadableByCarasUserAlone(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "cara.db")
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{SQLitePath: path, AuditKey: storetest.AuditKey})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", filepath.Base(p), fi.Mode(), want)
		}
	}
}
