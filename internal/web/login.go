package web

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// Login throttling: after maxLoginFailures failed attempts for one username within
// loginFailureWindow, further attempts are refused until the window has passed.
const (
	maxLoginFailures   = 5
	loginFailureWindow = 15 * time.Minute
)

type loginHandler struct {
	store    Store
	sessions *sessions
	now      func() time.Time
}

// show renders the login form with a fresh login CSRF token held in a cookie.
func (h *loginHandler) show(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/cases")
	}
	return h.renderForm(c, http.StatusOK, "", "")
}

func (h *loginHandler) renderForm(c echo.Context, status int, username, msg string) error {
	// Reuse the token of an open sign-in form, so two tabs on the login page both work.
	var token string
	if ck, err := c.Cookie(loginCSRFCookie); err == nil && len(ck.Value) == 43 {
		token = ck.Value
	} else if token, err = auth.NewToken(); err != nil {
		return err
	}
	h.sessions.setCookie(c, loginCSRFCookie, token, time.Hour)
	v := views.LoginView{Page: views.Page{Title: "Sign in", CSRF: token}, Username: username, Error: msg, Next: safeNext(c.QueryParam("next"))}
	if v.Next == "" {
		v.Next = safeNext(c.FormValue("next"))
	}
	return render(c, status, views.Login(v))
}

// submit checks the credentials and starts a session.
func (h *loginHandler) submit(c echo.Context) error {
	ctx := c.Request().Context()
	ck, err := c.Cookie(loginCSRFCookie)
	if err != nil || !auth.TokensEqual(c.FormValue(csrfField), ck.Value) {
		return echo.NewHTTPError(http.StatusForbidden, "The sign-in form has expired. Reload the page and try again.")
	}
	username := auth.NormalizeUsername(c.FormValue("username"))
	password := c.FormValue("password")
	now := h.now()

	failures, err := h.store.CountAudit(ctx, audit.LoginFailure, "user", username, now.Add(-loginFailureWindow))
	if err != nil {
		return err
	}
	if failures >= maxLoginFailures {
		return h.renderForm(c, http.StatusTooManyRequests, username, "Too many failed sign-in attempts for this user. Wait 15 minutes, or ask an administrator.")
	}

	u, err := h.store.UserByUsername(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		auth.SpendPasswordTime(password)
	case err != nil:
		return err
	case u.DisabledAt != nil:
		auth.SpendPasswordTime(password)
		u = nil
	default:
		if auth.CheckPassword(u.PasswordHash, password) != nil {
			u = nil
		}
	}
	if u == nil {
		if err := h.store.Audit(ctx, store.AuditEntry{Action: audit.LoginFailure, Entity: "user", EntityID: username, RemoteAddr: c.RealIP()}); err != nil {
			return err
		}
		return h.renderForm(c, http.StatusUnauthorized, username, "Wrong username or password.")
	}

	token, err := auth.NewToken()
	if err != nil {
		return err
	}
	csrf, err := auth.NewToken()
	if err != nil {
		return err
	}
	sess := &store.Session{
		TokenHash: auth.HashToken(token), UserID: u.ID, CSRFToken: csrf,
		CreatedAt: now.UTC(), ExpiresAt: now.Add(auth.MaxAge).UTC(), LastSeenAt: now.UTC(),
	}
	if err := h.store.CreateSession(ctx, sess); err != nil {
		return err
	}
	if err := h.store.Audit(ctx, store.AuditEntry{UserID: &u.ID, Action: audit.LoginSuccess, Entity: "user", EntityID: username, RemoteAddr: c.RealIP()}); err != nil {
		return err
	}
	h.sessions.setCookie(c, sessionCookie, token, auth.MaxAge)
	h.sessions.setCookie(c, loginCSRFCookie, "", -time.Second)
	next := safeNext(c.FormValue("next"))
	if next == "" {
		next = "/cases"
	}
	if u.MustChangePassword {
		next = accountPasswordPath // every other page would send them there anyway
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// logout ends the session.
func (h *loginHandler) logout(c echo.Context) error {
	su := currentUser(c)
	ctx := c.Request().Context()
	if err := h.store.DeleteSession(ctx, su.Session.ID); err != nil {
		return err
	}
	if err := h.store.Audit(ctx, store.AuditEntry{UserID: &su.User.ID, Action: audit.Logout, Entity: "user", EntityID: su.User.Username, RemoteAddr: c.RealIP()}); err != nil {
		return err
	}
	h.sessions.clearCookie(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}

// safeNext keeps a post-login target only when it is a path on this site, so the login page
// cannot be used to send people elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	// Browsers drop tabs and newlines from a URL, so "/\t/evil.example" would lead to another site.
	if strings.ContainsFunc(next, unicode.IsControl) {
		return ""
	}
	return next
}
