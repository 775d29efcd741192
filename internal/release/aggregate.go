package release

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
)

// Aggregate is the aggregate output of a request's cases: tumors by site group (rows) and year
// of diagnosis (columns), small cells suppressed. It needs no approval of an identified level:
// counts of 11 and more identify no one, and smaller ones are not shown. A tumor of no site
// group is counted as "Other sites", one of no known year as "Unknown".
func (s *Service) Aggregate(ctx context.Context, a Actor, id uint) (Suppressed, error) {
	req, err := s.Get(ctx, id)
	if err != nil {
		return Suppressed{}, err
	}
	// The counts are one GROUP BY in the database, as the registry reports' are (every filter
	// of a request is one of a report's): by primary site and year, folded here into the
	// request's site groups, so that no case is loaded.
	rf, err := s.reportFilter(a.Scope, req.Filter)
	if err != nil {
		return Suppressed{}, fmt.Errorf("release: aggregate of request %d: %w", id, err)
	}
	rows, err := s.store.ReportCounts(ctx, rf, []store.ReportDim{{Column: "primary_site"}, {Column: "year"}})
	if err != nil {
		return Suppressed{}, fmt.Errorf("release: aggregate of request %d: %w", id, err)
	}
	counts := map[[2]string]int{}
	years := map[string]bool{}
	for _, c := range rows {
		y := DateYear(c.Keys[1])
		if y == "" || y == "9999" {
			y = "Unknown"
		}
		years[y] = true
		counts[[2]string{s.groupOf(c.Keys[0]), y}] += int(c.N)
	}
	t := CountTable{RowLabel: "Site group", ColLabel: "Year of diagnosis"}
	var groups []string
	for _, g := range s.siteGroups {
		if !slices.Contains(groups, g.Label) {
			groups = append(groups, g.Label)
		}
	}
	groups = append(groups, "Other sites")
	for y := range years {
		t.Cols = append(t.Cols, y)
	}
	slices.SortFunc(t.Cols, func(a, b string) int { // years in order, Unknown last
		ai, errA := strconv.Atoi(a)
		bi, errB := strconv.Atoi(b)
		switch {
		case errA != nil && errB != nil:
			return 0
		case errA != nil:
			return 1
		case errB != nil:
			return -1
		}
		return ai - bi
	})
	for _, g := range groups {
		row := make([]int, len(t.Cols))
		n := 0
		for j, y := range t.Cols {
			row[j] = counts[[2]string{g, y}]
			n += row[j]
		}
		if n == 0 {
			continue // a row of zeros says nothing and would only lengthen the table
		}
		t.Rows = append(t.Rows, g)
		t.Counts = append(t.Counts, row)
	}
	out, err := Suppress(t)
	if err != nil {
		return Suppressed{}, err
	}
	e := a.entry(audit.ReleaseAggregate, "data_request", map[string]any{"rows": len(t.Rows), "cols": len(t.Cols)})
	e.EntityID = fmt.Sprint(id)
	if err := s.store.Audit(ctx, e); err != nil {
		return Suppressed{}, err
	}
	return out, nil
}

// reportFilter is a request's filter as the store's report filter: the same years, statuses
// and site ranges (those of its site groups included) as filterOf gives an extract.
func (s *Service) reportFilter(sc store.Scope, f Filters) (store.ReportFilter, error) {
	rf := store.ReportFilter{Scope: sc, FromYear: f.YearFrom, ToYear: f.YearTo}
	if len(f.Statuses) > 0 {
		rf.Statuses = f.Statuses
	}
	_, cf, err := s.filterOf(f)
	if err != nil {
		return rf, err
	}
	for _, r := range cf.ranges {
		rf.Sites = append(rf.Sites, store.CodeRange{From: r[0], To: r[1]})
	}
	return rf, nil
}

func (s *Service) groupOf(site string) string {
	for _, g := range s.siteGroups {
		if g.Contains(site) {
			return g.Label
		}
	}
	return "Other sites"
}
