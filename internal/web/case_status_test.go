package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// step posts the action bar of a case page as a browser would, with an action and a reason.
func (c *client) step(t testing.TB, p *page, action, reason string, header ...string) *page {
	t.Helper()
	form := p.testid("workflow-form")
	if form.Length() != 1 {
		t.Fatalf("no action bar on the case page\n%s", excerpt(p.body))
	}
	if form.Find(`[data-testid="action-`+action+`"]`).Length() != 1 {
		t.Fatalf("the action bar offers no %s\n%s", action, excerpt(form.Text()))
	}
	vals := formValues(form)
	vals.Set("action", action)
	if reason != "" {
		vals.Set("reason", reason)
	}
	return c.post(t, form.AttrOr("action", ""), vals, header...)
}

// wantStatus fails unless the case is stored in that status.
func (f *fixture) wantStatus(t testing.TB, id uint, want string) {
	t.Helper()
	if got := f.loadCase(t, id).Tumor.Status; got != want {
		t.Fatalf("case %d is %s, want %s", id, got, want)
	}
}

func TestWorkflowSendReturnResendApprove(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg, rev := f.signIn(t, registrarA), f.signIn(t, reviewerA)

		p := reg.openCase(t, f.caseA, "diagnosis")
		if p.testid("action-approve").Length() != 0 || p.testid("action-send").Length() != 1 {
			t.Fatalf("registrar's bar on a draft: want Send only\n%s", p.testid("workflow").Text())
		}
		r := reg.step(t, p, "send", "")
		r.wantStatus(http.StatusSeeOther)
		if loc := r.location(); !strings.Contains(loc, "flash=send") || !strings.Contains(loc, "section=diagnosis") {
			t.Fatalf("after send, Location %q", loc)
		}
		f.wantStatus(t, f.caseA, "in_review")
		p = reg.get(t, r.location())
		if msg := p.testid("workflow-message").Text(); !strings.Contains(msg, "Sent to review") {
			t.Errorf("confirmation %q", msg)
		}
		// In review the registrar may only withdraw, and the form is read-only.
		if p.testid("action-withdraw").Length() != 1 || p.testid("save").Length() != 0 {
			t.Errorf("registrar's page in review: want Withdraw and no Save")
		}

		// The reviewer: no reason, no return.
		p = rev.openCase(t, f.caseA, "diagnosis")
		r = rev.step(t, p, "return", "")
		r.wantStatus(http.StatusUnprocessableEntity)
		if msg := r.testid("workflow-message").Text(); !strings.Contains(msg, "reason") {
			t.Errorf("return without a reason: message %q", msg)
		}
		f.wantStatus(t, f.caseA, "in_review")
		r = rev.step(t, p, "return", "Check the laterality")
		r.wantStatus(http.StatusSeeOther)
		f.wantStatus(t, f.caseA, "returned")
		if cs := f.loadCase(t, f.caseA); cs.Tumor.ReviewedBy == nil || *cs.Tumor.ReviewedBy != f.users[reviewerA].ID {
			t.Errorf("reviewed_by after return = %v", cs.Tumor.ReviewedBy)
		}

		p = reg.openCase(t, f.caseA, "diagnosis")
		reg.step(t, p, "send", "").wantStatus(http.StatusSeeOther)
		p = rev.openCase(t, f.caseA, "diagnosis")
		rev.step(t, p, "approve", "").wantStatus(http.StatusSeeOther)
		f.wantStatus(t, f.caseA, "approved")

		hist, err := s.StatusHistory(context.Background(), f.caseA, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.Action)
		}
		if got := strings.Join(actions, " "); got != "send return send approve" {
			t.Errorf("history %q", got)
		}
		if hist[1].Reason != "Check the laterality" {
			t.Errorf("return reason %q", hist[1].Reason)
		}
		if n := len(f.auditEvents(t, audit.CaseStatus, "tumor", idString(f.caseA))); n != 4 {
			t.Errorf("%d status audit events, want 4", n)
		}

		// An approved case is reopened only with a reason.
		p = rev.openCase(t, f.caseA, "diagnosis")
		rev.step(t, p, "reopen", "").wantStatus(http.StatusUnprocessableEntity)
		rev.step(t, p, "reopen", "Late pathology report").wantStatus(http.StatusSeeOther)
		f.wantStatus(t, f.caseA, "draft")
	})
}

func TestWorkflowRefusesWrongRoleOtherFacilityAndUnknownAction(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg, rev, revB := f.signIn(t, registrarA), f.signIn(t, reviewerA), f.signIn(t, reviewerB)
	post := func(c *client, id uint, action string) *page {
		t.Helper()
		return c.post(t, casePath(id)+"/status", url.Values{
			"_csrf": {c.csrf(t)}, "action": {action}, "reason": {"because"},
			"tumorVersion": {"1"}, "section": {"diagnosis"},
		})
	}
	// A reviewer does not send; a registrar does not approve, return or reopen.
	post(rev, f.caseA, "send").wantStatus(http.StatusForbidden)
	post(reg, f.approvedA, "reopen").wantStatus(http.StatusForbidden)
	post(reg, f.caseA, "approve").wantStatus(http.StatusForbidden)
	post(reg, f.caseA, "submit").wantStatus(http.StatusBadRequest)
	post(reg, f.caseA, "destroy").wantStatus(http.StatusBadRequest)
	// Another facility's case is not found, for any role.
	post(reg, f.caseB, "send").wantStatus(http.StatusNotFound)
	post(revB, f.caseA, "return").wantStatus(http.StatusNotFound)
	// A step the status does not allow is a conflict, with words.
	p := post(rev, f.caseA, "approve")
	p.wantStatus(http.StatusConflict)
	if msg := p.testid("workflow-message").Text(); !strings.Contains(msg, "draft") {
		t.Errorf("approve a draft: message %q", msg)
	}
	f.wantStatus(t, f.caseA, "draft")
	f.wantStatus(t, f.approvedA, "approved")
}

func TestWorkflowRefusesToSendACaseWithEditErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	bad := f.addCase(t, f.facA, patientBornAfterDiagnosis("Early", "00000091"))
	reg := f.signIn(t, registrarA)
	p := reg.openCase(t, bad, "diagnosis")
	r := reg.step(t, p, "send", "")
	r.wantStatus(http.StatusUnprocessableEntity)
	msg := r.testid("workflow-message")
	if !strings.Contains(msg.Text(), "edit error") {
		t.Errorf("refusal %q does not say why", msg.Text())
	}
	edit := msg.Find(`[data-testid="workflow-edit"][data-edit="` + birthEdit + `"]`)
	if edit.Length() != 1 {
		t.Fatalf("refusal does not list %s\n%s", birthEdit, msg.Text())
	}
	if href := edit.Find("a").First().AttrOr("href", ""); !strings.Contains(href, "#f-") {
		t.Errorf("failure links to %q, want a field", href)
	}
	f.wantStatus(t, bad, "draft")

	// With htmx the bar alone answers, with the same refusal.
	r = reg.step(t, p, "send", "", "HX-Request", "true")
	r.wantStatus(http.StatusOK)
	if r.testid("workflow").Length() != 1 || r.testid("case-form").Length() != 0 || !strings.Contains(r.testid("workflow-message").Text(), "edit error") {
		t.Errorf("htmx refusal: want the bar with the message\n%s", excerpt(r.body))
	}
}

func TestWorkflowStepOnAChangedCaseIsAConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg := f.signIn(t, registrarA)
	stale := reg.openCase(t, f.caseA, "diagnosis")
	// Someone saves the case after the page was loaded: its version moves on.
	fresh := reg.openCase(t, f.caseA, "diagnosis")
	reg.save(t, fresh, map[string]string{"primarySite": "C342"}).wantStatus(http.StatusSeeOther)

	r := reg.step(t, stale, "send", "")
	r.wantStatus(http.StatusConflict)
	if msg := r.testid("workflow-message").Text(); !strings.Contains(msg, "Someone changed this case") {
		t.Errorf("conflict message %q", msg)
	}
	f.wantStatus(t, f.caseA, "draft")

	// With htmx a step taken answers with a redirect for htmx to follow.
	p := reg.openCase(t, f.caseA, "diagnosis")
	r = reg.step(t, p, "send", "", "HX-Request", "true")
	r.wantStatus(http.StatusOK)
	if loc := r.header.Get("HX-Redirect"); !strings.HasPrefix(loc, casePath(f.caseA)+"?") || !strings.Contains(loc, "flash=send") {
		t.Errorf("HX-Redirect %q", loc)
	}
	f.wantStatus(t, f.caseA, "in_review")
}

func TestWorkflowSaveWithHTMXRefreshesTheBarVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg := f.signIn(t, registrarA)
	p := reg.openCase(t, f.caseA, "diagnosis")
	r := reg.save(t, p, map[string]string{"primarySite": "C342"}, "HX-Request", "true")
	r.wantStatus(http.StatusOK)
	// htmx reads an empty hx-swap-oob as absent: the bar must say "true".
	bar := r.doc.Find(`#workflow[hx-swap-oob="true"]`)
	if bar.Length() != 1 {
		t.Fatalf("htmx save answers without the action bar out of band\n%s", excerpt(r.body))
	}
	want := idString(uint(f.loadCase(t, f.caseA).Tumor.Version))
	if got := bar.Find(`input[name="tumorVersion"]`).AttrOr("value", ""); got != want {
		t.Errorf("bar version %s after the save, want %s", got, want)
	}
}

func TestReviewerCannotChangeAbstractValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	rev := f.signIn(t, reviewerA)
	// Even a draft, which a registrar may change, is read-only to a reviewer.
	p := rev.openCase(t, f.caseA, "diagnosis")
	if _, disabled := p.testid("case-form").Find("fieldset").Attr("disabled"); !disabled || p.testid("save").Length() != 0 {
		t.Errorf("reviewer's form is not read-only")
	}
	if !strings.Contains(p.testid("read-only").Text(), "Reviewers do not change") {
		t.Errorf("read-only note %q", p.testid("read-only").Text())
	}
	before := f.loadCase(t, f.caseA)
	vals := formValues(p.testid("case-form"))
	vals.Set("primarySite", "C342")
	rev.post(t, casePath(f.caseA), vals).wantStatus(http.StatusForbidden)
	if !sameCase(before, f.loadCase(t, f.caseA)) {
		t.Error("a reviewer's save changed the case")
	}
}

// TestEveryStatusReadsItsOneLabelOnTheWorklist: the status filter offers every status, each read as
// abstract's label (it once offered "received" in lower case from a second copy of the words).
func TestEveryStatusReadsItsOneLabelOnTheWorklist(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	p := f.signIn(t, registrarA).get(t, "/cases")
	p.wantStatus(http.StatusOK)
	got := map[string]string{}
	p.doc.Find("select#status option").Each(func(_ int, o *goquery.Selection) {
		if v := o.AttrOr("value", ""); v != "" {
			got[v] = o.Text()
		}
	})
	for _, st := range abstract.Statuses {
		if got[string(st)] != st.Label() {
			t.Errorf("status filter reads %s as %q, want %q", st, got[string(st)], st.Label())
		}
	}
	if len(got) != len(abstract.Statuses) {
		t.Errorf("status filter offers %d statuses, want %d: %v", len(got), len(abstract.Statuses), got)
	}
	if row := p.testid("worklist-status").First().Text(); row != abstract.StatusDraft.Label() {
		t.Errorf("worklist row status reads %q, want %q", row, abstract.StatusDraft.Label())
	}
}
