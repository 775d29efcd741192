package staging

import (
	"fmt"
	"strings"
)

// Context keys the data refers to as {{ctx_…}}.
const (
	CtxYearCurrent = "ctx_year_current"
	CtxAlgVersion  = "ctx_alg_version"
)

// Lookup finds the first row of table tableID that matches the input values (by column key; a key
// not given is the blank value) and returns its endpoints. No matching row is an error naming the
// table and the values looked up.
func (d *DataSet) Lookup(tableID string, values, ctx map[string]string) ([]Endpoint, error) {
	t := d.Tables[tableID]
	if t == nil {
		return nil, fmt.Errorf("staging: table %s: not in the data", tableID)
	}
	row, ok := t.match(values, ctx, nil)
	if !ok {
		return nil, fmt.Errorf("staging: table %s: no row matches %s", tableID, t.describe(values))
	}
	return row.Endpoints, nil
}

// match returns the first row matching values; when only is not nil, columns whose key is not in it
// are skipped (schema selection matches only the keys it was given).
func (t *Table) match(values, ctx map[string]string, only map[string]bool) (*Row, bool) {
	i := t.matchIndex(values, ctx, only)
	if i < 0 {
		return nil, false
	}
	return &t.Rows[i], true
}

// matchIndex returns the index of the first row matching values, -1 for none. Each input is read
// from values once, and its number parsed once, however many rows are tried.
func (t *Table) matchIndex(values, ctx map[string]string, only map[string]bool) int {
	if t.exact != nil && (only == nil || only[t.inputKeys[0]]) {
		return t.matchOne(values[t.inputKeys[0]], ctx)
	}
	var buf [8]probe
	probes := buf[:0]
	if len(t.inputKeys) > len(buf) {
		probes = make([]probe, 0, len(t.inputKeys))
	}
	for _, k := range t.inputKeys {
		probes = append(probes, probe{s: values[k]})
	}
	for i := range t.Rows {
		row := &t.Rows[i]
		ok := true
		for ci := range row.Inputs {
			if only != nil && !only[row.Inputs[ci].Key] {
				continue
			}
			if !row.Inputs[ci].Cell.matches(&probes[ci], ctx) {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// matchOne matches a table of one input column: a value the table lists as itself is found in
// the exact index, and only rows of ranges before it need a look.
func (t *Table) matchOne(value string, ctx map[string]string) int {
	idx, ok := t.exact[value]
	if !ok {
		idx = len(t.Rows)
	}
	p := probe{s: value}
	for _, i := range t.rangeRows {
		if i >= idx {
			break
		}
		if t.Rows[i].Inputs[0].Cell.matches(&p, ctx) {
			return i
		}
	}
	if !ok {
		return -1
	}
	return idx
}

// indexOne builds the exact index of a table of one input column.
func (t *Table) indexOne() {
	if len(t.inputKeys) != 1 {
		return
	}
	t.exact = map[string]int{}
	for i := range t.Rows {
		c := &t.Rows[i].Inputs[0].Cell
		ranged := c.Any
		for _, r := range c.Ranges {
			if r.Low != r.High || r.ref {
				ranged = true
			}
		}
		if ranged {
			t.rangeRows = append(t.rangeRows, i)
			continue
		}
		for _, r := range c.Ranges {
			if _, seen := t.exact[r.Low]; !seen {
				t.exact[r.Low] = i
			}
		}
	}
}

// describe names the table's inputs and the values given, for errors: "site=\"C999\", hist=\"8500\"".
func (t *Table) describe(values map[string]string) string {
	var parts []string
	for _, c := range t.Definition {
		if c.Type == ColumnInput {
			parts = append(parts, fmt.Sprintf("%s=%q", c.Key, values[c.Key]))
		}
	}
	return strings.Join(parts, ", ")
}

// Validate checks one value of a schema input against the input's table, as the staging library
// does: the value must match a row of the table. An input without a table accepts anything.
func (d *DataSet) Validate(s *Schema, in Input, value string, ctx map[string]string) error {
	if in.Table == "" {
		return nil
	}
	t := d.Tables[in.Table]
	if t == nil {
		return fmt.Errorf("staging: schema %s: input %s: table %s not in the data", s.ID, in.Key, in.Table)
	}
	if _, ok := t.match(map[string]string{in.Key: value}, ctx, map[string]bool{in.Key: true}); !ok {
		return fmt.Errorf("staging: schema %s: input %s (%s) value %q is not in table %s", s.ID, in.Key, in.NAACCRXMLID, value, in.Table)
	}
	return nil
}

func isMatch(r *Row) bool {
	for _, e := range r.Endpoints {
		if e.Type != EndpointMatch {
			return false
		}
	}
	return true
}
