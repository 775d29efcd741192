package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// comment posts the comment form of a case page.
func (c *client) comment(t testing.TB, p *page, item, body string) *page {
	t.Helper()
	form := p.testid("comment-form")
	if form.Length() != 1 {
		t.Fatalf("no comment form on the case page\n%s", excerpt(p.body))
	}
	vals := formValues(form)
	vals.Set("naaccrId", item)
	vals.Set("body", body)
	return c.post(t, form.AttrOr("action", ""), vals)
}

// sendToReview takes a case to review as its registrar, through the action bar.
func sendToReview(t *testing.T, f *fixture, reg *client, id uint) {
	t.Helper()
	reg.step(t, reg.openCase(t, id, "diagnosis"), "send", "").wantStatus(http.StatusSeeOther)
}

func TestReviewCommentsCycleBesideTheField(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg, rev := f.signIn(t, registrarA), f.signIn(t, reviewerA)

	// A draft is not commented on: the page offers no form, and a post is refused.
	p := rev.openCase(t, f.caseA, "diagnosis")
	if p.testid("comment-form").Length() != 0 || p.testid("comment-on-primarySite").Length() != 0 {
		t.Errorf("comment form offered on a draft")
	}
	tok := rev.csrf(t)
	rev.post(t, casePath(f.caseA)+"/comments", url.Values{"_csrf": {tok}, "body": {"x"}, "naaccrId": {""}}).wantStatus(http.StatusConflict)

	sendToReview(t, f, reg, f.caseA)
	p = rev.openCase(t, f.caseA, "diagnosis")
	link := p.testid("comment-on-primarySite")
	if link.Length() != 1 {
		t.Fatalf("no comment link beside the primary site\n%s", excerpt(p.body))
	}
	// The field's link opens the form about that item.
	p = rev.get(t, link.AttrOr("href", ""))
	p.wantStatus(http.StatusOK)
	if got := formValues(p.testid("comment-form")).Get("naaccrId"); got != "primarySite" {
		t.Errorf("comment form about %q, want primarySite", got)
	}
	r := rev.comment(t, p, "primarySite", "")
	r.wantStatus(http.StatusUnprocessableEntity)
	if !strings.Contains(r.testid("comment-message").Text(), "Write the comment") {
		t.Errorf("empty comment: message %q", r.testid("comment-message").Text())
	}
	rev.comment(t, p, "noSuchItem", "x").wantStatus(http.StatusUnprocessableEntity)
	r = rev.comment(t, p, "primarySite", "Site says upper lobe; the path report says lower lobe.")
	r.wantStatus(http.StatusSeeOther)
	if !strings.Contains(r.location(), "flash=commented") {
		t.Errorf("after comment, Location %q", r.location())
	}
	rev.comment(t, p, "", "Whole case: check the staging.").wantStatus(http.StatusSeeOther)
	// A registrar does not comment; another facility's reviewer does not find the case.
	reg.post(t, casePath(f.caseA)+"/comments", url.Values{"_csrf": {reg.csrf(t)}, "body": {"x"}}).wantStatus(http.StatusForbidden)
	revB := f.signIn(t, reviewerB)
	revB.post(t, casePath(f.caseA)+"/comments", url.Values{"_csrf": {revB.csrf(t)}, "body": {"x"}}).wantStatus(http.StatusNotFound)

	p = rev.openCase(t, f.caseA, "diagnosis")
	rev.step(t, p, "return", "See the comments").wantStatus(http.StatusSeeOther)

	// The registrar sees the comment under the field, and the panel lists both.
	p = reg.openCase(t, f.caseA, "diagnosis")
	if got := p.testid("field-comment-primarySite").Text(); !strings.Contains(got, "lower lobe") {
		t.Errorf("comment beside the primary site %q", got)
	}
	if n := p.testid("comment").Length(); n != 2 {
		t.Fatalf("%d comments in the panel, want 2", n)
	}
	rows, err := f.store.CaseComments(context.Background(), f.caseA, store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	siteComment := rows[0].ID
	resolve := p.testid("resolve-form-" + idString(siteComment))
	if resolve.Length() != 1 {
		t.Fatalf("no resolve form for the comment\n%s", excerpt(p.testid("review-panel").Text()))
	}
	vals := formValues(resolve)
	r = reg.post(t, resolve.AttrOr("action", ""), vals)
	r.wantStatus(http.StatusUnprocessableEntity)
	if !strings.Contains(r.testid("comment-message").Text(), "what you did") {
		t.Errorf("resolve without a note: %q", r.testid("comment-message").Text())
	}
	// A reviewer does not resolve; a comment cannot be closed before it is resolved.
	rev.post(t, resolve.AttrOr("action", ""), url.Values{"_csrf": {rev.csrf(t)}, "note": {"x"}}).wantStatus(http.StatusForbidden)
	closeURL := casePath(f.caseA) + "/comments/" + idString(siteComment) + "/close"
	rev.post(t, closeURL, url.Values{"_csrf": {rev.csrf(t)}}).wantStatus(http.StatusConflict)

	vals.Set("note", "Corrected to C343.")
	reg.post(t, resolve.AttrOr("action", ""), vals).wantStatus(http.StatusSeeOther)
	reg.post(t, resolve.AttrOr("action", ""), vals).wantStatus(http.StatusConflict) // twice
	reg.post(t, closeURL, url.Values{"_csrf": {reg.csrf(t)}}).wantStatus(http.StatusForbidden)
	// A comment id through another case is not found.
	reg.post(t, casePath(f.approvedA)+"/comments/"+idString(siteComment)+"/resolve", url.Values{"_csrf": {reg.csrf(t)}, "note": {"x"}}).wantStatus(http.StatusNotFound)

	reg.step(t, reg.openCase(t, f.caseA, "diagnosis"), "send", "").wantStatus(http.StatusSeeOther)
	p = rev.openCase(t, f.caseA, "diagnosis")
	if got := p.testid("comment-resolution").Text(); !strings.Contains(got, "Corrected to C343.") {
		t.Errorf("resolution shown %q", got)
	}
	rev.post(t, closeURL, url.Values{"_csrf": {rev.csrf(t)}, "section": {"diagnosis"}}).wantStatus(http.StatusSeeOther)
	p = rev.openCase(t, f.caseA, "diagnosis")
	if p.testid("field-comment-primarySite").Length() != 0 {
		t.Errorf("a closed comment is still shown beside its field")
	}
	if st := p.doc.Find(`[data-testid="comment"][data-item="primarySite"]`).AttrOr("data-state", ""); st != "closed" {
		t.Errorf("panel state %q, want closed", st)
	}
	for action, want := range map[string]int{audit.CommentAdd: 2, audit.CommentResolve: 1, audit.CommentClose: 1} {
		if n := len(f.auditEvents(t, action, "tumor", idString(f.caseA))); n != want {
			t.Errorf("%d %s events, want %d", n, action, want)
		}
	}
}

func TestReviewQueueListsCasesInReviewOfTheReviewersFacilities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg, rev, revB := f.signIn(t, registrarA), f.signIn(t, reviewerA), f.signIn(t, reviewerB)
		reg.get(t, "/review").wantStatus(http.StatusForbidden)

		p := rev.get(t, "/review")
		p.wantStatus(http.StatusOK)
		if p.testid("review-empty").Length() != 1 {
			t.Errorf("queue with nothing in review lists rows")
		}
		sendToReview(t, f, reg, f.caseA)
		p = rev.get(t, "/review")
		rows := p.testid("review-row")
		if rows.Length() != 1 || rows.AttrOr("data-tumor", "") != idString(f.caseA) {
			t.Fatalf("queue rows: %d\n%s", rows.Length(), excerpt(p.body))
		}
		if got := rows.Find(`[data-testid="review-registrar"]`).Text(); got != "Rita Alder" {
			t.Errorf("sent by %q, want Rita Alder", got)
		}
		if got := rows.Find(`[data-testid="review-days"]`).Text(); got != "0" {
			t.Errorf("days waiting %q, want 0", got)
		}
		if got := rows.Find(`[data-testid="review-link"]`).AttrOr("href", ""); got != casePath(f.caseA) {
			t.Errorf("link %q", got)
		}
		// Filters: another registrar, a site group it is not in, more days than it waited.
		regID := idString(f.users[registrarA].ID)
		for q, want := range map[string]int{
			"?registrar=" + regID:                            1,
			"?registrar=" + idString(f.users[registrarB].ID): 0,
			"?days=1": 0,
			"?days=0": 1,
		} {
			if n := rev.get(t, "/review"+q).testid("review-row").Length(); n != want {
				t.Errorf("queue%s: %d rows, want %d", q, n, want)
			}
		}
		if n := revB.get(t, "/review").testid("review-row").Length(); n != 0 {
			t.Errorf("facility B's reviewer sees %d of A's cases", n)
		}
		if n := f.signIn(t, adminUser).get(t, "/review").testid("review-row").Length(); n != 1 {
			t.Errorf("administrator sees %d rows, want 1", n)
		}
	})
}

func TestWorklistListsReturnedCasesFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg, rev := f.signIn(t, registrarA), f.signIn(t, reviewerA)
	if reg.get(t, "/cases").testid("returned").Length() != 0 {
		t.Errorf("returned block shown with nothing returned")
	}
	sendToReview(t, f, reg, f.caseA)
	p := rev.openCase(t, f.caseA, "diagnosis")
	rev.comment(t, p, "primarySite", "Check the site").wantStatus(http.StatusSeeOther)
	rev.step(t, rev.openCase(t, f.caseA, "diagnosis"), "return", "Site and laterality disagree").wantStatus(http.StatusSeeOther)

	p = reg.get(t, "/cases")
	row := p.testid("returned-row")
	if row.Length() != 1 || row.AttrOr("data-tumor", "") != idString(f.caseA) {
		t.Fatalf("returned rows: %d\n%s", row.Length(), excerpt(p.body))
	}
	if got := row.Find(`[data-testid="returned-reason"]`).Text(); got != "Site and laterality disagree" {
		t.Errorf("reason %q", got)
	}
	if got := row.Find(`[data-testid="returned-unresolved"]`).Text(); got != "1" {
		t.Errorf("unresolved comments %q, want 1", got)
	}
	// The block comes before the worklist table, which still lists the case in its own order.
	if html, _ := p.testid("worklist-results").Html(); !strings.Contains(p.body, "data-testid=\"returned\"") || strings.Index(p.body, "data-testid=\"returned\"") > strings.Index(p.body, "data-testid=\"worklist-results\"") || html == "" {
		t.Errorf("returned block not above the worklist")
	}
	// Other facilities' registrars do not see it.
	if f.signIn(t, registrarB).get(t, "/cases").testid("returned").Length() != 0 {
		t.Errorf("facility B's registrar sees A's returned case")
	}
}
