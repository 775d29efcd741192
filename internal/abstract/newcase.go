package abstract

import (
	"bytes"
	"fmt"
	"io/fs"
	"strconv"

	"gopkg.in/yaml.v3"
)

// NewCaseFile lists the items asked for when a case is started.
const NewCaseFile = "forms/new-case.yaml"

// NewCaseForm is the two steps of starting a case: the patient, checked for duplicates before
// it is stored, and the tumor. The fields are the abstract form's.
type NewCaseForm struct {
	Patient []*Field
	Tumor   []*Field
	// Required says which items must be given to take a step.
	Required map[string]bool
}

type newCaseFile struct {
	Patient []newCaseItem `yaml:"patient"`
	Tumor   []newCaseItem `yaml:"tumor"`
}

type newCaseItem struct {
	Item     string `yaml:"item"`
	Required bool   `yaml:"required"`
}

// LoadNewCase reads NewCaseFile from fsys and finds each item's field on form.
func LoadNewCase(fsys fs.FS, form *Form) (*NewCaseForm, error) {
	b, err := fs.ReadFile(fsys, NewCaseFile)
	if err != nil {
		return nil, fmt.Errorf("abstract: new case: %w", err)
	}
	var nf newCaseFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&nf); err != nil {
		return nil, fmt.Errorf("abstract: %s: %w", NewCaseFile, err)
	}
	out := &NewCaseForm{Required: map[string]bool{}}
	resolve := func(step string, items []newCaseItem) ([]*Field, error) {
		if len(items) == 0 {
			return nil, fmt.Errorf("abstract: %s: the %s step has no items", NewCaseFile, step)
		}
		var fields []*Field
		for _, it := range items {
			f, ok := form.Field(it.Item)
			if !ok {
				return nil, fmt.Errorf("abstract: %s: %s item %q is not on form %s", NewCaseFile, step, it.Item, form.Name)
			}
			if f.Derived {
				return nil, fmt.Errorf("abstract: %s: %s item %q is derived, not entered", NewCaseFile, step, it.Item)
			}
			fields = append(fields, f)
			if it.Required {
				out.Required[step+"."+it.Item] = true
			}
		}
		return fields, nil
	}
	if out.Patient, err = resolve("patient", nf.Patient); err != nil {
		return nil, err
	}
	if out.Tumor, err = resolve("tumor", nf.Tumor); err != nil {
		return nil, err
	}
	return out, nil
}

// PatientRequired reports whether an item must be given to store a new patient.
func (n *NewCaseForm) PatientRequired(id string) bool { return n.Required["patient."+id] }

// TumorRequired reports whether an item must be given to add a tumor.
func (n *NewCaseForm) TumorRequired(id string) bool { return n.Required["tumor."+id] }

// NextSequenceNumber suggests the hospital sequence number (NAACCR #560) of a patient's next
// in situ or malignant tumor from those of the patient's tumors: 00 for the first; otherwise one
// past the highest of 00–59, where 00 (the only one so far) counts as 01. renumber says that a
// tumor numbered 00 should become 01 now that there is a second; cara does not change it itself.
// Non-malignant tumors (60–99) are numbered in their own series and left to the registrar.
func NextSequenceNumber(existing []string) (next string, renumber bool) {
	highest := -1
	for _, s := range existing {
		n, err := strconv.Atoi(s)
		if err != nil || len(s) != 2 || n < 0 || n > 59 {
			continue
		}
		if n == 0 {
			renumber = true
			n = 1
		}
		highest = max(highest, n)
	}
	switch {
	case highest < 0:
		return "00", false
	case highest >= 59:
		return "", renumber // no number left in the series: the registrar decides
	}
	return fmt.Sprintf("%02d", highest+1), renumber
}
