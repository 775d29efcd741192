package casework_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// The fixture's case is a lung adenocarcinoma (C341 8140/3, 2025) stored without its derived
// items, as a case imported before staging was derived: re-deriving fills them in, once.
func TestRederiveWritesChangedDerivedItemsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		system := casework.Actor{Scope: store.AllFacilities}
		const reason = "re-derived with EOD staging 3.3"
		open := func() *casework.Case {
			cs, err := s.OpenCase(ctx, f.tumorID, store.AllFacilities)
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		events := func() int {
			evs, err := s.AuditEvents(ctx, "tumor", fmt.Sprint(f.tumorID), 100)
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		before := open()
		n0 := events()

		dry, err := f.service.Rederive(ctx, system, before, reason, true)
		if err != nil {
			t.Fatal(err)
		}
		changed := map[string]string{}
		for _, c := range dry.Changes {
			changed[c.Item] = c.New
		}
		if changed["schemaId"] != "09360" || changed["ageAtDiagnosis"] != "066" || changed["schemaIdVersionCurrent"] != "3.3" {
			t.Errorf("dry run changes %+v, want schemaId 09360 (Lung, version 9 of its schema in EOD 3.3), age 066, version 3.3", dry.Changes)
		}
		if after := open(); !maps.Equal(after.Tumor.Items, before.Tumor.Items) || events() != n0 || dry.Case != nil {
			t.Fatalf("a dry run wrote the case or the audit trail")
		}

		got, err := f.service.Rederive(ctx, system, before, reason, false)
		if err != nil {
			t.Fatal(err)
		}
		after := open()
		for item, v := range changed {
			if after.Tumor.Items[item] != v {
				t.Errorf("stored %s = %q, want %q", item, after.Tumor.Items[item], v)
			}
		}
		if len(got.Changes) != len(dry.Changes) || after.Tumor.Version != before.Tumor.Version+1 {
			t.Errorf("changes %d (dry run %d), version %d after %d", len(got.Changes), len(dry.Changes), after.Tumor.Version, before.Tumor.Version)
		}
		for k, v := range before.Tumor.Items {
			if after.Tumor.Items[k] != v {
				t.Errorf("item %s changed from %q to %q: only derived items may change", k, v, after.Tumor.Items[k])
			}
		}
		evs, err := s.AuditEvents(ctx, "tumor", fmt.Sprint(f.tumorID), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Action != "case.update" || evs[0].UserID != nil || !strings.Contains(evs[0].Details, reason) || !strings.Contains(evs[0].Details, "schemaId") {
			t.Errorf("audit event %+v, want case.update by the system with the reason and the changes", evs)
		}

		again, err := f.service.Rederive(ctx, system, after, reason, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Changes) != 0 || events() != n0+1 {
			t.Errorf("second run changed %+v; want nothing (the derived items are current)", again.Changes)
		}

		// A stale case: loaded before someone else saved it.
		if _, err := f.service.Rederive(ctx, system, before, reason, false); !errors.Is(err, casework.ErrConflict) {
			t.Errorf("re-deriving a case changed since it was read: %v, want ErrConflict", err)
		}
	})
}

// A stale derived value (a staging data update changed what the tables give) is replaced and the
// audit trail keeps the old one; the actor is the user named.
func TestRederiveReplacesAStaleDerivedValue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		cs, err := s.OpenCase(ctx, f.tumorID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.service.Rederive(ctx, f.actor, cs, "first", false); err != nil {
			t.Fatal(err)
		}
		cs, err = s.OpenCase(ctx, f.tumorID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		stale := maps.Clone(map[string]string(cs.Tumor.Items))
		stale["derivedSummaryGrade2018"] = "X"
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: cs.Tumor.ID, Scope: store.AllFacilities, PatientVersion: cs.Patient.Version,
			TumorVersion: cs.Tumor.Version, PatientItems: cs.Patient.Items, TumorItems: stale, Loaded: cs}); err != nil {
			t.Fatal(err)
		}
		cs, err = s.OpenCase(ctx, f.tumorID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.service.Rederive(ctx, f.actor, cs, "re-derived with EOD staging 3.3", false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Changes) != 1 || got.Changes[0].Item != "derivedSummaryGrade2018" || got.Changes[0].Old != "X" || got.Changes[0].New == "X" {
			t.Fatalf("changes %+v, want derivedSummaryGrade2018 from X back to the derived value", got.Changes)
		}
		evs, err := s.AuditEvents(ctx, "tumor", fmt.Sprint(f.tumorID), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].UserID == nil || *evs[0].UserID != f.actor.UserID || !strings.Contains(evs[0].Details, `"old":"X"`) {
			t.Errorf("audit event %+v, want the user's, with the old value X", evs)
		}
	})
}
