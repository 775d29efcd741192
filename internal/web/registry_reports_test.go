package web_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/reports"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

func reportCatalog(t *testing.T) *reports.Catalog {
	t.Helper()
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := reports.Load(schemas.FS, tables)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// reportTotal is the Total column of a report page's total row.
func reportTotal(t *testing.T, p *page) string {
	t.Helper()
	cells := p.testid("report-total").Find("td")
	if cells.Length() == 0 {
		t.Fatalf("no total row\n%s", excerpt(p.body))
	}
	return cells.First().Text()
}

// TestReportsPageListsEveryReportOfTheCatalog: the nav links to the Reports page for every role,
// and the page links to each report of schemas/reports with its title and description.
func TestReportsPageListsEveryReportOfTheCatalog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	cat := reportCatalog(t)
	for _, user := range []string{registrarA, reviewerA, adminUser} {
		p := f.signIn(t, user).get(t, "/reports")
		p.wantStatus(http.StatusOK)
		if p.testid("nav-reports").Length() != 1 {
			t.Errorf("%s: no Reports link in the nav", user)
		}
		for _, d := range cat.Reports {
			a := p.testid("report-" + d.Name)
			if href, _ := a.Attr("href"); href != "/reports/"+d.Name || a.Text() != d.Title {
				t.Errorf("%s: link of %s: href %q, text %q", user, d.Name, href, a.Text())
			}
		}
		if got := p.testid("report-list").Find("dd").Length(); got != len(cat.Reports) {
			t.Errorf("%s: %d descriptions, want %d", user, got, len(cat.Reports))
		}
	}
}

// TestReportRunsForTheParametersWithinTheUsersFacilities runs reports as the page does, on
// SQLite and MySQL: the counts follow the facility, years, class of case and status; a facility
// outside the user's is a 404; a parameter the report cannot run with is a 422 naming it, with
// the form keeping what was typed.
func TestReportRunsForTheParametersWithinTheUsersFacilities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg, rev, admin := f.signIn(t, registrarA), f.signIn(t, reviewerA), f.signIn(t, adminUser)
		a, b := idString(f.facA), idString(f.facB)
		for _, tc := range []struct {
			name   string
			as     *client
			path   string
			status int
			total  string // the total row's Total cell
			err    string // the error message holds this
			field  string // and the form keeps this value in this field (name=value)
		}{
			// A has Smith (lung, 2025, draft) and Jones (prostate, 2024, approved), both class 10.
			{"all my facilities", reg, "/reports/primary-site", http.StatusOK, "2", "", ""},
			{"the reviewer's too", rev, "/reports/primary-site", http.StatusOK, "2", "", ""},
			{"own facility", reg, "/reports/primary-site?facility=" + a, http.StatusOK, "2", "", ""},
			{"from a year", reg, "/reports/primary-site?from=2025", http.StatusOK, "1", "", ""},
			{"to a year", reg, "/reports/stage?to=2024", http.StatusOK, "1", "", ""},
			{"a status", reg, "/reports/age-sex?status=approved", http.StatusOK, "1", "", ""},
			{"all, spelled out", reg, "/reports/age-sex?facility=all&class=all&status=all", http.StatusOK, "2", "", ""},
			{"analytic", reg, "/reports/class-of-case?class=analytic", http.StatusOK, "2", "", ""},
			{"non-analytic", reg, "/reports/class-of-case?class=nonanalytic", http.StatusOK, "0", "", ""},
			{"an administrator, every facility", admin, "/reports/top-sites", http.StatusOK, strconv.Itoa(2 + len(f.mrnsB)), "", ""},
			{"an administrator, one facility", admin, "/reports/county?facility=" + b, http.StatusOK, strconv.Itoa(len(f.mrnsB)), "", ""},
			{"another facility", reg, "/reports/primary-site?facility=" + b, http.StatusNotFound, "", "", ""},
			{"no such facility", admin, "/reports/primary-site?facility=999999", http.StatusNotFound, "", "", ""},
			{"no such report", reg, "/reports/survival", http.StatusNotFound, "", "", ""},
			{"a year that is not one", reg, "/reports/primary-site?from=20x5", http.StatusUnprocessableEntity, "", `Diagnosis year from: "20x5" is not a year`, "from=20x5"},
			{"a year out of range", reg, "/reports/trend?to=3000", http.StatusUnprocessableEntity, "", "Diagnosis year to: year 3000 is not between 1900 and 2100", "to=3000"},
			{"years backwards", reg, "/reports/trend?from=2025&to=2020", http.StatusUnprocessableEntity, "", "Diagnosis year to: year 2020 is before the from year 2025", "from=2025"},
			{"a class of case that is not one", reg, "/reports/primary-site?class=hospital", http.StatusUnprocessableEntity, "", `Class of case: "hospital" is not all or one of analytic, nonanalytic`, ""},
			{"a status that is not one", reg, "/reports/primary-site?status=done", http.StatusUnprocessableEntity, "", `Status: "done" is not a case status`, ""},
			{"a facility that is not a number", reg, "/reports/primary-site?facility=alder", http.StatusUnprocessableEntity, "", `Facility: "alder" is not a facility's number`, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := tc.as.get(t, tc.path)
				p.wantStatus(tc.status)
				if tc.total != "" {
					if got := reportTotal(t, p); got != tc.total {
						t.Errorf("total %q, want %s", got, tc.total)
					}
				}
				if tc.err != "" {
					if got := p.testid("report-error").Text(); !strings.Contains(got, tc.err) {
						t.Errorf("error %q, want one with %q", got, tc.err)
					}
					if p.testid("report-form").Length() != 1 || p.testid("report-table").Length() != 0 {
						t.Errorf("want the form and no table")
					}
				}
				if name, value, ok := strings.Cut(tc.field, "="); ok {
					if got, _ := p.testid("report-form").Find(`[name="` + name + `"]`).Attr("value"); got != value {
						t.Errorf("form field %s = %q, want %q kept", name, got, value)
					}
				}
			})
		}
	})
}

// TestReportPageDrawsTheTableAndTheChartOfItsDefinition: a block's title heads its columns
// (scope colgroup), numbers are right-aligned, the total row closes the table, and the chart is
// the one the definition names (stacked, line, or bars of medians with their quartiles), with a
// title and a description for screen readers.
func TestReportPageDrawsTheTableAndTheChartOfItsDefinition(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg := f.signIn(t, registrarA)
	for _, tc := range []struct {
		report, svg, mark string // the chart's svg class and an element it must draw
		block             string // a colgroup header
		column            string // a column header
	}{
		{"primary-site", "stacked-chart", "rect.chart-seg", "Sex", "Female"},
		{"trend", "line-chart", "polyline.chart-line", "Year of diagnosis", "2025"},
		{"time-to-treatment", "bar-chart", "text.chart-empty", "", "Median days"},
		{"class-of-case", "bar-chart", "rect.chart-bar", "", "Total"},
	} {
		t.Run(tc.report, func(t *testing.T) {
			p := reg.get(t, "/reports/"+tc.report)
			p.wantStatus(http.StatusOK)
			table := p.testid("report-table")
			if tc.block != "" {
				if table.Find(`thead th[scope="colgroup"]`).FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == tc.block }).Length() != 1 {
					t.Errorf("no block header %q", tc.block)
				}
			}
			if table.Find(`thead th[scope="col"]`).FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == tc.column }).Length() == 0 {
				t.Errorf("no column header %q", tc.column)
			}
			if n := table.Find(`tbody th[scope="row"]`).Length(); n == 0 || n != p.testid("report-row").Length() {
				t.Errorf("%d row headers for %d rows", n, p.testid("report-row").Length())
			}
			if table.Find("tbody td").Length() != table.Find("tbody td.num").Length() {
				t.Error("a number is not right-aligned (td.num)")
			}
			if p.testid("report-total").Find(`th[scope="row"]`).Text() != "Total" {
				t.Error("no total row")
			}
			svg := p.testid("report-chart").Find("svg." + tc.svg)
			if svg.Length() != 1 {
				t.Fatalf("no svg.%s\n%s", tc.svg, excerpt(p.body))
			}
			if svg.ChildrenFiltered("title").Text() == "" || svg.ChildrenFiltered("desc").Text() == "" {
				t.Error("the chart has no <title> or <desc>")
			}
			if svg.Find(tc.mark).Length() == 0 {
				t.Errorf("the chart draws no %s", tc.mark)
			}
			if strings.Contains(p.testid("report-chart").Text(), "style=") {
				t.Error("the chart has an inline style (CSP)")
			}
		})
	}
}

// TestReportDownloadsAreScopedTypedAndAudited: CSV and XLSX of the page's parameters with their
// content types and a safe file name; each download leaves a report.download event with the
// parameters; another facility's is a 404 and leaves none; a format that is not one is a 422.
func TestReportDownloadsAreScopedTypedAndAudited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg := f.signIn(t, registrarA)
		a := idString(f.facA)

		page := reg.get(t, "/reports/primary-site?facility="+a+"&from=2024&to=2025&class=analytic")
		page.wantStatus(http.StatusOK)
		href, _ := page.testid("download-csv").Attr("href")
		if want := "/reports/primary-site/download?class=analytic&facility=" + a + "&format=csv&from=2024&to=2025"; href != want {
			t.Fatalf("CSV link %q, want %q", href, want)
		}
		p := reg.get(t, href)
		p.wantStatus(http.StatusOK)
		if ct := p.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("CSV content type %q", ct)
		}
		if cd := p.header.Get("Content-Disposition"); cd != `attachment; filename="primary-site_0000001001_2024-2025_analytic.csv"` {
			t.Errorf("CSV Content-Disposition %q", cd)
		}
		recs, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if recs[0][0] != "Site group" || recs[0][1] != "Total" || recs[len(recs)-1][0] != "Total" || recs[len(recs)-1][1] != "2" {
			t.Errorf("CSV header %v, total %v", recs[0], recs[len(recs)-1])
		}
		evs := f.auditEvents(t, audit.ReportDownload, "report", "primary-site")
		if len(evs) != 1 || !strings.Contains(evs[0].Details, `"format":"csv"`) || !strings.Contains(evs[0].Details, `"facility":"`+a+`"`) ||
			!strings.Contains(evs[0].Details, `"class":"analytic"`) || !strings.Contains(evs[0].Details, `"from":"2024"`) {
			t.Fatalf("report.download events %+v", evs)
		}

		href, _ = page.testid("download-xlsx").Attr("href")
		p = reg.get(t, href)
		p.wantStatus(http.StatusOK)
		if ct := p.header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("XLSX content type %q", ct)
		}
		if cd := p.header.Get("Content-Disposition"); !strings.HasSuffix(cd, `.xlsx"`) {
			t.Errorf("XLSX Content-Disposition %q", cd)
		}
		x, err := excelize.OpenReader(bytes.NewReader([]byte(p.body)))
		if err != nil {
			t.Fatalf("open the XLSX: %v", err)
		}
		if v, _ := x.GetCellValue(reports.SheetParameters, "B2"); !strings.Contains(v, "Alder General Hospital") {
			t.Errorf("parameters sheet's facility %q", v)
		}
		x.Close()
		if n := len(f.auditEvents(t, audit.ReportDownload, "report", "primary-site")); n != 2 {
			t.Errorf("%d report.download events after two downloads", n)
		}

		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/reports/primary-site/download?format=csv&facility=" + idString(f.facB), http.StatusNotFound},
			{"/reports/primary-site/download?format=pdf", http.StatusUnprocessableEntity},
			{"/reports/primary-site/download?format=csv&from=soon", http.StatusUnprocessableEntity},
			{"/reports/survival/download?format=csv", http.StatusNotFound},
		} {
			reg.get(t, tc.path).wantStatus(tc.status)
		}
		if n := len(f.auditEvents(t, audit.ReportDownload, "report", "primary-site")); n != 2 {
			t.Errorf("%d report.download events after refused downloads, want still 2", n)
		}
	})
}

// TestReportSuppressedForReleaseShowsNoSmallCount runs a report with small-cell suppression: no
// count of 1 to 10 is on the page or in the download (the fixture's counts are all that small),
// the chart is left out, the download says so in its parameters, its name and its audit event,
// and a report of days is refused naming the parameter.
func TestReportSuppressedForReleaseShowsNoSmallCount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg := f.signIn(t, registrarA)
		page := reg.get(t, "/reports/primary-site?suppress=1")
		page.wantStatus(http.StatusOK)
		small := regexp.MustCompile(`^(10|[1-9])$`)
		cells := page.doc.Find(`[data-testid="report-table"] td`)
		if cells.Length() == 0 {
			t.Fatal("no table cells")
		}
		suppressed := 0
		cells.Each(func(_ int, c *goquery.Selection) {
			text := strings.TrimSpace(c.Text())
			if small.MatchString(text) {
				t.Errorf("a count of %s shown", text)
			}
			if text == "<11" || text == "*" {
				suppressed++
			}
		})
		if suppressed == 0 {
			t.Error("no cell shows <11 or *")
		}
		if page.testid("report-chart").Length() != 0 {
			t.Error("a suppressed table has its chart")
		}
		if _, ok := page.testid("param-suppress").Attr("checked"); !ok {
			t.Error("the suppression box is not kept checked")
		}
		href, _ := page.testid("download-csv").Attr("href")
		if !strings.Contains(href, "suppress=1") {
			t.Fatalf("CSV link %q drops the suppression", href)
		}
		p := reg.get(t, href)
		p.wantStatus(http.StatusOK)
		if cd := p.header.Get("Content-Disposition"); !strings.Contains(cd, "_suppressed.csv") {
			t.Errorf("Content-Disposition %q", cd)
		}
		recs, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			for _, v := range rec[1:] {
				if small.MatchString(v) {
					t.Errorf("CSV row %q shows a count of %s", rec[0], v)
				}
			}
		}
		evs := f.auditEvents(t, audit.ReportDownload, "report", "primary-site")
		if len(evs) != 1 || !strings.Contains(evs[0].Details, `"suppressed":true`) {
			t.Errorf("report.download events %+v", evs)
		}
		refused := reg.get(t, "/reports/time-to-treatment?suppress=1")
		refused.wantStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(refused.body, "Small-cell suppression: this report gives days") {
			t.Errorf("interval report with suppression: %s", refused.testid("report-error").Text())
		}
	})
}
