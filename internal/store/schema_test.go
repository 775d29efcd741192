package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// schemaLines describes a migrated schema as sorted lines, one per column, index and foreign key,
// in a form both databases can produce: column names and nullability, idx_* indexes with their
// columns in order and uniqueness, and foreign keys with their delete rule.
func schemaLines(t *testing.T, s *store.Store) []string {
	t.Helper()
	var lines []string
	var err error
	switch s.Dialect() {
	case store.DialectSQLite:
		lines, err = sqliteSchema(s.DB())
	case store.DialectMySQL:
		lines, err = mysqlSchema(s.DB())
	}
	if err != nil {
		t.Fatalf("read %s schema: %v", s.Dialect(), err)
	}
	slices.Sort(lines)
	return lines
}

func columnLine(table, column string, nullable bool) string {
	null := "NOT NULL"
	if nullable {
		null = "NULL"
	}
	return fmt.Sprintf("column %s.%s %s", table, column, null)
}

func indexLine(table, name string, unique bool, columns []string) string {
	kind := "index"
	if unique {
		kind = "unique index"
	}
	return fmt.Sprintf("%s %s ON %s (%s)", kind, name, table, strings.Join(columns, ", "))
}

func fkLine(table, column, refTable, refColumn, onDelete string) string {
	onDelete = strings.ToUpper(onDelete)
	if onDelete == "RESTRICT" {
		onDelete = "NO ACTION" // the same for InnoDB, and the default of both databases
	}
	return fmt.Sprintf("foreign key %s.%s REFERENCES %s (%s) ON DELETE %s", table, column, refTable, refColumn, onDelete)
}

// queryStrings runs a query whose rows are scanned into a fresh slice of n strings each.
func queryStrings(db *sql.DB, n int, query string, args ...any) ([][]string, error) {
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		rec := make([]string, n)
		ptrs := make([]any, n)
		for i := range rec {
			ptrs[i] = &rec[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

func sqliteSchema(db *sql.DB) ([]string, error) {
	tables, err := queryStrings(db, 1, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, tr := range tables {
		table := tr[0]
		cols, err := queryStrings(db, 3, `SELECT name, "notnull", pk FROM pragma_table_info(?)`, table)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			// An INTEGER PRIMARY KEY is the rowid: never NULL, though table_info does not say so.
			lines = append(lines, columnLine(table, c[0], c[1] == "0" && c[2] == "0"))
		}
		idxs, err := queryStrings(db, 2, `SELECT name, "unique" FROM pragma_index_list(?)`, table)
		if err != nil {
			return nil, err
		}
		for _, ix := range idxs {
			if !strings.HasPrefix(ix[0], "idx_") {
				continue
			}
			cols, err := queryStrings(db, 1, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix[0])
			if err != nil {
				return nil, err
			}
			var names []string
			for _, c := range cols {
				names = append(names, c[0])
			}
			lines = append(lines, indexLine(table, ix[0], ix[1] == "1", names))
		}
		fks, err := queryStrings(db, 4, `SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?)`, table)
		if err != nil {
			return nil, err
		}
		for _, fk := range fks {
			lines = append(lines, fkLine(table, fk[0], fk[1], fk[2], fk[3]))
		}
	}
	return lines, nil
}

func mysqlSchema(db *sql.DB) ([]string, error) {
	var lines []string
	cols, err := queryStrings(db, 3, `SELECT table_name, column_name, is_nullable FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name <> 'goose_db_version'`)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		lines = append(lines, columnLine(c[0], c[1], c[2] == "YES"))
	}
	// Only idx_* indexes: PRIMARY is the id column, and MySQL adds an index named after a foreign
	// key constraint where no index covers its column (tumors.reviewed_by); SQLite adds none.
	stats, err := queryStrings(db, 4, `SELECT table_name, index_name, non_unique, column_name FROM information_schema.statistics
		WHERE table_schema = DATABASE() AND table_name <> 'goose_db_version' AND index_name LIKE 'idx!_%' ESCAPE '!'
		ORDER BY table_name, index_name, seq_in_index`)
	if err != nil {
		return nil, err
	}
	type idx struct {
		table  string
		unique bool
		cols   []string
	}
	byName := map[string]*idx{}
	var order []string
	for _, st := range stats {
		ix, ok := byName[st[1]]
		if !ok {
			ix = &idx{table: st[0], unique: st[2] == "0"}
			byName[st[1]] = ix
			order = append(order, st[1])
		}
		ix.cols = append(ix.cols, st[3])
	}
	for _, name := range order {
		ix := byName[name]
		lines = append(lines, indexLine(ix.table, name, ix.unique, ix.cols))
	}
	fks, err := queryStrings(db, 5, `SELECT k.table_name, k.column_name, k.referenced_table_name, k.referenced_column_name, r.delete_rule
		FROM information_schema.key_column_usage k
		JOIN information_schema.referential_constraints r
		  ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name
		WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	for _, fk := range fks {
		lines = append(lines, fkLine(fk[0], fk[1], fk[2], fk[3], fk[4]))
	}
	return lines, nil
}

func TestSchemasOfSQLiteAndMySQLMatch(t *testing.T) {
	lite := schemaLines(t, storetest.New(t, store.DialectSQLite))
	my := schemaLines(t, storetest.New(t, store.DialectMySQL))

	// Guard against comparing two empty reads: the tables and a few known lines must be there.
	var tables []string
	for _, l := range lite {
		if tbl, ok := strings.CutPrefix(l, "column "); ok {
			tbl, _, _ = strings.Cut(tbl, ".")
			if !slices.Contains(tables, tbl) {
				tables = append(tables, tbl)
			}
		}
	}
	slices.Sort(tables)
	for _, want := range []string{"audit_chain", "audit_events", "facilities", "patients", "review_comments", "sessions", "status_changes", "tumors", "user_facilities", "users"} {
		if !slices.Contains(tables, want) {
			t.Errorf("SQLite tables %v lack %s", tables, want)
		}
	}
	for _, want := range []string{
		"column tumors.id NOT NULL",
		"column users.facility_id NULL",
		"unique index idx_users_username ON users (username)",
		"index idx_patients_name ON patients (name_last, name_first)",
		"foreign key tumors.patient_id REFERENCES patients (id) ON DELETE CASCADE",
	} {
		if !slices.Contains(lite, want) {
			t.Errorf("SQLite schema lacks %q", want)
		}
	}

	for _, l := range lite {
		if !slices.Contains(my, l) {
			t.Errorf("only in SQLite: %s", l)
		}
	}
	for _, l := range my {
		if !slices.Contains(lite, l) {
			t.Errorf("only in MySQL:  %s", l)
		}
	}
}
