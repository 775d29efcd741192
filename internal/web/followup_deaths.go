package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/followup"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// maxDeathFileBytes bounds a death file upload (the server's body limit, 2 MB, is the other
// bound): about 20,000 rows.
const maxDeathFileBytes = 2 << 20

// deathsPage is the death clearance page of the facility of ?facility= (or the form's).
func (h *followUpHandler) deathsPage(c echo.Context, facility string) (views.FollowUpDeathsView, *store.Facility, error) {
	fac, opts, err := h.facility(c, facility)
	v := views.FollowUpDeathsView{Page: pageOf(c, "Death clearance"), Facilities: opts}
	if fac != nil {
		v.Facility = idString(fac.ID)
	}
	return v, fac, err
}

// deaths shows the upload form.
func (h *followUpHandler) deaths(c echo.Context) error {
	if !mayRecord(c) {
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not clear deaths.")
	}
	v, _, err := h.deathsPage(c, c.QueryParam("facility"))
	if err != nil {
		return err
	}
	v.Confirmed = c.QueryParam("confirmed")
	return render(c, http.StatusOK, views.FollowUpDeaths(v))
}

// matchDeaths reads an uploaded death file and shows each good row's candidates, and where
// each bad row is wrong.
func (h *followUpHandler) matchDeaths(c echo.Context) error {
	if !mayRecord(c) {
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not clear deaths.")
	}
	v, fac, err := h.deathsPage(c, c.FormValue("facility"))
	if err != nil {
		return err
	}
	if fac == nil {
		v.Error = "You work for no facility."
		return render(c, http.StatusUnprocessableEntity, views.FollowUpDeaths(v))
	}
	fh, err := c.FormFile("file")
	if err != nil {
		v.Error = "Choose the death file to upload."
		return render(c, http.StatusUnprocessableEntity, views.FollowUpDeaths(v))
	}
	if fh.Size > maxDeathFileBytes {
		v.Error = fmt.Sprintf("The file is %d bytes; split it into files of at most %d.", fh.Size, maxDeathFileBytes)
		return render(c, http.StatusUnprocessableEntity, views.FollowUpDeaths(v))
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("web: death file: %w", err)
	}
	defer f.Close()
	file, err := followup.ParseDeaths(f, h.service.Options().Now())
	if errors.Is(err, followup.ErrDeathFile) {
		v.Error = strings.TrimPrefix(err.Error(), followup.ErrDeathFile.Error()+": ")
		return render(c, http.StatusUnprocessableEntity, views.FollowUpDeaths(v))
	}
	if err != nil {
		return err
	}
	matches, err := h.service.MatchDeaths(c.Request().Context(), followUpActor(c), store.FacilityScope(fac.ID), file.Deaths)
	if err != nil {
		return err
	}
	v.Uploaded = true
	v.Ignored = strings.Join(file.Ignored, ", ")
	for _, e := range file.Errors {
		v.RowErrors = append(v.RowErrors, views.FollowUpRowError{Row: strconv.Itoa(e.Row), Column: e.Column, Reason: e.Reason})
	}
	for _, m := range matches {
		d := m.Death
		fd := views.FollowUpDeath{Row: strconv.Itoa(d.Row),
			Summary: fmt.Sprintf("%s, %s, born %s, died %s (%s)", d.LastName, d.FirstName, d.DateOfBirth, d.DateOfDeath, d.UnderlyingCause)}
		fields := d.Fields()
		for _, col := range followup.DeathColumns {
			fd.Fields = append(fd.Fields, views.Option{Code: col, Label: fields[col]})
		}
		for _, cand := range m.Candidates {
			fd.Candidates = append(fd.Candidates, views.FollowUpCandidate{PatientID: idString(cand.Patient.ID),
				Name: patientName(cand.Patient.NameLast, cand.Patient.NameFirst), DateOfBirth: cand.Patient.DateOfBirth,
				Score: strconv.Itoa(cand.Score), Reasons: strings.Join(cand.Reasons, "; "), Likely: cand.Score >= followup.LikelyScore})
		}
		v.Deaths = append(v.Deaths, fd)
	}
	status := http.StatusOK
	if len(v.RowErrors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, views.FollowUpDeaths(v))
}

// confirmDeath records a confirmed death as a follow-up of the patient (through the case
// service), from the death's values the match page posts back, checked again.
func (h *followUpHandler) confirmDeath(c echo.Context) error {
	if !mayRecord(c) {
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not clear deaths.")
	}
	if h.section == nil {
		return fmt.Errorf("web: the follow-up form did not load: %w", h.loadErr)
	}
	row, _ := strconv.Atoi(c.FormValue("row"))
	pid, err := strconv.ParseUint(c.FormValue("patient"), 10, 32)
	if err != nil || pid == 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "No patient chosen.")
	}
	values := map[string]string{}
	for _, col := range followup.DeathColumns {
		values[col] = c.FormValue(col)
	}
	d, err := followup.DeathFromFields(row, values, h.service.Options().Now())
	if err != nil {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The death cannot be recorded: "+err.Error())
	}
	res, err := h.service.ConfirmDeath(c.Request().Context(), followUpActor(c), h.section, d, uint(pid))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case errors.Is(err, store.ErrConflict):
		return echo.NewHTTPError(http.StatusConflict, "The patient's cases changed meanwhile: match the file again.")
	case err != nil:
		return err
	}
	if len(res.Errors) > 0 {
		var msgs []string
		for item, msg := range res.Errors {
			msgs = append(msgs, item+": "+msg)
		}
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The death was not recorded: "+strings.Join(msgs, "; "))
	}
	msg := fmt.Sprintf("Recorded: %s died %s.", patientName(res.Case.Patient.NameLast, res.Case.Patient.NameFirst), d.DateOfDeath)
	return c.Redirect(http.StatusSeeOther, "/followup/deaths?facility="+url.QueryEscape(c.FormValue("facility"))+"&confirmed="+url.QueryEscape(msg))
}
