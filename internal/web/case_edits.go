package web

import (
	"maps"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// caseEdits runs the edit set on one tumor as it would be with the given items: field checks,
// its tumor-level edits, and the patient-level edits over all the patient's tumors. Results about
// the patient's other tumors are left out.
func (h *caseHandler) caseEdits(c echo.Context, cs *store.Case, patient, tumor map[string]string) ([]edits.Result, error) {
	siblings, err := h.store.PatientTumors(c.Request().Context(), cs.Patient.ID, scopeOf(currentUser(c)))
	if err != nil {
		return nil, err
	}
	p := naaccr.Patient{Items: patient}
	self := -1
	for _, t := range siblings {
		if t.ID == cs.Tumor.ID {
			self = len(p.Tumors)
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: tumor})
			continue
		}
		p.Tumors = append(p.Tumors, naaccr.Tumor{Items: t.Items})
	}
	if self < 0 { // not stored yet as a sibling (cannot happen for a loaded case, but be safe)
		self = len(p.Tumors)
		p.Tumors = append(p.Tumors, naaccr.Tumor{Items: tumor})
	}
	all, err := h.edits.NewRunner().Patient(&p, nil)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, r := range all {
		if r.Tumor == self || r.Tumor == -1 {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Severity == edits.SeverityError && out[j].Severity != edits.SeverityError
	})
	return out, nil
}

func countResults(res []edits.Result) (errs, warns int) {
	for _, r := range res {
		if r.Severity == edits.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

// withEdits puts the edit panel into a case view and flags the fields the failures name.
func (h *caseHandler) withEdits(v *views.CaseView, cs *store.Case, res []edits.Result) {
	base := "/cases/" + strconv.FormatUint(uint64(cs.Tumor.ID), 10)
	v.Edits = views.EditPanel{URL: base + "/edits?section=" + v.Section.ID}
	v.Edits.Errors, v.Edits.Warnings = countResults(res)
	flags := map[string][]string{}
	for _, r := range res {
		ev := views.EditView{ID: r.EditID, Severity: string(r.Severity), Message: r.Message, Name: r.EditID}
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
// edit panel (htmx, on every change of a field).
func (h *caseHandler) checkEdits(c echo.Context) error {
	cs, err := h.caseInScope(c)
	if err != nil {
		return err
	}
	sec := h.section(c.FormValue("section"))
	patient := maps.Clone(map[string]string(cs.Patient.Items))
	tumor := maps.Clone(map[string]string(cs.Tumor.Items))
	entered := enteredValues(c, sec)
	// Values that fail their field checks are left as stored; the save will say what is wrong.
	for _, f := range sec.Fields {
		if v, ok := entered[f.Def.ID]; ok {
			abstract.Apply([]*abstract.Field{f}, map[string]string{f.Def.ID: v}, h.fields, patient, tumor)
		}
	}
	res, err := h.caseEdits(c, cs, patient, tumor)
	if err != nil {
		return err
	}
	v := views.CaseView{Section: views.SectionView{ID: sec.ID}}
	h.withEdits(&v, cs, res)
	return render(c, http.StatusOK, views.EditPanelView(v.Edits))
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

// openStatuses are the statuses of the cases still being worked on: the Edits page counts over
// them unless asked for others, so that it shows what can still be corrected, and a registry's
// many received or submitted cases are read only when asked for.
var openStatuses = []string{string(abstract.StatusDraft), string(abstract.StatusInReview), string(abstract.StatusReturned)}

// editList shows every edit with how many of the user's cases fail it now: the cases in progress,
// every case (status=all) or those of one status.
func (h *caseHandler) editList(c echo.Context) error {
	su := currentUser(c)
	failing := map[string]int{}
	cases := 0
	r := h.edits.NewRunner()
	var out []edits.Result
	status, statuses := c.QueryParam("status"), openStatuses
	switch st, err := abstract.ParseStatus(status); {
	case status == "all":
		statuses = nil
	case err == nil:
		statuses = []string{string(st)}
	default:
		status = ""
	}
	err := h.store.EachPatient(c.Request().Context(), store.PatientFilter{Scope: scopeOf(su), Statuses: statuses}, 500, func(sp *store.Patient, ts []store.Tumor) error {
		p := naaccr.Patient{Items: sp.Items}
		for _, t := range ts {
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: t.Items})
		}
		var err error
		if out, err = r.Patient(&p, out[:0]); err != nil {
			return err
		}
		cases += len(ts)
		seen := map[string]bool{}
		for _, res := range out {
			key := res.EditID + "/" + strconv.Itoa(res.Tumor)
			if !seen[key] {
				seen[key] = true
				failing[res.EditID]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	v := views.EditsPageView{Page: pageOf(c, "Edits"), Cases: cases, Status: status,
		Statuses: []views.Option{{Code: "", Label: "In progress (draft, in review, returned)"}, {Code: "all", Label: "Any status"}}}
	for _, st := range abstract.Statuses {
		v.Statuses = append(v.Statuses, views.Option{Code: string(st), Label: st.Label()})
	}
	for _, e := range h.edits.Edits {
		v.Rows = append(v.Rows, views.EditRow{
			ID: e.ID, Name: e.Name, Description: e.Description, Severity: string(e.Severity), Level: string(e.Level),
			Items: e.Items, Override: e.Override, Failing: failing[e.ID],
		})
	}
	return render(c, http.StatusOK, views.EditsPage(v))
}
