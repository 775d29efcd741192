package web_test

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/quality"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestReabstractionAndProductivityRefuseRegistrars(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg := f.signIn(t, registrarA)
		for _, path := range []string{"/reabstraction", "/productivity", "/reabstraction/1", "/reabstraction/1/cases/1"} {
			reg.get(t, path).wantStatus(http.StatusForbidden)
		}
		reg.post(t, "/reabstraction", url.Values{"_csrf": {reg.csrf(t)}, "facility": {idString(f.facA)},
			"mode": {"count"}, "amount": {"1"}, "items": {"primarySite"}}).wantStatus(http.StatusForbidden)
	})
}

// drawSample draws a sample of facility A as the client, with some items, and returns its path.
func drawSample(t *testing.T, f *fixture, c *client, items ...string) string {
	t.Helper()
	p := c.post(t, "/reabstraction", url.Values{"_csrf": {c.csrf(t)}, "facility": {idString(f.facA)},
		"mode": {"count"}, "amount": {"5"}, "items": items, "description": {"Q3 audit"}})
	p.wantStatus(http.StatusSeeOther)
	if !strings.HasPrefix(p.location(), "/reabstraction/") {
		t.Fatalf("draw went to %q", p.location())
	}
	return p.location()
}

func TestReabstractionBlindFormHidesOriginalsThenComparesAndTakesReasons(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		rev := f.signIn(t, reviewerA)

		list := rev.get(t, "/reabstraction")
		list.wantStatus(http.StatusOK)
		facs := list.doc.Find(`select[name="facility"] option`)
		if facs.Length() != 1 || facs.Text() != "Alder General Hospital" {
			t.Errorf("facilities offered to rev-a: %q", facs.Text())
		}
		if list.doc.Find(`input[name="items"][value="gradeClinical"][checked]`).Length() != 1 {
			t.Error("grade clinical is not checked by default")
		}
		// A refused draw names the field.
		bad := rev.post(t, "/reabstraction", url.Values{"_csrf": {rev.csrf(t)}, "facility": {idString(f.facA)},
			"mode": {"percent"}, "amount": {"150"}, "items": {"primarySite"}})
		bad.wantStatus(http.StatusUnprocessableEntity)
		if msg := bad.testid("sample-error").Text(); !strings.Contains(msg, "How many") {
			t.Errorf("refused draw says %q", msg)
		}
		other := rev.post(t, "/reabstraction", url.Values{"_csrf": {rev.csrf(t)}, "facility": {idString(f.facB)},
			"mode": {"count"}, "amount": {"1"}, "items": {"primarySite"}})
		other.wantStatus(http.StatusUnprocessableEntity)

		// The only approved case of A is Jones's: C619, laterality 0, 8140, 20240120.
		samplePath := drawSample(t, f, rev, "primarySite", "laterality", "histologicTypeIcdO3", "dateOfDiagnosis")
		sp := rev.get(t, samplePath)
		sp.wantStatus(http.StatusOK)
		if rows := sp.testid("sample-case"); rows.Length() != 1 || !strings.Contains(rows.Text(), "Jones, Robert") || !strings.Contains(rows.Text(), "MR100002") {
			t.Fatalf("sample cases: %q", rows.Text())
		}
		casePage, _ := sp.testid("blind-link").Attr("href")

		blind := rev.get(t, casePage)
		blind.wantStatus(http.StatusOK)
		if blind.testid("blind-form").Length() != 1 {
			t.Fatalf("no blind form\n%s", excerpt(blind.body))
		}
		for _, orig := range []string{"C619", "8140", "20240120", "2024-01-20", "Prostate"} {
			if strings.Contains(blind.body, orig) {
				t.Errorf("the blind form shows the original value %q", orig)
			}
		}
		if sel := blind.doc.Find(`select[name="laterality"] option[selected]`); sel.AttrOr("value", "x") != "" {
			t.Errorf("laterality preselects %q", sel.AttrOr("value", ""))
		}
		if strings.Contains(blind.body, `href="`+casePath(f.approvedA)) {
			t.Error("the blind form links the original case")
		}
		if n := len(f.auditEvents(t, audit.ReabstractionView, "reabstraction_case", strings.TrimPrefix(casePage, samplePath+"/cases/"))); n != 1 {
			t.Errorf("blind form views audited: %d", n)
		}

		// An invalid code is refused beside its field, the reviewer's values kept.
		vals := url.Values{"_csrf": {rev.csrf(t)}, "primarySite": {"C999"}, "laterality": {"1"},
			"histologicTypeIcdO3": {"8140"}, "dateOfDiagnosis": {"20240120"}}
		refused := rev.post(t, casePage, vals)
		refused.wantStatus(http.StatusUnprocessableEntity)
		if refused.testid("error-primarySite").Length() != 1 {
			t.Errorf("no error beside primary site\n%s", excerpt(refused.body))
		}
		vals.Set("primarySite", "C619")
		saved := rev.post(t, casePage, vals)
		saved.wantStatus(http.StatusSeeOther)

		done := rev.get(t, casePage)
		done.wantStatus(http.StatusOK)
		if done.testid("compare-laterality").Find(".agree-no").Length() != 1 || done.testid("compare-primarySite").Find(".agree-yes").Length() != 1 {
			t.Fatalf("comparison\n%s", excerpt(done.body))
		}
		if got := done.testid("compare-laterality").Find("td.code").First().Text(); got != "0" {
			t.Errorf("original laterality shown = %q, want 0", got)
		}
		if href, _ := done.testid("source-case").Attr("href"); href != casePath(f.approvedA) {
			t.Errorf("source link after completion = %q", href)
		}
		// Saving again changes nothing: the case is done.
		rev.post(t, casePage, vals).wantStatus(http.StatusSeeOther)

		sp = rev.get(t, samplePath)
		if got := sp.testid("overall-agreement").Find("strong").Text(); got != "75%" {
			t.Errorf("agreement before the reason = %q, want 75%%", got)
		}
		if sp.testid("discrepancy").Length() != 1 || sp.testid("chart-item").Find("rect").Length() != 4 {
			t.Errorf("discrepancies %d, item bars %d", sp.testid("discrepancy").Length(), sp.testid("chart-item").Find("rect").Length())
		}
		r := rev.post(t, casePage+"/reasons", url.Values{"_csrf": {rev.csrf(t)}, "reason-laterality": {quality.ReasonNoDiscrepancy}})
		r.wantStatus(http.StatusSeeOther)
		sp = rev.get(t, samplePath)
		if got := sp.testid("overall-agreement").Find("strong").Text(); got != "100%" {
			t.Errorf("agreement after a no-discrepancy reason = %q, want 100%%", got)
		}
		if got := sp.testid("discrepancy").Text(); !strings.Contains(got, "No discrepancy") {
			t.Errorf("discrepancy row = %q", got)
		}
		rev.post(t, casePage+"/reasons", url.Values{"_csrf": {rev.csrf(t)}, "reason-laterality": {"bogus"}}).
			wantStatus(http.StatusUnprocessableEntity)

		// Other facility: 404 for the sample and its case; an administrator sees both.
		revB := f.signIn(t, reviewerB)
		revB.get(t, samplePath).wantStatus(http.StatusNotFound)
		revB.get(t, casePage).wantStatus(http.StatusNotFound)
		revB.post(t, casePage, url.Values{"_csrf": {revB.csrf(t)}}).wantStatus(http.StatusNotFound)
		if revB.get(t, "/reabstraction").testid("sample-row").Length() != 0 {
			t.Error("rev-b lists A's sample")
		}
		adm := f.signIn(t, adminUser)
		adm.get(t, samplePath).wantStatus(http.StatusOK)
		if rows := adm.get(t, "/reabstraction").testid("sample-row"); rows.Length() != 1 || !strings.Contains(rows.Text(), "Q3 audit") {
			t.Errorf("admin's list: %q", rows.Text())
		}
	})
}

func TestProductivityPageShowsTheScopesFigures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		// Smith's case (diagnosed 2025-03-14) sent by reg-a and approved on the clock's day,
		// 2026-11-02: 598 days from diagnosis, 0 days in review, no return.
		regA, revA := f.users[registrarA].ID, f.users[reviewerA].ID
		for _, st := range []store.StatusUpdate{
			{TumorID: f.caseA, Scope: store.AllFacilities, Action: "send", From: "draft", To: "in_review", UserID: &regA, EditWarnings: 3},
			{TumorID: f.caseA, Scope: store.AllFacilities, Action: "approve", From: "in_review", To: "approved", UserID: &revA},
		} {
			if _, err := s.ChangeStatus(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		rev := f.signIn(t, reviewerA)
		p := rev.get(t, "/productivity")
		p.wantStatus(http.StatusOK)
		if from, _ := p.doc.Find("#p-from").Attr("value"); from != "2026-08-17" {
			t.Errorf("default from = %q, want 2026-08-17 (12 weeks with this one)", from)
		}
		rows := p.testid("productivity-row")
		if rows.Length() != 2 {
			t.Fatalf("rows = %d, want Rita Alder and the total\n%s", rows.Length(), excerpt(p.body))
		}
		row := rows.First()
		for id, want := range map[string]string{"cases": "1", "median-dx": "598", "median-review": "0", "mean-edits": "3", "return-rate": "0%"} {
			if got := row.Find(`[data-testid="` + id + `"]`).Text(); got != want {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
		if name := row.Find("th").Text(); name != "Rita Alder" {
			t.Errorf("registrar = %q", name)
		}
		if p.testid("per-week").Find("thead th").Length() != 13 || p.testid("chart-cases").Find("svg[role=img]").Length() != 1 {
			t.Error("weekly table or chart missing")
		}
		// Reviewer B sees nothing of A; a bad date is said and the default shown; registrars get 403.
		pb := f.signIn(t, reviewerB).get(t, "/productivity?from=junk")
		pb.wantStatus(http.StatusOK)
		if pb.testid("productivity-row").Length() != 1 || pb.testid("productivity-row").Find(`[data-testid="cases"]`).Text() != "0" {
			t.Errorf("rev-b sees A's figures\n%s", excerpt(pb.body))
		}
		if !strings.Contains(pb.testid("period-error").Text(), "From") {
			t.Errorf("bad date message = %q", pb.testid("period-error").Text())
		}
	})
}

// A blind value goes through the case form's normalizing and checks: a code typed in lower case
// with blanks around it is the code the case form would store, and agrees with it.
func TestReabstractionNormalizesBlindValuesLikeTheCaseForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		rev := f.signIn(t, reviewerA)
		samplePath := drawSample(t, f, rev, "primarySite", "histologicTypeIcdO3")
		sp := rev.get(t, samplePath)
		sp.wantStatus(http.StatusOK)
		casePage, _ := sp.testid("blind-link").Attr("href")
		// Jones's approved case: C619, 8140.
		saved := rev.post(t, casePage, url.Values{"_csrf": {rev.csrf(t)}, "primarySite": {" c619 "}, "histologicTypeIcdO3": {"8140"}})
		saved.wantStatus(http.StatusSeeOther)
		done := rev.get(t, casePage)
		done.wantStatus(http.StatusOK)
		row := done.testid("compare-primarySite")
		if row.Find(".agree-yes").Length() != 1 {
			t.Errorf("blind c619 does not agree with the case's C619\n%s", excerpt(done.body))
		}
		if !strings.Contains(row.Text(), "C619") || strings.Contains(row.Text(), "c619") {
			t.Errorf("comparison row %q, want the blind value stored as C619", row.Text())
		}
	})
}

// A patient with two tumors in a sample: each blind form says which tumor it is with the items
// that identify it, but never one that is re-abstracted (nor the date of first contact when the
// date of diagnosis is, nor any value equal to a re-abstracted original).
func TestReabstractionBlindFormSaysWhichTumorWithoutGivingAwayItsValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	jones := f.loadCase(t, f.approvedA)
	if _, err := f.store.AddTumor(context.Background(), store.NewTumor{PatientID: jones.Patient.ID, Scope: store.AllFacilities,
		Status: string(abstract.StatusApproved), Items: map[string]string{
			"medicalRecordNumber": "MR100002", "accessionNumberHosp": "202500044", "sequenceNumberHospital": "02",
			"dateOf1stContact": "20250905", "dateOfDiagnosis": "20250901", "primarySite": "C180", "laterality": "0",
			"histologicTypeIcdO3": "8480", "behaviorCodeIcdO3": "3", "diagnosticConfirmation": "1", "classOfCase": "10",
		}}); err != nil {
		t.Fatal(err)
	}
	rev := f.signIn(t, reviewerA)
	// blindForms opens every blind form of a new sample of these items, by the accession number
	// (or, when that is re-abstracted, the sequence number) its identity line shows.
	blindForms := func(by string, items ...string) map[string]*page {
		t.Helper()
		sp := rev.get(t, drawSample(t, f, rev, items...))
		forms := map[string]*page{}
		sp.testid("blind-link").Each(func(_ int, s *goquery.Selection) {
			p := rev.get(t, s.AttrOr("href", ""))
			p.wantStatus(http.StatusOK)
			forms[p.testid("blind-identity").Find(`[data-item="`+by+`"]`).Text()] = p
		})
		if len(forms) != 2 {
			t.Fatalf("blind forms by %s: %v (want two, one per tumor)", by, slices.Collect(maps.Keys(forms)))
		}
		return forms
	}
	noneOf := func(p *page, what string, values ...string) {
		t.Helper()
		for _, v := range values {
			if strings.Contains(p.body, v) {
				t.Errorf("%s: the blind form shows %q", what, v)
			}
		}
	}
	originals := []string{"20240120", "2024-01-20", "20250901", "2025-09-01", "C619", "C180", "8480"}

	forms := blindForms("accessionNumberHosp", "sequenceNumberHospital", "dateOfDiagnosis", "primarySite", "histologicTypeIcdO3")
	for _, acc := range []string{"Accession Number--Hosp 202400007", "Accession Number--Hosp 202500044"} {
		p, ok := forms[acc]
		if !ok {
			t.Fatalf("no blind form identified as %q: %v", acc, slices.Collect(maps.Keys(forms)))
		}
		id := p.testid("blind-identity").Text()
		if strings.Contains(id, "Sequence") || strings.Contains(id, "First Contact") {
			t.Errorf("%s: identity %q shows the re-abstracted sequence number or the date of first contact", acc, id)
		}
		if !strings.Contains(p.doc.Find("h1").Text(), "Jones, Robert") || !strings.Contains(p.doc.Find("h1").Text(), "MR100002") {
			t.Errorf("%s: title %q", acc, p.doc.Find("h1").Text())
		}
		noneOf(p, acc, append(originals, "20250905", "2025-09-05")...)
	}

	// The accession and record numbers re-abstracted: the sequence number and the date of first
	// contact tell the tumors apart, and neither number is on the page.
	forms = blindForms("sequenceNumberHospital", "accessionNumberHosp", "medicalRecordNumber", "primarySite")
	second, ok := forms["Sequence Number--Hospital 02"]
	if !ok {
		t.Fatalf("no blind form identified by sequence number 02: %v", slices.Collect(maps.Keys(forms)))
	}
	if id := second.testid("blind-identity").Text(); !strings.Contains(id, "2025-09-05") {
		t.Errorf("identity %q lacks the date of first contact", id)
	}
	for key, p := range forms {
		noneOf(p, key, "202400007", "202500044", "MR100002", "C619", "C180")
	}
}
