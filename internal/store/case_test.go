package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestSaveCaseRejectsStaleVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := &store.Facility{Code: "F1", Name: "General"}
		if err := s.CreateFacility(ctx, f); err != nil {
			t.Fatal(err)
		}
		p, err := s.CreatePatient(ctx, f.ID, naaccr.Patient{
			Items:  map[string]string{"nameLast": "Doe", "patientIdNumber": "00000001"},
			Tumors: []naaccr.Tumor{{Items: map[string]string{"primarySite": "C509"}}},
		}, "draft")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(f.ID)})
		if err != nil || len(rows) != 1 {
			t.Fatalf("worklist = %v, %v; want one row", rows, err)
		}
		c, err := s.LoadCase(ctx, rows[0].TumorID, store.FacilityScope(f.ID))
		if err != nil {
			t.Fatal(err)
		}
		if c.Patient.ID != p.ID || c.Tumor.PrimarySite != "C509" {
			t.Fatalf("loaded case = %+v", c)
		}
		first := store.CaseSave{
			TumorID: c.Tumor.ID, Scope: store.FacilityScope(f.ID),
			PatientVersion: c.Patient.Version, TumorVersion: c.Tumor.Version,
			PatientItems: c.Patient.Items, TumorItems: map[string]string{"primarySite": "C501"},
		}
		saved, changes, err := s.SaveCase(ctx, first)
		if err != nil {
			t.Fatalf("first save: %v", err)
		}
		if saved.Tumor.PrimarySite != "C501" || saved.Tumor.Version != c.Tumor.Version+1 || len(changes) != 1 {
			t.Fatalf("after first save: site %q version %d changes %v", saved.Tumor.PrimarySite, saved.Tumor.Version, changes)
		}
		second := first
		second.TumorItems = map[string]string{"primarySite": "C502"}
		if _, _, err := s.SaveCase(ctx, second); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second save from the same version: err = %v, want ErrConflict", err)
		}
		again, err := s.LoadCase(ctx, c.Tumor.ID, store.AllFacilities)
		if err != nil || again.Tumor.PrimarySite != "C501" {
			t.Fatalf("after conflict: site %q, err %v; want C501 kept", again.Tumor.PrimarySite, err)
		}
	})
}
