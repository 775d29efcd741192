package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestSaveCaseWritesOnlyRealChangesAndAuditsThemItemByItem(t *testing.T) {
	type edit func(patient, tumor map[string]string)
	tests := []struct {
		name        string
		edit        edit
		changes     []store.ItemChange
		pVersionInc int64
		tVersionInc int64
	}{
		{
			name: "patient and tumor items changed, added and removed",
			edit: func(p, tm map[string]string) {
				p["nameLast"] = "Roe"
				tm["primarySite"] = "C501"
				tm["laterality"] = "1"
				delete(tm, "grade")
			},
			changes: []store.ItemChange{
				{Level: "patient", Item: "nameLast", Old: "Doe", New: "Roe"},
				{Level: "tumor", Item: "grade", Old: "2", New: ""},
				{Level: "tumor", Item: "laterality", Old: "", New: "1"},
				{Level: "tumor", Item: "primarySite", Old: "C509", New: "C501"},
			},
			pVersionInc: 1, tVersionInc: 1,
		},
		{
			name:        "a tumor change leaves the patient's version",
			edit:        func(_, tm map[string]string) { tm["histologicTypeIcdO3"] = "8520" },
			changes:     []store.ItemChange{{Level: "tumor", Item: "histologicTypeIcdO3", Old: "8500", New: "8520"}},
			pVersionInc: 0, tVersionInc: 1,
		},
		{
			name:        "a patient change moves the tumor's version too",
			edit:        func(p, _ map[string]string) { p["dateOfBirth"] = "19600101" },
			changes:     []store.ItemChange{{Level: "patient", Item: "dateOfBirth", Old: "19500101", New: "19600101"}},
			pVersionInc: 1, tVersionInc: 1,
		},
		{
			name:        "nothing changed",
			edit:        func(_, _ map[string]string) {},
			pVersionInc: 0, tVersionInc: 0,
		},
		{
			name:        "a blank value for an absent item is no change",
			edit:        func(p, tm map[string]string) { p["nameMiddle"] = ""; tm["laterality"] = "" },
			pVersionInc: 0, tVersionInc: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				f := addFacility(t, s, "F")
				user := &store.User{Username: "reg", PasswordHash: "x", Role: "registrar", FacilityID: &f.ID}
				if err := s.CreateUser(ctx, user); err != nil {
					t.Fatal(err)
				}
				_, tumors := addPatient(t, s, f.ID,
					map[string]string{"nameLast": "Doe", "dateOfBirth": "19500101", "patientIdNumber": "00000001"}, "draft",
					map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "8500", "grade": "2", "medicalRecordNumber": "M1"})
				before, err := s.LoadCase(ctx, tumors[0], store.FacilityScope(f.ID))
				if err != nil {
					t.Fatal(err)
				}
				pItems, tItems := maps.Clone(before.Patient.Items), maps.Clone(before.Tumor.Items)
				tt.edit(pItems, tItems)

				saved, changes, err := s.SaveCase(ctx, store.CaseSave{
					TumorID: tumors[0], Scope: store.FacilityScope(f.ID),
					PatientVersion: before.Patient.Version, TumorVersion: before.Tumor.Version,
					PatientItems: pItems, TumorItems: tItems, UserID: &user.ID, RemoteAddr: "192.0.2.7",
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(changes, tt.changes) {
					t.Errorf("changes %+v, want %+v", changes, tt.changes)
				}
				if got := saved.Patient.Version - before.Patient.Version; got != tt.pVersionInc {
					t.Errorf("patient version moved by %d, want %d", got, tt.pVersionInc)
				}
				if got := saved.Tumor.Version - before.Tumor.Version; got != tt.tVersionInc {
					t.Errorf("tumor version moved by %d, want %d", got, tt.tVersionInc)
				}
				if len(tt.changes) > 0 {
					if saved.Patient.NameLast != pItems["nameLast"] || saved.Patient.DateOfBirth != pItems["dateOfBirth"] ||
						saved.Tumor.PrimarySite != tItems["primarySite"] || saved.Tumor.Histology != tItems["histologicTypeIcdO3"] {
						t.Errorf("promoted columns not updated: patient %+v tumor %+v", saved.Patient, saved.Tumor)
					}
					if !maps.Equal(saved.Patient.Items, pItems) || !maps.Equal(saved.Tumor.Items, tItems) {
						t.Errorf("saved items %v / %v, want %v / %v", saved.Patient.Items, saved.Tumor.Items, pItems, tItems)
					}
				}

				evs, err := s.AuditEvents(ctx, "tumor", fmt.Sprint(tumors[0]), 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(tt.changes) == 0 {
					if len(evs) != 0 {
						t.Errorf("a save without changes wrote audit events %+v", evs)
					}
					return
				}
				if len(evs) != 1 {
					t.Fatalf("%d audit events, want 1: %+v", len(evs), evs)
				}
				ev := evs[0]
				if ev.Action != "case.update" || ev.UserID == nil || *ev.UserID != user.ID || ev.RemoteAddr != "192.0.2.7" || !ev.At.Equal(storetest.Clock) {
					t.Errorf("audit event %+v, want case.update by user %d from 192.0.2.7 at %v", ev, user.ID, storetest.Clock)
				}
				var details struct {
					Changes []store.ItemChange `json:"changes"`
				}
				if err := json.Unmarshal([]byte(ev.Details), &details); err != nil {
					t.Fatalf("audit details %q: %v", ev.Details, err)
				}
				if !slices.Equal(details.Changes, tt.changes) {
					t.Errorf("audited changes %+v, want %+v", details.Changes, tt.changes)
				}
			})
		})
	}
}

func TestAuditEventsFiltersByEntityNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, e := range []store.AuditEntry{
			{Action: "a.one", Entity: "tumor", EntityID: "1", Details: map[string]int{"n": 1}},
			{Action: "a.two", Entity: "tumor", EntityID: "2"},
			{Action: "a.three", Entity: "tumor", EntityID: "1"},
			{Action: "login", Entity: "user", EntityID: "1"},
		} {
			if err := s.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			entity, id string
			limit      int
			want       []string
		}{
			{"tumor", "1", 10, []string{"a.three", "a.one"}},
			{"tumor", "2", 10, []string{"a.two"}},
			{"user", "1", 10, []string{"login"}},
			{"tumor", "9", 10, nil},
			{"", "", 10, []string{"login", "a.three", "a.two", "a.one"}},
			{"", "", 2, []string{"login", "a.three"}},
		}
		for _, tt := range tests {
			evs, err := s.AuditEvents(ctx, tt.entity, tt.id, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				got = append(got, ev.Action)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("AuditEvents(%q, %q, %d) = %v, want %v", tt.entity, tt.id, tt.limit, got, tt.want)
			}
		}
		// Details are JSON (MySQL may re-format it, so compare decoded).
		evs, _ := s.AuditEvents(ctx, "tumor", "1", 10)
		for i, want := range []map[string]int{{}, {"n": 1}} {
			var got map[string]int
			if i < len(evs) {
				if err := json.Unmarshal([]byte(evs[i].Details), &got); err != nil || !maps.Equal(got, want) {
					t.Errorf("details of %s = %q (%v), want %v", evs[i].Action, evs[i].Details, err, want)
				}
			}
		}
	})
}
