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

// TestBrowserReleaseRequestApproveExtractDownload: a registrar drafts a de-identified request
// picking a whole section (the patient's, names included) and two items by name and id; an
// administrator approves it, runs the CSV extract and downloads it: the file hashes to the log's
// SHA-256 and holds the picked items the level allows, no name; the patient page lists the
// release in its accounting of disclosures.
func TestBrowserReleaseRequestApproveExtractDownload(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 90*time.Second, 1280, 1400)
	bt := newBrowserTab(t, tab, "cara-release-failure.png")
	signIn := func(user string) {
		bt.run("sign in as "+user,
			chromedp.Navigate(f.server.URL+"/login"),
			chromedp.WaitVisible(testid("login-form")),
			chromedp.SendKeys(css("#username"), user),
			chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
			chromedp.WaitVisible(testid("current-user")),
		)
	}
	signIn(registrarA)
	bt.run("open Releases", chromedp.Click(testid("nav-releases")), chromedp.WaitVisible(testid("request-form")))
	bt.run("draft a request",
		chromedp.SendKeys(css("#requester_name"), "Dr. Lee"),
		chromedp.SendKeys(css("#organization"), "State University"),
		chromedp.SendKeys(css("#email"), "lee@example.org"),
		chromedp.SendKeys(css("#purpose"), "Survival by stage"),
		chromedp.SetValue(css("#legal_basis"), "irb"),
		chromedp.SendKeys(css("#legal_reference"), "IRB-2026-14"),
		chromedp.SetValue(css("#privacy_level"), "deidentified"),
		chromedp.Click(testid("section-patient")),
		chromedp.SendKeys(testid("items"), "Primary Site, dateOfDiagnosis"),
		chromedp.Click(testid("draft-request")),
		chromedp.WaitVisible(testid("release-request")),
	)
	if got := bt.text(testid("request-status")); got != "draft" {
		t.Fatalf("status after drafting %q", got)
	}
	if got := bt.text(testid("request-dropped")); !strings.Contains(got, "Name--Last") {
		t.Errorf("the page does not say the level drops the last name: %q", got)
	}
	reqURL, err := chromedp.Run(tab, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	bt.run("sign out", chromedp.Click(testid("logout")), chromedp.WaitVisible(testid("login-form")))
	signIn(adminUser)
	bt.run("approve",
		chromedp.Navigate(f.server.URL+reqURL),
		chromedp.WaitVisible(testid("approve-form")),
		chromedp.Click(testid("approve")),
		chromedp.WaitVisible(testid("run-form")),
	)
	if got := bt.text(testid("request-status")); got != "approved" {
		t.Fatalf("status after approving %q", got)
	}
	bt.run("run the CSV extract", chromedp.Click(testid("run")), chromedp.WaitVisible(testid("release-log")))
	sha, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid="release-log"] td.code').title`))
	if err != nil || len(sha) != 64 {
		t.Fatalf("release log SHA-256 %q, %v", sha, err)
	}
	href, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid^="download-"]').href`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`fetch(`+jsString(href)+`).then(r => r.arrayBuffer()).then(async buf => {
		const h = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", buf))).map(b => b.toString(16).padStart(2, "0")).join("");
		return [h, new TextDecoder().decode(buf)];
	})`, chromedp.EvalAwaitPromise))
	if err != nil || len(got) != 2 {
		t.Fatalf("download %s: %v", href, err)
	}
	if got[0] != sha {
		t.Errorf("downloaded file hashes to %s, the log says %s", got[0], sha)
	}
	head, _, _ := strings.Cut(got[1], "\n")
	if !strings.Contains(head, "primarySite") || !strings.Contains(head, "dateOfDiagnosis") || !strings.Contains(head, "dateOfBirth") {
		t.Errorf("extract header %q lacks picked items", head)
	}
	for _, bad := range []string{"nameLast", "nameFirst", "socialSecurityNumber", "medicalRecordNumber"} {
		if strings.Contains(head, bad) {
			t.Errorf("de-identified extract header %q has %s", head, bad)
		}
	}
	bt.run("aggregate", chromedp.Click(testid("show-aggregate")), chromedp.WaitVisible(testid("aggregate")))
	if got := bt.text(testid("aggregate")); !strings.Contains(got, "<11") {
		t.Errorf("the aggregate of a few cases shows no suppressed cell: %q", got)
	}
	pid := f.loadCase(t, f.caseA).Patient.ID
	bt.run("the patient's accounting of disclosures",
		chromedp.Navigate(f.server.URL+"/patients/"+idString(pid)),
		chromedp.WaitVisible(testid("show-disclosures")),
		chromedp.Click(testid("show-disclosures")),
		chromedp.WaitVisible(testid("disclosures")),
	)
	if got := bt.text(testid("disclosures")); !strings.Contains(got, "Dr. Lee") || !strings.Contains(got, "Survival by stage") {
		t.Errorf("accounting of disclosures: %q", got)
	}
}
