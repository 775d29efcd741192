package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// picker is "add to patient" for one possible case (ref = "id:version"): a search of the
// record's facility's patients by MRN or name, each found a button that adds the record there.
// Opened from the suspense page with htmx it is a fragment of that page (inline=1); a search
// replaces its results only; without htmx it is a page. It starts with the record's last name.
func (h *casefindingHandler) picker(c echo.Context) error {
	if !canStart(currentUser(c)) {
		return echo.NewHTTPError(http.StatusForbidden, "Only registrars decide on possible cases.")
	}
	fc, err := h.facility(c)
	if err != nil {
		return err
	}
	idText, _, _ := strings.Cut(c.QueryParam("ref"), ":")
	id, err := strconv.ParseUint(idText, 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Which possible case? The link names none: reload the suspense list.")
	}
	query := strings.TrimSpace(c.QueryParam("q"))
	if r := []rune(query); len(r) > maxSearch {
		query = string(r[:maxSearch])
	}
	rec, pats, query, err := h.service.Picker(c.Request().Context(), casefindingActor(c), uint(id), query)
	if err == nil && rec.FacilityID != fc.id {
		err = casefinding.ErrNotFound // a record of another of the user's facilities: not this list's
	}
	switch {
	case errors.Is(err, casefinding.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "There is no such possible case on the facility's list.")
	case errors.Is(err, casefinding.ErrForbidden):
		return echo.NewHTTPError(http.StatusForbidden, err.Error())
	case err != nil:
		return err
	}
	ref := idString(rec.ID) + ":" + strconv.FormatInt(rec.Version, 10)
	name := rec.NameLast
	if rec.NameFirst != "" {
		name += ", " + rec.NameFirst
	}
	v := views.PatientPickerView{
		Page: pageOf(c, "Add to a patient"), FacilityID: idString(fc.id), Ref: ref, RecordID: idString(rec.ID),
		Name: name, MRN: rec.MRN, Born: strings.TrimSpace(showDate(rec.DateOfBirth) + " " + sexLabel(rec.Sex)),
		Query: query, Searched: query != "", Inline: c.QueryParam("inline") == "1",
	}
	sites, _ := h.codes.ForItem("primarySite")
	for i := range pats {
		p := &pats[i]
		pp := views.PickerPatient{
			ID: idString(p.Patient.ID), URL: patientPath(p.Patient.ID), Name: patientName(p.Patient.NameLast, p.Patient.NameFirst),
			Born: showDate(p.Patient.DateOfBirth), Decision: casefinding.DecideAddToPatient + " " + ref,
			Matched: rec.MatchPatient != nil && *rec.MatchPatient == p.Patient.ID,
		}
		var mrns, tumors []string
		for _, t := range p.Tumors {
			if t.MedicalRecordNumber != "" && !slices.Contains(mrns, t.MedicalRecordNumber) {
				mrns = append(mrns, t.MedicalRecordNumber)
			}
			site := t.PrimarySite
			if sites != nil {
				if l := sites.Label(t.PrimarySite); l != "" {
					site += " " + l
				}
			}
			tumors = append(tumors, strings.TrimSpace(site+" "+showDate(t.DateOfDiagnosis)))
		}
		pp.MRNs = strings.Join(mrns, ", ")
		pp.Tumors = strings.Join(tumors, "; ")
		if len(tumors) == 0 {
			pp.Tumors = "no tumors"
		}
		v.Patients = append(v.Patients, pp)
	}
	c.Response().Header().Add("Vary", string(hx.Request))
	switch {
	case !hx.Is(c.Request().Header.Get(string(hx.Request))):
		v.Inline = false
		return render(c, http.StatusOK, views.PatientPickerPage(v))
	case c.Request().Header.Get(string(hx.Target)) == "picker-results":
		return render(c, http.StatusOK, views.PickerResults(v))
	}
	return render(c, http.StatusOK, views.PatientPicker(v))
}
