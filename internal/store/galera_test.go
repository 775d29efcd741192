package store_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// Galera replicates InnoDB tables only, and needs a primary key on each (a row event names its
// row by it; without one, certification and parallel apply fall back to whole-table keys or
// fail). After every migration each table of the schema has both.
func TestEveryTableHasAPrimaryKeyAndIsInnoDB(t *testing.T) {
	s := storetest.New(t, store.DialectMySQL)
	rows, err := s.DB().Query(`SELECT t.table_name, COALESCE(t.engine, ''),
		EXISTS (SELECT 1 FROM information_schema.table_constraints c
			WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')
		FROM information_schema.tables t
		WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE' ORDER BY t.table_name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, engine string
		var pk bool
		if err := rows.Scan(&name, &engine, &pk); err != nil {
			t.Fatal(err)
		}
		n++
		if !pk {
			t.Errorf("table %s has no primary key", name)
		}
		if !strings.EqualFold(engine, "InnoDB") {
			t.Errorf("table %s is %s, not InnoDB", name, engine)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("%d tables found; the query missed the schema", n)
	}
}

// What Galera does not replicate, no statement of cara relies on: named locks (GET_LOCK and
// its kin are the node's own), explicit table locks (refused or local under Galera), tables of another
// engine than InnoDB (not replicated at all). The migrations and the Go source say none of it.
func TestNoStatementReliesOnWhatGaleraDoesNotReplicate(t *testing.T) {
	// The patterns are spelt so that this file does not match them.
	forbidden := []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b(GET|RELEASE|IS_FREE|IS_USED)_LOCK\s*\(`),
		regexp.MustCompile(`(?i)\bLOCK\s+TABLES?\b`),
		regexp.MustCompile(`(?i)\bFLUSH\s+TABLES\s+WITH\s+READ\s+LOCK\b`),
		regexp.MustCompile(`(?i)\bENGINE\s*=\s*(MyIS[A]M|MEMORY|Aria|CSV|ARCHIVE|MERGE|BLACKHOLE)\b`),
		regexp.MustCompile(`(?i)\bMyIS[A]M\b`),
	}
	root := filepath.Join("..", "..")
	scanned := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".sql") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		for i, line := range strings.Split(string(b), "\n") {
			for _, re := range forbidden {
				if re.MatchString(line) {
					t.Errorf("%s:%d: %s (Galera does not replicate it)", path, i+1, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 100 {
		t.Errorf("%d files scanned; the walk missed the source", scanned)
	}
}
