package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// errorHandler is the one place errors become pages: known HTTP errors keep their status and
// message; a not-found from the store is a 404, a conflict a 409; anything else is logged with the request id and
// shown as a plain 500, never with its details.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status := http.StatusInternalServerError
		v := views.ErrorView{Heading: "Something went wrong", Message: "cara could not complete this request. It has been logged; try again, and tell your administrator if it happens again."}
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he):
			status = he.Code
			v.Heading = http.StatusText(status)
			if msg, ok := he.Message.(string); ok && status < 500 {
				v.Message = msg
			}
		case errors.Is(err, store.ErrNotFound):
			status = http.StatusNotFound
		case errors.Is(err, store.ErrConflict):
			// A write that lost to a concurrent one every time it ran (retried where safe; see
			// store.retryTx), or whose check found a change: nothing of it was stored.
			status = http.StatusConflict
			v.Heading = "Changed at the same moment"
			v.Message = "Someone else changed this at the same moment, so cara stored nothing of your request. Reload the page and try again."
		}
		if status == http.StatusNotFound {
			v.Heading = "Not found"
			v.Message = "There is no such page, or no case here that you may open."
		}
		if status >= 500 {
			log.Error("request failed", "status", status, "method", c.Request().Method, "path", c.Request().URL.Path,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
		}
		v.Status = status
		v.Page = pageOf(c, v.Heading)
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		if hx.Is(c.Request().Header.Get(string(hx.Request))) {
			// htmx swaps only 2xx responses by default; send the error page itself.
			c.Response().Header().Set(string(hx.Retarget), "body")
		}
		if rerr := render(c, status, views.ErrorPage(v)); rerr != nil {
			log.Error("render error page", "err", rerr)
			_ = c.String(status, v.Message)
		}
	}
}
