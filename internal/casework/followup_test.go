package casework_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

func followUpSection(t *testing.T) *abstract.Section {
	t.Helper()
	dict, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	form, err := abstract.LoadForm(schemas.FS, casework.FollowUpFormFile, dict, tables)
	if err != nil {
		t.Fatal(err)
	}
	return form.Sections[0]
}

// loadedFollowUp is a follow-up of the fixture's patient at the versions stored now.
func loadedFollowUp(t *testing.T, f *fixture, sec *abstract.Section, entered map[string]string) casework.FollowUp {
	t.Helper()
	cs, err := f.store.OpenCase(context.Background(), f.tumorID, store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	in := casework.FollowUp{TumorID: f.tumorID, Section: sec, Entered: entered, PatientVersion: cs.Patient.Version,
		TumorVersions: map[uint]int64{}, Source: "form"}
	for _, tm := range cs.Tumors {
		in.TumorVersions[tm.ID] = tm.Version
	}
	return in
}

func TestRecordFollowUpWritesThePatientAndEveryTumorWithAuditAndLocking(t *testing.T) {
	sec := followUpSection(t)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		in := loadedFollowUp(t, f, sec, map[string]string{"dateOfLastContact": "20261001", "vitalStatus": "1",
			"cancerStatus": "1", "followUpSource": "2", "nextFollowUpSource": "1"})
		before, _ := f.store.OpenCase(ctx, f.tumorID, store.AllFacilities)
		first := before.Tumors[0].ID
		in.PerTumor = map[uint]map[string]string{f.tumorID: {"cancerStatus": "2"}}
		saved, err := f.service.RecordFollowUp(ctx, f.actor, in)
		if err != nil || saved.Errors != nil {
			t.Fatalf("record: %v %v", err, saved.Errors)
		}
		cs := saved.Case
		if got := cs.Patient.Items; got["dateOfLastContact"] != "20261001" || got["causeOfDeath"] != "0000" || got["icdRevisionNumber"] != "0" {
			t.Errorf("patient items = %v", got)
		}
		for _, tm := range cs.Tumors {
			want := "1"
			if tm.ID == f.tumorID {
				want = "2"
			}
			if tm.Items["cancerStatus"] != want || tm.Items["dateOfLastCancerStatus"] != "20261001" || tm.Items["followUpSource"] != "2" {
				t.Errorf("tumor %d items = %v, want cancer status %s as of the contact", tm.ID, tm.Items, want)
			}
		}
		if cs.Patient.Version != before.Patient.Version+1 {
			t.Errorf("patient version %d, want %d", cs.Patient.Version, before.Patient.Version+1)
		}
		// The copies the due list reads follow the patient.
		var lc, vs string
		if err := s.DB().QueryRowContext(ctx, "SELECT last_contact, vital_status FROM tumors WHERE id = ?", first).Scan(&lc, &vs); err != nil || lc != "20261001" || vs != "1" {
			t.Errorf("tumor %d copies = %q %q (%v)", first, lc, vs, err)
		}
		var events int64
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_events WHERE action = 'followup.record'").Scan(&events); err != nil || events != 2 {
			t.Errorf("%d followup.record events (%v), want one a tumor", events, err)
		}

		// The same form again is stale: nothing is written.
		stale := in
		stale.Entered = map[string]string{"dateOfLastContact": "20261101", "vitalStatus": "1"}
		if _, err := f.service.RecordFollowUp(ctx, f.actor, stale); !errors.Is(err, casework.ErrConflict) {
			t.Errorf("stale follow-up: err %v, want ErrConflict", err)
		}
		if cur, _ := s.OpenCase(ctx, f.tumorID, store.AllFacilities); cur.Patient.Items["dateOfLastContact"] != "20261001" {
			t.Errorf("a stale follow-up wrote %s", cur.Patient.Items["dateOfLastContact"])
		}

		refused := []struct {
			name    string
			entered map[string]string
			item    string
		}{
			{"bad code", map[string]string{"dateOfLastContact": "20261101", "vitalStatus": "7"}, "vitalStatus"},
			{"earlier contact", map[string]string{"dateOfLastContact": "20260101", "vitalStatus": "1"}, "dateOfLastContact"},
			{"death without cause", map[string]string{"dateOfLastContact": "20261101", "vitalStatus": "0"}, "causeOfDeath"},
			{"future contact", map[string]string{"dateOfLastContact": "20991231", "vitalStatus": "1"}, "dateOfLastContact"},
		}
		for _, tt := range refused {
			res, err := f.service.RecordFollowUp(ctx, f.actor, loadedFollowUp(t, f, sec, tt.entered))
			if err != nil || res.Errors[tt.item] == "" {
				t.Errorf("%s: err %v, errors %v, want a message for %s", tt.name, err, res.Errors, tt.item)
			}
		}
		if cur, _ := s.OpenCase(ctx, f.tumorID, store.AllFacilities); cur.Patient.Version != cs.Patient.Version {
			t.Errorf("a refused follow-up moved the patient to version %d", cur.Patient.Version)
		}

		dead, err := f.service.RecordFollowUp(ctx, f.actor, loadedFollowUp(t, f, sec, map[string]string{
			"dateOfLastContact": "20261102", "vitalStatus": "0", "causeOfDeath": "C349"}))
		if err != nil || dead.Errors != nil {
			t.Fatalf("death: %v %v", err, dead.Errors)
		}
		if got := dead.Case.Patient.Items; got["icdRevisionNumber"] != "1" || got["causeOfDeath"] != "C349" || got["vitalStatus"] != "0" {
			t.Errorf("death recorded as %v", got)
		}
	})
}
