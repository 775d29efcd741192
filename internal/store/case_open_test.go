package store_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// countStatements counts the statements the store runs during fn.
func countStatements(t *testing.T, s *store.Store) func(fn func()) []string {
	var (
		mu   sync.Mutex
		on   bool
		sqls []string
	)
	if err := s.OnStatement(func(_ context.Context, sql string) {
		mu.Lock()
		defer mu.Unlock()
		if on {
			sqls = append(sqls, sql)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return func(fn func()) []string {
		mu.Lock()
		on, sqls = true, nil
		mu.Unlock()
		fn()
		mu.Lock()
		defer mu.Unlock()
		on = false
		return sqls
	}
}

func TestOpenCaseReadsTheCaseWithItsPatientsTumorsInOneQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		during := countStatements(t, s)
		f, other := addFacility(t, s, "F"), addFacility(t, s, "G")
		_, tumors := addPatient(t, s, f.ID, map[string]string{"nameLast": "Doe", "patientIdNumber": "00000001"}, "draft",
			map[string]string{"primarySite": "C509", "sequenceNumberHospital": "01"},
			map[string]string{"primarySite": "C180", "sequenceNumberHospital": "02"})
		var cs *store.Case
		var err error
		sqls := during(func() { cs, err = s.OpenCase(ctx, tumors[1], store.FacilityScope(f.ID)) })
		if err != nil {
			t.Fatal(err)
		}
		if len(sqls) != 1 {
			t.Errorf("%d statements, want 1:\n%s", len(sqls), strings.Join(sqls, "\n"))
		}
		if cs.Tumor.ID != tumors[1] || cs.Tumor.PrimarySite != "C180" || cs.Tumor.Items["primarySite"] != "C180" ||
			cs.Patient.NameLast != "Doe" || cs.Patient.Items["nameLast"] != "Doe" || cs.Patient.Version != 1 {
			t.Errorf("case %+v", cs)
		}
		if len(cs.Tumors) != 2 || cs.Tumors[0].ID != tumors[0] || cs.Tumors[0].Items["primarySite"] != "C509" || cs.Tumors[1].ID != tumors[1] {
			t.Errorf("tumors %+v, want both of the patient's in id order with their items", cs.Tumors)
		}
		loaded, err := s.LoadCase(ctx, tumors[1], store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(loaded.Tumor.Items, cs.Tumor.Items) || !maps.Equal(loaded.Patient.Items, cs.Patient.Items) ||
			loaded.Tumor.Version != cs.Tumor.Version || !loaded.Tumor.UpdatedAt.Equal(cs.Tumor.UpdatedAt) || loaded.Tumor.Status != cs.Tumor.Status {
			t.Errorf("OpenCase %+v differs from LoadCase %+v", cs, loaded)
		}
		for _, sc := range []store.Scope{store.FacilityScope(other.ID), {}} {
			if _, err := s.OpenCase(ctx, tumors[1], sc); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("case out of scope %+v: err %v, want ErrNotFound", sc, err)
			}
		}
		if _, err := s.OpenCase(ctx, 999999, store.AllFacilities); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no such case: err %v, want ErrNotFound", err)
		}
	})
}

func TestSaveCaseOfAnOpenedCaseReadsNothingAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		during := countStatements(t, s)
		f := addFacility(t, s, "F")
		_, tumors := addPatient(t, s, f.ID, map[string]string{"nameLast": "Doe", "patientIdNumber": "00000001"}, "draft",
			map[string]string{"primarySite": "C509"})
		cs, err := s.OpenCase(ctx, tumors[0], store.FacilityScope(f.ID))
		if err != nil {
			t.Fatal(err)
		}
		items := maps.Clone(cs.Tumor.Items)
		items["primarySite"] = "C501"
		var saved *store.Case
		sqls := during(func() {
			saved, _, err = s.SaveCase(ctx, store.CaseSave{TumorID: cs.Tumor.ID, Scope: store.FacilityScope(f.ID), Loaded: cs,
				PatientVersion: cs.Patient.Version, TumorVersion: cs.Tumor.Version, PatientItems: cs.Patient.Items, TumorItems: items})
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range sqls {
			if strings.HasPrefix(q, "SELECT") && !strings.Contains(q, "audit_chain") {
				t.Errorf("the save read again: %s", q)
			}
		}
		if saved.Tumor.Version != cs.Tumor.Version+1 || saved.Tumor.PrimarySite != "C501" || saved.Tumors[0].Items["primarySite"] != "C501" {
			t.Errorf("saved %+v", saved)
		}
		again, err := s.LoadCase(ctx, cs.Tumor.ID, store.AllFacilities)
		if err != nil || again.Tumor.Version != saved.Tumor.Version || again.Tumor.PrimarySite != "C501" {
			t.Fatalf("stored %+v, %v", again, err)
		}

		// A second save from the same versions is refused, and so is one that did not see a
		// change of the patient made through another of its tumors.
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: cs.Tumor.ID, Scope: store.FacilityScope(f.ID), Loaded: cs,
			PatientVersion: cs.Patient.Version, TumorVersion: cs.Tumor.Version, PatientItems: cs.Patient.Items, TumorItems: items}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale save: err %v, want ErrConflict", err)
		}
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: cs.Tumor.ID, Scope: store.FacilityScope(f.ID + 1), Loaded: again,
			PatientVersion: again.Patient.Version, TumorVersion: again.Tumor.Version, PatientItems: again.Patient.Items,
			TumorItems: map[string]string{"primarySite": "C502"}}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("save out of scope: err %v, want ErrNotFound", err)
		}
		p2 := maps.Clone(again.Patient.Items)
		p2["nameLast"] = "Roe"
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: cs.Tumor.ID, Scope: store.FacilityScope(f.ID), Loaded: again,
			PatientVersion: again.Patient.Version, TumorVersion: again.Tumor.Version, PatientItems: p2, TumorItems: again.Tumor.Items}); err != nil {
			t.Fatal(err)
		}
		stale := maps.Clone(again.Tumor.Items)
		stale["primarySite"] = "C503"
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: cs.Tumor.ID, Scope: store.FacilityScope(f.ID), Loaded: again,
			PatientVersion: again.Patient.Version, TumorVersion: again.Tumor.Version + 1, PatientItems: again.Patient.Items, TumorItems: stale}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("save over a changed patient: err %v, want ErrConflict", err)
		}
	})
}
