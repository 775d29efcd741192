package web

import (
	"context"
	"crypto/rand"
	"errors"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// adminStore is what the administration, account, audit log and case history pages need.
type adminStore interface {
	ListUsers(ctx context.Context) ([]store.UserRow, error)
	UserByID(ctx context.Context, id uint) (*store.UserRow, error)
	AddUser(ctx context.Context, in store.NewUser) error
	UpdateUser(ctx context.Context, in store.UserUpdate) (*store.UserRow, error)
	SetUserDisabled(ctx context.Context, id uint, disabled bool, by store.Actor) error
	ResetPassword(ctx context.Context, id uint, hash string, by store.Actor) error
	ChangePassword(ctx context.Context, userID uint, hash string, keepSession uint, remoteAddr string) error
	ListFacilities(ctx context.Context) ([]store.Facility, error)
	FacilityByID(ctx context.Context, id uint) (*store.Facility, error)
	AddFacility(ctx context.Context, f *store.Facility, by store.Actor) error
	UpdateFacility(ctx context.Context, f *store.Facility, by store.Actor) error
	SearchAudit(ctx context.Context, f store.AuditFilter) (*store.AuditPage, error)
	EachAuditEvent(ctx context.Context, f store.AuditFilter, batchSize int, fn func(e *store.AuditRow) error) error
	CaseHistory(ctx context.Context, tumorID uint, sc store.Scope) (*store.CaseHistory, error)
	StatusHistory(ctx context.Context, tumorID uint, sc store.Scope) ([]store.StatusChange, error)
	Usernames(ctx context.Context, ids []uint) (map[uint]string, error)
	AccountThrottles(ctx context.Context, username string) ([]store.LoginThrottle, error)
	ClearAccountThrottles(ctx context.Context, userID uint, by store.Actor) (int64, error)
	ehr.SenderStore
}

// adminHandler serves the administration pages: users, facilities and the audit log.
type adminHandler struct {
	store     Store
	passwords *auth.PasswordPolicy
	hasher    *auth.Hasher
	throttle  auth.Throttle
	now       func() time.Time
}

// requireAdmin refuses everyone but an administrator. It runs after requireUser.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if auth.Role(currentUser(c).User.Role) != auth.RoleAdmin {
			return echo.NewHTTPError(http.StatusForbidden, "Only an administrator may open the administration pages.")
		}
		return next(c)
	}
}

// actorOf is the signed-in user as the author of an administrative change.
func actorOf(c echo.Context) store.Actor {
	return store.Actor{UserID: &currentUser(c).User.ID, RemoteAddr: c.RealIP()}
}

// idParam reads the :id of a path; anything but a positive number is a 404.
func idParam(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return uint(n), nil
}

func userPath(id uint) string { return "/admin/users/" + idString(id) }

var roleOptions = []views.Option{
	{Code: string(auth.RoleRegistrar), Label: "Registrar"},
	{Code: string(auth.RoleReviewer), Label: "Reviewer"},
	{Code: string(auth.RoleAdmin), Label: "Administrator (every facility)"},
}

// listUsers shows every user.
func (h *adminHandler) listUsers(c echo.Context) error {
	rows, err := h.store.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.AdminUsersView{Page: pageOf(c, "Users")}
	for _, r := range rows {
		row := views.AdminUserRow{URL: userPath(r.User.ID), Username: r.User.Username, Name: r.User.DisplayName,
			Role: r.User.Role, Disabled: r.User.DisabledAt != nil, MustChange: r.User.MustChangePassword}
		for _, f := range r.Facilities {
			row.Facilities = append(row.Facilities, f.Name)
		}
		v.Rows = append(v.Rows, row)
	}
	return render(c, http.StatusOK, views.AdminUsers(v))
}

// userEntries are the values of a user form as entered.
type userEntries struct {
	username, displayName, role, password string
	facilities                            []uint
	home                                  *uint
}

// readUserForm reads a user form; a facility id that is not a number is dropped (no such facility).
func readUserForm(c echo.Context) userEntries {
	e := userEntries{
		username:    auth.NormalizeUsername(c.FormValue("username")),
		displayName: strings.TrimSpace(c.FormValue("display_name")),
		role:        c.FormValue("role"),
		password:    c.FormValue("password"),
	}
	if form, err := c.FormParams(); err == nil {
		for _, s := range form["facility"] {
			if n, err := strconv.ParseUint(s, 10, 32); err == nil {
				e.facilities = append(e.facilities, uint(n))
			}
		}
	}
	if n, err := strconv.ParseUint(c.FormValue("home"), 10, 32); err == nil && n > 0 {
		home := uint(n)
		e.home = &home
	}
	return e
}

// validate checks the entries against the facilities that exist; isNew checks the username and
// password (against the policy) too. The errors are by field, each naming the field and the reason.
func (e *userEntries) validate(facilities []store.Facility, isNew bool, policy *auth.PasswordPolicy) map[string]string {
	errs := map[string]string{}
	if isNew {
		switch {
		case e.username == "":
			errs["username"] = "Username: required."
		case strings.ContainsAny(e.username, " \t") || utf8.RuneCountInString(e.username) > 64:
			errs["username"] = "Username: up to 64 characters, no spaces."
		}
		if e.password != "" {
			if err := policy.Check(e.password, e.username, auth.Role(e.role)); err != nil {
				errs["password"] = "Initial password: " + err.Error() + " Or leave it blank for cara to make one."
			}
		}
	}
	if utf8.RuneCountInString(e.displayName) > 200 {
		errs["display_name"] = "Name: up to 200 characters."
	}
	role, err := auth.ParseRole(e.role)
	if err != nil {
		errs["role"] = "Role: choose registrar, reviewer or administrator."
	}
	known := func(id uint) bool {
		return slices.ContainsFunc(facilities, func(f store.Facility) bool { return f.ID == id })
	}
	for _, id := range e.facilities {
		if !known(id) {
			errs["facilities"] = "Facilities: facility " + idString(id) + " does not exist."
		}
	}
	switch {
	case e.home != nil && !known(*e.home):
		errs["home"] = "Home facility: facility " + idString(*e.home) + " does not exist."
	case e.home != nil && !slices.Contains(e.facilities, *e.home):
		errs["home"] = "Home facility: it must be one of the facilities ticked."
	case e.home == nil && len(e.facilities) > 0:
		errs["home"] = "Home facility: choose which of the ticked facilities is the user's home."
	}
	if err == nil && role.NeedsFacility() && len(e.facilities) == 0 {
		errs["facilities"] = "Facilities: a " + string(role) + " must work for at least one facility."
	}
	return errs
}

// userForm is the view of a user form with the entries and facilities.
func userForm(c echo.Context, title string, e userEntries, facilities []store.Facility, errs map[string]string) views.AdminUserFormView {
	v := views.AdminUserFormView{Page: pageOf(c, title), Username: e.username, DisplayName: e.displayName,
		Role: e.role, Roles: roleOptions, Password: e.password, Errors: errs}
	for _, f := range facilities {
		v.Facilities = append(v.Facilities, views.FacilityChoice{
			ID: idString(f.ID), Label: f.Name + " (" + f.Code + ")",
			Checked: slices.Contains(e.facilities, f.ID), Home: e.home != nil && *e.home == f.ID,
		})
	}
	return v
}

// newUser shows the empty user form.
func (h *adminHandler) newUser(c echo.Context) error {
	fs, err := h.store.ListFacilities(c.Request().Context())
	if err != nil {
		return err
	}
	v := userForm(c, "Add a user", userEntries{role: string(auth.RoleRegistrar)}, fs, nil)
	v.Action, v.New = "/admin/users", true
	return render(c, http.StatusOK, views.AdminUserForm(v))
}

// createUser adds a user: validate → store (with user.create, in one transaction) → show the
// user, with the password cara made, if it made one, shown this once.
func (h *adminHandler) createUser(c echo.Context) error {
	ctx := c.Request().Context()
	fs, err := h.store.ListFacilities(ctx)
	if err != nil {
		return err
	}
	e := readUserForm(c)
	errs := e.validate(fs, true, h.passwords)
	if len(errs) > 0 {
		v := userForm(c, "Add a user", e, fs, errs)
		v.Action, v.New = "/admin/users", true
		return render(c, http.StatusUnprocessableEntity, views.AdminUserForm(v))
	}
	password, generated := e.password, false
	if password == "" {
		if password, err = h.generatePassword(e.username, auth.Role(e.role)); err != nil {
			return err
		}
		generated = true
	}
	hash, err := h.hasher.Hash(password)
	if err != nil {
		return err
	}
	u := &store.User{Username: e.username, DisplayName: e.displayName, Role: e.role, PasswordHash: hash,
		FacilityID: e.home, MustChangePassword: true}
	if err := h.store.AddUser(ctx, store.NewUser{User: u, Facilities: e.facilities, By: actorOf(c)}); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			v := userForm(c, "Add a user", e, fs, map[string]string{"username": "Username: a user named " + e.username + " exists already."})
			v.Action, v.New = "/admin/users", true
			return render(c, http.StatusUnprocessableEntity, views.AdminUserForm(v))
		}
		return err
	}
	if !generated {
		return c.Redirect(http.StatusSeeOther, userPath(u.ID)+"?created=1")
	}
	return h.renderUser(c, http.StatusCreated, u.ID, "User "+u.Username+" added.", password)
}

// renderUser shows a user's form as stored, with a notice and a password shown once.
func (h *adminHandler) renderUser(c echo.Context, status int, id uint, notice, shown string) error {
	ctx := c.Request().Context()
	row, err := h.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	fs, err := h.store.ListFacilities(ctx)
	if err != nil {
		return err
	}
	e := userEntries{username: row.User.Username, displayName: row.User.DisplayName, role: row.User.Role,
		facilities: row.FacilityIDs(), home: row.User.FacilityID}
	v := userForm(c, "User "+row.User.Username, e, fs, nil)
	h.fillUserActions(c, &v, row)
	if v.Throttles, err = h.throttleRows(ctx, row.User.Username); err != nil {
		return err
	}
	v.Notice, v.ShownPassword = notice, shown
	return render(c, status, views.AdminUserForm(v))
}

func (h *adminHandler) fillUserActions(c echo.Context, v *views.AdminUserFormView, row *store.UserRow) {
	base := userPath(row.User.ID)
	v.Action, v.DisableURL, v.EnableURL, v.ResetURL = base, base+"/disable", base+"/enable", base+"/password"
	v.ClearThrottleURL = base + "/clear-throttle"
	v.Disabled, v.MustChange = row.User.DisabledAt != nil, row.User.MustChangePassword
	v.Self = row.User.ID == currentUser(c).User.ID
}

// notices are what a redirect after a change says on the user's page.
var userNotices = map[string]string{
	"created":     "User added. They must choose their own password at their first sign-in.",
	"saved":       "Saved.",
	"disabled":    "Disabled. Their sessions have ended; they cannot sign in.",
	"enabled":     "Enabled. They can sign in again.",
	"unthrottled": "Sign-in throttle cleared: they can try again at once from every address.",
}

// showUser shows one user's form.
func (h *adminHandler) showUser(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	notice := ""
	for k, msg := range userNotices {
		if c.QueryParam(k) == "1" {
			notice = msg
		}
	}
	return h.renderUser(c, http.StatusOK, id, notice, "")
}

// updateUser saves a user's name, role and facilities.
func (h *adminHandler) updateUser(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	row, err := h.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	fs, err := h.store.ListFacilities(ctx)
	if err != nil {
		return err
	}
	e := readUserForm(c)
	e.username = row.User.Username
	errs := e.validate(fs, false, h.passwords)
	if len(errs) == 0 && row.User.ID == currentUser(c).User.ID && e.role != string(auth.RoleAdmin) {
		errs["role"] = "Role: you cannot take the administrator role from yourself; ask another administrator."
	}
	if len(errs) > 0 {
		v := userForm(c, "User "+row.User.Username, e, fs, errs)
		h.fillUserActions(c, &v, row)
		return render(c, http.StatusUnprocessableEntity, views.AdminUserForm(v))
	}
	if _, err := h.store.UpdateUser(ctx, store.UserUpdate{ID: id, DisplayName: e.displayName, Role: e.role,
		HomeFacility: e.home, Facilities: e.facilities, By: actorOf(c)}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, userPath(id)+"?saved=1")
}

// disableUser stops a user from signing in and ends their sessions; an administrator cannot
// disable themself (the last administrator would lock everyone out).
func (h *adminHandler) disableUser(c echo.Context) error {
	return h.setDisabled(c, true)
}

// enableUser lets a disabled user sign in again.
func (h *adminHandler) enableUser(c echo.Context) error {
	return h.setDisabled(c, false)
}

func (h *adminHandler) setDisabled(c echo.Context, disabled bool) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if disabled && id == currentUser(c).User.ID {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "You cannot disable your own account; ask another administrator.")
	}
	if err := h.store.SetUserDisabled(c.Request().Context(), id, disabled, actorOf(c)); err != nil {
		return err
	}
	notice := "enabled"
	if disabled {
		notice = "disabled"
	}
	return c.Redirect(http.StatusSeeOther, userPath(id)+"?"+notice+"=1")
}

// resetPassword gives a user a temporary password, shown once to the administrator; the user
// must change it at their next sign-in, and their sessions end now.
func (h *adminHandler) resetPassword(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	row, err := h.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	password, err := h.generatePassword(row.User.Username, auth.Role(row.User.Role))
	if err != nil {
		return err
	}
	hash, err := h.hasher.Hash(password)
	if err != nil {
		return err
	}
	if err := h.store.ResetPassword(ctx, id, hash, actorOf(c)); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.renderUser(c, http.StatusOK, id, "Password of "+row.User.Username+" reset; their sessions have ended.", password)
}

// passwordAlphabet leaves out letters and digits that are easily confused (0/O, 1/l/I).
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// generatePassword makes a random password that the policy accepts for the user: a random one
// fails it only when it happens to contain the username, so a second try is all but certain.
func (h *adminHandler) generatePassword(username string, role auth.Role) (string, error) {
	for range 10 {
		pw, err := randomPassword()
		if err != nil {
			return "", err
		}
		if h.passwords.Check(pw, username, role) == nil {
			return pw, nil
		}
	}
	return "", errors.New("web: no random password passed the password policy in 10 tries")
}

// randomPassword makes a random 14-character password (about 80 bits).
func randomPassword() (string, error) {
	b := make([]byte, 14)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = passwordAlphabet[n.Int64()]
	}
	return string(b), nil
}

// throttleRows describes the sign-in throttle of an account: its failed sign-ins over every
// address and from each address, with the wait they impose now.
func (h *adminHandler) throttleRows(ctx context.Context, username string) ([]views.ThrottleRow, error) {
	rows, err := h.store.AccountThrottles(ctx, username)
	if err != nil {
		return nil, err
	}
	now := h.now()
	var out []views.ThrottleRow
	for _, r := range rows {
		row := views.ThrottleRow{Address: r.RemoteAddr, Failures: r.Failures, LastFailure: r.LastFailureAt.UTC().Format("2006-01-02 15:04:05 UTC")}
		free := h.throttle.AccountAddressFree
		if r.RemoteAddr == "" {
			row.Address, free = "every address", h.throttle.AccountFree
		}
		if w := h.throttle.Wait(r.Failures, free, r.LastFailureAt, now); w > 0 {
			row.Waiting = waitText(int(math.Ceil(w.Seconds())))
		}
		out = append(out, row)
	}
	return out, nil
}

// clearThrottle forgets an account's failed sign-ins, over every address and from each, so that
// the user can sign in again at once (audited as login.throttle_clear). The throttle of a client
// address over every username stays: it is not the account's.
func (h *adminHandler) clearThrottle(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := h.store.ClearAccountThrottles(c.Request().Context(), id, actorOf(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, userPath(id)+"?unthrottled=1")
}
