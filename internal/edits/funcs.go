package edits

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/expr-lang/expr"

	"github.com/cara-registry/cara/internal/naaccr"
)

// The helper functions edits may call. Item values are strings (blank when not entered); the
// date helpers take NAACCR dates, full or partial, and treat an unknown part as unknown rather
// than as a value, so that "2025" is neither before nor after "20250612".
// typedFunctions are the helpers whose Go types expr calls directly, without boxing their
// arguments. The compiled programs reach them as constants (see frame.go), so a call costs no
// look-up of the name; the compile-time environment declares them too, so that expressions are
// type-checked against them.
func typedFunctions() map[string]any {
	return map[string]any{
		"blank":      isBlank,
		"num":        num,
		"validDate":  isValidDate,
		"year":       year,
		"month":      month,
		"dateBefore": dateBefore,
		"dateAfter":  dateAfter,
		"inRange":    inRange,
		// today is replaced by each set with its own clock; this one only declares the type.
		"today": func() string { return "" },
	}
}

func isBlank(v string) bool { return strings.TrimSpace(v) == "" }

func isValidDate(v string) bool { _, ok := parseDate(strings.TrimSpace(v)); return ok }

func num(v string) int { return toNum(strings.TrimSpace(v)) }

func year(v string) int { d, _ := parseDate(strings.TrimSpace(v)); return d.Year }

func month(v string) int { d, _ := parseDate(strings.TrimSpace(v)); return d.Month }

func inRange(v, spec string) bool { return inRanges(strings.TrimSpace(v), spec) }

func dateBefore(a, b string) bool { return dateCompare(strings.TrimSpace(a), strings.TrimSpace(b)) < 0 }

func dateAfter(a, b string) bool { return dateCompare(strings.TrimSpace(b), strings.TrimSpace(a)) < 0 }

// parseDate is naaccr.ParseDate for the helpers, which need no reason: values that cannot be a
// date (most often blank ones) are refused before ParseDate builds an error for them.
func parseDate(v string) (naaccr.Date, bool) {
	if (len(v) != 4 && len(v) != 6 && len(v) != 8) || !naaccr.IsDigits(v) {
		return naaccr.Date{}, false
	}
	if len(v) == 8 {
		// A full date, the common case, is checked here: ParseDate finds the last day of the
		// month with time.Date, which costs more than the rest of an edit.
		d := naaccr.Date{Year: toNum(v[0:4]), Month: toNum(v[4:6]), Day: toNum(v[6:8])}
		ok := d.Year >= 1850 && d.Year <= 2099 && d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= naaccr.DaysIn(d.Year, d.Month)
		if !ok {
			return naaccr.Date{}, false
		}
		return d, true
	}
	d, err := naaccr.ParseDate(v)
	return d, err == nil
}

// padLeft zero-pads a value of digits to n characters ("5" → "005"); other values are unchanged.
func padLeft(v string, n int) string {
	v = strings.TrimSpace(v)
	if v == "" || !naaccr.IsDigits(v) || len(v) >= n {
		return v
	}
	return strings.Repeat("0", n-len(v)) + v
}

func (s *Set) functions() []expr.Option {
	str := func(v any) string { x, _ := v.(string); return strings.TrimSpace(x) }
	return []expr.Option{
		expr.Function("pad", func(p ...any) (any, error) {
			n, _ := p[1].(int)
			return padLeft(str(p[0]), n), nil
		}, new(func(string, int) string)),
		expr.Function("yearsBetween", func(p ...any) (any, error) { return yearsBetween(str(p[0]), str(p[1])), nil },
			new(func(string, string) int)),
		expr.Function("inList", func(p ...any) (any, error) {
			v := str(p[0])
			for _, x := range p[1:] {
				if v == str(x) {
					return true, nil
				}
			}
			return false, nil
		}),
		expr.Function("inTable", func(p ...any) (any, error) {
			if len(p) < 2 {
				return false, errors.New("inTable(table, value...) needs a table and a value")
			}
			var buf [4]string // on the stack: an edit calls inTable for most tumors
			vals := buf[:0]
			for _, x := range p[1:] {
				vals = append(vals, str(x))
			}
			return s.inTable(str(p[0]), vals)
		}),
	}
}

// toNum reads a value made of digits; anything else is -1.
func toNum(v string) int {
	if !naaccr.IsDigits(v) || len(v) > 9 {
		return -1
	}
	n := 0
	for i := 0; i < len(v); i++ {
		n = n*10 + int(v[i]-'0')
	}
	return n
}

// dateCompare compares two NAACCR dates on the parts both know: -1 when a is surely before b,
// 1 when surely after, 0 when equal as far as known, or when either date is not a valid date.
func dateCompare(a, b string) int {
	da, okA := parseDate(a)
	db, okB := parseDate(b)
	if !okA || !okB {
		return 0
	}
	if c := cmpInt(da.Year, db.Year); c != 0 {
		return c
	}
	if da.Month == 0 || db.Month == 0 {
		return 0
	}
	if c := cmpInt(da.Month, db.Month); c != 0 {
		return c
	}
	if da.Day == 0 || db.Day == 0 {
		return 0
	}
	return cmpInt(da.Day, db.Day)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// yearsBetween is the number of completed years from a to b (an age), using the parts both
// dates know; -1 when either date is unknown or b is before a.
func yearsBetween(a, b string) int {
	da, okA := parseDate(a)
	db, okB := parseDate(b)
	if !okA || !okB {
		return -1
	}
	n := db.Year - da.Year
	if da.Month != 0 && db.Month != 0 && (db.Month < da.Month || (db.Month == da.Month && da.Day != 0 && db.Day != 0 && db.Day < da.Day)) {
		n--
	}
	if n < 0 {
		return -1
	}
	return n
}

// inRanges reports whether v is in a comma-separated list of values and ranges such as
// "C340-C349,C384". Range ends have the value's length and compare as text, as ICD-O codes do.
func inRanges(v, spec string) bool {
	if v == "" {
		return false
	}
	for {
		part, rest, more := strings.Cut(spec, ",")
		if matchCell(v, strings.TrimSpace(part)) {
			return true
		}
		if !more {
			return false
		}
		spec = rest
	}
}

// rangeCells splits a list of values and ranges for inCells.
func rangeCells(spec string) []cell {
	var cells []cell
	for _, part := range strings.Split(spec, ",") {
		cells = append(cells, newCell(strings.TrimSpace(part)))
	}
	return cells
}

// inCells is inRanges on a list split by rangeCells.
func inCells(v string, cells []cell) bool {
	if v == "" {
		return false
	}
	for i := range cells {
		if cells[i].match(v) {
			return true
		}
	}
	return false
}

// matchCell matches a value against one table cell: a value, a range LO-HI, or * for any.
func matchCell(v, text string) bool {
	c := newCell(text)
	return c.match(v)
}

// cell is a table cell split once: the look-ups of a batch match the same cells millions of times.
type cell struct {
	text   string
	any    bool // *
	rng    bool // LO-HI with ends of the same length
	lo, hi string
}

func newCell(text string) cell {
	c := cell{text: text, any: text == "*"}
	if lo, hi, ok := strings.Cut(text, "-"); ok && len(lo) == len(hi) {
		c.rng, c.lo, c.hi = true, lo, hi
	}
	return c
}

// match: * matches anything; a range, a value of its ends' length between them; otherwise the
// value must be the cell's text.
func (c *cell) match(v string) bool {
	if c.any {
		return true
	}
	if c.rng && len(c.lo) == len(v) {
		return v >= c.lo && v <= c.hi
	}
	return v == c.text
}

// lookupTables are the CSV tables of schemas/edits/tables: a header, then rows whose cells are
// values, ranges (C340-C349) or * for any value.
type lookupTables struct {
	byName map[string]*lookupTable
}

// lookupTable is a table compiled for look-ups: the rows as given, and for one-column tables
// the plain values in a set, so that a look-up scans only the ranges.
type lookupTable struct {
	rows   [][]cell
	values map[string]bool // one-column tables: the cells that are plain values
	ranges []cell          // one-column tables: the other cells (ranges, *)
}

func compileTable(rows [][]string) *lookupTable {
	t := &lookupTable{rows: make([][]cell, len(rows))}
	for i, r := range rows {
		t.rows[i] = make([]cell, len(r))
		for j, c := range r {
			t.rows[i][j] = newCell(c)
		}
	}
	if len(rows) > 0 && len(rows[0]) == 1 {
		t.values = map[string]bool{}
		for _, r := range rows {
			if c := r[0]; c != "*" && !strings.Contains(c, "-") {
				t.values[c] = true
			} else {
				t.ranges = append(t.ranges, newCell(c))
			}
		}
	}
	return t
}

func loadLookupTables(fsys fs.FS) (*lookupTables, error) {
	lt := &lookupTables{byName: map[string]*lookupTable{}}
	files, err := fs.Glob(fsys, "edits/tables/*.csv")
	if err != nil {
		return nil, fmt.Errorf("edits: tables: %w", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".csv")
		rows, err := readTable(fsys, f)
		if err != nil {
			return nil, err
		}
		lt.byName[name] = compileTable(rows)
	}
	return lt, nil
}

func readTable(fsys fs.FS, file string) ([][]string, error) {
	fh, err := fsys.Open(file)
	if err != nil {
		return nil, fmt.Errorf("edits: %w", err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.Comment = '#'
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("edits: %s: header: %w", file, err)
	}
	r.FieldsPerRecord = len(head)
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("edits: %s: %w", file, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		rows = append(rows, rec)
	}
}

// inTable looks values up in a table of schemas/edits/tables, or, for one value, in a code list
// of schemas/codes by its scheme name.
func (s *Set) inTable(name string, vals []string) (bool, error) {
	tbl, ok := s.tables.byName[name]
	if !ok {
		if l, ok := s.codes.List(name); ok && len(vals) == 1 {
			return l.Contains(vals[0]), nil
		}
		return false, fmt.Errorf("inTable: no table %q", name)
	}
	if tbl.values != nil && len(vals) == 1 {
		if tbl.values[vals[0]] {
			return true, nil
		}
		for i := range tbl.ranges {
			if tbl.ranges[i].match(vals[0]) {
				return true, nil
			}
		}
		return false, nil
	}
	for _, row := range tbl.rows {
		if len(vals) > len(row) {
			return false, fmt.Errorf("inTable: table %q has %d columns, %d values given", name, len(row), len(vals))
		}
		match := true
		for i, v := range vals {
			if !row[i].match(v) {
				match = false
				break
			}
		}
		if match {
			return true, nil
		}
	}
	return false, nil
}
