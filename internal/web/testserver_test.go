package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/demo"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/web"
	"github.com/cara-registry/cara/schemas"
)

// clock is the fixed time of every test server. It is the store's clock too, so sessions, login
// throttling and audit timestamps agree.
var clock = storetest.Clock

// testPassword is every fixture user's password.
const testPassword = "correct-horse-battery"

// The fixture's users.
const (
	registrarA = "reg-a" // registrar of facility A
	registrarB = "reg-b" // registrar of facility B
	adminUser  = "admin" // administrator, no facility
	reviewerA  = "rev-a" // reviewer of facility A
	reviewerB  = "rev-b" // reviewer of facility B
)

// catalog is the data that drives cara, loaded once per test binary from the embedded schemas.
type catalog struct {
	codes  *codes.Tables
	form   *abstract.Form
	fields *edits.FieldChecker
	edits  *edits.Set
	// siteGroups and newCase are what cmd/cara loads for web.Deps.
	siteGroups []codes.SiteGroup
	newCase    *abstract.NewCaseForm
	// staging is the EOD data cmd/cara loads: the schema section and the derived items use it.
	staging *staging.DataSet
}

var loadCatalog = sync.OnceValues(func() (*catalog, error) {
	dict, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		return nil, err
	}
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		return nil, err
	}
	form, err := abstract.LoadForm(schemas.FS, "abstract", dict, tables)
	if err != nil {
		return nil, err
	}
	stg, err := staging.Load(schemas.FS)
	if err != nil {
		return nil, err
	}
	set, err := edits.Load(schemas.FS, dict, tables, stg)
	if err != nil {
		return nil, err
	}
	groups, err := codes.LoadSiteGroups(schemas.FS)
	if err != nil {
		return nil, err
	}
	newCase, err := abstract.LoadNewCase(schemas.FS, form)
	if err != nil {
		return nil, err
	}
	return &catalog{codes: tables, form: form, fields: set.Fields, edits: set, siteGroups: groups, newCase: newCase, staging: stg}, nil
})

// passwordHash is the fixture users' hash of testPassword: bcrypt, as auth.HashPassword makes,
// but at the lowest cost. Every sign-in checks it, and at the default cost a check takes most of
// a second under -race, which for the hundred sign-ins of this package would be minutes.
// TestLoginAcceptsPasswordHashedByAuth signs in with a hash from auth.HashPassword itself.
var passwordHash = sync.OnceValues(func() (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	return string(h), err
})

// testHasher hashes at the lowest argon2id costs for the same reason: a sign-in upgrades the
// fixture's bcrypt hash to one of these, and the default costs under -race are slow.
var testHasher = sync.OnceValues(func() (*auth.Hasher, error) {
	return auth.NewHasher(auth.Argon2Params{Memory: 64, Time: 1, Threads: 1})
})

// mustTestHasher is testHasher for a Deps literal.
func mustTestHasher(t testing.TB) *auth.Hasher {
	t.Helper()
	h, err := testHasher()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fixture is a running cara on one database: facilities A and B, a registrar for each, an
// administrator, and a few cases.
type fixture struct {
	store  *store.Store
	server *httptest.Server
	log    *lockedBuffer
	// elapsed is how far the server's clock has moved on from clock (see advance).
	elapsed *atomic.Int64
	fixtureIDs
}

// The fixture's patients, written by hand so that tests know every value.
func patientSmith() naaccr.Patient {
	return naaccr.Patient{
		Items: map[string]string{
			"patientIdNumber": "00000001", "nameLast": "Smith", "nameFirst": "Anna", "dateOfBirth": "19580704",
			"sexAssignedAtBirth": "2", "race1": "01", "spanishHispanicOrigin": "0",
			"dateOfLastContact": "20260915", "vitalStatus": "1",
		},
		Tumors: []naaccr.Tumor{{Items: map[string]string{
			"medicalRecordNumber": "MR100001", "accessionNumberHosp": "202500001", "sequenceNumberHospital": "00",
			"dateOfDiagnosis": "20250314", "primarySite": "C341", "laterality": "1",
			"histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "diagnosticConfirmation": "1",
			"classOfCase": "10", "typeOfReportingSource": "1",
		}}},
	}
}

func patientJones() naaccr.Patient {
	return naaccr.Patient{
		Items: map[string]string{
			"patientIdNumber": "00000002", "nameLast": "Jones", "nameFirst": "Robert", "dateOfBirth": "19470211",
			"sexAssignedAtBirth": "1", "race1": "02", "spanishHispanicOrigin": "0",
			"dateOfLastContact": "20260801", "vitalStatus": "1",
		},
		Tumors: []naaccr.Tumor{{Items: map[string]string{
			"medicalRecordNumber": "MR100002", "accessionNumberHosp": "202400007", "sequenceNumberHospital": "00",
			"dateOfDiagnosis": "20240120", "primarySite": "C619", "laterality": "0",
			"histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "diagnosticConfirmation": "1",
			"classOfCase": "10", "typeOfReportingSource": "1",
		}}},
	}
}

func patientBrown() naaccr.Patient {
	return naaccr.Patient{
		Items: map[string]string{
			"patientIdNumber": "00000003", "nameLast": "Brown", "nameFirst": "Carla", "dateOfBirth": "19690930",
			"sexAssignedAtBirth": "2", "race1": "01", "spanishHispanicOrigin": "0",
			"dateOfLastContact": "20260630", "vitalStatus": "1",
		},
		Tumors: []naaccr.Tumor{{Items: map[string]string{
			"medicalRecordNumber": "MR200001", "accessionNumberHosp": "202400031", "sequenceNumberHospital": "00",
			"dateOfDiagnosis": "20240602", "primarySite": "C180", "laterality": "0",
			"histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "diagnosticConfirmation": "1",
			"classOfCase": "10", "typeOfReportingSource": "1",
		}}},
	}
}

// newFixture fills the store and starts cara on it. The fixture's rows are written through the
// store once per database and test process (seedFixture) and copied into each later new store.
func newFixture(t testing.TB, s *store.Store) *fixture {
	t.Helper()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatalf("load catalog: %v", err)
	}
	f := &fixture{store: s, log: &lockedBuffer{}, elapsed: &atomic.Int64{}}
	f.fixtureIDs = fixtureSeedFor(t, s, cat).restore(t, s)
	handler := web.New(web.Deps{
		Store:      s,
		Form:       cat.form,
		Edits:      cat.edits,
		Codes:      cat.codes,
		SiteGroups: cat.siteGroups,
		NewCase:    cat.newCase,
		Staging:    cat.staging,
		Logger:     slog.New(slog.NewTextHandler(f.log, nil)),
		Now:        f.now,
		Hasher:     mustTestHasher(t),
		ReleaseDir: filepath.Join(t.TempDir(), "releases"),
	})
	f.server = httptest.NewServer(handler)
	t.Cleanup(f.server.Close)
	return f
}

// fixtureIDs are what newFixture writes that tests refer to.
type fixtureIDs struct {
	users map[string]*store.User

	facA, facB uint

	caseA     uint // draft case of Smith, Anna in facility A (the newest case of A)
	approvedA uint // approved case of Jones, Robert in facility A
	caseB     uint // draft case of Brown, Carla in facility B
	mrnsB     []string
}

// A fixtureSeed is the fixture as first written on one database: its rows and ids.
type fixtureSeed struct {
	once sync.Once
	ids  fixtureIDs
	rows *storetest.Snapshot
	err  string
}

var fixtureSeeds = map[store.Dialect]*fixtureSeed{store.DialectSQLite: {}, store.DialectMySQL: {}}

// fixtureSeedFor returns the fixture of s's database, written the first time into a store of its
// own. A store that is not new (a test wrote to it first) gets the fixture written into it.
func fixtureSeedFor(t testing.TB, s *store.Store, cat *catalog) *fixtureSeed {
	t.Helper()
	var n int64
	if err := s.DB().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM facilities").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		return &fixtureSeed{ids: seedFixture(t, s, cat)}
	}
	fs := fixtureSeeds[s.Dialect()]
	fs.once.Do(func() {
		ok := false
		defer func() {
			if !ok {
				fs.err = "the first fixture of " + string(s.Dialect()) + " failed"
			}
		}()
		first := storetest.New(t, s.Dialect())
		fs.ids = seedFixture(t, first, cat)
		fs.rows = storetest.TakeSnapshot(t, first)
		ok = true
	})
	if fs.err != "" {
		t.Fatal(fs.err)
	}
	return fs
}

// restore puts the fixture's rows into s (unless they were written there) and returns a copy of
// its ids.
func (fs *fixtureSeed) restore(t testing.TB, s *store.Store) fixtureIDs {
	t.Helper()
	if fs.rows != nil {
		fs.rows.Restore(t, s)
	}
	ids := fs.ids
	ids.users = make(map[string]*store.User, len(fs.ids.users))
	for k, u := range fs.ids.users {
		c := *u
		ids.users[k] = &c
	}
	ids.mrnsB = slices.Clone(fs.ids.mrnsB)
	return ids
}

// seedFixture writes the fixture's facilities, users and cases through the store.
func seedFixture(t testing.TB, s *store.Store, cat *catalog) fixtureIDs {
	t.Helper()
	ctx := context.Background()
	hash, err := passwordHash()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixtureIDs{users: map[string]*store.User{}}

	facA := &store.Facility{Code: "0000001001", Name: "Alder General Hospital"}
	facB := &store.Facility{Code: "0000002002", Name: "Birch County Medical Center"}
	for _, fac := range []*store.Facility{facA, facB} {
		if err := s.CreateFacility(ctx, fac); err != nil {
			t.Fatal(err)
		}
	}
	f.facA, f.facB = facA.ID, facB.ID
	for _, u := range []*store.User{
		{Username: registrarA, DisplayName: "Rita Alder", Role: string(auth.RoleRegistrar), FacilityID: &facA.ID},
		{Username: registrarB, DisplayName: "Ben Birch", Role: string(auth.RoleRegistrar), FacilityID: &facB.ID},
		{Username: adminUser, DisplayName: "Ada Admin", Role: string(auth.RoleAdmin)},
		{Username: reviewerA, DisplayName: "Rory Alder", Role: string(auth.RoleReviewer), FacilityID: &facA.ID},
		{Username: reviewerB, DisplayName: "Bea Birch", Role: string(auth.RoleReviewer), FacilityID: &facB.ID},
	} {
		u.PasswordHash = hash
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		f.users[u.Username] = u
	}

	// B gets a few synthetic patients besides Brown, so that scoping is tested on more than one row.
	synthetic, err := demo.Patients(schemas.FS, cat.staging, 7, 3, clock)
	if err != nil {
		t.Fatalf("demo patients: %v", err)
	}
	for _, p := range synthetic {
		if _, err := s.CreatePatient(ctx, facB.ID, p, string(abstract.StatusDraft)); err != nil {
			t.Fatal(err)
		}
		for _, tu := range p.Tumors {
			f.mrnsB = append(f.mrnsB, tu.Items["medicalRecordNumber"])
		}
	}
	// Jones before Smith, a minute apart: the worklist lists the newest first, so Smith's draft
	// case comes first.
	for i, c := range []struct {
		facility uint
		patient  naaccr.Patient
		status   abstract.Status
		tumorID  *uint
	}{
		{facB.ID, patientBrown(), abstract.StatusDraft, &f.caseB},
		{facA.ID, patientJones(), abstract.StatusApproved, &f.approvedA},
		{facA.ID, patientSmith(), abstract.StatusDraft, &f.caseA},
	} {
		checkFixtureValid(t, cat, c.patient)
		p, err := s.CreatePatient(ctx, c.facility, c.patient, string(c.status))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(c.facility), Search: p.NameLast})
		if err != nil || len(rows) != 1 {
			t.Fatalf("find tumor of %s: %v (%d rows)", p.NameLast, err, len(rows))
		}
		*c.tumorID = rows[0].TumorID
		if _, err := s.DB().ExecContext(ctx, "UPDATE tumors SET updated_at = ? WHERE id = ?", clock.Add(time.Duration(i-2)*time.Minute), rows[0].TumorID); err != nil {
			t.Fatal(err)
		}
		if c.facility == facB.ID {
			f.mrnsB = append(f.mrnsB, rows[0].MedicalRecordNumber)
		}
	}

	return *f
}

// now is the server's clock: clock, moved on by advance.
func (f *fixture) now() time.Time { return clock.Add(time.Duration(f.elapsed.Load())) }

// advance moves the server's clock on (the store's stays at clock).
func (f *fixture) advance(d time.Duration) { f.elapsed.Add(int64(d)) }

// checkFixtureValid fails when a hand-written fixture value would not pass cara's own field
// checks: a save posts every field of a section, so an invalid fixture would break unrelated tests.
func checkFixtureValid(t testing.TB, cat *catalog, p naaccr.Patient) {
	t.Helper()
	for _, sec := range cat.form.Sections {
		for _, fld := range sec.Fields {
			v := p.Items[fld.Def.ID]
			if fld.Def.Parent != naaccr.ParentPatient {
				v = p.Tumors[0].Items[fld.Def.ID]
			}
			if r := cat.fields.Check(fld.Def, v); r != nil {
				t.Fatalf("fixture %s: %s", p.Items["nameLast"], r.Message)
			}
		}
	}
}

// loadCase reads a case straight from the store, bypassing the web side.
func (f *fixture) loadCase(t testing.TB, id uint) *store.Case {
	t.Helper()
	cs, err := f.store.LoadCase(context.Background(), id, store.AllFacilities)
	if err != nil {
		t.Fatalf("load case %d: %v", id, err)
	}
	return cs
}

// auditEvents returns the events of one action on one entity, newest first.
func (f *fixture) auditEvents(t testing.TB, action, entity, entityID string) []store.AuditEvent {
	t.Helper()
	evs, err := f.store.AuditEvents(context.Background(), entity, entityID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// client is one browser: its own cookie jar, and redirects are not followed so that tests see them.
// Its methods take the test they run in, so that a client can be shared by subtests.
type client struct {
	base string
	hc   *http.Client
}

func (f *fixture) newClient() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err) // cookiejar.New(nil) does not fail
	}
	return &client{base: f.server.URL, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// newClientFrom is a browser whose connections come from another loopback address (ip, e.g.
// 127.0.0.2: Linux routes all of 127/8 to the loopback), so that cara sees another client
// address without trusting any forwarding header.
func (f *fixture) newClientFrom(ip string) *client {
	c := f.newClient()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c.hc.Transport = &http.Transport{DialContext: dialer.DialContext}
	return c
}

// signIn returns a client signed in as username; it fails the test unless the login succeeds.
func (f *fixture) signIn(t testing.TB, username string) *client {
	t.Helper()
	c := f.newClient()
	p := c.login(t, username, testPassword)
	if p.status != http.StatusSeeOther || p.location() != "/cases" {
		t.Fatalf("sign in as %s: status %d, Location %q\n%s", username, p.status, p.location(), p.body)
	}
	return c
}

// page is one response, parsed.
type page struct {
	t      testing.TB
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func (p *page) location() string { return p.header.Get("Location") }

// testid selects the elements with a data-testid.
func (p *page) testid(id string) *goquery.Selection {
	return p.doc.Find(`[data-testid="` + id + `"]`)
}

// wantStatus fails the test unless the page has the status.
func (p *page) wantStatus(want int) {
	p.t.Helper()
	if p.status != want {
		p.t.Fatalf("status %d, want %d\n%s", p.status, want, excerpt(p.body))
	}
}

// input returns the value a browser would submit for a named field of the case form.
func (p *page) input(name string) string {
	p.t.Helper()
	vals := formValues(p.testid("case-form"))
	if _, ok := vals[name]; !ok {
		p.t.Fatalf("case form has no field %q\n%s", name, excerpt(p.body))
	}
	return vals.Get(name)
}

func excerpt(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// do sends a request; header holds name, value pairs.
func (c *client) do(t testing.TB, method, path string, form url.Values, header ...string) *page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse %s %s: %v", method, path, err)
	}
	return &page{t: t, status: resp.StatusCode, header: resp.Header, body: string(b), doc: doc}
}

func (c *client) get(t testing.TB, path string, header ...string) *page {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, header...)
}

func (c *client) post(t testing.TB, path string, form url.Values, header ...string) *page {
	t.Helper()
	return c.do(t, http.MethodPost, path, form, header...)
}

// loginForm opens the login page (with ?next= when next is set) and returns its form values.
func (c *client) loginForm(t testing.TB, next string) url.Values {
	t.Helper()
	path := "/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	p := c.get(t, path)
	p.wantStatus(http.StatusOK)
	form := p.testid("login-form")
	if form.Length() != 1 {
		t.Fatalf("no login form\n%s", excerpt(p.body))
	}
	vals := formValues(form)
	if vals.Get("_csrf") == "" {
		t.Fatalf("login form has no _csrf token")
	}
	return vals
}

// login signs in through the login form, as a person would.
func (c *client) login(t testing.TB, username, password string) *page {
	t.Helper()
	vals := c.loginForm(t, "")
	vals.Set("username", username)
	vals.Set("password", password)
	return c.post(t, "/login", vals)
}

// csrf returns the session's CSRF token from the sign-out form every signed-in page has.
func (c *client) csrf(t testing.TB) string {
	t.Helper()
	p := c.get(t, "/cases")
	p.wantStatus(http.StatusOK)
	tok, ok := p.doc.Find(`form[action="/logout"] input[name="_csrf"]`).Attr("value")
	if !ok || tok == "" {
		t.Fatalf("no CSRF token on the worklist\n%s", excerpt(p.body))
	}
	return tok
}

// openCase shows one section of a case and requires it to be there.
func (c *client) openCase(t testing.TB, id uint, section string) *page {
	t.Helper()
	p := c.get(t, casePath(id)+"?section="+section)
	p.wantStatus(http.StatusOK)
	if p.testid("case-form").Length() != 1 {
		t.Fatalf("no case form\n%s", excerpt(p.body))
	}
	return p
}

// save posts the case form of a page as a browser would: every field as shown, with the page's
// _csrf, patientVersion and tumorVersion, and changes applied.
func (c *client) save(t testing.TB, p *page, changes map[string]string, header ...string) *page {
	t.Helper()
	form := p.testid("case-form")
	action, ok := form.Attr("action")
	if form.Length() != 1 || !ok {
		t.Fatalf("no case form to save\n%s", excerpt(p.body))
	}
	vals := formValues(form)
	for _, k := range []string{"_csrf", "section", "patientVersion", "tumorVersion"} {
		if vals.Get(k) == "" {
			t.Fatalf("case form has no %s", k)
		}
	}
	for k, v := range changes {
		vals.Set(k, v)
	}
	return c.post(t, action, vals, header...)
}

// formValues collects what a browser would submit for a form: named inputs, selects (the selected
// option, else the first) and textareas.
func formValues(form *goquery.Selection) url.Values {
	vals := url.Values{}
	form.Find("input[name], select[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		switch goquery.NodeName(s) {
		case "select":
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option")
			}
			v, _ := opt.First().Attr("value")
			vals.Add(name, v)
		case "textarea":
			vals.Add(name, s.Text())
		default:
			v, _ := s.Attr("value")
			vals.Add(name, v)
		}
	})
	return vals
}

func casePath(id uint) string { return "/cases/" + strconv.FormatUint(uint64(id), 10) }

func idString(id uint) string { return strconv.FormatUint(uint64(id), 10) }

// itemChanges decodes the item changes of a case.update audit event.
func itemChanges(t testing.TB, e store.AuditEvent) []store.ItemChange {
	t.Helper()
	var d struct {
		Changes []store.ItemChange `json:"changes"`
	}
	if err := json.Unmarshal([]byte(e.Details), &d); err != nil {
		t.Fatalf("audit details %q: %v", e.Details, err)
	}
	return d.Changes
}

// sameCase reports whether two loads of a case hold the same items and versions.
func sameCase(a, b *store.Case) bool {
	return a.Patient.Version == b.Patient.Version && a.Tumor.Version == b.Tumor.Version &&
		maps.Equal(a.Patient.Items, b.Patient.Items) && maps.Equal(a.Tumor.Items, b.Tumor.Items)
}

// lockedBuffer is the server log: written by handlers, read by tests.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// withSubmissionsAndIntake restarts the fixture's server with a submission directory and the
// intake configured, as `cara serve` has them, and returns the intake checker: a test runs the
// queued checks with (&submission.Runner{Intaker: k}).RunOnce.
func withSubmissionsAndIntake(t testing.TB, f *fixture) *submission.Intaker {
	t.Helper()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	k := &submission.Intaker{Store: f.store, Edits: cat.edits, Registry: reg, Now: func() time.Time { return clock }}
	f.server.Close()
	f.server = httptest.NewServer(web.New(web.Deps{Store: f.store, Form: cat.form, Edits: cat.edits, Codes: cat.codes, SiteGroups: cat.siteGroups, NewCase: cat.newCase, Staging: cat.staging,
		Logger: slog.New(slog.NewTextHandler(f.log, nil)), Now: func() time.Time { return clock }, Hasher: mustTestHasher(t),
		SubmissionDir: filepath.Join(t.TempDir(), "submissions"), ReleaseDir: filepath.Join(t.TempDir(), "releases"),
		Intake: web.IntakeConfig{Dir: t.TempDir(), MaxBytes: 10 << 20, Intaker: k}}))
	t.Cleanup(f.server.Close)
	return k
}
