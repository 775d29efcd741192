package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/views"
)

// accountHandler lets a signed-in user change their own password; after an administrator's
// reset it is the only page they may open (see sessions.requireUser).
type accountHandler struct {
	store     Store
	passwords *auth.PasswordPolicy
	hasher    *auth.Hasher
}

// accountPasswordPath is the password change page; requireUser sends a user who must change
// their password here.
const accountPasswordPath = "/account/password"

func (h *accountHandler) passwordView(c echo.Context, errs map[string]string) views.AccountPasswordView {
	return views.AccountPasswordView{Page: pageOf(c, "Change your password"), Forced: currentUser(c).User.MustChangePassword, Errors: errs}
}

// showPassword shows the password form.
func (h *accountHandler) showPassword(c echo.Context) error {
	v := h.passwordView(c, nil)
	v.Done = c.QueryParam("changed") == "1"
	return render(c, http.StatusOK, views.AccountPassword(v))
}

// changePassword checks the current password, then stores the new one (its must-change mark
// cleared, the user's other sessions ended, audited as password.change).
func (h *accountHandler) changePassword(c echo.Context) error {
	su := currentUser(c)
	current, next, confirm := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	errs := map[string]string{}
	if auth.CheckPassword(su.User.PasswordHash, current) != nil {
		errs["current"] = "Current password: it is not your current password."
	}
	if err := h.passwords.Check(next, su.User.Username, auth.Role(su.User.Role)); err != nil {
		errs["new"] = "New password: " + err.Error()
	}
	switch {
	case errs["new"] != "":
	case next == current:
		errs["new"] = "New password: it must differ from the current one."
	case next != confirm:
		errs["confirm"] = "New password again: the two new passwords differ."
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.AccountPassword(h.passwordView(c, errs)))
	}
	hash, err := h.hasher.Hash(next)
	if err != nil {
		return err
	}
	if err := h.store.ChangePassword(c.Request().Context(), su.User.ID, hash, su.Session.ID, c.RealIP()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, accountPasswordPath+"?changed=1")
}
