package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// patientStore is what starting a case needs of the database.
type patientStore interface {
	Facilities(ctx context.Context) ([]store.Facility, error)
	SearchPatients(ctx context.Context, q store.PatientSearch) ([]store.PatientRecord, error)
	PatientDuplicates(ctx context.Context, sc store.Scope, facilityID uint, nameLast, dateOfBirth, mrn string) ([]store.PatientRecord, error)
	AddPatient(ctx context.Context, in store.NewPatient) (*store.Patient, error)
	LoadPatient(ctx context.Context, id uint, sc store.Scope) (*store.PatientRecord, error)
	AddTumor(ctx context.Context, in store.NewTumor) (*store.Tumor, error)
	NextAccessionNumber(ctx context.Context, facilityID uint, year int) (string, error)
}

// patientHandler starts cases: find or enter the patient, then add the tumor, with the form's
// field checks, the derived items and the edits of the case service.
type patientHandler struct {
	store interface {
		patientStore
		Audit(ctx context.Context, e store.AuditEntry) error
	}
	form   *abstract.Form
	codes  *codes.Tables
	fields *edits.FieldChecker
	cases  *casework.Service
	// steps are the items of the new-case steps (schemas/forms/new-case.yaml); nil when they
	// could not be loaded, which the handlers report.
	steps *abstract.NewCaseForm
	now   func() time.Time
}

// canStart reports whether a user may enter patients and tumors: registrars and administrators.
func canStart(su *store.SessionUser) bool {
	switch auth.Role(su.User.Role) {
	case auth.RoleRegistrar, auth.RoleAdmin:
		return true
	}
	return false
}

// facilityChoice is the facility a new case goes to: a registrar's own; for an administrator,
// the one named by the "facility" value of the request (0 until one is chosen), with the list
// to choose from.
type facilityChoice struct {
	id      uint
	name    string
	offered []store.Facility // administrators only
}

func (h *patientHandler) facility(c echo.Context) (facilityChoice, error) {
	su := currentUser(c)
	offered := su.Facilities
	if auth.Role(su.User.Role) == auth.RoleAdmin {
		all, err := h.store.Facilities(c.Request().Context())
		if err != nil {
			return facilityChoice{}, err
		}
		offered = all
	} else {
		switch len(offered) {
		case 0:
			return facilityChoice{}, echo.NewHTTPError(http.StatusForbidden, "Your account belongs to no facility, so it cannot look up or enter patients. Ask an administrator.")
		case 1:
			return facilityChoice{id: offered[0].ID, name: offered[0].Name}, nil
		}
	}
	// An administrator, or a user who works for several facilities, chooses; a user's home
	// facility is chosen until they pick another.
	fc := facilityChoice{offered: offered}
	want := c.FormValue("facility")
	if want == "" && su.Facility != nil && auth.Role(su.User.Role) != auth.RoleAdmin {
		fc.id, fc.name = su.Facility.ID, su.Facility.Name
		return fc, nil
	}
	if id, err := strconv.ParseUint(want, 10, 32); err == nil {
		for _, f := range offered {
			if uint64(f.ID) == id {
				fc.id, fc.name = f.ID, f.Name
			}
		}
	}
	return fc, nil
}

// search is the first step of a new case: look the patient up in the facility by name, MRN or
// date of birth. The search is audited, since its answer names patients.
func (h *patientHandler) search(c echo.Context) error {
	su := currentUser(c)
	fc, err := h.facility(c)
	if err != nil {
		return err
	}
	v := views.PatientSearchView{
		Page:        pageOf(c, "New case"),
		Name:        strings.TrimSpace(c.QueryParam("name")),
		MRN:         strings.TrimSpace(c.QueryParam("mrn")),
		DateOfBirth: strings.TrimSpace(c.QueryParam("dob")),
	}
	for _, f := range fc.offered {
		v.Facilities = append(v.Facilities, views.Option{Code: idString(f.ID), Label: f.Name})
	}
	if fc.id == 0 {
		return render(c, http.StatusOK, views.PatientSearch(v))
	}
	v.FacilityID, v.FacilityName = idString(fc.id), fc.name
	dob := compactDate(v.DateOfBirth)
	if v.Name != "" || v.MRN != "" || dob != "" {
		ctx := c.Request().Context()
		recs, err := h.store.SearchPatients(ctx, store.PatientSearch{
			Scope: store.FacilityScope(fc.id), Name: v.Name, MRN: v.MRN, DateOfBirth: dob,
		})
		if err != nil {
			return err
		}
		if err := h.store.Audit(ctx, store.AuditEntry{
			UserID: &su.User.ID, Action: audit.PatientSearch, Entity: "facility", EntityID: idString(fc.id),
			Details: map[string]any{"name": v.Name, "mrn": v.MRN, "dateOfBirth": dob, "found": len(recs)}, RemoteAddr: c.RealIP(),
		}); err != nil {
			return err
		}
		v.Searched = true
		for i := range recs {
			v.Results = append(v.Results, h.patientSummary(&recs[i], canStart(su)))
		}
	}
	if canStart(su) {
		q := url.Values{}
		q.Set("facility", idString(fc.id))
		last, first, _ := strings.Cut(v.Name, ",")
		setIf(q, "nameLast", strings.TrimSpace(last))
		setIf(q, "nameFirst", strings.TrimSpace(first))
		setIf(q, "dateOfBirth", dob)
		setIf(q, "medicalRecordNumber", v.MRN)
		v.NewPatientURL = "/patients/new?" + q.Encode()
	}
	return render(c, http.StatusOK, views.PatientSearch(v))
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// compactDate turns a date typed as 1958-07-04 or 1958/07/04 into NAACCR's 19580704.
func compactDate(s string) string {
	return strings.NewReplacer("-", "", "/", "", ".", "", " ", "").Replace(strings.TrimSpace(s))
}

func idString(id uint) string { return strconv.FormatUint(uint64(id), 10) }

func patientPath(id uint) string { return "/patients/" + idString(id) }

// patientSummary is a patient with their tumors as lists show them; withAdd links to adding a
// tumor.
func (h *patientHandler) patientSummary(r *store.PatientRecord, withAdd bool) views.PatientSummary {
	p := &r.Patient
	s := views.PatientSummary{
		ID:              p.ID,
		URL:             patientPath(p.ID),
		Name:            patientName(p.NameLast, p.NameFirst),
		DateOfBirth:     showDate(p.DateOfBirth),
		PatientIDNumber: p.PatientIDNumber,
	}
	if s.DateOfBirth == "" {
		s.DateOfBirth = "unknown"
	}
	if f, ok := h.form.Field("sexAssignedAtBirth"); ok && f.Codes != nil {
		s.Sex = f.Codes.Label(p.Items["sexAssignedAtBirth"])
	}
	if withAdd {
		s.AddTumorURL = patientPath(p.ID) + "/tumors/new"
	}
	sites, _ := h.codes.ForItem("primarySite")
	for _, t := range r.Tumors {
		ts := views.TumorSummary{
			ID: t.ID, URL: "/cases/" + idString(t.ID), Sequence: t.SequenceNumber, Site: t.PrimarySite,
			DxDate: showDate(t.DateOfDiagnosis), MRN: t.MedicalRecordNumber, Accession: t.AccessionNumber,
			Status: t.Status, StatusLabel: abstract.Status(t.Status).Label(), EditErrors: t.EditErrors,
		}
		if t.Histology != "" {
			ts.Histology = t.Histology + "/" + t.Behavior
		}
		if sites != nil {
			ts.SiteLabel = sites.Label(t.PrimarySite)
		}
		s.Tumors = append(s.Tumors, ts)
	}
	return s
}

// stepsReady fails a request when the new-case form could not be loaded at start-up.
func (h *patientHandler) stepsReady() error {
	if h.steps == nil {
		return fmt.Errorf("web: the new-case form (schemas/%s) did not load", abstract.NewCaseFile)
	}
	return nil
}
