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

// Range is one value (Low == High) or an inclusive low-high range. Either end may be a reference
// such as {{ctx_year_current}}, filled in from the context when the range is matched.
type Range struct {
	Low, High string

	// Prepared by ParseCell for ranges without references, so matching parses no number:
	// numeric ranges (two different numbers) keep their bounds and whether both are whole.
	ref, numeric, whole bool
	lo, hi              float64
}

// prepare notes what matching the range needs.
func (r *Range) prepare() {
	if isReference(r.Low) || isReference(r.High) {
		r.ref = true
		return
	}
	if r.Low == r.High {
		return
	}
	lf, okl := parseNum(r.Low)
	hf, okh := parseNum(r.High)
	if okl && okh {
		r.numeric, r.lo, r.hi = true, lf, hf
		r.whole = !strings.Contains(r.Low, ".") && !strings.Contains(r.High, ".")
	}
}

// probe is one value being matched, its number parsed once however many ranges ask for it.
type probe struct {
	s              string
	num            float64
	parsed, numOK  bool
	hasDot, dotSet bool
}

func (p *probe) number() (float64, bool) {
	if !p.parsed {
		p.num, p.numOK = parseNum(p.s)
		p.parsed = true
	}
	return p.num, p.numOK
}

func (p *probe) dot() bool {
	if !p.dotSet {
		p.hasDot, p.dotSet = strings.Contains(p.s, "."), true
	}
	return p.hasDot
}

// ParseCell parses one INPUT cell as the staging library does. "a-b" is a range when its two ends
// have the same length, are both numbers, or either is a {{reference}}; otherwise (as in
// "N0(mol-)") the whole text is one value.
func ParseCell(s string) Cell {
	if strings.TrimSpace(s) == "*" {
		return Cell{Any: true}
	}
	var c Cell
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if ends := strings.Split(part, "-"); len(ends) == 2 {
			lo, hi := strings.TrimSpace(ends[0]), strings.TrimSpace(ends[1])
			if len(lo) == len(hi) || (isPlainNumber(lo) && isPlainNumber(hi)) || isReference(lo) || isReference(hi) {
				c.Ranges = append(c.Ranges, Range{Low: lo, High: hi})
				continue
			}
		}
		c.Ranges = append(c.Ranges, Range{Low: part, High: part})
	}
	for i := range c.Ranges {
		c.Ranges[i].prepare()
	}
	return c
}

// Matches reports whether value is one the cell accepts; ctx fills {{…}} ends.
func (c *Cell) Matches(value string, ctx map[string]string) bool {
	p := probe{s: value}
	return c.matches(&p, ctx)
}

func (c *Cell) matches(p *probe, ctx map[string]string) bool {
	if c.Any {
		return true
	}
	for i := range c.Ranges {
		if c.Ranges[i].contains(p, ctx) {
			return true
		}
	}
	return false
}

// Contains reports whether value lies in the range. Ranges whose two ends are different numbers
// compare numerically (a range of whole numbers holds no value with a decimal point); other ranges
// compare as strings of the same length, so that "C500-C509" holds "C504" but not "C5041".
func (r *Range) Contains(value string, ctx map[string]string) bool {
	if !r.ref && !r.numeric && r.Low != r.High {
		r.prepare() // a Range built by hand rather than by ParseCell
	}
	p := probe{s: value}
	return r.contains(&p, ctx)
}

func (r *Range) contains(p *probe, ctx map[string]string) bool {
	if r.ref {
		return r.containsRef(p.s, ctx)
	}
	value := p.s
	if r.Low == r.High {
		return value == r.Low
	}
	if r.numeric {
		if r.whole && p.dot() {
			return false
		}
		v, ok := p.number()
		return ok && v >= r.lo && v <= r.hi
	}
	if len(value) != len(r.Low) || len(value) != len(r.High) {
		return false
	}
	return r.Low <= value && value <= r.High
}

// containsRef matches a range with a {{reference}} end, filled in from ctx.
func (r *Range) containsRef(value string, ctx map[string]string) bool {
	low, high := translate(r.Low, ctx), translate(r.High, ctx)
	if low == high {
		return value == low
	}
	if lf, ok := parseNum(low); ok {
		if hf, ok := parseNum(high); ok {
			if !strings.Contains(low, ".") && !strings.Contains(high, ".") && strings.Contains(value, ".") {
				return false
			}
			v, ok := parseNum(value)
			return ok && v >= lf && v <= hf
		}
	}
	if len(value) != len(low) || len(value) != len(high) {
		return false
	}
	return low <= value && value <= high
}

// isPlainNumber keeps values like "Inf", "1e3", "5." or " 5" out of numeric ranges: registry codes
// are digits with an optional point and sign.
func isPlainNumber(s string) bool {
	if s == "" {
		return false
	}
	dot, digits := false, false
	for i, ch := range s {
		switch {
		case ch >= '0' && ch <= '9':
			digits = true
		case ch == '.' && !dot && i < len(s)-1:
			dot = true
		case ch == '-' && i == 0 && len(s) > 1:
		default:
			return false
		}
	}
	return digits
}

func isReference(s string) bool {
	return len(s) > 4 && strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}")
}

// translate returns the context value a whole-value reference {{key}} names ("" when the context
// has none, as the staging library does), and any other value unchanged.
func translate(s string, ctx map[string]string) string {
	if !isReference(s) {
		return s
	}
	return ctx[s[2:len(s)-2]]
}

// parseNum reads a plain decimal number, the only kind a numeric range holds.
func parseNum(s string) (float64, bool) {
	if !isPlainNumber(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
