package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// showPatient is the patient page: the patient and every tumor by sequence number. A patient of
// another facility is not found; viewing is audited.
func (h *patientHandler) showPatient(c echo.Context) error {
	su := currentUser(c)
	rec, err := h.loadPatient(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.store.Audit(ctx, store.AuditEntry{
		UserID: &su.User.ID, Action: audit.PatientView, Entity: "patient", EntityID: idString(rec.Patient.ID), RemoteAddr: c.RealIP(),
	}); err != nil {
		return err
	}
	v := views.PatientView{
		Page:    pageOf(c, patientName(rec.Patient.NameLast, rec.Patient.NameFirst)),
		Patient: h.patientSummary(rec, canStart(su)),
	}
	if su.Facility != nil && su.Facility.ID == rec.Patient.FacilityID {
		v.FacilityName = su.Facility.Name
	} else {
		v.FacilityName = "facility " + idString(rec.Patient.FacilityID)
		if fs, err := h.store.Facilities(ctx); err == nil {
			for _, f := range fs {
				if f.ID == rec.Patient.FacilityID {
					v.FacilityName = f.Name
				}
			}
		}
	}
	if f, ok := h.form.Field("race1"); ok && f.Codes != nil {
		v.Race = f.Codes.Label(rec.Patient.Items["race1"])
	}
	return render(c, http.StatusOK, views.PatientPage(v))
}

// loadPatient loads the patient of the :id in the path, in the user's scope, its tumors in
// sequence order.
func (h *patientHandler) loadPatient(c echo.Context) (*store.PatientRecord, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	rec, err := h.store.LoadPatient(c.Request().Context(), uint(n), scopeOf(currentUser(c)))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rec.Tumors, func(a, b store.Tumor) int {
		if (a.SequenceNumber == "") != (b.SequenceNumber == "") {
			if a.SequenceNumber == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.SequenceNumber, b.SequenceNumber)
	})
	return rec, nil
}
