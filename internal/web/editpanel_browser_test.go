package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestBrowserEditPanelFollowsAChangeRightAfterItsSwap changes a field in the moment after the
// edit panel was replaced (quick changes in a row, as arrow keys on a list or a look-up's pick
// followed by leaving the field make): the panel must still run the edits on the new value.
func TestBrowserEditPanelFollowsAChangeRightAfterItsSwap(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 60*time.Second, 1280, 1000)
	bt := newBrowserTab(t, tab, "cara-editpanel-failure.png")
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	bt.run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	bt.run("open the case",
		chromedp.Navigate(f.server.URL+casePath(f.caseA)+"?section=diagnosis"),
		chromedp.WaitVisible(testid("edits-clean")),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`),
	)
	// A change of the primary site runs the edits (none fails); as soon as their answer is
	// swapped in, the date of diagnosis changes to one before the date of birth (19580704).
	bt.run("change two fields in quick succession",
		chromedp.PollFunction[chromedp.Void](`() => {
			const form = document.getElementById("case-form");
			document.addEventListener("htmx:afterSwap", (e) => {
				if (e.detail.target.id !== "edit-panel") return;
				setTimeout(() => {
					const dx = document.getElementById("f-dateOfDiagnosis");
					dx.value = "19500101";
					dx.dispatchEvent(new Event("change", { bubbles: true }));
				}, 0);
			}, { once: true });
			const site = document.getElementById("f-primarySite");
			site.value = "C342";
			site.dispatchEvent(new Event("change", { bubbles: true }));
			return !!form;
		}`),
	)
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(css(`[data-testid="edit-failure"][data-edit="DateOfBirthBeforeDiagnosis"]`))); err != nil {
		bt.fail("the edit panel did not run the edits on the second change: %v", err)
	}
}
