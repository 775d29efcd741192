package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// feedbackTab signs registrar A in and opens a section of case A, ready for htmx.
func feedbackTab(t *testing.T, shot, section string) (*fixture, *browserTab) {
	t.Helper()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 90*time.Second, 1280, 1000)
	bt := newBrowserTab(t, tab, shot)
	bt.run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	bt.run("open the case",
		chromedp.Navigate(f.server.URL+casePath(f.caseA)+"?section="+section),
		chromedp.WaitVisible(testid("edit-panel")),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`),
	)
	return f, bt
}

// setField gives a field of the case form a value and fires its change, as leaving it does.
func setField(item, value string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](`(item, value) => {
		const el = document.getElementById("f-" + item);
		el.value = value;
		el.dispatchEvent(new Event("change", { bubbles: true }));
		return true;
	}`, chromedp.WithPollingArgs(item, value))
}

// waitFor polls a JavaScript condition for up to 5 seconds.
func waitFor(bt *browserTab, what, cond string) {
	bt.t.Helper()
	ctx, cancel := context.WithTimeout(bt.ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](cond)); err != nil {
		bt.fail("%s: %v", what, err)
	}
}

// meters reads a tab's meter ("2/3") and the case's total ("9 of 26 ...") as shown now.
func meters(bt *browserTab, section string) (tab, filled int) {
	bt.t.Helper()
	a, _, _ := strings.Cut(bt.text(css(`[data-testid="tab-`+section+`"] .meter`)), "/")
	tab, _ = strconv.Atoi(a)
	b, _, _ := strings.Cut(bt.text(testid("case-completeness")), " ")
	filled, _ = strconv.Atoi(b)
	return tab, filled
}

// The meters count what the form holds after every partial answer: the edits re-run on a change,
// and an htmx save, up and down, without a reload.
func TestBrowserMetersFollowEditsAndSaves(t *testing.T) {
	t.Parallel()
	_, bt := feedbackTab(t, "cara-meters-failure.png", "identification")
	tab0, total0 := meters(bt, "identification")
	if tab0 == 0 || total0 == 0 {
		bt.fail("no meters: tab %d, total %d", tab0, total0)
	}
	check := func(what string, dTab int) {
		bt.t.Helper()
		waitFor(bt, what, `document.querySelector('[data-testid="tab-identification"] .meter').textContent.trim().startsWith("`+
			strconv.Itoa(tab0+dTab)+`/")`)
		if tab, total := meters(bt, "identification"); tab != tab0+dTab || total != total0+dTab {
			bt.fail("%s: meters %d and %d, want %d and %d", what, tab, total, tab0+dTab, total0+dTab)
		}
	}
	// The date of first contact is required and blank in the fixture.
	bt.run("enter the date of first contact", setField("dateOf1stContact", "20250320"))
	check("after the edits re-ran on the entry", 1)
	bt.run("save", chromedp.Click(testid("save")), chromedp.WaitVisible(testid("saved")))
	check("after the save", 1)
	// A reload shows what the partial answers showed.
	bt.run("reload", chromedp.Reload(), chromedp.WaitVisible(testid("edit-panel")))
	if tab, total := meters(bt, "identification"); tab != tab0+1 || total != total0+1 {
		bt.fail("after a reload: meters %d and %d, want %d and %d", tab, total, tab0+1, total0+1)
	}
}

// While editing, the fields a failing edit names are flagged as after a save, and unflagged once
// it passes; the site/histology warning is in the edit panel as well as beside the field.
func TestBrowserEditRerunMarksAndUnmarksFields(t *testing.T) {
	t.Parallel()
	_, bt := feedbackTab(t, "cara-editflags-failure.png", "diagnosis")
	flagged := `(() => { const f = document.querySelector('[data-testid="field-dateOfDiagnosis"]');
		return f.classList.contains("has-flag") && !!f.querySelector('[data-testid="flag-dateOfDiagnosis"]'); })()`
	// Before the date of birth (19580704): DateOfBirthBeforeDiagnosis fails.
	bt.run("enter a date of diagnosis before birth", setField("dateOfDiagnosis", "19500101"))
	waitFor(bt, "the date of diagnosis is flagged while editing", flagged)
	bt.run("correct it", setField("dateOfDiagnosis", "20250314"))
	waitFor(bt, "the flag is gone once the edit passes", `!`+flagged)

	bt.run("enter an unusual site and histology", setField("primarySite", "C619"), setField("histologicTypeIcdO3", "8720"))
	waitFor(bt, "the site/histology warning is in the edit panel",
		`[...document.querySelectorAll('#edit-panel [data-testid="edit-note"]')].some(n => n.textContent.includes("Unusual for C619"))`)
	waitFor(bt, "and beside the histology field",
		`[...document.querySelectorAll('[data-testid="flag-histologicTypeIcdO3"]')].some(n => n.textContent.includes("Unusual for C619"))`)
	bt.run("a usual histology", setField("histologicTypeIcdO3", "8140"))
	waitFor(bt, "the warning is gone from the panel", `!document.querySelector('#edit-panel [data-testid="edit-note"]')`)
}

// A send refused for failing edit errors shows its banner until the errors are fixed in the
// form, and again when they come back.
func TestBrowserBlockedSendBannerFollowsTheErrors(t *testing.T) {
	t.Parallel()
	_, bt := feedbackTab(t, "cara-blocked-failure.png", "diagnosis")
	bt.run("save a date of diagnosis before birth",
		// The change re-runs the edits (htmx); once that has landed the button is where it stays.
		setField("dateOfDiagnosis", "19500101"), chromedp.Poll[chromedp.Void](htmxIdle),
		chromedp.Click(testid("save")), chromedp.WaitVisible(testid("saved")))
	bt.run("send to review", chromedp.Click(testid("action-send")), chromedp.WaitVisible(testid("workflow-message")))
	banner := `(() => { const m = document.querySelector('[data-testid="workflow-message"]');
		return !!m && m.textContent.includes("Cannot send") && m.textContent.includes("1 failing edit error"); })()`
	waitFor(bt, "the send is refused for the edit error", banner)
	bt.run("correct the date", setField("dateOfDiagnosis", "20250314"))
	waitFor(bt, "the banner is gone once the error is fixed", `!document.querySelector('[data-testid="workflow-message"]')`)
	bt.run("break it again", setField("dateOfDiagnosis", "19500101"))
	waitFor(bt, "the banner is back with the error", banner)
	bt.run("correct and save", setField("dateOfDiagnosis", "20250314"), chromedp.Poll[chromedp.Void](htmxIdle),
		chromedp.Click(testid("save")), chromedp.WaitVisible(testid("saved")))
	waitFor(bt, "no banner after saving the correction", `!document.querySelector('[data-testid="workflow-message"]')`)
}
