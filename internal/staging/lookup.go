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
	for i := range t.Rows {
		row := &t.Rows[i]
		ok := true
		for ci := range row.Inputs {
			in := &row.Inputs[ci]
			if only != nil && !only[in.Key] {
				continue
			}
			if !in.Cell.Matches(values[in.Key], ctx) {
				ok = false
				break
			}
		}
		if ok {
			return row, true
		}
	}
	return nil, false
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
