package store_test

import (
	"context"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestAddSuspenseRecordsSkipsKeysTakenAndScopesTheList: a record whose natural key the
// facility's list holds is skipped, not an error (two imports of one file at once); the same key
// in another facility is another record; a scope sees its facilities' records only.
func TestAddSuspenseRecordsSkipsKeysTakenAndScopesTheList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		rec := func(fac uint, key string) store.SuspenseRecord {
			return store.SuspenseRecord{FacilityID: fac, RowKey: key, Source: "other", MRN: "1", NameLast: "Hale", FirstContact: "20260101",
				Screening: "reportable", MatchKind: "new_patient", MatchReasons: "[]", Status: store.SuspenseWaiting}
		}
		entry := func() store.AuditEntry {
			return store.AuditEntry{Action: audit.CasefindingImport, Entity: "facility", EntityID: "x", Details: map[string]any{}}
		}
		n, err := s.AddSuspenseRecords(ctx, []store.SuspenseRecord{rec(a.ID, "k1"), rec(a.ID, "k2")}, entry())
		if err != nil || n != 2 {
			t.Fatalf("first add: %d, %v", n, err)
		}
		n, err = s.AddSuspenseRecords(ctx, []store.SuspenseRecord{rec(a.ID, "k2"), rec(a.ID, "k3"), rec(b.ID, "k1")}, entry())
		if err != nil || n != 2 {
			t.Fatalf("second add: %d, %v; want 2 (k2 skipped)", n, err)
		}
		have, err := s.SuspenseKeys(ctx, a.ID, []string{"k1", "k3", "k9"})
		if err != nil || len(have) != 2 || !have["k1"] || !have["k3"] {
			t.Errorf("keys of A: %v, %v", have, err)
		}
		_, total, err := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.FacilityScope(b.ID)})
		if err != nil || total != 1 {
			t.Errorf("B's scope sees %d records (%v), want 1", total, err)
		}
		recs, total, err := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.FacilityScope(b.ID), FacilityID: a.ID})
		if err != nil || total != 0 || len(recs) != 0 {
			t.Errorf("B's scope asking for A's list sees %d records (%v)", total, err)
		}
	})
}
