package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// loginStore is what signing in needs of the database besides users, sessions and the audit.
type loginStore interface {
	LoginThrottles(ctx context.Context, keys []store.ThrottleKey) ([]store.LoginThrottle, error)
	RecordLoginFailure(ctx context.Context, keys []store.ThrottleKey, at, forgetBefore time.Time) error
	ClearLoginThrottle(ctx context.Context, k store.ThrottleKey) error
	UpgradePasswordHash(ctx context.Context, userID uint, oldHash, newHash string) error
	CreateLoginPresession(ctx context.Context, p *store.LoginPresession) error
	LoginPresessionByTokenHash(ctx context.Context, hash string, now time.Time) (*store.LoginPresession, error)
	DeleteLoginPresession(ctx context.Context, hash string) error
}

// loginFormLifetime is how long a sign-in form (its pre-session) stays valid.
const loginFormLifetime = time.Hour

type loginHandler struct {
	store    Store
	sessions *sessions
	hasher   *auth.Hasher
	throttle auth.Throttle
	now      func() time.Time
}

// loginCookie is the cookie of the sign-in pre-session. Over HTTPS it has the __Host- prefix,
// which browsers let no other host (a sibling subdomain) set, so the cookie cannot be planted.
func (h *loginHandler) loginCookie() string {
	if h.sessions.secure {
		return "__Host-" + loginCSRFCookie
	}
	return loginCSRFCookie
}

// show renders the sign-in form.
func (h *loginHandler) show(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/cases")
	}
	return h.renderForm(c, http.StatusOK, "", "")
}

// presession returns the unexpired sign-in pre-session of the request's cookie, or nil.
func (h *loginHandler) presession(c echo.Context) (*store.LoginPresession, error) {
	ck, err := c.Cookie(h.loginCookie())
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	p, err := h.store.LoginPresessionByTokenHash(c.Request().Context(), auth.HashToken(ck.Value), h.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// renderForm shows the sign-in form with the CSRF token of the browser's pre-session, made
// now if it has none: reusing it lets two tabs on the sign-in page both work.
func (h *loginHandler) renderForm(c echo.Context, status int, username, msg string) error {
	p, err := h.presession(c)
	if err != nil {
		return err
	}
	if p == nil {
		token, err := auth.NewToken()
		if err != nil {
			return err
		}
		csrf, err := auth.NewToken()
		if err != nil {
			return err
		}
		now := h.now().UTC()
		p = &store.LoginPresession{TokenHash: auth.HashToken(token), CSRFToken: csrf, CreatedAt: now, ExpiresAt: now.Add(loginFormLifetime)}
		if err := h.store.CreateLoginPresession(c.Request().Context(), p); err != nil {
			return err
		}
		h.sessions.setCookie(c, h.loginCookie(), token, loginFormLifetime)
	}
	v := views.LoginView{Page: views.Page{Title: "Sign in", CSRF: p.CSRFToken}, Username: username, Error: msg, Next: safeNext(c.QueryParam("next"))}
	if v.Next == "" {
		v.Next = safeNext(c.FormValue("next"))
	}
	return render(c, status, views.Login(v))
}

// submit checks the credentials and starts a session.
func (h *loginHandler) submit(c echo.Context) error {
	ctx := c.Request().Context()
	// Only the CSRF token stored for this browser's pre-session is accepted, and only from the
	// posted form (not the query string, which reaches logs): a cookie and field that someone
	// made up together match no pre-session.
	pre, err := h.presession(c)
	if err != nil {
		return err
	}
	if pre == nil || !auth.TokensEqual(c.Request().PostFormValue(csrfField), pre.CSRFToken) {
		return echo.NewHTTPError(http.StatusForbidden, "The sign-in form has expired. Reload the page and try again.")
	}
	username := auth.NormalizeUsername(c.FormValue("username"))
	password := c.FormValue("password")
	now := h.now()
	addr := throttleAddress(c.RealIP())
	keys := throttleKeys(username, addr)

	rows, err := h.store.LoginThrottles(ctx, keys)
	if err != nil {
		return err
	}
	if wait, why := h.throttleWait(rows, addr, now); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return h.renderForm(c, http.StatusTooManyRequests, username,
			"Too many failed sign-in attempts "+why+". Try again in "+waitText(secs)+", or ask an administrator.")
	}

	u, err := h.knownUser(ctx, username)
	if err != nil {
		return err
	}
	switch {
	case u == nil || u.DisabledAt != nil:
		h.hasher.SpendTime(password)
		u = nil
	case auth.CheckPassword(u.PasswordHash, password) != nil:
		u = nil
	}
	if u == nil {
		if err := h.store.RecordLoginFailure(ctx, keys, now, now.Add(-h.throttle.Memory)); err != nil {
			return err
		}
		if err := h.store.Audit(ctx, store.AuditEntry{Action: audit.LoginFailure, Entity: "user", EntityID: username, RemoteAddr: c.RealIP()}); err != nil {
			return err
		}
		return h.renderForm(c, http.StatusUnauthorized, username, "Wrong username or password.")
	}

	// The real user from this address: their own failures from here are forgiven. The address's
	// and the account's counts stay, or one account of an attacker's would reset them.
	if err := h.store.ClearLoginThrottle(ctx, store.ThrottleKey{Username: username, RemoteAddr: addr}); err != nil {
		return err
	}
	if h.hasher.NeedsRehash(u.PasswordHash) {
		hash, err := h.hasher.Hash(password)
		if err != nil {
			return err
		}
		if err := h.store.UpgradePasswordHash(ctx, u.ID, u.PasswordHash, hash); err != nil {
			return err
		}
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
	if err := h.store.DeleteLoginPresession(ctx, pre.TokenHash); err != nil {
		return err
	}
	if err := h.store.Audit(ctx, store.AuditEntry{UserID: &u.ID, Action: audit.LoginSuccess, Entity: "user", EntityID: username, RemoteAddr: c.RealIP()}); err != nil {
		return err
	}
	h.sessions.setCookie(c, sessionCookie, token, auth.MaxAge)
	h.sessions.setCookie(c, h.loginCookie(), "", -time.Second)
	next := safeNext(c.FormValue("next"))
	if next == "" {
		next = "/cases"
	}
	if u.MustChangePassword {
		next = accountPasswordPath // every other page would send them there anyway
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// knownUser returns the user of a username, or nil when there is none. A username longer than
// any cara allows is not looked up.
func (h *loginHandler) knownUser(ctx context.Context, username string) (*store.User, error) {
	if username == "" || utf8.RuneCountInString(username) > maxUsernameLength {
		return nil, nil
	}
	u, err := h.store.UserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

// maxUsernameLength is the longest username cara accepts (users.username is VARCHAR(64)).
const maxUsernameLength = 64

// throttleKeys are the throttle rows a sign-in attempt counts on: the address over every
// username, and, for a username that could exist, the account from this address and the account
// over every address.
func throttleKeys(username, addr string) []store.ThrottleKey {
	keys := []store.ThrottleKey{{RemoteAddr: addr}}
	if username != "" && utf8.RuneCountInString(username) <= maxUsernameLength {
		keys = append(keys, store.ThrottleKey{Username: username, RemoteAddr: addr}, store.ThrottleKey{Username: username})
	}
	return keys
}

// throttleWait is the longest wait any of the rows imposes, with the reason in words.
func (h *loginHandler) throttleWait(rows []store.LoginThrottle, addr string, now time.Time) (time.Duration, string) {
	var wait time.Duration
	var why string
	for _, r := range rows {
		free, reason := h.throttle.AccountAddressFree, "for this user from your address"
		switch {
		case r.Username == "":
			free, reason = h.throttle.AddressFree, "from your address"
		case r.RemoteAddr == "":
			free, reason = h.throttle.AccountFree, "for this user"
		}
		if w := h.throttle.Wait(r.Failures, free, r.LastFailureAt, now); w > wait {
			wait, why = w, reason
		}
	}
	return wait, why
}

// throttleAddress is the client address a throttle counts on. An IPv6 client is counted by its
// /64 network, since one subscriber usually has a whole /64 to choose addresses from. Something
// that is not an address is kept, at most 64 bytes of it (the column's width).
func throttleAddress(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		a = a.Unmap()
		if a.Is6() {
			p, _ := a.WithZone("").Prefix(64)
			return p.String()
		}
		return a.String()
	}
	if ip == "" {
		return "unknown"
	}
	return strings.ToValidUTF8(ip[:min(len(ip), 64)], "")
}

// waitText says a wait in whole seconds in words: "1 second", "40 seconds", "15 minutes".
func waitText(secs int) string {
	switch {
	case secs == 1:
		return "1 second"
	case secs < 120:
		return strconv.Itoa(secs) + " seconds"
	default:
		return strconv.Itoa((secs+59)/60) + " minutes"
	}
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
