package abstract

import (
	"strings"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
)

// FieldErrors maps a naaccrId to the message shown beside its field.
type FieldErrors map[string]string

// Normalize cleans what a person typed the way a registrar would expect: surrounding blanks go,
// and typed codes (ICD-O-3 site, histology) are upper-cased, so "c509 " is C509.
func Normalize(f *Field, raw string) string {
	// Browsers send a text area's line breaks as CR LF; NAACCR text counts one character each.
	v := strings.TrimSpace(strings.ReplaceAll(raw, "\r\n", "\n"))
	if f.Widget == WidgetCode {
		v = strings.ToUpper(v)
	}
	return v
}

// Apply checks the submitted values of fields and, only when every one is valid, writes them into
// the patient and tumor item maps (by the item's NAACCR level; a blank value removes the item).
// Fields missing from values are left as they are. When there are errors nothing is changed.
func Apply(fields []*Field, values map[string]string, fc *edits.FieldChecker, patient, tumor map[string]string) FieldErrors {
	errs := FieldErrors{}
	clean := make(map[*Field]string, len(fields))
	for _, f := range fields {
		raw, ok := values[f.Def.ID]
		if !ok || f.Derived {
			continue
		}
		v := Normalize(f, raw)
		if r := fc.Check(f.Def, v); r != nil {
			errs[f.Def.ID] = r.Message
			continue
		}
		clean[f] = v
	}
	if len(errs) > 0 {
		return errs
	}
	for f, v := range clean {
		Put(f, v, patient, tumor)
	}
	return nil
}

// Put writes a clean value into the patient's or the tumor's items by the item's NAACCR level;
// a blank value removes the item.
func Put(f *Field, v string, patient, tumor map[string]string) {
	target := tumor
	if f.Def.Parent == naaccr.ParentPatient {
		target = patient
	}
	if v == "" {
		delete(target, f.Def.ID)
	} else {
		target[f.Def.ID] = v
	}
}
