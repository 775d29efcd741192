package reports

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
// per column. Known is false for a value that cannot be computed (a median of no case).
type Row struct {
	Key    string
	Label  string
	Values []int64
	Known  []bool
}

// Table is a report's result: plain rows and columns of numbers, with the parameters it was run
// with, for the page, the chart, the downloads, and the release of aggregate tables (which may
// suppress small counts in place: Values and Known are the caller's to change).
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
	ChartRows   int    // at most this many rows in a line chart (0: all)
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
