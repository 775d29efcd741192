package web_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/testskip"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// css selects the first element that matches a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func testid(id string) chromedp.CSS { return css(`[data-testid="` + id + `"]`) }

// TestBrowserSavesCaseAndKeepsEntriesOnError signs in with a real browser, saves a change to a
// case and then tries an invalid one. It runs once with htmx blocked (a plain post and redirect)
// and once with the pages as served (an htmx swap when the vendored htmx is there).
func TestBrowserSavesCaseAndKeepsEntriesOnError(t *testing.T) {
	t.Parallel()
	browserCtx := startBrowser(t, 60*time.Second, 1280, 1000)

	for _, mode := range []struct {
		name      string
		blockHTMX bool
	}{
		{"plain", true},
		{"as served", false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			f := newFixture(t, storetest.New(t, store.DialectSQLite))
			// A browser context of its own: no cookies are shared between the runs.
			tab, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
			defer cancelTab()
			bt := newBrowserTab(t, tab, "cara-save-failure.png")
			run := bt.run
			value := bt.value

			// The tab lives as long as tab: open it there, not in a step's shorter context.
			if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
				t.Fatalf("open a tab: %v", err)
			}
			if mode.blockHTMX {
				if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
					t.Fatal(err)
				}
				if _, err := chromedp.Call(tab, network.SetBlockedURLs, network.SetBlockedURLsParams{
					URLPatterns: []*network.BlockPattern{{URLPattern: f.server.URL + "/static/vendor/htmx.min.js", Block: true}},
				}); err != nil {
					t.Fatalf("block htmx: %v", err)
				}
			}

			run("open the login page", chromedp.Navigate(f.server.URL+"/login"), chromedp.WaitVisible(testid("login-form")))
			run("type the credentials",
				chromedp.SendKeys(css("#username"), registrarA),
				chromedp.SendKeys(css("#password"), testPassword),
			)
			run("sign in",
				chromedp.Click(css(`[data-testid="login-form"] button[type="submit"]`)),
				chromedp.WaitVisible(testid("worklist-row")),
			)
			htmx, err := chromedp.Run(tab, chromedp.Evaluate[bool](`typeof htmx !== "undefined"`))
			if err != nil {
				t.Fatal(err)
			}
			if mode.blockHTMX && htmx {
				t.Fatal("htmx loaded although it is blocked")
			}
			t.Logf("htmx loaded: %v", htmx)

			run("open the first case",
				chromedp.Click(testid("case-link")),
				chromedp.WaitVisible(testid("case-form")),
			)
			if title, err := chromedp.Run(tab, chromedp.Text(testid("case-title"))); err != nil || title != "Smith, Anna" {
				t.Fatalf("case title %q (%v), want Smith, Anna", title, err)
			}
			run("open the Cancer identification tab",
				chromedp.Click(testid("tab-diagnosis")),
				chromedp.WaitVisible(css("#f-primarySite")),
			)
			if got := value("#f-primarySite"); got != "C341" {
				t.Fatalf("primary site shown as %q, want C341", got)
			}

			run("save a new primary site",
				chromedp.Clear(css("#f-primarySite")),
				chromedp.SendKeys(css("#f-primarySite"), "C342"),
				chromedp.Click(testid("save")),
				chromedp.WaitVisible(testid("saved")),
			)
			run("reload", chromedp.Reload(), chromedp.WaitVisible(css("#f-primarySite")))
			if got := value("#f-primarySite"); got != "C342" {
				t.Errorf("primary site after reload %q, want C342", got)
			}
			if got := f.loadCase(t, f.caseA).Tumor.PrimarySite; got != "C342" {
				t.Errorf("stored primary site %q, want C342", got)
			}

			run("save an impossible date with another change",
				chromedp.Clear(css("#f-dateOfDiagnosis")),
				chromedp.SendKeys(css("#f-dateOfDiagnosis"), "20251345"),
				chromedp.Clear(css("#f-histologicTypeIcdO3")),
				chromedp.SendKeys(css("#f-histologicTypeIcdO3"), "8070"),
				chromedp.Click(testid("save")),
				chromedp.WaitVisible(testid("error-dateOfDiagnosis")),
			)
			msg, err := chromedp.Run(tab, chromedp.Text(testid("error-dateOfDiagnosis")))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(msg, "Date of Diagnosis") {
				t.Errorf("error message %q does not name Date of Diagnosis", msg)
			}
			if got := value("#f-histologicTypeIcdO3"); got != "8070" {
				t.Errorf("histology holds %q after the refused save, want the typed 8070", got)
			}
			if got := value("#f-dateOfDiagnosis"); got != "20251345" {
				t.Errorf("date of diagnosis holds %q after the refused save, want the typed 20251345", got)
			}
			if cs := f.loadCase(t, f.caseA); cs.Tumor.Histology != "8140" || cs.Tumor.DateOfDiagnosis != "20250314" {
				t.Errorf("refused save stored histology %q, date %q", cs.Tumor.Histology, cs.Tumor.DateOfDiagnosis)
			}

			shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100)) // 100: PNG
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			name := "cara-case-" + strings.ReplaceAll(mode.name, " ", "-") + ".png"
			if err := os.WriteFile(filepath.Join(t.TempDir(), name), shot, 0o644); err != nil {
				t.Fatal(err)
			}
			if dir := os.Getenv("CARA_SCREENSHOT_DIR"); dir != "" && !mode.blockHTMX {
				path := filepath.Join(dir, "cara-case.png")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot: %s", path)
			}
		})
	}
	if errors.Is(browserCtx.Err(), context.DeadlineExceeded) {
		t.Error("the browser test ran out of time")
	}
}

// startBrowser starts Debian's chromium headless for a test (skipped without chromium, except
// with CI=true, where that is a failure) and returns a tab that lives until the test ends or the
// time limit passes.
func startBrowser(t *testing.T, limit time.Duration, width, height int) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		testskip.Skip(t, "no chromium at %s (apt-get install chromium): browser tests not run", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return tab
}

// browserTab drives one tab of a browser test: steps run with a time limit of their own, and a
// failure says where the browser was, with the page's text and a screenshot.
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	shot string // the screenshot's file name
}

func newBrowserTab(t *testing.T, tab context.Context, shot string) *browserTab {
	return &browserTab{t: t, ctx: tab, shot: shot}
}

// screenshot saves the page into the test's temporary directory and, when CARA_SCREENSHOT_DIR
// is set, there too; it returns where it was saved.
func (b *browserTab) screenshot(name string) string {
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		return "no screenshot: " + err.Error()
	}
	dirs := []string{b.t.TempDir()}
	if dir := os.Getenv("CARA_SCREENSHOT_DIR"); dir != "" {
		dirs = append(dirs, dir)
	}
	var where []string
	for _, dir := range dirs {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			where = append(where, err.Error())
		} else if err := os.WriteFile(path, png, 0o644); err != nil {
			where = append(where, err.Error())
		} else {
			where = append(where, path)
		}
	}
	return strings.Join(where, ", ")
}

// fail ends the test with where the browser was, its text and a screenshot.
func (b *browserTab) fail(format string, args ...any) {
	b.t.Helper()
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	body, _ := chromedp.Run(b.ctx, chromedp.Text(css("body")))
	b.t.Fatalf(format+"\nat %s (screenshot %s):\n%s", append(args, loc, b.screenshot(b.shot), body)...)
}

// stepLimit is how long one step may take: long enough for a loaded machine, short enough that
// a failure leaves time to say where the browser was.
const stepLimit = 20 * time.Second

// run runs steps with a time limit of their own, so that a failure can still say where the
// browser was.
func (b *browserTab) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	stepCtx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	for i, a := range steps {
		steps[i] = retryStale(a)
	}
	if err := chromedp.Do(stepCtx, steps...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

// staleNode reports an error of an action that addressed a node by an id the browser no longer
// knows: the node was found in a document that a navigation replaced a moment later (chromedp
// fetches the document again at each DOM.documentUpdated, which invalidates the ids it gave out).
func staleNode(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "No node with given id") || strings.Contains(msg, "Could not find node with given id") ||
		strings.Contains(msg, "Node with given id does not belong to the document")
}

// retryStale runs a again, within its context's time, while it fails on a stale node. That is
// safe for chromedp's element actions: they focus, measure or resolve their node by its id
// before any key or click reaches the page, so the failed one did nothing, and running it again
// finds the element in the new document. A step built of several actions (chromedp.Steps) runs
// again from its first; the tests' own (typeInto) clear their field first.
func retryStale[T any](a chromedp.Action[T]) chromedp.Action[T] {
	return func(ctx context.Context, t *chromedp.Target) (T, error) {
		for {
			v, err := a(ctx, t)
			if !staleNode(err) || ctx.Err() != nil {
				return v, err
			}
			// A moment for chromedp to take the new document in.
			select {
			case <-ctx.Done():
				return v, err
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// value is the value of the form field sel selects, within a step's time limit.
func (b *browserTab) value(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, retryStale(chromedp.Value(css(sel))))
	if err != nil {
		b.fail("value of %s: %v", sel, err)
	}
	return v
}

// textHas waits, within a step's time limit, until the element sel selects shows want, and
// returns what it shows then: a page that htmx is still swapping gets the time to settle.
func (b *browserTab) textHas(sel chromedp.CSS, want string) (string, bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[chromedp.Void](`(sel, want) => {
		const el = document.querySelector(sel);
		return !!el && el.innerText.includes(want);
	}`, chromedp.WithPollingArgs(string(sel), want), chromedp.WithPollingTimeout(stepLimit/2)))
	if err == nil {
		// Read again, the node may be swapped out: what it showed is known.
		return want, true
	}
	return b.text(sel), false
}

// text is the trimmed text of the element sel selects, within a step's time limit.
func (b *browserTab) text(sel chromedp.CSS) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	// A node found in a document that a navigation replaced a moment later is gone by the time
	// its text is asked for (seen once after a form's redirect): the new document's is the one.
	v, err := chromedp.Run(ctx, retryStale(chromedp.Text(sel)))
	if err != nil {
		b.fail("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

// pick types words into the look-up of a case or new-case field, waits until its list offers
// code first, and picks it with ArrowDown and Enter, as a person at the keyboard does.
func (b *browserTab) pick(item, words, code string) {
	b.t.Helper()
	field := css("#f-" + item)
	b.run("look up "+item+" by "+words,
		chromedp.Focus(field),
		chromedp.Clear(field),
		chromedp.SendKeys(field, words),
		chromedp.PollFunction[chromedp.Void](`(item, code) => {
			const list = document.getElementById("lb-" + item), input = document.getElementById("f-" + item);
			const first = list && list.querySelector('[role="option"]');
			return !!first && !list.hidden && first.dataset.code === code && input.getAttribute("aria-expanded") === "true";
		}`, chromedp.WithPollingArgs(item, code), chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.KeyEvent(kb.Enter),
		chromedp.PollFunction[chromedp.Void](`(item) => document.getElementById("lb-" + item).hidden &&
			document.getElementById("f-" + item).getAttribute("aria-expanded") === "false"`,
			chromedp.WithPollingArgs(item), chromedp.WithPollingTimeout(5*time.Second)),
	)
	if got := b.value("#f-" + item); got != code {
		b.fail("%s holds %q after the pick, want %s", item, got, code)
	}
}
