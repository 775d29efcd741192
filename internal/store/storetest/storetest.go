// Package storetest gives tests a freshly migrated store on each supported database: SQLite in a
// temporary folder, and MySQL/MariaDB in a database of its own that is dropped afterwards.
//
// MySQL is reached at CARA_TEST_MYSQL_DSN (default root@tcp(127.0.0.1:3306)/test). When it cannot
// be reached the MySQL runs are skipped, except with CI=true, where that is a failure.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/testskip"
)

// DefaultMySQLDSN is where CI and developer machines run MariaDB.
const DefaultMySQLDSN = "root@tcp(127.0.0.1:3306)/test"

// Clock is the fixed time stores made here start at.
var Clock = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

// AuditKey is the audit key of the stores made here: a fixed one, so that a test can verify a
// trail (audit.Verify) or make a store of the same database with it.
var AuditKey = mustKey(bytes.Repeat([]byte("cara-storetest!!"), 2))

// OtherAuditKey is a key that is not AuditKey, for tests of a wrong key.
var OtherAuditKey = mustKey(bytes.Repeat([]byte("not-the-test-key"), 2))

func mustKey(secret []byte) *audit.Key {
	k, err := audit.NewKey(secret)
	if err != nil {
		panic(err)
	}
	return k
}

// Each runs fn as a subtest once per database, each with a new, migrated, empty store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		t.Run(string(d), func(t *testing.T) {
			fn(t, New(t, d))
		})
	}
}

// New returns a migrated, empty store of the given dialect, closed and removed at cleanup: a
// copy of a database migrated once per test process (template.go).
func New(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	ctx := context.Background()
	var cfg store.Config
	switch d {
	case store.DialectSQLite:
		cfg.SQLitePath = filepath.Join(t.TempDir(), "cara.db")
	case store.DialectMySQL:
		cfg.MySQLDSN = MySQLDSN(t)
	}
	cfg.Now = func() time.Time { return Clock }
	cfg.AuditKey = AuditKey
	fromTemplate(t, d, cfg)
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", d, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// MySQLDSN creates an empty MySQL database of its own for one test, dropped at cleanup, and
// returns its DSN. It skips (or fails, with CI=true) when MySQL cannot be reached.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	base, err := baseMySQLConfig()
	if err != nil {
		t.Fatalf("CARA_TEST_MYSQL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", base.FormatDSN())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
		admin.Close()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MySQL at %s is required in CI: %v", base.Addr, err)
		}
		testskip.Skip(t, "MySQL at %s is not reachable (set CARA_TEST_MYSQL_DSN): %v", base.Addr, err)
	}
	dsn, drop, err := createMySQLDatabase()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dsn
}

func baseMySQLConfig() (*mysqldriver.Config, error) {
	base := os.Getenv("CARA_TEST_MYSQL_DSN")
	if base == "" {
		base = DefaultMySQLDSN
	}
	return mysqldriver.ParseDSN(base)
}

// createMySQLDatabase makes an empty database of a new name and returns its DSN and what drops it.
func createMySQLDatabase() (string, func() error, error) {
	cfg, err := baseMySQLConfig()
	if err != nil {
		return "", nil, fmt.Errorf("CARA_TEST_MYSQL_DSN: %w", err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		admin.Close()
		return "", nil, err
	}
	name := "cara_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	drop := func() error {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
			return fmt.Errorf("drop test database %s: %w", name, err)
		}
		return nil
	}
	cfg.DBName = name
	return cfg.FormatDSN(), drop, nil
}
