package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
	"github.com/cara-registry/cara/views"
)

// caseViews builds what a case page shows (the form and its tabs, the edit panel, the action bar
// and the comments) for the handlers that render a case.
type caseViews struct {
	form  *abstract.Form
	codes *codes.Tables
	edits *edits.Set // names the edits in the panel
	// cases runs the operations on one case (open, save, edits, workflow, comments).
	cases *casework.Service
	// staging selects a case's schema for the schema section and the derived items' help; nil
	// shows the schema section's pool as it is.
	staging *staging.DataSet
	// sources are the electronic reports a case came from and their suggestions; nil shows none.
	sources *ehr.Sources
}

// caseFormHandler is a case's form: a section shown and saved, the edits re-run while editing,
// all the items of the case, and its history.
type caseFormHandler struct {
	*caseViews
	store caseFormStore
}

// show renders one section of a case form; viewing a case is audited.
func (h *caseFormHandler) show(c echo.Context) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	sec := h.section(c.QueryParam("section"))
	cs, res, err := h.cases.View(c.Request().Context(), caseActor(c), id, sec.ID)
	if err != nil {
		return err
	}
	v, err := h.caseView(c, cs, sec, nil, nil)
	if err != nil {
		return err
	}
	v.Saved = c.QueryParam("saved") == "1"
	h.withEdits(&v, cs, res)
	if err := h.withReview(c, &v, cs, res); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.CasePage(v))
}

func tumorID(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return uint(n), nil
}

// section returns the named section, or the first one.
func (h *caseViews) section(id string) *abstract.Section {
	if s, ok := h.form.Section(id); ok {
		return s
	}
	return h.form.Sections[0]
}

// caseView builds the form's view model. entered holds values the user submitted (shown instead
// of the stored ones, so nothing typed is lost when a save is refused), errs the field errors. A
// schema section shows the fields of the case's schema as the form now holds the case.
func (h *caseViews) caseView(c echo.Context, cs *casework.Case, sec *abstract.Section, entered map[string]string, errs abstract.FieldErrors) (views.CaseView, error) {
	status := abstract.Status(cs.Tumor.Status)
	base := "/cases/" + strconv.FormatUint(uint64(cs.Tumor.ID), 10)
	v := views.CaseView{
		Page:           pageOf(c, patientName(cs.Patient.NameLast, cs.Patient.NameFirst)),
		TumorID:        cs.Tumor.ID,
		Action:         base + "?section=" + sec.ID,
		PatientName:    patientName(cs.Patient.NameLast, cs.Patient.NameFirst),
		MRN:            cs.Tumor.MedicalRecordNumber,
		Summary:        h.summary(cs),
		StatusLabel:    abstract.Status(cs.Tumor.Status).Label(),
		Editable:       status.Editable() && auth.Role(currentUser(c).User.Role) != auth.RoleReviewer, // reviewers comment, never change values
		PatientVersion: cs.Patient.Version,
		TumorVersion:   cs.Tumor.Version,
		ErrorCount:     len(errs),
	}
	held := h.withEntered(cs, sec, entered)
	var schema *staging.Schema
	note := ""
	if h.staging != nil {
		sel, values := h.selection(held)
		schema, note = sel.Schema, h.schemaNote(sel)
		if h.selectsSchema(sec) {
			v.Schema = h.schemaLine(held.Tumor.ID, sel, values)
		}
	}
	v.Sections = h.tabs(held, sec, note)
	v.Section = views.SectionView{ID: sec.ID, Title: sec.Title}
	fields := sec.Fields
	if sec.Schema && h.staging != nil {
		if err := h.siteSpecificFields(c, &v, held, sec, entered, errs); err != nil {
			return v, err
		}
		fields = nil // the schema's fields are in v.Section already
	}
	for _, f := range fields {
		if f.IsOverride() {
			v.HasOverrides = true
		}
		val, ok := entered[f.Def.ID]
		if !ok || f.Derived {
			val = valueOf(cs, f.Def) // a derived value is computed, never what the form sent back
		}
		fv := fieldView(f, val, errs[f.Def.ID])
		if f.Def.ID == histologyItem {
			// The histology look-up ranks for the patient's sex, whose section is seldom shown.
			if sex := cs.Patient.Items[sexItem]; sex != "" {
				fv.LookupQuery = "sex=" + url.QueryEscape(sex)
			}
		}
		v.Section.Fields = append(v.Section.Fields, fv)
	}
	if h.staging != nil && schema != nil {
		for i := range v.Section.Fields {
			if v.Section.Fields[i].ReadOnly {
				h.derivedHelp(&v.Section.Fields[i], schema)
			}
		}
	}
	h.flagUnusualHistology(&v, cs, entered)
	if err := h.withSources(c, &v, cs, entered); err != nil {
		return v, err
	}
	return v, nil
}

// sectionTabs are the tabs of a case's sections, each with its meter of required items filled;
// active is the section shown (nil for none).
func (h *caseViews) sectionTabs(cs *casework.Case, active *abstract.Section) []views.SectionTab {
	note := ""
	if h.staging != nil {
		sel, _ := h.selection(cs)
		note = h.schemaNote(sel)
	}
	return h.tabs(cs, active, note)
}

// tabs are the section tabs with note said on the tab of the schema section.
func (h *caseViews) tabs(cs *casework.Case, active *abstract.Section, note string) []views.SectionTab {
	base := "/cases/" + strconv.FormatUint(uint64(cs.Tumor.ID), 10)
	tabs := make([]views.SectionTab, 0, len(h.form.Sections))
	for _, s := range h.form.Sections {
		tab := views.SectionTab{ID: s.ID, Title: s.Title, URL: base + "?section=" + s.ID, Active: s == active}
		if s.Schema {
			tab.Note = note
		}
		for _, f := range s.Fields {
			if f.Required {
				tab.Required++
				if valueOf(cs, f.Def) != "" {
					tab.Filled++
				}
			}
		}
		tabs = append(tabs, tab)
	}
	return tabs
}

func valueOf(cs *casework.Case, def *naaccr.ItemDef) string { return casework.ValueOf(cs, def) }

func fieldView(f *abstract.Field, value, errMsg string) views.FieldView {
	fv := views.FieldView{
		ID: f.Def.ID, Label: f.Label, Number: f.Def.Number, Length: f.Def.Length,
		DataType: string(f.Def.DataType), Level: string(f.Def.Parent), Widget: string(f.Widget),
		Value: value, Required: f.Required, Help: f.Help, Error: errMsg, ReadOnly: f.Derived,
		Name:     f.Def.Name,
		FreeText: f.Codes == nil && (f.Def.DataType == naaccr.TypeText || f.Def.DataType == ""),
	}
	if f.Codes != nil {
		fv.CodeLabel = f.Codes.Label(value)
		short := len(f.Codes.Codes) <= abstract.MaxListedCodes
		if short || f.Widget == abstract.WidgetSelect {
			opts := make([]views.Option, 0, len(f.Codes.Codes))
			for _, cd := range f.Codes.Codes {
				opts = append(opts, views.Option{Code: cd.Code, Label: cd.Label})
			}
			if f.Widget == abstract.WidgetSelect {
				fv.Options = opts
			}
			if short {
				fv.HelpCodes = opts
			}
		}
		fv.CodeCount = len(f.Codes.Codes)
	}
	if f.Derived {
		// A computed value is shown, never picked: a read-only input with its code's label.
		fv.Widget, fv.Options = string(abstract.WidgetText), nil
	}
	if f.Widget == abstract.WidgetDate && naaccr.IsDate(value) && len(value) < 8 {
		fv.CodeLabel = "partial date: " + showDate(value)
	}
	return fv
}

// summary says what the tumor is in words: "C509 Breast, NOS · 8500/3".
func (h *caseViews) summary(cs *casework.Case) string {
	s := cs.Tumor.PrimarySite
	if l, ok := h.codes.ForItem("primarySite"); ok && s != "" {
		if lbl := l.Label(s); lbl != "" {
			s += " " + lbl
		}
	}
	if cs.Tumor.Histology != "" {
		s += " · " + cs.Tumor.Histology + "/" + cs.Tumor.Behavior
	}
	if s == "" {
		return "site not yet coded"
	}
	return s
}

// caseInScope loads the case the request's :id names, in the signed-in user's scope: a case of
// another facility is a 404, as if it did not exist.
func (h *caseFormHandler) caseInScope(c echo.Context) (*casework.Case, error) {
	id, err := tumorID(c)
	if err != nil {
		return nil, err
	}
	return h.cases.Open(c.Request().Context(), caseActor(c), id)
}
