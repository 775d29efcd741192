// Package store keeps cara's data in SQLite (the embedded default) or MySQL/MariaDB through GORM.
// Every method takes the request's context first; schema changes come only from the SQL
// migrations in /migrations, never from AutoMigrate.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/migrations"
)

// Errors the store translates into domain terms.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("changed by someone else since it was loaded")
	ErrDuplicate = errors.New("already exists")
)

// Dialect names the database a store runs on.
type Dialect string

// The two supported databases.
const (
	DialectSQLite Dialect = "sqlite"
	DialectMySQL  Dialect = "mysql"
)

// Config says which database to open. An empty MySQLDSN means SQLite at SQLitePath.
type Config struct {
	MySQLDSN   string
	SQLitePath string
	Now        func() time.Time // clock for timestamps; time.Now when nil
	// AuditKey hashes every audit event appended (see audit.Key); a store opened without one can
	// read but refuses to append, so that no event is ever written unkeyed.
	AuditKey *audit.Key
}

// Store is the one concrete store of cara.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect Dialect
	now     func() time.Time
	key     *audit.Key
}

// Open connects to the configured database. It does not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	gcfg := &gorm.Config{
		TranslateError: true,
		Logger:         logger.Default.LogMode(logger.Silent),
		NowFunc:        func() time.Time { return now().UTC().Truncate(time.Microsecond) },
	}
	var (
		dialector gorm.Dialector
		dialect   Dialect
	)
	if cfg.MySQLDSN != "" {
		dsn, err := normalizeMySQLDSN(cfg.MySQLDSN)
		if err != nil {
			return nil, err
		}
		dialector, dialect = mysql.Open(dsn), DialectMySQL
	} else {
		path := cfg.SQLitePath
		if path == "" {
			return nil, fmt.Errorf("store: no database: set a MySQL DSN or a SQLite path")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("store: create database folder: %w", err)
			}
		}
		// The database holds patient data: a new one is readable by cara's user alone (SQLite
		// gives its -wal and -shm files the database file's mode).
		if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("store: create database file: %w", err)
		}
		// WAL lets readers go on while a save commits; foreign keys are off by default in SQLite.
		dsn := path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-65536)"
		dialector, dialect = sqlite.Open(dsn), DialectSQLite
	}
	db, err := gorm.Open(dialector, gcfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	switch dialect {
	case DialectSQLite:
		// One writer at a time is how SQLite works; one connection avoids "database is locked".
		sqlDB.SetMaxOpenConns(1)
	case DialectMySQL:
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxLifetime(4 * time.Minute) // below any sensible wait_timeout
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dialect, err)
	}
	return &Store{db: db, sqlDB: sqlDB, dialect: dialect, now: now, key: cfg.AuditKey}, nil
}

// normalizeMySQLDSN accepts a go-sql-driver DSN (user:pass@tcp(host:3306)/db), optionally with a
// mysql:// prefix, and makes times come back as UTC time.Time.
func normalizeMySQLDSN(dsn string) (string, error) {
	dsn = strings.TrimPrefix(dsn, "mysql://")
	c, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("store: CARA_DATABASE_URL is not a MySQL DSN such as user:password@tcp(127.0.0.1:3306)/cara: %w", err)
	}
	if c.DBName == "" {
		return "", fmt.Errorf("store: the MySQL DSN names no database (add /DBNAME after the address)")
	}
	c.ParseTime = true
	c.Loc = time.UTC
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Collation = "utf8mb4_unicode_ci"
	return c.FormatDSN(), nil
}

// Dialect says which database the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the database handle for tests that inspect the schema.
func (s *Store) DB() *sql.DB { return s.sqlDB }

// Close closes the database.
func (s *Store) Close() error { return s.sqlDB.Close() }

// Migrate applies every pending migration of the store's dialect and returns how many ran. With
// an audit key it then seals the audit chain when it is not yet sealed (see SealAuditChain).
func (s *Store) Migrate(ctx context.Context) (int, error) {
	sub, err := fs.Sub(migrations.FS, string(s.dialect))
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	gd := goose.DialectSQLite3
	if s.dialect == DialectMySQL {
		gd = goose.DialectMySQL
	}
	p, err := goose.NewProvider(gd, s.sqlDB, sub)
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrate %s: %w", s.dialect, err)
	}
	if s.key != nil {
		if _, err := s.SealAuditChain(ctx); err != nil {
			return len(res), err
		}
	}
	return len(res), nil
}

// notFound turns GORM's not-found into the store's.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrDuplicate
	}
	return err
}
