package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// newPatient shows the form that enters a patient, filled with what was searched for.
func (h *patientHandler) newPatient(c echo.Context) error {
	if err := h.stepsReady(); err != nil {
		return err
	}
	if !canStart(currentUser(c)) {
		return echo.NewHTTPError(http.StatusForbidden, "Only registrars enter patients.")
	}
	fc, err := h.facility(c)
	if err != nil {
		return err
	}
	if fc.id == 0 {
		return c.Redirect(http.StatusSeeOther, "/patients")
	}
	entered := map[string]string{}
	for _, f := range h.steps.Patient {
		if v := c.QueryParam(f.Def.ID); v != "" {
			entered[f.Def.ID] = v
		}
	}
	return render(c, http.StatusOK, views.PatientForm(h.patientForm(c, fc, entered, nil, nil)))
}

// createPatient enters a patient: check every field → look for likely duplicates in the
// facility (shown, and stored only when the user confirms it is someone else) → store, audited
// → on to the patient's first tumor. A Tumor-level item of the form (the MRN) goes with it.
func (h *patientHandler) createPatient(c echo.Context) error {
	if err := h.stepsReady(); err != nil {
		return err
	}
	su := currentUser(c)
	if !canStart(su) {
		return echo.NewHTTPError(http.StatusForbidden, "Only registrars enter patients.")
	}
	fc, err := h.facility(c)
	if err != nil {
		return err
	}
	if fc.id == 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose the facility the patient belongs to.")
	}
	entered := formValuesOf(c, h.steps.Patient)
	patient, tumor := map[string]string{}, map[string]string{}
	errs := h.applyStep(h.steps.Patient, entered, h.steps.PatientRequired, patient, tumor)
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.PatientForm(h.patientForm(c, fc, entered, errs, nil)))
	}
	ctx := c.Request().Context()
	if c.FormValue("confirm") != "1" {
		dups, err := h.store.PatientDuplicates(ctx, scopeOf(su), fc.id, patient["nameLast"], patient["dateOfBirth"], tumor["medicalRecordNumber"])
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			return render(c, http.StatusOK, views.PatientForm(h.patientForm(c, fc, entered, nil, dups)))
		}
	}
	p, err := h.store.AddPatient(ctx, store.NewPatient{FacilityID: fc.id, Scope: scopeOf(su), Items: patient, UserID: &su.User.ID, RemoteAddr: c.RealIP()})
	if err != nil {
		return err
	}
	next := patientPath(p.ID) + "/tumors/new?created=1"
	for k, v := range tumor {
		next += "&" + url.QueryEscape(k) + "=" + url.QueryEscape(v)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (h *patientHandler) patientForm(c echo.Context, fc facilityChoice, entered map[string]string, errs abstract.FieldErrors, dups []store.PatientRecord) views.PatientFormView {
	v := views.PatientFormView{
		Page:         pageOf(c, "New patient"),
		Action:       "/patients",
		FacilityID:   idString(fc.id),
		FacilityName: fc.name,
		ErrorCount:   len(errs),
		SearchURL:    "/patients?facility=" + idString(fc.id),
	}
	v.Fields = stepFields(h.steps.Patient, entered, errs, h.steps.PatientRequired)
	for i := range dups {
		v.Duplicates = append(v.Duplicates, h.patientSummary(&dups[i], true))
	}
	return v
}

// formValuesOf reads the submitted values of fields.
func formValuesOf(c echo.Context, fields []*abstract.Field) map[string]string {
	out := map[string]string{}
	form, err := c.FormParams()
	if err != nil {
		return out
	}
	for _, f := range fields {
		if v, ok := form[f.Def.ID]; ok && len(v) > 0 {
			out[f.Def.ID] = v[0]
		}
	}
	return out
}

// applyStep checks a step's values with the field checks and writes them into the patient and
// tumor items; a required item left blank is an error too.
func (h *patientHandler) applyStep(fields []*abstract.Field, entered map[string]string, required func(string) bool, patient, tumor map[string]string) abstract.FieldErrors {
	values := map[string]string{}
	for _, f := range fields {
		values[f.Def.ID] = entered[f.Def.ID] // a field not sent counts as blank
	}
	errs := abstract.Apply(fields, values, h.fields, patient, tumor)
	for _, f := range fields {
		if _, bad := errs[f.Def.ID]; !bad && required(f.Def.ID) && abstract.Normalize(f, values[f.Def.ID]) == "" {
			if errs == nil {
				errs = abstract.FieldErrors{}
			}
			errs[f.Def.ID] = f.Label + " is needed to start the case."
		}
	}
	return errs
}

// stepFields are the fields of a step as entered, with their errors; required means required
// to take the step.
func stepFields(fields []*abstract.Field, entered map[string]string, errs abstract.FieldErrors, required func(string) bool) []views.FieldView {
	out := make([]views.FieldView, 0, len(fields))
	for _, f := range fields {
		fv := fieldView(f, entered[f.Def.ID], errs[f.Def.ID])
		fv.Required = required(f.Def.ID)
		out = append(out, fv)
	}
	return out
}
