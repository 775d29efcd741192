package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// worklistHandler is the registrar's worklist and the reviewer's queue: the lists of cases and
// their filters.
type worklistHandler struct {
	store interface {
		worklistStore
		reviewStore
		Facilities(ctx context.Context) ([]store.Facility, error)
	}
	codes *codes.Tables
	// siteGroups are the worklist's site filter (schemas/forms/site-groups.csv).
	siteGroups []codes.SiteGroup
	now        func() time.Time
}

// worklistStore is what the worklist needs of the database.
type worklistStore interface {
	WorklistPage(ctx context.Context, f store.WorklistFilter) ([]store.WorklistRow, int64, error)
	FacilityUsers(ctx context.Context, sc store.Scope) ([]store.User, error)
}

// worklistPageSize is how many cases a worklist page shows.
const worklistPageSize = 50

// worklistStatuses are the statuses the worklist filters by, in workflow order.
var worklistStatuses = []abstract.Status{
	abstract.StatusDraft, abstract.StatusInReview, abstract.StatusReturned, abstract.StatusApproved, abstract.StatusSubmitted,
	abstract.StatusReceived,
}

// worklistColumns are the sortable columns; a column is first sorted descending when its
// newest or latest values matter most.
var worklistColumns = []struct {
	sort        store.WorklistSort
	label       string
	defaultDesc bool
}{
	{store.SortName, "Patient", false},
	{store.SortMRN, "MRN", false},
	{store.SortSite, "Primary site", false},
	{store.SortDiagnosis, "Diagnosis date", true},
	{store.SortStatus, "Status", false},
	{store.SortUpdated, "Updated", true},
}

// worklistQuery is the worklist's state as its query string holds it, checked.
type worklistQuery struct {
	search, status, site, assigned string
	facility                       uint // 0: every facility of the user
	year                           int
	errors                         bool
	sort                           store.WorklistSort
	desc                           bool
	page                           int
}

// maxSearch bounds a search: no name, MRN or accession number is longer.
const maxSearch = 50

// parseWorklistQuery reads the query string; a value that is not one the page offers is ignored.
func (h *worklistHandler) parseWorklistQuery(q url.Values) worklistQuery {
	var w worklistQuery
	w.search = strings.TrimSpace(q.Get("q"))
	if r := []rune(w.search); len(r) > maxSearch {
		w.search = string(r[:maxSearch])
	}
	if s := q.Get("status"); slices.Contains(worklistStatuses, abstract.Status(s)) {
		w.status = s
	}
	if g := q.Get("site"); h.siteGroup(g) != nil {
		w.site = g
	}
	if y, err := strconv.Atoi(q.Get("year")); err == nil && y >= 1900 && y <= 2999 {
		w.year = y
	}
	switch a := q.Get("assigned"); a {
	case "me", "none":
		w.assigned = a
	default:
		if id, err := strconv.ParseUint(a, 10, 32); err == nil && id > 0 {
			w.assigned = a
		}
	}
	if id, err := strconv.ParseUint(q.Get("facility"), 10, 32); err == nil && id > 0 {
		w.facility = uint(id)
	}
	w.errors = q.Get("errors") == "1"
	w.sort = store.SortUpdated
	if s := store.WorklistSort(q.Get("sort")); slices.Contains(store.WorklistSorts, s) {
		w.sort = s
	}
	switch q.Get("dir") {
	case "asc":
		w.desc = false
	case "desc":
		w.desc = true
	default:
		w.desc = defaultDesc(w.sort)
	}
	w.page = 1
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
		w.page = p
	}
	return w
}

func defaultDesc(s store.WorklistSort) bool {
	for _, c := range worklistColumns {
		if c.sort == s {
			return c.defaultDesc
		}
	}
	return false
}

func (h *worklistHandler) siteGroup(id string) *codes.SiteGroup {
	for i := range h.siteGroups {
		if h.siteGroups[i].ID == id {
			return &h.siteGroups[i]
		}
	}
	return nil
}

// values is the query string of a worklist state; defaults are left out, so URLs stay short.
func (w worklistQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", w.search)
	set("status", w.status)
	set("site", w.site)
	if w.year > 0 {
		v.Set("year", strconv.Itoa(w.year))
	}
	set("assigned", w.assigned)
	if w.facility > 0 {
		v.Set("facility", strconv.FormatUint(uint64(w.facility), 10))
	}
	if w.errors {
		v.Set("errors", "1")
	}
	if w.sort != store.SortUpdated {
		v.Set("sort", string(w.sort))
	}
	if w.desc != defaultDesc(w.sort) {
		v.Set("dir", dirName(w.desc))
	}
	if w.page > 1 {
		v.Set("page", strconv.Itoa(w.page))
	}
	return v
}

func (w worklistQuery) url() string {
	if q := w.values().Encode(); q != "" {
		return "/cases?" + q
	}
	return "/cases"
}

func dirName(desc bool) string {
	if desc {
		return "desc"
	}
	return "asc"
}

// filter is the store's filter for a worklist state and user.
func (h *worklistHandler) filter(w worklistQuery, su *store.SessionUser) store.WorklistFilter {
	f := store.WorklistFilter{
		Scope: scopeOf(su), Status: w.status, Search: w.search, DiagnosisYear: w.year,
		WithEditErrors: w.errors, Sort: w.sort, Desc: w.desc,
		Limit: worklistPageSize, Offset: (w.page - 1) * worklistPageSize,
	}
	if w.facility > 0 {
		// One of the user's facilities; another facility's number shows nothing.
		f.Scope = f.Scope.Narrow(w.facility)
	}
	if g := h.siteGroup(w.site); g != nil {
		for _, r := range g.Ranges {
			f.Sites = append(f.Sites, store.SiteRange{From: r.From, To: r.To})
		}
	}
	switch w.assigned {
	case "":
	case "me":
		f.AssignedTo = &su.User.ID
	case "none":
		f.Unassigned = true
	default:
		id, _ := strconv.ParseUint(w.assigned, 10, 32)
		uid := uint(id)
		f.AssignedTo = &uid
	}
	return f
}

// list shows one page of the worklist of the user's facility (every facility for an
// administrator): the count and the page are two queries, the facility's users a third. An htmx
// request gets the results only.
func (h *worklistHandler) list(c echo.Context) error {
	su := currentUser(c)
	ctx := c.Request().Context()
	w := h.parseWorklistQuery(c.QueryParams())
	f := h.filter(w, su)
	rows, total, err := h.store.WorklistPage(ctx, f)
	if err != nil {
		return err
	}
	if last := pageCount(total); total > 0 && w.page > last {
		// Past the end (the list shrank, or a typed URL): show the last page.
		w.page = last
		f.Offset = (w.page - 1) * worklistPageSize
		if rows, total, err = h.store.WorklistPage(ctx, f); err != nil {
			return err
		}
	}
	users, err := h.store.FacilityUsers(ctx, scopeOf(su))
	if err != nil {
		return err
	}
	v := h.worklistView(c, w, rows, total, users)
	if v.Facilities, err = h.facilityOptions(c); err != nil {
		return err
	}
	c.Response().Header().Add("Vary", string(hx.Request))
	if hx.Is(c.Request().Header.Get(string(hx.Request))) && c.Request().Header.Get(string(hx.HistoryRestore)) == "" {
		return render(c, http.StatusOK, views.WorklistResults(v))
	}
	// Returned cases come before everything else, in a block of their own above the table
	// (the table keeps its index sorts).
	if v.Returned, err = h.returnedRows(c); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Worklist(v))
}

func pageCount(total int64) int {
	return int((total + worklistPageSize - 1) / worklistPageSize)
}

func (h *worklistHandler) worklistView(c echo.Context, w worklistQuery, rows []store.WorklistRow, total int64, users []store.User) views.WorklistView {
	su := currentUser(c)
	v := views.WorklistView{
		Page: pageOf(c, "Worklist"),
		Query: views.WorklistQuery{
			Search: w.search, Status: w.status, Site: w.site, Assigned: w.assigned, Errors: w.errors,
			Sort: string(w.sort), Dir: dirName(w.desc), Facility: facilityParam(w.facility),
		},
		Total:      total,
		NewCaseURL: "/patients",
	}
	if w.year > 0 {
		v.Query.Year = strconv.Itoa(w.year)
	}
	for _, s := range worklistStatuses {
		v.Statuses = append(v.Statuses, views.Option{Code: string(s), Label: s.Label()})
	}
	for _, g := range h.siteGroups {
		v.SiteGroups = append(v.SiteGroups, views.Option{Code: g.ID, Label: g.Label})
	}
	thisYear := h.now().Year()
	for y := thisYear; y >= thisYear-15; y-- {
		v.Years = append(v.Years, strconv.Itoa(y))
	}
	if v.Query.Year != "" && !slices.Contains(v.Years, v.Query.Year) {
		v.Years = append(v.Years, v.Query.Year)
	}
	v.Assignees = []views.Option{{Code: "me", Label: "Me"}, {Code: "none", Label: "No one"}}
	names := map[uint]string{}
	for _, u := range users {
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		names[u.ID] = name
		// Cases are assigned to registrars (who abstract them); a reviewer or an administrator
		// is named on a row assigned to them but not offered as an assignee.
		if u.ID != su.User.ID && auth.Role(u.Role) == auth.RoleRegistrar {
			v.Assignees = append(v.Assignees, views.Option{Code: strconv.FormatUint(uint64(u.ID), 10), Label: name})
		}
	}

	for _, col := range worklistColumns {
		next := w
		next.page = 1
		next.sort = col.sort
		next.desc = col.defaultDesc
		active := w.sort == col.sort
		if active {
			next.desc = !w.desc
		}
		v.Columns = append(v.Columns, views.SortLink{Key: string(col.sort), Label: col.label, URL: next.url(), Active: active, Desc: active && w.desc})
	}

	sites, _ := h.codes.ForItem("primarySite")
	now := h.now()
	for _, r := range rows {
		row := views.WorklistRow{
			TumorID:     r.TumorID,
			URL:         "/cases/" + strconv.FormatUint(uint64(r.TumorID), 10),
			PatientURL:  "/patients/" + strconv.FormatUint(uint64(r.PatientID), 10),
			PatientName: patientName(r.NameLast, r.NameFirst),
			MRN:         r.MedicalRecordNumber,
			Accession:   r.AccessionNumber,
			Sequence:    r.SequenceNumber,
			Site:        r.PrimarySite,
			DxDate:      showDate(r.DateOfDiagnosis),
			Status:      r.Status,
			StatusLabel: abstract.Status(r.Status).Label(),
			EditErrors:  r.EditErrors,
			Updated:     r.UpdatedAt.UTC().Format(time.DateOnly),
		}
		if r.AssignedTo != nil {
			row.Assigned = names[*r.AssignedTo]
		}
		if sites != nil {
			row.SiteLabel = sites.Label(r.PrimarySite)
		}
		setTimeliness(&row, &r, now)
		v.Rows = append(v.Rows, row)
	}
	if len(rows) > 0 {
		v.From = int64(w.page-1)*worklistPageSize + 1
		v.To = v.From + int64(len(rows)) - 1
	}
	v.Pages, v.Prev, v.Next = pageLinks(w, pageCount(total))
	return v
}

// setTimeliness fills a worklist row's days from first contact, counted as the suspense list's
// timeliness report counts them (casefinding.TimeOfCase): to the first approval of a completed
// case, to now for an open one. A received case is the registry's copy of another's abstract,
// and an approved or submitted case without an approval recorded (imported so) has no known
// completion: neither shows days.
func setTimeliness(row *views.WorklistRow, r *store.WorklistRow, now time.Time) {
	open := r.ApprovedAt == nil
	switch abstract.Status(r.Status) {
	case abstract.StatusReceived:
		return
	case abstract.StatusApproved, abstract.StatusSubmitted:
		if open {
			return
		}
	}
	ct, ok := casefinding.TimeOfCase(r.FirstContact, r.ApprovedAt, now)
	if !ok {
		return
	}
	row.Timeliness, row.Late, row.Done = plural.Count(ct.Days, "day"), ct.Late, ct.Complete
	switch {
	case ct.Complete && ct.Late:
		row.Timeliness += ", done late"
	case ct.Complete:
		row.Timeliness += ", done"
	case ct.Late:
		row.Timeliness += ", over six months"
	}
	first := showDate(r.FirstContact)
	switch {
	case ct.Complete && ct.Late:
		row.TimelinessNote = "Completed " + r.ApprovedAt.UTC().Format(time.DateOnly) + ", more than six months after first contact (" + first + ")"
	case ct.Complete:
		row.TimelinessNote = "Completed " + r.ApprovedAt.UTC().Format(time.DateOnly) + ", within six months of first contact (" + first + ")"
	case ct.Late:
		row.TimelinessNote = "Open, and more than six months since first contact (" + first + ")"
	default:
		row.TimelinessNote = "Open since first contact (" + first + ")"
	}
}

// pageLinks links the first and last pages and those near the current one, with gaps between.
func pageLinks(w worklistQuery, pages int) (links []views.PageLink, prev, next string) {
	if pages <= 1 {
		return nil, "", ""
	}
	at := func(p int) string {
		q := w
		q.page = p
		return q.url()
	}
	const near = 2
	for p := 1; p <= pages; p++ {
		if p != 1 && p != pages && (p < w.page-near || p > w.page+near) {
			if n := len(links); n == 0 || !links[n-1].Gap {
				links = append(links, views.PageLink{Gap: true})
			}
			continue
		}
		links = append(links, views.PageLink{Label: strconv.Itoa(p), URL: at(p), Current: p == w.page})
	}
	if w.page > 1 {
		prev = at(w.page - 1)
	}
	if w.page < pages {
		next = at(w.page + 1)
	}
	return links, prev, next
}

func patientName(last, first string) string {
	switch {
	case last == "" && first == "":
		return "(no name)"
	case first == "":
		return last
	case last == "":
		return first
	}
	return last + ", " + first
}

// showDate writes a NAACCR date as people read it: 20250314 → 2025-03-14, 202503 → 2025-03.
func showDate(d string) string {
	switch len(d) {
	case 8:
		return d[0:4] + "-" + d[4:6] + "-" + d[6:8]
	case 6:
		return d[0:4] + "-" + d[4:6]
	}
	return d
}

// facilityOptions are the facilities a worklist can be narrowed to: the user's, or every facility
// for an administrator; none when there is only one.
func (h *worklistHandler) facilityOptions(c echo.Context) ([]views.Option, error) {
	fs, err := facilitiesOf(c, h.store)
	if err != nil {
		return nil, err
	}
	if len(fs) < 2 {
		return nil, nil
	}
	out := make([]views.Option, len(fs))
	for i, f := range fs {
		out[i] = views.Option{Code: strconv.FormatUint(uint64(f.ID), 10), Label: f.Name}
	}
	return out, nil
}

func facilityParam(id uint) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(id), 10)
}
