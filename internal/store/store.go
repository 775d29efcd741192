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
	"time"

	"github.com/pressly/goose/v3"
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
	// ErrAuditPending is a batch recorded, with its file, whose audit event is written later
	// (see SubmissionTx.Commit): the batch stands.
	ErrAuditPending = errors.New("its audit event is written at the next batch, at the start of cara serve or within the hour")
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
	faults  *txFaults // nil but in tests (export_test.go)
	// txRetryFor is txRetryFor; tests lower it to count the attempts alone.
	txRetryFor time.Duration
	// bulkValues caps the values of one multi-row INSERT (bulkInsert); 0 is bulkValues. Tests
	// lower it to cross a statement boundary with a few rows.
	bulkValues int
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
	dialector, dialect, err := openDialector(cfg)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(dialector, gcfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	dialect.setPool(sqlDB)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dialect, err)
	}
	return &Store{db: db, sqlDB: sqlDB, dialect: dialect, now: now, key: cfg.AuditKey, txRetryFor: txRetryFor}, nil
}

// Dialect says which database the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the database handle for tests that inspect the schema.
func (s *Store) DB() *sql.DB { return s.sqlDB }

// Healthy reads the audit chain's head, a row every migrated database has: it fails when the
// database cannot be reached or refuses queries (a Galera node that is not part of the primary
// component answers only SHOW and SET, with error 1047), which a ping would not see.
func (s *Store) Healthy(ctx context.Context) error {
	var id uint64
	if err := s.sqlDB.QueryRowContext(ctx, "SELECT last_id FROM audit_chain WHERE id = 1").Scan(&id); err != nil {
		return fmt.Errorf("store: health check: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.sqlDB.Close() }

// Migrate applies every pending migration of the store's dialect and returns how many ran, then
// computes the follow-up column of the tumors stored before it existed (refreshFollowUp). With
// an audit key it then seals the audit chain when it is not yet sealed (see SealAuditChain).
func (s *Store) Migrate(ctx context.Context) (int, error) {
	sub, err := fs.Sub(migrations.FS, string(s.dialect))
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	p, err := goose.NewProvider(s.dialect.gooseDialect(), s.sqlDB, sub)
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrate %s: %w", s.dialect, err)
	}
	if err := s.refreshFollowUp(ctx); err != nil {
		return len(res), err
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
