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

func TestChangeStatusIsACompareAndSetWithHistoryAndAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		_, ids := addPatient(t, s, a.ID, map[string]string{"nameLast": "Doe"}, "draft", map[string]string{"primarySite": "C509"})
		c, err := s.LoadCase(ctx, ids[0], store.FacilityScope(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		u := &store.User{Username: "rev", PasswordHash: "x", Role: "reviewer", FacilityID: &a.ID}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		send := store.StatusUpdate{TumorID: ids[0], Scope: store.FacilityScope(a.ID), Version: c.Tumor.Version,
			Action: "send", From: "draft", To: "in_review", UserID: &u.ID, EditWarnings: 2}

		// Another facility's scope cannot even find the case.
		other := send
		other.Scope = store.FacilityScope(b.ID)
		if _, err := s.ChangeStatus(ctx, other); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("out of scope: %v, want ErrNotFound", err)
		}
		tr, err := s.ChangeStatus(ctx, send)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Status != "in_review" || tr.Version != c.Tumor.Version+1 || tr.EditWarnings != 2 || tr.StatusChangedAt == nil {
			t.Fatalf("after send: %+v", tr)
		}
		// The same step again (a second click, another tab) conflicts: the case is no longer a draft.
		if _, err := s.ChangeStatus(ctx, send); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second send: %v, want ErrConflict", err)
		}
		// A stale version conflicts even from the right status.
		ret := store.StatusUpdate{TumorID: ids[0], Scope: store.AllFacilities, Version: c.Tumor.Version,
			Action: "return", From: "in_review", To: "returned", UserID: &u.ID, Reason: "check grade", Reviewed: true}
		if _, err := s.ChangeStatus(ctx, ret); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale return: %v, want ErrConflict", err)
		}
		ret.Version = tr.Version
		tr, err = s.ChangeStatus(ctx, ret)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Status != "returned" || tr.ReviewedBy == nil || *tr.ReviewedBy != u.ID {
			t.Fatalf("after return: %+v", tr)
		}
		hist, err := s.StatusHistory(ctx, ids[0], store.FacilityScope(a.ID))
		if err != nil || len(hist) != 2 || hist[0].Action != "send" || hist[1].Reason != "check grade" || hist[1].ToStatus != "returned" {
			t.Fatalf("history = %+v, %v", hist, err)
		}
		if hist, err := s.StatusHistory(ctx, ids[0], store.FacilityScope(b.ID)); err != nil || len(hist) != 0 {
			t.Fatalf("history out of scope = %+v, %v", hist, err)
		}
		n, err := s.CountAudit(ctx, audit.CaseStatus, "tumor", fmt.Sprint(ids[0]), storetest.Clock.AddDate(-1, 0, 0))
		if err != nil || n != 2 {
			t.Fatalf("status audit events = %d, %v; want 2", n, err)
		}
	})
}
