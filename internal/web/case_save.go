package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// save stores one section of a case: parse → the case service's save → redirect (plain post) or
// the refreshed form (htmx). A refused save re-renders the form with the user's entries and a
// message beside each wrong field.
func (h *caseFormHandler) save(c echo.Context) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	sec := h.section(c.FormValue("section"))
	// A version that does not parse is 0, which the service refuses as no version.
	pv, _ := strconv.ParseInt(c.FormValue("patientVersion"), 10, 64)
	tv, _ := strconv.ParseInt(c.FormValue("tumorVersion"), 10, 64)
	entered := enteredValues(c, sec)
	comment := strings.TrimSpace(c.FormValue("overrideComment"))
	out, err := h.cases.SaveSection(c.Request().Context(), caseActor(c), casework.SectionSave{
		TumorID: id, Section: sec, Entered: entered, PatientVersion: pv, TumorVersion: tv, Comment: comment,
	})
	switch {
	case errors.Is(err, casework.ErrReviewerEdits):
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not change abstract values: comment on the item instead.")
	case errors.Is(err, casework.ErrNotEditable):
		return echo.NewHTTPError(http.StatusConflict, "This case is "+abstract.Status(out.Case.Tumor.Status).Label()+" and cannot be changed.")
	case errors.Is(err, casework.ErrNoVersion):
		return echo.NewHTTPError(http.StatusBadRequest, "The form is incomplete (no version). Reload the case and enter your changes again.")
	case errors.Is(err, casework.ErrConflict):
		return h.conflict(c, out, sec, entered)
	case err != nil:
		return err
	}
	if len(out.Errors) > 0 {
		v, err := h.caseView(c, out.Case, sec, entered, out.Errors)
		if err != nil {
			return err
		}
		v.PatientVersion, v.TumorVersion = pv, tv
		v.OverrideComment = comment
		h.withEdits(&v, out.Case, out.Edits)
		return h.respond(c, http.StatusUnprocessableEntity, out.Case, out.Edits, v)
	}
	if !hx.Is(c.Request().Header.Get(string(hx.Request))) {
		return c.Redirect(http.StatusSeeOther, "/cases/"+strconv.FormatUint(uint64(id), 10)+"?section="+sec.ID+"&saved=1")
	}
	v, err := h.caseView(c, out.Case, sec, nil, nil)
	if err != nil {
		return err
	}
	v.Saved = true
	h.withEdits(&v, out.Case, out.Edits)
	// The comments under the fields, and the action bar with the new version (out of band).
	if err := h.withReview(c, &v, out.Case, out.Edits); err != nil {
		return err
	}
	h.blockedStep(&v.Workflow, out.Case, c.FormValue("blockedStep"), out.Edits)
	v.Workflow.OOB = true
	return render(c, http.StatusOK, views.CaseForm(v))
}

// conflict shows, item by item, what someone else stored against what this user entered. The
// form keeps the user's entries and carries the new versions, so saving again keeps theirs.
func (h *caseFormHandler) conflict(c echo.Context, out *casework.Saved, sec *abstract.Section, entered map[string]string) error {
	v, err := h.caseView(c, out.Case, sec, entered, nil)
	if err != nil {
		return err
	}
	h.withEdits(&v, out.Case, out.Edits)
	for _, cf := range out.Conflicts {
		v.Conflict = append(v.Conflict, views.ConflictItem{ID: cf.Field.Def.ID, Label: cf.Field.Label, Theirs: cf.Theirs, Yours: cf.Yours})
	}
	return h.respond(c, http.StatusConflict, out.Case, out.Edits, v)
}

// respond sends the whole page, or only the form to htmx; res are the edits the form shows.
func (h *caseFormHandler) respond(c echo.Context, status int, cs *casework.Case, res []edits.Result, v views.CaseView) error {
	if err := h.withReview(c, &v, cs, nil); err != nil {
		return err
	}
	h.blockedStep(&v.Workflow, cs, c.FormValue("blockedStep"), res)
	if hx.Is(c.Request().Header.Get(string(hx.Request))) {
		v.Workflow.OOB = true
		// htmx does not swap error statuses by default; the form is the answer, so send 200.
		return render(c, http.StatusOK, views.CaseForm(v))
	}
	return render(c, status, views.CasePage(v))
}
