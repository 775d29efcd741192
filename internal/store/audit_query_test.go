package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// auditTrail writes a small trail: n case views of tumor 1 by kim, a failed sign-in as kim, an
// update of tumor 2 by lee, and returns the users.
func auditTrail(t *testing.T, s *store.Store, views int) (kim, lee *store.User) {
	t.Helper()
	ctx := context.Background()
	kim = &store.User{Username: "kim", PasswordHash: "h", Role: "admin"}
	lee = &store.User{Username: "lee", PasswordHash: "h", Role: "admin"}
	for _, u := range []*store.User{kim, lee} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for range views {
		if err := s.Audit(ctx, store.AuditEntry{UserID: &kim.ID, Action: audit.CaseView, Entity: "tumor", EntityID: "1"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []store.AuditEntry{
		{Action: audit.LoginFailure, Entity: "user", EntityID: "kim"},
		{UserID: &lee.ID, Action: audit.CaseUpdate, Entity: "tumor", EntityID: "2", Details: map[string]any{"changes": []store.ItemChange{{Level: "tumor", Item: "primarySite", Old: "C341", New: "C342"}}}},
	} {
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return kim, lee
}

func actionsOf(rows []store.AuditRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Action+"/"+r.EntityID+"/"+r.Username)
	}
	return out
}

func TestSearchAuditFiltersAndPagesNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		auditTrail(t, s, 3)
		tests := []struct {
			name string
			f    store.AuditFilter
			want []string
		}{
			{"all", store.AuditFilter{}, []string{"case.update/2/lee", "login.failure/kim/", "case.view/1/kim", "case.view/1/kim", "case.view/1/kim"}},
			{"user: their events and failed sign-ins in their name", store.AuditFilter{Username: "kim", Action: audit.LoginFailure}, []string{"login.failure/kim/"}},
			{"user lee", store.AuditFilter{Username: "lee"}, []string{"case.update/2/lee"}},
			{"case", store.AuditFilter{TumorID: 2}, []string{"case.update/2/lee"}},
			{"action", store.AuditFilter{Action: audit.CaseView, Limit: 2}, []string{"case.view/1/kim", "case.view/1/kim"}},
			{"date range including the clock", store.AuditFilter{From: storetest.Clock.Add(-time.Hour), To: storetest.Clock.Add(time.Hour), Action: audit.CaseUpdate}, []string{"case.update/2/lee"}},
			{"date range before", store.AuditFilter{To: storetest.Clock.Add(-time.Hour)}, nil},
			{"unknown user", store.AuditFilter{Username: "nobody"}, nil},
		}
		for _, tt := range tests {
			p, err := s.SearchAudit(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := actionsOf(p.Events); !slices.Equal(got, tt.want) {
				t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
			}
		}

		// Paging: two at a time, each page older than the last, every event once.
		var seen []uint
		f := store.AuditFilter{Limit: 2}
		for page := 0; ; page++ {
			p, err := s.SearchAudit(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Events {
				seen = append(seen, e.ID)
			}
			if p.Next == 0 {
				break
			}
			if page > 5 {
				t.Fatal("paging does not end")
			}
			f.Before = p.Next
		}
		// The two users' user.create events are not written by CreateUser; five events in all.
		if len(seen) != 5 || !slices.IsSortedFunc(seen, func(a, b uint) int { return int(b) - int(a) }) {
			t.Errorf("paged ids %v, want 5 ids newest first", seen)
		}
	})
}

func TestEachAuditEventReadsInBatchesOldestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		auditTrail(t, s, 7)
		var ids []uint
		err := s.EachAuditEvent(context.Background(), store.AuditFilter{Action: audit.CaseView}, 3, func(e *store.AuditRow) error {
			ids = append(ids, e.ID)
			if e.Username != "kim" {
				return fmt.Errorf("event %d by %q", e.ID, e.Username)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 7 || !slices.IsSorted(ids) {
			t.Errorf("ids %v, want the 7 views oldest first", ids)
		}
	})
}

func TestCaseHistoryIsScopedAndCountsViews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		_, tumors := addPatient(t, s, a.ID, map[string]string{"nameLast": "Doe"}, "draft", map[string]string{"primarySite": "C341"})
		id := tumors[0]
		kim := &store.User{Username: "kim", PasswordHash: "h", Role: "registrar", FacilityID: &a.ID}
		if err := s.CreateUser(ctx, kim); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := s.Audit(ctx, store.AuditEntry{UserID: &kim.ID, Action: audit.CaseView, Entity: "tumor", EntityID: fmt.Sprint(id)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: id, Scope: store.AllFacilities, PatientVersion: 1, TumorVersion: 1,
			PatientItems: map[string]string{"nameLast": "Doe"}, TumorItems: map[string]string{"primarySite": "C342"}, UserID: &kim.ID}); err != nil {
			t.Fatal(err)
		}
		h, err := s.CaseHistory(ctx, id, store.FacilityScope(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		if got := actionsOf(h.Events); !slices.Equal(got, []string{fmt.Sprintf("case.update/%d/kim", id)}) {
			t.Errorf("events %q, want the one update", got)
		}
		if len(h.Views) != 1 || h.Views[0].Username != "kim" || h.Views[0].Count != 3 || !h.Views[0].Last.Equal(storetest.Clock) {
			t.Errorf("views %+v, want kim 3 times, last at the clock", h.Views)
		}
		if _, err := s.CaseHistory(ctx, id, store.FacilityScope(b.ID)); err == nil {
			t.Error("another facility's scope saw the history")
		}
	})
}
