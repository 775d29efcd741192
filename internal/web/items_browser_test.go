package web_test

import (
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestBrowserOpensItemHelpCountsTextAndFindsItems drives static/app.js in a real browser: F1 and
// "?" in a field and a click on the "?" button open and close the field's help; a text area's
// counter follows typing; the All items search box finds an item as one types.
func TestBrowserOpensItemHelpCountsTextAndFindsItems(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 90*time.Second, 1280, 800)
	bt := newBrowserTab(t, tab, "cara-help-failure.png")
	screenshot := bt.screenshot
	run := bt.run
	// helpOpen waits until a field's help panel is shown (or hidden) and its toggle says so.
	helpOpen := func(item string, open bool) chromedp.Action[chromedp.Void] {
		return chromedp.PollFunction[chromedp.Void](`(item, open) => {
			const panel = document.getElementById("h-" + item);
			const btn = document.querySelector('[aria-controls="h-' + item + '"]');
			return !!panel && panel.hidden === !open && panel.offsetParent !== null === open &&
				btn.getAttribute("aria-expanded") === String(open);
		}`, chromedp.WithPollingArgs(item, open), chromedp.WithPollingTimeout(5*time.Second))
	}

	run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	run("open the diagnosis tab",
		chromedp.Navigate(f.server.URL+casePath(f.caseA)+"?section=diagnosis"),
		chromedp.WaitVisible(css("#f-laterality")),
		helpOpen("laterality", false),
	)
	run("F1 in a field opens its help", chromedp.Focus(css("#f-laterality")), chromedp.KeyEvent(kb.F1), helpOpen("laterality", true))
	if txt, err := chromedp.Run(tab, chromedp.Text(css("#h-laterality"))); err != nil || !strings.Contains(txt, "410") {
		t.Errorf("laterality help reads %q (%v)", txt, err)
	}
	run("F1 again closes it", chromedp.KeyEvent(kb.F1), helpOpen("laterality", false))
	run(`"?" in a coded field opens its help`, chromedp.Focus(css("#f-primarySite")), chromedp.KeyEvent("?"), helpOpen("primarySite", true))
	if v, _ := chromedp.Run(tab, chromedp.Value(css("#f-primarySite"))); v != "C341" {
		t.Errorf(`"?" was typed into the primary site: %q`, v)
	}
	run("Escape closes it", chromedp.KeyEvent(kb.Escape), helpOpen("primarySite", false))
	run("a click on ? opens the help", chromedp.Click(testid("help-toggle-grade")), helpOpen("grade", true))
	if os.Getenv("CARA_SCREENSHOT_DIR") != "" {
		t.Logf("screenshot %s", screenshot("cara-help.png"))
	}
	run("a second click closes it", chromedp.Click(testid("help-toggle-grade")), helpOpen("grade", false))

	run("open the text tab",
		chromedp.Navigate(f.server.URL+casePath(f.caseA)+"?section=text"),
		chromedp.WaitVisible(css("#f-textRemarks")),
	)
	run("type into a text item",
		chromedp.SendKeys(css("#f-textRemarks"), "Biopsy ½"),
		chromedp.PollFunction[chromedp.Void](`() => document.getElementById("c-textRemarks").textContent.trim() === "8 / 4000"`,
			chromedp.WithPollingTimeout(5*time.Second)),
	)
	run(`"?" types itself in a text item`,
		chromedp.SendKeys(css("#f-textRemarks"), "?"),
		chromedp.PollFunction[chromedp.Void](`() => document.getElementById("f-textRemarks").value === "Biopsy ½?" &&
			document.getElementById("h-textRemarks").hidden`, chromedp.WithPollingTimeout(5*time.Second)),
	)

	if os.Getenv("CARA_SCREENSHOT_DIR") != "" {
		t.Logf("screenshot %s", screenshot("cara-text.png"))
	}
	// Leaving the text typed above asks first (beforeunload); the test says leave.
	var asked atomic.Bool
	dialogs := make(chan struct{}, 4)
	if err := chromedp.Listen(tab, func(ev any) {
		if d, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok && d.Type == cdppage.DialogTypeBeforeunload {
			asked.Store(true)
			select {
			case dialogs <- struct{}{}:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-dialogs:
				_, _ = chromedp.Call(tab, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
			case <-tab.Done():
				return
			}
		}
	}()
	run("find an item on the All items page",
		chromedp.Click(testid("tab-items")),
		chromedp.WaitVisible(css("#items-q")),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`),
		chromedp.SendKeys(css("#items-q"), "census tract 2020"),
		chromedp.WaitVisible(css(`[data-testid="item-row"][data-item="censusTract2020"]`)),
	)
	if !asked.Load() {
		t.Error("leaving a text item with unsaved changes did not ask")
	}
	if loc, err := chromedp.Run(tab, chromedp.Location()); err != nil || !strings.Contains(loc, "q=census") {
		t.Errorf("location %q after the search (%v), want the query in it", loc, err)
	}
	run("search by number", chromedp.SendKeys(css("#items-q"), strings.Repeat(kb.Backspace, len("census tract 2020"))+"400"),
		chromedp.PollFunction[chromedp.Void](`() => {
			const first = document.querySelector('[data-testid="item-row"]');
			return !!first && first.dataset.item === "primarySite";
		}`, chromedp.WithPollingTimeout(5*time.Second)),
	)
	if os.Getenv("CARA_SCREENSHOT_DIR") != "" {
		t.Logf("screenshot %s", screenshot("cara-items.png"))
	}
}
