package web

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/release"
	"github.com/cara-registry/cara/internal/reports"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
	"github.com/cara-registry/cara/views"
)

// registryReportsStore is what the Reports page needs of the store: the grouped counts, the
// facilities an administrator may pick, and the audit trail of the downloads.
type registryReportsStore interface {
	reports.Counter
	Facilities(ctx context.Context) ([]store.Facility, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// registryReportsHandler serves the Reports page (internal/reports): the catalog of
// schemas/reports, a report's table and chart for the parameters of its query string (so a
// report's URL can be bookmarked), and its CSV and XLSX downloads, which are audited. Every role
// runs the reports, over the facilities it works for (an administrator over all of them): the
// counts name no patient, and a registrar answers the cancer committee as much as a reviewer.
type registryReportsHandler struct {
	store   registryReportsStore
	service *reports.Service
	loadErr error
}

func newRegistryReportsHandler(d Deps) *registryReportsHandler {
	h := &registryReportsHandler{store: d.Store}
	if d.Codes == nil {
		h.loadErr = errors.New("no code tables")
		return h
	}
	cat, err := reports.Load(schemas.FS, d.Codes)
	if err != nil {
		h.loadErr = err
		return h
	}
	h.service = reports.New(cat, d.Store)
	return h
}

func (h *registryReportsHandler) ready() error {
	if h.loadErr != nil {
		return fmt.Errorf("web: reports: %w", h.loadErr)
	}
	return nil
}

// index lists the reports of the catalog.
func (h *registryReportsHandler) index(c echo.Context) error {
	if err := h.ready(); err != nil {
		return err
	}
	v := views.RegistryReportsView{Page: pageOf(c, "Reports")}
	for _, d := range h.service.Catalog().Reports {
		v.Reports = append(v.Reports, views.RegistryReportLink{Name: d.Name, Title: d.Title, Description: d.Description, URL: "/reports/" + d.Name})
	}
	return render(c, http.StatusOK, views.RegistryReports(v))
}

// paramLabels name the parameters as the form does, for the messages that refuse one.
var paramLabels = map[string]string{
	"facility": "Facility", "from": "Diagnosis year from", "to": "Diagnosis year to",
	"class": "Class of case", "status": "Status", "format": "Format", "suppress": "Small-cell suppression",
}

func paramMessage(pe *reports.ParamError) string {
	return cmp.Or(paramLabels[pe.Param], pe.Param) + ": " + pe.Reason
}

// definition is the report the path names; another name is a 404.
func (h *registryReportsHandler) definition(c echo.Context) (reports.Definition, error) {
	d, ok := h.service.Catalog().Report(c.Param("name"))
	if !ok {
		return d, echo.NewHTTPError(http.StatusNotFound, "There is no report named "+excerpt.Quote(c.Param("name"))+".")
	}
	return d, nil
}

// reportQuery is a report's parameters as the query string gives them.
type reportQuery struct {
	facility, from, to, class, status string
	// suppress asks for the table as it may leave the registry: small cells suppressed.
	suppress bool
}

func queryOf(c echo.Context) reportQuery {
	q := reportQuery{
		facility: strings.TrimSpace(c.QueryParam("facility")), from: strings.TrimSpace(c.QueryParam("from")),
		to: strings.TrimSpace(c.QueryParam("to")), class: strings.TrimSpace(c.QueryParam("class")),
		status: strings.TrimSpace(c.QueryParam("status")), suppress: c.QueryParam("suppress") == "1",
	}
	// "all" is what a hand-written URL may say for the blank choice.
	for _, p := range []*string{&q.facility, &q.class, &q.status} {
		if *p == "all" {
			*p = ""
		}
	}
	return q
}

// values are the parameters for a link to the same report (the downloads), without blanks.
func (q reportQuery) values() url.Values {
	v := url.Values{}
	for _, p := range [][2]string{{"facility", q.facility}, {"from", q.from}, {"to", q.to}, {"class", q.class}, {"status", q.status}} {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	if q.suppress {
		v.Set("suppress", "1")
	}
	return v
}

// offered are the facilities the user may pick: an administrator's are all of them.
func (h *registryReportsHandler) offered(c echo.Context) ([]store.Facility, error) {
	return facilitiesOf(c, h.store)
}

// params turns the query into the report's parameters within the user's scope. A facility that
// is not among the user's is a 404, as a record of another facility is everywhere in cara; a
// value that is not a number is a *reports.ParamError naming the parameter.
func (h *registryReportsHandler) params(c echo.Context, q reportQuery, facs []store.Facility) (reports.Params, error) {
	p := reports.Params{Scope: scopeOf(currentUser(c)), FacilityLabel: "All my facilities", Class: q.class, Status: q.status}
	if q.facility != "" {
		id, err := strconv.ParseUint(q.facility, 10, 32)
		if err != nil {
			return p, &reports.ParamError{Param: "facility", Reason: excerpt.Quote(q.facility) + " is not a facility's number"}
		}
		f := facilityIn(facs, idString(uint(id)))
		if f == nil || !p.Scope.Contains(uint(id)) {
			return p, echo.NewHTTPError(http.StatusNotFound, "No such facility among yours.")
		}
		p.Facility, p.FacilityLabel = f.ID, f.Code+" "+f.Name
	}
	for _, y := range []struct {
		name, text string
		to         *int
	}{{"from", q.from, &p.FromYear}, {"to", q.to, &p.ToYear}} {
		if y.text == "" {
			continue
		}
		n, err := strconv.Atoi(y.text)
		if err != nil {
			return p, &reports.ParamError{Param: y.name, Reason: excerpt.Quote(y.text) + " is not a year (four digits, such as 2024)"}
		}
		*y.to = n
	}
	return p, h.service.Check(p)
}

// formOf is the parameter form with the values as given and the choices of the user.
func (h *registryReportsHandler) formOf(name string, q reportQuery, facs []store.Facility) views.RegistryReportForm {
	f := views.RegistryReportForm{Action: "/reports/" + name, Facility: q.facility, From: q.from, To: q.to, Class: q.class, Status: q.status, Suppress: q.suppress}
	for _, fac := range facs {
		f.Facilities = append(f.Facilities, views.Option{Code: idString(fac.ID), Label: fac.Name + " (" + fac.Code + ")"})
	}
	for _, g := range h.service.Catalog().Classes() {
		f.Classes = append(f.Classes, views.Option{Code: g.Key, Label: g.Label})
	}
	for _, s := range abstract.Statuses {
		f.Statuses = append(f.Statuses, views.Option{Code: string(s), Label: s.Label()})
	}
	return f
}

// open finds the report of the path and the facilities the user may run it for.
func (h *registryReportsHandler) open(c echo.Context) (reports.Definition, []store.Facility, error) {
	if err := h.ready(); err != nil {
		return reports.Definition{}, nil, err
	}
	def, err := h.definition(c)
	if err != nil {
		return def, nil, err
	}
	facs, err := h.offered(c)
	return def, facs, err
}

// run runs a report, its small cells suppressed when asked (release.Publish).
func (h *registryReportsHandler) run(ctx context.Context, name string, p reports.Params, suppress bool) (*reports.Table, error) {
	if suppress {
		return release.Publish(ctx, h.service, name, p)
	}
	return h.service.Run(ctx, name, p)
}

// show runs a report for the parameters of the query string and shows its table and chart; a
// parameter it cannot run with is a 422 that names it, the form keeping what was given.
func (h *registryReportsHandler) show(c echo.Context) error {
	def, facs, err := h.open(c)
	if err != nil {
		return err
	}
	q := queryOf(c)
	v := views.RegistryReportView{Page: pageOf(c, def.Title), Name: def.Name, Title: def.Title, Description: def.Description,
		Form: h.formOf(def.Name, q, facs)}
	p, err := h.params(c, q, facs)
	var t *reports.Table
	if err == nil {
		t, err = h.run(c.Request().Context(), def.Name, p, q.suppress)
	}
	var pe *reports.ParamError
	if errors.As(err, &pe) {
		v.Error, v.ErrorParam = paramMessage(pe), pe.Param
		return render(c, http.StatusUnprocessableEntity, views.RegistryReport(v))
	}
	if err != nil {
		return err
	}
	if len(facs) == 0 {
		v.Notice = "You work for no facility, so the report counts no case. Ask an administrator."
	}
	tv := reportTableView(t)
	v.Table = &tv
	if t.Suppressed {
		v.Notice = "Small counts are suppressed for release: 1 to 10 show as <11, and the cells that would give one away by subtraction as *. The chart is left out, as it would draw them."
	} else {
		v.Bar, v.Series, v.Line = reportChart(t)
	}
	link := q.values()
	link.Set("format", "csv")
	v.CSVURL = "/reports/" + def.Name + "/download?" + link.Encode()
	link.Set("format", "xlsx")
	v.XLSXURL = "/reports/" + def.Name + "/download?" + link.Encode()
	return render(c, http.StatusOK, views.RegistryReport(v))
}

// The downloads' formats and their content types.
var reportFormats = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// download writes a report for the parameters of the query string as CSV or XLSX; each download
// is audited with the report, its parameters and its number of rows.
func (h *registryReportsHandler) download(c echo.Context) error {
	def, facs, err := h.open(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	q := queryOf(c)
	var t *reports.Table
	p, err := h.params(c, q, facs)
	if err == nil {
		if _, ok := reportFormats[format]; !ok {
			err = &reports.ParamError{Param: "format", Reason: excerpt.Quote(format) + " is not csv or xlsx"}
		}
	}
	if err == nil {
		t, err = h.run(c.Request().Context(), def.Name, p, q.suppress)
	}
	var pe *reports.ParamError
	if errors.As(err, &pe) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The report cannot run with these parameters. "+paramMessage(pe)+".")
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if format == "csv" {
		err = t.WriteCSV(&buf)
	} else {
		err = t.WriteXLSX(&buf)
	}
	if err != nil {
		return err
	}
	su := currentUser(c)
	details := map[string]any{"format": format, "facility": cmp.Or(q.facility, "all"), "rows": len(t.Rows), "suppressed": t.Suppressed}
	for k, v := range map[string]string{"from": q.from, "to": q.to, "class": q.class, "status": q.status} {
		if v != "" {
			details[k] = v
		}
	}
	if err := h.store.Audit(c.Request().Context(), store.AuditEntry{UserID: &su.User.ID, Action: audit.ReportDownload,
		Entity: "report", EntityID: def.Name, Details: details, RemoteAddr: c.RealIP()}); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", reportFileName(def.Name, p, facs, format, t.Suppressed)))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, reportFormats[format], buf.Bytes())
}

// reportFileName names a download after the report, the facility's code and the years:
// primary-site_0000001001_2020-2024.csv. Only letters, digits, dot, dash and underscore stay.
func reportFileName(name string, p reports.Params, facs []store.Facility, format string, suppressed bool) string {
	parts := []string{name}
	if p.Facility != 0 {
		if f := facilityIn(facs, idString(p.Facility)); f != nil {
			parts = append(parts, f.Code)
		}
	} else {
		parts = append(parts, "all")
	}
	if p.FromYear != 0 || p.ToYear != 0 {
		year := func(y int) string {
			if y == 0 {
				return "any"
			}
			return strconv.Itoa(y)
		}
		parts = append(parts, year(p.FromYear)+"-"+year(p.ToYear))
	}
	if p.Class != "" {
		parts = append(parts, p.Class)
	}
	if p.Status != "" {
		parts = append(parts, p.Status)
	}
	if suppressed {
		parts = append(parts, "suppressed")
	}
	return sanitizeFileName(strings.Join(parts, "_")) + "." + format
}

// reportTableView is a report's table as the page draws it: a block's title over its columns.
func reportTableView(t *reports.Table) views.RegistryReportTable {
	v := views.RegistryReportTable{RowTitle: t.RowTitle}
	blocks := slices.ContainsFunc(t.Columns, func(c reports.Column) bool { return c.Group != "" })
	starts := make([]bool, len(t.Columns))
	for i, col := range t.Columns {
		starts[i] = col.Group != "" && (i == 0 || t.Columns[i-1].Group != col.Group)
		switch {
		case col.Group == "":
			v.Colgroups = append(v.Colgroups, 1)
			h := views.RegistryReportHead{Label: col.Label, Num: true}
			if blocks {
				h.Rowspan = 2
			}
			v.Head = append(v.Head, h)
		case starts[i]:
			v.Colgroups = append(v.Colgroups, 1)
			v.Head = append(v.Head, views.RegistryReportHead{Label: col.Group, Colspan: 1, Block: true, Start: true})
		default:
			v.Colgroups[len(v.Colgroups)-1]++
			v.Head[len(v.Head)-1].Colspan++
		}
		if col.Group != "" {
			v.SubHead = append(v.SubHead, views.RegistryReportHead{Label: col.Label, Num: true, Start: starts[i]})
		}
	}
	row := func(r reports.Row) views.RegistryReportRow {
		out := views.RegistryReportRow{Label: r.Label}
		for i, n := range r.Values {
			text := "–"
			switch {
			case r.Known[i]:
				text = groupDigits(n)
			case r.Cell(i) != "":
				text = r.Cell(i) // suppressed: "<11" or "*"
			}
			out.Cells = append(out.Cells, views.RegistryReportCell{Text: text, Start: starts[i]})
		}
		return out
	}
	for _, r := range t.Rows {
		v.Rows = append(v.Rows, row(r))
	}
	if t.Total != nil {
		total := row(*t.Total)
		v.Total = &total
	}
	return v
}

// groupDigits writes a count with thousands separators (12,345), as a printed report does.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// reportChart is the chart the report's definition asks for: bar (a bar per row: the total, or
// for an interval report the median with its quartiles), stacked (a bar per row, a segment per
// column of the first block) or line (a line per row over the first block's columns, the rows
// with the most cases only).
func reportChart(t *reports.Table) (*views.Chart, *views.SeriesChart, bool) {
	switch t.Chart {
	case reports.ChartStacked:
		return nil, stackedChart(t), false
	case reports.ChartLine:
		return nil, lineChart(t), true
	}
	return barChart(t), nil, false
}

func barChart(t *reports.Table) *views.Chart {
	ch := &views.Chart{Title: t.Title, Unit: "cases", TestID: "report-chart"}
	med, q1, q3 := t.ColumnIndex("median"), t.ColumnIndex("q1"), t.ColumnIndex("q3")
	if med >= 0 && t.Columns[med].Kind == reports.Days {
		ch.Title, ch.Unit, ch.RangeName = t.Title+": median days", "days", "quartiles"
		for _, r := range t.Rows {
			if !r.Known[med] {
				continue // no case with both dates
			}
			b := views.Bar{Label: r.Label, Value: float64(r.Values[med])}
			if q1 >= 0 && q3 >= 0 && r.Known[q1] && r.Known[q3] {
				b.Low, b.High, b.Range = float64(r.Values[q1]), float64(r.Values[q3]), true
			}
			ch.Bars = append(ch.Bars, b)
		}
		return ch
	}
	for _, r := range t.Rows {
		ch.Bars = append(ch.Bars, views.Bar{Label: r.Label, Value: float64(r.Values[0])})
	}
	return ch
}

// firstBlock are the indexes of the columns of the table's first block.
func firstBlock(t *reports.Table) (group string, cols []int) {
	for i, c := range t.Columns {
		if c.Group == "" {
			continue
		}
		if group == "" {
			group = c.Group
		}
		if c.Group == group {
			cols = append(cols, i)
		}
	}
	return group, cols
}

func stackedChart(t *reports.Table) *views.SeriesChart {
	group, cols := firstBlock(t)
	ch := &views.SeriesChart{Title: t.Title + " (by " + strings.ToLower(group) + ")", Unit: "cases", TestID: "report-chart"}
	for _, r := range t.Rows {
		ch.Categories = append(ch.Categories, r.Label)
	}
	for _, i := range cols {
		s := views.Series{Name: t.Columns[i].Label}
		for _, r := range t.Rows {
			s.Values = append(s.Values, float64(r.Values[i]))
		}
		ch.Series = append(ch.Series, s)
	}
	return ch
}

func lineChart(t *reports.Table) *views.SeriesChart {
	group, cols := firstBlock(t)
	ch := &views.SeriesChart{Title: t.Title, Unit: "cases", TestID: "report-chart", XTitle: group}
	// The x axis: the block's columns of a known key (a trend has no place for "not recorded"),
	// and, when the keys are years, the years between them that no case has, at zero.
	type point struct {
		label string
		col   int // -1: a year of no case
	}
	var pts []point
	years := map[int]int{}
	for _, i := range cols {
		_, key, _ := strings.Cut(t.Columns[i].Key, ":")
		if key == "" {
			continue
		}
		if y, err := strconv.Atoi(key); err == nil && years != nil {
			years[y] = i
		} else {
			years = nil
		}
		pts = append(pts, point{t.Columns[i].Label, i})
	}
	if len(years) > 0 {
		keys := slices.Collect(maps.Keys(years))
		lo, hi := slices.Min(keys), slices.Max(keys)
		pts = pts[:0]
		for y := lo; y <= hi; y++ {
			col, ok := years[y]
			if !ok {
				col = -1
			}
			pts = append(pts, point{strconv.Itoa(y), col})
		}
	}
	for _, p := range pts {
		ch.Categories = append(ch.Categories, p.label)
	}
	rows := slices.Clone(t.Rows)
	slices.SortStableFunc(rows, func(a, b reports.Row) int { return cmp.Compare(b.Values[0], a.Values[0]) })
	n := min(len(rows), views.PaletteSize)
	if t.ChartRows > 0 {
		n = min(n, t.ChartRows)
	}
	for _, r := range rows[:n] {
		s := views.Series{Name: r.Label}
		for _, p := range pts {
			v := 0.0
			if p.col >= 0 {
				v = float64(r.Values[p.col])
			}
			s.Values = append(s.Values, v)
		}
		ch.Series = append(ch.Series, s)
	}
	if n < len(rows) {
		ch.Title += fmt.Sprintf(" (the %d %ss with the most cases)", n, strings.ToLower(t.RowTitle))
	}
	return ch
}
