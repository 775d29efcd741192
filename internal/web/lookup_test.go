package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// lookupCodes returns the codes a look-up answer offers, in order.
func lookupCodes(t *testing.T, p *page) []string {
	t.Helper()
	p.wantStatus(http.StatusOK)
	list := p.testid("lookup-results")
	if list.Length() != 1 {
		t.Fatalf("no lookup-results listbox\n%s", excerpt(p.body))
	}
	if role, _ := list.Attr("role"); role != "listbox" {
		t.Errorf("lookup-results has role %q, want listbox", role)
	}
	var out []string
	list.Find(`[role="option"]`).Each(func(_ int, o *goquery.Selection) {
		code, _ := o.Attr("data-code")
		if !strings.Contains(o.Text(), code) {
			t.Errorf("option %q does not show its code", o.Text())
		}
		out = append(out, code)
	})
	return out
}

func TestLookupSearchesAnItemsCodeList(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	a := f.signIn(t, registrarA)

	t.Run("topography by word lists the breast codes first", func(t *testing.T) {
		got := lookupCodes(t, a.get(t, "/lookup/primarySite?q=breast"))
		// Every breast site but C500, "Nipple & areola", has the word; C509 "Breast, NOS" leads.
		const breastSites = 8
		if len(got) < breastSites || got[0] != "C509" {
			t.Fatalf("breast found %q, want C509 and then the other C50 codes", got)
		}
		for i, c := range got[:breastSites] {
			if !strings.HasPrefix(c, "C50") {
				t.Errorf("option %d is %s, want the C50 codes first: %q", i, c, got)
			}
		}
	})
	t.Run("topography by code with a dot", func(t *testing.T) {
		got := lookupCodes(t, a.get(t, "/lookup/primarySite?q="+url.QueryEscape("C50.9")))
		if len(got) == 0 || got[0] != "C509" {
			t.Errorf("C50.9 found %q, want C509 first", got)
		}
	})
	t.Run("the query may come as the field itself, as htmx sends it", func(t *testing.T) {
		p := a.get(t, "/lookup/primarySite?primarySite="+url.QueryEscape("breast upp"), "HX-Request", "true")
		got := lookupCodes(t, p)
		if len(got) == 0 || got[0] != "C504" {
			t.Errorf("breast upp found %q, want C504 first", got)
		}
		if lbl := strings.TrimSpace(p.doc.Find(`[role="option"]`).First().Text()); !strings.Contains(lbl, "Upper-outer quadrant of breast") {
			t.Errorf("first option reads %q, want its label", lbl)
		}
	})
	t.Run("at most fifteen codes", func(t *testing.T) {
		if got := lookupCodes(t, a.get(t, "/lookup/histologicTypeIcdO3?q=carcinoma")); len(got) != 15 {
			t.Errorf("carcinoma gave %d codes, want 15", len(got))
		}
	})
	t.Run("empty query finds nothing", func(t *testing.T) {
		for _, q := range []string{"", "%20%20"} {
			p := a.get(t, "/lookup/primarySite?q="+q)
			if got := lookupCodes(t, p); len(got) != 0 {
				t.Errorf("query %q found %q, want nothing", q, got)
			}
			if _, hidden := p.testid("lookup-results").Attr("hidden"); !hidden {
				t.Errorf("empty list for query %q is not hidden", q)
			}
		}
	})
	t.Run("states", func(t *testing.T) {
		if got := lookupCodes(t, a.get(t, "/lookup/addrAtDxState?q=new+y")); len(got) == 0 || got[0] != "NY" {
			t.Errorf("state new y found %q, want NY first", got)
		}
	})
}

func TestLookupHistologyFollowsBehavior(t *testing.T) {
	t.Parallel()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	pairs := map[string]bool{} // "histology/behavior" of the morphology table
	for _, m := range cat.codes.Morphology {
		pairs[m.Histology+"/"+m.Behavior] = true
	}
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	a := f.signIn(t, registrarA)

	unfiltered := lookupCodes(t, a.get(t, "/lookup/histologicTypeIcdO3?q=carcinoma"))
	notInSitu := 0
	for _, c := range unfiltered {
		if !pairs[c+"/2"] {
			notInSitu++
		}
	}
	if notInSitu == 0 {
		t.Fatalf("carcinoma without a behavior found only in-situ-compatible codes %q; the test proves nothing", unfiltered)
	}
	for _, path := range []string{
		"/lookup/histologicTypeIcdO3?q=carcinoma&behavior=2",
		"/lookup/histologicTypeIcdO3?histologicTypeIcdO3=carcinoma&behaviorCodeIcdO3=2", // hx-include of the form's behavior
	} {
		got := lookupCodes(t, a.get(t, path))
		if len(got) == 0 {
			t.Errorf("%s found nothing", path)
		}
		for _, c := range got {
			if !pairs[c+"/2"] {
				t.Errorf("%s offers %s, which the morphology table never lists as in situ", path, c)
			}
		}
	}
	p := a.get(t, "/lookup/histologicTypeIcdO3?q=8500&behavior=2")
	if got := lookupCodes(t, p); len(got) == 0 || got[0] != "8500" {
		t.Fatalf("8500 with behavior 2 found %q", got)
	}
	if lbl := p.doc.Find(`[role="option"]`).First().Text(); !strings.Contains(strings.ToLower(lbl), "intraductal") {
		t.Errorf("8500 in situ is labelled %q, want the in-situ term", lbl)
	}
	// A behavior the table does not know narrows nothing rather than hiding every code.
	if got := lookupCodes(t, a.get(t, "/lookup/histologicTypeIcdO3?q=carcinoma&behavior=7")); len(got) != len(unfiltered) {
		t.Errorf("behavior 7 found %d codes, want the %d of no behavior", len(got), len(unfiltered))
	}
}

// TestLookupRanksHistologyForTheCasesSite sends the case's site as the form does (hx-include of
// primarySite) and as ?site=, and checks that it reaches the ranking and the unusual marks.
func TestLookupRanksHistologyForTheCasesSite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	a := f.signIn(t, registrarA)

	for _, path := range []string{
		"/lookup/histologicTypeIcdO3?histologicTypeIcdO3=ductal&behaviorCodeIcdO3=&primarySite=C504&sexAssignedAtBirth=2",
		"/lookup/histologicTypeIcdO3?q=ductal&site=C504&sex=2",
	} {
		if got := lookupCodes(t, a.get(t, path, "HX-Request", "true")); len(got) == 0 || got[0] != "8500" {
			t.Errorf("%s found %q, want 8500 first", path, got)
		}
	}
	// Acinar: prostatic adenocarcinoma for a prostate, acinar cell carcinoma for a pancreas.
	for site, want := range map[string]string{"C619": "8140", "C250": "8550"} {
		if got := lookupCodes(t, a.get(t, "/lookup/histologicTypeIcdO3?q=acinar&primarySite="+site)); len(got) == 0 || got[0] != want {
			t.Errorf("acinar at %s found %q, want %s first", site, got, want)
		}
	}

	unusual := func(p *page) map[string]bool {
		out := map[string]bool{}
		p.doc.Find(`[role="option"]`).Each(func(_ int, o *goquery.Selection) {
			if m := o.Find(`[data-testid="lookup-unusual"]`); m.Length() > 0 {
				if !strings.Contains(m.Text(), "C504") {
					t.Errorf("unusual mark %q does not name the site", m.Text())
				}
				out[o.AttrOr("data-code", "")] = true
			}
		})
		return out
	}
	p := a.get(t, "/lookup/histologicTypeIcdO3?q=paget&primarySite=C504")
	got, marked := lookupCodes(t, p), unusual(p)
	if !marked["8542"] || marked["8541"] {
		t.Errorf("paget at C504: marked %v, want extramammary Paget (8542) marked and 8541 not", marked)
	}
	if len(got) == 0 || got[0] == "8542" {
		t.Errorf("paget at C504 found %q, want 8542 after the mammary codes", got)
	}
	if m := unusual(a.get(t, "/lookup/histologicTypeIcdO3?q=paget")); len(m) != 0 {
		t.Errorf("paget without a site marks %v", m)
	}

	// An abbreviation says what found the code; the label stays the code's label.
	p = a.get(t, "/lookup/histologicTypeIcdO3?q=IDC")
	first := p.doc.Find(`[role="option"]`).First()
	if first.AttrOr("data-code", "") != "8500" || first.AttrOr("data-label", "") != "Infiltrating duct carcinoma, NOS" || !strings.Contains(first.Find(`[data-testid="lookup-term"]`).Text(), "IDC") {
		t.Errorf("IDC: first option %q (label %q), want 8500 shown as found by IDC", first.Text(), first.AttrOr("data-label", ""))
	}

	// The site look-up knows registrars' words too, and its own field is the query, not a context.
	if got := lookupCodes(t, a.get(t, "/lookup/primarySite?primarySite="+url.QueryEscape("left breast upper"))); len(got) == 0 || got[0] != "C504" {
		t.Errorf("left breast upper found %q, want C504 first", got)
	}
}

func TestLookupOfItemWithoutCodeListIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	a := f.signIn(t, registrarA)
	for _, item := range []string{"noSuchItem", "nameLast", "dateOfDiagnosis"} {
		a.get(t, "/lookup/"+item+"?q=a").wantStatus(http.StatusNotFound)
	}
}

func TestLookupNeedsSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.newClient()
	p := c.get(t, "/lookup/primarySite?q=breast")
	p.wantStatus(http.StatusSeeOther)
	if !strings.HasPrefix(p.location(), "/login") {
		t.Errorf("redirect to %q, want the login page", p.location())
	}
	if strings.Contains(p.body, "C50") {
		t.Errorf("codes shown to a visitor who is not signed in")
	}
	p = c.get(t, "/lookup/primarySite?q=breast", "HX-Request", "true")
	p.wantStatus(http.StatusUnauthorized)
	if !strings.HasPrefix(p.header.Get("HX-Redirect"), "/login") {
		t.Errorf("htmx look-up without a session: HX-Redirect %q, want the login page", p.header.Get("HX-Redirect"))
	}
}

func TestCaseFormCodeFieldsAreLookups(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	a := f.signIn(t, registrarA)
	p := a.openCase(t, f.caseA, "diagnosis")
	// The histology look-up also carries the patient's sex (TestCaseHistologyLookupCarriesThePatientsSex).
	for item, get := range map[string]string{"primarySite": "/lookup/primarySite", "histologicTypeIcdO3": "/lookup/histologicTypeIcdO3?sex=2"} {
		in := p.doc.Find("#f-" + item)
		for attr, want := range map[string]string{
			"role": "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
			"hx-get": get, "hx-trigger": "input changed delay:150ms, focus",
			"name": item,
		} {
			if got, _ := in.Attr(attr); got != want {
				t.Errorf("%s: %s=%q, want %q", item, attr, got, want)
			}
		}
		controls, _ := in.Attr("aria-controls")
		if list := p.doc.Find("#" + controls); controls == "" || list.Length() != 1 || list.AttrOr("role", "") != "listbox" {
			t.Errorf("%s: aria-controls %q names no listbox", item, controls)
		}
		target, _ := in.Attr("hx-target")
		if p.doc.Find(target).Find("#"+controls).Length() != 1 {
			t.Errorf("%s: hx-target %q does not hold the listbox", item, target)
		}
	}
	if inc, _ := p.doc.Find("#f-histologicTypeIcdO3").Attr("hx-include"); inc != "[name='behaviorCodeIcdO3'],[name='primarySite'],[name='sexAssignedAtBirth']" {
		t.Errorf("histology look-up includes %q, want the behavior, site and sex fields", inc)
	}
	if p.doc.Find("[name='primarySite']").Length() != 1 {
		t.Errorf("the histology look-up's site context is not on the section's form")
	}
	if lbl := strings.TrimSpace(p.testid("label-primarySite").Text()); lbl != "Upper lobe, bronchus or lung" {
		t.Errorf("label of C341 reads %q", lbl)
	}
	if p.doc.Find(`script:not([src])`).Length() != 0 {
		t.Errorf("inline script on the case page")
	}
	if p.doc.Find(`script[src="/static/lookup.js"]`).Length() != 1 {
		t.Errorf("the case page does not load lookup.js")
	}
	if js := a.get(t, "/static/lookup.js"); js.status != http.StatusOK || !strings.Contains(js.body, "aria-activedescendant") {
		t.Errorf("lookup.js: status %d", js.status)
	}
}

// unusualFlag returns the unusual site/histology flag beside the histology field, if any.
func unusualFlag(p *page) string {
	var out string
	p.testid("flag-histologicTypeIcdO3").Each(func(_ int, s *goquery.Selection) {
		if strings.HasPrefix(s.Text(), "Unusual for") {
			out = s.Text()
		}
	})
	return out
}

func TestUnusualSiteHistologyIsFlaggedNotRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	a := f.signIn(t, registrarA)

	// C341/8140 (the fixture): common.
	p := a.openCase(t, f.caseA, "diagnosis")
	if fl := unusualFlag(p); fl != "" {
		t.Errorf("C341/8140 flagged: %q", fl)
	}

	// Melanoma of the prostate is not among the prostate's common histologies: saved, and flagged.
	p = a.save(t, p, map[string]string{"primarySite": "C619", "histologicTypeIcdO3": "8720", "behaviorCodeIcdO3": "3"})
	p.wantStatus(http.StatusSeeOther)
	if cs := f.loadCase(t, f.caseA); cs.Tumor.PrimarySite != "C619" || cs.Tumor.Histology != "8720" {
		t.Fatalf("the unusual pair was not saved: %s/%s", cs.Tumor.PrimarySite, cs.Tumor.Histology)
	}
	p = a.openCase(t, f.caseA, "diagnosis")
	fl := unusualFlag(p)
	if !strings.Contains(fl, "C619") || !strings.Contains(fl, "8720") || !strings.Contains(fl, "check the pathology report") {
		t.Errorf("C619/8720 flag %q, want the site, the histology and what to check", fl)
	}
	if p.testid("error-histologicTypeIcdO3").Length() != 0 {
		t.Errorf("an unusual pair is shown as an error")
	}
	if !p.testid("field-histologicTypeIcdO3").HasClass("has-flag") {
		t.Errorf("the histology field is not marked as flagged")
	}

	// The htmx save answers with the form, flag and all.
	p = a.save(t, p, map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "laterality": "1"}, "HX-Request", "true")
	p.wantStatus(http.StatusOK)
	if fl := unusualFlag(p); fl != "" {
		t.Errorf("C509/8500 flagged: %q", fl)
	}
	p = a.save(t, p, map[string]string{"primarySite": "C619", "histologicTypeIcdO3": "8720"}, "HX-Request", "true")
	p.wantStatus(http.StatusOK)
	if p.testid("saved").Length() != 1 || !strings.Contains(unusualFlag(p), "Unusual for C619") {
		t.Errorf("htmx save of C619/8720: saved %d, flag %q\n%s", p.testid("saved").Length(), unusualFlag(p), excerpt(p.body))
	}
}

// The histology look-up of a case page asks with the patient's stored sex, whose section is not
// on the page, so the ranking knows it; the form's own fields, when present, come first.
func TestCaseHistologyLookupCarriesThePatientsSex(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	a := f.signIn(t, registrarA)
	sex := f.loadCase(t, f.caseA).Patient.Items["sexAssignedAtBirth"]
	if sex == "" {
		t.Fatal("the fixture's case A has no sex")
	}
	p := a.get(t, casePath(f.caseA)+"?section=diagnosis")
	p.wantStatus(http.StatusOK)
	if got := p.doc.Find("#f-histologicTypeIcdO3").AttrOr("hx-get", ""); got != "/lookup/histologicTypeIcdO3?sex="+sex {
		t.Errorf("histology look-up asks %q, want it to carry sex=%s", got, sex)
	}
	if got := p.doc.Find("#f-primarySite").AttrOr("hx-get", ""); got != "/lookup/primarySite" {
		t.Errorf("site look-up asks %q, want no context", got)
	}
}
