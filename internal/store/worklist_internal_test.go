package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
)

func newSQLiteStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Config{SQLitePath: filepath.Join(t.TempDir(), "cara.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// indexColumns returns the columns of every idx_* index on tumors, by index name (the schema
// test checks that MySQL's are the same).
func indexColumns(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	rows, err := s.sqlDB.Query(`SELECT il.name, ii.name FROM pragma_index_list('tumors') il
		JOIN pragma_index_info(il.name) ii WHERE il.name LIKE 'idx!_%' ESCAPE '!' ORDER BY il.name, ii.seqno`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var idx, col string
		if err := rows.Scan(&idx, &col); err != nil {
			t.Fatal(err)
		}
		out[idx] = append(out[idx], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A sort must order by its index's columns in turn, or the database sorts every case in scope
// to show 50 of them.
func TestWorklistSortsFollowTheirIndexes(t *testing.T) {
	idx := indexColumns(t, newSQLiteStore(t))
	for _, sort := range WorklistSorts {
		name, ok := worklistSortIndexes[sort]
		if !ok {
			t.Errorf("sort %s names no index", sort)
			continue
		}
		if want := append([]string{"facility_id"}, worklistSorts[sort]...); !slices.Equal(idx[name], want) {
			t.Errorf("sort %s orders by %v, but %s holds %v", sort, want, name, idx[name])
		}
		// An administrator's sort: some index must lead with its columns.
		found := false
		for _, cols := range idx {
			if len(cols) >= len(allFacilitySorts[sort]) && slices.Equal(cols[:len(allFacilitySorts[sort])], allFacilitySorts[sort]) {
				found = true
			}
		}
		if !found || len(allFacilitySorts[sort]) == 0 {
			t.Errorf("no index leads with %v, the administrator's sort %s", allFacilitySorts[sort], sort)
		}
	}
}

func TestTumorCreatedWithoutItsFacilityTakesThePatients(t *testing.T) {
	s := newSQLiteStore(t)
	ctx := context.Background()
	f := &Facility{Code: "A", Name: "A"}
	if err := s.CreateFacility(ctx, f); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePatient(ctx, f.ID, naaccr.Patient{Items: map[string]string{"nameLast": "Doe", "nameFirst": "Jo"}}, "draft")
	if err != nil {
		t.Fatal(err)
	}
	tu := &Tumor{PatientID: p.ID, Items: Items{}, Status: "draft", Version: 1}
	if err := s.db.WithContext(ctx).Create(tu).Error; err != nil {
		t.Fatal(err)
	}
	var got Tumor
	if err := s.db.Take(&got, tu.ID).Error; err != nil {
		t.Fatal(err)
	}
	if got.FacilityID != f.ID || got.NameLast != "Doe" || got.NameFirst != "Jo" {
		t.Errorf("tumor stored with facility %d and name %q %q, want the patient's", got.FacilityID, got.NameLast, got.NameFirst)
	}
}
