package staging

import (
	"strings"
)

// Code is one row of an input's table as a registrar reads it: the codes the row accepts ("000",
// "001-988", blank for a blank cell) and what they mean.
type Code struct {
	Value       string
	Description string
}

// Codes returns the rows of the table an input is checked against, in the table's order; nil when
// the input has no table.
func (d *DataSet) Codes(in Input) []Code {
	t := d.Tables[in.Table]
	if t == nil {
		return nil
	}
	col := -1
	for i, c := range t.Definition {
		if c.Type == ColumnInput && (c.Key == in.Key || col < 0) {
			col = i
		}
	}
	if col < 0 {
		return nil
	}
	out := make([]Code, 0, len(t.RawRows))
	for _, raw := range t.RawRows {
		var desc []string
		for i, c := range t.Definition {
			if c.Type == ColumnDescription && strings.TrimSpace(raw[i]) != "" {
				desc = append(desc, strings.TrimSpace(raw[i]))
			}
		}
		out = append(out, Code{Value: strings.TrimSpace(raw[col]), Description: strings.Join(desc, "; ")})
	}
	return out
}

// InputsOf returns the schema inputs an output is derived from, in the schema's input order: the
// inputs of every table that writes the output, and of the tables that write the intermediate
// keys those tables read (ss2018_t from eod_primary_tumor), through every JUMP.
func (d *DataSet) InputsOf(s *Schema, outputKey string) []Input {
	// feeds maps a key written by some table to the keys that table reads.
	feeds := map[string]map[string]bool{}
	for _, m := range s.Mappings {
		for i := range m.Tables {
			p := &m.Tables[i]
			for _, id := range d.reachable(p.ID) {
				t := d.Tables[id]
				var reads []string
				for _, c := range t.Definition {
					if c.Type == ColumnInput {
						reads = append(reads, c.Key)
					}
				}
				reads = append(reads, t.ExtraInput...)
				for _, row := range t.Rows {
					for _, e := range row.Endpoints {
						if e.Type == EndpointValue && isReference(e.Value) {
							reads = append(reads, e.Value[2:len(e.Value)-2])
						}
					}
				}
				for _, c := range t.Definition {
					if c.Type != ColumnEndpoint {
						continue
					}
					for _, w := range p.mapped(c.Key) {
						if feeds[w] == nil {
							feeds[w] = map[string]bool{}
						}
						for _, r := range reads {
							if r != w {
								feeds[w][r] = true
							}
						}
					}
				}
			}
		}
	}
	used := map[string]bool{}
	var visit func(key string)
	visit = func(key string) {
		for r := range feeds[key] {
			if !used[r] {
				used[r] = true
				visit(r)
			}
		}
	}
	visit(outputKey)
	var out []Input
	for _, in := range s.Inputs {
		if used[in.Key] {
			out = append(out, in)
		}
	}
	return out
}

// reachable returns the table and every table its rows JUMP to, directly or not.
func (d *DataSet) reachable(id string) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(string)
	walk = func(id string) {
		t := d.Tables[id]
		if t == nil || seen[id] {
			return
		}
		seen[id] = true
		out = append(out, id)
		for _, row := range t.Rows {
			for _, e := range row.Endpoints {
				if e.Type == EndpointJump {
					walk(e.Value)
				}
			}
		}
	}
	walk(id)
	return out
}
