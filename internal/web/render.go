package web

import (
	"fmt"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render renders a templ component into a buffer first, so that a failing render becomes a clean
// 500 through the error handler instead of half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return fmt.Errorf("web: render: %w", err)
	}
	return c.HTML(status, buf.String())
}
