package web

import (
	"errors"
	"maps"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// newTumor shows the form that adds a tumor to a patient, with the next sequence number, the
// patient's accession number (or the facility's next) and MRN suggested.
func (h *patientHandler) newTumor(c echo.Context) error {
	if err := h.stepsReady(); err != nil {
		return err
	}
	if !canStart(currentUser(c)) {
		return echo.NewHTTPError(http.StatusForbidden, "Only registrars add tumors.")
	}
	rec, err := h.loadPatient(c)
	if err != nil {
		return err
	}
	entered := map[string]string{}
	for _, f := range h.steps.Tumor {
		if v := c.QueryParam(f.Def.ID); v != "" {
			entered[f.Def.ID] = v
		}
	}
	note, err := h.suggestTumor(c, rec, entered)
	if err != nil {
		return err
	}
	v := h.tumorForm(c, rec, entered, nil)
	v.SequenceNote = note
	if c.QueryParam("created") == "1" {
		v.SequenceNote = "Patient created. " + note
	}
	return render(c, http.StatusOK, views.TumorForm(v))
}

// suggestTumor fills in what can be worked out for a patient's next tumor, where nothing was
// given: the MRN and accession number of the patient's latest tumor (or the facility's next
// accession number of this year) and the next sequence number. It returns a note on the
// sequence number.
func (h *patientHandler) suggestTumor(c echo.Context, rec *store.PatientRecord, entered map[string]string) (string, error) {
	var seqs []string
	var latest *store.Tumor
	for i := range rec.Tumors {
		seqs = append(seqs, rec.Tumors[i].SequenceNumber)
		if latest == nil || rec.Tumors[i].ID > latest.ID {
			latest = &rec.Tumors[i]
		}
	}
	if latest != nil {
		setEmpty(entered, "medicalRecordNumber", latest.MedicalRecordNumber)
		setEmpty(entered, "accessionNumberHosp", latest.AccessionNumber)
	}
	if entered["accessionNumberHosp"] == "" {
		acc, err := h.store.NextAccessionNumber(c.Request().Context(), rec.Patient.FacilityID, h.now().Year())
		if err != nil {
			return "", err
		}
		setEmpty(entered, "accessionNumberHosp", acc)
	}
	next, renumber := abstract.NextSequenceNumber(seqs)
	setEmpty(entered, "sequenceNumberHospital", next)
	switch {
	case len(seqs) == 0:
		return "", nil
	case renumber:
		return "Sequence number " + next + " is suggested. The patient's tumor numbered 00 should now be 01: change it on its case.", nil
	case next != "":
		return "Sequence number " + next + " is suggested: the next after the patient's other tumors.", nil
	}
	return "", nil
}

// facilityNumber is a facility's Reporting Facility [540] number ("" when it has none).
func (h *patientHandler) facilityNumber(c echo.Context, facilityID uint) (string, error) {
	for _, f := range currentUser(c).Facilities {
		if f.ID == facilityID {
			return f.IDNumber, nil
		}
	}
	all, err := h.store.Facilities(c.Request().Context())
	if err != nil {
		return "", err
	}
	for _, f := range all {
		if f.ID == facilityID {
			return f.IDNumber, nil
		}
	}
	return "", nil
}

func setEmpty(m map[string]string, k, v string) {
	if m[k] == "" && v != "" {
		m[k] = v
	}
}

// createTumor adds a tumor to a patient: check every field → derive what is derived and run the
// edits (their counts go with the tumor, for the worklist) → store, audited, as a draft assigned
// to the registrar who started it → open the new case.
func (h *patientHandler) createTumor(c echo.Context) error {
	if err := h.stepsReady(); err != nil {
		return err
	}
	su := currentUser(c)
	if !canStart(su) {
		return echo.NewHTTPError(http.StatusForbidden, "Only registrars add tumors.")
	}
	rec, err := h.loadPatient(c)
	if err != nil {
		return err
	}
	entered := formValuesOf(c, h.steps.Tumor)
	patient := maps.Clone(map[string]string(rec.Patient.Items))
	tumor := map[string]string{}
	errs := h.applyStep(h.steps.Tumor, entered, h.steps.TumorRequired, patient, tumor)
	if seq := tumor["sequenceNumberHospital"]; seq != "" && errs["sequenceNumberHospital"] == "" {
		for _, t := range rec.Tumors {
			if t.SequenceNumber == seq {
				if errs == nil {
					errs = abstract.FieldErrors{}
				}
				errs["sequenceNumberHospital"] = "The patient already has a tumor with sequence number " + seq + "."
			}
		}
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.TumorForm(h.tumorForm(c, rec, entered, errs)))
	}
	if tumor["reportingFacility"] == "" {
		// The abstract names the facility it comes from, as its submission file must.
		id, err := h.facilityNumber(c, rec.Patient.FacilityID)
		if err != nil {
			return err
		}
		setEmpty(tumor, "reportingFacility", id)
	}
	h.cases.Derive(patient, tumor)
	res, err := h.cases.NewTumorEdits(c.Request().Context(), caseActor(c), &rec.Patient, patient, tumor)
	if err != nil {
		return err
	}
	nErr, nWarn := casework.Count(res)
	in := store.NewTumor{
		PatientID: rec.Patient.ID, Scope: scopeOf(su), Items: tumor, Status: string(abstract.StatusDraft),
		EditErrors: nErr, EditWarnings: nWarn, UserID: &su.User.ID, RemoteAddr: c.RealIP(),
	}
	if auth.Role(su.User.Role) == auth.RoleRegistrar {
		in.AssignedTo = &su.User.ID
	}
	t, err := h.store.AddTumor(c.Request().Context(), in)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+strconv.FormatUint(uint64(t.ID), 10))
}

func (h *patientHandler) tumorForm(c echo.Context, rec *store.PatientRecord, entered map[string]string, errs abstract.FieldErrors) views.TumorFormView {
	name := patientName(rec.Patient.NameLast, rec.Patient.NameFirst)
	return views.TumorFormView{
		Page:       pageOf(c, "New tumor · "+name),
		Action:     patientPath(rec.Patient.ID) + "/tumors",
		Patient:    h.patientSummary(rec, false),
		Fields:     stepFields(h.steps.Tumor, entered, errs, h.steps.TumorRequired),
		ErrorCount: len(errs),
	}
}
