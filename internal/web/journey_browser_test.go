package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/web"
	"github.com/cara-registry/cara/schemas"
)

// registryUser is the state registry's intake administrator, on the registry's own cara.
const registryUser = "registry"

// registry is the state registry's cara: its own database and server, which knows the hospital
// (facility A of the fixture, by its code) as a reporting facility and holds none of its cases.
// The hospital's cara cannot play both parts: it holds the case already, so its intake would only
// report the file's tumors as already received.
type registry struct {
	store    *store.Store
	server   *httptest.Server
	intaker  *submission.Intaker
	facility uint
}

func newRegistry(t *testing.T, hospital *store.Facility) *registry {
	t.Helper()
	ctx := context.Background()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	dicts, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := passwordHash()
	if err != nil {
		t.Fatal(err)
	}
	s := storetest.New(t, store.DialectSQLite)
	fac := &store.Facility{Code: hospital.Code, Name: hospital.Name, IDNumber: hospital.IDNumber}
	if err := s.CreateFacility(ctx, fac); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &store.User{Username: registryUser, DisplayName: "Rhea Registry", Role: string(auth.RoleAdmin), PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	k := &submission.Intaker{Store: s, Edits: cat.edits, Registry: dicts, Now: func() time.Time { return clock }}
	srv := httptest.NewServer(web.New(web.Deps{Store: s, Form: cat.form, Edits: cat.edits, Codes: cat.codes, SiteGroups: cat.siteGroups, NewCase: cat.newCase,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock },
		Intake: web.IntakeConfig{Dir: t.TempDir(), MaxBytes: 10 << 20, Intaker: k}}))
	t.Cleanup(srv.Close)
	return &registry{store: s, server: srv, intaker: k, facility: fac.ID}
}

// TestBrowserWholeJourney is the first thing a change must not break: one case from its first
// keystroke to the state registry, in a real browser, each person in a browser of their own.
// A registrar starts the case (patient search, new patient, new tumor, primary site and
// histology picked with the keyboard from the look-ups), sees an inter-field edit fire as she
// types a wrong date of diagnosis and go away when she corrects it, and sends the case to
// review. A reviewer comments on an item and returns the case; the registrar finds it under
// "Returned to you", resolves the comment and sends it again; the reviewer closes the comment
// and approves. The registrar makes a submission batch and downloads it; the registry's intake
// (the registry's own cara) uploads the downloaded file, reads a clean report, accepts it, and
// finds the case received.
func TestBrowserWholeJourney(t *testing.T) {
	t.Parallel()
	f, _ := withSubmissionDir(t, newFixture(t, storetest.New(t, store.DialectSQLite)))
	// The hospital has its NAACCR facility number, which its abstracts carry as reportingFacility
	// and by which the registry knows who sent a file.
	if _, err := f.store.DB().ExecContext(context.Background(), "UPDATE facilities SET id_number = ? WHERE id = ?", "1000001001", f.facA); err != nil {
		t.Fatal(err)
	}
	facA, err := f.store.FacilityByID(context.Background(), f.facA)
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t, facA)
	browserCtx := startBrowser(t, 90*time.Second, 1280, 1000)
	started := time.Now()

	// Each person has a browser context of their own: no cookies are shared.
	person := func(name string) *browserTab {
		t.Helper()
		tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		// The tab lives as long as tab: open it there, not in a step's shorter context.
		if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
			t.Fatalf("open %s's tab: %v", name, err)
		}
		return newBrowserTab(t, tab, "cara-journey-"+name+"-failure.png")
	}
	// ready waits until htmx has loaded on the page.
	ready := chromedp.Poll[chromedp.Void](`typeof htmx !== "undefined" && document.readyState === "complete"`)
	signIn := func(b *browserTab, base, user string) {
		t.Helper()
		b.run("sign in as "+user,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(testid("login-form")),
			chromedp.SendKeys(css("#username"), user),
			chromedp.SendKeys(css("#password"), testPassword),
			// Enter on its own: typed with the text, its key-up would go to a field that the
			// page it submitted has taken away.
			chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(testid("current-user")),
		)
	}
	// typeInto replaces what a text field holds with keys. (chromedp.Clear empties the value
	// attribute, which no longer shows once something was typed into the field.)
	typeInto := func(item, v string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.PollFunction[chromedp.Void](`(id) => { document.getElementById(id).value = ""; return true; }`, chromedp.WithPollingArgs("f-"+item)),
			chromedp.SendKeys(css("#f-"+item), v),
		)
	}
	wantText := func(b *browserTab, sel chromedp.CSS, want string) {
		t.Helper()
		if got, ok := b.textHas(sel, want); !ok {
			b.fail("%s shows %q, want %q in it", sel, got, want)
		}
	}

	// 1. The registrar starts the case.
	rita := person("registrar")
	signIn(rita, f.server.URL, registrarA)
	rita.run("click New case", chromedp.Click(testid("new-case")), chromedp.WaitVisible(testid("patient-search-form")))
	rita.run("search the patient, who is not there yet",
		chromedp.SendKeys(css("#name"), "Quimby, Odette"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(testid("no-patients")),
	)
	rita.run("enter a new patient", chromedp.Click(testid("new-patient")), chromedp.WaitVisible(testid("patient-form")))
	rita.run("fill in the patient",
		typeInto("nameLast", "Quimby"),
		typeInto("nameFirst", "Odette"),
		typeInto("dateOfBirth", "19610512"),
		chromedp.SetValue(css("#f-sexAssignedAtBirth"), "2"),
		chromedp.SetValue(css("#f-race1"), "01"),
		typeInto("medicalRecordNumber", "MR777001"),
	)
	rita.run("create the patient", chromedp.Click(testid("create-patient")), chromedp.WaitVisible(testid("tumor-form")), ready)
	rita.run("fill in the tumor", typeInto("accessionNumberHosp", "202500077"), typeInto("dateOfDiagnosis", "20250610"))
	rita.pick("primarySite", "breast upp", "C504")
	rita.run("add the tumor", chromedp.Click(testid("create-tumor")), chromedp.WaitVisible(testid("case-form")))
	wantText(rita, testid("case-title"), "Quimby, Odette")
	caseID := caseIDAt(rita)
	tumor := idString(caseID)

	rita.run("open the Cancer identification tab",
		chromedp.Click(testid("tab-diagnosis")),
		chromedp.WaitVisible(css("#f-histologicTypeIcdO3")),
		ready,
	)
	rita.pick("histologicTypeIcdO3", "infiltrating duct", "8500")
	rita.run("code laterality, behavior, confirmation and class of case",
		chromedp.SetValue(css("#f-laterality"), "2"),
		chromedp.SetValue(css("#f-behaviorCodeIcdO3"), "3"),
		chromedp.SetValue(css("#f-diagnosticConfirmation"), "1"),
		chromedp.SetValue(css("#f-classOfCase"), "10"),
	)

	// 2. A slip of the finger: a date of diagnosis before the date of birth. The edit panel
	// runs the edits as she leaves the field, before anything is saved.
	failing := `[data-testid="edit-failure"][data-edit="DateOfBirthBeforeDiagnosis"]`
	rita.run("type a date of diagnosis before the date of birth",
		typeInto("dateOfDiagnosis", "19250610"+kb.Tab),
		chromedp.WaitVisible(css(failing)),
	)
	wantText(rita, css(failing), "Date of Diagnosis 19250610 is before Date of Birth 19610512")
	rita.run("correct the date",
		typeInto("dateOfDiagnosis", "20250610"+kb.Tab),
		chromedp.WaitNotPresent(css(failing)),
		chromedp.WaitVisible(testid("edits-clean")),
	)
	rita.run("save", chromedp.Click(testid("save")), chromedp.WaitVisible(testid("saved")), ready)
	if cs := f.loadCase(t, caseID); cs.Tumor.DateOfDiagnosis != "20250610" || cs.Tumor.PrimarySite != "C504" || cs.Tumor.Histology != "8500" {
		rita.fail("stored case: diagnosed %s, %s %s; want 20250610, C504 8500", cs.Tumor.DateOfDiagnosis, cs.Tumor.PrimarySite, cs.Tumor.Histology)
	}

	// 3. She sends it to review.
	rita.run("send it to review",
		chromedp.Click(testid("action-send")),
		chromedp.WaitVisible(testid("action-withdraw")),
		chromedp.WaitVisible(testid("workflow-message")),
	)
	wantText(rita, testid("workflow-message"), "Sent to review")

	// 4. The reviewer comments on the date of diagnosis and returns the case.
	rory := person("reviewer")
	signIn(rory, f.server.URL, reviewerA)
	row := css(`[data-testid="review-row"][data-tumor="` + tumor + `"]`)
	rory.run("open the review queue", chromedp.Click(testid("nav-review")), chromedp.WaitVisible(row))
	wantText(rory, row, "Quimby, Odette")
	wantText(rory, css(`[data-testid="review-row"][data-tumor="`+tumor+`"] [data-testid="review-registrar"]`), "Rita Alder")
	rory.run("open the case from the queue",
		chromedp.Click(css(`[data-testid="review-row"][data-tumor="`+tumor+`"] [data-testid="review-link"]`)),
		chromedp.WaitVisible(testid("case-form")),
	)
	rory.run("review the Cancer identification section",
		chromedp.Click(testid("tab-diagnosis")),
		chromedp.WaitVisible(testid("comment-on-dateOfDiagnosis")),
		ready,
	)
	rory.run("comment on the date of diagnosis",
		chromedp.Click(testid("comment-on-dateOfDiagnosis")),
		chromedp.WaitVisible(css("#comment-body")),
		chromedp.SendKeys(css("#comment-body"), "Is 2025-06-10 the date of the biopsy? Please confirm."),
		chromedp.Click(testid("add-comment")),
		chromedp.WaitVisible(testid("field-comment-dateOfDiagnosis")),
		ready,
	)
	rory.run("return it with a reason",
		chromedp.SendKeys(css("#workflow-reason"), "Please confirm the date of diagnosis"),
		chromedp.Click(testid("action-return")),
		chromedp.WaitVisible(testid("workflow-message")),
	)
	wantText(rory, testid("workflow-message"), "Returned")

	// 5. The registrar finds it returned, resolves the comment and sends it again.
	returned := css(`[data-testid="returned-row"][data-tumor="` + tumor + `"]`)
	rita.run("find the case under Returned to you", chromedp.Click(testid("nav-worklist")), chromedp.WaitVisible(returned))
	wantText(rita, testid("returned"), "Returned to you")
	wantText(rita, css(`[data-testid="returned-row"][data-tumor="`+tumor+`"] [data-testid="returned-reason"]`), "Please confirm the date of diagnosis")
	rita.run("open the returned case",
		chromedp.Click(css(`[data-testid="returned-row"][data-tumor="`+tumor+`"] [data-testid="returned-link"]`)),
		chromedp.WaitVisible(testid("case-form")),
	)
	rita.run("open the commented section",
		chromedp.Click(testid("tab-diagnosis")),
		chromedp.WaitVisible(testid("field-comment-dateOfDiagnosis")),
		ready,
	)
	wantText(rita, testid("field-comment-dateOfDiagnosis"), "date of the biopsy")
	rita.run("resolve the comment with a note",
		chromedp.SendKeys(testid("resolve-note"), "Confirmed: the biopsy of 2025-06-10 is the first diagnosis."),
		chromedp.Click(testid("resolve")),
		chromedp.WaitVisible(testid("comment-message")),
		chromedp.WaitVisible(testid("action-send")),
		ready,
	)
	rita.run("send it again",
		chromedp.Click(testid("action-send")),
		chromedp.WaitVisible(testid("action-withdraw")),
	)
	wantText(rita, testid("workflow-message"), "Sent to review")

	// 6. The reviewer reads the resolution, closes the comment and approves.
	rory.run("open the queue again", chromedp.Click(testid("nav-review")), chromedp.WaitVisible(row))
	rory.run("open the case",
		chromedp.Click(css(`[data-testid="review-row"][data-tumor="`+tumor+`"] [data-testid="review-link"]`)),
		chromedp.WaitVisible(testid("review-panel")),
		ready,
	)
	wantText(rory, testid("comment-resolution"), "Confirmed: the biopsy of 2025-06-10")
	rory.run("close the comment",
		chromedp.Click(css(`[data-testid^="close-"]`)),
		chromedp.WaitVisible(testid("comment-message")),
		chromedp.WaitVisible(testid("action-approve")),
		ready,
	)
	if st, err := chromedp.Run(rory.ctx, chromedp.AttributeValue(testid("comment"), "data-state")); err != nil || st.Value != "closed" {
		rory.fail("comment state %q (%v), want closed", st.Value, err)
	}
	rory.run("approve", chromedp.Click(testid("action-approve")), chromedp.WaitVisible(testid("workflow-message")))
	wantText(rory, testid("workflow-message"), "Approved")
	wantText(rory, testid("case-status"), "Approved")

	// 7. The registrar makes the batch of the cases diagnosed in 2025 and downloads it.
	rita.run("open Submissions", chromedp.Click(testid("nav-submissions")), chromedp.WaitVisible(testid("submission-form")))
	wantText(rita, testid("pending-count"), "2 approved cases") // this case and the fixture's Jones, diagnosed in 2024
	rita.run("create the batch of 2025",
		chromedp.Click(testid("range-dates")),
		chromedp.SendKeys(testid("submission-from"), "20250101"),
		chromedp.SendKeys(testid("submission-to"), "20251231"),
		chromedp.Click(testid("preview-submission")),
		chromedp.WaitVisible(testid("submission-preview")),
	)
	wantText(rita, testid("preview-counts"), "1 tumor of 1 patient will be sent")
	rita.run("confirm the batch", chromedp.Click(testid("confirm-submission")), chromedp.WaitVisible(testid("submission-created")))
	wantText(rita, testid("submission-created"), "1 case is now submitted")
	wantText(rita, testid("submission-counts"), "1 patient, 1 tumor,")
	fileName, sum := rita.text(testid("submission-file")), rita.text(testid("submission-sha256"))
	body, downloadedAs := downloadByClick(rita, `[data-testid="submission-detail"] [data-testid="submission-download"]`)
	if downloadedAs != fileName {
		rita.fail("the browser saved the download as %q, the page names %q", downloadedAs, fileName)
	}
	if h := sha256.Sum256(body); hex.EncodeToString(h[:]) != sum {
		rita.fail("the downloaded file hashes to %x, the page says %s", h, sum)
	}
	wantPatientInFile(t, body, "Quimby", map[string]string{"primarySite": "C504", "histologicTypeIcdO3": "8500", "dateOfDiagnosis": "20250610"})
	batchPath := filepath.Join(t.TempDir(), fileName)
	if err := os.WriteFile(batchPath, body, 0o600); err != nil {
		t.Fatal(err)
	}

	// 8. The registry's intake takes the file in, reads the report and accepts it.
	rhea := person("registry")
	signIn(rhea, reg.server.URL, registryUser)
	rhea.run("open the intake page", chromedp.Click(testid("nav-intake")), chromedp.WaitVisible(testid("intake-form")))
	rhea.run("upload the downloaded batch",
		chromedp.SetUploadFiles(testid("intake-file"), []string{batchPath}),
		chromedp.Click(testid("intake-upload")),
		chromedp.WaitVisible(testid("intake-report")),
	)
	// The background job, which cara serve runs, checks the file.
	if err := (&submission.Runner{Intaker: reg.intaker}).RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The page polls until the check is done; reload if it has not caught up yet.
	ctx, cancel := context.WithTimeout(rhea.ctx, 5*time.Second)
	err = chromedp.Do(ctx, chromedp.WaitVisible(testid("intake-summary")))
	cancel()
	if err != nil {
		rhea.run("reload the report", chromedp.Reload(), chromedp.WaitVisible(testid("intake-summary")))
	}
	wantText(rhea, testid("intake-report"), fileName)
	for id, want := range map[string]string{
		"intake-record-type": "A", "intake-patients": "1", "intake-tumors": "1", "intake-structural": "0",
		"intake-edit-errors": "0", "intake-duplicates": "0", "intake-acceptable": "1", "intake-sending": facA.Name,
	} {
		if got := rhea.text(testid(id)); got != want {
			rhea.fail("report %s = %q, want %q", id, got, want)
		}
	}
	rhea.run("accept the file", chromedp.Click(testid("intake-accept")), chromedp.WaitVisible(testid("intake-accepted")))
	wantText(rhea, testid("intake-accepted"), "imported 1 tumor as received")
	// Straight to the search's page: typing in the search box also searches as you type, and
	// that swap could replace the rows while they were read.
	rhea.run("find the case on the worklist",
		chromedp.Navigate(reg.server.URL+"/cases?q=Quimby"),
		chromedp.WaitVisible(css(`[data-testid="worklist-row"] [data-testid="case-link"]`)),
	)
	wantText(rhea, testid("worklist-results"), "Quimby, Odette")
	wantText(rhea, testid("worklist-status"), "Received")
	rhea.run("open the received case", chromedp.Click(testid("case-link")), chromedp.WaitVisible(testid("case-form")))
	wantText(rhea, testid("case-title"), "Quimby, Odette")
	wantText(rhea, testid("case-status"), "Received")

	if got := f.loadCase(t, caseID).Tumor.Status; got != "submitted" {
		t.Errorf("the hospital's case is %s, want submitted", got)
	}
	rows, err := reg.store.Worklist(context.Background(), store.WorklistFilter{Scope: store.FacilityScope(reg.facility), Search: "Quimby"})
	if err != nil || len(rows) != 1 {
		t.Fatalf("the registry holds %d cases of Quimby (%v), want 1", len(rows), err)
	}
	got, err := reg.store.LoadCase(context.Background(), rows[0].TumorID, store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tumor.Status != "received" || got.Tumor.PrimarySite != "C504" || got.Tumor.Histology != "8500" || got.Patient.DateOfBirth != "19610512" {
		t.Errorf("the registry's case: %s, %s %s, born %s; want received C504 8500, born 19610512",
			got.Tumor.Status, got.Tumor.PrimarySite, got.Tumor.Histology, got.Patient.DateOfBirth)
	}

	if errors.Is(browserCtx.Err(), context.DeadlineExceeded) {
		t.Error("the journey ran out of time")
	}
	t.Logf("the journey took %s in the browser", time.Since(started).Round(100*time.Millisecond))
}

// caseIDAt is the id of the case the tab shows (its address is /cases/<id>).
func caseIDAt(b *browserTab) uint {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fail("location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(u.Path, "/cases/") {
		b.fail("at %q, want a case", loc)
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(u.Path, "/cases/"), 10, 32)
	if err != nil {
		b.fail("case id in %q: %v", loc, err)
	}
	return uint(id)
}

// downloadByClick clicks the download link sel selects and returns the file the browser saved
// and the name it saved it under (the server's Content-Disposition).
func downloadByClick(b *browserTab, sel string) ([]byte, string) {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	begin := chromedp.Events(ctx, browser.DownloadWillBegin)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	if err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			// The person's browser context, not the default one, is where the link is clicked.
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
				Behavior:         browser.SetDownloadBehaviorBehaviorAllowAndName,
				DownloadPath:     dir,
				EventsEnabled:    new(true),
			})
			return err
		}),
		chromedp.Click(css(sel)),
	); err != nil {
		b.fail("download: %v", err)
	}
	var name string
	for ev, err := range begin {
		if err != nil {
			b.fail("download did not begin: %v", err)
		}
		name = ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		if err != nil {
			b.fail("download did not complete: %v", err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			body, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				b.fail("downloaded file: %v", err)
			}
			return body, name
		case browser.DownloadProgressStateCanceled:
			b.fail("the download was cancelled")
		}
	}
	b.fail("no download")
	return nil, ""
}

// wantPatientInFile reads a NAACCR XML file as the registry does and fails unless it holds a
// patient of that last name whose tumor has the items.
func wantPatientInFile(t *testing.T, file []byte, nameLast string, tumor map[string]string) {
	t.Helper()
	dicts, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := naaccr.NewReader(bytes.NewReader(file), naaccr.ReaderOptions{Registry: dicts})
	if err != nil {
		t.Fatalf("downloaded batch: %v", err)
	}
	var names []string
	for {
		var p naaccr.Patient
		err := r.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("downloaded batch: %v", err)
		}
		names = append(names, p.Items["nameLast"])
		if p.Items["nameLast"] != nameLast {
			continue
		}
		if len(p.Tumors) != 1 {
			t.Fatalf("downloaded batch: %s has %d tumors, want 1", nameLast, len(p.Tumors))
		}
		for id, want := range tumor {
			if got := p.Tumors[0].Items[id]; got != want {
				t.Errorf("downloaded batch: %s's %s is %q, want %q", nameLast, id, got, want)
			}
		}
		return
	}
	t.Fatalf("downloaded batch has no patient %s (it has %v)", nameLast, names)
}
