package release

import (
	"context"
	"fmt"
	"slices"

	"github.com/cara-registry/cara/internal/reports"
)

// SuppressTable returns a copy of a count report's table (internal/reports) ready to release:
// the small-cell suppression of Suppress applied to its rows, its total row, its total column
// and each block of columns (Sex, Summary Stage 2018…), whose cells add up to the total column.
// The lines a reader can subtract along are each row's block with the row's total, each
// column with the column's total, and the total row's block with the grand total. A suppressed
// value is not known and shows "<11" (primary) or "*" (complementary); its number is zeroed,
// so no output of the copy can show it. A table of medians and quartiles (an interval report)
// is refused: its columns do not add up, and small-cell rules for them are another matter.
func SuppressTable(t *reports.Table) (*reports.Table, error) {
	if t.Total == nil {
		return nil, fmt.Errorf("release: suppress %s: the table has no total row", t.Report)
	}
	if len(t.Columns) == 0 || t.Columns[0].Key != "total" {
		return nil, fmt.Errorf("release: suppress %s: the first column is not the total", t.Report)
	}
	for _, c := range t.Columns {
		if c.Kind != reports.Count {
			return nil, fmt.Errorf("release: suppress %s: column %q is not a count; only count reports are released as aggregates", t.Report, c.Label)
		}
	}
	rows := append(slices.Clone(t.Rows), *t.Total)
	nr, nc := len(rows), len(t.Columns)
	g := make([][]Cell, nr)
	for r, row := range rows {
		if len(row.Values) != nc {
			return nil, fmt.Errorf("release: suppress %s: row %q has %d values for %d columns", t.Report, row.Label, len(row.Values), nc)
		}
		g[r] = make([]Cell, nc)
		for c, v := range row.Values {
			if v < 0 || !row.Known[c] {
				return nil, fmt.Errorf("release: suppress %s: row %q, column %q: not a count", t.Report, row.Label, t.Columns[c].Label)
			}
			g[r][c].Count = int(v)
		}
	}
	// The blocks: runs of columns of one group after the total.
	var blocks [][]int
	for c := 1; c < nc; c++ {
		if c == 1 || t.Columns[c].Group != t.Columns[c-1].Group {
			blocks = append(blocks, nil)
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], c)
	}
	var lines [][]pos
	for r := range nr {
		for _, b := range blocks {
			l := []pos{{r, 0}}
			for _, c := range b {
				l = append(l, pos{r, c})
			}
			lines = append(lines, l)
		}
	}
	for c := range nc {
		var l []pos
		for r := range nr {
			l = append(l, pos{r, c})
		}
		lines = append(lines, l)
	}
	suppress(g, lines, func(p pos) bool { return p.r == nr-1 || p.c == 0 })

	out := *t
	out.Suppressed = true
	out.Rows = make([]reports.Row, 0, len(t.Rows))
	for r, row := range rows {
		cp := reports.Row{Key: row.Key, Label: row.Label, Values: make([]int64, nc), Known: make([]bool, nc), Text: make([]string, nc)}
		for c := range nc {
			if g[r][c].Suppressed {
				cp.Text[c] = g[r][c].Text
				continue
			}
			cp.Values[c], cp.Known[c] = row.Values[c], true
		}
		if r == nr-1 {
			out.Total = &cp
		} else {
			out.Rows = append(out.Rows, cp)
		}
	}
	return &out, nil
}

// Publish runs a report for a table that leaves the registry (an annual report, a request's
// aggregate): its counts with SuppressTable applied. A report of days (medians and quartiles)
// cannot be suppressed and is a reports.ParamError of "suppress".
func Publish(ctx context.Context, svc *reports.Service, name string, p reports.Params) (*reports.Table, error) {
	if def, ok := svc.Catalog().Report(name); ok && def.Measure == reports.MeasureInterval {
		return nil, &reports.ParamError{Param: "suppress", Reason: "this report gives days (median and quartiles), not counts; only counts are suppressed for release"}
	}
	t, err := svc.Run(ctx, name, p)
	if err != nil {
		return nil, err
	}
	return SuppressTable(t)
}
