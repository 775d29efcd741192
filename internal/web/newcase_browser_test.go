package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestBrowserStartsNewCaseWithTheKeyboard starts a case from the worklist in a real browser: the
// search finds nobody, the patient is entered, the tumor is added with its primary site picked
// through the look-up by keyboard, and on the case form that opens the histology is picked the
// same way and saved. The codes must be there after a reload and in the store.
func TestBrowserStartsNewCaseWithTheKeyboard(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 90*time.Second, 1280, 1000)

	bt := newBrowserTab(t, tab, "cara-newcase-failure.png")
	screenshot := bt.screenshot
	fail := bt.fail
	run := bt.run
	value := bt.value
	pick := bt.pick
	// typeInto replaces what a text field holds with keys.
	typeInto := func(item, v string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.Clear(css("#f-"+item)), chromedp.SendKeys(css("#f-"+item), v))
	}

	run("sign in",
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), registrarA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("worklist-row")),
	)
	run("click New case", chromedp.Click(testid("new-case")), chromedp.WaitVisible(testid("patient-search-form")))
	run("search a patient who is not there",
		chromedp.SendKeys(css("#name"), "Quimby, Odette"), chromedp.SendKeys(css("#name"), kb.Enter),
		chromedp.WaitVisible(testid("no-patients")),
	)
	run("enter a new patient", chromedp.Click(testid("new-patient")), chromedp.WaitVisible(testid("patient-form")))
	run("fill in the patient",
		typeInto("nameLast", "Quimby"),
		typeInto("nameFirst", "Odette"),
		typeInto("dateOfBirth", "19610512"),
		chromedp.SetValue(css("#f-sexAssignedAtBirth"), "2"),
		chromedp.SetValue(css("#f-race1"), "01"),
		typeInto("medicalRecordNumber", "MR777001"),
	)
	run("create the patient", chromedp.Click(testid("create-patient")), chromedp.WaitVisible(testid("tumor-form")))
	if got := value("#f-medicalRecordNumber"); got != "MR777001" {
		t.Errorf("tumor form MRN %q, want the patient step's MR777001", got)
	}
	if got := value("#f-sequenceNumberHospital"); got != "00" {
		t.Errorf("suggested sequence number %q, want 00", got)
	}
	run("fill in the tumor",
		typeInto("medicalRecordNumber", "MR777001"),
		typeInto("dateOfDiagnosis", "20250610"),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`),
	)
	pick("primarySite", "breast upp", "C504")
	run("add the tumor", chromedp.Click(testid("create-tumor")), chromedp.WaitVisible(testid("case-form")))

	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		fail("location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(u.Path, "/cases/") {
		fail("after adding the tumor at %q, want a case", loc)
	}
	id64, err := strconv.ParseUint(strings.TrimPrefix(u.Path, "/cases/"), 10, 32)
	if err != nil {
		fail("case id in %q: %v", loc, err)
	}
	caseID := uint(id64)
	if cs := f.loadCase(t, caseID); cs.Tumor.PrimarySite != "C504" || cs.Patient.NameLast != "Quimby" {
		fail("stored new case: site %q, patient %q", cs.Tumor.PrimarySite, cs.Patient.NameLast)
	}

	run("open the Cancer identification tab",
		chromedp.Click(testid("tab-diagnosis")),
		chromedp.WaitVisible(css("#f-primarySite")),
		chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`),
	)
	if got := value("#f-primarySite"); got != "C504" {
		t.Errorf("case form primary site %q, want C504", got)
	}
	run("code laterality and behavior",
		chromedp.SetValue(css("#f-laterality"), "2"),
		chromedp.SetValue(css("#f-behaviorCodeIcdO3"), "3"),
	)
	pick("histologicTypeIcdO3", "infiltrating duct", "8500")
	run("save", chromedp.Click(testid("save")), chromedp.WaitVisible(testid("saved")))
	run("reload", chromedp.Reload(), chromedp.WaitVisible(css("#f-primarySite")))
	if got := value("#f-primarySite"); got != "C504" {
		t.Errorf("primary site after reload %q, want C504", got)
	}
	if got := value("#f-histologicTypeIcdO3"); got != "8500" {
		t.Errorf("histology after reload %q, want 8500", got)
	}
	if got := value("#f-behaviorCodeIcdO3"); got != "3" {
		t.Errorf("behavior after reload %q, want 3", got)
	}
	cs := f.loadCase(t, caseID)
	if cs.Tumor.PrimarySite != "C504" || cs.Tumor.Histology != "8500" || cs.Tumor.Behavior != "3" {
		t.Errorf("stored %s %s/%s, want C504 8500/3", cs.Tumor.PrimarySite, cs.Tumor.Histology, cs.Tumor.Behavior)
	}
	if cs.Patient.NameFirst != "Odette" || cs.Patient.DateOfBirth != "19610512" || cs.Tumor.MedicalRecordNumber != "MR777001" {
		t.Errorf("stored patient %s, %s born %s, MRN %s", cs.Patient.NameLast, cs.Patient.NameFirst, cs.Patient.DateOfBirth, cs.Tumor.MedicalRecordNumber)
	}
	if t.Failed() {
		t.Logf("screenshot: %s", screenshot("cara-newcase-failure.png"))
	}
}
