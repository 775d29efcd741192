package staging

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The keys the selection tables read, as the schemas name their inputs.
const (
	KeySite     = "site"
	KeyHist     = "hist"
	KeyYearDx   = "year_dx"
	KeyBehavior = "behavior"
)

// The tables of valid primary sites and histologies: a code outside them has no schema, although a
// selection table's range may cover it (C156, 8567), as in the staging library.
const (
	tablePrimarySite = "primary_site"
	tableHistology   = "histology"
)

// Selection is what a tumor's site, histology and discriminators select: one schema, or none with
// the keys whose blank value leaves the choice open and the schemas that could be chosen.
type Selection struct {
	Schema *Schema
	// Needs names the selection keys (site, hist, discriminator_1, year_dx, ...) that are blank and
	// would decide the schema.
	Needs []string
	// Candidates are the schemas that fit once the needed keys are given, in id order.
	Candidates []*Schema
	// Invalid names the key whose value is not a valid code (site or hist), "" when none is.
	Invalid string
}

// Select picks the schema of a tumor from the schemas' own selection tables. values holds the
// selection keys (site, hist, behavior, year_dx, sex_at_birth, discriminator_1, discriminator_2); a
// blank value is a value like any other, so a blank year of diagnosis picks the current version of
// a schema, as the tables say with their "9999," entries. A row that would match were some blank
// values given names those keys in Needs: C160 with 8140 and no discriminator could be Stomach or
// Esophagus and EGJ, so discriminator_1 is needed.
func (d *DataSet) Select(values, ctx map[string]string) Selection {
	var sel Selection
	site, hist := values[KeySite], values[KeyHist]
	if site == "" || hist == "" {
		for _, k := range []string{KeySite, KeyHist} {
			if values[k] == "" {
				sel.Needs = append(sel.Needs, k)
			}
		}
		return sel
	}
	if !d.validCode(tablePrimarySite, KeySite, site) {
		sel.Invalid = KeySite
		return sel
	}
	if !d.validCode(tableHistology, KeyHist, hist) {
		sel.Invalid = KeyHist
		return sel
	}
	var matched []*Schema
	missing := map[string]bool{}
	rows := d.selectionRows(site)
	for n := 0; n < len(rows); {
		s := rows[n].schema
		exactSchema, partial := false, false
		for ; n < len(rows) && rows[n].schema == s; n++ {
			if exactSchema {
				continue
			}
			row := rows[n].row
			ok, exact := true, true
			var blankMiss []string
			for ci := range row.Inputs {
				in := &row.Inputs[ci]
				v := values[in.Key]
				if in.Cell.Matches(v, ctx) {
					continue
				}
				if v != "" || in.Key == KeySite || in.Key == KeyHist {
					ok = false
					break
				}
				exact = false
				blankMiss = append(blankMiss, in.Key)
			}
			if !ok || !isMatch(row) {
				continue
			}
			if exact {
				exactSchema = true
				continue
			}
			partial = true
			for _, k := range blankMiss {
				missing[k] = true
			}
		}
		switch {
		case exactSchema:
			matched = append(matched, s)
		case partial:
			sel.Candidates = append(sel.Candidates, s)
		}
	}
	if len(matched) == 1 {
		return Selection{Schema: matched[0]}
	}
	if len(matched) > 1 {
		// Two schemas for one input would be an overlap in the tables; 3.3 has none.
		sel.Candidates = matched
		return sel
	}
	for k := range missing {
		sel.Needs = append(sel.Needs, k)
	}
	sort.Strings(sel.Needs)
	return sel
}

// validCode reports whether value is in the one-column table of valid codes. A release without the
// table accepts every code.
func (d *DataSet) validCode(table, key, value string) bool {
	t := d.Tables[table]
	if t == nil {
		return true
	}
	_, ok := t.match(map[string]string{key: value}, nil, nil)
	return ok
}

// Describe says in words why the selection is what it is, for the form and `cara staging explain`.
func (sel Selection) Describe(values map[string]string, item func(key string) string) string {
	switch {
	case sel.Schema != nil:
		return fmt.Sprintf("%s: site %s and histology %s%s select it", sel.Schema.Name, values[KeySite], values[KeyHist], discriminatorText(sel.Schema, values, item))
	case sel.Invalid != "":
		return fmt.Sprintf("no schema: %s %q is not a valid code", item(sel.Invalid), values[sel.Invalid])
	case len(sel.Needs) > 0 && len(sel.Candidates) > 0:
		names := make([]string, len(sel.Candidates))
		for i, s := range sel.Candidates {
			names[i] = s.Name
		}
		return fmt.Sprintf("site %s and histology %s fit %s; %s decides", values[KeySite], values[KeyHist], strings.Join(names, " or "), joinItems(sel.Needs, item))
	case len(sel.Needs) > 0:
		return "no schema yet: " + joinItems(sel.Needs, item) + " is blank"
	}
	return fmt.Sprintf("no EOD schema for site %s with histology %s", values[KeySite], values[KeyHist])
}

func discriminatorText(s *Schema, values map[string]string, item func(string) string) string {
	var parts, seen []string
	for _, k := range s.Discriminators {
		if v := values[k]; v != "" && !slices.Contains(seen, k) {
			seen = append(seen, k)
			parts = append(parts, fmt.Sprintf("%s %s", item(k), v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, ", ")
}

func joinItems(keys []string, item func(string) string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = item(k)
	}
	return strings.Join(names, " and ")
}

// selectionRow is one row of a schema's selection table.
type selectionRow struct {
	schema *Schema
	row    *Row
}

// selectionRows returns the selection rows whose site cell holds site, schema by schema in id
// order: from the index by site when the data has one, else every row.
func (d *DataSet) selectionRows(site string) []selectionRow {
	if d.bySite != nil {
		return d.bySite[site]
	}
	return d.allSelectionRows
}

// indexSelection lists every selection row, and, when the valid sites are single codes, the rows
// of each site: selecting then reads a handful of rows instead of every schema's table.
func (d *DataSet) indexSelection() {
	d.allSelectionRows = nil
	for _, id := range d.schemaOrder {
		s := d.Schemas[id]
		t := d.Tables[s.SelectionTable]
		if t == nil {
			continue
		}
		for i := range t.Rows {
			d.allSelectionRows = append(d.allSelectionRows, selectionRow{schema: s, row: &t.Rows[i]})
		}
	}
	sites := d.Tables[tablePrimarySite]
	if sites == nil {
		return
	}
	index := map[string][]selectionRow{}
	for _, r := range sites.Rows {
		if len(r.Inputs) != 1 || len(r.Inputs[0].Cell.Ranges) != 1 || r.Inputs[0].Cell.Ranges[0].Low != r.Inputs[0].Cell.Ranges[0].High {
			return // a range of sites: keep the full scan
		}
		site := r.Inputs[0].Cell.Ranges[0].Low
		index[site] = nil
		for _, sr := range d.allSelectionRows {
			for ci := range sr.row.Inputs {
				if in := &sr.row.Inputs[ci]; in.Key == KeySite && in.Cell.Matches(site, nil) {
					index[site] = append(index[site], sr)
				}
			}
		}
	}
	d.bySite = index
}
