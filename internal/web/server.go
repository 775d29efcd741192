// Package web is cara's HTTP side: the Echo server, its routes, handlers and middleware.
package web

import (
	"context"
	"github.com/cara-registry/cara/internal/staging"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/followup"
	"github.com/cara-registry/cara/internal/quality"
	"github.com/cara-registry/cara/internal/release"
	"github.com/cara-registry/cara/internal/reports"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
	"github.com/cara-registry/cara/views"
)

// Store is what the web handlers need of the database.
type Store interface {
	Healthy(ctx context.Context) error
	UserByUsername(ctx context.Context, username string) (*store.User, error)
	CreateSession(ctx context.Context, s *store.Session) error
	SessionByTokenHash(ctx context.Context, hash string, now time.Time) (*store.SessionUser, error)
	TouchSession(ctx context.Context, id uint, at time.Time) error
	DeleteSession(ctx context.Context, id uint) error
	SignOutEverywhere(ctx context.Context, userID uint, remoteAddr string) (int64, error)
	Audit(ctx context.Context, e store.AuditEntry) error
	loginStore
	worklistStore
	intakeStore
	adminStore
	reviewStore
	patientStore
	submissionStore
	reabstractionStore
	casework.Store
	quality.Store
	casefinding.Store
	followup.Store
	release.Store
	reports.Counter
	fhirStore
	ehr.Store
	ehr.SourceStore
	EachPatient(ctx context.Context, f store.PatientFilter, batchSize int, fn func(p *store.Patient, tumors []store.Tumor) error) error
}

// Deps are what the server is built from.
type Deps struct {
	Store Store
	Form  *abstract.Form
	Edits *edits.Set // the edit set; its Fields checks single values
	// Staging is the EOD staging data that derives Schema ID, stage and grade; nil leaves them alone.
	Staging *staging.DataSet
	Codes   *codes.Tables
	// SiteGroups are the worklist's and the re-abstraction draw's site filter
	// (codes.LoadSiteGroups); none offers no site filter.
	SiteGroups []codes.SiteGroup
	// NewCase is the new-case steps' form (abstract.LoadNewCase); nil refuses to start cases.
	NewCase *abstract.NewCaseForm
	Logger  *slog.Logger
	Now     func() time.Time // time.Now when nil
	// SecureCookies marks cookies Secure and sends HSTS; set it when cara is served over HTTPS.
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For, -Proto and -Host headers
	// are believed; none means the socket's address is the client's.
	TrustedProxies []*net.IPNet
	// Intake configures the intake of uploaded submission files.
	Intake IntakeConfig
	// SubmissionDir is where submission batch files are kept; empty refuses to create batches.
	SubmissionDir string
	// Passwords checks every password a person sets; nil loads the policy from schemas.FS.
	Passwords *auth.PasswordPolicy
	// Hasher hashes new passwords (and upgrades old hashes at sign-in); nil is argon2id at
	// auth.DefaultArgon2.
	Hasher *auth.Hasher
	// ReleaseDir is where release extracts are kept until they expire; empty refuses to run them.
	ReleaseDir string
	// Casefinding is the casefinding data (screening rules, sources, reasons); nil loads it
	// from schemas.FS.
	Casefinding *casefinding.Lists
}

// New builds the Echo server with every route and middleware.
func New(d Deps) *echo.Echo {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Passwords == nil {
		p, err := auth.LoadPasswordPolicy(schemas.FS)
		if err != nil {
			panic(err) // the list is embedded: only a broken build lacks it
		}
		d.Passwords = p
	}
	if d.Casefinding == nil {
		l, err := casefinding.Load(schemas.FS)
		if err != nil {
			panic(err) // the lists are embedded: only a broken build lacks them
		}
		d.Casefinding = l
	}
	if d.Hasher == nil {
		h, err := auth.NewHasher(auth.DefaultArgon2)
		if err != nil {
			panic(err) // the default costs are valid
		}
		d.Hasher = h
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	e.IPExtractor = proxies(d.TrustedProxies).ipExtractor()

	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	// Uploads to the intake have their own limit (IntakeConfig.MaxBytes), checked as they stream.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "2M", Skipper: func(c echo.Context) bool {
		return intakeBodyLimited(c) || casefindingBodyLimited(c) || fhirBodyLimited(c) || reportsBodyLimited(c)
	}}))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
	}))
	if d.SecureCookies {
		e.Use(hsts)
	}
	e.Use(sameOrigin{proxies: d.TrustedProxies, secure: d.SecureCookies}.check)

	static, _ := fs.Sub(views.Static, "static")
	e.StaticFS("/static", static)
	e.GET("/healthz", healthz(d.Store))

	sess := &sessions{store: d.Store, now: d.Now, secure: d.SecureCookies, log: d.Logger}
	e.Use(sess.load)

	login := &loginHandler{store: d.Store, sessions: sess, hasher: d.Hasher, throttle: auth.DefaultThrottle, now: d.Now}
	e.GET("/login", login.show)
	e.POST("/login", login.submit)

	// The guard goes on each route, not on a group: Echo runs a group's middleware for every
	// unknown path too, which sent /favicon.ico to the login page and renewed its token.
	guard := []echo.MiddlewareFunc{sess.requireUser, sess.checkCSRF}
	e.POST("/logout", login.logout, guard...)
	e.POST("/logout/everywhere", login.logoutEverywhere, guard...)
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/cases") }, guard...)

	cases := casework.New(d.Store, d.Form, d.Edits, d.Staging)
	pages := &caseViews{form: d.Form, codes: d.Codes, edits: d.Edits, cases: cases, staging: d.Staging, sources: newSources(d)}
	worklist := &worklistHandler{store: d.Store, codes: d.Codes, siteGroups: d.SiteGroups, now: d.Now}
	form := &caseFormHandler{caseViews: pages, store: d.Store}
	workflow := &workflowHandler{caseViews: pages}
	e.GET("/cases", worklist.list, guard...)
	e.GET("/cases/:id", form.show, guard...)
	e.POST("/cases/:id", form.save, guard...)
	e.POST("/cases/:id/edits", form.checkEdits, guard...)
	e.POST("/cases/:id/outside", form.decideOutside, guard...)
	e.POST("/cases/:id/suggestions/dismiss", form.dismissSuggestion, guard...)
	e.GET("/cases/:id/reports/:key/raw", form.reportRaw, guard...)
	e.GET("/cases/:id/items", form.items, guard...)
	e.GET("/edits", (&editListHandler{store: d.Store, edits: d.Edits}).editList, guard...)

	// A new case: find or enter the patient, then add the tumor.
	patients := &patientHandler{store: d.Store, form: d.Form, codes: d.Codes, fields: d.Edits.Fields, cases: cases, steps: d.NewCase, now: d.Now}
	e.GET("/patients", patients.search, guard...)
	e.GET("/patients/new", patients.newPatient, guard...)
	e.POST("/patients", patients.createPatient, guard...)
	e.GET("/patients/:id", patients.showPatient, guard...)
	e.GET("/patients/:id/tumors/new", patients.newTumor, guard...)
	e.POST("/patients/:id/tumors", patients.createTumor, guard...)
	e.GET("/lookup/:item", (&lookupHandler{codes: d.Codes}).search, guard...)

	// Submission batches for the state registry (registrars, reviewers, administrators, within
	// their facilities; :id is a facility-scoped batch id).
	subs := newSubmissionHandler(d.Store, d.Edits, d.SubmissionDir, d.Now, d.Logger)
	e.GET("/submissions", subs.index, guard...)
	e.POST("/submissions", subs.create, guard...)
	e.POST("/submissions/preview", subs.preview, guard...)
	e.GET("/submissions/:id", subs.show, guard...)
	e.GET("/submissions/:id/download", subs.download, guard...)

	// Administration (admin only: users, facilities, the audit log; ids are not facility-scoped),
	// a user's own password, and a case's history (facility-scoped case id, anyone who may open it).
	admin := &adminHandler{store: d.Store, passwords: d.Passwords, hasher: d.Hasher, throttle: auth.DefaultThrottle, now: d.Now}
	adminOnly := append(slices.Clone(guard), requireAdmin)
	e.GET("/admin/users", admin.listUsers, adminOnly...)
	e.GET("/admin/users/new", admin.newUser, adminOnly...)
	e.POST("/admin/users", admin.createUser, adminOnly...)
	e.GET("/admin/users/:id", admin.showUser, adminOnly...)
	e.POST("/admin/users/:id", admin.updateUser, adminOnly...)
	e.POST("/admin/users/:id/disable", admin.disableUser, adminOnly...)
	e.POST("/admin/users/:id/enable", admin.enableUser, adminOnly...)
	e.POST("/admin/users/:id/password", admin.resetPassword, adminOnly...)
	e.POST("/admin/users/:id/clear-throttle", admin.clearThrottle, adminOnly...)
	e.GET("/admin/facilities", admin.listFacilities, adminOnly...)
	e.GET("/admin/facilities/new", admin.newFacility, adminOnly...)
	e.POST("/admin/facilities", admin.createFacility, adminOnly...)
	e.GET("/admin/facilities/:id", admin.showFacility, adminOnly...)
	e.POST("/admin/facilities/:id", admin.updateFacility, adminOnly...)
	e.GET("/admin/senders", admin.listSenders, adminOnly...)
	e.POST("/admin/senders", admin.createSender, adminOnly...)
	e.POST("/admin/senders/:id/revoke", admin.revokeSender, adminOnly...)
	e.GET("/admin/audit", admin.auditLog, adminOnly...)
	e.GET("/admin/audit.csv", admin.auditCSV, adminOnly...)
	account := &accountHandler{store: d.Store, passwords: d.Passwords, hasher: d.Hasher}
	e.GET("/account/password", account.showPassword, guard...)
	e.POST("/account/password", account.changePassword, guard...)
	e.GET("/cases/:id/history", form.history, guard...)

	// The review workflow: a case's workflow steps and review comments (facility-scoped case
	// ids; the handlers check the role), and the reviewers' queue.
	e.POST("/cases/:id/status", workflow.changeStatus, guard...)
	e.POST("/cases/:id/comments", workflow.addComment, guard...)
	e.POST("/cases/:id/comments/:cid/resolve", workflow.resolveComment, guard...)
	e.POST("/cases/:id/comments/:cid/close", workflow.closeComment, guard...)
	e.GET("/review", worklist.reviewQueue, guard...)

	// Blind re-abstraction and productivity (reviewers and administrators; the handlers refuse
	// registrars with 403). :id is a sample of a facility in scope, :cid a case of that sample.
	reab := &reabstractionHandler{store: d.Store, quality: quality.New(d.Store), form: d.Form, cases: cases,
		siteGroups: d.SiteGroups, newRand: newSampleRandom, now: d.Now}
	e.GET("/reabstraction", reab.list, guard...)
	e.POST("/reabstraction", reab.create, guard...)
	e.GET("/reabstraction/:id", reab.show, guard...)
	e.GET("/reabstraction/:id/cases/:cid", reab.showCase, guard...)
	e.POST("/reabstraction/:id/cases/:cid", reab.saveCase, guard...)
	e.POST("/reabstraction/:id/cases/:cid/reasons", reab.saveReasons, guard...)
	e.GET("/productivity", reab.productivity, guard...)

	// Intake of uploaded submission files: every role, within their facilities (:id is a
	// facility-scoped intake id; another facility's is a 404). The upload checks its CSRF token
	// itself, from the form's first field, so that the file streams to disk unparsed.
	// Follow-up (internal/followup): every role sees the due list and the rate of their
	// facilities; registrars and administrators record follow-up, print letters and clear
	// deaths (:id is a facility-scoped case id).
	fu := newFollowUpHandler(d, cases)
	e.GET("/followup", fu.due, guard...)
	e.GET("/followup/cases/:id", fu.recordForm, guard...)
	e.POST("/followup/cases/:id", fu.record, guard...)
	e.POST("/followup/letters", fu.printLetters, guard...)
	e.GET("/followup/rate", fu.rate, guard...)
	e.GET("/followup/deaths", fu.deaths, guard...)
	e.POST("/followup/deaths", fu.matchDeaths, guard...)
	e.POST("/followup/deaths/confirm", fu.confirmDeath, guard...)

	// Release of information (internal/release): every role sees the requests and the log;
	// registrars and administrators draft requests, run approved extracts and download them (the
	// handlers check); administrators approve or deny. :id is a request id, files/:id a release
	// id (neither facility-scoped: an extract holds only the runner's facilities' cases).
	rel := newReleaseHandler(d)
	e.GET("/releases", rel.index, guard...)
	e.POST("/releases", rel.create, guard...)
	e.GET("/releases/:id", rel.show, guard...)
	e.POST("/releases/:id/approve", rel.approve, adminOnly...)
	e.POST("/releases/:id/deny", rel.deny, adminOnly...)
	e.POST("/releases/:id/run", rel.run, guard...)
	e.GET("/releases/:id/aggregate", rel.aggregate, guard...)
	e.GET("/releases/files/:id", rel.download, guard...)
	e.GET("/patients/:id/disclosures", rel.disclosures, guard...)

	// The registry reports (internal/reports): every role, over the facilities it works for (a
	// facility outside them is a 404); :name is a report of schemas/reports, not a record. The
	// downloads are audited.
	regReports := newRegistryReportsHandler(d)
	e.GET("/reports", regReports.index, guard...)
	e.GET("/reports/:name", regReports.show, guard...)
	e.GET("/reports/:name/download", regReports.download, guard...)

	intake := newIntakeHandler(d)
	e.GET("/intake", intake.list, guard...)
	e.POST("/intake", intake.upload, sess.requireUser)
	e.GET("/intake/:id", intake.show, guard...)
	e.GET("/intake/:id/progress", intake.progress, guard...)
	e.GET("/intake/:id/failures", intake.failures, guard...)
	e.GET("/intake/:id/report.csv", intake.report("csv"), guard...)
	e.GET("/intake/:id/report.html", intake.report("html"), guard...)
	e.POST("/intake/:id/retry", intake.retry, guard...)
	e.POST("/intake/:id/accept", intake.accept, guard...)

	// Casefinding: a facility's suspense list (every role, within their facilities), the upload
	// of casefinding files and the decisions (registrars and administrators; the handlers check).
	// Records are named in the form and scoped by the service.
	cf := &casefindingHandler{store: d.Store, service: casefinding.New(d.Store, d.Casefinding, cases, d.Now), codes: d.Codes, now: d.Now}
	e.GET("/casefinding", cf.list, guard...)
	e.POST("/casefinding/import", cf.upload, append([]echo.MiddlewareFunc{middleware.BodyLimit(casefindingBodyLimit)}, guard...)...)
	e.POST("/casefinding/decide", cf.decide, guard...)
	e.GET("/casefinding/patients", cf.picker, guard...)

	// FHIR R4 intake (internal/fhirintake): a bundle posted with a facility's bearer token, or by
	// a signed-in registrar or administrator with the CSRF header; the handler authenticates and
	// answers every refusal with an OperationOutcome (401, not the login page); rate-limited per
	// sender.
	fh := newFHIRHandler(d, cf)
	e.POST(fhirBundlePath, fh.post, fhirRateLimit())
	// A file of electronic reports (HL7 v2 messages or a FHIR bundle) uploaded on the suspense
	// list page by a registrar or administrator (the handler checks).
	rh := newReportsHandler(d, cf, fh)
	e.POST(reportsUploadPath, rh.upload, append([]echo.MiddlewareFunc{middleware.BodyLimit(reportsBodyLimit)}, guard...)...)
	return e
}

// healthzTimeout bounds /healthz's read of the database: a load balancer checks every second or so.
const healthzTimeout = 2 * time.Second

// healthz answers a load balancer's check: 200 when this process can read its database, 503
// when not. A process whose database is gone (a Galera node stopped, or one that has not yet
// joined its cluster and refuses queries) is taken out of the balancer's rotation by it, and put
// back when its database answers again; the process itself reconnects and needs no restart.
func healthz(st Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), healthzTimeout)
		defer cancel()
		if err := st.Healthy(ctx); err != nil {
			return c.String(http.StatusServiceUnavailable, "database unavailable")
		}
		return c.String(http.StatusOK, "ok")
	}
}
