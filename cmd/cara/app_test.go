package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

func TestNewAppLoadsAndOpensOnlyThePartsTheCommandAsksFor(t *testing.T) {
	tests := []struct {
		name                       string
		parts                      parts
		store, edits, form, schema bool
	}{
		{"a store alone (migrate, user add)", withStore, true, false, false, false},
		// The edit set has the staging edits, which run on the staging data.
		{"the edits alone (edits list)", withEdits, false, true, false, true},
		{"the store and the edits (import)", withStore | withEdits, true, true, false, true},
		{"everything (serve)", withStore | withCatalog, true, true, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := testEnv(t, store.DialectSQLite)
			a, err := newApp(context.Background(), e, "test", tc.parts)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			got := [4]bool{a.store != nil, a.cat.Edits != nil, a.cat.Form != nil, a.cat.Staging != nil}
			if want := [4]bool{tc.store, tc.edits, tc.form, tc.schema}; got != want {
				t.Errorf("store, edits, form, staging loaded: %v, want %v", got, want)
			}
			if _, err := os.Stat(filepath.Join("data", "cara.db")); (err == nil) != tc.store {
				t.Errorf("database file there: %v, want %v", err == nil, tc.store)
			}
			if !tc.edits && a.cat.Dict != nil {
				t.Errorf("the dictionary was loaded for a command that asked for no catalogue")
			}
		})
	}
}

func TestAppFacilityNamesTheCommandTheFlagAndTheCode(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	addFacility(t, e)
	ctx := context.Background()
	a, err := newApp(ctx, e, "submission list", withStore)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = a.facility(ctx, "NOPE")
	want := "submission list: --facility: no facility with code \"NOPE\" (add it with `cara facility add`)"
	if err == nil || err.Error() != want {
		t.Errorf("unknown code: err = %v, want %q", err, want)
	}
	scope, f, err := a.facilityScope(ctx, "")
	if err != nil || f != nil || !scope.All() {
		t.Errorf("no code: scope %+v, facility %v, err %v; want all facilities", scope, f, err)
	}
	scope, f, err = a.facilityScope(ctx, "F1")
	if id, one := scope.Single(); err != nil || f == nil || f.Code != "F1" || !one || id != f.ID {
		t.Errorf("F1: scope %+v, facility %v, err %v; want F1's", scope, f, err)
	}
}
