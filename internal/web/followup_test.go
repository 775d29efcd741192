package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
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

// uploadDeaths posts a death file through the death clearance form.
func (c *client) uploadDeaths(t testing.TB, csrf string, data string) *page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("_csrf", csrf)
	fw, _ := mw.CreateFormFile("file", "deaths.csv")
	fw.Write([]byte(data))
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+"/followup/deaths", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(b))
	return &page{t: t, status: resp.StatusCode, header: resp.Header, body: string(b), doc: doc}
}

func TestDeathClearanceMatchesAFileAndRecordsAConfirmedDeath(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg := f.signIn(t, registrarA)
		p := reg.uploadDeaths(t, reg.csrf(t), "last_name,first_name,date_of_birth,sex,date_of_death,underlying_cause\n"+
			"SMITH,Anna,1958-07-04,F,2026-10-20,C34.1\nBrown,Carla,19690930,F,20261001,not-a-code\n")
		p.wantStatus(http.StatusUnprocessableEntity)
		if p.testid("death-row-errors").Find("tbody tr").Length() != 1 || !strings.Contains(p.testid("death-row-errors").Text(), "underlying_cause") {
			t.Errorf("the bad row is not reported with its column\n%s", excerpt(p.body))
		}
		pid := idString(f.loadCase(t, f.caseA).Patient.ID)
		btn := p.testid("confirm-2-" + pid)
		if btn.Length() != 1 {
			t.Fatalf("Smith is not a candidate of row 2\n%s", excerpt(p.body))
		}
		vals := formValues(btn.Closest("form"))
		done := reg.post(t, "/followup/deaths/confirm", vals)
		if done.status != http.StatusSeeOther || !strings.Contains(done.location(), "confirmed=") {
			t.Fatalf("confirm: %d %s\n%s", done.status, done.location(), excerpt(done.body))
		}
		cs := f.loadCase(t, f.caseA)
		if got := cs.Patient.Items; got["vitalStatus"] != "0" || got["dateOfLastContact"] != "20261020" || got["causeOfDeath"] != "C341" {
			t.Errorf("death recorded as %v", got)
		}
		if cs.Tumor.Items["followUpSource"] != "7" {
			t.Errorf("follow-up source %q, want 7 (death certificate)", cs.Tumor.Items["followUpSource"])
		}
		// Dead now, Smith is no candidate any more.
		again := reg.uploadDeaths(t, reg.csrf(t), "last_name,first_name,date_of_birth,sex,date_of_death,underlying_cause\nSmith,Anna,19580704,F,20261020,C341\n")
		again.wantStatus(http.StatusOK)
		if again.testid("confirm-2-"+pid).Length() != 0 {
			t.Error("a dead patient is offered again")
		}
		// A confirmation of another facility's patient is not found.
		vals.Set("patient", idString(f.loadCase(t, f.caseB).Patient.ID))
		reg.post(t, "/followup/deaths/confirm", vals).wantStatus(http.StatusNotFound)
	})
}
