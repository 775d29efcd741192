package reports

import "strconv"

// Kind says what a column's values are.
type Kind string

// The kinds of column. Count columns hold numbers of tumors (the ones small-cell suppression
// applies to); Days columns hold whole days (medians and quartiles).
const (
	Count Kind = "count"
	Days  Kind = "days"
)

// Column is one column of values of a table. Group names the block it belongs to ("Sex",
// "Summary Stage 2018"), "" for the total and the interval columns.
type Column struct {
	Key   string
	Label string
	Group string
	Kind  Kind
}

// Row is one row of a table: its key (a site group id, a year, a code), its label, and one value
// per column. Known is false for a value that cannot be computed (a median of no case) or
// that is not to be shown; Text, when not nil, holds what is shown instead of a value that is
// not known ("<11" and "*" of small-cell suppression, release.SuppressTable).
type Row struct {
	Key    string
	Label  string
	Values []int64
	Known  []bool
	Text   []string
}

// Cell is what the downloads show for value i: the number when known, else its Text ("" when
// it has none).
func (r Row) Cell(i int) string {
	if r.Known[i] {
		return strconv.FormatInt(r.Values[i], 10)
	}
	if i < len(r.Text) {
		return r.Text[i]
	}
	return ""
}

// Table is a report's result: plain rows and columns of numbers, with the parameters it was run
// with, for the page, the chart, the downloads, and the release of aggregate tables
// (release.SuppressTable returns a copy with small counts suppressed).
type Table struct {
	Report      string
	Title       string
	Description string
	RowTitle    string // what the rows are ("Site group")
	Columns     []Column
	Rows        []Row
	Total       *Row // column totals (the intervals of all cases for Days columns)
	Params      Params
	Chart       string // ChartBar, ChartStacked or ChartLine
	// Suppressed says the small counts are hidden (release.SuppressTable): the parameters of a
	// download say so.
	Suppressed bool
	ChartRows  int // at most this many rows in a line chart (0: all)
}

// ColumnIndex returns the index of the column with a key, -1 when there is none.
func (t *Table) ColumnIndex(key string) int {
	for i, c := range t.Columns {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// newRow is a row of n known zeros.
func newRow(key, label string, n int) Row {
	r := Row{Key: key, Label: label, Values: make([]int64, n), Known: make([]bool, n)}
	for i := range r.Known {
		r.Known[i] = true
	}
	return r
}
