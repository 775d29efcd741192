package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/release"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
	"github.com/cara-registry/cara/views"
)

// releaseHandler serves the release of information (internal/release): the requests, their
// approval, the extract and its log, the aggregate table, the downloads and a patient's
// accounting of disclosures. Requests are the registry's, not a facility's; an extract holds
// only the cases of the facilities of whoever runs it.
type releaseHandler struct {
	service *release.Service
	form    *abstract.Form
	now     func() time.Time
	loadErr error
}

func newReleaseHandler(d Deps) *releaseHandler {
	h := &releaseHandler{form: d.Form, now: d.Now}
	if d.Form == nil {
		h.loadErr = errors.New("web: release: no abstract form")
		return h
	}
	pol, err := release.LoadPolicy(schemas.FS)
	if err != nil {
		h.loadErr = err
		return h
	}
	h.service = release.New(d.Store, d.Form.Dictionary, pol, d.SiteGroups, release.Options{Dir: d.ReleaseDir, Now: d.Now})
	return h
}

func (h *releaseHandler) ready() error {
	if h.loadErr != nil {
		return fmt.Errorf("web: release: %w", h.loadErr)
	}
	return nil
}

func releaseActor(c echo.Context) release.Actor {
	su := currentUser(c)
	return release.Actor{UserID: su.User.ID, Role: auth.Role(su.User.Role), Scope: scopeOf(su), RemoteAddr: c.RealIP()}
}

// mayDraft: registrars and administrators draft requests and run approved extracts; reviewers
// review cases.
func mayDraft(c echo.Context) bool {
	return auth.Role(currentUser(c).User.Role) != auth.RoleReviewer
}

func (h *releaseHandler) formOf(in release.RequestInput, sections map[string]bool, itemsText, statuses, sites, group, from, to string) views.ReleaseRequestForm {
	f := views.ReleaseRequestForm{
		RequesterName: in.RequesterName, Organization: in.Organization, Email: in.Email, Purpose: in.Purpose,
		LegalBasis: in.LegalBasis, LegalReference: in.LegalReference, PrivacyLevel: in.PrivacyLevel,
		Items: itemsText, Statuses: statuses, Sites: sites, SiteGroup: group, YearFrom: from, YearTo: to,
	}
	if f.PrivacyLevel == "" {
		f.PrivacyLevel = string(release.Deidentified)
	}
	for _, s := range h.form.Sections {
		f.Sections = append(f.Sections, views.ReleaseSection{ID: s.ID, Title: s.Title, Items: len(s.Fields), Checked: sections[s.ID]})
	}
	for _, b := range release.LegalBases {
		f.LegalBases = append(f.LegalBases, views.Option{Code: string(b), Label: b.Label()})
	}
	for _, l := range release.Levels {
		f.Levels = append(f.Levels, views.Option{Code: string(l), Label: l.Label()})
	}
	for _, g := range h.service.SiteGroups() {
		f.SiteGroups = append(f.SiteGroups, views.Option{Code: g.ID, Label: g.Label})
	}
	return f
}

func (h *releaseHandler) index(c echo.Context) error {
	if err := h.ready(); err != nil {
		return err
	}
	v, err := h.indexView(c)
	if err != nil {
		return err
	}
	v.Form = h.formOf(release.RequestInput{}, nil, "", "", "", "", "", "")
	if c.QueryParam("drafted") != "" {
		v.Notice = "Request " + c.QueryParam("drafted") + " saved as a draft: an administrator approves it."
	}
	return render(c, http.StatusOK, views.Releases(v))
}

func (h *releaseHandler) indexView(c echo.Context) (views.ReleasesView, error) {
	ctx := c.Request().Context()
	v := views.ReleasesView{Page: pageOf(c, "Releases"), MayDraft: mayDraft(c)}
	reqs, err := h.service.List(ctx, 200)
	if err != nil {
		return v, err
	}
	for _, r := range reqs {
		v.Requests = append(v.Requests, requestRow(r))
	}
	rels, err := h.service.Releases(ctx, 0, 200)
	if err != nil {
		return v, err
	}
	v.Log = h.logRows(rels)
	return v, nil
}

func requestRow(r *release.Request) views.ReleaseRequestRow {
	row := views.ReleaseRequestRow{
		ID: idString(r.ID), URL: "/releases/" + idString(r.ID), Requester: r.RequesterName, Organization: r.Organization,
		Purpose: r.Purpose, Basis: r.Basis.Label(), Level: r.Level.Label(), Status: r.Status, Created: r.CreatedAt.Format("2006-01-02"),
	}
	if r.ExpiresAt != nil {
		row.Expires = r.ExpiresAt.Format("2006-01-02 15:04")
	}
	return row
}

func (h *releaseHandler) logRows(rels []store.Release) []views.ReleaseLogRow {
	out := make([]views.ReleaseLogRow, 0, len(rels))
	for _, r := range rels {
		row := views.ReleaseLogRow{
			ID: idString(r.ID), RequestURL: "/releases/" + idString(r.RequestID), Request: "Request " + idString(r.RequestID),
			When: r.CreatedAt.Format("2006-01-02 15:04"), Format: strings.ToUpper(r.Format), Level: release.Level(r.PrivacyLevel).Label(),
			Patients: r.Patients, Tumors: r.Tumors, SHA256: r.SHA256, KeptUntil: r.KeptUntil.Format("2006-01-02 15:04"),
			DownloadURL: "/releases/files/" + idString(r.ID), Purged: r.FilePath == "" || !h.now().Before(r.KeptUntil), Items: r.Items,
		}
		if r.RunBy != nil {
			row.RunBy = "user " + idString(*r.RunBy)
		}
		out = append(out, row)
	}
	return out
}

// splitList splits a field of values separated by commas or lines.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// resolveItems turns the picked sections and the typed names, naaccrIds or numbers into
// naaccrIds; a typed entry that is none of them is kept as typed, so that the service names it.
func (h *releaseHandler) resolveItems(sections []string, typed []string) []string {
	var out []string
	for _, id := range sections {
		if s, ok := h.form.Section(id); ok {
			for _, f := range s.Fields {
				out = append(out, f.Def.ID)
			}
		}
	}
	dict := h.form.Dictionary
	for _, t := range typed {
		if _, ok := dict.Item(t); ok {
			out = append(out, t)
			continue
		}
		if n, err := strconv.Atoi(t); err == nil {
			if it, ok := dict.ItemByNumber(n); ok {
				out = append(out, it.ID)
				continue
			}
		}
		found := false
		for _, it := range dict.Items {
			if strings.EqualFold(it.Name, t) {
				out, found = append(out, it.ID), true
				break
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	return out
}

func (h *releaseHandler) create(c echo.Context) error {
	if err := h.ready(); err != nil {
		return err
	}
	if !mayDraft(c) {
		return echo.NewHTTPError(http.StatusForbidden, "A reviewer does not draft data requests.")
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	in := release.RequestInput{
		RequesterName: form.Get("requester_name"), Organization: form.Get("organization"), Email: form.Get("email"),
		Purpose: form.Get("purpose"), LegalBasis: form.Get("legal_basis"), LegalReference: form.Get("legal_reference"),
		PrivacyLevel: form.Get("privacy_level"),
	}
	in.Items = h.resolveItems(form["section"], splitList(form.Get("items")))
	errs := map[string]string{}
	var yerr error
	if in.Filters.YearFrom, yerr = release.ParseYear(form.Get("year_from")); yerr != nil {
		errs["years"] = yerr.Error()
	}
	if in.Filters.YearTo, yerr = release.ParseYear(form.Get("year_to")); yerr != nil {
		errs["years"] = yerr.Error()
	}
	in.Filters.Sites = splitList(form.Get("sites"))
	in.Filters.Statuses = splitList(form.Get("statuses"))
	if g := form.Get("site_group"); g != "" {
		in.Filters.SiteGroups = []string{g}
	}
	var r *release.Request
	if len(errs) == 0 {
		r, err = h.service.Draft(c.Request().Context(), releaseActor(c), in)
		var fe release.FieldErrors
		if errors.As(err, &fe) {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		v, err := h.indexView(c)
		if err != nil {
			return err
		}
		secs := map[string]bool{}
		for _, s := range form["section"] {
			secs[s] = true
		}
		v.Form = h.formOf(in, secs, form.Get("items"), form.Get("statuses"), form.Get("sites"), form.Get("site_group"), form.Get("year_from"), form.Get("year_to"))
		v.Errors = errs
		return render(c, http.StatusUnprocessableEntity, views.Releases(v))
	}
	return c.Redirect(http.StatusSeeOther, "/releases/"+idString(r.ID)+"?notice=drafted")
}

func (h *releaseHandler) request(c echo.Context) (*release.Request, error) {
	if err := h.ready(); err != nil {
		return nil, err
	}
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	return h.service.Get(c.Request().Context(), id)
}

func (h *releaseHandler) show(c echo.Context) error {
	r, err := h.request(c)
	if err != nil {
		return err
	}
	notice := map[string]string{
		"drafted": "Saved as a draft: an administrator approves it.", "approved": "Approved.", "denied": "Denied.",
	}[c.QueryParam("notice")]
	return h.renderShow(c, r, http.StatusOK, notice, nil)
}

func (h *releaseHandler) renderShow(c echo.Context, r *release.Request, status int, notice string, errs map[string]string) error {
	ctx := c.Request().Context()
	rels, err := h.service.Releases(ctx, r.ID, 200)
	if err != nil {
		return err
	}
	dict, pol := h.service.Dictionary(), h.service.Policy()
	_, dropped := pol.Items(r.Level, r.ItemIDs)
	name := func(id string) string {
		if it, ok := dict.Item(id); ok {
			return fmt.Sprintf("%s (#%d)", it.Name, it.Number)
		}
		return id
	}
	v := views.ReleaseRequestView{
		Page: pageOf(c, "Data request "+idString(r.ID)), Request: requestRow(r), Email: r.Email, Reference: r.LegalReference,
		Note: r.DecisionNote, Log: h.logRows(rels), Errors: errs, Notice: notice, ActionBase: "/releases/" + idString(r.ID),
		MayDecide:      auth.Role(currentUser(c).User.Role) == auth.RoleAdmin && r.Status == release.StatusDraft,
		MayRun:         mayDraft(c) && r.Runnable(h.now()),
		DefaultExpires: h.now().AddDate(0, 3, 0).Format("2006-01-02"),
	}
	for _, id := range r.ItemIDs {
		v.Items = append(v.Items, name(id))
	}
	for _, id := range dropped {
		v.Dropped = append(v.Dropped, name(id))
	}
	if r.ApproverID != nil {
		v.Approver = "user " + idString(*r.ApproverID)
	}
	b, _ := json.Marshal(r.Filter)
	v.Filters = string(b)
	if v.Filters == "{}" {
		v.Filters = "every case in the facilities of whoever runs the extract"
	}
	return render(c, status, views.ReleaseRequest(v))
}

func (h *releaseHandler) decided(c echo.Context, r *release.Request, err error, notice string) error {
	var fe release.FieldErrors
	switch {
	case errors.As(err, &fe):
		errs := map[string]string(fe)
		if m, ok := errs["status"]; ok {
			errs["form"] = m
		}
		return h.renderShow(c, r, http.StatusUnprocessableEntity, "", errs)
	case errors.Is(err, store.ErrConflict):
		return h.renderShow(c, r, http.StatusConflict, "", map[string]string{"form": "Someone else decided this request meanwhile."})
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/releases/"+idString(r.ID)+"?notice="+notice)
}

func (h *releaseHandler) approve(c echo.Context) error {
	r, err := h.request(c)
	if err != nil {
		return err
	}
	exp, perr := time.ParseInLocation("2006-01-02", strings.TrimSpace(c.FormValue("expires")), time.Local)
	if perr != nil {
		return h.renderShow(c, r, http.StatusUnprocessableEntity, "", map[string]string{"expires": "give the date the approval ends (CCYY-MM-DD)"})
	}
	exp = exp.Add(24*time.Hour - time.Second) // the approval lasts to the end of that day
	_, err = h.service.Approve(c.Request().Context(), releaseActor(c), r.ID, exp, c.FormValue("note"))
	return h.decided(c, r, err, "approved")
}

func (h *releaseHandler) deny(c echo.Context) error {
	r, err := h.request(c)
	if err != nil {
		return err
	}
	_, err = h.service.Deny(c.Request().Context(), releaseActor(c), r.ID, c.FormValue("note"))
	return h.decided(c, r, err, "denied")
}

func (h *releaseHandler) run(c echo.Context) error {
	r, err := h.request(c)
	if err != nil {
		return err
	}
	if !mayDraft(c) {
		return echo.NewHTTPError(http.StatusForbidden, "A reviewer does not run extracts.")
	}
	rel, err := h.service.Run(c.Request().Context(), releaseActor(c), r.ID, c.FormValue("format"))
	var fe release.FieldErrors
	switch {
	case errors.Is(err, release.ErrNotRunning):
		return h.renderShow(c, r, http.StatusConflict, "", map[string]string{"form": "This request is not approved, or its approval has expired: no extract can run."})
	case errors.Is(err, release.ErrNoDir):
		return h.renderShow(c, r, http.StatusServiceUnavailable, "", map[string]string{"form": "No directory for extract files is configured (CARA_RELEASE_DIR): tell your administrator. Nothing was written."})
	case errors.As(err, &fe):
		return h.renderShow(c, r, http.StatusUnprocessableEntity, "", map[string]string{"form": fe.Error()})
	case err != nil:
		return err
	}
	return h.renderShow(c, r, http.StatusOK, fmt.Sprintf("Extract %d written: %d patients, %d tumors.", rel.ID, rel.Patients, rel.Tumors), nil)
}

func (h *releaseHandler) aggregate(c echo.Context) error {
	r, err := h.request(c)
	if err != nil {
		return err
	}
	if !mayDraft(c) {
		return echo.NewHTTPError(http.StatusForbidden, "A reviewer does not run extracts.")
	}
	if !r.Runnable(h.now()) {
		return echo.NewHTTPError(http.StatusConflict, "This request is not approved, or its approval has expired.")
	}
	t, err := h.service.Aggregate(c.Request().Context(), releaseActor(c), r.ID)
	if err != nil {
		return err
	}
	v := views.AggregateView{RowLabel: t.RowLabel, ColLabel: t.ColLabel, Cols: t.Cols}
	for i, row := range t.Cells {
		var cells []string
		for _, cell := range row {
			cells = append(cells, cell.Text)
		}
		if i == len(t.Rows) {
			v.Totals = cells
		} else {
			v.Rows = append(v.Rows, views.AggregateRow{Label: t.Rows[i], Cells: cells})
		}
	}
	return render(c, http.StatusOK, views.Aggregate(v))
}

func (h *releaseHandler) download(c echo.Context) error {
	if err := h.ready(); err != nil {
		return err
	}
	if !mayDraft(c) {
		return echo.NewHTTPError(http.StatusForbidden, "A reviewer does not download extracts.")
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	rel, f, err := h.service.Open(c.Request().Context(), releaseActor(c), id)
	if errors.Is(err, release.ErrPurged) {
		return echo.NewHTTPError(http.StatusGone, fmt.Sprintf("Extract %d expired on %s and its file was purged: run the extract again while the request is approved.", id, rel.KeptUntil.Format("2006-01-02")))
	}
	if err != nil {
		return err
	}
	defer f.Close()
	ct := map[string]string{release.FormatCSV: "text/csv; charset=utf-8", release.FormatXML: "application/xml",
		release.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[rel.Format]
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", rel.FileName))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Stream(http.StatusOK, ct, f)
}

// disclosures is the accounting of disclosures of a patient in scope (an htmx fragment of the
// patient page); viewing it is audited.
func (h *releaseHandler) disclosures(c echo.Context) error {
	if err := h.ready(); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ds, err := h.service.Disclosures(c.Request().Context(), releaseActor(c), id)
	if err != nil {
		return err
	}
	dict := h.service.Dictionary()
	var v views.DisclosuresView
	for _, d := range ds {
		var ids, names []string
		_ = json.Unmarshal([]byte(d.Release.Items), &ids)
		for _, it := range ids {
			if def, ok := dict.Item(it); ok {
				names = append(names, def.Name)
			} else {
				names = append(names, it)
			}
		}
		v.Rows = append(v.Rows, views.DisclosureRow{
			Date: d.Release.CreatedAt.Format("2006-01-02"), Requester: d.Request.RequesterName, Organization: d.Request.Organization,
			Purpose: d.Request.Purpose, Basis: release.LegalBasis(d.Request.LegalBasis).Label(),
			Level: release.Level(d.Release.PrivacyLevel).Label(), Items: strings.Join(names, ", "), Tumors: d.Tumors,
		})
	}
	return render(c, http.StatusOK, views.Disclosures(v))
}
