package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// withSources shows what the electronic reports a case came from suggest: a blank field of the
// section pre-filled with the report's value (a suggestion until the section is saved), the
// report a stored value agrees with, the values that differ; and the reports beside the form.
func (h *caseViews) withSources(c echo.Context, v *views.CaseView, cs *casework.Case, entered map[string]string) error {
	if h.sources == nil || cs.Reports == 0 {
		return nil
	}
	src, err := h.sources.Of(c.Request().Context(), cs.Tumor.ID)
	if err != nil || src.Empty() {
		return err
	}
	base := "/cases/" + strconv.FormatUint(uint64(cs.Tumor.ID), 10)
	v.DismissURL = base + "/suggestions/dismiss?section=" + v.Section.ID
	for _, r := range src.Reports {
		rv := views.ReportView{Key: r.Key, Title: r.Title, Received: r.Received.UTC().Format(time.DateTime) + " UTC"}
		for _, s := range r.Sections {
			if strings.TrimSpace(s.Text) != "" {
				rv.Sections = append(rv.Sections, views.ReportSectionView{Label: s.Label, Text: s.Text})
			}
		}
		if r.HasRaw {
			rv.RawURL = base + "/reports/" + r.Key + "/raw"
		}
		v.Reports = append(v.Reports, rv)
	}
	dismissable := v.Editable
	view := func(f *abstract.Field, g ehr.CaseSuggestion) views.SuggestionView {
		sv := views.SuggestionView{Value: g.Value, Source: g.Source, SourceText: g.SourceText,
			Report: g.Report + " (received " + g.Received.UTC().Format(time.DateOnly) + ")"}
		if len(src.Reports) == 1 {
			sv.Report = "" // the one report beside the form: the place in it is enough
		}
		if f != nil {
			sv.Invalid = suggestionProblem(f, g.Value)
			if f.Codes != nil {
				sv.CodeLabel = f.Codes.Label(g.Value)
			}
		}
		if dismissable {
			sv.Dismiss, sv.DismissURL = g.Item+"="+g.Value, v.DismissURL
		}
		return sv
	}
	for i := range v.Section.Fields {
		fv := &v.Section.Fields[i]
		gs := src.ByItem[fv.ID]
		f, ok := h.form.Field(fv.ID)
		if len(gs) == 0 || !ok || fv.ReadOnly {
			continue
		}
		stored := valueOf(cs, f.Def)
		_, typed := entered[fv.ID]
		for _, g := range gs {
			sv := view(f, g)
			switch {
			case stored != "" && stored == g.Value:
				if fv.FromReport == nil {
					fv.FromReport = &sv
				}
			case stored == "" && v.Editable && sv.Invalid == "" && fv.Suggested == nil && (fv.Value == g.Value || (!typed && fv.Value == "")):
				fv.Value, fv.Suggested = g.Value, &sv
				if f.Codes != nil {
					fv.CodeLabel = f.Codes.Label(g.Value)
				}
			case fv.Value != g.Value || sv.Invalid != "":
				fv.ReportSays = append(fv.ReportSays, sv)
			}
		}
	}
	for item, gs := range src.ByItem {
		if _, ok := h.form.Field(item); ok {
			continue
		}
		label := item
		if def, ok := h.form.Dictionary.Item(item); ok {
			label = def.Name + " [" + strconv.Itoa(def.Number) + "]"
		}
		for _, g := range gs {
			v.Unplaced = append(v.Unplaced, views.UnplacedSuggestion{Item: item, Label: label, Value: g.Value, Source: g.Source, Report: g.Report})
		}
	}
	return nil
}

// suggestionProblem says why a suggested value cannot go in a field, or "".
func suggestionProblem(f *abstract.Field, value string) string {
	if f.Def.Length > 0 && len(value) > f.Def.Length {
		return "longer than the item's " + strconv.Itoa(f.Def.Length) + " characters"
	}
	if f.Codes != nil && len(f.Codes.Codes) > 0 && f.Codes.Label(value) == "" {
		return "not a code of this item"
	}
	return ""
}

// dismissSuggestion sets a suggested value aside ("item=value"): parse → the sources service →
// the refreshed form (htmx, keeping what the registrar typed) or the section again.
func (h *caseFormHandler) dismissSuggestion(c echo.Context) error {
	if auth.Role(currentUser(c).User.Role) == auth.RoleReviewer {
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not change abstract values: comment on the item instead.")
	}
	cs, err := h.caseInScope(c)
	if err != nil {
		return err
	}
	item, value, ok := strings.Cut(c.FormValue("dismiss"), "=")
	if !ok || item == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "Name the suggestion to dismiss (item=value).")
	}
	if err := h.sources.Dismiss(c.Request().Context(), actorOf(c), cs.Tumor.ID, item, value); err != nil {
		return err
	}
	sec := h.section(c.QueryParam("section"))
	if !hx.Is(c.Request().Header.Get(string(hx.Request))) {
		return c.Redirect(http.StatusSeeOther, caseURL(cs.Tumor.ID, sec.ID, ""))
	}
	entered := enteredValues(c, sec)
	if entered[item] == value {
		delete(entered, item) // the dismissed value was the suggestion pre-filled, not typed
	}
	v, err := h.caseView(c, cs, sec, entered, nil)
	if err != nil {
		return err
	}
	res, err := h.cases.Edits(cs)
	if err != nil {
		return err
	}
	h.withEdits(&v, cs, res)
	if err := h.withReview(c, &v, cs, res); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.CaseForm(v))
}

// reportRaw downloads a report's message as received, audited.
func (h *caseFormHandler) reportRaw(c echo.Context) error {
	cs, err := h.caseInScope(c)
	if err != nil {
		return err
	}
	r, err := h.sources.Report(c.Request().Context(), actorOf(c), cs.Tumor.ID, c.Param("key"), true)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "This case came from no such report.")
	}
	if err != nil {
		return err
	}
	if len(r.Raw()) == 0 {
		return echo.NewHTTPError(http.StatusGone, "The message as received is no longer kept (retention period over); its text and suggestions are.")
	}
	name, ctype := r.Key+".hl7", "application/hl7-v2"
	if r.Format == ehr.FormatFHIR {
		name, ctype = r.Key+".json", "application/fhir+json"
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, ctype, r.Raw())
}
