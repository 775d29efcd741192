package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestBrowserReportRunShowsTableAndChartAndDownloadsCSV: a registrar opens Reports from the
// menu, picks the primary site table, runs it for 2024 on, analytic cases, reads the table and
// its stacked chart (with its legend and a description for screen readers) at the bookmarkable
// URL of those parameters, and downloads the CSV of the same parameters, which is audited.
func TestBrowserReportRunShowsTableAndChartAndDownloadsCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 60*time.Second, 1280, 1400)
	bt := newBrowserTab(t, tab, "cara-reports-failure.png")
	bt.run("sign in as "+registrarA,
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("current-user")),
	)
	bt.run("open Reports", chromedp.Click(testid("nav-reports")), chromedp.WaitVisible(testid("report-list")))
	bt.run("open the primary site table", chromedp.Click(testid("report-primary-site")), chromedp.WaitVisible(testid("report-form")))
	bt.run("run it for 2024 on, analytic cases",
		chromedp.SendKeys(testid("param-from"), "2024"),
		chromedp.SetValue(testid("param-class"), "analytic"),
		chromedp.Click(testid("run-report")),
		// The page showed the report for every year before: wait for the one of these parameters.
		chromedp.WaitVisible(`[data-testid="download-csv"][href*="from=2024"]`),
		chromedp.WaitVisible(`[data-testid="report-chart"] svg`),
	)
	query, err := chromedp.Run(tab, chromedp.Evaluate[string](`location.search`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(query, "from=2024") || !strings.Contains(query, "class=analytic") {
		t.Errorf("the report's URL %q does not hold its parameters", query)
	}
	if got := bt.text(`[data-testid="report-total"] td`); got != "2" {
		t.Errorf("total %q, want 2 (Smith and Jones)", got)
	}
	if got := bt.text(`[data-testid="report-table"] thead`); !strings.Contains(got, "Sex") || !strings.Contains(got, "Summary Stage 2018") {
		t.Errorf("table header %q lacks its blocks", got)
	}
	chart, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`(() => {
		const svg = document.querySelector('[data-testid="report-chart"] svg.stacked-chart');
		const r = svg.getBoundingClientRect();
		return [String(svg.querySelectorAll("rect.chart-seg").length), svg.querySelector("title").textContent,
			svg.querySelector("desc").textContent, svg.querySelector('[data-testid="chart-legend"]').textContent, String(r.width > 300 && r.height > 100)];
	})()`))
	if err != nil || len(chart) != 5 {
		t.Fatalf("read the chart: %v", err)
	}
	if chart[0] != "2" || chart[1] == "" || !strings.Contains(chart[2], "Lung and bronchus: Male 0 cases, Female 1 cases") ||
		!strings.Contains(chart[3], "Female") || chart[4] != "true" {
		t.Errorf("chart: %s segments, title %q, desc %q, legend %q, drawn large %s", chart[0], chart[1], chart[2], chart[3], chart[4])
	}
	href, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid="download-csv"]').href`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`fetch(`+jsString(href)+`).then(async r => [r.headers.get("Content-Type"), r.headers.get("Content-Disposition"), await r.text()])`,
		chromedp.EvalAwaitPromise))
	if err != nil || len(got) != 3 {
		t.Fatalf("download %s: %v", href, err)
	}
	if got[0] != "text/csv; charset=utf-8" || !strings.Contains(got[1], `filename="primary-site_all_2024-any_analytic.csv"`) {
		t.Errorf("download type %q, disposition %q", got[0], got[1])
	}
	lines := strings.Split(strings.TrimSpace(got[2]), "\n")
	if !strings.HasPrefix(lines[0], "Site group,Total,Sex: Male") || !strings.HasPrefix(lines[len(lines)-1], "Total,2,") {
		t.Errorf("CSV header %q, last line %q", lines[0], lines[len(lines)-1])
	}
	if evs := f.auditEvents(t, audit.ReportDownload, "report", "primary-site"); len(evs) != 1 || !strings.Contains(evs[0].Details, `"from":"2024"`) {
		t.Errorf("report.download events %+v", evs)
	}
	// A year that is not one is refused by name, and the field still shows what was typed.
	bt.run("a year that is not one",
		chromedp.Navigate(f.server.URL+"/reports/primary-site?from=20x5"),
		chromedp.WaitVisible(testid("report-error")),
	)
	kept, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid="param-from"]').value`))
	if err != nil || kept != "20x5" || !strings.Contains(bt.text(testid("report-error")), "Diagnosis year from") {
		t.Errorf("after a bad year the field holds %q (%v), the error says %q", kept, err, bt.text(testid("report-error")))
	}
}
