package store_test

import (
	"context"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// followUpColumns reads a tumor's follow-up columns.
func followUpColumns(t *testing.T, s *store.Store, id uint) (lastContact, vital, exclusion string) {
	t.Helper()
	if err := s.DB().QueryRowContext(context.Background(), "SELECT last_contact, vital_status, follow_up_exclusion FROM tumors WHERE id = ?", id).
		Scan(&lastContact, &vital, &exclusion); err != nil {
		t.Fatal(err)
	}
	return lastContact, vital, exclusion
}

func TestFollowUpColumnsFollowTheItemsOnEveryWriteAndMigrate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := &store.Facility{Code: "F1", Name: "F1"}
		if err := s.CreateFacility(ctx, fac); err != nil {
			t.Fatal(err)
		}
		p, err := s.CreatePatient(ctx, fac.ID, naaccr.Patient{
			Items: map[string]string{"patientIdNumber": "00000001", "nameLast": "Doe", "dateOfLastContact": "20240101", "vitalStatus": "1"},
			Tumors: []naaccr.Tumor{
				{Items: map[string]string{"sequenceNumberHospital": "01", "classOfCase": "14", "primarySite": "C509", "behaviorCodeIcdO3": "3"}},
				{Items: map[string]string{"sequenceNumberHospital": "02", "classOfCase": "00", "primarySite": "C619", "behaviorCodeIcdO3": "3"}},
			},
		}, "draft")
		if err != nil {
			t.Fatal(err)
		}
		ts, err := s.PatientTumors(ctx, p.ID, store.AllFacilities)
		if err != nil || len(ts) != 2 {
			t.Fatalf("tumors %v %v", ts, err)
		}
		if lc, vs, ex := followUpColumns(t, s, ts[1].ID); lc != "20240101" || vs != "1" || ex != "class00" {
			t.Errorf("created: %q %q %q", lc, vs, ex)
		}
		// A case form's save of the patient's contact moves the copies of every tumor.
		cs, err := s.OpenCase(ctx, ts[0].ID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		pat := map[string]string{}
		for k, v := range cs.Patient.Items {
			pat[k] = v
		}
		pat["dateOfLastContact"], pat["vitalStatus"] = "20260101", "0"
		tum := map[string]string{}
		for k, v := range cs.Tumor.Items {
			tum[k] = v
		}
		tum["behaviorCodeIcdO3"] = "1"
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: ts[0].ID, Scope: store.AllFacilities, PatientVersion: cs.Patient.Version,
			TumorVersion: cs.Tumor.Version, PatientItems: pat, TumorItems: tum, Loaded: cs}); err != nil {
			t.Fatal(err)
		}
		for _, tm := range ts {
			if lc, vs, _ := followUpColumns(t, s, tm.ID); lc != "20260101" || vs != "0" {
				t.Errorf("tumor %d after save: %q %q", tm.ID, lc, vs)
			}
		}
		if _, _, ex := followUpColumns(t, s, ts[0].ID); ex != "benign" {
			t.Errorf("exclusion after save %q, want benign", ex)
		}
		// Rows from before migration 00013 are computed by Migrate.
		if _, err := s.DB().ExecContext(ctx, "UPDATE tumors SET follow_up_exclusion = 'pending'"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, ex := followUpColumns(t, s, ts[1].ID); ex != "class00" {
			t.Errorf("after migrate %q, want class00", ex)
		}
		if _, _, ex := followUpColumns(t, s, ts[0].ID); ex != "benign" {
			t.Errorf("after migrate %q, want benign", ex)
		}
	})
}
