package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// addUser creates a user of a facility.
func addUser(t *testing.T, s *store.Store, name, role string, facilityID uint) *store.User {
	t.Helper()
	u := &store.User{Username: name, DisplayName: "User " + name, PasswordHash: "x", Role: role, FacilityID: &facilityID}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// step takes a workflow step on a case, failing the test if the store refuses it.
func step(t *testing.T, s *store.Store, id uint, action, from, to string, user uint, reason string) {
	t.Helper()
	if _, err := s.ChangeStatus(context.Background(), store.StatusUpdate{TumorID: id, Scope: store.AllFacilities,
		Action: action, From: from, To: to, UserID: &user, Reason: reason}); err != nil {
		t.Fatal(err)
	}
}

func TestReviewCommentsAddResolveCloseInScopeAndAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		reg, rev := addUser(t, s, "reg", "registrar", a.ID), addUser(t, s, "rev", "reviewer", a.ID)
		_, ids := addPatient(t, s, a.ID, map[string]string{"nameLast": "Doe"}, "in_review", map[string]string{"primarySite": "C509"})
		id := ids[0]
		inReview := []string{"in_review", "returned"}

		add := store.CommentAdd{TumorID: id, Scope: store.FacilityScope(a.ID), NaaccrID: "primarySite", Body: "check the site",
			AuthorID: rev.ID, CaseStatuses: inReview}
		other := add
		other.Scope = store.FacilityScope(b.ID)
		if _, err := s.AddComment(ctx, other); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("comment out of scope: %v, want ErrNotFound", err)
		}
		draftOnly := add
		draftOnly.CaseStatuses = []string{"draft"}
		if _, err := s.AddComment(ctx, draftOnly); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("comment on a case in another status: %v, want ErrConflict", err)
		}
		c1, err := s.AddComment(ctx, add)
		if err != nil {
			t.Fatal(err)
		}
		whole := add
		whole.NaaccrID, whole.Body = "", "whole case note"
		if _, err := s.AddComment(ctx, whole); err != nil {
			t.Fatal(err)
		}

		// Closing before the registrar resolved it is refused.
		closeStep := store.CommentStep{CommentID: c1.ID, TumorID: id, Scope: store.FacilityScope(a.ID), UserID: rev.ID}
		if _, err := s.CloseComment(ctx, closeStep); !errors.Is(err, store.ErrCommentState) {
			t.Fatalf("close unresolved: %v, want ErrCommentState", err)
		}
		// A comment id of another case is not found through this case.
		_, ids2 := addPatient(t, s, a.ID, map[string]string{"nameLast": "Roe"}, "returned", map[string]string{"primarySite": "C180"})
		wrong := store.CommentStep{CommentID: c1.ID, TumorID: ids2[0], Scope: store.FacilityScope(a.ID), UserID: reg.ID, Note: "x"}
		if _, err := s.ResolveComment(ctx, wrong); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("resolve through another case: %v, want ErrNotFound", err)
		}
		resolve := store.CommentStep{CommentID: c1.ID, TumorID: id, Scope: store.FacilityScope(a.ID), UserID: reg.ID, Note: "site corrected"}
		outOfScope := resolve
		outOfScope.Scope = store.FacilityScope(b.ID)
		if _, err := s.ResolveComment(ctx, outOfScope); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("resolve out of scope: %v, want ErrNotFound", err)
		}
		rc, err := s.ResolveComment(ctx, resolve)
		if err != nil {
			t.Fatal(err)
		}
		if rc.ResolvedAt == nil || rc.ResolvedBy == nil || *rc.ResolvedBy != reg.ID || rc.Resolution != "site corrected" {
			t.Fatalf("resolved comment = %+v", rc)
		}
		if _, err := s.ResolveComment(ctx, resolve); !errors.Is(err, store.ErrCommentState) {
			t.Fatalf("resolve twice: %v, want ErrCommentState", err)
		}
		if rc, err = s.CloseComment(ctx, closeStep); err != nil || rc.ClosedAt == nil || *rc.ClosedBy != rev.ID {
			t.Fatalf("close: %+v, %v", rc, err)
		}

		rows, err := s.CaseComments(ctx, id, store.FacilityScope(a.ID))
		if err != nil || len(rows) != 2 {
			t.Fatalf("comments = %+v, %v", rows, err)
		}
		if r := rows[0]; r.Body != "check the site" || r.AuthorName != "User rev" || r.ResolverName != "User reg" || r.CloserName != "User rev" || r.Open() {
			t.Fatalf("first comment = %+v", r)
		}
		if r := rows[1]; r.NaaccrID != "" || !r.Open() || r.ResolverName != "" {
			t.Fatalf("second comment = %+v", r)
		}
		if rows, err := s.CaseComments(ctx, id, store.FacilityScope(b.ID)); err != nil || len(rows) != 0 {
			t.Fatalf("comments out of scope = %+v, %v", rows, err)
		}
		for action, want := range map[string]int64{audit.CommentAdd: 2, audit.CommentResolve: 1, audit.CommentClose: 1} {
			n, err := s.CountAudit(ctx, action, "tumor", fmt.Sprint(id), storetest.Clock.AddDate(-1, 0, 0))
			if err != nil || n != want {
				t.Errorf("%s audit events = %d, %v; want %d", action, n, err, want)
			}
		}
	})
}

func TestReviewQueueOldestFirstWithFiltersAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		reg1, reg2 := addUser(t, s, "reg1", "registrar", a.ID), addUser(t, s, "reg2", "registrar", a.ID)
		rev := addUser(t, s, "rev", "reviewer", a.ID)
		regB := addUser(t, s, "regb", "registrar", b.ID)
		newCase := func(fac uint, name, site string) uint {
			_, ids := addPatient(t, s, fac, map[string]string{"nameLast": name}, "draft", map[string]string{"primarySite": site})
			return ids[0]
		}
		lung, breast, colon := newCase(a.ID, "Lung", "C341"), newCase(a.ID, "Breast", "C504"), newCase(a.ID, "Colon", "C180")
		other := newCase(b.ID, "Other", "C341")
		newCase(a.ID, "Draft", "C341") // a draft is not in the queue
		step(t, s, lung, "send", "draft", "in_review", reg1.ID, "")
		step(t, s, breast, "send", "draft", "in_review", reg1.ID, "")
		step(t, s, colon, "send", "draft", "in_review", reg1.ID, "")
		step(t, s, other, "send", "draft", "in_review", regB.ID, "")
		// Colon went back to reg2 and was sent again by reg2: the queue names the latest sender.
		step(t, s, colon, "return", "in_review", "returned", rev.ID, "grade")
		step(t, s, colon, "send", "returned", "in_review", reg2.ID, "")
		if _, err := s.AddComment(ctx, store.CommentAdd{TumorID: colon, Scope: store.AllFacilities, Body: "x", AuthorID: rev.ID}); err != nil {
			t.Fatal(err)
		}
		// The store's clock stands still: give the cases their waiting times by hand.
		for id, days := range map[uint]int{lung: 3, breast: 10, colon: 1, other: 20} {
			at := storetest.Clock.AddDate(0, 0, -days)
			if _, err := s.DB().ExecContext(ctx, "UPDATE tumors SET status_changed_at = ? WHERE id = ?", at, id); err != nil {
				t.Fatal(err)
			}
		}
		names := func(rows []store.ReviewQueueRow) []string {
			var out []string
			for _, r := range rows {
				out = append(out, r.NameLast)
			}
			return out
		}
		scopeA := store.FacilityScope(a.ID)
		rows, total, err := s.ReviewQueue(ctx, store.ReviewQueueFilter{Scope: scopeA})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(names(rows)); total != 3 || got != "[Breast Lung Colon]" {
			t.Fatalf("queue of A = %s (%d), want [Breast Lung Colon] (3)", got, total)
		}
		if r := rows[2]; r.SentBy == nil || *r.SentBy != reg2.ID || r.SentByName != "User reg2" || r.OpenComments != 1 {
			t.Fatalf("colon row = %+v", r)
		}
		if r := rows[0]; r.SentByName != "User reg1" || r.OpenComments != 0 {
			t.Fatalf("breast row = %+v", r)
		}
		for _, tc := range []struct {
			name string
			f    store.ReviewQueueFilter
			want string
		}{
			{"every facility", store.ReviewQueueFilter{Scope: store.AllFacilities}, "[Other Breast Lung Colon]"},
			{"no scope", store.ReviewQueueFilter{}, "[]"},
			{"sent by reg1", store.ReviewQueueFilter{Scope: scopeA, SentBy: &reg1.ID}, "[Breast Lung]"},
			{"sent by reg2", store.ReviewQueueFilter{Scope: scopeA, SentBy: &reg2.ID}, "[Colon]"},
			{"lung sites", store.ReviewQueueFilter{Scope: scopeA, Sites: []store.SiteRange{{From: "C340", To: "C349"}}}, "[Lung]"},
			{"waiting 3 days or more", store.ReviewQueueFilter{Scope: scopeA, WaitingSince: storetest.Clock.AddDate(0, 0, -3)}, "[Breast Lung]"},
			{"second page", store.ReviewQueueFilter{Scope: scopeA, Limit: 2, Offset: 2}, "[Colon]"},
		} {
			rows, _, err := s.ReviewQueue(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := fmt.Sprint(names(rows)); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		}
	})
}

func TestReturnedCasesCarryTheReasonAndUnresolvedComments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		reg, rev := addUser(t, s, "reg", "registrar", a.ID), addUser(t, s, "rev", "reviewer", a.ID)
		_, ids := addPatient(t, s, a.ID, map[string]string{"nameLast": "Doe"}, "draft", map[string]string{"primarySite": "C509"})
		_, idsB := addPatient(t, s, b.ID, map[string]string{"nameLast": "Bee"}, "returned", map[string]string{"primarySite": "C509"})
		step(t, s, ids[0], "send", "draft", "in_review", reg.ID, "")
		for _, body := range []string{"one", "two"} {
			if _, err := s.AddComment(ctx, store.CommentAdd{TumorID: ids[0], Scope: store.AllFacilities, Body: body, AuthorID: rev.ID}); err != nil {
				t.Fatal(err)
			}
		}
		step(t, s, ids[0], "return", "in_review", "returned", rev.ID, "first reason")
		step(t, s, ids[0], "send", "returned", "in_review", reg.ID, "")
		step(t, s, ids[0], "return", "in_review", "returned", rev.ID, "latest reason")
		rows, err := s.CaseComments(ctx, ids[0], store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResolveComment(ctx, store.CommentStep{CommentID: rows[0].ID, TumorID: ids[0], Scope: store.AllFacilities, UserID: reg.ID, Note: "done"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ReturnedCases(ctx, store.FacilityScope(a.ID), nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].TumorID != ids[0] || got[0].Reason != "latest reason" || got[0].Unresolved != 1 || got[0].ReturnedByName != "User rev" {
			t.Fatalf("returned cases of A = %+v", got)
		}
		// Bee was stored as returned without a recorded return: listed, with no reason.
		got, err = s.ReturnedCases(ctx, store.AllFacilities, nil, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("returned cases of all = %+v, %v", got, err)
		}
		if got, err := s.ReturnedCases(ctx, store.FacilityScope(b.ID), nil, 10); err != nil || len(got) != 1 || got[0].TumorID != idsB[0] || got[0].Reason != "" {
			t.Fatalf("returned cases of B = %+v, %v", got, err)
		}
		// Returned to a registrar: the cases they sent last or are assigned to.
		other := addUser(t, s, "other", "registrar", a.ID)
		if got, err := s.ReturnedCases(ctx, store.FacilityScope(a.ID), &reg.ID, 10); err != nil || len(got) != 1 || got[0].TumorID != ids[0] {
			t.Fatalf("returned to the registrar who sent it = %+v, %v", got, err)
		}
		if got, err := s.ReturnedCases(ctx, store.FacilityScope(a.ID), &other.ID, 10); err != nil || len(got) != 0 {
			t.Fatalf("returned to another registrar = %+v, %v", got, err)
		}
	})
}
