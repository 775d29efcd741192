package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestEachPatientStreamsEveryPatientInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f, other := addFacility(t, s, "F"), addFacility(t, s, "O")
		// Five patients of F; patient i has i+1 tumors, the last of them approved when i is odd.
		type wantPatient struct {
			id       string
			all      []string
			approved []string
		}
		var want []wantPatient
		for i := range 5 {
			id := fmt.Sprintf("%08d", i+1)
			var tumors []map[string]string
			var all, approved []string
			for j := range i + 1 {
				mrn := fmt.Sprintf("P%dT%d", i+1, j+1)
				tumors = append(tumors, map[string]string{"medicalRecordNumber": mrn})
				all = append(all, mrn)
			}
			_, ids := addPatient(t, s, f.ID, map[string]string{"patientIdNumber": id}, "draft", tumors...)
			if i%2 == 1 {
				last := ids[len(ids)-1]
				if _, err := s.DB().ExecContext(ctx, "UPDATE tumors SET status = 'approved' WHERE id = ?", last); err != nil {
					t.Fatal(err)
				}
				approved = all[len(all)-1:]
			}
			want = append(want, wantPatient{id: id, all: all, approved: approved})
		}
		addPatient(t, s, other.ID, map[string]string{"patientIdNumber": "99999999"}, "approved", map[string]string{"medicalRecordNumber": "OTHER"})

		tests := []struct {
			name     string
			statuses []string
			pick     func(w wantPatient) []string
		}{
			{"every status", nil, func(w wantPatient) []string { return w.all }},
			{"approved only", []string{"approved"}, func(w wantPatient) []string { return w.approved }},
			{"approved or draft", []string{"approved", "draft"}, func(w wantPatient) []string { return w.all }},
			{"no tumor in status", []string{"submitted"}, func(wantPatient) []string { return nil }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got, exp []string
				for _, w := range want {
					if tumors := tt.pick(w); len(tumors) > 0 {
						exp = append(exp, fmt.Sprint(w.id, tumors))
					}
				}
				err := s.EachPatient(ctx, store.PatientFilter{Scope: store.FacilityScope(f.ID), Statuses: tt.statuses}, 2, func(p *store.Patient, tumors []store.Tumor) error {
					var ms []string
					for _, tr := range tumors {
						if tr.PatientID != p.ID {
							t.Errorf("tumor %d of patient %d handed with patient %d", tr.ID, tr.PatientID, p.ID)
						}
						ms = append(ms, tr.MedicalRecordNumber)
					}
					got = append(got, fmt.Sprint(p.PatientIDNumber, ms))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, exp) {
					t.Errorf("patients %v, want %v", got, exp)
				}
			})
		}

		t.Run("all facilities include the other one", func(t *testing.T) {
			n := 0
			if err := s.EachPatient(ctx, store.PatientFilter{Scope: store.AllFacilities}, 2, func(*store.Patient, []store.Tumor) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			if n != 6 {
				t.Errorf("%d patients, want 6", n)
			}
		})

		t.Run("an error from fn stops the walk", func(t *testing.T) {
			stop := errors.New("stop")
			n := 0
			err := s.EachPatient(ctx, store.PatientFilter{Scope: store.FacilityScope(f.ID)}, 2, func(*store.Patient, []store.Tumor) error {
				n++
				if n == 3 {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) || n != 3 {
				t.Errorf("err = %v after %d calls, want the fn's error after 3", err, n)
			}
		})
	})
}
