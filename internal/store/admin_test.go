package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// addSession starts a session for a user and returns its token hash.
func addSession(t *testing.T, s *store.Store, userID uint, token string) *store.Session {
	t.Helper()
	sess := &store.Session{TokenHash: token, UserID: userID, CSRFToken: "c", CreatedAt: storetest.Clock,
		ExpiresAt: storetest.Clock.Add(time.Hour), LastSeenAt: storetest.Clock}
	if err := s.CreateSession(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

func sessionAlive(t *testing.T, s *store.Store, token string) bool {
	t.Helper()
	_, err := s.SessionByTokenHash(context.Background(), token, storetest.Clock)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func lastEvent(t *testing.T, s *store.Store) store.AuditRow {
	t.Helper()
	p, err := s.SearchAudit(context.Background(), store.AuditFilter{Limit: 1})
	if err != nil || len(p.Events) != 1 {
		t.Fatalf("last audit event: %v, %+v", err, p)
	}
	return p.Events[0]
}

func TestAddUserStoresFacilitiesAndAuditsInOneTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		admin := &store.User{Username: "root", PasswordHash: "x", Role: "admin"}
		if err := s.CreateUser(ctx, admin); err != nil {
			t.Fatal(err)
		}
		by := store.Actor{UserID: &admin.ID, RemoteAddr: "192.0.2.9"}
		u := &store.User{Username: "kim", DisplayName: "Kim", PasswordHash: "h", Role: "registrar", FacilityID: &b.ID, MustChangePassword: true}
		if err := s.AddUser(ctx, store.NewUser{User: u, Facilities: []uint{a.ID}, By: by}); err != nil {
			t.Fatal(err)
		}
		row, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := row.FacilityIDs(); !slices.Equal(got, []uint{b.ID, a.ID}) {
			t.Errorf("facilities %v, want home B first then A", got)
		}
		if !row.User.MustChangePassword {
			t.Error("must_change_password not stored")
		}
		ev := lastEvent(t, s)
		if ev.Action != audit.UserCreate || ev.EntityID != "kim" || ev.Username != "root" || ev.RemoteAddr != "192.0.2.9" {
			t.Errorf("event %+v, want user.create of kim by root from 192.0.2.9", ev)
		}

		// A duplicate username writes nothing: no user, no event.
		before := ev.ID
		err = s.AddUser(ctx, store.NewUser{User: &store.User{Username: "kim", PasswordHash: "h", Role: "admin"}, By: by})
		if !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate: err %v, want ErrDuplicate", err)
		}
		if ev := lastEvent(t, s); ev.ID != before {
			t.Errorf("a failed add left event %+v", ev)
		}
	})
}

func TestUpdateUserRecordsWhatChangedAndReplacesFacilities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b, c := addFacility(t, s, "A"), addFacility(t, s, "B"), addFacility(t, s, "C")
		u := &store.User{Username: "kim", DisplayName: "Kim", PasswordHash: "h", Role: "registrar", FacilityID: &a.ID}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		row, err := s.UpdateUser(ctx, store.UserUpdate{ID: u.ID, DisplayName: "Kim Lee", Role: "reviewer", HomeFacility: &c.ID,
			Facilities: []uint{b.ID, c.ID}, By: store.Actor{RemoteAddr: "192.0.2.1"}})
		if err != nil {
			t.Fatal(err)
		}
		if row.User.DisplayName != "Kim Lee" || row.User.Role != "reviewer" || *row.User.FacilityID != c.ID {
			t.Errorf("user after update %+v", row.User)
		}
		if got := row.FacilityIDs(); !slices.Equal(got, []uint{c.ID, b.ID}) {
			t.Errorf("facilities %v, want C (home) then B; A removed", got)
		}
		ev := lastEvent(t, s)
		var d struct{ Changes []store.Change }
		if err := json.Unmarshal([]byte(ev.Details), &d); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for _, ch := range d.Changes {
			fields = append(fields, ch.Field)
		}
		if ev.Action != audit.UserUpdate || !slices.Equal(fields, []string{"display_name", "role", "home_facility", "facilities"}) {
			t.Errorf("event %s %s, want user.update naming the four changes", ev.Action, ev.Details)
		}

		// The same values again change nothing and record nothing.
		if _, err := s.UpdateUser(ctx, store.UserUpdate{ID: u.ID, DisplayName: "Kim Lee", Role: "reviewer", HomeFacility: &c.ID,
			Facilities: []uint{b.ID}}); err != nil {
			t.Fatal(err)
		}
		if again := lastEvent(t, s); again.ID != ev.ID {
			t.Errorf("an update without changes was audited: %+v", again)
		}
		if _, err := s.UpdateUser(ctx, store.UserUpdate{ID: 9999, Role: "admin"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown user: err %v, want ErrNotFound", err)
		}
	})
}

func TestDisableEndsSessionsAndResetForcesAChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := addFacility(t, s, "A")
		u := &store.User{Username: "kim", PasswordHash: "old", Role: "registrar", FacilityID: &a.ID}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		addSession(t, s, u.ID, "t1")
		if err := s.SetUserDisabled(ctx, u.ID, true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if sessionAlive(t, s, "t1") {
			t.Error("the disabled user's session still works")
		}
		if ev := lastEvent(t, s); ev.Action != audit.UserDisable || ev.EntityID != "kim" {
			t.Errorf("event %+v, want user.disable of kim", ev)
		}
		disabled := lastEvent(t, s).ID
		if err := s.SetUserDisabled(ctx, u.ID, true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if ev := lastEvent(t, s); ev.ID != disabled {
			t.Errorf("disabling twice was audited twice")
		}
		if err := s.SetUserDisabled(ctx, u.ID, false, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if row, _ := s.UserByID(ctx, u.ID); row.User.DisabledAt != nil {
			t.Error("user still disabled after enable")
		}
		if ev := lastEvent(t, s); ev.Action != audit.UserEnable {
			t.Errorf("event %s, want user.enable", ev.Action)
		}

		addSession(t, s, u.ID, "t2")
		if err := s.ResetPassword(ctx, u.ID, "new", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		row, _ := s.UserByID(ctx, u.ID)
		if row.User.PasswordHash != "new" || !row.User.MustChangePassword || sessionAlive(t, s, "t2") {
			t.Errorf("after reset: hash %q, must change %v, session alive %v", row.User.PasswordHash, row.User.MustChangePassword, sessionAlive(t, s, "t2"))
		}
		if ev := lastEvent(t, s); ev.Action != audit.PasswordReset {
			t.Errorf("event %s, want password.reset", ev.Action)
		}

		keep := addSession(t, s, u.ID, "t3")
		addSession(t, s, u.ID, "t4")
		if err := s.ChangePassword(ctx, u.ID, "mine", keep.ID, "192.0.2.3"); err != nil {
			t.Fatal(err)
		}
		row, _ = s.UserByID(ctx, u.ID)
		if row.User.PasswordHash != "mine" || row.User.MustChangePassword {
			t.Errorf("after change: hash %q, must change %v", row.User.PasswordHash, row.User.MustChangePassword)
		}
		if !sessionAlive(t, s, "t3") || sessionAlive(t, s, "t4") {
			t.Errorf("sessions after change: own %v (want alive), other %v (want ended)", sessionAlive(t, s, "t3"), sessionAlive(t, s, "t4"))
		}
		if ev := lastEvent(t, s); ev.Action != audit.PasswordChange || ev.Username != "kim" {
			t.Errorf("event %+v, want password.change by kim", ev)
		}
		if n, err := s.DeleteUserSessions(ctx, u.ID); err != nil || n != 1 {
			t.Errorf("DeleteUserSessions = %d, %v; want 1", n, err)
		}
	})
}

func TestFacilitiesAddUpdateAndRefuseDuplicateCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := &store.Facility{Code: "0001", Name: "Zeta Hospital", NPI: "1234567890", IDNumber: "Z1"}
		if err := s.AddFacility(ctx, f, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if ev := lastEvent(t, s); ev.Action != audit.FacilityCreate || ev.Entity != "facility" {
			t.Errorf("event %+v, want facility.create", ev)
		}
		g := &store.Facility{Code: "0002", Name: "Alpha Clinic"}
		if err := s.AddFacility(ctx, g, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddFacility(ctx, &store.Facility{Code: "0002", Name: "Again"}, store.Actor{}); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("duplicate code on add: %v", err)
		}
		if err := s.UpdateFacility(ctx, &store.Facility{ID: g.ID, Code: "0001", Name: "Alpha Clinic"}, store.Actor{}); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("duplicate code on update: %v", err)
		}
		if err := s.UpdateFacility(ctx, &store.Facility{ID: f.ID, Code: "0001", Name: "Zeta Hospital", NPI: "1234567890", IDNumber: "Z2"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		ev := lastEvent(t, s)
		var d struct{ Changes []store.Change }
		if err := json.Unmarshal([]byte(ev.Details), &d); err != nil {
			t.Fatal(err)
		}
		if ev.Action != audit.FacilityUpdate || len(d.Changes) != 1 || d.Changes[0] != (store.Change{Field: "id_number", Old: "Z1", New: "Z2"}) {
			t.Errorf("event %s %s, want facility.update of id_number only", ev.Action, ev.Details)
		}
		fs, err := s.ListFacilities(ctx)
		if err != nil || len(fs) != 2 || fs[0].Name != "Alpha Clinic" || fs[1].IDNumber != "Z2" {
			t.Errorf("ListFacilities = %+v, %v", fs, err)
		}
	})
}

func TestListUsersGivesEachUserTheirFacilities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		for _, u := range []store.NewUser{
			{User: &store.User{Username: "zed", PasswordHash: "h", Role: "registrar", FacilityID: &b.ID}, Facilities: []uint{a.ID, b.ID}},
			{User: &store.User{Username: "amy", PasswordHash: "h", Role: "admin"}},
		} {
			if err := s.AddUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := s.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].User.Username != "amy" || len(rows[0].Facilities) != 0 ||
			!slices.Equal(rows[1].FacilityIDs(), []uint{b.ID, a.ID}) {
			t.Errorf("ListUsers = %+v", rows)
		}
	})
}
