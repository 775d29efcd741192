package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestCaseHistoryShowsWhoChangedWhatAndIsScoped(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		page := c.openCase(t, f.caseA, "diagnosis")
		if href, _ := page.testid("tab-history").Attr("href"); href != casePath(f.caseA)+"/history" {
			t.Errorf("History tab links to %q", href)
		}
		c.save(t, page, map[string]string{"primarySite": "C342"}).wantStatus(http.StatusSeeOther)
		const why = "Checked with the pathologist: the combination is right."
		c.save(t, c.openCase(t, f.caseA, "overrides"), map[string]string{"overRideSiteLatMorph": "1", "overrideComment": why}).
			wantStatus(http.StatusSeeOther)
		reviewer := f.users[reviewerA].ID
		if _, err := s.ChangeStatus(context.Background(), store.StatusUpdate{TumorID: f.caseA, Scope: store.AllFacilities,
			Action: "send", From: "draft", To: "in_review", UserID: &f.users[registrarA].ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ChangeStatus(context.Background(), store.StatusUpdate{TumorID: f.caseA, Scope: store.AllFacilities,
			Action: "return", From: "in_review", To: "returned", UserID: &reviewer, Reason: "Laterality is missing.", Reviewed: true}); err != nil {
			t.Fatal(err)
		}

		h := c.get(t, casePath(f.caseA)+"/history")
		h.wantStatus(http.StatusOK)
		if !h.testid("tab-history").HasClass("active") {
			t.Error("the History tab is not marked active")
		}
		var site *goquery.Selection
		h.testid("change").Each(func(_ int, ch *goquery.Selection) {
			if ch.AttrOr("data-item", "") != "" && strings.Contains(ch.AttrOr("data-item", ""), "[400]") {
				site = ch
			}
		})
		if site == nil || !strings.Contains(site.Text(), "C341") || !strings.Contains(site.Text(), "→ C342") {
			t.Errorf("no primary site change C341 → C342 in the history\n%s", excerpt(h.body))
		}
		if cm := h.testid("comment").Text(); !strings.Contains(cm, why) {
			t.Errorf("override comment %q not shown", cm)
		}
		if n := h.testid("history-entry").Length(); n != 4 {
			t.Errorf("%d history entries, want 4 (two saves, two steps)", n)
		}
		if r := h.testid("status-reason").First().Text(); r != "Laterality is missing." {
			t.Errorf("newest status reason %q", r)
		}
		if who := h.testid("history-status").First().Find("td").Eq(1).Text(); who != reviewerA {
			t.Errorf("the return was by %q, want %s", who, reviewerA)
		}
		if n := h.testid("history-view").Length(); n != 1 || !strings.Contains(h.testid("history-views").Text(), "reg-a") {
			t.Errorf("views: %d rows: %q", n, h.testid("history-views").Text())
		}

		// Another facility's registrar: not found, and nothing audited for them.
		b := f.signIn(t, registrarB)
		b.get(t, casePath(f.caseA)+"/history").wantStatus(http.StatusNotFound)
		for _, e := range f.auditEvents(t, "case.view", "tumor", idString(f.caseA)) {
			if e.UserID != nil && *e.UserID == f.users[registrarB].ID {
				t.Error("a refused history view was audited as a view")
			}
		}
		// The administrator sees every facility's history; the reviewer of A sees A's.
		f.signIn(t, adminUser).get(t, casePath(f.caseB)+"/history").wantStatus(http.StatusOK)
		f.signIn(t, reviewerA).get(t, casePath(f.caseA)+"/history").wantStatus(http.StatusOK)
		c.get(t, "/cases/99999/history").wantStatus(http.StatusNotFound)
	})
}

// TestCaseHistoryReadsAsWordsNotIDs: a case's history names its actions, workflow steps, detail
// keys and the item a comment is about in words (it once showed "comment.resolve", "send" and
// "edit_errors 0").
func TestCaseHistoryReadsAsWordsNotIDs(t *testing.T) {
	t.Parallel()
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	ctx := context.Background()
	reg, rev := f.users[registrarA].ID, f.users[reviewerA].ID
	if _, err := s.ChangeStatus(ctx, store.StatusUpdate{TumorID: f.caseA, Scope: store.AllFacilities,
		Action: "send", From: "draft", To: "in_review", UserID: &reg}); err != nil {
		t.Fatal(err)
	}
	rc, err := s.AddComment(ctx, store.CommentAdd{TumorID: f.caseA, Scope: store.AllFacilities, NaaccrID: "primarySite",
		Body: "Check the site.", AuthorID: rev})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeStatus(ctx, store.StatusUpdate{TumorID: f.caseA, Scope: store.AllFacilities,
		Action: "return", From: "in_review", To: "returned", UserID: &rev, Reason: "See the comment.", Reviewed: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveComment(ctx, store.CommentStep{CommentID: rc.ID, TumorID: f.caseA, Scope: store.AllFacilities,
		UserID: reg, Note: "Corrected."}); err != nil {
		t.Fatal(err)
	}

	h := f.signIn(t, registrarA).get(t, casePath(f.caseA)+"/history")
	h.wantStatus(http.StatusOK)
	changes := h.testid("history-changes").Text()
	for _, want := range []string{"Comment added", "Comment resolved", "Sent to review", "Returned to the registrar", "Edit errors", "Primary Site [400]"} {
		if !strings.Contains(changes, want) {
			t.Errorf("history lacks %q:\n%s", want, changes)
		}
	}
	for _, raw := range []string{"comment.add", "comment.resolve", "case.status", "edit_errors", "edit_warnings", "in_review"} {
		if strings.Contains(h.body, raw) {
			t.Errorf("history shows the id %q", raw)
		}
	}
	if step := h.testid("history-status").First().Find("td").Eq(2).Text(); step != "Returned to the registrar" {
		t.Errorf("newest workflow step reads %q", step)
	}
}
