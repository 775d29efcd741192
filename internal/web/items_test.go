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

func itemsPath(id uint) string { return casePath(id) + "/items" }

// itemRows returns the rows of the "All items" table by naaccrId, and the ids in order.
func itemRows(p *page) (map[string]*goquery.Selection, []string) {
	rows := map[string]*goquery.Selection{}
	var ids []string
	p.testid("item-row").Each(func(_ int, r *goquery.Selection) {
		id := r.AttrOr("data-item", "")
		rows[id] = r
		ids = append(ids, id)
	})
	return rows, ids
}

func TestItemsViewFindsItemsByNumberWordsAndID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)

		t.Run("by number", func(t *testing.T) {
			p := c.get(t, itemsPath(f.caseA)+"?q=400")
			p.wantStatus(http.StatusOK)
			rows, ids := itemRows(p)
			if len(ids) == 0 || ids[0] != "primarySite" {
				t.Fatalf("rows %v, want primarySite first\n%s", ids, excerpt(p.body))
			}
			r := rows["primarySite"]
			if href := r.Find(`[data-testid="item-section"]`).AttrOr("href", ""); href != casePath(f.caseA)+"?section=diagnosis#f-primarySite" {
				t.Errorf("section link %q", href)
			}
			if got := strings.TrimSpace(r.Find(`[data-testid="item-value"]`).Text()); got != "C341" {
				t.Errorf("value %q, want C341", got)
			}
			if got := r.Find(`[data-testid="item-label"]`).Text(); got != "Upper lobe, bronchus or lung" {
				t.Errorf("code label %q", got)
			}
		})

		t.Run("by words, on the form or not", func(t *testing.T) {
			p := c.get(t, itemsPath(f.caseA)+"?q="+url.QueryEscape("census tract 2020"))
			p.wantStatus(http.StatusOK)
			rows, _ := itemRows(p)
			r, ok := rows["censusTract2020"]
			if !ok {
				t.Fatalf("census tract 2020 not found\n%s", excerpt(p.body))
			}
			if r.Find(`[data-testid="item-not-on-form"]`).Length() != 1 || r.Find(`[data-testid="item-section"]`).Length() != 0 {
				t.Errorf("censusTract2020 row does not say it is not on the form: %s", r.Text())
			}
			if reason := r.Find(`[data-testid="item-not-on-form"]`).AttrOr("title", ""); !strings.Contains(reason, "central registry") {
				t.Errorf("reason %q", reason)
			}
			if _, ok := rows["censusTract2010"]; ok {
				t.Error("census tract 2010 matched 2020")
			}

			p = c.get(t, itemsPath(f.caseA)+"?q="+url.QueryEscape("DIAGNOSIS date"))
			rows, _ = itemRows(p)
			if r, ok := rows["dateOfDiagnosis"]; !ok || strings.TrimSpace(r.Find(`[data-testid="item-value"]`).Text()) != "20250314" {
				t.Errorf("date of diagnosis not found with its value\n%s", excerpt(p.body))
			}
			if _, ok := rows["primarySite"]; ok {
				t.Error("primary site matched date diagnosis")
			}
		})

		t.Run("by naaccrId", func(t *testing.T) {
			p := c.get(t, itemsPath(f.caseA)+"?q=textRemarks")
			rows, ids := itemRows(p)
			if len(ids) == 0 || ids[0] != "textRemarks" {
				t.Fatalf("rows %v, want textRemarks first", ids)
			}
			if href := rows["textRemarks"].Find(`[data-testid="item-section"]`).AttrOr("href", ""); href != casePath(f.caseA)+"?section=text#f-textRemarks" {
				t.Errorf("section link %q", href)
			}
		})

		t.Run("no query lists the items with a value", func(t *testing.T) {
			p := c.get(t, itemsPath(f.caseA))
			p.wantStatus(http.StatusOK)
			rows, ids := itemRows(p)
			for _, id := range []string{"nameLast", "dateOfBirth", "medicalRecordNumber", "primarySite", "vitalStatus"} {
				if _, ok := rows[id]; !ok {
					t.Errorf("%s missing from %v", id, ids)
				}
			}
			if _, ok := rows["textRemarks"]; ok {
				t.Error("textRemarks listed without a value or a query")
			}
			if got := strings.TrimSpace(rows["nameLast"].Find(`[data-testid="item-value"]`).Text()); got != "Smith" {
				t.Errorf("nameLast %q", got)
			}
			if p.testid("items-search").Find(`input[name="q"][hx-get]`).Length() != 1 {
				t.Error("no search box that searches as one types")
			}
			if tab := p.testid("tab-items"); !tab.HasClass("active") || tab.AttrOr("href", "") != itemsPath(f.caseA) {
				t.Errorf("All items tab not active or links %q", tab.AttrOr("href", ""))
			}
			if p.testid("tab-diagnosis").Length() != 1 {
				t.Error("no section tabs on the All items page")
			}
		})

		t.Run("htmx gets the table only", func(t *testing.T) {
			p := c.get(t, itemsPath(f.caseA)+"?q=laterality", "HX-Request", "true")
			p.wantStatus(http.StatusOK)
			if strings.Contains(p.body, "<html") || p.testid("items-results").Length() != 1 {
				t.Errorf("want the results fragment\n%s", excerpt(p.body))
			}
			if rows, _ := itemRows(p); rows["laterality"] == nil {
				t.Error("laterality not in the fragment")
			}
		})

		if evs := f.auditEvents(t, "case.view", "tumor", idString(f.caseA)); len(evs) == 0 {
			t.Error("the All items view was not audited")
		}
	})
}

func TestItemsViewOfOtherFacilityIsNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)
		p := a.get(t, itemsPath(f.caseB)+"?q=nameLast")
		p.wantStatus(http.StatusNotFound)
		if strings.Contains(p.body, "Brown") {
			t.Errorf("not-found page shows B's patient\n%s", excerpt(p.body))
		}
		if evs := f.auditEvents(t, "case.view", "tumor", idString(f.caseB)); len(evs) != 0 {
			t.Error("a refused view was audited")
		}
		// Signed out: to the login page.
		p = f.newClient().get(t, itemsPath(f.caseA))
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
			t.Errorf("signed out: status %d, Location %q", p.status, p.location())
		}
	})
}

func TestCasePageLinksToAllItems(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	p := f.signIn(t, registrarA).openCase(t, f.caseA, "patient")
	tab := p.testid("tab-items")
	if tab.Length() != 1 || tab.AttrOr("href", "") != itemsPath(f.caseA) || tab.HasClass("active") {
		t.Errorf("All items tab %q active %v", tab.AttrOr("href", ""), tab.HasClass("active"))
	}
}

func TestFieldHelpShowsNumberLengthTypeAndCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.signIn(t, registrarA)
	p := c.openCase(t, f.caseA, "diagnosis")

	// Every field has a help toggle that controls its panel, which starts hidden.
	p.testid("case-form").Find(".field").Each(func(_ int, fld *goquery.Selection) {
		id := strings.TrimPrefix(fld.AttrOr("data-testid", ""), "field-")
		btn := fld.Find(`button[data-help-toggle]`)
		panel := fld.Find(`#h-` + id)
		if btn.Length() != 1 || btn.AttrOr("aria-controls", "") != "h-"+id || btn.AttrOr("aria-expanded", "") != "false" || btn.AttrOr("type", "") != "button" {
			t.Errorf("%s: help toggle %v", id, btn.Nodes)
		}
		if _, hidden := panel.Attr("hidden"); panel.Length() != 1 || !hidden {
			t.Errorf("%s: help panel missing or shown", id)
		}
	})

	help := p.testid("help-laterality")
	if got := help.Find(`[data-testid="help-number"]`).Text(); got != "410" {
		t.Errorf("laterality help number %q", got)
	}
	if got := help.Find(`[data-testid="help-length"]`).Text(); got != "1" {
		t.Errorf("laterality help length %q", got)
	}
	if got := help.Find(`[data-testid="help-name"]`).Text(); got != "Laterality" {
		t.Errorf("laterality help name %q", got)
	}
	if !strings.Contains(help.Text(), "digits 0-9") || !strings.Contains(help.Text(), "Tumor level") {
		t.Errorf("laterality help lacks type or level: %q", help.Text())
	}
	if got := help.Find(`[data-testid="help-note"]`).Text(); !strings.Contains(got, "paired organ") {
		t.Errorf("laterality help note %q", got)
	}
	codes := map[string]string{}
	help.Find(`[data-testid="help-codes"] tr`).Each(func(_ int, tr *goquery.Selection) {
		codes[tr.Find("td").Eq(0).Text()] = tr.Find("td").Eq(1).Text()
	})
	if len(codes) < 5 || codes["0"] == "" || codes["1"] == "" || codes["9"] == "" {
		t.Errorf("laterality help codes %v", codes)
	}

	// A long list is looked up, not listed.
	site := p.testid("help-primarySite")
	if site.Find(`[data-testid="help-codes"]`).Length() != 0 || !strings.Contains(site.Find(`[data-testid="help-lookup"]`).Text(), "type a code or words") {
		t.Errorf("primarySite help: %q", site.Text())
	}
	// A date says how partial dates are entered; a free-text field lets "?" be typed.
	if !strings.Contains(p.testid("help-dateOfDiagnosis").Text(), "CCYYMM") {
		t.Errorf("date help: %q", p.testid("help-dateOfDiagnosis").Text())
	}
	if _, free := p.testid("field-laterality").Attr("data-free-text"); free {
		t.Error("laterality marked free text")
	}
	pp := c.openCase(t, f.caseA, "patient")
	if _, free := pp.testid("field-nameLast").Attr("data-free-text"); !free {
		t.Error("nameLast not marked free text")
	}
}

func TestTextItemsHaveCharacterCounters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.signIn(t, registrarA)
	p := c.openCase(t, f.caseA, "text")

	ta := p.testid("field-textRemarks").Find("textarea#f-textRemarks")
	if ta.Length() != 1 || ta.AttrOr("maxlength", "") != "4000" || ta.AttrOr("data-counter", "") != "c-textRemarks" {
		t.Fatalf("textRemarks text area %v\n%s", ta.Nodes, excerpt(p.body))
	}
	counter := p.testid("counter-textRemarks")
	if counter.AttrOr("id", "") != "c-textRemarks" || counter.AttrOr("data-max", "") != "4000" || strings.TrimSpace(counter.Text()) != "0 / 4000" {
		t.Errorf("counter id %q max %q text %q", counter.AttrOr("id", ""), counter.AttrOr("data-max", ""), counter.Text())
	}
	if n := p.testid("case-form").Find("textarea[data-counter]").Length(); n != p.testid("case-form").Find(".field textarea").Length() || n < 15 {
		t.Errorf("%d text areas with a counter", n)
	}

	// A browser sends line breaks as CR LF; they are stored (and counted) as one character each.
	text := "Seen 2025-03-10.\r\nBiopsy confirmed. ½ dose"
	saved := c.save(t, p, map[string]string{"textRemarks": text})
	saved.wantStatus(http.StatusSeeOther)
	want := strings.ReplaceAll(text, "\r\n", "\n")
	if got := f.loadCase(t, f.caseA).Tumor.Items["textRemarks"]; got != want {
		t.Fatalf("stored %q, want %q", got, want)
	}
	p = c.openCase(t, f.caseA, "text")
	if got := strings.TrimSpace(p.testid("counter-textRemarks").Text()); got != "41 / 4000" {
		t.Errorf("counter after save %q, want 41 / 4000", got)
	}
}

func TestLookUpsQuoteAHugeQueryShortened(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	c := f.signIn(t, registrarA)
	q := strings.Repeat("Z", 200_000)
	for _, tc := range []struct{ path, testid string }{
		{"/lookup/primarySite?q=" + q, "lookup-none"},
	} {
		p := c.get(t, tc.path)
		p.wantStatus(http.StatusOK)
		msg := p.testid(tc.testid).Text()
		if len(msg) > 400 || !strings.Contains(msg, "…” (200,000 bytes)") {
			t.Errorf("%s: message of %d bytes: %.300q", tc.testid, len(msg), msg)
		}
	}
}
