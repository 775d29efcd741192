package web

import (
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// save stores one section of a case: parse → check every field → store with optimistic locking →
// redirect (plain post) or the refreshed form (htmx). A refused save re-renders the form with the
// user's entries and a message beside each wrong field.
func (h *caseHandler) save(c echo.Context) error {
	su := currentUser(c)
	cs, err := h.caseInScope(c)
	if err != nil {
		return err
	}
	id := cs.Tumor.ID
	ctx := c.Request().Context()
	scope := scopeOf(su)
	sec := h.section(c.FormValue("section"))
	if auth.Role(su.User.Role) == auth.RoleReviewer {
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not change abstract values: comment on the item instead.")
	}
	if !abstract.Status(cs.Tumor.Status).Editable() {
		return echo.NewHTTPError(http.StatusConflict, "This case is "+views.StatusLabel(cs.Tumor.Status)+" and cannot be changed.")
	}
	pv, err1 := strconv.ParseInt(c.FormValue("patientVersion"), 10, 64)
	tv, err2 := strconv.ParseInt(c.FormValue("tumorVersion"), 10, 64)
	if err1 != nil || err2 != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form is incomplete (no version). Reload the case and enter your changes again.")
	}

	entered := enteredValues(c, sec)
	comment := strings.TrimSpace(c.FormValue("overrideComment"))
	patient := maps.Clone(map[string]string(cs.Patient.Items))
	tumor := maps.Clone(map[string]string(cs.Tumor.Items))
	errs := abstract.Apply(sec.Fields, entered, h.fields, patient, tumor)
	if len(errs) == 0 {
		derive(patient, tumor, h.schemas)
	}
	if len(errs) == 0 {
		errs = overridesNeedComment(sec, cs, patient, tumor, comment)
	}
	if len(errs) > 0 {
		v := h.caseView(c, cs, sec, entered, errs)
		v.PatientVersion, v.TumorVersion = pv, tv
		v.OverrideComment = comment
		res, err := h.caseEdits(c, cs, cs.Patient.Items, cs.Tumor.Items)
		if err != nil {
			return err
		}
		h.withEdits(&v, cs, res)
		return h.respond(c, http.StatusUnprocessableEntity, v)
	}
	res, err := h.caseEdits(c, cs, patient, tumor)
	if err != nil {
		return err
	}
	nErr, nWarn := countResults(res)

	saved, _, err := h.store.SaveCase(ctx, store.CaseSave{
		TumorID: id, Scope: scope, PatientVersion: pv, TumorVersion: tv,
		PatientItems: patient, TumorItems: tumor, UserID: &su.User.ID, RemoteAddr: c.RealIP(),
		EditErrors: nErr, EditWarnings: nWarn, Comment: comment,
	})
	if errors.Is(err, store.ErrConflict) {
		return h.conflict(c, id, scope, sec, entered)
	}
	if err != nil {
		return err
	}
	if !hx.Is(c.Request().Header.Get(string(hx.Request))) {
		return c.Redirect(http.StatusSeeOther, "/cases/"+strconv.FormatUint(uint64(id), 10)+"?section="+sec.ID+"&saved=1")
	}
	v := h.caseView(c, saved, sec, nil, nil)
	v.Saved = true
	h.withEdits(&v, saved, res)
	// The comments under the fields, and the action bar with the new version (out of band).
	if err := h.withReview(c, &v, saved, res); err != nil {
		return err
	}
	v.Workflow.OOB = true
	return render(c, http.StatusOK, views.CaseForm(v))
}

// conflict shows, item by item, what someone else stored against what this user entered. The
// form keeps the user's entries and carries the new versions, so saving again keeps theirs.
func (h *caseHandler) conflict(c echo.Context, id uint, scope store.Scope, sec *abstract.Section, entered map[string]string) error {
	cur, err := h.store.LoadCase(c.Request().Context(), id, scope)
	if err != nil {
		return err
	}
	v := h.caseView(c, cur, sec, entered, nil)
	res, err := h.caseEdits(c, cur, cur.Patient.Items, cur.Tumor.Items)
	if err != nil {
		return err
	}
	h.withEdits(&v, cur, res)
	for _, f := range sec.Fields {
		yours, ok := entered[f.Def.ID]
		if !ok || f.Derived {
			continue
		}
		yours = abstract.Normalize(f, yours)
		if theirs := valueOf(cur, f.Def); theirs != yours {
			v.Conflict = append(v.Conflict, views.ConflictItem{ID: f.Def.ID, Label: f.Label, Theirs: theirs, Yours: yours})
		}
	}
	return h.respond(c, http.StatusConflict, v)
}

// respond sends the whole page, or only the form to htmx.
func (h *caseHandler) respond(c echo.Context, status int, v views.CaseView) error {
	cs, err := h.store.LoadCase(c.Request().Context(), v.TumorID, scopeOf(currentUser(c)))
	if err != nil {
		return err
	}
	if err := h.withReview(c, &v, cs, nil); err != nil {
		return err
	}
	if hx.Is(c.Request().Header.Get(string(hx.Request))) {
		v.Workflow.OOB = true
		// htmx does not swap error statuses by default; the form is the answer, so send 200.
		return render(c, http.StatusOK, views.CaseForm(v))
	}
	return render(c, status, views.CasePage(v))
}

// overridesNeedComment refuses to set an override flag without a reason: an override silences
// an edit, and the audit trail must say why.
func overridesNeedComment(sec *abstract.Section, cs *store.Case, patient, tumor map[string]string, comment string) abstract.FieldErrors {
	if comment != "" {
		return nil
	}
	errs := abstract.FieldErrors{}
	for _, f := range sec.Fields {
		if !isOverride(f) {
			continue
		}
		before, after := valueOf(cs, f.Def), tumor[f.Def.ID]
		if f.Def.Parent == naaccr.ParentPatient {
			after = patient[f.Def.ID]
		}
		if after == "1" && before != "1" {
			errs[f.Def.ID] = f.Label + " [" + strconv.Itoa(f.Def.Number) + "]: setting an override needs a comment that says why the edit does not apply to this case"
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// derive computes the derived items (age at diagnosis, EOD schema) into the tumor's items.
func derive(patient, tumor map[string]string, sel *abstract.SchemaSelector) {
	for id, v := range abstract.Derive(patient, tumor, sel) {
		if v == "" {
			delete(tumor, id)
		} else {
			tumor[id] = v
		}
	}
}
