package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/fhirintake"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/ratelimit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

// fhirBundlePath is the FHIR R4 endpoint a sender posts bundles to.
const fhirBundlePath = "/fhir/r4/Bundle"

// fhirStore is what the FHIR endpoint needs of the database.
type fhirStore interface {
	fhirintake.Store
	EHRSenderByToken(ctx context.Context, hash string) (*store.EHRSender, error)
}

// fhirBodyLimited: the endpoint reads its body within fhirintake.MaxBytes itself, so that a
// bundle too large is answered with an OperationOutcome.
func fhirBodyLimited(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == fhirBundlePath
}

// fhirHandler takes FHIR bundles in: from a sender with a facility's bearer token (the EHR's
// interface engine), or from a signed-in registrar or administrator (the CSRF token in the
// X-CSRF-Token header, or the _csrf field of a file upload), into the facility they name.
type fhirHandler struct {
	store   fhirStore
	service *fhirintake.Service
	cf      *casefindingHandler // the facility a signed-in user names
}

func newFHIRHandler(d Deps, cf *casefindingHandler) *fhirHandler {
	var dict *naaccr.Dictionary
	if d.Form != nil {
		dict = d.Form.Dictionary
	}
	if dict == nil {
		var err error
		if dict, err = naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion); err != nil {
			panic(err) // embedded: only a broken build lacks it
		}
	}
	m, err := fhirintake.LoadMapping(schemas.FS, dict)
	if err != nil {
		panic(err) // the mapping is embedded: only a broken build lacks it
	}
	svc, err := fhirintake.New(d.Store, m, d.Casefinding, d.Now)
	if err != nil {
		panic(err)
	}
	return &fhirHandler{store: d.Store, service: svc, cf: cf}
}

// outcome answers with an OperationOutcome.
func fhirOutcome(c echo.Context, status int, oo any) error {
	b, err := json.MarshalIndent(oo, "", "  ")
	if err != nil {
		return err
	}
	return c.Blob(status, "application/fhir+json; charset=utf-8", b)
}

func fhirError(c echo.Context, status int, code, reason string) error {
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="cara FHIR"`)
	}
	is := fhirintake.Issues{{Severity: fhirintake.SeverityError, Code: code, Path: "Bundle", Reason: reason}}
	return fhirOutcome(c, status, is.OperationOutcome(""))
}

// The rate of bundles one sender (a bearer token, else an address) may post: an EHR's interface
// engine sends a few a second at its busiest; more is a loop gone wrong or an attack.
const (
	fhirRate  = 50  // bundles a second, sustained
	fhirBurst = 200 // at once
)

// fhirRateLimit refuses a sender over fhirRate with 429 and an OperationOutcome. Each server has
// its own counts.
func fhirRateLimit() echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: ratelimit.New(fhirRate, fhirBurst, 5*time.Minute),
		IdentifierExtractor: func(c echo.Context) (string, error) {
			if bearer, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer "); ok {
				return "token:" + auth.HashToken(strings.TrimSpace(bearer)), nil
			}
			return "addr:" + c.RealIP(), nil
		},
		ErrorHandler: func(c echo.Context, err error) error {
			return fhirError(c, http.StatusForbidden, "security", "the sender could not be told apart")
		},
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", "1")
			return fhirError(c, http.StatusTooManyRequests, "throttled", fmt.Sprintf("more than %d bundles a second from this sender: send again in a moment", fhirRate))
		},
	})
}

// post takes one bundle: 201 and an OperationOutcome of the warnings when it is added, 200 when
// the facility had it already, 400 or 422 with the errors when refused.
func (h *fhirHandler) post(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	req := c.Request()
	var (
		a          casefinding.Actor
		facilityID uint
		name       = "POST " + fhirBundlePath
		session    bool
	)
	if bearer, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		t, err := h.store.EHRSenderByToken(req.Context(), auth.HashToken(strings.TrimSpace(bearer)))
		if errors.Is(err, store.ErrNotFound) {
			return fhirError(c, http.StatusUnauthorized, "security", "the bearer token is not one cara knows, or it was revoked")
		}
		if err != nil {
			return err
		}
		a = casefinding.Actor{Scope: store.FacilityScope(t.FacilityID), RemoteAddr: c.RealIP()}
		facilityID, name = t.FacilityID, fmt.Sprintf("%s (sender %d, %s)", name, t.ID, t.Name)
	} else {
		su := currentUser(c)
		if su == nil {
			return fhirError(c, http.StatusUnauthorized, "security", "send a facility's bearer token (Authorization: Bearer TOKEN), or sign in")
		}
		if su.User.MustChangePassword {
			return fhirError(c, http.StatusForbidden, "security", "choose a new password first")
		}
		session = true
		a = casefindingActor(c)
	}
	raw, fileName, err := h.body(c, session)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return fhirError(c, he.Code, fhirCodeOf(he.Code), fmt.Sprint(he.Message))
		}
		return err
	}
	if session {
		token := req.Header.Get(csrfHeader)
		if token == "" {
			token = c.FormValue(csrfField)
		}
		if !auth.TokensEqual(token, currentUser(c).Session.CSRFToken) {
			return fhirError(c, http.StatusForbidden, "security", "the request did not come from cara: send the X-CSRF-Token header")
		}
		fc, err := h.cf.facility(c)
		if err != nil {
			var he *echo.HTTPError
			if errors.As(err, &he) {
				return fhirError(c, he.Code, fhirCodeOf(he.Code), fmt.Sprint(he.Message))
			}
			return err
		}
		facilityID = fc.id
		if fileName != "" {
			name = fileName
		}
	}
	rc, err := h.service.Receive(req.Context(), a, facilityID, raw, name)
	switch {
	case errors.Is(err, fhirintake.ErrNotFound):
		return fhirError(c, http.StatusNotFound, "not-found", "there is no such facility among yours")
	case errors.Is(err, fhirintake.ErrForbidden):
		return fhirError(c, http.StatusForbidden, "forbidden", err.Error())
	case err != nil:
		return err
	}
	oo := rc.Result.Issues.OperationOutcome(rc.Note())
	switch {
	case rc.Refused():
		status := http.StatusUnprocessableEntity
		for _, is := range rc.Result.Issues {
			if is.Severity == fhirintake.SeverityError && (is.Code == "structure" || is.Code == "too-long") {
				status = http.StatusBadRequest
			}
		}
		return fhirOutcome(c, status, oo)
	case rc.Added:
		return fhirOutcome(c, http.StatusCreated, oo)
	}
	return fhirOutcome(c, http.StatusOK, oo)
}

func fhirCodeOf(status int) string {
	switch status {
	case http.StatusForbidden, http.StatusUnauthorized:
		return "security"
	case http.StatusNotFound:
		return "not-found"
	case http.StatusRequestEntityTooLarge:
		return "too-long"
	}
	return "invalid"
}

// body reads the bundle: the request's body (application/fhir+json or application/json), or,
// for a signed-in user, the "file" of a multipart upload; within fhirintake.MaxBytes.
func (h *fhirHandler) body(c echo.Context, session bool) (raw []byte, fileName string, err error) {
	req := c.Request()
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	tooLarge := echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the bundle is larger than the %d bytes cara takes", fhirintake.MaxBytes))
	switch {
	case mt == "application/fhir+json" || mt == "application/json":
		raw, err = io.ReadAll(io.LimitReader(req.Body, fhirintake.MaxBytes+1))
		if err != nil {
			return nil, "", fmt.Errorf("web: fhir bundle: %w", err)
		}
	case mt == "multipart/form-data" && session:
		req.Body = http.MaxBytesReader(c.Response(), req.Body, fhirintake.MaxBytes+64<<10)
		fh, err := c.FormFile("file")
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, "", tooLarge
			}
			return nil, "", echo.NewHTTPError(http.StatusBadRequest, "choose a FHIR bundle file (JSON) to upload, in the field \"file\"")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, "", fmt.Errorf("web: fhir upload: %w", err)
		}
		defer f.Close()
		if raw, err = io.ReadAll(io.LimitReader(f, fhirintake.MaxBytes+1)); err != nil {
			return nil, "", fmt.Errorf("web: fhir upload: %w", err)
		}
		fileName = fh.Filename
	default:
		return nil, "", echo.NewHTTPError(http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: send application/fhir+json", req.Header.Get("Content-Type")))
	}
	if len(raw) > fhirintake.MaxBytes {
		return nil, "", tooLarge
	}
	return raw, fileName, nil
}
