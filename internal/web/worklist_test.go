package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/demo"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

// worklistTumors returns the tumor ids of a worklist page.
func worklistTumors(p *page) []string {
	var out []string
	p.testid("worklist-row").Each(func(_ int, row *goquery.Selection) {
		id, _ := row.Attr("data-tumor")
		out = append(out, id)
	})
	return out
}

// worklistOrder returns the MRNs of a worklist page in the order shown.
func worklistOrder(p *page) []string {
	var out []string
	p.testid("worklist-row").Each(func(_ int, row *goquery.Selection) {
		out = append(out, strings.TrimSpace(row.Find("td").Eq(1).Text()))
	})
	return out
}

func TestWorklistFiltersFromTheQueryString(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		// Smith's case has edit errors.
		if err := s.UpdateEditCounts(ctx, []store.EditCounts{{TumorID: f.caseA, Errors: 2}}); err != nil {
			t.Fatal(err)
		}
		a := f.signIn(t, registrarA)
		smith, jones := "MR100001", "MR100002"
		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"", []string{smith, jones}},
			{"status=approved", []string{jones}},
			{"status=bogus", []string{smith, jones}}, // not a status: ignored
			{"site=lung", []string{smith}},
			{"site=prostate", []string{jones}},
			{"site=breast", nil},
			{"year=2024", []string{jones}},
			{"year=2025&status=draft", []string{smith}},
			{"errors=1", []string{smith}},
			{"assigned=none", []string{smith, jones}},
			{"assigned=me", nil},
			{"q=jon", []string{jones}},
			{"q=MR10000", []string{smith, jones}},
			{"q=2025", []string{smith}}, // accession number
			{"q=Brown", nil},            // another facility's
			{"sort=name", []string{jones, smith}},
			{"sort=name&dir=desc", []string{smith, jones}},
			{"sort=dx", []string{smith, jones}}, // latest diagnosis first
			{"sort=dx&dir=asc", []string{jones, smith}},
			{"sort=site", []string{smith, jones}},
			{"sort=nonsense", []string{smith, jones}},
		} {
			t.Run(tt.query, func(t *testing.T) {
				p := a.get(t, "/cases?"+tt.query)
				p.wantStatus(http.StatusOK)
				got := worklistOrder(p)
				if !slices.Equal(got, tt.want) {
					t.Errorf("/cases?%s lists %q, want %q", tt.query, got, tt.want)
				}
				if len(tt.want) == 0 && p.testid("worklist-empty").Length() != 1 {
					t.Errorf("no empty-list message")
				}
			})
		}

		// The filters are shown as chosen, and sorting keeps them.
		p := a.get(t, "/cases?status=draft&site=lung&year=2025&errors=1&q=Smi&sort=dx")
		vals := formOf(t, p, "worklist-filters")
		for k, want := range map[string]string{"status": "draft", "site": "lung", "year": "2025", "errors": "1", "q": "Smi", "sort": "dx", "dir": "desc"} {
			if got := vals.Get(k); got != want {
				t.Errorf("filter form %s = %q, want %q", k, got, want)
			}
		}
		href, _ := p.testid("sort-dx").Attr("href")
		u, err := url.Parse(href)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("status") != "draft" || q.Get("site") != "lung" || q.Get("q") != "Smi" || q.Get("sort") != "dx" || q.Get("dir") != "asc" {
			t.Errorf("the active column's link %q should keep the filters and reverse the order", href)
		}
		if sortAttr, _ := p.testid("sort-dx").Parent().Attr("aria-sort"); sortAttr != "descending" {
			t.Errorf("aria-sort %q, want descending", sortAttr)
		}
		if got := strings.TrimSpace(p.testid("worklist-total").Text()); got != "1" {
			t.Errorf("total %q, want 1", got)
		}
	})
}

func TestWorklistPagesAndHtmxFragment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		more, err := demo.Patients(schemas.FS, nil, 11, 100, clock)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range more {
			if _, err := s.CreatePatient(ctx, f.facB, p, "draft"); err != nil {
				t.Fatal(err)
			}
		}
		_, total, err := s.WorklistPage(ctx, store.WorklistFilter{Scope: store.FacilityScope(f.facB)})
		if err != nil || total <= 100 {
			t.Fatalf("B has %d cases (%v); the test needs more than two pages", total, err)
		}
		b := f.signIn(t, registrarB)

		p := b.get(t, "/cases?sort=mrn")
		p.wantStatus(http.StatusOK)
		first := worklistOrder(p)
		if len(first) != 50 {
			t.Fatalf("page 1 has %d rows, want 50", len(first))
		}
		if got := strings.TrimSpace(p.testid("worklist-total").Text()); got != fmt.Sprint(total) {
			t.Errorf("total shown %q, want %d", got, total)
		}
		if got := strings.TrimSpace(p.testid("page-current").Text()); got != "1" {
			t.Errorf("current page %q", got)
		}
		next, _ := p.testid("page-next").Attr("href")
		if next != "/cases?page=2&sort=mrn" {
			t.Errorf("next page link %q", next)
		}

		var seen []string
		seen = append(seen, first...)
		tumors := worklistTumors(p)
		pages := int((total + 49) / 50)
		for n := 2; n <= pages; n++ {
			p = b.get(t, fmt.Sprintf("/cases?sort=mrn&page=%d", n))
			rows := worklistOrder(p)
			if want := min(50, int(total)-(n-1)*50); len(rows) != want {
				t.Errorf("page %d has %d rows, want %d", n, len(rows), want)
			}
			seen = append(seen, rows...)
			tumors = append(tumors, worklistTumors(p)...)
		}
		if !slices.IsSortedFunc(seen, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
			t.Errorf("pages are not in MRN order")
		}
		slices.Sort(tumors)
		if n := len(slices.Compact(tumors)); n != int(total) {
			t.Errorf("pages hold %d distinct cases, want %d", n, total)
		}

		// Past the end: the last page.
		p = b.get(t, "/cases?sort=mrn&page=999")
		if got := strings.TrimSpace(p.testid("page-current").Text()); got != fmt.Sprint(pages) {
			t.Errorf("page 999 shows page %q, want the last, %d", got, pages)
		}

		// htmx gets the results only, for the same URL.
		p = b.get(t, "/cases?sort=mrn&page=2", "HX-Request", "true")
		p.wantStatus(http.StatusOK)
		if strings.Contains(p.body, "<html") || p.testid("worklist-results").Length() != 1 || p.testid("worklist-filters").Length() != 0 {
			t.Errorf("htmx answer is not the results fragment\n%s", excerpt(p.body))
		}
		if got := worklistOrder(p); !slices.Equal(got, seen[50:min(100, len(seen))]) {
			t.Errorf("htmx page 2 differs from page 2")
		}
		if !strings.Contains(p.header.Get("Vary"), "HX-Request") {
			t.Errorf("Vary %q, want HX-Request", p.header.Get("Vary"))
		}
		// A history restore wants the whole page.
		p = b.get(t, "/cases?page=2", "HX-Request", "true", "HX-History-Restore-Request", "true")
		if !strings.Contains(p.body, "<html") {
			t.Errorf("history restore got a fragment")
		}
	})
}

// TestWorklistOfAUserOfSeveralFacilities: a registrar who works for A and B sees both facilities'
// cases, can narrow the worklist to one of them, and sees nothing of a facility not theirs.
func TestWorklistOfAUserOfSeveralFacilities(t *testing.T) {
	t.Parallel()
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	ctx := context.Background()
	reg := f.users[registrarA]
	if _, err := s.UpdateUser(ctx, store.UserUpdate{ID: reg.ID, DisplayName: reg.DisplayName, Role: reg.Role,
		HomeFacility: &f.facA, Facilities: []uint{f.facA, f.facB}, By: store.Actor{UserID: &f.users[adminUser].ID}}); err != nil {
		t.Fatal(err)
	}
	c := f.signIn(t, registrarA)
	tumors := func(path string) map[string]bool {
		t.Helper()
		p := c.get(t, path)
		p.wantStatus(http.StatusOK)
		got := map[string]bool{}
		p.testid("worklist-row").Each(func(_ int, s *goquery.Selection) { got[s.AttrOr("data-tumor", "")] = true })
		return got
	}
	all := tumors("/cases")
	if !all[idString(f.caseA)] || !all[idString(f.caseB)] {
		t.Errorf("the worklist of a user of A and B lacks A's or B's case: %v", all)
	}
	p := c.get(t, "/cases")
	if p.testid("facility-filter").Length() != 1 {
		t.Errorf("no facility filter for a user of two facilities")
	}
	onlyB := tumors("/cases?facility=" + idString(f.facB))
	if onlyB[idString(f.caseA)] || !onlyB[idString(f.caseB)] {
		t.Errorf("narrowed to B: %v; want B's case and not A's", onlyB)
	}
	if other := tumors("/cases?facility=" + idString(f.facB+100)); len(other) != 0 {
		t.Errorf("a facility the user does not work for shows %d cases", len(other))
	}
	// A registrar of one facility is offered no choice.
	if f.signIn(t, registrarB).get(t, "/cases").testid("facility-filter").Length() != 0 {
		t.Errorf("a user of one facility is offered a facility filter")
	}
}

// TestWorklistOffersOnlyRegistrarsAsAssignees: cases are assigned to registrars, so the "Assigned
// to" filter offers them and not the facility's reviewer (it once offered Rory Alder, a reviewer).
func TestWorklistOffersOnlyRegistrarsAsAssignees(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	offered := func(user string) map[string]bool {
		p := f.signIn(t, user).get(t, "/cases")
		p.wantStatus(http.StatusOK)
		got := map[string]bool{}
		p.doc.Find("select#assigned option").Each(func(_ int, o *goquery.Selection) { got[o.Text()] = true })
		return got
	}
	if got := offered(registrarA); got["Rory Alder"] || !got["Me"] || !got["No one"] {
		t.Errorf("registrar A is offered %v; want Me and No one, not the reviewer", got)
	}
	if got := offered(reviewerA); !got["Rita Alder"] || got["Rory Alder"] {
		t.Errorf("reviewer A is offered %v; want registrar Rita Alder only", got)
	}
}

// TestWorklistShowsDaysFromFirstContact: an open case counts the days since its first contact
// and is marked past six months; an approved case shows the days its abstract took, to its first
// approval.
func TestWorklistShowsDaysFromFirstContact(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := s.DB().ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec("UPDATE tumor_items SET items = JSON_SET(items, '$.dateOf1stContact', ?) WHERE tumor_id = ?", "20260301", f.caseA)
		exec("UPDATE tumor_items SET items = JSON_SET(items, '$.dateOf1stContact', ?) WHERE tumor_id = ?", "20260101", f.approvedA)
		// Approved on 31 January, then reopened and approved again: the first approval counts.
		for _, at := range []time.Time{time.Date(2026, 1, 31, 15, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)} {
			exec("INSERT INTO status_changes (tumor_id, facility_id, action, from_status, to_status, reason, at) VALUES (?, ?, 'approve', 'in_review', 'approved', '', ?)",
				f.approvedA, f.facA, at)
		}
		p := f.signIn(t, registrarA).get(t, "/cases")
		p.wantStatus(http.StatusOK)
		for _, c := range []struct {
			tumor      uint
			text, late string
		}{
			{f.caseA, "246 days, over six months", "late"},
			{f.approvedA, "30 days, done", ""},
		} {
			cell := p.doc.Find(`[data-testid="worklist-row"][data-tumor="` + idString(c.tumor) + `"] [data-testid="timeliness"]`)
			if got := strings.TrimSpace(cell.Text()); got != c.text {
				t.Errorf("case %d: timeliness %q, want %q", c.tumor, got, c.text)
			}
			if _, late := cell.Find("[data-late]").Attr("data-late"); late != (c.late != "") {
				t.Errorf("case %d: marked late %v", c.tumor, late)
			}
		}
		// Without a first contact the column is blank, not zero.
		exec("UPDATE tumor_items SET items = JSON_REMOVE(items, '$.dateOf1stContact') WHERE tumor_id = ?", f.caseA)
		p = f.signIn(t, registrarA).get(t, "/cases")
		cell := p.doc.Find(`[data-testid="worklist-row"][data-tumor="` + idString(f.caseA) + `"] [data-testid="timeliness"]`)
		if got := strings.TrimSpace(cell.Text()); got != "" {
			t.Errorf("no first contact: timeliness %q", got)
		}
	})
}
