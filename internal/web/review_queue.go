package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// reviewPageSize is how many cases a page of the review queue shows.
const reviewPageSize = 50

// returnedListed is how many returned cases the worklist lists above its table.
const returnedListed = 20

// reviewQuery is the review queue's state as its query string holds it, checked.
type reviewQuery struct {
	registrar uint
	site      string
	days      int
	page      int
}

func (h *worklistHandler) parseReviewQuery(q url.Values) reviewQuery {
	var r reviewQuery
	if id, err := strconv.ParseUint(q.Get("registrar"), 10, 32); err == nil {
		r.registrar = uint(id)
	}
	if g := q.Get("site"); h.siteGroup(g) != nil {
		r.site = g
	}
	if d, err := strconv.Atoi(q.Get("days")); err == nil && d > 0 && d <= 3650 {
		r.days = d
	}
	r.page = 1
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
		r.page = p
	}
	return r
}

func (r reviewQuery) url() string {
	v := url.Values{}
	if r.registrar != 0 {
		v.Set("registrar", strconv.FormatUint(uint64(r.registrar), 10))
	}
	if r.site != "" {
		v.Set("site", r.site)
	}
	if r.days > 0 {
		v.Set("days", strconv.Itoa(r.days))
	}
	if r.page > 1 {
		v.Set("page", strconv.Itoa(r.page))
	}
	if len(v) == 0 {
		return "/review"
	}
	return "/review?" + v.Encode()
}

// reviewQueue lists the cases in review in the reviewer's facilities, the longest waiting first.
func (h *worklistHandler) reviewQueue(c echo.Context) error {
	su := currentUser(c)
	role := auth.Role(su.User.Role)
	if role != auth.RoleReviewer && role != auth.RoleAdmin {
		return echo.NewHTTPError(http.StatusForbidden, "The review queue is for reviewers; your cases are on the worklist.")
	}
	ctx := c.Request().Context()
	q := h.parseReviewQuery(c.QueryParams())
	now := h.now()
	f := store.ReviewQueueFilter{Scope: scopeOf(su), Limit: reviewPageSize, Offset: (q.page - 1) * reviewPageSize}
	if q.registrar != 0 {
		f.SentBy = &q.registrar
	}
	if g := h.siteGroup(q.site); g != nil {
		for _, r := range g.Ranges {
			f.Sites = append(f.Sites, store.SiteRange{From: r.From, To: r.To})
		}
	}
	if q.days > 0 {
		f.WaitingSince = now.Add(-time.Duration(q.days) * 24 * time.Hour)
	}
	rows, total, err := h.store.ReviewQueue(ctx, f)
	if err != nil {
		return err
	}
	pages := int((total + reviewPageSize - 1) / reviewPageSize)
	if total > 0 && q.page > pages {
		q.page = pages
		f.Offset = (q.page - 1) * reviewPageSize
		if rows, total, err = h.store.ReviewQueue(ctx, f); err != nil {
			return err
		}
	}
	users, err := h.store.FacilityUsers(ctx, scopeOf(su))
	if err != nil {
		return err
	}
	v := views.ReviewQueueView{Page: pageOf(c, "Review queue"), Site: q.site, Total: total}
	if q.registrar != 0 {
		v.Registrar = strconv.FormatUint(uint64(q.registrar), 10)
	}
	if q.days > 0 {
		v.Days = strconv.Itoa(q.days)
	}
	for _, u := range users {
		if r := auth.Role(u.Role); r == auth.RoleRegistrar || r == auth.RoleAdmin {
			v.Registrars = append(v.Registrars, views.Option{Code: strconv.FormatUint(uint64(u.ID), 10), Label: displayName(u)})
		}
	}
	for _, g := range h.siteGroups {
		v.SiteGroups = append(v.SiteGroups, views.Option{Code: g.ID, Label: g.Label})
	}
	sites, _ := h.codes.ForItem("primarySite")
	for _, r := range rows {
		row := views.ReviewQueueRow{
			TumorID: r.TumorID, URL: caseURL(r.TumorID, "", ""), PatientName: patientName(r.NameLast, r.NameFirst),
			MRN: r.MedicalRecordNumber, Site: r.PrimarySite, Registrar: r.SentByName,
			OpenComments: r.OpenComments, EditWarnings: r.EditWarnings, EditErrors: r.EditErrors,
		}
		if r.StatusChangedAt != nil {
			row.Days = max(int(now.Sub(*r.StatusChangedAt)/(24*time.Hour)), 0)
		}
		if sites != nil {
			row.SiteLabel = sites.Label(r.PrimarySite)
		}
		v.Rows = append(v.Rows, row)
	}
	if len(rows) > 0 {
		v.From = int64(q.page-1)*reviewPageSize + 1
		v.To = v.From + int64(len(rows)) - 1
	}
	if pages > 1 {
		at := func(p int) string {
			n := q
			n.page = p
			return n.url()
		}
		for p := 1; p <= pages; p++ {
			if p != 1 && p != pages && (p < q.page-2 || p > q.page+2) {
				if n := len(v.Pages); n == 0 || !v.Pages[n-1].Gap {
					v.Pages = append(v.Pages, views.PageLink{Gap: true})
				}
				continue
			}
			v.Pages = append(v.Pages, views.PageLink{Label: strconv.Itoa(p), URL: at(p), Current: p == q.page})
		}
		if q.page > 1 {
			v.Prev = at(q.page - 1)
		}
		if q.page < pages {
			v.Next = at(q.page + 1)
		}
	}
	return render(c, http.StatusOK, views.ReviewQueue(v))
}

// returnedRows are the returned cases the worklist lists above its table, for the roles that
// fix them (a reviewer's worklist has none): a registrar's own (sent by them or assigned to
// them), every returned case in scope for an administrator.
func (h *worklistHandler) returnedRows(c echo.Context) ([]views.ReturnedRow, error) {
	su := currentUser(c)
	var forUser *uint
	switch auth.Role(su.User.Role) {
	case auth.RoleReviewer:
		return nil, nil
	case auth.RoleRegistrar:
		forUser = &su.User.ID
	}
	rows, err := h.store.ReturnedCases(c.Request().Context(), scopeOf(su), forUser, returnedListed)
	if err != nil {
		return nil, err
	}
	out := make([]views.ReturnedRow, 0, len(rows))
	for _, r := range rows {
		row := views.ReturnedRow{
			TumorID: r.TumorID, URL: caseURL(r.TumorID, "", "") + "#comments", PatientName: patientName(r.NameLast, r.NameFirst),
			MRN: r.MedicalRecordNumber, Site: r.PrimarySite, Reason: r.Reason, ReturnedBy: r.ReturnedByName, Unresolved: r.Unresolved,
		}
		if r.StatusChangedAt != nil {
			row.Returned = r.StatusChangedAt.UTC().Format(time.DateOnly)
		}
		out = append(out, row)
	}
	return out, nil
}

func displayName(u store.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}
