package staging

import (
	"strconv"
	"strings"
)

// Cell is the set of values one INPUT cell of a table accepts: "*" (anything), a blank (only the
// blank value), or a comma list of values and low-high ranges. A trailing comma or an empty element
// adds the blank value, as in "0,1,9,".
type Cell struct {
	Any    bool
	Ranges []Range
}

// Range is one value (Low == High) or an inclusive low-high range. Either end may hold a context
// value such as {{ctx_year_current}}, filled in when the range is matched.
type Range struct {
	Low, High string
}

// ParseCell parses one INPUT cell as the staging library does.
func ParseCell(s string) Cell {
	if strings.TrimSpace(s) == "*" {
		return Cell{Any: true}
	}
	var c Cell
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			c.Ranges = append(c.Ranges, Range{})
			continue
		}
		// A range has exactly one dash with something on both sides; anything else is a value.
		if lo, hi, ok := strings.Cut(part, "-"); ok && lo != "" && hi != "" && !strings.Contains(hi, "-") {
			c.Ranges = append(c.Ranges, Range{Low: strings.TrimSpace(lo), High: strings.TrimSpace(hi)})
			continue
		}
		c.Ranges = append(c.Ranges, Range{Low: part, High: part})
	}
	return c
}

// Matches reports whether value is one the cell accepts; ctx fills {{ctx_…}} ends.
func (c Cell) Matches(value string, ctx map[string]string) bool {
	if c.Any {
		return true
	}
	for _, r := range c.Ranges {
		if r.Contains(value, ctx) {
			return true
		}
	}
	return false
}

// Contains reports whether value lies in the range. Ranges whose two ends are numbers compare
// numerically; other ranges compare as strings of the same length, so that "C500-C509" holds
// "C504" but not "C5041" and "100-200" compares 150 as a number.
func (r Range) Contains(value string, ctx map[string]string) bool {
	low, high := fill(r.Low, ctx), fill(r.High, ctx)
	if low == high {
		return value == low
	}
	if lf, ok := parseNum(low); ok {
		if hf, ok := parseNum(high); ok {
			v, ok := parseNum(value)
			return ok && v >= lf && v <= hf
		}
	}
	if len(value) != len(low) || len(value) != len(high) {
		return false
	}
	return low <= value && value <= high
}

// isPlainNumber keeps values like "Inf", "1e3" or " 5" out of numeric ranges: registry codes are
// digits with an optional point.
func isPlainNumber(s string) bool {
	if s == "" {
		return false
	}
	dot := false
	for i, ch := range s {
		switch {
		case ch >= '0' && ch <= '9':
		case ch == '.' && !dot:
			dot = true
		case ch == '-' && i == 0 && len(s) > 1:
		default:
			return false
		}
	}
	return s != "." && s != "-" && s != "-."
}

// fill replaces {{ctx_…}} references with their context values; a missing one stays as written, so
// it matches nothing numeric.
func fill(s string, ctx map[string]string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	for k, v := range ctx {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	return s
}

// parseNum reads a plain decimal number, the only kind a numeric range holds.
func parseNum(s string) (float64, bool) {
	if !isPlainNumber(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
