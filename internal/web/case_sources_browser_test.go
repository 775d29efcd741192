package web_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestBrowserOpensAPreFilledAbstractWithItsSources: a registrar uploads a pathology message on
// the suspense page, starts an abstract from it, and finds the diagnosis section pre-filled,
// each value marked as suggested with its source, the report beside the form; saving the
// section stores the values and the marks give way to the report as their source.
func TestBrowserOpensAPreFilledAbstractWithItsSources(t *testing.T) {
	t.Parallel()
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	file := filepath.Join(t.TempDir(), "path.hl7")
	if err := os.WriteFile(file, []byte(fullPathologyMessage("B1", "810100")), 0o600); err != nil {
		t.Fatal(err)
	}
	tab := startBrowser(t, 90*time.Second, 1600, 1100)
	bt := newBrowserTab(t, tab, "cara-prefill-failure.png")
	run := bt.run

	run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	run("upload the pathology report", chromedp.Click(testid("nav-casefinding")), chromedp.WaitVisible(testid("reports-upload")),
		chromedp.SetUploadFiles(css("#er-file"), []string{file}),
		chromedp.Click(testid("reports-import")),
		chromedp.WaitVisible(testid("reports-summary")))
	if got, ok := bt.textHas(testid("reports-count"), "1 accepted"); !ok {
		bt.fail("upload summary %q", got)
	}
	row := `[data-testid="suspense-row"][data-mrn="810100"]`
	run("start the abstract", chromedp.Click(css(row+` [data-testid="start-abstract"]`)), chromedp.WaitVisible(css(`[data-testid="decision-outcome"] a`)),
		chromedp.Click(css(`[data-testid="decision-outcome"] a`)), chromedp.WaitVisible(testid("case-form")))
	run("open the diagnosis section", chromedp.Click(testid("tab-diagnosis")), chromedp.WaitVisible(testid("suggested-primarySite")),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`))
	for item, want := range map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "8500", "laterality": "2"} {
		if got := bt.value("#f-" + item); got != want {
			t.Errorf("%s pre-filled %q, want %q", item, got, want)
		}
	}
	if got, ok := bt.textHas(testid("suggested-histologicTypeIcdO3"), "INVASIVE DUCTAL CARCINOMA"); !ok {
		t.Errorf("histology's source %q", got)
	}
	if got, ok := bt.textHas(testid("report-panel"), "Three cores in formalin."); !ok {
		t.Errorf("the report beside the form says %q", got)
	}
	run("save the section", chromedp.Click(testid("save")), chromedp.WaitVisible(testid("saved")),
		chromedp.WaitVisible(testid("from-report-primarySite")))
	var tumorID uint
	if err := s.DB().QueryRow("SELECT tumor_id FROM suspense_records WHERE mrn = '810100'").Scan(&tumorID); err != nil {
		t.Fatal(err)
	}
	if cs := f.loadCase(t, tumorID); cs.Tumor.Items["primarySite"] != "C509" || cs.Tumor.Items["laterality"] != "2" {
		t.Errorf("stored site %q laterality %q, want the suggestions kept", cs.Tumor.Items["primarySite"], cs.Tumor.Items["laterality"])
	}
	marked, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="suggested-primarySite"], [data-testid="suggested-laterality"]').length`))
	if err != nil || marked != 0 {
		t.Errorf("%d saved values still marked suggested (%v)", marked, err)
	}
}
