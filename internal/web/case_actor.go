package web

import (
	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
)

// caseActor is the signed-in user of a request as the case service sees them.
func caseActor(c echo.Context) casework.Actor {
	su := currentUser(c)
	return casework.Actor{UserID: su.User.ID, Role: auth.Role(su.User.Role), Scope: scopeOf(su), RemoteAddr: c.RealIP()}
}
