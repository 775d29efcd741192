package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

const (
	sessionCookie    = "cara_session"
	loginCSRFCookie  = "cara_login_csrf"
	csrfField        = "_csrf"
	csrfHeader       = "X-CSRF-Token"
	ctxKeyUser       = "cara.user"
	touchGranularity = time.Minute
)

// sessions loads the signed-in user from the session cookie and guards routes.
type sessions struct {
	store  Store
	now    func() time.Time
	secure bool
	log    *slog.Logger
}

// currentUser returns the signed-in user of a request, or nil.
func currentUser(c echo.Context) *store.SessionUser {
	su, _ := c.Get(ctxKeyUser).(*store.SessionUser)
	return su
}

// scopeOf is what a user may see: an administrator every facility, anyone else the facilities
// they work for (and a user without a facility nothing).
func scopeOf(su *store.SessionUser) store.Scope {
	if auth.Role(su.User.Role) == auth.RoleAdmin {
		return store.AllFacilities
	}
	ids := make([]uint, len(su.Facilities))
	for i, f := range su.Facilities {
		ids[i] = f.ID
	}
	return store.FacilitiesScope(ids)
}

// facilityLister is the part of the store that lists every facility.
type facilityLister interface {
	Facilities(ctx context.Context) ([]store.Facility, error)
}

// facilitiesOf are the facilities a user may pick, as scopeOf draws them: every one for an
// administrator, else the user's own.
func facilitiesOf(c echo.Context, st facilityLister) ([]store.Facility, error) {
	su := currentUser(c)
	if auth.Role(su.User.Role) == auth.RoleAdmin {
		return st.Facilities(c.Request().Context())
	}
	return su.Facilities, nil
}

// pageOf fills the common page fields for a signed-in user.
func pageOf(c echo.Context, title string) views.Page {
	p := views.Page{Title: title}
	if su := currentUser(c); su != nil {
		p.CSRF = su.Session.CSRFToken
		p.User = &views.UserInfo{Username: su.User.Username, Name: su.User.DisplayName, Role: su.User.Role, RoleLabel: auth.Role(su.User.Role).Label()}
		if p.User.Name == "" {
			p.User.Name = su.User.Username
		}
		if su.Facility != nil {
			p.User.Facility = su.Facility.Name
		}
	}
	return p
}

// load finds the session of the request, if any, and ends it when it has been idle too long.
func (s *sessions) load(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		now := s.now()
		su, err := s.store.SessionByTokenHash(ctx, auth.HashToken(ck.Value), now)
		if errors.Is(err, store.ErrNotFound) {
			s.clearCookie(c)
			return next(c)
		}
		if err != nil {
			return err
		}
		if now.Sub(su.Session.LastSeenAt) > auth.IdleTimeout {
			if err := s.store.DeleteSession(ctx, su.Session.ID); err != nil {
				return err
			}
			s.clearCookie(c)
			return next(c)
		}
		if now.Sub(su.Session.LastSeenAt) > touchGranularity {
			if err := s.store.TouchSession(ctx, su.Session.ID, now); err != nil {
				return err
			}
		}
		c.Set(ctxKeyUser, su)
		return next(c)
	}
}

// requireUser sends a visitor who is not signed in to the login page.
func (s *sessions) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if su := currentUser(c); su != nil {
			c.Response().Header().Set("Cache-Control", "no-store")
			// After an administrator's password reset, the user must choose a new password
			// before anything else; signing out (here or everywhere) stays possible.
			if su.User.MustChangePassword && c.Path() != accountPasswordPath && c.Path() != "/logout" && c.Path() != "/logout/everywhere" {
				if hx.Is(c.Request().Header.Get(string(hx.Request))) {
					c.Response().Header().Set(string(hx.Redirect), accountPasswordPath)
					return c.NoContent(http.StatusForbidden)
				}
				return c.Redirect(http.StatusSeeOther, accountPasswordPath)
			}
			return next(c)
		}
		target := "/login"
		if c.Request().Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		}
		if hx.Is(c.Request().Header.Get(string(hx.Request))) {
			c.Response().Header().Set(string(hx.Redirect), target)
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// checkCSRF refuses an unsafe request whose token, from the X-CSRF-Token header or the form's
// _csrf field, does not match the session's.
func (s *sessions) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		su := currentUser(c)
		token := c.Request().Header.Get(csrfHeader)
		if token == "" {
			// The body's form only: c.FormValue would take the query string's too.
			token = c.Request().PostFormValue(csrfField)
		}
		if su == nil || !auth.TokensEqual(token, su.Session.CSRFToken) {
			return echo.NewHTTPError(http.StatusForbidden, "The form has expired or did not come from cara. Reload the page and try again.")
		}
		return next(c)
	}
}

func (s *sessions) setCookie(c echo.Context, name, value string, maxAge time.Duration) {
	c.SetCookie(&http.Cookie{
		Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds()),
	})
}

func (s *sessions) clearCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secure, MaxAge: -1})
}
