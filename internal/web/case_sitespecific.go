package web

import (
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/staging"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// blankCode is how a code table's blank row is shown.
const blankCode = "(blank)"

// withEntered is the case as the form holds it: the entered values of the section's fields (as
// they would be stored) over the stored ones. The case itself is left alone.
func (h *caseViews) withEntered(cs *casework.Case, sec *abstract.Section, entered map[string]string) *casework.Case {
	if len(entered) == 0 {
		return cs
	}
	would := *cs
	would.Patient.Items = maps.Clone(cs.Patient.Items)
	would.Tumor.Items = maps.Clone(cs.Tumor.Items)
	if would.Patient.Items == nil {
		would.Patient.Items = map[string]string{}
	}
	if would.Tumor.Items == nil {
		would.Tumor.Items = map[string]string{}
	}
	for _, f := range sec.Fields {
		if v, ok := entered[f.Def.ID]; ok && !f.Derived {
			abstract.Put(f, abstract.Normalize(f, v), would.Patient.Items, would.Tumor.Items)
		}
	}
	return &would
}

// selection is the staging schema a case's items select (nil data: none).
func (h *caseViews) selection(cs *casework.Case) (staging.Selection, map[string]string) {
	rec := abstract.RecordOf(cs.Patient.Items, cs.Tumor.Items)
	values := h.staging.SelectionValues(rec)
	return h.staging.Select(values, h.staging.Context(time.Now().Year())), values
}

// schemaNote is what the tab of a schema section says after its title: the schema the case's
// items select, or that there is none yet.
func (h *caseViews) schemaNote(sel staging.Selection) string {
	if sel.Schema != nil {
		return sel.Schema.Name
	}
	if len(sel.Needs) > 0 && len(sel.Candidates) > 0 {
		return "schema to choose"
	}
	return "no schema"
}

// selectsSchema reports whether a section holds the site or the histology, whose change changes
// the schema: such a section shows the schema line.
func (h *caseViews) selectsSchema(sec *abstract.Section) bool {
	if h.staging == nil || sec.Schema {
		return false
	}
	site, hist := h.staging.ItemOf(staging.KeySite), h.staging.ItemOf(staging.KeyHist)
	for _, f := range sec.Fields {
		if f.Def.ID == site || f.Def.ID == hist {
			return true
		}
	}
	return false
}

// schemaLine is the schema line of a section that selects the schema.
func (h *caseViews) schemaLine(tumorID uint, sel staging.Selection, values map[string]string) *views.SchemaLine {
	l := &views.SchemaLine{Reason: sel.Describe(values, h.form.KeyLabel(h.staging))}
	if secs := h.form.SchemaSections(); len(secs) > 0 {
		l.URL, l.SectionTitle = caseURL(tumorID, secs[0].ID, ""), secs[0].Title
	}
	return l
}

// siteSpecificFields fills the head of a schema section into v and returns its fields for the
// case: the blank discriminators it asks for, then the schema's fields in the schema's order, each
// with the schema's code table and notes as help.
func (h *caseViews) siteSpecificFields(c echo.Context, v *views.CaseView, cs *casework.Case, sec *abstract.Section, entered map[string]string, errs abstract.FieldErrors) error {
	ss, kept, err := h.cases.SiteSpecific(c.Request().Context(), cs, sec)
	if err != nil || ss == nil {
		return err
	}
	sv := &views.SiteSpecificView{
		Reason: ss.Reason, Candidates: ss.Candidates,
		DecideURL: "/cases/" + strconv.FormatUint(uint64(cs.Tumor.ID), 10) + "/outside?section=" + sec.ID,
	}
	if ss.Schema != nil {
		sv.SchemaID, sv.SchemaName, sv.Notes = ss.Schema.ID, ss.Schema.Name, strings.TrimSpace(ss.Schema.Notes)
		sv.Reason = strings.TrimPrefix(ss.Reason, ss.Schema.Name+": ") // the head names the schema already
	} else {
		sv.Pending = true
	}
	value := func(f *abstract.Field) string {
		if val, ok := entered[f.Def.ID]; ok && !f.Derived {
			return val
		}
		return valueOf(cs, f.Def)
	}
	for _, n := range ss.Needed {
		nv := views.NeededView{ID: n.Item, Label: n.Item}
		if n.Field != nil {
			nv.Label = n.Field.Label
		}
		if s, ok := h.form.SectionOf(n.Item); ok && s != sec {
			nv.URL = caseURL(cs.Tumor.ID, s.ID, "") + "#f-" + n.Item
		}
		sv.Needed = append(sv.Needed, nv)
		if n.Field != nil && nv.URL == "" {
			fv := fieldView(n.Field, value(n.Field), errs[n.Item])
			schemaCodes(&fv, n.Codes, "Codes of "+strings.Join(ss.Candidates, " and "))
			fv.Asked = "Asked for: it decides the schema"
			if len(ss.Candidates) > 0 {
				fv.Asked += " between " + strings.Join(ss.Candidates, " and ")
			}
			fv.Asked += "."
			v.Section.Fields = append(v.Section.Fields, fv)
		}
	}
	for _, sf := range ss.Fields {
		fv := fieldView(sf.Field, value(sf.Field), errs[sf.Field.Def.ID])
		h.schemaHelp(&fv, sf, ss.Schema)
		v.Section.Fields = append(v.Section.Fields, fv)
	}
	for _, o := range ss.Outside {
		ov := views.OutsideView{ID: o.Field.Def.ID, Label: o.Field.Label, Number: o.Field.Def.Number, Value: o.Value}
		if o.Field.Codes != nil {
			ov.CodeLabel = o.Field.Codes.Label(o.Value)
		}
		sv.Outside = append(sv.Outside, ov)
	}
	for _, k := range kept {
		ov := views.OutsideView{ID: k.Item, Label: k.Item, Value: k.Value}
		if f, ok := h.form.Field(k.Item); ok {
			ov.Label, ov.Number = f.Label, f.Def.Number
		}
		sv.Kept = append(sv.Kept, ov)
	}
	v.SiteSpecific = sv
	return nil
}

// schemaHelp makes a field's help the schema's: its code table as the codes (and as the choices,
// see schemaCodes) and the table's notes.
func (h *caseViews) schemaHelp(fv *views.FieldView, sf abstract.SchemaField, s *staging.Schema) {
	if sf.Input != nil {
		schemaCodes(fv, sf.Codes, "Codes of the "+s.Name+" schema")
	}
	fv.SchemaNotes = sf.Notes
}

// maxOptionLabel is the longest label of a select's option; the help lists the full description.
const maxOptionLabel = 80

// schemaCodes shows a staging table's rows as a field's codes in its help and, when every row is
// one plain code and there are few, as the choices of a select.
func schemaCodes(fv *views.FieldView, codes []staging.Code, caption string) {
	if len(codes) == 0 || fv.ReadOnly {
		return
	}
	help := make([]views.Option, 0, len(codes))
	opts := make([]views.Option, 0, len(codes))
	plain := len(codes) <= abstract.MaxListedCodes && fv.Widget != string(abstract.WidgetDate) && fv.Widget != string(abstract.WidgetTextArea)
	for _, cd := range codes {
		if cd.Value == "" {
			// A blank row: the select's own blank choice stands for it.
			help = append(help, views.Option{Code: blankCode, Label: cd.Description})
			continue
		}
		if strings.ContainsAny(cd.Value, "-,* ") {
			plain = false // a range or a pattern, typed rather than picked
		}
		if cd.Value == fv.Value {
			fv.CodeLabel = cd.Description
		}
		help = append(help, views.Option{Code: cd.Value, Label: cd.Description})
		opts = append(opts, views.Option{Code: cd.Value, Label: shortLabel(cd.Description)})
	}
	fv.HelpCodes, fv.CodeCount, fv.CodesCaption = help, len(help), caption
	if plain {
		fv.Widget, fv.Options = string(abstract.WidgetSelect), opts
	}
}

// shortLabel cuts a long description for an option, at a word.
func shortLabel(s string) string {
	r := []rune(s)
	if len(r) <= maxOptionLabel {
		return s
	}
	cut := string(r[:maxOptionLabel])
	if i := strings.LastIndex(cut, " "); i > maxOptionLabel/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// derivedHelp says on a derived field what the case's schema derives it from.
func (h *caseViews) derivedHelp(fv *views.FieldView, schema *staging.Schema) {
	if names := h.form.DerivedFrom(h.staging, schema, fv.ID); len(names) > 0 {
		from := "Derived from " + strings.Join(names, ", ") + " (" + schema.Name + " schema)."
		if fv.Help == "" {
			fv.Help = from
		} else {
			fv.Help += " " + from
		}
	}
}

// decideOutside clears or keeps the value of an item outside the case's schema (the button's
// "clear:item" or "keep:item"): parse → the case service → the refreshed form (htmx) or the
// section again (plain post).
func (h *caseFormHandler) decideOutside(c echo.Context) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	sec := h.section(c.QueryParam("section"))
	// The button's value is "clear:item" or "keep:item"; the service refuses anything else once it
	// has checked that the user may change the case at all.
	choice, item, _ := strings.Cut(c.FormValue("outside"), ":")
	pv, _ := strconv.ParseInt(c.FormValue("patientVersion"), 10, 64)
	tv, _ := strconv.ParseInt(c.FormValue("tumorVersion"), 10, 64)
	out, err := h.cases.DecideOutside(c.Request().Context(), caseActor(c), casework.OutsideChoice{
		TumorID: id, Section: sec, Item: item, Choice: choice, PatientVersion: pv, TumorVersion: tv,
	})
	switch {
	case errors.Is(err, casework.ErrReviewerEdits):
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not change abstract values: comment on the item instead.")
	case errors.Is(err, casework.ErrNotEditable):
		return echo.NewHTTPError(http.StatusConflict, "This case is "+abstract.Status(out.Case.Tumor.Status).Label()+" and cannot be changed.")
	case errors.Is(err, casework.ErrBadChoice):
		return echo.NewHTTPError(http.StatusBadRequest, "Choose to clear or keep a value outside the schema.")
	case errors.Is(err, casework.ErrNoVersion):
		return echo.NewHTTPError(http.StatusBadRequest, "The form is incomplete (no version). Reload the case and choose again.")
	case errors.Is(err, casework.ErrConflict):
		return echo.NewHTTPError(http.StatusConflict, "Someone else saved this case meanwhile: reload it and choose again.")
	case errors.Is(err, casework.ErrNotOutside):
		return echo.NewHTTPError(http.StatusConflict, "Item "+item+" holds no value outside the case's schema (any more): reload the case.")
	case err != nil:
		return err
	}
	if !hx.Is(c.Request().Header.Get(string(hx.Request))) {
		return c.Redirect(http.StatusSeeOther, caseURL(id, sec.ID, ""))
	}
	// What the registrar typed in the section and has not saved yet stays in the form, which now
	// carries the case's new versions.
	v, err := h.caseView(c, out.Case, sec, enteredValues(c, sec), nil)
	if err != nil {
		return err
	}
	h.withEdits(&v, out.Case, out.Edits)
	if err := h.withReview(c, &v, out.Case, out.Edits); err != nil {
		return err
	}
	v.Workflow.OOB = true
	return render(c, http.StatusOK, views.CaseForm(v))
}
