package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/synth"
	"github.com/cara-registry/cara/internal/web"
	"github.com/cara-registry/cara/schemas"
)

// intakeFixture is the fixture with the intake configured: uploads go to a temporary folder, at
// most maxBytes, and jobs run when the test calls runIntakes.
type intakeFixture struct {
	*fixture
	intaker *submission.Intaker
	dir     string
}

func newIntakeFixture(t testing.TB, s *store.Store, maxBytes int64) *intakeFixture {
	t.Helper()
	f := newFixture(t, s)
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	k := &submission.Intaker{Store: s, Edits: cat.edits, Registry: reg, Now: func() time.Time { return clock }}
	dir := t.TempDir()
	handler := web.New(web.Deps{Store: s, Form: cat.form, Edits: cat.edits, Codes: cat.codes, SiteGroups: cat.siteGroups, NewCase: cat.newCase,
		Logger: slog.New(slog.NewTextHandler(f.log, nil)), Now: func() time.Time { return clock }, Hasher: mustTestHasher(t),
		Intake: web.IntakeConfig{Dir: dir, MaxBytes: maxBytes, Intaker: k}})
	f.server.Close()
	f.server = httptest.NewServer(handler)
	t.Cleanup(f.server.Close)
	return &intakeFixture{fixture: f, intaker: k, dir: dir}
}

func (f *intakeFixture) runIntakes(t testing.TB) {
	t.Helper()
	if err := (&submission.Runner{Intaker: f.intaker}).RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// synthFile is a synthetic NAACCR XML file of n patients, gzip-compressed when gz.
func synthFile(t testing.TB, n int, gz bool) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := synth.Generate(context.Background(), &b, synth.Options{Patients: n, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	if !gz {
		return b.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b.Bytes())
	zw.Close()
	return z.Bytes()
}

// upload posts a file through the intake form, fields first as a browser sends them.
func (c *client) upload(t testing.TB, csrf string, facility uint, name string, data []byte, header ...string) *page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("_csrf", csrf)
	if facility != 0 {
		mw.WriteField("facility", strconv.FormatUint(uint64(facility), 10))
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+"/intake", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(b))
	return &page{t: t, status: resp.StatusCode, header: resp.Header, body: string(b), doc: doc}
}

func intakeIDOf(t testing.TB, p *page) string {
	t.Helper()
	p.wantStatus(http.StatusSeeOther)
	loc := p.location()
	if !strings.HasPrefix(loc, "/intake/") {
		t.Fatalf("upload went to %q", loc)
	}
	return strings.TrimPrefix(loc, "/intake/")
}

func TestIntakeUploadPlainAndGzipIsCheckedAndReported(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newIntakeFixture(t, s, 50<<20)
		c := f.signIn(t, registrarA)
		csrf := c.csrf(t)
		for _, gz := range []bool{false, true} {
			name := "hosp.xml"
			if gz {
				name += ".gz"
			}
			data := synthFile(t, 12, gz)
			id := intakeIDOf(t, c.upload(t, csrf, f.facA, name, data))

			// Queued: the page polls its progress.
			p := c.get(t, "/intake/"+id)
			p.wantStatus(http.StatusOK)
			if trig, _ := p.testid("intake-progress").Attr("hx-trigger"); trig != "every 1s" {
				t.Errorf("%s: queued intake does not poll (hx-trigger %q)", name, trig)
			}
			f.runIntakes(t)
			prog := c.get(t, "/intake/"+id+"/progress?poll=1", "HX-Request", "true")
			prog.wantStatus(http.StatusOK)
			if prog.header.Get("HX-Refresh") != "true" || prog.testid("intake-state").Text() != "done" {
				t.Errorf("%s: progress after the run: state %q, HX-Refresh %q", name, prog.testid("intake-state").Text(), prog.header.Get("HX-Refresh"))
			}

			p = c.get(t, "/intake/"+id)
			p.wantStatus(http.StatusOK)
			if got := p.testid("intake-patients").Text(); got != "12" {
				t.Errorf("%s: report shows %q patients, want 12", name, got)
			}
			if p.testid("intake-version").Text() != "260" || p.testid("intake-record-type").Text() != "A" {
				t.Errorf("%s: version %q, record type %q", name, p.testid("intake-version").Text(), p.testid("intake-record-type").Text())
			}
			if p.testid("intake-chart").Length() != 1 || p.testid("intake-edit-row").Length() == 0 {
				t.Errorf("%s: no chart or edit counts on the report", name)
			}
			in, err := s.Intake(context.Background(), parseID(t, id), store.AllFacilities)
			if err != nil {
				t.Fatal(err)
			}
			if in.SizeBytes != int64(len(data)) || in.FileName != name || len(in.SHA256) != 64 {
				t.Errorf("%s: stored %d bytes as %q (sha %q), want %d", name, in.SizeBytes, in.FileName, in.SHA256, len(data))
			}
			if stored, err := os.ReadFile(in.StoredPath); err != nil || !bytes.Equal(stored, data) {
				t.Errorf("%s: stored file differs from the upload (%v)", name, err)
			}
			if len(f.auditEvents(t, audit.IntakeUpload, "intake", id)) != 1 {
				t.Errorf("%s: upload not audited", name)
			}

			fails := c.get(t, "/intake/"+id+"/failures?severity=error")
			fails.wantStatus(http.StatusOK)
			if fails.testid("intake-failure-row").Length() == 0 {
				t.Errorf("%s: no failing records listed", name)
			}
			csv := c.get(t, "/intake/"+id+"/report.csv")
			csv.wantStatus(http.StatusOK)
			if !strings.HasPrefix(csv.body, "patient,tumor,patientIdNumber,sequence,edit,severity,item,message\n") || strings.Count(csv.body, "\n") < 2 {
				t.Errorf("%s: CSV report:\n%.400s", name, csv.body)
			}
			html := c.get(t, "/intake/"+id+"/report.html")
			if html.status != http.StatusOK || !strings.Contains(html.body, "Edit report") {
				t.Errorf("%s: HTML report status %d", name, html.status)
			}
			if len(f.auditEvents(t, audit.IntakeDownload, "intake", id)) != 2 {
				t.Errorf("%s: downloads not audited", name)
			}
		}
	})
}

func parseID(t testing.TB, s string) uint {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return uint(n)
}

func TestIntakeUploadTooLargeIs413AndLeavesNoFile(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newIntakeFixture(t, s, 4<<10)
	c := f.signIn(t, registrarA)
	p := c.upload(t, c.csrf(t), f.facA, "big.xml", synthFile(t, 20, false))
	p.wantStatus(http.StatusRequestEntityTooLarge)
	if msg := p.testid("intake-error").Text(); !strings.Contains(msg, "upload limit of 4.0 KiB") {
		t.Errorf("message %q does not name the limit", msg)
	}
	if ents, _ := os.ReadDir(f.dir); len(ents) != 0 {
		t.Errorf("%d files left in the intake folder", len(ents))
	}
	if rows, _ := s.Intakes(context.Background(), store.AllFacilities, 10); len(rows) != 0 {
		t.Errorf("%d intakes created for a refused upload", len(rows))
	}
}

func TestIntakeUploadRefusesBadCSRFAndOtherFacility(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newIntakeFixture(t, s, 1<<20)
	c := f.signIn(t, registrarA)
	data := synthFile(t, 1, false)
	c.upload(t, "forged", f.facA, "a.xml", data).wantStatus(http.StatusForbidden)
	c.upload(t, c.csrf(t), f.facB, "a.xml", data).wantStatus(http.StatusForbidden)
	if ents, _ := os.ReadDir(f.dir); len(ents) != 0 {
		t.Errorf("%d files stored for refused uploads", len(ents))
	}
}

func TestIntakeIsScopedToFacility(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newIntakeFixture(t, s, 1<<20)
	a := f.signIn(t, registrarA)
	id := intakeIDOf(t, a.upload(t, a.csrf(t), f.facA, "a.xml", synthFile(t, 2, false)))
	f.runIntakes(t)
	b := f.signIn(t, registrarB)
	for _, path := range []string{"", "/progress", "/failures", "/report.csv", "/report.html"} {
		b.get(t, "/intake/"+id+path).wantStatus(http.StatusNotFound)
	}
	b.post(t, "/intake/"+id+"/accept", map[string][]string{"_csrf": {b.csrf(t)}}).wantStatus(http.StatusNotFound)
	if list := b.get(t, "/intake"); list.testid("intake-row").Length() != 0 {
		t.Errorf("registrar B sees %d of A's intakes", list.testid("intake-row").Length())
	}
	if list := a.get(t, "/intake"); list.testid("intake-row").Length() != 1 {
		t.Errorf("registrar A sees %d intakes, want 1", list.testid("intake-row").Length())
	}
	adm := f.signIn(t, adminUser)
	adm.get(t, "/intake/"+id).wantStatus(http.StatusOK)
	rev := f.signIn(t, reviewerA)
	rev.get(t, "/intake/"+id).wantStatus(http.StatusOK)
}

func TestIntakeAcceptImportsAndSecondUploadImportsNothing(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newIntakeFixture(t, s, 1<<20)
	c := f.signIn(t, registrarA)
	csrf := c.csrf(t)
	data := synthFile(t, 15, false)
	id := intakeIDOf(t, c.upload(t, csrf, f.facA, "a.xml", data))
	f.runIntakes(t)
	p := c.post(t, "/intake/"+id+"/accept", map[string][]string{"_csrf": {csrf}})
	p.wantStatus(http.StatusSeeOther)
	rep := c.get(t, "/intake/"+id)
	// The intake keeps no count of the patients the accept created: the page must
	// not say there were none.
	if got := rep.testid("intake-accepted").Text(); !strings.Contains(got, "imported") || strings.Contains(got, "0 new patients") {
		t.Errorf("accepted line %q", got)
	}
	in, _ := s.Intake(context.Background(), parseID(t, id), store.AllFacilities)
	// The synthetic patient ids start at 00000001, as the fixture's Smith and Jones of A do: a
	// tumor of the file that A has already is a duplicate, counted and not imported again.
	if in.State != store.IntakeAccepted || in.AcceptedTumors == 0 || in.AcceptedTumors+in.ExistingTumors != in.AcceptableTumors || in.ExistingTumors > in.Duplicates {
		t.Errorf("intake after accept: %s, %d accepted + %d existing of %d acceptable (%d duplicates)", in.State, in.AcceptedTumors, in.ExistingTumors, in.AcceptableTumors, in.Duplicates)
	}
	if len(f.auditEvents(t, audit.IntakeAccept, "intake", id)) != 1 {
		t.Errorf("accept not audited")
	}

	id2 := intakeIDOf(t, c.upload(t, csrf, f.facA, "a-again.xml", data))
	f.runIntakes(t)
	rep2 := c.get(t, "/intake/"+id2)
	if got := rep2.testid("intake-duplicates").Text(); got != strconv.Itoa(in.Duplicates+in.AcceptedTumors) {
		t.Errorf("second upload shows %s already received, want %d", got, in.Duplicates+in.AcceptedTumors)
	}
	c.post(t, "/intake/"+id2+"/accept", map[string][]string{"_csrf": {csrf}}).wantStatus(http.StatusSeeOther)
	if got := c.get(t, "/intake/"+id2).testid("intake-accepted").Text(); !strings.Contains(got, "nothing new") {
		t.Errorf("second accept says %q, want nothing new", got)
	}
}

func TestIntakeFailedJobCanBeRetried(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newIntakeFixture(t, s, 1<<20)
	c := f.signIn(t, registrarA)
	csrf := c.csrf(t)
	id := intakeIDOf(t, c.upload(t, csrf, f.facA, "a.xml", synthFile(t, 2, false)))
	in, _ := s.Intake(context.Background(), parseID(t, id), store.AllFacilities)
	data, _ := os.ReadFile(in.StoredPath)
	os.Remove(in.StoredPath)
	f.runIntakes(t)
	p := c.get(t, "/intake/"+id)
	if !strings.Contains(p.testid("intake-failed").Text(), "gone") || p.testid("intake-retry").Length() != 1 {
		t.Fatalf("failed intake page: %q, retry buttons %d", p.testid("intake-failed").Text(), p.testid("intake-retry").Length())
	}
	os.WriteFile(in.StoredPath, data, 0o600)
	c.post(t, "/intake/"+id+"/retry", map[string][]string{"_csrf": {csrf}}).wantStatus(http.StatusSeeOther)
	f.runIntakes(t)
	if got := c.get(t, "/intake/"+id).testid("intake-state").Text(); got != "done" {
		t.Errorf("state after retry %q, want done", got)
	}
}

func TestIntakeUploadRemovesAKilledUploadsTemporaryAndStoresTheFileOwnerOnly(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newIntakeFixture(t, s, 1<<20)
	killed := filepath.Join(f.dir, ".cara-upload-0123456789.tmp")
	running := filepath.Join(f.dir, ".cara-upload-abcdef0123.tmp")
	for _, p := range []string{killed, running} {
		if err := os.WriteFile(p, []byte("<Patient>Jane Doe 19500101</Patient>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(killed, old, old); err != nil {
		t.Fatal(err)
	}
	c := f.signIn(t, registrarA)
	id := intakeIDOf(t, c.upload(t, c.csrf(t), f.facA, "a.xml", synthFile(t, 1, false)))
	if _, err := os.Stat(killed); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed upload's temporary is still there (%v)", err)
	}
	if _, err := os.Stat(running); err != nil {
		t.Errorf("the temporary of an upload in progress was removed: %v", err)
	}
	in, err := s.Intake(context.Background(), parseID(t, id), store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(in.StoredPath)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("stored upload mode %v, want 0600", m)
	}
	if filepath.Dir(in.StoredPath) != f.dir || !strings.HasSuffix(in.StoredPath, ".upload") {
		t.Errorf("stored as %s", in.StoredPath)
	}
}

func TestIntakeOfAGzipThatUnpacksPastTheLimitFailsWithTheLimitNamed(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newIntakeFixture(t, s, 1<<20)
	plain := synthFile(t, 20, false)
	f.intaker.MaxUnpackedBytes = int64(len(plain)) / 2
	before, err := s.CountPatients(context.Background(), store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	c := f.signIn(t, registrarA)
	csrf := c.csrf(t)
	id := intakeIDOf(t, c.upload(t, csrf, f.facA, "a.xml.gz", synthFile(t, 20, true)))
	f.runIntakes(t)
	p := c.get(t, "/intake/"+id)
	if msg := p.testid("intake-failed").Text(); !strings.Contains(msg, "unpacks to more than") || !strings.Contains(msg, "CARA_INTAKE_MAX_UNPACKED_BYTES") {
		t.Errorf("failed intake says %q, want the unpacked limit named", msg)
	}
	c.post(t, "/intake/"+id+"/accept", map[string][]string{"_csrf": {csrf}}).wantStatus(http.StatusConflict)
	if n, err := s.CountPatients(context.Background(), store.AllFacilities); err != nil || n != before {
		t.Errorf("%d patients imported from a refused file (%v)", n-before, err)
	}
}

// TestIntakeOffersOnlyTheTumorsAcceptWouldImport: the report counts the new tumors without
// errors (those already received are not offered), the Import button names that count and what
// accept then imports, and no button is offered when nothing is importable or after the accept,
// which says who accepted it and when; a finished check's status line has no "so far".
func TestIntakeOffersOnlyTheTumorsAcceptWouldImport(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newIntakeFixture(t, s, 1<<20)
	c := f.signIn(t, registrarA)
	csrf := c.csrf(t)
	data := synthFile(t, 15, false)
	id := intakeIDOf(t, c.upload(t, csrf, f.facA, "a.xml", data))
	f.runIntakes(t)
	ctx := context.Background()
	in, err := s.Intake(ctx, parseID(t, id), store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	rep := c.get(t, "/intake/"+id)
	importable, _ := strconv.Atoi(rep.testid("intake-importable").Text())
	// The synthetic patient ids start at 00000001, as the fixture's cases of A do: some of the
	// file's tumors without errors are received already.
	if in.ReceivedTumors == 0 || importable != in.AcceptableTumors-in.ReceivedTumors {
		t.Errorf("%d importable shown, %d acceptable of which %d already received", importable, in.AcceptableTumors, in.ReceivedTumors)
	}
	if got := rep.testid("intake-accept").Text(); !strings.Contains(got, fmt.Sprintf("Import the %d new tumors", importable)) {
		t.Errorf("import button %q, want %d new tumors", got, importable)
	}
	if got := rep.testid("intake-progress").Text(); strings.Contains(got, "so far") {
		t.Errorf("a finished check's status line says %q", got)
	}
	c.post(t, "/intake/"+id+"/accept", map[string][]string{"_csrf": {csrf}}).wantStatus(http.StatusSeeOther)
	if in, _ = s.Intake(ctx, parseID(t, id), store.AllFacilities); in.AcceptedTumors != importable {
		t.Errorf("accept imported %d tumors, the page offered %d", in.AcceptedTumors, importable)
	}
	rep = c.get(t, "/intake/"+id)
	if rep.testid("intake-accept").Length() != 0 {
		t.Error("the Import button is still offered after the accept")
	}
	if got := rep.testid("intake-accepted").Text(); !strings.Contains(got, "Accepted by ") || strings.Contains(got, "command line") ||
		!strings.Contains(got, " on 20") || !strings.Contains(got, "imported "+plural.Count(importable, "tumor")) {
		t.Errorf("accepted line %q", got)
	}

	// The same file again: every tumor without errors is received already.
	id2 := intakeIDOf(t, c.upload(t, csrf, f.facA, "a-again.xml", data))
	f.runIntakes(t)
	rep = c.get(t, "/intake/"+id2)
	if rep.testid("intake-accept").Length() != 0 || rep.testid("intake-importable").Text() != "0" {
		t.Errorf("a file of received tumors offers %q (%s importable)", rep.testid("intake-accept").Text(), rep.testid("intake-importable").Text())
	}
	if got := rep.testid("intake-nothing-to-import").Text(); !strings.Contains(got, fmt.Sprintf("all %s without errors", plural.Count(in.AcceptableTumors, "tumor"))) {
		t.Errorf("nothing-to-import line %q", got)
	}
}

// TestIntakeNamesFieldChecks: a value of the wrong data type fails the field check
// field.naaccr_type, which the report, its filter and its failing records name in words (the
// report once showed the id with no name).
func TestIntakeNamesFieldChecks(t *testing.T) {
	t.Parallel()
	f := newIntakeFixture(t, storetest.New(t, store.DialectSQLite), 50<<20)
	data := regexp.MustCompile(`(<Item naaccrId="dateOfBirth">)\d{8}`).ReplaceAll(synthFile(t, 3, false), []byte("${1}19XX0101"))
	c := f.signIn(t, registrarA)
	id := intakeIDOf(t, c.upload(t, c.csrf(t), f.facA, "bad-type.xml", data))
	f.runIntakes(t)
	const editID, name = "field.naaccr_type", "Data type (field check)"

	p := c.get(t, "/intake/"+id)
	p.wantStatus(http.StatusOK)
	var row *goquery.Selection
	p.testid("intake-edit-row").Each(func(_ int, r *goquery.Selection) {
		if r.Find("a").Text() == editID {
			row = r
		}
	})
	if row == nil {
		t.Fatalf("no %s row on the report:\n%s", editID, excerpt(p.body))
	}
	if got := row.Find("small").Text(); got != name {
		t.Errorf("%s is named %q, want %q", editID, got, name)
	}

	fails := c.get(t, "/intake/"+id+"/failures?edit="+editID)
	fails.wantStatus(http.StatusOK)
	if got := fails.doc.Find(`select[name="edit"] option[value="` + editID + `"]`).Text(); !strings.Contains(got, name) {
		t.Errorf("edit filter offers %s as %q, want its name", editID, got)
	}
	if got := fails.testid("intake-failure-row").First().Text(); !strings.Contains(got, name) {
		t.Errorf("failing record reads %q, want the edit's name", got)
	}
}
