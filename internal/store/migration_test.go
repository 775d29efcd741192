package store_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/migrations"
)

// TestTumorItemsMigrationKeepsItems takes a database back to before tumor_items (00007), where a
// tumor's items were in its row, and forward again: no item is lost either way.
func TestTumorItemsMigrationKeepsItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := &store.Facility{Code: "MIG", Name: "Migrated"}
		if err := s.CreateFacility(ctx, fac); err != nil {
			t.Fatal(err)
		}
		p := naaccr.Patient{Items: map[string]string{"patientIdNumber": "00000001", "nameLast": "Hale"},
			Tumors: []naaccr.Tumor{{Items: map[string]string{"primarySite": "C509", "sequenceNumberHospital": "00", "textRemarks": `a "quoted" é`}}}}
		if _, err := s.CreatePatient(ctx, fac.ID, p, "draft"); err != nil {
			t.Fatal(err)
		}
		var tumorID uint
		if err := s.DB().QueryRowContext(ctx, "SELECT id FROM tumors WHERE facility_id = ?", fac.ID).Scan(&tumorID); err != nil {
			t.Fatal(err)
		}

		gd := goose.DialectSQLite3
		if s.Dialect() == store.DialectMySQL {
			gd = goose.DialectMySQL
		}
		sub, err := fs.Sub(migrations.FS, string(s.Dialect()))
		if err != nil {
			t.Fatal(err)
		}
		prov, err := goose.NewProvider(gd, s.DB(), sub)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := prov.DownTo(ctx, 7); err != nil {
			t.Fatalf("down to 00007: %v", err)
		}
		var items string
		if err := s.DB().QueryRowContext(ctx, "SELECT items FROM tumors WHERE id = ?", tumorID).Scan(&items); err != nil {
			t.Fatalf("items back in the row: %v", err)
		}
		// A tumor stored the old way, items in its row.
		if _, err := s.DB().ExecContext(ctx, `UPDATE tumors SET items = ? WHERE id = ?`,
			`{"primarySite":"C619","sequenceNumberHospital":"00","textRemarks":"changed before the move"}`, tumorID); err != nil {
			t.Fatal(err)
		}
		if _, err := prov.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		c, err := s.LoadCase(ctx, tumorID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"primarySite": "C619", "sequenceNumberHospital": "00", "textRemarks": "changed before the move"}
		if len(c.Tumor.Items) != len(want) {
			t.Errorf("items after the move %v, want %v", c.Tumor.Items, want)
		}
		for k, v := range want {
			if c.Tumor.Items[k] != v {
				t.Errorf("%s = %q after the move, want %q", k, c.Tumor.Items[k], v)
			}
		}
		var down map[string]string
		if err := json.Unmarshal([]byte(items), &down); err != nil || down["primarySite"] != "C509" || down["textRemarks"] != `a "quoted" é` {
			t.Errorf("items back in the row on the way down: %q (%v)", items, err)
		}
	})
}
