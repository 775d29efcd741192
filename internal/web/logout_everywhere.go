package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// logoutEverywhere ends every session of the user, in every browser: for a user who signed in
// on a shared computer, or fears someone has their cookie.
func (h *loginHandler) logoutEverywhere(c echo.Context) error {
	su := currentUser(c)
	if _, err := h.store.SignOutEverywhere(c.Request().Context(), su.User.ID, c.RealIP()); err != nil {
		return err
	}
	h.sessions.clearCookie(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}
