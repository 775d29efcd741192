package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/store"
)

// Counter is what the reports need of the store: its grouped counts.
type Counter interface {
	ReportCounts(ctx context.Context, f store.ReportFilter, dims []store.ReportDim) ([]store.ReportCount, error)
	ReportIntervals(ctx context.Context, f store.ReportFilter, dims []store.ReportDim, from, to string) ([]store.IntervalCount, error)
}

// Service runs the reports of a catalog on a store.
type Service struct {
	cat *Catalog
	db  Counter
}

// New returns a service running cat's reports on db.
func New(cat *Catalog, db Counter) *Service { return &Service{cat: cat, db: db} }

// Catalog returns the reports the service runs.
func (s *Service) Catalog() *Catalog { return s.cat }

// Class of case parameter values besides the class groups of groupings.yaml.
const ClassAll = ""

// Params are what a report is run for. Scope is what the user may see; Facility narrows it to
// one facility (0: every facility of the scope). FromYear and ToYear bound the year of
// diagnosis (0: open); Class is "" (all) or a class group key ("analytic"); Status is "" (all)
// or a workflow status.
type Params struct {
	Scope            store.Scope `json:"-"`
	Facility         uint
	FacilityLabel    string // how the facility is named in the output ("All my facilities")
	FromYear, ToYear int
	Class            string
	Status           string
}

// ParamError is a parameter a report cannot run with: Param names it as the form and the
// command line do ("from", "facility").
type ParamError struct {
	Param  string
	Reason string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Reason }

// ErrUnknownReport is the error of a report name not in the catalog.
var ErrUnknownReport = errors.New("reports: no such report")

// Year bounds of the parameters: NAACCR dates of diagnosis are from 1900 on.
const (
	MinYear = 1900
	MaxYear = 2100
)

// Check validates p against the catalog, naming the parameter at fault.
func (s *Service) Check(p Params) error {
	for _, y := range []struct {
		name string
		v    int
	}{{"from", p.FromYear}, {"to", p.ToYear}} {
		if y.v != 0 && (y.v < MinYear || y.v > MaxYear) {
			return &ParamError{y.name, fmt.Sprintf("year %d is not between %d and %d", y.v, MinYear, MaxYear)}
		}
	}
	if p.FromYear != 0 && p.ToYear != 0 && p.FromYear > p.ToYear {
		return &ParamError{"to", fmt.Sprintf("year %d is before the from year %d", p.ToYear, p.FromYear)}
	}
	if p.Class != ClassAll {
		if _, ok := s.cat.classCodes(p.Class); !ok {
			var keys []string
			for _, g := range s.cat.classes {
				keys = append(keys, g.Key)
			}
			return &ParamError{"class", fmt.Sprintf("%q is not all or one of %s", p.Class, strings.Join(keys, ", "))}
		}
	}
	if p.Status != "" && !slices.Contains(abstract.Statuses, abstract.Status(p.Status)) {
		return &ParamError{"status", fmt.Sprintf("%q is not a case status", p.Status)}
	}
	if p.Facility != 0 && !p.Scope.Contains(p.Facility) {
		return &ParamError{"facility", "not one of your facilities"}
	}
	return nil
}

func (s *Service) filter(p Params) store.ReportFilter {
	f := store.ReportFilter{Scope: p.Scope, FromYear: p.FromYear, ToYear: p.ToYear}
	if p.Facility != 0 {
		f.Scope = p.Scope.Narrow(p.Facility)
	}
	if p.Class != ClassAll {
		f.Classes, _ = s.cat.classCodes(p.Class)
	}
	if p.Status != "" {
		f.Statuses = []string{p.Status}
	}
	return f
}

// Run runs the named report.
func (s *Service) Run(ctx context.Context, name string, p Params) (*Table, error) {
	def, ok := s.cat.Report(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q (reports: %s)", ErrUnknownReport, name, strings.Join(s.cat.Names(), ", "))
	}
	if err := s.Check(p); err != nil {
		return nil, err
	}
	t := &Table{Report: def.Name, Title: def.Title, Description: def.Description, Params: p,
		RowTitle: s.cat.dims[def.Rows].title, Chart: def.Chart, ChartRows: def.ChartRows}
	var err error
	if def.Measure == MeasureInterval {
		err = s.intervals(ctx, def, t)
	} else {
		err = s.counts(ctx, def, t)
	}
	if err != nil {
		return nil, fmt.Errorf("reports: %s: %w", name, err)
	}
	return t, nil
}

// siteDims are what the database groups by for site group rows: site and histology (a few
// thousand pairs at most), which is much cheaper for it than a CASE of every rule on every
// row; foldSites folds each pair into its group here, by the same rules.
func siteDims() []store.ReportDim {
	return []store.ReportDim{{Column: "primary_site"}, {Column: "histology"}}
}

// foldSites replaces the site and histology that lead keys by their site group.
func (s *Service) foldSites(keys []string) []string {
	return append([]string{s.cat.Sites.Group(keys[0], keys[1])}, keys[2:]...)
}

func (s *Service) counts(ctx context.Context, def Definition, t *Table) error {
	rowDim := s.cat.dims[def.Rows]
	dims := []store.ReportDim{rowDim.dim}
	for _, c := range def.Columns {
		dims = append(dims, s.cat.dims[c].dim)
	}
	bySite := def.Rows == "site_group"
	if bySite {
		dims = append(siteDims(), dims[1:]...)
	}
	counts, err := s.db.ReportCounts(ctx, s.filter(t.Params), dims)
	if err != nil {
		return err
	}
	if bySite {
		for i, c := range counts {
			counts[i].Keys = s.foldSites(c.Keys)
		}
	}
	// The columns: the total, then a block per column dimension with its fixed keys and those
	// that occur.
	t.Columns = []Column{{Key: "total", Label: "Total", Kind: Count}}
	colIndex := make([]map[string]int, len(def.Columns))
	for b, name := range def.Columns {
		d := s.cat.dims[name]
		seen := slices.Clone(d.fixed)
		for _, c := range counts {
			if !slices.Contains(seen, c.Keys[b+1]) {
				seen = append(seen, c.Keys[b+1])
			}
		}
		colIndex[b] = map[string]int{}
		for _, k := range d.order(seen) {
			colIndex[b][k] = len(t.Columns)
			t.Columns = append(t.Columns, Column{Key: name + ":" + k, Label: d.label(k), Group: d.title, Kind: Count})
		}
	}
	rows := map[string]*Row{}
	var keys []string
	for _, c := range counts {
		r, ok := rows[c.Keys[0]]
		if !ok {
			nr := newRow(c.Keys[0], rowDim.label(c.Keys[0]), len(t.Columns))
			r = &nr
			rows[c.Keys[0]] = r
			keys = append(keys, c.Keys[0])
		}
		r.Values[0] += c.N
		for b := range def.Columns {
			r.Values[colIndex[b][c.Keys[b+1]]] += c.N
		}
	}
	for _, k := range rowDim.order(keys) {
		t.Rows = append(t.Rows, *rows[k])
	}
	if def.Top > 0 {
		slices.SortStableFunc(t.Rows, func(a, b Row) int { return cmp.Compare(b.Values[0], a.Values[0]) })
		t.Rows = t.Rows[:min(def.Top, len(t.Rows))]
	}
	total := newRow("total", "Total", len(t.Columns))
	for _, r := range t.Rows {
		for i, v := range r.Values {
			total.Values[i] += v
		}
	}
	t.Total = &total
	return nil
}

// The columns of an interval report.
const (
	colCases     = "cases"
	colKnown     = "known"
	colMedian    = "median"
	colQ1        = "q1"
	colQ3        = "q3"
	colWithin    = "within"
	colNegative  = "negative"
	colNoDates   = "missing"
	intervalUnit = "days"
)

func (s *Service) intervals(ctx context.Context, def Definition, t *Table) error {
	rowDim := s.cat.dims[def.Rows]
	dims := []store.ReportDim{rowDim.dim}
	bySite := def.Rows == "site_group"
	if bySite {
		dims = siteDims()
	}
	ivs, err := s.db.ReportIntervals(ctx, s.filter(t.Params), dims, def.From, def.To)
	if err != nil {
		return err
	}
	if bySite {
		for i, iv := range ivs {
			ivs[i].Keys = s.foldSites(iv.Keys)
		}
	}
	t.Columns = []Column{
		{Key: colCases, Label: "Cases", Kind: Count},
		{Key: colKnown, Label: "With both dates", Kind: Count},
		{Key: colMedian, Label: "Median days", Kind: Days},
		{Key: colQ1, Label: "25th percentile", Kind: Days},
		{Key: colQ3, Label: "75th percentile", Kind: Days},
	}
	if def.Within > 0 {
		t.Columns = append(t.Columns, Column{Key: colWithin, Label: fmt.Sprintf("Within %d days", def.Within), Kind: Count})
	}
	t.Columns = append(t.Columns,
		Column{Key: colNegative, Label: "Dates out of order", Kind: Count},
		Column{Key: colNoDates, Label: "Dates missing or partial", Kind: Count})
	byKey := map[string][]store.IntervalCount{}
	var keys []string
	for _, iv := range ivs {
		k := iv.Keys[0]
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], iv)
	}
	for _, k := range rowDim.order(keys) {
		t.Rows = append(t.Rows, intervalRow(k, rowDim.label(k), byKey[k], t.Columns, def.Within))
	}
	t.Total = new(Row)
	*t.Total = intervalRow("total", "Total", ivs, t.Columns, def.Within)
	return nil
}

// intervalRow summarizes the intervals of one row: the quartiles are of the intervals of zero
// days or more (a negative one is a data error, counted on its own).
func intervalRow(key, label string, ivs []store.IntervalCount, cols []Column, within int) Row {
	r := newRow(key, label, len(cols))
	at := func(k string) int { return slices.IndexFunc(cols, func(c Column) bool { return c.Key == k }) }
	hist := map[int64]int64{}
	for _, iv := range ivs {
		r.Values[at(colCases)] += iv.N
		switch {
		case !iv.Known:
			r.Values[at(colNoDates)] += iv.N
		case iv.Days < 0:
			r.Values[at(colNegative)] += iv.N
		default:
			r.Values[at(colKnown)] += iv.N
			hist[iv.Days] += iv.N
			if within > 0 && iv.Days <= int64(within) {
				r.Values[at(colWithin)] += iv.N
			}
		}
	}
	q := Quartiles(hist)
	for _, c := range []struct {
		key string
		v   float64
	}{{colQ1, q[0]}, {colMedian, q[1]}, {colQ3, q[2]}} {
		i := at(c.key)
		if math.IsNaN(c.v) {
			r.Known[i] = false
			continue
		}
		r.Values[i] = int64(math.Round(c.v))
	}
	return r
}

// Quartiles returns the 25th, 50th and 75th percentiles of values given as value → how many
// times it occurs, by linear interpolation between the closest ranks (R's type 7, Excel's
// PERCENTILE.INC); NaN for no values.
func Quartiles(hist map[int64]int64) [3]float64 {
	var (
		vals []int64
		n    int64
	)
	for v, c := range hist {
		if c > 0 {
			vals = append(vals, v)
			n += c
		}
	}
	if n == 0 {
		return [3]float64{math.NaN(), math.NaN(), math.NaN()}
	}
	slices.Sort(vals)
	// nth is the value of rank i (0-based) in the sorted list of all n values.
	nth := func(i int64) float64 {
		var seen int64
		for _, v := range vals {
			seen += hist[v]
			if i < seen {
				return float64(v)
			}
		}
		return float64(vals[len(vals)-1])
	}
	var out [3]float64
	for j, p := range []float64{0.25, 0.5, 0.75} {
		h := float64(n-1) * p
		lo := math.Floor(h)
		a, b := nth(int64(lo)), nth(int64(math.Ceil(h)))
		out[j] = a + (h-lo)*(b-a)
	}
	return out
}
