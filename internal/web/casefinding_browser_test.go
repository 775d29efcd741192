package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

// TestBrowserDecidesAPossibleCaseNotReportable: on the suspense page a registrar opens the
// match's reasons, chooses one possible case, gives a reason and a text, and decides it is not
// reportable; htmx swaps the list, the case leaves the waiting list, and the store has the
// decision with who and why.
func TestBrowserDecidesAPossibleCaseNotReportable(t *testing.T) {
	t.Parallel()
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	lists, err := casefinding.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc := casefinding.New(s, lists, nil, f.now)
	if _, err := svc.Import(context.Background(), casefinding.Actor{Scope: store.AllFacilities}, f.facA,
		strings.NewReader(webCasefindingCSV), "week48.csv", "other"); err != nil {
		t.Fatal(err)
	}
	tab := startBrowser(t, 90*time.Second, 1400, 1000)
	bt := newBrowserTab(t, tab, "cara-casefinding-failure.png")
	run := bt.run

	run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	run("open the suspense list", chromedp.Click(testid("nav-casefinding")), chromedp.WaitVisible(testid("suspense-table")),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`))
	quinn := `[data-testid="suspense-row"][data-mrn="MR200002"]`
	run("read the match's reasons", chromedp.Click(css(quinn+` [data-testid="match"] summary`)),
		chromedp.WaitVisible(css(quinn+` [data-testid="match-reasons"]`)))
	if got, ok := bt.textHas(css(quinn+` [data-testid="match-reasons"]`), "a new patient"); !ok {
		t.Errorf("Quinn's reasons %q", got)
	}
	run("choose Quinn and say why",
		chromedp.Click(css(quinn+` [data-testid="choose"]`)),
		chromedp.SetValue(testid("reason"), "history_only"),
		chromedp.SendKeys(testid("note"), "seen for follow-up only"),
		chromedp.Click(testid("bulk-not-reportable")),
	)
	if got, ok := bt.textHas(testid("decision-outcome"), "1 possible case decided."); !ok {
		bt.fail("decision outcome %q", got)
	}
	if got := bt.text(testid("suspense-count")); !strings.HasPrefix(got, "1 possible case") {
		t.Errorf("after the decision the list says %q, want 1 possible case waiting", got)
	}
	var status, reason, note string
	var by *uint
	if err := s.DB().QueryRow("SELECT status, reason, decision_note, decided_by FROM suspense_records WHERE mrn = 'MR200002'").
		Scan(&status, &reason, &note, &by); err != nil {
		t.Fatal(err)
	}
	if status != store.SuspenseNotReportable || reason != "history_only" || note != "seen for follow-up only" || by == nil || *by != f.users[registrarA].ID {
		t.Errorf("stored decision %s %s %q by %v", status, reason, note, by)
	}
}

// TestBrowserAddsAPossibleCaseToAPatientPicked: Enter in the decision form's text field decides
// nothing; "Add to a patient…" opens the picker in the page, typing searches the facility's
// patients, and choosing one adds the possible case to that patient, the list swapped by htmx.
func TestBrowserAddsAPossibleCaseToAPatientPicked(t *testing.T) {
	t.Parallel()
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	lists, err := casefinding.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc := casefinding.New(s, lists, nil, f.now)
	if _, err := svc.Import(context.Background(), casefinding.Actor{Scope: store.AllFacilities}, f.facA,
		strings.NewReader(webCasefindingCSV), "week48.csv", "other"); err != nil {
		t.Fatal(err)
	}
	jones := f.loadCase(t, f.approvedA).Patient.ID
	tab := startBrowser(t, 90*time.Second, 1400, 1000)
	bt := newBrowserTab(t, tab, "cara-casefinding-picker-failure.png")
	run := bt.run

	run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	run("open the suspense list", chromedp.Click(testid("nav-casefinding")), chromedp.WaitVisible(testid("suspense-table")),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`))
	run("press Enter in the text field",
		chromedp.SendKeys(testid("note"), "typed"+kb.Enter),
		chromedp.Sleep(500*time.Millisecond),
	)
	if n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="decision-outcome"]').length`)); err != nil || n != 0 {
		t.Errorf("Enter in the text field decided something (%d outcomes, %v)", n, err)
	}
	quinn := `[data-testid="suspense-row"][data-mrn="MR200002"]`
	run("open the patient picker", chromedp.Click(css(quinn+` [data-testid="other-patient"]`)),
		chromedp.WaitVisible(testid("picker-q")), chromedp.Poll[chromedp.Void](htmxIdle))
	if got, ok := bt.textHas(testid("picker-results"), "No patient of the facility"); !ok {
		t.Errorf("the picker starts with %q, want no patient named Quinn", got)
	}
	patient := `[data-testid="picker-patient"][data-patient="` + idString(jones) + `"]`
	run("search for Jones",
		chromedp.Clear(testid("picker-q")),
		chromedp.SendKeys(testid("picker-q"), "Jon"),
		chromedp.WaitVisible(css(patient)),
		// A search per pause in the typing: the last one's results, bound by htmx, are clicked.
		chromedp.Sleep(400*time.Millisecond),
		chromedp.Poll[chromedp.Void](htmxIdle),
	)
	run("add Quinn's possible case to Jones", chromedp.Click(css(patient+` [data-testid="pick-patient"]`)))
	if got, ok := bt.textHas(testid("decision-outcome"), "1 possible case decided."); !ok {
		bt.fail("decision outcome %q", got)
	}
	var status string
	var tumorID uint
	if err := s.DB().QueryRow("SELECT status, tumor_id FROM suspense_records WHERE mrn = 'MR200002'").Scan(&status, &tumorID); err != nil {
		t.Fatal(err)
	}
	if cs := f.loadCase(t, tumorID); status != store.SuspenseAddedToPatient || cs.Patient.ID != jones {
		t.Errorf("Quinn's record is %s, its case of patient %d, want added to Jones %d", status, cs.Patient.ID, jones)
	}
}
