// Package web is cara's HTTP side: the Echo server, its routes, handlers and middleware.
package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// Store is what the web handlers need of the database.
type Store interface {
	UserByUsername(ctx context.Context, username string) (*store.User, error)
	CreateSession(ctx context.Context, s *store.Session) error
	SessionByTokenHash(ctx context.Context, hash string, now time.Time) (*store.SessionUser, error)
	TouchSession(ctx context.Context, id uint, at time.Time) error
	DeleteSession(ctx context.Context, id uint) error
	Audit(ctx context.Context, e store.AuditEntry) error
	CountAudit(ctx context.Context, action, entity, entityID string, since time.Time) (int64, error)
	worklistStore
	patientStore
	LoadCase(ctx context.Context, tumorID uint, sc store.Scope) (*store.Case, error)
	SaveCase(ctx context.Context, in store.CaseSave) (*store.Case, []store.ItemChange, error)
	PatientTumors(ctx context.Context, patientID uint, sc store.Scope) ([]store.Tumor, error)
	EachPatient(ctx context.Context, f store.PatientFilter, batchSize int, fn func(p *store.Patient, tumors []store.Tumor) error) error
}

// Deps are what the server is built from.
type Deps struct {
	Store Store
	Form  *abstract.Form
	Edits *edits.Set // the edit set; its Fields checks single values
	// Schemas selects the EOD schema of a tumor for the derived items; nil leaves schemaId alone.
	Schemas *abstract.SchemaSelector
	Codes   *codes.Tables
	Logger  *slog.Logger
	Now     func() time.Time // time.Now when nil
	// SecureCookies marks cookies Secure; set it when cara is served over HTTPS.
	SecureCookies bool
}

// New builds the Echo server with every route and middleware.
func New(d Deps) *echo.Echo {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Logger)

	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit("2M"))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
	}))

	static, _ := fs.Sub(views.Static, "static")
	e.StaticFS("/static", static)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })

	sess := &sessions{store: d.Store, now: d.Now, secure: d.SecureCookies, log: d.Logger}
	e.Use(sess.load)

	login := &loginHandler{store: d.Store, sessions: sess, now: d.Now}
	e.GET("/login", login.show)
	e.POST("/login", login.submit)

	// The guard goes on each route, not on a group: Echo runs a group's middleware for every
	// unknown path too, which sent /favicon.ico to the login page and renewed its token.
	guard := []echo.MiddlewareFunc{sess.requireUser, sess.checkCSRF}
	e.POST("/logout", login.logout, guard...)
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/cases") }, guard...)

	cases := &caseHandler{store: d.Store, form: d.Form, fields: d.Edits.Fields, edits: d.Edits, codes: d.Codes, schemas: d.Schemas,
		siteGroups: loadSiteGroups(d.Logger), now: d.Now}
	e.GET("/cases", cases.list, guard...)
	e.GET("/cases/:id", cases.show, guard...)
	e.POST("/cases/:id", cases.save, guard...)
	e.POST("/cases/:id/edits", cases.checkEdits, guard...)
	e.GET("/cases/:id/items", cases.items, guard...)
	e.GET("/edits", cases.editList, guard...)

	// A new case: find or enter the patient, then add the tumor.
	patients := newPatientHandler(cases, d.Logger)
	e.GET("/patients", patients.search, guard...)
	e.GET("/patients/new", patients.newPatient, guard...)
	e.POST("/patients", patients.createPatient, guard...)
	e.GET("/patients/:id", patients.showPatient, guard...)
	e.GET("/patients/:id/tumors/new", patients.newTumor, guard...)
	e.POST("/patients/:id/tumors", patients.createTumor, guard...)
	e.GET("/lookup/:item", (&lookupHandler{codes: d.Codes}).search, guard...)
	return e
}
