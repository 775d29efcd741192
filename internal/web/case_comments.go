package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/views"
)

// addComment stores a reviewer's comment on an item of a case (or on the whole case), while the
// case is in review or returned.
func (h *workflowHandler) addComment(c echo.Context) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	sec := h.section(c.FormValue("section"))
	item := strings.TrimSpace(c.FormValue("naaccrId"))
	body := strings.TrimSpace(c.FormValue("body"))
	cs, err := h.cases.AddComment(c.Request().Context(), caseActor(c), id, item, body)
	if err != nil {
		return h.refuseComment(c, cs, sec, err, func(p *views.ReviewPanel) { p.Item, p.Body = item, body })
	}
	anchor := "#comments"
	if item != "" {
		anchor = "#f-" + item
	}
	return c.Redirect(http.StatusSeeOther, caseURL(id, sec.ID, "commented")+anchor)
}

// resolveComment marks a comment resolved with the registrar's note of what was done, while the
// case is theirs to change (returned or draft).
func (h *workflowHandler) resolveComment(c echo.Context) error {
	return h.commentStep(c, "resolved", func(a casework.Actor, id, cid uint, note string) (*casework.Case, error) {
		return h.cases.ResolveComment(c.Request().Context(), a, id, cid, note)
	})
}

// closeComment closes a resolved comment: the reviewer agrees with what was done.
func (h *workflowHandler) closeComment(c echo.Context) error {
	return h.commentStep(c, "closed", func(a casework.Actor, id, cid uint, _ string) (*casework.Case, error) {
		return h.cases.CloseComment(c.Request().Context(), a, id, cid)
	})
}

// commentStep parses the case and comment ids of a resolve or close, runs do, and redirects back
// to the comment with the flash of the step done, or shows the case page with the refusal.
func (h *workflowHandler) commentStep(c echo.Context, flash string, do func(a casework.Actor, id, cid uint, note string) (*casework.Case, error)) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	cid, err := strconv.ParseUint(c.Param("cid"), 10, 32)
	if err != nil || cid == 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	sec := h.section(c.FormValue("section"))
	note := strings.TrimSpace(c.FormValue("note"))
	cs, err := do(caseActor(c), id, uint(cid), note)
	if err != nil {
		if errors.Is(err, casework.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		return h.refuseComment(c, cs, sec, err, func(p *views.ReviewPanel) { p.Resolving, p.Note = uint(cid), note })
	}
	return c.Redirect(http.StatusSeeOther, caseURL(id, sec.ID, flash)+"#comment-"+strconv.FormatUint(cid, 10))
}

// refuseComment answers a refused comment step: a role that never takes it is a 403; a refusal
// with a reason shows the case page with it, keeping what was typed; any other error passes on.
func (h *workflowHandler) refuseComment(c echo.Context, cs *casework.Case, sec *abstract.Section, err error, keep func(*views.ReviewPanel)) error {
	var r *casework.Refusal
	if !errors.As(err, &r) || cs == nil && !r.Forbidden {
		return err
	}
	if r.Forbidden {
		return echo.NewHTTPError(http.StatusForbidden, r.Message)
	}
	code := http.StatusUnprocessableEntity
	if r.Conflict {
		code = http.StatusConflict
	}
	v, err := h.casePageView(c, cs, nil, sec)
	if err != nil {
		return err
	}
	v.Review.Message, v.Review.OK = r.Message, false
	keep(&v.Review)
	return render(c, code, views.CasePage(v))
}
