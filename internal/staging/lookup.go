package staging

import (
	"fmt"
	"sort"
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
		for ci, cell := range row.Inputs {
			key := t.Definition[ci].Key
			if only != nil && !only[key] {
				continue
			}
			if !cell.Matches(values[key], ctx) {
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

// SchemaLookup is what selects a schema: primary site, histology and the discriminators some
// schemas need (year_dx, discriminator_1, discriminator_2, behavior, sex, ...), by key.
type SchemaLookup struct {
	Site, Hist     string
	Discriminators map[string]string
}

// SelectSchemas returns every schema whose own selection table matches the lookup, in id order.
// Only site, hist and the discriminators given are matched, as in the staging library: a lookup
// without a needed discriminator can return several schemas, and the caller asks for it.
func (d *DataSet) SelectSchemas(l SchemaLookup, ctx map[string]string) []*Schema {
	values := map[string]string{"site": l.Site, "hist": l.Hist}
	only := map[string]bool{"site": true, "hist": true}
	for k, v := range l.Discriminators {
		values[k] = v
		only[k] = true
	}
	var out []*Schema
	for _, id := range d.schemaOrder {
		s := d.Schemas[id]
		t := d.Tables[s.SelectionTable]
		if t == nil {
			continue
		}
		if row, ok := t.match(values, ctx, only); ok && isMatch(row) {
			out = append(out, s)
		}
	}
	return out
}

// SelectSchema returns the one schema the lookup selects. No schema, or several (a discriminator is
// missing), is an error naming the site and histology and, for several, the schemas and the
// discriminators they need.
func (d *DataSet) SelectSchema(l SchemaLookup, ctx map[string]string) (*Schema, error) {
	found := d.SelectSchemas(l, ctx)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("staging: no schema for site %q, histology %q%s", l.Site, l.Hist, describeDiscriminators(l.Discriminators))
	}
	ids := make([]string, 0, len(found))
	need := map[string]bool{}
	for _, s := range found {
		ids = append(ids, s.ID)
		for _, k := range s.Discriminators {
			if _, given := l.Discriminators[k]; !given {
				need[k] = true
			}
		}
	}
	keys := make([]string, 0, len(need))
	for k := range need {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return nil, fmt.Errorf("staging: site %q, histology %q%s fits %d schemas (%s); needs %s",
		l.Site, l.Hist, describeDiscriminators(l.Discriminators), len(found), strings.Join(ids, ", "), strings.Join(keys, ", "))
}

func isMatch(r *Row) bool {
	for _, e := range r.Endpoints {
		if e.Type != EndpointMatch {
			return false
		}
	}
	return true
}

func describeDiscriminators(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, ", %s %q", k, m[k])
	}
	return b.String()
}
