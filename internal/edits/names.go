package edits

// FieldCheckIDs are the edit ids of the field-level checks: length, data type and code list, and
// "field" for a value that could not be checked at all.
var FieldCheckIDs = []string{"field." + RuleLength, "field." + RuleDataType, "field." + RuleCode, "field"}

// fieldCheckNames are the field-level checks as people read them; the edits of a set carry their
// own names in their YAML.
var fieldCheckNames = map[string]string{
	"field." + RuleLength:   "Length (field check)",
	"field." + RuleDataType: "Data type (field check)",
	"field." + RuleCode:     "Code (field check)",
	"field":                 "Field check",
}

// Name is an edit as people read it: the set's edit's name, a field check's name, or the id
// itself for an edit the set does not hold (a failure stored under an older set).
func (s *Set) Name(id string) string {
	if n, ok := fieldCheckNames[id]; ok {
		return n
	}
	if s != nil {
		for _, e := range s.Edits {
			if e.ID == id && e.Name != "" {
				return e.Name
			}
		}
	}
	return id
}
