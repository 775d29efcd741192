package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
)

// defaultAuditKeyFile is where the audit key lives unless configured: beside the SQLite database.
const defaultAuditKeyFile = "data/audit.key"

// auditKey returns the installation's audit key: CARA_AUDIT_KEY (base64), else the file
// CARA_AUDIT_KEY_FILE, else data/audit.key. When neither is set and data/audit.key does not
// exist, it makes that file (mode 0600) and says so on notices: a new installation gets its key
// from the first command, as it gets its database. A configured file that is missing is an
// error, not a new key: a second process of an installation must use the first one's key.
func (e env) auditKey(notices io.Writer) (*audit.Key, error) {
	if e.AuditKey != "" {
		if e.AuditKeyFile != "" {
			return nil, fmt.Errorf("CARA_AUDIT_KEY and CARA_AUDIT_KEY_FILE are both set: set one of them")
		}
		k, err := audit.ParseKey(e.AuditKey)
		if err != nil {
			return nil, fmt.Errorf("CARA_AUDIT_KEY: %w", err)
		}
		return k, nil
	}
	path, configured := e.AuditKeyFile, true
	if path == "" {
		path, configured = defaultAuditKeyFile, false
	}
	k, err := readAuditKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) && !configured {
		return createAuditKeyFile(path, notices)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("CARA_AUDIT_KEY_FILE: %s does not exist: put this installation's audit key there (every cara process of one installation uses the same key)", path)
	}
	return k, err
}

// readAuditKeyFile reads a key file, which only its owner may read or write.
func readAuditKeyFile(path string) (*audit.Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("audit key %s: its mode is %04o, so others than its owner can read or change it: chmod 600 %s",
			path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	k, err := audit.ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	return k, nil
}

// createAuditKeyFile makes a new key in a new file of mode 0600. Two processes starting at once
// both try; the one that finds the file made reads it.
func createAuditKeyFile(path string, notices io.Writer) (*audit.Key, error) {
	secret, err := audit.NewSecret()
	if err != nil {
		return nil, err
	}
	k, err := audit.NewKey(secret)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readAuditKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	_, err = f.WriteString(audit.EncodeSecret(secret) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	if notices != nil {
		fmt.Fprintf(notices, "cara: created the audit key %s (mode 0600); keep a copy apart from the database's backups, "+
			"and give every cara process of this installation the same key (CARA_AUDIT_KEY_FILE or CARA_AUDIT_KEY)\n", path)
	}
	return k, nil
}

// openKeyedStore opens and migrates the configured database with the installation's audit key;
// the migration seals a chain not sealed yet. check refuses a key that is not the one the chain
// was sealed with, before the command appends anything; audit verify leaves it to the verify.
func openKeyedStore(ctx context.Context, e env, check bool) (*store.Store, *audit.Key, int, error) {
	key, err := e.auditKey(e.notices)
	if err != nil {
		return nil, nil, 0, err
	}
	s, err := store.Open(ctx, store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath, Now: e.Now, AuditKey: key})
	if err != nil {
		return nil, nil, 0, err
	}
	n, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, nil, 0, err
	}
	if check {
		if err := s.CheckAuditKey(ctx); err != nil {
			s.Close()
			if errors.Is(err, store.ErrAuditKey) {
				return nil, nil, 0, fmt.Errorf("%w: every cara process of one installation needs the same key (CARA_AUDIT_KEY_FILE or CARA_AUDIT_KEY, else %s)",
					err, defaultAuditKeyFile)
			}
			return nil, nil, 0, err
		}
	}
	return s, key, n, nil
}
