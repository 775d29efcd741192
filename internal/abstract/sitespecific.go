package abstract

import (
	"slices"
	"strings"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

// SiteSpecific is what a schema section (Section.Schema) shows for one case: the schema its site,
// histology and discriminators select and why, the pooled fields that schema names, the
// discriminators it still needs, and the pooled values that are outside it.
type SiteSpecific struct {
	Section   *Section
	Selection staging.Selection
	// Schema is the selected schema, nil when there is none yet.
	Schema *staging.Schema
	// Reason says in words which schema and why, or what is missing (Selection.Describe).
	Reason string
	// Fields are the section's fields of the schema: its inputs, then its outputs, in its order.
	Fields []SchemaField
	// Needed are the selection keys whose blank value leaves the schema open, each with the field
	// that asks for it; Candidates names the schemas it decides between.
	Needed     []NeededItem
	Candidates []string
	// Outside are pooled items holding a value that the schema does not have: the registrar clears
	// or keeps each. With no schema yet they are every pooled value, to be judged once it is known.
	Outside []OutsideItem
}

// SchemaField is one field as a schema defines it: its code table and the table's notes.
type SchemaField struct {
	Field *Field
	// Input is the schema's input for the field, nil for an output.
	Input *staging.Input
	// Codes are the rows of the input's (or output's) table: what the schema accepts.
	Codes []staging.Code
	// Notes are the notes of the input's table.
	Notes string
}

// NeededItem is a selection key the schema needs and the field that holds it (nil when the item
// is not on the form), with the codes the candidate schemas accept for it (nil when none of them
// has it as an input, as for a blank site).
type NeededItem struct {
	Key   string
	Item  string
	Field *Field
	Codes []staging.Code
}

// OutsideItem is a pooled item whose value the case's schema does not take.
type OutsideItem struct {
	Field *Field
	Value string
}

// SchemaSections are the form's schema sections.
func (f *Form) SchemaSections() []*Section {
	var out []*Section
	for _, s := range f.Sections {
		if s.Schema {
			out = append(out, s)
		}
	}
	return out
}

// SiteSpecificOf works out a schema section for a case (patient and tumor items by naaccrId, as
// stored or as the form now holds them). yearCurrent is the staging context's current year.
func (f *Form) SiteSpecificOf(sec *Section, st *staging.DataSet, patient, tumor map[string]string, yearCurrent int) *SiteSpecific {
	ss := &SiteSpecific{Section: sec}
	rec := RecordOf(patient, tumor)
	values := st.SelectionValues(rec)
	ss.Selection = st.Select(values, st.Context(yearCurrent))
	ss.Schema = ss.Selection.Schema
	ss.Reason = ss.Selection.Describe(values, f.KeyLabel(st))
	pool := make(map[string]*Field, len(sec.Fields))
	for _, fl := range sec.Fields {
		pool[fl.Def.ID] = fl
	}
	shown := map[string]bool{}
	if s := ss.Schema; s != nil {
		for i := range s.Inputs {
			in := &s.Inputs[i]
			if fl, ok := pool[in.NAACCRXMLID]; ok && !shown[fl.Def.ID] {
				shown[fl.Def.ID] = true
				sf := SchemaField{Field: fl, Input: in, Codes: st.Codes(*in)}
				if t := st.Tables[in.Table]; t != nil {
					sf.Notes = strings.TrimSpace(t.Notes)
				}
				ss.Fields = append(ss.Fields, sf)
			}
		}
		for _, o := range s.Outputs {
			if fl, ok := pool[o.NAACCRXMLID]; ok && o.NAACCRXMLID != "" && !shown[fl.Def.ID] {
				shown[fl.Def.ID] = true
				ss.Fields = append(ss.Fields, SchemaField{Field: fl})
			}
		}
	}
	for _, k := range ss.Selection.Needs {
		item := st.ItemOf(k)
		n := NeededItem{Key: k, Item: item}
		n.Field, _ = f.Field(item)
		for _, c := range ss.Selection.Candidates {
			if i := slices.IndexFunc(c.Inputs, func(in staging.Input) bool { return in.Key == k }); i >= 0 && n.Codes == nil {
				n.Codes = st.Codes(c.Inputs[i])
			}
		}
		ss.Needed = append(ss.Needed, n)
		shown[item] = true
	}
	for _, c := range ss.Selection.Candidates {
		ss.Candidates = append(ss.Candidates, c.Name)
	}
	for _, fl := range sec.Fields {
		if fl.Derived || shown[fl.Def.ID] {
			continue
		}
		if v := valueIn(fl.Def, patient, tumor); v != "" {
			ss.Outside = append(ss.Outside, OutsideItem{Field: fl, Value: v})
		}
	}
	return ss
}

// KeyLabel names a staging key by the label of the item it is read from ("Primary Site" for
// site), for the words of a selection.
func (f *Form) KeyLabel(st *staging.DataSet) func(key string) string {
	return func(key string) string {
		item := st.ItemOf(key)
		if fl, ok := f.Field(item); ok {
			return fl.Label
		}
		if def, ok := f.Dictionary.Item(item); ok {
			return def.Name
		}
		return key
	}
}

// DerivedFrom names what a derived item is derived from for a schema: the inputs of the outputs
// that write it (through the schema's tables), or, for Schema ID, the keys its selection reads.
// It is nil when the schema does not derive the item.
func (f *Form) DerivedFrom(st *staging.DataSet, s *staging.Schema, item string) []string {
	if s == nil {
		return nil
	}
	var names []string
	for _, o := range s.Outputs {
		if o.NAACCRXMLID != item {
			continue
		}
		if o.Key == staging.OutputSchemaID {
			label := f.KeyLabel(st)
			if t := st.Tables[s.SelectionTable]; t != nil {
				for _, c := range t.Definition {
					if c.Type == staging.ColumnInput {
						names = append(names, label(c.Key))
					}
				}
			}
			continue
		}
		for _, in := range st.InputsOf(s, o.Key) {
			names = append(names, f.inputLabel(in))
		}
	}
	return names
}

// inputLabel is the form's label of a schema input's item, else the schema's name of the input.
func (f *Form) inputLabel(in staging.Input) string {
	if fl, ok := f.Field(in.NAACCRXMLID); ok {
		return fl.Label
	}
	return in.Name
}

// valueIn is an item's value in the patient's or the tumor's items, by the item's level.
func valueIn(def *naaccr.ItemDef, patient, tumor map[string]string) string {
	if def.Parent == naaccr.ParentPatient {
		return patient[def.ID]
	}
	return tumor[def.ID]
}
