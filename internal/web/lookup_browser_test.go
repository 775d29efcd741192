package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestBrowserPicksCodesWithTheKeyboard codes a case's site and histology through the look-ups
// with the keyboard only: type words, ArrowDown, Enter (which picks and does not submit), Escape
// closes; then saves and reloads.
func TestBrowserPicksCodesWithTheKeyboard(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 90*time.Second, 1280, 800)

	bt := newBrowserTab(t, tab, "cara-lookup-failure.png")
	run := bt.run
	value := bt.value
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(tab, chromedp.TextContent(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	// firstOption waits until a field's list is open with code first.
	firstOption := func(item, code string) chromedp.Action[chromedp.Void] {
		return chromedp.PollFunction[chromedp.Void](`(item, code) => {
			const list = document.getElementById("lb-" + item), input = document.getElementById("f-" + item);
			const first = list && list.querySelector('[role="option"]');
			return !!first && !list.hidden && first.dataset.code === code && input.getAttribute("aria-expanded") === "true";
		}`, chromedp.WithPollingArgs(item, code), chromedp.WithPollingTimeout(10*time.Second))
	}
	listClosed := func(item string) chromedp.Action[chromedp.Void] {
		return chromedp.PollFunction[chromedp.Void](`(item) => document.getElementById("lb-" + item).hidden &&
			document.getElementById("f-" + item).getAttribute("aria-expanded") === "false"`,
			chromedp.WithPollingArgs(item), chromedp.WithPollingTimeout(5*time.Second))
	}

	run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	run("open the diagnosis tab of a case",
		chromedp.Navigate(f.server.URL+casePath(f.caseA)+"?section=diagnosis"),
		chromedp.WaitVisible(css("#f-primarySite")),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`),
	)
	if got := text(`[data-testid="label-primarySite"]`); got != "Upper lobe, bronchus or lung" {
		t.Errorf("label of C341 reads %q", got)
	}

	run("type words into the primary site",
		chromedp.Focus(css("#f-primarySite")),
		chromedp.Clear(css("#f-primarySite")),
		chromedp.SendKeys(css("#f-primarySite"), "breast upp"),
		firstOption("primarySite", "C504"),
	)
	run("move down", chromedp.KeyEvent(kb.ArrowDown))
	active, err := chromedp.Run(tab, chromedp.Evaluate[string](`(() => {
		const id = document.getElementById("f-primarySite").getAttribute("aria-activedescendant");
		const o = id && document.getElementById(id);
		return o && o.getAttribute("aria-selected") === "true" ? o.dataset.code : "";
	})()`))
	if err != nil || active != "C504" {
		t.Fatalf("active option after ArrowDown %q (%v), want C504", active, err)
	}
	run("pick with Enter", chromedp.KeyEvent(kb.Enter), listClosed("primarySite"))
	if got := value("#f-primarySite"); got != "C504" {
		t.Errorf("primary site holds %q after the pick, want C504", got)
	}
	if got := text(`[data-testid="label-primarySite"]`); got != "Upper-outer quadrant of breast" {
		t.Errorf("label after the pick %q, want Upper-outer quadrant of breast", got)
	}
	time.Sleep(300 * time.Millisecond) // a submitted form would have been posted by now
	if cs := f.loadCase(t, f.caseA); cs.Tumor.PrimarySite != "C341" {
		t.Fatalf("Enter in the look-up submitted the form: stored site %s", cs.Tumor.PrimarySite)
	}

	run("Escape closes the histology list",
		chromedp.Focus(css("#f-histologicTypeIcdO3")),
		chromedp.Clear(css("#f-histologicTypeIcdO3")),
		chromedp.SendKeys(css("#f-histologicTypeIcdO3"), "adeno"),
		firstOption("histologicTypeIcdO3", "8140"),
		chromedp.KeyEvent(kb.Escape),
		listClosed("histologicTypeIcdO3"),
	)
	// The histology look-up sends the site on the form (C504, just picked): extramammary Paget
	// disease is marked as never seen there.
	run("the histology look-up ranks for the site on the form",
		chromedp.SendKeys(css("#f-histologicTypeIcdO3"), strings.Repeat(kb.Backspace, len("adeno"))+"paget"),
		chromedp.PollFunction[chromedp.Void](`() => {
			const o = document.querySelector('#lb-histologicTypeIcdO3 [data-code="8542"]');
			return !!o && !!o.querySelector('[data-testid="lookup-unusual"]') && o.textContent.includes("C504");
		}`, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.SendKeys(css("#f-histologicTypeIcdO3"), strings.Repeat(kb.Backspace, len("paget"))+"adeno"),
		firstOption("histologicTypeIcdO3", "8140"),
		chromedp.KeyEvent(kb.Escape),
		listClosed("histologicTypeIcdO3"),
	)
	run("pick the histology with the keyboard",
		chromedp.SendKeys(css("#f-histologicTypeIcdO3"), strings.Repeat(kb.Backspace, len("adeno"))+"infiltrating duct"),
		firstOption("histologicTypeIcdO3", "8500"),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.KeyEvent(kb.Enter),
		listClosed("histologicTypeIcdO3"),
	)
	if got := value("#f-histologicTypeIcdO3"); got != "8500" {
		t.Errorf("histology holds %q after the pick, want 8500", got)
	}
	if got := text(`[data-testid="label-histologicTypeIcdO3"]`); got != "Infiltrating duct carcinoma, NOS" {
		t.Errorf("histology label after the pick %q", got)
	}

	run("save", chromedp.Click(testid("save")), chromedp.WaitVisible(testid("saved")))
	run("reload", chromedp.Reload(), chromedp.WaitVisible(css("#f-primarySite")))
	if got := value("#f-primarySite"); got != "C504" {
		t.Errorf("primary site after reload %q, want C504", got)
	}
	if got := value("#f-histologicTypeIcdO3"); got != "8500" {
		t.Errorf("histology after reload %q, want 8500", got)
	}
	if got := text(`[data-testid="label-primarySite"]`); got != "Upper-outer quadrant of breast" {
		t.Errorf("label after reload %q", got)
	}
	if cs := f.loadCase(t, f.caseA); cs.Tumor.PrimarySite != "C504" || cs.Tumor.Histology != "8500" {
		t.Errorf("stored %s/%s, want C504/8500", cs.Tumor.PrimarySite, cs.Tumor.Histology)
	}
	run("a click picks too",
		chromedp.Focus(css("#f-primarySite")),
		chromedp.Clear(css("#f-primarySite")),
		chromedp.SendKeys(css("#f-primarySite"), "lung"),
		firstOption("primarySite", "C349"),
		chromedp.Click(css(`#lb-primarySite [data-code="C349"]`)),
		listClosed("primarySite"),
	)
	if got := value("#f-primarySite"); got != "C349" {
		t.Errorf("primary site holds %q after a click, want C349", got)
	}
	if got := text(`[data-testid="label-primarySite"]`); got != "Bronchus or lung, NOS" {
		t.Errorf("label after a click %q, want Bronchus or lung, NOS", got)
	}
}
