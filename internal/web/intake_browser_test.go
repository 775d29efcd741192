package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestBrowserIntakeUpload uploads a file on the intake page in a real browser, lets the
// background job check it, and sees the report: the page polls its progress and reloads itself
// when the check is done (with htmx; without it, a reload shows the same).
func TestBrowserIntakeUpload(t *testing.T) {
	t.Parallel()
	f := newIntakeFixture(t, storetest.New(t, store.DialectSQLite), 10<<20)
	tab := startBrowser(t, 90*time.Second, 1280, 1000)
	path := filepath.Join(t.TempDir(), "hospital.xml")
	if err := os.WriteFile(path, synthFile(t, 8, false), 0o600); err != nil {
		t.Fatal(err)
	}
	bt := newBrowserTab(t, tab, "cara-intake-failure.png")
	run := bt.run
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("nav-intake")))
	run("open the intake page", chromedp.Click(testid("nav-intake")), chromedp.WaitVisible(testid("intake-form")))
	run("upload the file",
		chromedp.SetUploadFiles(testid("intake-file"), []string{path}),
		chromedp.Click(testid("intake-upload")),
		chromedp.WaitVisible(testid("intake-report")))

	f.runIntakes(t)
	// With htmx the page polls and reloads itself; give it a few seconds, then reload anyway.
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	err := chromedp.Do(ctx, chromedp.WaitVisible(testid("intake-summary")))
	cancel()
	if err != nil {
		run("reload", chromedp.Reload(), chromedp.WaitVisible(testid("intake-summary")))
	}
	patients, err := chromedp.Run(tab, chromedp.Text(testid("intake-patients")))
	if err != nil || strings.TrimSpace(patients) != "8" {
		t.Errorf("report shows %q patients (%v), want 8", patients, err)
	}
	run("see the chart", chromedp.WaitVisible(testid("intake-chart")))
}
