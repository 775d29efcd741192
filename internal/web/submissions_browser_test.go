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

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// browserBatch is a batch created in the browser: what the intake half of the round trip needs.
type browserBatch struct {
	FileName string
	SHA256   string
	Body     []byte // the downloaded file, as the browser received it
	Path     string // the downloaded file saved in a temporary directory, ready to upload
}

// createAndDownloadBatch signs in as registrar A in tab, creates a batch of all pending cases
// on the submissions page, checks the batch page, and downloads the file through the page's
// link (fetched in the page, hashed with the browser's SHA-256 and compared with the page's).
// It returns the batch, so that a test can go on to upload the file on the intake page.
func createAndDownloadBatch(t *testing.T, tab context.Context, f *fixture) browserBatch {
	t.Helper()
	bt := newBrowserTab(t, tab, "cara-submission-failure.png")
	run := bt.run
	text := bt.text
	run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	run("open Submissions", chromedp.Click(testid("nav-submissions")), chromedp.WaitVisible(testid("submission-form")))
	if got := text(testid("pending-count")); !strings.Contains(got, "1 approved case ") {
		t.Fatalf("pending count %q, want 1 approved case", got)
	}
	run("preview the batch", chromedp.Click(testid("preview-submission")), chromedp.WaitVisible(testid("submission-preview")))
	run("confirm the batch", chromedp.Click(testid("confirm-submission")), chromedp.WaitVisible(testid("submission-created")))
	b := browserBatch{FileName: text(testid("submission-file")), SHA256: text(testid("submission-sha256"))}
	if !strings.HasSuffix(b.FileName, "_001.xml") || len(b.SHA256) != 64 {
		t.Fatalf("batch page shows file %q, sha256 %q", b.FileName, b.SHA256)
	}
	href, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid="submission-detail"] [data-testid="submission-download"]').href`))
	if err != nil {
		t.Fatal(err)
	}
	// The browser fetches the link and hashes what it got; the page's checksum must match.
	got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`fetch(`+jsString(href)+`).then(r => r.arrayBuffer()).then(async buf => {
		const h = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", buf))).map(b => b.toString(16).padStart(2, "0")).join("");
		return [h, new TextDecoder().decode(buf)];
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download %s: %v", href, err)
	}
	if len(got) != 2 || got[0] != b.SHA256 {
		t.Fatalf("downloaded file hashes to %v, the page says %s", got[:1], b.SHA256)
	}
	b.Body = []byte(got[1])
	b.Path = filepath.Join(t.TempDir(), b.FileName)
	if err := os.WriteFile(b.Path, b.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	run("back to the history", chromedp.Navigate(f.server.URL+"/submissions"), chromedp.WaitVisible(testid("submission-history")))
	if row := text(testid("submission-row")); !strings.Contains(row, b.FileName) {
		t.Errorf("history row %q does not name %s", row, b.FileName)
	}
	return b
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func TestBrowserCreatesAndDownloadsSubmissionBatch(t *testing.T) {
	t.Parallel()
	f, _ := withSubmissionDir(t, newFixture(t, storetest.New(t, store.DialectSQLite)))
	tab := startBrowser(t, 60*time.Second, 1280, 1000)
	b := createAndDownloadBatch(t, tab, f)
	if !strings.Contains(string(b.Body), "MR100002") || !strings.Contains(string(b.Body), `recordType="A"`) {
		t.Errorf("downloaded batch lacks the approved case:\n%s", b.Body)
	}
	if got := f.loadCase(t, f.approvedA).Tumor.Status; got != "submitted" {
		t.Errorf("approved case is %s after the batch", got)
	}
}

// TestBrowserSubmissionFormPreviewsAndConfirms: the batch form keeps its names in one column and
// its fields, notes and boxes in the other, with a button its own size; it previews the batch
// (what will be sent, what is held back and why) without writing it, and the confirmation
// creates it.
func TestBrowserSubmissionFormPreviewsAndConfirms(t *testing.T) {
	t.Parallel()
	f, _ := withSubmissionDir(t, newFixture(t, storetest.New(t, store.DialectSQLite)))
	walkTo(t, f, f.caseA, abstract.StatusApproved)
	if _, err := f.store.DB().ExecContext(context.Background(), `UPDATE tumor_items SET items = REPLACE(items, '"C619"', '"C999"') WHERE tumor_id = ?`, f.approvedA); err != nil {
		t.Fatal(err)
	}
	tab := startBrowser(t, 60*time.Second, 1280, 900)
	bt := newBrowserTab(t, tab, "cara-submission-preview-failure.png")
	bt.run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	bt.run("open Submissions", chromedp.Click(testid("nav-submissions")), chromedp.WaitVisible(testid("submission-form")))
	bt.screenshot("submission-form.png")
	// Left edges and widths, in CSS pixels, of what must line up.
	geo, err := chromedp.Run(tab, chromedp.Evaluate[map[string]float64](`(() => {
		const r = sel => document.querySelector(sel).getBoundingClientRect();
		const q = id => '[data-testid="' + id + '"]';
		return {
			label: r('label[for="facility"]').left, select: r(q("submission-facility")).left,
			pending: r(q("pending-count")).left, gzip: r(q("submission-gzip")).left,
			button: r(q("submission-form") + " button").left, buttonWidth: r(q("submission-form") + " button").width,
			form: r(q("submission-form")).width,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pending", "gzip", "button"} {
		if geo[k] < geo["select"]-1 {
			t.Errorf("%s starts at %.0fpx, left of the fields' column (%.0fpx; names at %.0fpx)", k, geo[k], geo["select"], geo["label"])
		}
	}
	if geo["buttonWidth"] > 250 {
		t.Errorf("the button is %.0fpx wide (the form %.0fpx): a block, not a button", geo["buttonWidth"], geo["form"])
	}

	bt.run("preview the batch", chromedp.Click(testid("preview-submission")), chromedp.WaitVisible(testid("submission-preview")))
	bt.screenshot("submission-preview.png")
	if got := bt.text(testid("preview-counts")); !strings.Contains(got, "1 tumor of 1 patient will be sent") || !strings.Contains(got, "1 case will be held back") {
		t.Errorf("preview counts %q", got)
	}
	if got := bt.text(testid("preview-held")); !strings.Contains(got, "C999") {
		t.Errorf("preview's held cases %q do not show the failure", got)
	}
	if got := bt.text(testid("no-submissions")); got == "" {
		t.Error("a batch is listed after the preview")
	}
	if got := f.loadCase(t, f.caseA).Tumor.Status; got != "approved" {
		t.Errorf("previewed case is %s before the confirmation", got)
	}
	bt.run("confirm the batch", chromedp.Click(testid("confirm-submission")), chromedp.WaitVisible(testid("submission-created")))
	if got := bt.text(testid("submission-created")); !strings.Contains(got, "1 case is now submitted") {
		t.Errorf("created %q", got)
	}
}
