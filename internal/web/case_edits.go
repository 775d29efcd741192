package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/views"
)

// withEdits puts the edit panel into a case view and flags the fields the failures name.
func (h *caseViews) withEdits(v *views.CaseView, cs *casework.Case, res []edits.Result) {
	base := "/cases/" + strconv.FormatUint(uint64(cs.Tumor.ID), 10)
	v.Edits = views.EditPanel{URL: base + "/edits?section=" + v.Section.ID, Notes: v.Edits.Notes}
	v.Edits.Errors, v.Edits.Warnings = casework.Count(res)
	flags := map[string][]string{}
	for _, r := range res {
		ev := views.EditView{ID: r.EditID, Severity: string(r.Severity), Message: r.Message, Name: h.edits.Name(r.EditID)}
		for _, item := range r.Items {
			flags[item] = append(flags[item], r.Message)
			label := item
			if f, ok := h.form.Field(item); ok {
				label = f.Label
			}
			if sec, ok := h.form.SectionOf(item); ok {
				ev.Links = append(ev.Links, views.EditLink{Label: label, URL: base + "?section=" + sec.ID + "#f-" + item})
			} else {
				ev.Links = append(ev.Links, views.EditLink{Label: label + " (not on the form)"})
			}
		}
		v.Edits.Items = append(v.Edits.Items, ev)
	}
	for i := range v.Section.Fields {
		v.Section.Fields[i].Flags = append(v.Section.Fields[i].Flags, flags[v.Section.Fields[i].ID]...)
	}
}

// checkEdits re-runs the edits on what the form holds now, without saving, and answers with the
// edit panel (htmx, on every change of a field) and, out of band, what follows from it as a save
// would show it: the flags beside the fields, the meters, and a step's refusal for edit errors.
func (h *caseFormHandler) checkEdits(c echo.Context) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	sec := h.section(c.FormValue("section"))
	entered := enteredValues(c, sec)
	cs, res, err := h.cases.CheckEdits(c.Request().Context(), caseActor(c), id, sec, entered)
	if err != nil {
		return err
	}
	v, err := h.caseView(c, cs, sec, entered, nil)
	if err != nil {
		return err
	}
	// The schema section follows the schema the form now selects: when it is not the one shown
	// (a discriminator changed), its fields are sent again.
	v.SchemaChanged = v.SiteSpecific != nil && c.FormValue("shownSchema") != v.SiteSpecific.SchemaID
	h.withEdits(&v, cs, res)
	h.blockedStep(&v.Workflow, cs, c.FormValue("blockedStep"), res)
	return render(c, http.StatusOK, views.EditRecheck(v))
}

// blockedStep says again, on a partial answer, whether the failing edit errors still block the
// step they refused (the bar's blockedStep): the refusal with the errors failing now, or no
// message once they pass. The step stays remembered, so the refusal comes back with the errors.
func (h *caseViews) blockedStep(w *views.WorkflowView, cs *casework.Case, step string, res []edits.Result) {
	a := abstract.Action(step)
	if !slices.ContainsFunc(abstract.Transitions, func(t abstract.Transition) bool { return t.Action == a && t.NeedsCleanEdits }) {
		return
	}
	w.Blocked = step
	var errs []edits.Result
	for _, r := range res {
		if r.Severity == edits.SeverityError {
			errs = append(errs, r)
		}
	}
	if len(errs) == 0 {
		return
	}
	te := &abstract.TransitionError{Action: a, Errors: len(errs), Err: abstract.ErrEditErrors}
	w.Message, w.OK, w.Edits = capitalize(te.Error())+".", false, h.editViews(cs, errs)
}

// enteredValues reads the submitted values of a section's fields.
func enteredValues(c echo.Context, sec *abstract.Section) map[string]string {
	entered := map[string]string{}
	form, err := c.FormParams()
	if err != nil {
		return entered
	}
	for _, f := range sec.Fields {
		if vals, ok := form[f.Def.ID]; ok && len(vals) > 0 {
			entered[f.Def.ID] = vals[0]
		}
	}
	return entered
}
