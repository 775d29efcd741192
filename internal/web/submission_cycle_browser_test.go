package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
)

// TestBrowserSubmissionCycle is the whole exchange in a browser: a registrar creates a batch of the
// approved case, downloads it, uploads the downloaded file on the intake page and reads the report:
// one patient, one tumor, no structural or edit error, the tumor already received (the same cara
// holds the hospital's case).
func TestBrowserSubmissionCycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	intaker := withSubmissionsAndIntake(t, f)

	tab := startBrowser(t, 90*time.Second, 1280, 1000)
	b := createAndDownloadBatch(t, tab, f)

	bt := newBrowserTab(t, tab, "cara-cycle-failure.png")
	run := bt.run
	run("open the intake page", chromedp.Click(testid("nav-intake")), chromedp.WaitVisible(testid("intake-form")))
	run("upload the downloaded batch",
		chromedp.SetUploadFiles(testid("intake-file"), []string{b.Path}),
		chromedp.Click(testid("intake-upload")),
		chromedp.WaitVisible(testid("intake-report")))
	if err := (&submission.Runner{Intaker: intaker}).RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The page polls until the check is done; reload if it has not caught up yet.
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	err := chromedp.Do(ctx, chromedp.WaitVisible(testid("intake-summary")))
	cancel()
	if err != nil {
		run("reload the report", chromedp.Reload(), chromedp.WaitVisible(testid("intake-summary")))
	}
	for id, want := range map[string]string{
		"intake-version": "260", "intake-record-type": "A", "intake-patients": "1", "intake-tumors": "1",
		"intake-structural": "0", "intake-edit-errors": "0", "intake-duplicates": "1",
	} {
		got, err := chromedp.Run(tab, chromedp.Text(testid(id)))
		if err != nil || strings.TrimSpace(got) != want {
			t.Errorf("report %s = %q (%v), want %s", id, got, err, want)
		}
	}
	name, err := chromedp.Run(tab, chromedp.Text(testid("intake-report")))
	if err != nil || !strings.Contains(name, b.FileName) {
		t.Errorf("the report does not name the uploaded file %s (%v)", b.FileName, err)
	}
}
