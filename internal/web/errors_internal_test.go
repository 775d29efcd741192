package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/store"
)

// A write the store gave up on as a conflict (it lost to concurrent writes on every attempt)
// is a 409 that tells the person to try again, not a 500.
func TestErrorHandlerShowsAConflictAsAConflict(t *testing.T) {
	tests := []struct {
		err    error
		status int
		text   string
	}{
		{fmt.Errorf("store: add patient: lost to concurrent writes 5 times: %w", store.ErrConflict), http.StatusConflict, "try again"},
		{fmt.Errorf("store: x: %w", store.ErrNotFound), http.StatusNotFound, "no such page"},
		{fmt.Errorf("disk full"), http.StatusInternalServerError, "could not complete"},
	}
	for _, tt := range tests {
		var logged bytes.Buffer
		e := echo.New()
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodPost, "/patients", nil), rec)
		errorHandler(slog.New(slog.NewTextHandler(&logged, nil)))(tt.err, c)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.text) {
			t.Errorf("%v: %d %.200q, want %d with %q", tt.err, rec.Code, rec.Body.String(), tt.status, tt.text)
		}
		if (tt.status >= 500) != (logged.Len() > 0) {
			t.Errorf("%v: logged %q; only a 500 is logged", tt.err, logged.String())
		}
	}
}
