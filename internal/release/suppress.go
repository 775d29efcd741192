package release

import (
	"fmt"
	"strconv"
)

// SmallCell is the largest count shown as "<11": counts 1 to 10 are suppressed.
const SmallCell = 10

// CountTable is a cross-tab of counts: Counts[r][c] is the count of row r and column c.
type CountTable struct {
	RowLabel string // what the rows are, e.g. "Site group"
	ColLabel string // what the columns are, e.g. "Year of diagnosis"
	Rows     []string
	Cols     []string
	Counts   [][]int
}

// Cell is one shown entry of a suppressed table.
type Cell struct {
	Count      int    // the true count; never to be shown when Suppressed
	Text       string // what is shown: the count, "<11" (primary) or "*" (complementary)
	Suppressed bool
	Primary    bool // suppressed for being small, not to protect another cell
}

// Suppressed is a CountTable with its margins, ready to show: Cells has one more row (the column
// totals) and one more column (the row totals) than the table; the last cell is the grand total.
type Suppressed struct {
	RowLabel, ColLabel string
	Rows, Cols         []string
	Cells              [][]Cell
}

// Suppress applies small-cell suppression to t. Every count from 1 to SmallCell, the margins
// included, is shown as "<11" (primary). Then, so that no suppressed count can be recovered by
// subtracting the shown cells of its row or column from the shown total, every line of the
// table with its margins (each row with its row total, each column with its column total, the
// totals row with the grand total) that holds exactly one suppressed entry gets a second one
// (complementary, shown "*": it may be any count, so "<11" would mislead): the smallest
// shown inner count of the line, a margin only when the line has no shown inner count left.
// A suppression can make another line hold exactly one, so this repeats until none does.
func Suppress(t CountTable) (Suppressed, error) {
	nr, nc := len(t.Rows), len(t.Cols)
	if len(t.Counts) != nr {
		return Suppressed{}, fmt.Errorf("release: table has %d rows of counts for %d row labels", len(t.Counts), nr)
	}
	g := make([][]Cell, nr+1)
	for r := range g {
		g[r] = make([]Cell, nc+1)
	}
	for r := 0; r < nr; r++ {
		if len(t.Counts[r]) != nc {
			return Suppressed{}, fmt.Errorf("release: row %q has %d counts for %d columns", t.Rows[r], len(t.Counts[r]), nc)
		}
		for c := 0; c < nc; c++ {
			n := t.Counts[r][c]
			if n < 0 {
				return Suppressed{}, fmt.Errorf("release: row %q, column %q: negative count %d", t.Rows[r], t.Cols[c], n)
			}
			g[r][c].Count = n
			g[r][nc].Count += n
			g[nr][c].Count += n
			g[nr][nc].Count += n
		}
	}
	// lines: every row and every column of the grid with its margins.
	var lines [][]pos
	for r := 0; r <= nr; r++ {
		var l []pos
		for c := 0; c <= nc; c++ {
			l = append(l, pos{r, c})
		}
		lines = append(lines, l)
	}
	for c := 0; c <= nc; c++ {
		var l []pos
		for r := 0; r <= nr; r++ {
			l = append(l, pos{r, c})
		}
		lines = append(lines, l)
	}
	suppress(g, lines, func(p pos) bool { return p.r == nr || p.c == nc })
	return Suppressed{RowLabel: t.RowLabel, ColLabel: t.ColLabel, Rows: t.Rows, Cols: t.Cols, Cells: g}, nil
}

// pos is a cell of a grid.
type pos struct{ r, c int }

// suppress marks the cells of g: every count from 1 to SmallCell primary, then, until no line
// (a set of cells, one of which is the sum of the others) holds exactly one suppressed cell, a
// complementary one in each line that does: the smallest shown inner count, a margin (a sum)
// only when no inner count is left. Then it writes each cell's Text.
func suppress(g [][]Cell, lines [][]pos, margin func(pos) bool) {
	for r := range g {
		for c := range g[r] {
			if n := g[r][c].Count; n >= 1 && n <= SmallCell {
				g[r][c].Suppressed, g[r][c].Primary = true, true
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, l := range lines {
			n := 0
			for _, p := range l {
				if g[p.r][p.c].Suppressed {
					n++
				}
			}
			if n != 1 {
				continue
			}
			best := -1
			for i, p := range l {
				if g[p.r][p.c].Suppressed {
					continue
				}
				if best < 0 || less(margin(p), g[p.r][p.c].Count, margin(l[best]), g[l[best].r][l[best].c].Count) {
					best = i
				}
			}
			if best < 0 {
				continue // a line of one entry: nothing to subtract it from
			}
			g[l[best].r][l[best].c].Suppressed = true
			changed = true
		}
	}
	for r := range g {
		for c := range g[r] {
			switch {
			case g[r][c].Primary:
				g[r][c].Text = "<11"
			case g[r][c].Suppressed:
				g[r][c].Text = "*"
			default:
				g[r][c].Text = strconv.Itoa(g[r][c].Count)
			}
		}
	}
}

// less orders candidates for a complementary suppression: inner cells before margins, then
// positive counts before zeros (a suppressed zero protects nothing a reader could not guess
// from a known structural zero), then the smaller count (the least information lost).
func less(aMargin bool, a int, bMargin bool, b int) bool {
	if aMargin != bMargin {
		return !aMargin
	}
	if (a == 0) != (b == 0) {
		return a != 0
	}
	return a < b
}
