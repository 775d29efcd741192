package web

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/quality"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// reabstractionStore is what blind re-abstraction's pages read of the database themselves; the
// draw, the comparison and the rates go through internal/quality.
type reabstractionStore interface {
	ReabstractionCase(ctx context.Context, sampleID, caseID uint, sc store.Scope) (*store.SampleCaseDetail, error)
	ScopeFacilities(ctx context.Context, sc store.Scope) ([]store.Facility, error)
	FacilityUsers(ctx context.Context, sc store.Scope) ([]store.User, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// reabstractionHandler serves blind re-abstraction (samples, the blind form, discrepancies) and
// the productivity figures.
type reabstractionHandler struct {
	store   reabstractionStore
	quality *quality.Service
	form    *abstract.Form
	// cases checks the blind values as the case form's save does.
	cases      *casework.Service
	siteGroups []codes.SiteGroup
	// newRand gives the random source of a draw; tests may fix it.
	newRand func() *rand.Rand
	now     func() time.Time
}

// newSampleRandom is a random source seeded from the operating system, so that no one can foresee
// which cases a sample will hold.
func newSampleRandom() *rand.Rand {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // crypto/rand.Read does not fail (Go 1.24+)
	return rand.New(rand.NewChaCha8(seed))
}

// reasonLabels are the discrepancy reasons as people read them.
var reasonLabels = map[string]string{
	quality.ReasonAbstractor:    "Abstractor error",
	quality.ReasonReviewer:      "Reviewer error",
	quality.ReasonCodingRule:    "Coding rule",
	quality.ReasonIncomplete:    "Incomplete record",
	quality.ReasonNoDiscrepancy: "No discrepancy",
}

// requireReviewerRole refuses registrars: re-abstraction and productivity are for reviewers and
// administrators.
func requireReviewerRole(c echo.Context) error {
	switch auth.Role(currentUser(c).User.Role) {
	case auth.RoleReviewer, auth.RoleAdmin:
		return nil
	}
	return echo.NewHTTPError(http.StatusForbidden, "Only reviewers and administrators may open this page.")
}

// itemChoices are the items a sample may re-abstract: the default ones and the other fields of
// their sections, in form order, each once; derived and free-text fields are left out.
func (h *reabstractionHandler) itemChoices() []*abstract.Field {
	var out []*abstract.Field
	seen := map[string]bool{}
	for _, sec := range h.form.Sections {
		if !slices.ContainsFunc(sec.Fields, func(f *abstract.Field) bool { return slices.Contains(h.form.Reabstraction, f.Def.ID) }) {
			continue
		}
		for _, f := range sec.Fields {
			if f.Derived || f.Widget == abstract.WidgetTextArea || seen[f.Def.ID] {
				continue
			}
			seen[f.Def.ID] = true
			out = append(out, f)
		}
	}
	return out
}

func (h *reabstractionHandler) label(id string) string {
	if f, ok := h.form.Field(id); ok {
		return f.Label
	}
	return id
}

// list shows the samples in scope and the draw form.
func (h *reabstractionHandler) list(c echo.Context) error {
	if err := requireReviewerRole(c); err != nil {
		return err
	}
	form := views.SampleForm{Mode: "percent", Amount: "10"}
	for _, f := range h.itemChoices() {
		form.Items = append(form.Items, views.ItemChoice{ID: f.Def.ID, Label: f.Label, Number: f.Def.Number,
			Checked: slices.Contains(h.form.Reabstraction, f.Def.ID)})
	}
	return h.renderList(c, http.StatusOK, form, "")
}

func (h *reabstractionHandler) renderList(c echo.Context, status int, form views.SampleForm, msg string) error {
	su := currentUser(c)
	ctx := c.Request().Context()
	sc := scopeOf(su)
	samples, err := h.quality.Samples(ctx, sc)
	if err != nil {
		return err
	}
	facs, err := h.store.ScopeFacilities(ctx, sc)
	if err != nil {
		return err
	}
	users, err := h.store.FacilityUsers(ctx, sc)
	if err != nil {
		return err
	}
	v := views.ReabstractionListView{Page: pageOf(c, "Re-abstraction"), Form: form, Error: msg}
	for _, f := range facs {
		v.Form.Facilities = append(v.Form.Facilities, views.Option{Code: idString(f.ID), Label: f.Name})
	}
	if v.Form.Facility == "" && su.Facility != nil {
		v.Form.Facility = idString(su.Facility.ID)
	}
	for _, u := range users {
		if auth.Role(u.Role) == auth.RoleRegistrar {
			v.Form.Registrars = append(v.Form.Registrars, views.Option{Code: idString(u.ID), Label: reabUserName(u)})
		}
	}
	for _, g := range h.siteGroups {
		v.Form.SiteGroups = append(v.Form.SiteGroups, views.Option{Code: g.ID, Label: g.Label})
	}
	for _, s := range samples {
		v.Samples = append(v.Samples, views.SampleRow{
			URL: "/reabstraction/" + idString(s.Sample.ID), Facility: s.FacilityName,
			Created: s.Sample.CreatedAt.UTC().Format(time.DateOnly), CreatedBy: s.CreatedBy, Description: s.Sample.Description,
			Cases: s.Cases, Completed: s.Completed, Compared: s.Agreement.Compared, Rate: agreementText(s.Agreement),
		})
	}
	return render(c, status, views.ReabstractionList(v))
}

func reabUserName(u store.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}

func agreementText(a quality.Agreement) string {
	if a.Compared == 0 {
		return "–"
	}
	return views.FormatChartValue(a.Rate()) + "%"
}

// create draws a sample from the form; a refused draw shows the form again, saying why.
func (h *reabstractionHandler) create(c echo.Context) error {
	if err := requireReviewerRole(c); err != nil {
		return err
	}
	su := currentUser(c)
	sc := scopeOf(su)
	form := views.SampleForm{
		Facility: c.FormValue("facility"), Mode: c.FormValue("mode"), Amount: strings.TrimSpace(c.FormValue("amount")),
		Registrar: c.FormValue("registrar"), Site: c.FormValue("site"), Description: c.FormValue("description"),
	}
	params, _ := c.FormParams()
	chosen := params["items"]
	for _, f := range h.itemChoices() {
		form.Items = append(form.Items, views.ItemChoice{ID: f.Def.ID, Label: f.Label, Number: f.Def.Number,
			Checked: slices.Contains(chosen, f.Def.ID)})
	}
	refuse := func(msg string) error { return h.renderList(c, http.StatusUnprocessableEntity, form, msg) }

	draw := quality.SampleDraw{Scope: sc, Description: form.Description, CreatedBy: su.User.ID, RemoteAddr: c.RealIP(), Rand: h.newRand()}
	fid, err := strconv.ParseUint(form.Facility, 10, 32)
	if err != nil || !sc.Contains(uint(fid)) {
		return refuse("Facility: choose one of your facilities.")
	}
	draw.FacilityID = uint(fid)
	switch form.Mode {
	case "count":
		n, err := strconv.Atoi(form.Amount)
		if err != nil || n < 1 || n > 10000 {
			return refuse(fmt.Sprintf("How many: %s is not a number of cases from 1 to 10000.", excerpt.Quote(form.Amount)))
		}
		draw.Count = n
	default:
		p, err := strconv.ParseFloat(form.Amount, 64)
		if err != nil || p <= 0 || p > 100 {
			return refuse(fmt.Sprintf("How many: %s is not a percentage above 0 and at most 100.", excerpt.Quote(form.Amount)))
		}
		draw.Percent = p
	}
	if form.Registrar != "" {
		uid, err := strconv.ParseUint(form.Registrar, 10, 32)
		if err != nil {
			return refuse("Abstracted by: choose a registrar from the list.")
		}
		id := uint(uid)
		draw.AbstractorID = &id
	}
	if form.Site != "" {
		g := reabSiteGroup(h.siteGroups, form.Site)
		if g == nil {
			return refuse("Site: choose a site group from the list.")
		}
		for _, r := range g.Ranges {
			draw.Sites = append(draw.Sites, store.SiteRange{From: r.From, To: r.To})
		}
	}
	for _, f := range h.itemChoices() {
		if slices.Contains(chosen, f.Def.ID) {
			draw.Items = append(draw.Items, f.Def.ID)
		}
	}
	if len(draw.Items) == 0 {
		return refuse("Items to re-abstract: choose at least one.")
	}
	sample, err := h.quality.DrawSample(c.Request().Context(), draw)
	switch {
	case errors.Is(err, quality.ErrEmptySample):
		return refuse("Sample: no approved or submitted case of this facility matches the registrar and site chosen.")
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/reabstraction/"+idString(sample.ID))
}

func reabSiteGroup(groups []codes.SiteGroup, id string) *codes.SiteGroup {
	for i := range groups {
		if groups[i].ID == id {
			return &groups[i]
		}
	}
	return nil
}

func reabParamID(c echo.Context, name string) (uint, error) {
	n, err := strconv.ParseUint(c.Param(name), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return uint(n), nil
}

// show is one sample: its cases (names and MRNs, so the view is audited), agreement and
// discrepancies.
func (h *reabstractionHandler) show(c echo.Context) error {
	if err := requireReviewerRole(c); err != nil {
		return err
	}
	id, err := reabParamID(c, "id")
	if err != nil {
		return err
	}
	su := currentUser(c)
	ctx := c.Request().Context()
	d, err := h.quality.SampleDetail(ctx, id, scopeOf(su))
	if err != nil {
		return err
	}
	if err := h.store.Audit(ctx, store.AuditEntry{UserID: &su.User.ID, Action: audit.ReabstractionView,
		Entity: "reabstraction_sample", EntityID: idString(id), RemoteAddr: c.RealIP()}); err != nil {
		return err
	}
	sm := d.Summary.Sample
	v := views.SampleView{
		Page: pageOf(c, "Re-abstraction sample"), Title: "Re-abstraction sample " + idString(sm.ID),
		Facility: d.Summary.FacilityName, Created: sm.CreatedAt.UTC().Format(time.DateOnly), CreatedBy: d.Summary.CreatedBy,
		Description: sm.Description, Completed: d.Summary.Completed,
	}
	if sm.Description != "" {
		v.Title = sm.Description
	}
	items := sm.ItemList()
	for _, it := range items {
		v.Items = append(v.Items, h.label(it))
	}
	base := "/reabstraction/" + idString(sm.ID)
	for _, sc := range d.Cases {
		row := views.SampleCaseRow{URL: base + "/cases/" + idString(sc.Case.ID), Patient: patientName(sc.NameLast, sc.NameFirst),
			MRN: sc.MRN, Abstractor: sc.Abstractor, Reviewer: sc.Reviewer, Completed: sc.Case.CompletedAt != nil}
		for _, it := range sc.Items {
			if it.Agree {
				continue
			}
			row.Disagree++
			v.Discrepancies = append(v.Discrepancies, views.DiscrepancyRow{CaseURL: row.URL, Patient: row.Patient,
				Item: h.label(it.NaaccrID), Original: it.Original, Reviewed: it.Reviewed, Reason: reasonLabels[it.Reason]})
		}
		v.Cases = append(v.Cases, row)
	}
	v.Overall = agreementRow("All", d.Summary.Agreement)
	v.RegistrarChart = views.Chart{Title: "Agreement per registrar", Unit: "%", TestID: "chart-registrar"}
	names := make([]string, 0, len(d.ByAbstractor))
	for n := range d.ByAbstractor {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		label := n
		if label == "" {
			label = "(not sent by anyone)"
		}
		r := agreementRow(label, d.ByAbstractor[n])
		v.ByRegistrar = append(v.ByRegistrar, r)
		v.RegistrarChart.Bars = append(v.RegistrarChart.Bars, views.Bar{Label: label, Value: d.ByAbstractor[n].Rate()})
	}
	v.ItemChart = views.Chart{Title: "Agreement per item", Unit: "%", TestID: "chart-item"}
	for _, it := range items {
		a, ok := d.ByItem[it]
		if !ok {
			continue
		}
		v.ByItem = append(v.ByItem, agreementRow(h.label(it), a))
		v.ItemChart.Bars = append(v.ItemChart.Bars, views.Bar{Label: h.label(it), Value: a.Rate()})
	}
	return render(c, http.StatusOK, views.ReabstractionSample(v))
}

func agreementRow(label string, a quality.Agreement) views.AgreementRow {
	return views.AgreementRow{Label: label, Compared: a.Compared, Agreeing: a.Agreeing, Rate: agreementText(a)}
}

// caseOf loads the case of a request's :id and :cid within the user's scope.
func (h *reabstractionHandler) caseOf(c echo.Context) (*store.SampleCaseDetail, error) {
	sid, err := reabParamID(c, "id")
	if err != nil {
		return nil, err
	}
	cid, err := reabParamID(c, "cid")
	if err != nil {
		return nil, err
	}
	return h.store.ReabstractionCase(c.Request().Context(), sid, cid, scopeOf(currentUser(c)))
}

// showCase is the blind form of a case, or its comparison once done. Opening it is audited.
func (h *reabstractionHandler) showCase(c echo.Context) error {
	if err := requireReviewerRole(c); err != nil {
		return err
	}
	d, err := h.caseOf(c)
	if err != nil {
		return err
	}
	su := currentUser(c)
	if err := h.store.Audit(c.Request().Context(), store.AuditEntry{UserID: &su.User.ID, Action: audit.ReabstractionView,
		Entity: "reabstraction_case", EntityID: idString(d.Case.Case.ID),
		Details: map[string]any{"sample_id": d.Sample.ID, "tumor_id": d.Case.Case.TumorID}, RemoteAddr: c.RealIP()}); err != nil {
		return err
	}
	v, err := h.blindView(c, d, nil, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.BlindCase(v))
}

// blindView builds the case page. entered and errs are the reviewer's refused input: shown again
// (they are the reviewer's own values, never the originals).
func (h *reabstractionHandler) blindView(c echo.Context, d *store.SampleCaseDetail, entered url.Values, errs map[string]string) (views.BlindCaseView, error) {
	base := "/reabstraction/" + idString(d.Sample.ID)
	self := base + "/cases/" + idString(d.Case.Case.ID)
	v := views.BlindCaseView{
		Page: pageOf(c, "Re-abstraction: "+patientName(d.Case.NameLast, d.Case.NameFirst)), SampleURL: base, Action: self,
		Patient: patientName(d.Case.NameLast, d.Case.NameFirst), MRN: d.Case.MRN, Completed: d.Case.Case.CompletedAt != nil,
		ReasonsAction: self + "/reasons", Saved: c.QueryParam("saved") == "1",
	}
	if !v.Completed {
		for _, id := range d.Sample.ItemList() {
			f, ok := h.form.Field(id)
			if !ok {
				continue
			}
			fv := fieldView(f, entered.Get(id), errs[id])
			fv.ReadOnly = false // the reviewer enters every chosen item, derived or not
			v.Fields = append(v.Fields, fv)
		}
		return v, h.blindIdentity(c, d, &v)
	}
	v.CaseURL = "/cases/" + idString(d.Case.Case.TumorID)
	for _, r := range quality.ReabstractionReasons {
		v.Reasons = append(v.Reasons, views.Option{Code: r, Label: reasonLabels[r]})
	}
	for _, it := range d.Case.Items {
		v.Compare = append(v.Compare, views.CompareRow{ID: it.NaaccrID, Label: h.label(it.NaaccrID), Original: it.Original,
			Reviewed: it.Reviewed, Agree: it.Agree, Reason: it.Reason})
	}
	return v, nil
}

// saveCase takes the reviewer's blind values, checks each like the case form does, and has the
// quality service compare them with the case. A case already done goes back to its comparison.
func (h *reabstractionHandler) saveCase(c echo.Context) error {
	if err := requireReviewerRole(c); err != nil {
		return err
	}
	d, err := h.caseOf(c)
	if err != nil {
		return err
	}
	self := "/reabstraction/" + idString(d.Sample.ID) + "/cases/" + idString(d.Case.Case.ID)
	if d.Case.Case.CompletedAt != nil {
		return c.Redirect(http.StatusSeeOther, self)
	}
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	// The blind values go through the case form's normalizing and field checks (the case
	// service's), so that "c509" is compared as the C509 the case form stores.
	values := map[string]string{}
	var fields []*abstract.Field
	entered := map[string]string{}
	for _, id := range d.Sample.ItemList() {
		values[id] = strings.TrimSpace(params.Get(id))
		if f, ok := h.form.Field(id); ok {
			fields = append(fields, f)
			entered[id] = params.Get(id)
		}
	}
	clean, errs := h.cases.CheckValues(fields, entered)
	maps.Copy(values, clean)
	if len(errs) > 0 {
		v, err := h.blindView(c, d, params, errs)
		if err != nil {
			return err
		}
		v.Error = plural.Count(len(errs), "item") + " not saved: correct the values marked below."
		return render(c, http.StatusUnprocessableEntity, views.BlindCase(v))
	}
	su := currentUser(c)
	_, err = h.quality.SaveBlind(c.Request().Context(), quality.ReabstractionSave{SampleID: d.Sample.ID, CaseID: d.Case.Case.ID,
		Scope: scopeOf(su), ReviewerID: su.User.ID, Values: values, RemoteAddr: c.RealIP()})
	if err != nil && !errors.Is(err, store.ErrConflict) { // a conflict: someone finished it first; show theirs
		return err
	}
	return c.Redirect(http.StatusSeeOther, self)
}

// saveReasons records the reasons given for a done case's discrepancies.
func (h *reabstractionHandler) saveReasons(c echo.Context) error {
	if err := requireReviewerRole(c); err != nil {
		return err
	}
	d, err := h.caseOf(c)
	if err != nil {
		return err
	}
	self := "/reabstraction/" + idString(d.Sample.ID) + "/cases/" + idString(d.Case.Case.ID)
	if d.Case.Case.CompletedAt == nil {
		return c.Redirect(http.StatusSeeOther, self)
	}
	reasons := map[string]string{}
	for _, it := range d.Case.Items {
		if it.Agree {
			continue
		}
		r := c.FormValue("reason-" + it.NaaccrID)
		if r != "" && reasonLabels[r] == "" {
			v, err := h.blindView(c, d, nil, nil)
			if err != nil {
				return err
			}
			v.Error = fmt.Sprintf("Reason for %s: %s is not one of the reasons offered.", h.label(it.NaaccrID), excerpt.Quote(r))
			return render(c, http.StatusUnprocessableEntity, views.BlindCase(v))
		}
		reasons[it.NaaccrID] = r
	}
	su := currentUser(c)
	if err := h.quality.SaveReasons(c.Request().Context(), store.ReasonsSave{SampleID: d.Sample.ID, CaseID: d.Case.Case.ID,
		Scope: scopeOf(su), UserID: su.User.ID, Reasons: reasons, RemoteAddr: c.RealIP()}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, self+"?saved=1")
}
