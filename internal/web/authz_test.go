package web_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/quality"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// outcome is what a signed-in user gets from a route: let through (whatever the handler then
// says of the input), refused for their role (403), or told the record does not exist (404).
type outcome int

const (
	allow outcome = iota
	forbid
	hidden
)

func (o outcome) String() string {
	return [...]string{"allowed", "403 forbidden", "404 not found"}[o]
}

// access is a route's row of the authorization matrix: the outcome for each role on a record of
// the user's own facility (or on a route without a record), and the kind of record the route's
// path parameters name. On another facility's record every role but admin gets 404 (or 403 when
// the role is refused anyway); an administrator is let through.
type access struct {
	public                     bool // served without signing in
	registrar, reviewer, admin outcome
	record                     string // a key of recordParams; "" when the path names no record
}

var (
	everyone      = access{registrar: allow, reviewer: allow, admin: allow}
	reviewersOnly = access{registrar: forbid, reviewer: allow, admin: allow}
	adminsOnly    = access{registrar: forbid, reviewer: forbid, admin: allow}
	// Registrars (and administrators) enter patients and tumors; reviewers review.
	registrarsEnter = access{registrar: allow, reviewer: forbid, admin: allow}
)

// unscopedRecords are record kinds that belong to no facility: the same for own and other.
var unscopedRecords = map[string]bool{"user": true, "facility": true, "lookup": true, "sender": true, "data request": true, "release": true, "registry report": true}

func (a access) on(record string) access { a.record = record; return a }

// authzMatrix lists every route of cara. A route registered in web.New without a row here fails
// TestAuthorizationMatrix: whoever adds a route decides who may use it.
var authzMatrix = map[string]access{
	"GET /healthz":   {public: true},
	"GET /static*":   {public: true},
	"GET /login":     {public: true},
	"POST /login":    {public: true},
	"POST /logout":   everyone,
	"GET /":          everyone,
	"GET /cases":     everyone,
	"GET /edits":     everyone,
	"GET /patients":  everyone,
	"POST /patients": registrarsEnter,

	// Signing out everywhere ends the shared clients' sessions too: the test signs them in again.
	"POST /logout/everywhere": everyone,

	"GET /patients/new": registrarsEnter,

	"GET /cases/:id":          everyone.on("case"),
	"POST /cases/:id":         {registrar: allow, reviewer: forbid, admin: allow, record: "case"},
	"POST /cases/:id/edits":   everyone.on("case"),
	"POST /cases/:id/outside": {registrar: allow, reviewer: forbid, admin: allow, record: "case"},
	// The reports a case came from: set a suggestion aside (not reviewers), the message as
	// received (whoever sees the case; a case from no report has none: 404).
	"POST /cases/:id/suggestions/dismiss": {registrar: allow, reviewer: forbid, admin: allow, record: "case"},
	"GET /cases/:id/reports/:key/raw":     everyone.on("report"),
	"GET /cases/:id/items":                everyone.on("case"),

	"GET /patients/:id":            everyone.on("patient"),
	"GET /patients/:id/tumors/new": registrarsEnter.on("patient"),
	"POST /patients/:id/tumors":    registrarsEnter.on("patient"),
	"GET /lookup/:item":            everyone.on("lookup"),

	// Administration (admin only; user and facility ids are not facility-scoped), a user's own
	// password, and a case's history.
	"GET /admin/users":               adminsOnly,
	"GET /admin/users/new":           adminsOnly,
	"POST /admin/users":              adminsOnly,
	"GET /admin/users/:id":           adminsOnly.on("user"),
	"POST /admin/users/:id":          adminsOnly.on("user"),
	"POST /admin/users/:id/disable":  adminsOnly.on("user"),
	"POST /admin/users/:id/enable":   adminsOnly.on("user"),
	"POST /admin/users/:id/password": adminsOnly.on("user"),
	"GET /admin/facilities":          adminsOnly,
	"GET /admin/facilities/new":      adminsOnly,
	"POST /admin/facilities":         adminsOnly,
	"GET /admin/facilities/:id":      adminsOnly.on("facility"),
	"POST /admin/facilities/:id":     adminsOnly.on("facility"),
	"GET /admin/senders":             adminsOnly,
	"POST /admin/senders":            adminsOnly,
	"POST /admin/senders/:id/revoke": adminsOnly.on("sender"),
	"GET /admin/audit":               adminsOnly,
	"GET /admin/audit.csv":           adminsOnly,
	"GET /account/password":          everyone,
	"POST /account/password":         everyone,
	"GET /cases/:id/history":         everyone.on("case"),

	// Clearing a user's sign-in throttle (issue 13).
	"POST /admin/users/:id/clear-throttle": adminsOnly.on("user"),

	// The review workflow: the handler checks which steps a role may take (a registrar sends, a
	// reviewer returns and approves); reviewers comment, registrars resolve, reviewers close.
	"POST /cases/:id/status":                everyone.on("case"),
	"POST /cases/:id/comments":              reviewersOnly.on("case"),
	"POST /cases/:id/comments/:cid/resolve": registrarsEnter.on("comment"),
	"POST /cases/:id/comments/:cid/close":   reviewersOnly.on("comment"),
	"GET /review":                           reviewersOnly,

	// Blind re-abstraction and productivity: reviewers and administrators.
	"GET /reabstraction":                         reviewersOnly,
	"POST /reabstraction":                        reviewersOnly,
	"GET /reabstraction/:id":                     reviewersOnly.on("sample"),
	"GET /reabstraction/:id/cases/:cid":          reviewersOnly.on("sample case"),
	"POST /reabstraction/:id/cases/:cid":         reviewersOnly.on("sample case"),
	"POST /reabstraction/:id/cases/:cid/reasons": reviewersOnly.on("sample case"),
	"GET /productivity":                          reviewersOnly,

	// Submission batches and intakes: every role, within their facilities.
	"GET /submissions":              everyone,
	"POST /submissions":             everyone,
	"POST /submissions/preview":     everyone,
	"GET /submissions/:id":          everyone.on("submission"),
	"GET /submissions/:id/download": everyone.on("submission"),
	"GET /intake":                   everyone,
	"POST /intake":                  everyone,
	"GET /intake/:id":               everyone.on("intake"),
	"GET /intake/:id/progress":      everyone.on("intake"),
	"GET /intake/:id/failures":      everyone.on("intake"),
	"GET /intake/:id/report.csv":    everyone.on("intake"),
	"GET /intake/:id/report.html":   everyone.on("intake"),
	"POST /intake/:id/retry":        everyone.on("intake"),
	"POST /intake/:id/accept":       everyone.on("intake"),

	// Casefinding: the suspense list for every role within their facilities; imports and
	// decisions by registrars (records are named in the form and scoped by the service).
	"GET /casefinding":          everyone,
	"POST /casefinding/import":  registrarsEnter,
	"POST /casefinding/reports": registrarsEnter,
	"POST /casefinding/decide":  registrarsEnter,
	// The patient picker of "add to patient": the record is named in the query and scoped by
	// the service (TestSuspensePickerAddsToAPatientOfTheFacility tests another facility's).
	"GET /casefinding/patients": registrarsEnter,
	// Follow-up (issue 17): every role sees the due list and the rate of their facilities;
	// registrars and administrators record follow-up (on a case of theirs) and print letters.
	"GET /followup":            everyone,
	"GET /followup/rate":       everyone,
	"GET /followup/cases/:id":  everyone.on("case"),
	"POST /followup/cases/:id": registrarsEnter.on("case"),
	"POST /followup/letters":   registrarsEnter,
	// Death clearance: the confirmation names its patient in the form, not the path.
	"GET /followup/deaths":          registrarsEnter,
	"POST /followup/deaths":         registrarsEnter,
	"POST /followup/deaths/confirm": registrarsEnter,

	// Release of information (issue 19): requests and the log for every role; registrars and
	// administrators draft, run approved extracts, see the aggregate and download; administrators
	// approve and deny. Requests and releases are the registry's (no facility); the accounting of
	// disclosures is the patient's.
	"GET /releases":                 everyone,
	"POST /releases":                registrarsEnter,
	"GET /releases/:id":             everyone.on("data request"),
	"POST /releases/:id/approve":    adminsOnly.on("data request"),
	"POST /releases/:id/deny":       adminsOnly.on("data request"),
	"POST /releases/:id/run":        registrarsEnter.on("data request"),
	"GET /releases/:id/aggregate":   registrarsEnter.on("data request"),
	"GET /releases/files/:id":       registrarsEnter.on("release"),
	"GET /patients/:id/disclosures": everyone.on("patient"),

	// The registry reports (issue 19): every role, over its own facilities. :name is a report
	// of schemas/reports, not a facility's record; the facility is a query parameter, and
	// another facility's is a 404 (TestReportRunsForTheParametersWithinTheUsersFacilities,
	// TestReportDownloadsAreScopedTypedAndAudited). The download without a format is a 422,
	// past authorization.
	"GET /reports":                everyone,
	"GET /reports/:name":          everyone.on("registry report"),
	"GET /reports/:name/download": everyone.on("registry report"),

	// FHIR R4 intake: a sender's bearer token or a session, checked by the handler, which answers
	// a visitor with a 401 OperationOutcome (not the login page); its roles are tested in fhir_test.go.
	"POST /fhir/r4/Bundle": {public: true},
}

// recordParams give a route's path parameters for a record of facility A (own) or B (other).
var recordParams = map[string]func(t *testing.T, f *fixture, own bool) map[string]string{
	"case": func(t *testing.T, f *fixture, own bool) map[string]string {
		return map[string]string{"id": idString(pick(own, f.caseA, f.caseB))}
	},
	"patient": func(t *testing.T, f *fixture, own bool) map[string]string {
		return map[string]string{"id": idString(f.loadCase(t, pick(own, f.caseA, f.caseB)).Patient.ID)}
	},
	"lookup": func(*testing.T, *fixture, bool) map[string]string {
		return map[string]string{"item": "primarySite"}
	},
	// A user no test client signs in as: disabling them or resetting their password ends no
	// session the matrix uses.
	"user": func(_ *testing.T, f *fixture, _ bool) map[string]string {
		return map[string]string{"id": idString(f.users[reviewerB].ID)}
	},
	"registry report": func(*testing.T, *fixture, bool) map[string]string {
		return map[string]string{"name": "primary-site"}
	},
	"facility": func(_ *testing.T, f *fixture, _ bool) map[string]string {
		return map[string]string{"id": idString(f.facA)}
	},
	// A pathology report the facility's case came from.
	"report": func(t *testing.T, f *fixture, own bool) map[string]string {
		id := pick(own, f.caseA, f.caseB)
		cs := f.loadCase(t, id)
		rec := &store.SuspenseRecord{FacilityID: cs.Patient.FacilityID, RowKey: fmt.Sprintf("authz-%d", time.Now().UnixNano()),
			Source: "pathology", Status: store.SuspenseAbstractStarted, Screening: "reportable", MatchKind: "new_patient"}
		rep := &store.EHRReport{FacilityID: cs.Patient.FacilityID, Format: "hl7v2", Sender: "LAB", ControlID: rec.RowKey,
			MessageType: "ORU^R01", SHA256: strings.Repeat("0", 64), Raw: []byte("MSH|^~\\&|LAB\r")}
		if _, err := f.store.AddEHRReport(context.Background(), rep, rec, nil, store.AuditEntry{Action: "ehr.receive", Entity: "ehr_report"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.DB().Exec("UPDATE suspense_records SET tumor_id = ? WHERE id = ?", id, rec.ID); err != nil {
			t.Fatal(err)
		}
		return map[string]string{"id": idString(id), "key": "hl7v2-" + idString(rep.ID)}
	},
	// A sender of facility A (the revoke route without confirm=1 only asks).
	"sender": func(t *testing.T, f *fixture, _ bool) map[string]string {
		snd := &store.EHRSender{FacilityID: f.facA, Name: "Lab", TokenHash: fmt.Sprintf("authz-%d", time.Now().UnixNano())}
		if err := f.store.AddEHRSender(context.Background(), snd, store.AuditEntry{Action: "ehr.sender_add", Entity: "ehr_sender"}); err != nil {
			t.Fatal(err)
		}
		return map[string]string{"id": idString(snd.ID)}
	},
	// An unresolved comment on the facility's draft case, which goes to review for it.
	"comment": func(t *testing.T, f *fixture, own bool) map[string]string {
		id := pick(own, f.caseA, f.caseB)
		walkTo(t, f, id, abstract.StatusInReview)
		c, err := f.store.AddComment(context.Background(), store.CommentAdd{TumorID: id, Scope: store.AllFacilities,
			NaaccrID: "primarySite", Body: "Check the site.", AuthorID: f.users[adminUser].ID,
			CaseStatuses: []string{string(abstract.StatusInReview), string(abstract.StatusReturned)}})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"id": idString(id), "cid": idString(c.ID)}
	},
	"sample": func(t *testing.T, f *fixture, own bool) map[string]string {
		return map[string]string{"id": idString(authzSample(t, f, own).Summary.Sample.ID)}
	},
	"sample case": func(t *testing.T, f *fixture, own bool) map[string]string {
		d := authzSample(t, f, own)
		return map[string]string{"id": idString(d.Summary.Sample.ID), "cid": idString(d.Cases[0].Case.ID)}
	},
	// A batch of no cases: enough to be found or hidden (its file does not exist, so a
	// download is a 500 that says so: past authorization).
	"submission": func(t *testing.T, f *fixture, own bool) map[string]string {
		fac := pick(own, f.facA, f.facB)
		sub, err := f.store.RecordSubmission(context.Background(), store.NewSubmission{
			Submission: store.Submission{FacilityID: fac, Kind: "regular", NaaccrVersion: "260", RecordType: "A"},
			FileStem:   "authz" + idString(fac), FileExt: ".xml",
		}, func(string) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"id": idString(sub.ID)}
	},
	// A draft request: approving it without a date, running it, are refused past authorization.
	"data request": func(t *testing.T, f *fixture, _ bool) map[string]string {
		return map[string]string{"id": idString(authzDataRequest(t, f).ID)}
	},
	// A logged release whose file does not exist: a download is a 500 past authorization.
	"release": func(t *testing.T, f *fixture, _ bool) map[string]string {
		r := &store.Release{RequestID: authzDataRequest(t, f).ID, Format: "csv", Items: "[]", Filters: "{}", PrivacyLevel: "deidentified",
			SHA256: strings.Repeat("0", 64), FileName: "x.csv", FilePath: filepath.Join(t.TempDir(), "missing.csv"), KeptUntil: clock.Add(time.Hour)}
		if err := f.store.AddRelease(context.Background(), r, nil, store.AuditEntry{Action: "release.run", Entity: "release"}); err != nil {
			t.Fatal(err)
		}
		return map[string]string{"id": idString(r.ID)}
	},
	"intake": func(t *testing.T, f *fixture, own bool) map[string]string {
		in := &store.Intake{FacilityID: pick(own, f.facA, f.facB), FileName: "upload.xml",
			StoredPath: filepath.Join(t.TempDir(), "upload.xml"), State: "failed", Error: "test"}
		if err := f.store.CreateIntake(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		return map[string]string{"id": idString(in.ID)}
	},
}

// walkTo takes a case through the workflow, as its registrar and reviewer would, until it is in
// the status (draft → in_review → approved); a case already there is left alone.
func walkTo(t *testing.T, f *fixture, tumorID uint, want abstract.Status) {
	t.Helper()
	ctx := context.Background()
	for {
		c := f.loadCase(t, tumorID)
		from := abstract.Status(c.Tumor.Status)
		if from == want {
			return
		}
		var to abstract.Status
		switch from {
		case abstract.StatusDraft, abstract.StatusReturned:
			to = abstract.StatusInReview
		case abstract.StatusInReview:
			to = abstract.StatusApproved
		default:
			t.Fatalf("case %d is %s, cannot walk it to %s", tumorID, from, want)
		}
		if _, err := f.store.ChangeStatus(ctx, store.StatusUpdate{TumorID: tumorID, Scope: store.AllFacilities,
			Action: "walk", From: string(from), To: string(to), UserID: &f.users[adminUser].ID}); err != nil {
			t.Fatal(err)
		}
	}
}

// authzSample draws a re-abstraction sample of one approved case of facility A (own) or B.
func authzSample(t *testing.T, f *fixture, own bool) *store.SampleDetail {
	t.Helper()
	ctx := context.Background()
	id := f.approvedA
	if !own {
		// One of B's synthetic cases: f.caseB is the one the comment rows take to review.
		rows, err := f.store.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(f.facB), Search: f.mrnsB[0]})
		if err != nil || len(rows) == 0 {
			t.Fatalf("find B's case %s: %v", f.mrnsB[0], err)
		}
		id = rows[0].TumorID
	}
	walkTo(t, f, id, abstract.StatusApproved)
	sm, err := quality.New(f.store).DrawSample(ctx, quality.SampleDraw{FacilityID: pick(own, f.facA, f.facB),
		Scope: store.AllFacilities, Count: 1, Items: []string{"primarySite"}, CreatedBy: f.users[adminUser].ID,
		Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.store.ReabstractionSampleDetail(ctx, sm.ID, store.AllFacilities)
	if err != nil || len(d.Cases) == 0 {
		t.Fatalf("sample %d: %v (%d cases)", sm.ID, err, len(d.Cases))
	}
	return d
}

func pick[T any](own bool, a, b T) T {
	if own {
		return a
	}
	return b
}

// TestAuthorizationMatrix walks every route registered in the Echo router and checks, for each
// role and for a record of the user's own facility and of another, the outcome the matrix says;
// and that a visitor who has not signed in is sent to the login page.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	e, ok := f.server.Config.Handler.(*echo.Echo)
	if !ok {
		t.Fatalf("the test server's handler is %T, not *echo.Echo", f.server.Config.Handler)
	}
	routes := map[string]*echo.Route{}
	for _, r := range e.Routes() {
		routes[r.Method+" "+r.Path] = r
	}
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := authzMatrix[k]; !ok {
			t.Errorf("route %s has no row in authzMatrix: decide who may use it", k)
		}
	}
	for k := range authzMatrix {
		if _, ok := routes[k]; !ok {
			t.Errorf("authzMatrix has a row for %s, which is not a route", k)
		}
	}

	users := []struct {
		name string
		role func(access) outcome
	}{
		{registrarA, func(a access) outcome { return a.registrar }},
		{reviewerA, func(a access) outcome { return a.reviewer }},
		{adminUser, func(a access) outcome { return a.admin }},
	}
	clients := map[string]*client{}
	tokens := map[string]string{}
	for _, u := range users {
		clients[u.name] = f.signIn(t, u.name)
		tokens[u.name] = clients[u.name].csrf(t)
	}
	anonymous := f.newClient()

	for _, k := range keys {
		acc, ok := authzMatrix[k]
		if !ok {
			continue
		}
		method, path, _ := strings.Cut(k, " ")
		if acc.public {
			continue
		}
		t.Run(k, func(t *testing.T) {
			for _, own := range []bool{true, false} {
				if (acc.record == "" || unscopedRecords[acc.record]) && !own {
					continue
				}
				target := path
				if acc.record != "" {
					params, ok := recordParams[acc.record]
					if !ok {
						t.Fatalf("no recordParams for record kind %q", acc.record)
					}
					for name, v := range params(t, f, own) {
						target = strings.Replace(target, ":"+name, url.PathEscape(v), 1)
					}
				}
				if strings.Contains(target, ":") {
					t.Fatalf("%s: path parameters left in %s", k, target)
				}
				// A visitor who has not signed in goes to the login page, whatever the route.
				p := anonymous.do(t, method, target, url.Values{})
				if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
					t.Errorf("%s %s without signing in: status %d, Location %q; want 303 to /login", method, target, p.status, p.location())
				}
				for _, u := range users {
					want := u.role(acc)
					if !own && u.name != adminUser && want == allow {
						want = hidden
					}
					c := clients[u.name]
					if method == http.MethodPost && path == "/logout" {
						c = f.signIn(t, u.name) // signing out must not end the shared client's session
					}
					var form url.Values
					if method != http.MethodGet {
						form = url.Values{"_csrf": {tokens[u.name]}}
						if c != clients[u.name] {
							form.Set("_csrf", c.csrf(t))
						}
					}
					p := c.do(t, method, target, form)
					if path == "/logout/everywhere" {
						clients[u.name] = f.signIn(t, u.name)
						tokens[u.name] = clients[u.name].csrf(t)
					}
					got := allow
					switch {
					case p.status == http.StatusForbidden:
						got = forbid
					case p.status == http.StatusNotFound:
						got = hidden
					case p.status == http.StatusSeeOther && strings.HasPrefix(p.location(), "/login"):
						if path == "/logout" || path == "/logout/everywhere" {
							break // signing out ends at the login page
						}
						t.Errorf("%s %s as %s: sent to the login page", method, target, u.name)
						continue
					}
					// A role refused anyway may be refused before the record is looked up.
					if !own && want == forbid && got == hidden {
						got = forbid
					}
					if got != want {
						t.Errorf("%s %s as %s (%s facility): %s (status %d), want %s\n%s", method, target, u.name,
							pick(own, "own", "other"), got, p.status, want, excerpt(p.body))
					}
				}
			}
		})
	}
}

func authzDataRequest(t *testing.T, f *fixture) *store.DataRequest {
	t.Helper()
	r := &store.DataRequest{RequesterName: "Authz", Purpose: "test", LegalBasis: "irb", LegalReference: "1",
		PrivacyLevel: "deidentified", Items: `["primarySite"]`, Filters: "{}", Status: "draft"}
	if err := f.store.AddDataRequest(context.Background(), r, store.AuditEntry{Action: "release.request_draft", Entity: "data_request"}); err != nil {
		t.Fatal(err)
	}
	return r
}
