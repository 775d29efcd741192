package store_test

import (
	"context"
	"maps"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// tumorSexes returns the sex column of a patient's tumors, in id order: the copy of the
// patient's sex that reports count by (migration 00019).
func tumorSexes(t *testing.T, s *store.Store, patientID uint) []string {
	t.Helper()
	rows, err := s.DB().QueryContext(context.Background(), "SELECT sex FROM tumors WHERE patient_id = ? ORDER BY id", patientID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEveryTumorKeepsItsPatientsSexThroughCreateImportAndSave(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		sc := store.FacilityScope(f.ID)
		p, tumors := addPatient(t, s, f.ID, map[string]string{"patientIdNumber": "00000001", "sexAssignedAtBirth": "1"}, "draft",
			map[string]string{"primarySite": "C509", "sequenceNumberHospital": "01"}, map[string]string{"primarySite": "C619", "sequenceNumberHospital": "02"})
		if got := tumorSexes(t, s, p.ID); len(got) != 2 || got[0] != "1" || got[1] != "1" {
			t.Fatalf("created: tumors' sex %q, want 1 and 1", got)
		}

		// A save of one tumor that changes the patient's sex rewrites the copy on both.
		before, err := s.LoadCase(ctx, tumors[0], sc)
		if err != nil {
			t.Fatal(err)
		}
		pItems := maps.Clone(before.Patient.Items)
		pItems["sexAssignedAtBirth"] = "2"
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: tumors[0], Scope: sc,
			PatientVersion: before.Patient.Version, TumorVersion: before.Tumor.Version,
			PatientItems: pItems, TumorItems: before.Tumor.Items}); err != nil {
			t.Fatal(err)
		}
		if got := tumorSexes(t, s, p.ID); len(got) != 2 || got[0] != "2" || got[1] != "2" {
			t.Errorf("after the save: tumors' sex %q, want 2 and 2", got)
		}

		// An imported tumor of the patient takes the sex too, as does a new patient's.
		imp := []naaccr.Patient{
			{Items: map[string]string{"patientIdNumber": "00000001"}, Tumors: []naaccr.Tumor{{Items: map[string]string{"sequenceNumberHospital": "03"}}}},
			{Items: map[string]string{"patientIdNumber": "00000002", "sex": "2"}, Tumors: []naaccr.Tumor{{Items: map[string]string{"sequenceNumberHospital": "00"}}}},
		}
		if _, err := s.ImportPatients(ctx, f.ID, "draft", imp, nil); err != nil {
			t.Fatal(err)
		}
		if got := tumorSexes(t, s, p.ID); len(got) != 3 || got[2] != "2" {
			t.Errorf("imported tumor of the patient: sex %q, want 2", got)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM tumors t JOIN patients p ON p.id = t.patient_id WHERE p.patient_id_number = '00000002' AND t.sex = '2'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("imported new patient: %d tumors of sex 2, want 1", n)
		}
	})
}
