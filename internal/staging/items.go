package staging

import "sort"

// SchemaID returns the schema's Schema ID [3800], the default of its naaccr_schema_id output
// ("00480" for breast).
func (s *Schema) SchemaID() string { return schemaIDOf(s) }

// DerivedItems returns the outputs of every schema that name a NAACCR item, one per item, in
// NAACCR item number order: Schema ID, Derived Summary Stage 2018, Derived Summary Grade 2018,
// Derived Rai Stage for 3.3. A report with a column per derived item takes its columns from here,
// so that a release with another output adds a column without a change of code.
func (d *DataSet) DerivedItems() []Output {
	seen := map[string]bool{}
	var out []Output
	for _, id := range d.schemaOrder {
		for _, o := range d.Schemas[id].Outputs {
			if o.NAACCRXMLID == "" || seen[o.NAACCRXMLID] {
				continue
			}
			seen[o.NAACCRXMLID] = true
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NAACCRItem < out[j].NAACCRItem })
	return out
}
