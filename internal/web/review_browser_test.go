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

// TestBrowserReviewCycle takes a case through review in a real browser: the registrar sends it,
// the reviewer opens it from the queue, comments on the primary site (by keyboard, from the
// field's link) and returns it with a reason; the registrar finds it above the worklist, sees the
// comment beside the field, corrects the value, resolves the comment and sends the case again;
// the reviewer closes the comment and approves.
func TestBrowserReviewCycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 120*time.Second, 1280, 1000)

	bt := newBrowserTab(t, tab, "cara-review-failure.png")
	screenshot := bt.screenshot
	fail := bt.fail
	run := bt.run
	text := bt.text
	// ready waits until htmx has loaded on the page.
	ready := chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`)
	signIn := func(user string) {
		t.Helper()
		run("sign in as "+user,
			chromedp.Navigate(f.server.URL+"/login"),
			chromedp.WaitVisible(testid("login-form")),
			chromedp.SendKeys(css("#username"), user),
			chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
			chromedp.WaitVisible(testid("current-user")),
		)
	}
	signOut := func() {
		t.Helper()
		run("sign out", chromedp.Click(testid("logout")), chromedp.WaitVisible(testid("login-form")))
	}
	caseURL := f.server.URL + casePath(f.caseA)

	// The tab lives as long as tab: open it there, not in a step's shorter context.
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}

	signIn(registrarA)
	run("open the case", chromedp.Navigate(caseURL+"?section=diagnosis"), chromedp.WaitVisible(testid("action-send")), ready)
	run("send it to review",
		chromedp.Click(testid("action-send")),
		chromedp.WaitVisible(testid("action-withdraw")),
		chromedp.WaitVisible(testid("workflow-message")),
	)
	if msg := text(testid("workflow-message")); !strings.Contains(msg, "Sent to review") {
		fail("confirmation %q", msg)
	}
	signOut()

	signIn(reviewerA)
	run("open the review queue", chromedp.Click(testid("nav-review")), chromedp.WaitVisible(testid("review-row")))
	if got := text(testid("review-registrar")); got != "Rita Alder" {
		fail("queue says sent by %q", got)
	}
	run("open the case from the queue", chromedp.Click(testid("review-link")), chromedp.WaitVisible(testid("case-form")))
	run("review the Cancer identification section", chromedp.Click(testid("tab-diagnosis")), chromedp.WaitVisible(testid("comment-on-primarySite")))
	if _, err := chromedp.Run(tab, chromedp.WaitVisible(testid("edit-panel"))); err != nil {
		fail("no edit panel for the reviewer: %v", err)
	}
	run("comment on the primary site with the keyboard",
		chromedp.Focus(testid("comment-on-primarySite")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(css("#comment-body")),
		chromedp.Poll[chromedp.Void](`document.activeElement && document.activeElement.id === "comment-body"`),
		chromedp.SendKeys(css("#comment-body"), "The pathology report says lower lobe (C343)."),
		chromedp.Click(testid("add-comment")),
		chromedp.WaitVisible(testid("field-comment-primarySite")),
	)
	run("return it with a reason",
		chromedp.SendKeys(css("#workflow-reason"), "Primary site does not match the pathology report"),
		chromedp.Click(testid("action-return")),
		chromedp.WaitVisible(testid("workflow-message")),
	)
	if msg := text(testid("workflow-message")); !strings.Contains(msg, "Returned") {
		fail("after return: %q", msg)
	}
	signOut()

	signIn(registrarA)
	run("find the case returned above the worklist", chromedp.WaitVisible(testid("returned-row")))
	if got := text(testid("returned-reason")); got != "Primary site does not match the pathology report" {
		fail("returned reason %q", got)
	}
	run("open the returned case", chromedp.Click(testid("returned-link")), chromedp.WaitVisible(testid("case-form")))
	run("open the commented section", chromedp.Click(testid("tab-diagnosis")), chromedp.WaitVisible(testid("field-comment-primarySite")), ready)
	if got := text(testid("field-comment-primarySite")); !strings.Contains(got, "lower lobe (C343)") {
		fail("comment beside the field %q", got)
	}
	run("correct the primary site",
		chromedp.Clear(css("#f-primarySite")),
		chromedp.SendKeys(css("#f-primarySite"), "C343"),
		chromedp.Click(testid("save")),
		chromedp.WaitVisible(testid("saved")),
	)
	run("resolve the comment",
		chromedp.SendKeys(testid("resolve-note"), "Corrected to C343 from the pathology report."),
		chromedp.Click(testid("resolve")),
		chromedp.WaitVisible(testid("comment-message")),
		chromedp.WaitVisible(testid("action-send")),
		ready,
	)
	run("send it again",
		chromedp.Click(testid("action-send")),
		chromedp.WaitVisible(testid("action-withdraw")),
	)
	signOut()

	signIn(reviewerA)
	run("open the queue again", chromedp.Click(testid("nav-review")), chromedp.WaitVisible(testid("review-row")))
	run("open the case", chromedp.Click(testid("review-link")), chromedp.WaitVisible(testid("review-panel")), ready)
	if got := text(testid("comment-resolution")); !strings.Contains(got, "Corrected to C343") {
		fail("resolution shown %q", got)
	}
	run("close the comment",
		chromedp.Click(css(`[data-testid^="close-"]`)),
		chromedp.WaitVisible(testid("comment-message")),
		chromedp.WaitVisible(testid("action-approve")),
		ready,
	)
	if st, err := chromedp.Run(tab, chromedp.AttributeValue(testid("comment"), "data-state")); err != nil || st.Value != "closed" {
		fail("comment state %q (%v), want closed", st.Value, err)
	}
	run("approve",
		chromedp.Click(testid("action-approve")),
		chromedp.WaitVisible(testid("workflow-message")),
	)
	if msg := text(testid("workflow-message")); !strings.Contains(msg, "Approved") {
		fail("after approve: %q", msg)
	}
	if cs := f.loadCase(t, f.caseA); cs.Tumor.Status != "approved" || cs.Tumor.PrimarySite != "C343" {
		t.Errorf("stored case: %s, site %s; want approved with C343", cs.Tumor.Status, cs.Tumor.PrimarySite)
	}
	t.Logf("screenshot: %s", screenshot("cara-review.png"))
}
