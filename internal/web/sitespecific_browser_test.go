package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// htmxIdle is true when no htmx request is in flight and no swap is settling.
const htmxIdle = `typeof htmx !== "undefined" && document.readyState === "complete" &&
	!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`

// Changing the primary site of a breast case to the lung changes the site-specific section: while
// editing, the schema line and the section's tab say Lung (the re-run of the edits, no reload);
// after the save the section holds the lung's items, not HER2, and lists the HER2 value for the
// registrar to clear, which she does without a reload.
func TestBrowserSiteSpecificSectionFollowsThePrimarySite(t *testing.T) {
	t.Parallel()
	f, bt := feedbackTab(t, "cara-sitespecific-failure.png", siteSpecific)
	// Before the browser: the case is a breast case with a HER2 value (plain posts).
	c := f.signIn(t, registrarA)
	recode(t, c, f.caseA, "C504", "8500")
	c.save(t, c.openCase(t, f.caseA, siteSpecific), map[string]string{"her2OverallSummary": "1"}).wantStatus(http.StatusSeeOther)

	url := f.server.URL + casePath(f.caseA)
	bt.run("open the breast case's site-specific section",
		chromedp.Navigate(url+"?section="+siteSpecific),
		chromedp.WaitVisible(testid("field-her2OverallSummary")),
		chromedp.Poll[chromedp.Void](htmxIdle),
	)
	if got, ok := bt.textHas(testid("schema-reason"), "Breast"); !ok {
		bt.fail("schema reason %q, want Breast", got)
	}
	if got, ok := bt.textHas(testid("note-"+siteSpecific), "Breast"); !ok {
		bt.fail("tab note %q, want Breast", got)
	}

	bt.run("open the diagnosis section",
		chromedp.Click(testid("tab-diagnosis")),
		chromedp.WaitVisible(testid("schema-line")),
		chromedp.Poll[chromedp.Void](htmxIdle),
	)
	// A mark on the page's window: a reload would lose it.
	bt.run("mark the page", chromedp.Poll[chromedp.Void](`(window.caraNoReload = true)`))
	bt.run("change the primary site to the upper lobe of the lung", setField("primarySite", "C341"))
	// The re-run of the edits answers with the schema line and the tab's note, out of band.
	if got, ok := bt.textHas(testid("schema-line"), "Lung"); !ok {
		bt.fail("schema line %q after the change, want Lung", got)
	}
	if got, ok := bt.textHas(testid("note-"+siteSpecific), "Lung"); !ok {
		bt.fail("tab note %q after the change, want Lung", got)
	}
	bt.run("save", chromedp.Poll[chromedp.Void](htmxIdle), chromedp.Click(testid("save")), chromedp.WaitVisible(testid("saved")))
	if bt.count(`[data-testid="saved"]`) != 1 || !bt.noReload() {
		bt.fail("the change or the save reloaded the page")
	}

	bt.run("open the site-specific section",
		chromedp.Click(testid("tab-"+siteSpecific)),
		chromedp.WaitVisible(testid("field-separateTumorNodules")),
		chromedp.Poll[chromedp.Void](htmxIdle),
	)
	if got, ok := bt.textHas(testid("schema-reason"), "Lung"); !ok {
		bt.fail("schema reason %q, want Lung", got)
	}
	if n := bt.count(`[data-testid="field-her2OverallSummary"]`); n != 0 {
		bt.fail("the lung section shows HER2")
	}
	if got, ok := bt.textHas(css(`[data-testid="outside-item"][data-item="her2OverallSummary"]`), "1"); !ok {
		bt.fail("HER2 outside the schema shows %q, want its value 1", got)
	}
	bt.run("mark the page", chromedp.Poll[chromedp.Void](`(window.caraNoReload = true)`))
	bt.run("clear HER2",
		chromedp.Click(testid("clear-her2OverallSummary")),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[data-testid="outside"]') && !!document.querySelector('[data-testid="field-separateTumorNodules"]')`),
		chromedp.Poll[chromedp.Void](htmxIdle),
	)
	if !bt.noReload() {
		bt.fail("clearing HER2 reloaded the page")
	}
	if v, ok := f.loadCase(t, f.caseA).Tumor.Items["her2OverallSummary"]; ok {
		bt.fail("HER2 still stored as %q after clearing", v)
	}
}

// noReload reports whether the page still carries the mark set on its window (no reload since).
func (b *browserTab) noReload() bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.caraNoReload === true`))
	if err != nil {
		b.fail("read the page's mark: %v", err)
	}
	return ok
}

// count is how many elements sel selects now.
func (b *browserTab) count(sel string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		b.fail("count %s: %v", sel, err)
	}
	return n
}
