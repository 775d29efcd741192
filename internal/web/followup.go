package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/followup"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
	"github.com/cara-registry/cara/views"
)

// followUpPage is the due list's page size.
const followUpPage = 100

// followUpHandler serves the follow-up pages: the due list, recording a follow-up, the letters
// and the rate report (internal/followup).
type followUpHandler struct {
	store   Store
	service *followup.Service
	cases   *casework.Service
	section *abstract.Section // the follow-up form's; nil when it did not load
	letters followup.Letters  // nil when the templates did not load
	loadErr error
}

func newFollowUpHandler(d Deps, cases *casework.Service) *followUpHandler {
	h := &followUpHandler{store: d.Store, cases: cases}
	h.service = followup.New(d.Store, cases, d.SiteGroups, d.Codes, followup.Options{Now: d.Now})
	if d.Form != nil && d.Codes != nil {
		form, err := abstract.LoadForm(schemas.FS, casework.FollowUpFormFile, d.Form.Dictionary, d.Codes)
		if err != nil {
			h.loadErr = err
		} else {
			h.section = form.Sections[0]
		}
	}
	letters, err := followup.LoadLetters(schemas.FS)
	if err != nil {
		h.loadErr = err
	} else {
		h.letters = letters
	}
	return h
}

func followUpActor(c echo.Context) followup.Actor { return caseActor(c) }

// mayRecord says whether a role records follow-up and prints letters: reviewers review.
func mayRecord(c echo.Context) bool {
	return auth.Role(currentUser(c).User.Role) != auth.RoleReviewer
}

// facility is the facility of a follow-up page: ?facility= among the user's, else the home one,
// else the first; with the options of the picker.
func (h *followUpHandler) facility(c echo.Context, id string) (*store.Facility, []views.Option, error) {
	su := currentUser(c)
	facs, err := facilitiesOf(c, h.store)
	if err != nil {
		return nil, nil, err
	}
	var opts []views.Option
	for _, f := range facs {
		opts = append(opts, views.Option{Code: idString(f.ID), Label: f.Name + " (" + f.Code + ")"})
	}
	chosen := facilityIn(facs, id)
	if chosen == nil && id != "" {
		return nil, opts, echo.NewHTTPError(http.StatusNotFound, "No such facility among yours.")
	}
	if chosen == nil && su.Facility != nil {
		chosen = facilityIn(facs, idString(su.Facility.ID))
	}
	if chosen == nil && len(facs) > 0 {
		chosen = &facs[0]
	}
	return chosen, opts, nil
}

// due shows a facility's due list with its filters.
func (h *followUpHandler) due(c echo.Context) error {
	fac, opts, err := h.facility(c, c.QueryParam("facility"))
	if err != nil {
		return err
	}
	v := views.FollowUpView{Page: pageOf(c, "Follow-up"), Facilities: opts, Month: c.QueryParam("month"),
		Lost: c.QueryParam("lost") == "1", Physician: c.QueryParam("physician"), SiteGroup: c.QueryParam("site"),
		MayRecord: mayRecord(c), Recorded: c.QueryParam("recorded") == "1"}
	for _, g := range h.service.SiteGroups() {
		v.SiteGroups = append(v.SiteGroups, views.Option{Code: g.ID, Label: g.Label})
	}
	if fac == nil {
		v.Error = "You work for no facility."
		return render(c, http.StatusOK, views.FollowUp(v))
	}
	v.Facility = idString(fac.ID)
	offset, _ := strconv.Atoi(c.QueryParam("offset"))
	offset = max(offset, 0)
	list, err := h.service.Due(c.Request().Context(), followUpActor(c), followup.DueQuery{
		Scope: store.FacilityScope(fac.ID), Month: v.Month, Lost: v.Lost, Physician: v.Physician, SiteGroup: v.SiteGroup,
		Limit: followUpPage, Offset: offset,
	})
	if errors.Is(err, followup.ErrBadQuery) {
		v.Error = strings.TrimPrefix(err.Error(), followup.ErrBadQuery.Error()+": ")
		return render(c, http.StatusUnprocessableEntity, views.FollowUp(v))
	}
	if err != nil {
		return err
	}
	v.Total = list.Total
	for _, r := range list.Rows {
		v.Rows = append(v.Rows, views.FollowUpRow{
			TumorID: idString(r.TumorID), Name: patientName(r.NameLast, r.NameFirst), MRN: r.MedicalRecordNumber,
			Site: r.PrimarySite, LastContact: r.LastContact, Due: r.DueDate, Months: monthsText(r.MonthsSince), Lost: r.Lost,
			Physician: r.PhysicianFollowUp, NextSource: r.NextSource, Contact: r.Contact,
		})
	}
	q := c.QueryParams()
	page := func(off int) string {
		p := url.Values{}
		for k, vs := range q {
			p[k] = vs
		}
		p.Set("facility", v.Facility)
		p.Set("offset", strconv.Itoa(off))
		p.Del("recorded")
		return "/followup?" + p.Encode()
	}
	if offset > 0 {
		v.PrevURL = page(max(offset-followUpPage, 0))
	}
	if int64(offset+len(list.Rows)) < list.Total {
		v.NextURL = page(offset + len(list.Rows))
	}
	return render(c, http.StatusOK, views.FollowUp(v))
}

func monthsText(m int) string {
	if m < 0 {
		return "never"
	}
	return strconv.Itoa(m)
}

// recordForm shows the form that records a follow-up of the case's patient.
func (h *followUpHandler) recordForm(c echo.Context) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	if h.section == nil {
		return fmt.Errorf("web: the follow-up form did not load: %w", h.loadErr)
	}
	cs, _, err := h.cases.View(c.Request().Context(), followUpActor(c), id, "followup")
	if err != nil {
		return caseLoadError(err)
	}
	return render(c, http.StatusOK, views.FollowUpRecord(h.recordView(c, cs, nil, nil, c.QueryParam("facility"))))
}

func caseLoadError(err error) error {
	if errors.Is(err, casework.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	return err
}

// recordView is the follow-up form of a case: the values entered (nil: blank, for a new
// contact, but the next follow-up source as stored) and the messages.
func (h *followUpHandler) recordView(c echo.Context, cs *casework.Case, entered map[string]string, errs map[string]string, facility string) views.FollowUpRecordView {
	v := views.FollowUpRecordView{Page: pageOf(c, "Record follow-up"), TumorID: idString(cs.Tumor.ID),
		Patient: patientName(cs.Patient.NameLast, cs.Patient.NameFirst), PatientVersion: cs.Patient.Version, Errors: errs,
		Facility: facility}
	for _, f := range h.section.Fields {
		fv := views.FollowUpField{ID: f.Def.ID, Label: f.Label, Help: f.Help, Number: f.Def.Number,
			Date: f.Def.DataType == naaccr.TypeDate, PerTumor: f.Def.Parent != naaccr.ParentPatient}
		if entered != nil {
			fv.Value = entered[f.Def.ID]
		} else if f.Def.ID == "nextFollowUpSource" {
			fv.Value = cs.Tumor.Items[f.Def.ID]
		}
		if f.Codes != nil {
			for _, code := range f.Codes.Codes {
				fv.Codes = append(fv.Codes, views.Option{Code: code.Code, Label: code.Label})
			}
		}
		v.Fields = append(v.Fields, fv)
	}
	var statusCodes []views.Option
	if f, ok := h.fieldOf("cancerStatus"); ok && f.Codes != nil {
		for _, code := range f.Codes.Codes {
			statusCodes = append(statusCodes, views.Option{Code: code.Code, Label: code.Label})
		}
	}
	for _, t := range cs.Tumors {
		ft := views.FollowUpTumor{ID: idString(t.ID), Version: t.Version, Codes: statusCodes,
			Label: strings.TrimSpace(t.PrimarySite + " diagnosed " + t.DateOfDiagnosis + " (case " + idString(t.ID) + ")")}
		if entered != nil {
			ft.CancerStatus = entered["cancerStatus."+ft.ID]
		}
		v.Tumors = append(v.Tumors, ft)
	}
	return v
}

func (h *followUpHandler) fieldOf(id string) (*abstract.Field, bool) {
	for _, f := range h.section.Fields {
		if f.Def.ID == id {
			return f, true
		}
	}
	return nil, false
}

// record records a follow-up through the case service.
func (h *followUpHandler) record(c echo.Context) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	if !mayRecord(c) {
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not record follow-up.")
	}
	if h.section == nil {
		return fmt.Errorf("web: the follow-up form did not load: %w", h.loadErr)
	}
	ctx := c.Request().Context()
	in := casework.FollowUp{TumorID: id, Section: h.section, Entered: map[string]string{}, PerTumor: map[uint]map[string]string{},
		TumorVersions: map[uint]int64{}, Source: "form"}
	in.PatientVersion, _ = strconv.ParseInt(c.FormValue("patientVersion"), 10, 64)
	entered := map[string]string{}
	for _, f := range h.section.Fields {
		if v := strings.TrimSpace(c.FormValue(f.Def.ID)); v != "" {
			in.Entered[f.Def.ID] = v
			entered[f.Def.ID] = v
		}
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	for k, vs := range form {
		if len(vs) == 0 {
			continue
		}
		if tid, ok := strings.CutPrefix(k, "version."); ok {
			n, err1 := strconv.ParseUint(tid, 10, 32)
			ver, err2 := strconv.ParseInt(vs[0], 10, 64)
			if err1 == nil && err2 == nil {
				in.TumorVersions[uint(n)] = ver
			}
		}
		if tid, ok := strings.CutPrefix(k, "cancerStatus."); ok && strings.TrimSpace(vs[0]) != "" {
			if n, err := strconv.ParseUint(tid, 10, 32); err == nil {
				in.PerTumor[uint(n)] = map[string]string{"cancerStatus": strings.TrimSpace(vs[0])}
				entered[k] = strings.TrimSpace(vs[0])
			}
		}
	}
	out, err := h.cases.RecordFollowUp(ctx, followUpActor(c), in)
	facility := c.FormValue("facility")
	switch {
	case errors.Is(err, casework.ErrReviewerEdits):
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not record follow-up.")
	case errors.Is(err, casework.ErrNoVersion):
		return echo.NewHTTPError(http.StatusBadRequest, "The form is incomplete (no version). Reload it and enter the follow-up again.")
	case errors.Is(err, casework.ErrConflict):
		v := h.recordView(c, out.Case, nil, nil, facility)
		v.Conflict = true
		return render(c, http.StatusConflict, views.FollowUpRecord(v))
	case err != nil:
		return caseLoadError(err)
	}
	if len(out.Errors) > 0 {
		v := h.recordView(c, out.Case, entered, out.Errors, facility)
		v.PatientVersion = in.PatientVersion
		for i := range v.Tumors {
			if ver, ok := in.TumorVersions[parseID(v.Tumors[i].ID)]; ok {
				v.Tumors[i].Version = ver
			}
		}
		return render(c, http.StatusUnprocessableEntity, views.FollowUpRecord(v))
	}
	back := "/followup?recorded=1"
	if facility != "" {
		back += "&facility=" + url.QueryEscape(facility)
	}
	return c.Redirect(http.StatusSeeOther, back)
}

func parseID(s string) uint {
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint(n)
}

// printLetters sends the PDF of a month's letters, recorded sent.
func (h *followUpHandler) printLetters(c echo.Context) error {
	if !mayRecord(c) {
		return echo.NewHTTPError(http.StatusForbidden, "Reviewers do not send follow-up letters.")
	}
	if h.letters == nil {
		return fmt.Errorf("web: the letter templates did not load: %w", h.loadErr)
	}
	fac, _, err := h.facility(c, c.FormValue("facility"))
	if err != nil {
		return err
	}
	if fac == nil {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "You work for no facility.")
	}
	month := strings.TrimSpace(c.FormValue("month"))
	var pdf bytes.Buffer
	_, err = h.service.PrintLetters(c.Request().Context(), followUpActor(c), h.letters,
		followup.LetterQuery{Scope: store.FacilityScope(fac.ID), Facility: fac, Month: month}, &pdf)
	if errors.Is(err, followup.ErrBadQuery) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Give the month the cases fall due, as CCYYMM.")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="follow-up-letters-%s-%s.pdf"`, fac.Code, month))
	return c.Blob(http.StatusOK, "application/pdf", pdf.Bytes())
}

// rate shows the follow-up rate report of a facility, with its chart.
func (h *followUpHandler) rate(c echo.Context) error {
	fac, opts, err := h.facility(c, c.QueryParam("facility"))
	if err != nil {
		return err
	}
	v := views.FollowUpRateView{Page: pageOf(c, "Follow-up rate"), Facilities: opts, ReferenceDate: strings.TrimSpace(c.QueryParam("ref"))}
	if fac == nil {
		v.Error = "You work for no facility."
		return render(c, http.StatusOK, views.FollowUpRateReport(v))
	}
	v.Facility = idString(fac.ID)
	if r := v.ReferenceDate; r != "" && (len(r) != 8 || strings.Trim(r, "0123456789") != "") {
		v.Error = "The reference date is CCYYMMDD (such as 20150101)."
		return render(c, http.StatusUnprocessableEntity, views.FollowUpRateReport(v))
	}
	rep, err := h.service.Rate(c.Request().Context(), followUpActor(c), store.FacilityScope(fac.ID), v.ReferenceDate)
	if err != nil {
		return err
	}
	v.AsOf = rep.AsOf
	v.Chart = views.Chart{Title: "Follow-up rate against its target", Unit: "%", TestID: "rate-chart"}
	for _, part := range []struct {
		title string
		r     followup.Rate
	}{{"Since the reference date", rep.All}, {"Last five years", rep.FiveYears}} {
		r := part.r
		from := r.From
		if from == "" {
			from = "the first case"
		}
		fr := views.FollowUpRate{Title: part.title, From: from, Target: fmt.Sprintf("%.0f%%", r.Target*100),
			Rate: fmt.Sprintf("%.1f%%", r.Rate*100), Met: r.Met(), Cases: r.Cases, Followed: r.Followed,
			Dead: r.Dead, Current: r.Current, Lost: r.Lost}
		for _, reason := range followup.ExclusionOrder {
			if n := r.Excluded[reason]; n > 0 {
				fr.Excluded = append(fr.Excluded, views.Option{Code: strconv.Itoa(n), Label: followup.ExclusionLabel(reason)})
			}
		}
		v.Rates = append(v.Rates, fr)
		v.Chart.Bars = append(v.Chart.Bars,
			views.Bar{Label: part.title, Value: float64(int(r.Rate*1000+0.5)) / 10},
			views.Bar{Label: part.title + " target", Value: r.Target * 100})
	}
	return render(c, http.StatusOK, views.FollowUpRateReport(v))
}
