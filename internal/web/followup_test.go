package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// makeDue moves a case's patient's last contact (the copy the due list reads) to a year and
// more before the fixture's clock, so that it is on the due list.
func makeDue(t testing.TB, f *fixture, tumorID uint) {
	t.Helper()
	if _, err := f.store.DB().ExecContext(context.Background(), "UPDATE tumors SET last_contact = '20250915' WHERE id = ?", tumorID); err != nil {
		t.Fatal(err)
	}
}

// followUpInput is the value a browser would submit for a field of the follow-up form.
func followUpInput(t testing.TB, p *page, name string) string {
	t.Helper()
	vals := formValues(p.testid("followup-form"))
	if _, ok := vals[name]; !ok {
		t.Fatalf("follow-up form has no field %q\n%s", name, excerpt(p.body))
	}
	return vals.Get(name)
}

func TestFollowUpPageListsDueCasesRecordsAFollowUpAndShowsTheRate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		makeDue(t, f, f.caseA)
		reg := f.signIn(t, registrarA)
		p := reg.get(t, "/followup")
		p.wantStatus(http.StatusOK)
		row := p.testid("due-" + idString(f.caseA))
		if row.Length() != 1 || p.testid("due-"+idString(f.caseB)).Length() != 0 {
			t.Fatalf("due list lacks case A or shows B's\n%s", excerpt(p.body))
		}
		form := reg.get(t, "/followup/cases/"+idString(f.caseA))
		form.wantStatus(http.StatusOK)
		vals := url.Values{"_csrf": {reg.csrf(t)}, "patientVersion": {followUpInput(t, form, "patientVersion")},
			"version." + idString(f.caseA): {followUpInput(t, form, "version."+idString(f.caseA))},
			"dateOfLastContact":            {"20261101"}, "vitalStatus": {"1"}, "cancerStatus": {"1"}, "followUpSource": {"2"}}
		bad := url.Values{}
		for k, v := range vals {
			bad[k] = v
		}
		bad.Set("vitalStatus", "7")
		res := reg.post(t, "/followup/cases/"+idString(f.caseA), bad)
		res.wantStatus(http.StatusUnprocessableEntity)
		if res.testid("error-vitalStatus").Length() != 1 || followUpInput(t, res, "dateOfLastContact") != "20261101" {
			t.Errorf("a bad vital status: no message beside it, or the entries lost\n%s", excerpt(res.body))
		}
		done := reg.post(t, "/followup/cases/"+idString(f.caseA), vals)
		if done.status != http.StatusSeeOther || !strings.HasPrefix(done.location(), "/followup?recorded=1") {
			t.Fatalf("record: %d %s\n%s", done.status, done.location(), excerpt(done.body))
		}
		cs := f.loadCase(t, f.caseA)
		if cs.Patient.Items["dateOfLastContact"] != "20261101" || cs.Tumor.Items["cancerStatus"] != "1" {
			t.Errorf("stored %v / %v", cs.Patient.Items, cs.Tumor.Items)
		}
		if ev := f.auditEvents(t, "followup.record", "tumor", idString(f.caseA)); len(ev) != 1 {
			t.Errorf("%d followup.record events", len(ev))
		}
		again := reg.post(t, "/followup/cases/"+idString(f.caseA), vals)
		again.wantStatus(http.StatusConflict)

		rate := reg.get(t, "/followup/rate")
		rate.wantStatus(http.StatusOK)
		if rate.testid("rate-chart").Find("svg[role=img]").Length() != 1 || rate.testid("rate-table").Length() != 2 {
			t.Errorf("rate report lacks its chart or tables\n%s", excerpt(rate.body))
		}
		letters := reg.post(t, "/followup/letters", url.Values{"_csrf": {reg.csrf(t)}, "month": {"202609"}})
		letters.wantStatus(http.StatusOK)
		if !strings.HasPrefix(letters.body, "%PDF-") {
			t.Errorf("letters are not a PDF: %q", letters.body[:min(20, len(letters.body))])
		}
		rev := f.signIn(t, reviewerA)
		rev.post(t, "/followup/cases/"+idString(f.caseA), url.Values{"_csrf": {rev.csrf(t)}}).wantStatus(http.StatusForbidden)
		reg.get(t, "/followup/cases/"+idString(f.caseB)).wantStatus(http.StatusNotFound)
	})
}

// TestBrowserRecordsAFollowUp records one follow-up with a real browser: from the due list to
// the form and back, the case gone from the list.
func TestBrowserRecordsAFollowUp(t *testing.T) {
	t.Parallel()
	browserCtx := startBrowser(t, 60*time.Second, 1280, 1000)
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	makeDue(t, f, f.caseA)
	tab, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancelTab()
	bt := newBrowserTab(t, tab, "cara-followup-failure.png")
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	row := `[data-testid="due-` + idString(f.caseA) + `"]`
	bt.run("sign in",
		chromedp.Navigate(f.server.URL+"/login"), chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA), chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css(`[data-testid="login-form"] button[type="submit"]`)), chromedp.WaitVisible(testid("worklist-row")),
	)
	bt.run("open the follow-up page", chromedp.Click(testid("nav-followup")), chromedp.WaitVisible(css(row)))
	bt.run("open the form", chromedp.Click(testid("record-"+idString(f.caseA))), chromedp.WaitVisible(testid("followup-form")))
	bt.run("record a contact",
		chromedp.SendKeys(css("#fu-dateOfLastContact"), "20261101"),
		chromedp.SetValue(css("#fu-vitalStatus"), "1"),
		chromedp.SetValue(css("#fu-cancerStatus"), "1"),
		chromedp.Click(testid("followup-save")),
		chromedp.WaitVisible(testid("followup-recorded")),
	)
	if n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('`+row+`').length`)); err != nil || n != 0 {
		t.Errorf("the case is still due after its follow-up (%d rows, %v)", n, err)
	}
	if got := f.loadCase(t, f.caseA).Patient.Items["dateOfLastContact"]; got != "20261101" {
		t.Errorf("stored date of last contact %q, want 20261101", got)
	}
}
