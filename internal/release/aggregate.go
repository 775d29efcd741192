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
	counts := map[[2]string]int{}
	years := map[string]bool{}
	err = s.eachCase(ctx, a.Scope, req.Filter, func(p *store.Patient, ts []store.Tumor) error {
		for i := range ts {
			y := DateYear(ts[i].DateOfDiagnosis)
			if y == "" || y == "9999" {
				y = "Unknown"
			}
			years[y] = true
			counts[[2]string{s.groupOf(ts[i].PrimarySite), y}]++
		}
		return nil
	})
	if err != nil {
		return Suppressed{}, fmt.Errorf("release: aggregate of request %d: %w", id, err)
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

func (s *Service) groupOf(site string) string {
	for _, g := range s.siteGroups {
		if g.Contains(site) {
			return g.Label
		}
	}
	return "Other sites"
}
