package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/cara-registry/cara/internal/store"
)

// A template is a migrated, empty database of one dialect, made once per test process: New copies
// it rather than migrating each test's database, since the migrations take 2-4 s a database under
// the race detector and the suites make hundreds. It is package state on purpose: a test process
// is the one place where a cache of it pays, and it never changes once made.
type template struct {
	once sync.Once
	err  error
	// file is the SQLite database file as the migrations leave it.
	file []byte
	// schema is MySQL's tables and triggers, as SHOW CREATE gives them; rows are the rows the
	// migrations write (goose's versions, the audit chain's head).
	schema []string
	rows   []tableRows
}

type tableRows struct {
	table   string
	columns []string
	values  [][]any
}

var templates = map[store.Dialect]*template{
	store.DialectSQLite: {},
	store.DialectMySQL:  {},
}

// fromTemplate puts a copy of the dialect's template into cfg's database (the SQLite file, or the
// empty MySQL database of cfg.MySQLDSN).
func fromTemplate(t testing.TB, d store.Dialect, cfg store.Config) {
	t.Helper()
	tp := templates[d]
	tp.once.Do(func() { tp.err = tp.make(d) })
	if tp.err != nil {
		t.Fatalf("template %s database: %v", d, tp.err)
	}
	var err error
	switch d {
	case store.DialectSQLite:
		err = os.WriteFile(cfg.SQLitePath, tp.file, 0o600)
	case store.DialectMySQL:
		err = tp.copyMySQL(cfg.MySQLDSN)
	}
	if err != nil {
		t.Fatalf("copy the template %s database: %v", d, err)
	}
}

// make migrates a database of its own and keeps what a copy needs; the database itself is gone
// afterwards.
func (tp *template) make(d store.Dialect) error {
	ctx := context.Background()
	cfg := store.Config{Now: func() time.Time { return Clock }, AuditKey: AuditKey}
	switch d {
	case store.DialectSQLite:
		dir, err := os.MkdirTemp("", "cara-storetest-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.SQLitePath = filepath.Join(dir, "cara.db")
	case store.DialectMySQL:
		dsn, drop, err := createMySQLDatabase()
		if err != nil {
			return err
		}
		defer drop()
		cfg.MySQLDSN = dsn
	}
	s, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return err
	}
	if d == store.DialectMySQL {
		err = tp.readMySQL(ctx, s.DB())
	}
	// Closing checkpoints SQLite's write-ahead log into the file, so the file alone is the database.
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil || d != store.DialectSQLite {
		return err
	}
	tp.file, err = os.ReadFile(cfg.SQLitePath)
	return err
}

func (tp *template) readMySQL(ctx context.Context, db *sql.DB) error {
	tables, err := queryColumn(ctx, db, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name")
	if err != nil {
		return err
	}
	for _, table := range tables {
		var name, create string
		if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE `"+table+"`").Scan(&name, &create); err != nil {
			return fmt.Errorf("show create table %s: %w", table, err)
		}
		tp.schema = append(tp.schema, create)
		rows, err := readRows(ctx, db, table)
		if err != nil {
			return err
		}
		if len(rows.values) > 0 {
			tp.rows = append(tp.rows, rows)
		}
	}
	triggers, err := queryColumn(ctx, db, "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY trigger_name")
	if err != nil {
		return err
	}
	for _, trig := range triggers {
		rows, err := db.QueryContext(ctx, "SHOW CREATE TRIGGER `"+trig+"`")
		if err != nil {
			return fmt.Errorf("show create trigger %s: %w", trig, err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		stmt := ""
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("show create trigger %s: %w", trig, err)
			}
			for i, c := range cols {
				if c == "SQL Original Statement" {
					stmt = vals[i].String
				}
			}
		}
		rows.Close()
		if stmt == "" {
			return fmt.Errorf("show create trigger %s: no statement", trig)
		}
		tp.schema = append(tp.schema, stmt)
	}
	return nil
}

func readRows(ctx context.Context, db *sql.DB, table string) (tableRows, error) {
	out := tableRows{table: table}
	rows, err := db.QueryContext(ctx, "SELECT * FROM `"+table+"`")
	if err != nil {
		return out, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	if out.columns, err = rows.Columns(); err != nil {
		return out, err
	}
	for rows.Next() {
		vals := make([]any, len(out.columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return out, fmt.Errorf("read %s: %w", table, err)
		}
		out.values = append(out.values, vals)
	}
	return out, rows.Err()
}

// copyMySQL makes the template's tables, triggers and rows in the database of dsn. Foreign key
// checks are off while the tables are made, so their order does not matter.
func (tp *template) copyMySQL(dsn string) error {
	cfg, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		return err
	}
	cfg.MultiStatements = true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 0"); err != nil {
		return err
	}
	for _, stmt := range tp.schema {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%.60s: %w", stmt, err)
		}
	}
	for _, r := range tp.rows {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(r.columns)), ", ")
		stmt := "INSERT INTO `" + r.table + "` (`" + strings.Join(r.columns, "`, `") + "`) VALUES (" + marks + ")"
		for _, v := range r.values {
			if _, err := conn.ExecContext(ctx, stmt, v...); err != nil {
				return fmt.Errorf("rows of %s: %w", r.table, err)
			}
		}
	}
	return nil
}

func queryColumn(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// A Snapshot is every row of a store's tables but goose's versions: what a suite's common setup
// wrote through the store, put into each test's new store by Restore instead of written again
// (a web fixture of users, facilities and cases takes 1-5 s to write under the race detector).
type Snapshot struct {
	tables []tableRows
}

// TakeSnapshot reads the rows of every table of s.
func TakeSnapshot(t testing.TB, s *store.Store) *Snapshot {
	t.Helper()
	ctx := context.Background()
	db := s.DB()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name"
	if s.Dialect() == store.DialectMySQL {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	tables, err := queryColumn(ctx, db, q)
	if err != nil {
		t.Fatalf("snapshot: tables: %v", err)
	}
	sn := &Snapshot{}
	for _, table := range tables {
		if table == "goose_db_version" {
			continue
		}
		rows, err := readRows(ctx, db, table)
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		if len(rows.values) > 0 {
			sn.tables = append(sn.tables, rows)
		}
	}
	return sn
}

// Restore writes the snapshot's rows into s, a new store of New of the same dialect, replacing
// the rows the migrations wrote (the audit chain's head), in one transaction. Foreign keys are
// checked at the commit on SQLite and not at all on MySQL: the rows came from a consistent
// database, and the order of the tables is then free.
func (sn *Snapshot) Restore(t testing.TB, s *store.Store) {
	t.Helper()
	if err := sn.restore(s); err != nil {
		t.Fatalf("restore snapshot: %v", err)
	}
}

func (sn *Snapshot) restore(s *store.Store) error {
	ctx := context.Background()
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	mysql := s.Dialect() == store.DialectMySQL
	if mysql {
		if _, err := conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 0"); err != nil {
			return err
		}
		// The connection goes back to the store's pool: with its checks on again.
		defer conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 1")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if !mysql {
		if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
			return err
		}
	}
	quote := func(name string) string { return `"` + name + `"` }
	if mysql {
		quote = func(name string) string { return "`" + name + "`" }
	}
	for _, r := range sn.tables {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+quote(r.table)); err != nil {
			return fmt.Errorf("empty %s: %w", r.table, err)
		}
		cols := make([]string, len(r.columns))
		for i, c := range r.columns {
			cols[i] = quote(c)
		}
		prefix := "INSERT INTO " + quote(r.table) + " (" + strings.Join(cols, ", ") + ") VALUES "
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		per := max(1, 5000/len(cols))
		for start := 0; start < len(r.values); start += per {
			chunk := r.values[start:min(start+per, len(r.values))]
			var sb strings.Builder
			sb.WriteString(prefix)
			args := make([]any, 0, len(chunk)*len(cols))
			for i, v := range chunk {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(row)
				args = append(args, v...)
			}
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				return fmt.Errorf("rows of %s: %w", r.table, err)
			}
		}
	}
	return tx.Commit()
}
