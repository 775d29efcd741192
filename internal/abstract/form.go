// Package abstract is cara's domain: the abstract form that joins a NAACCR item definition with its
// layout, help and code list, case statuses, and applying a registrar's input to a case.
package abstract

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
)

// Widget is how a field is edited.
type Widget string

// The widgets a field can have; chosen from the item definition and code list unless the form
// file names one.
const (
	WidgetText     Widget = "text"
	WidgetSelect   Widget = "select"   // a short code list
	WidgetCode     Widget = "code"     // a long code list: type the code, its label is shown
	WidgetDate     Widget = "date"     // CCYYMMDD with partial dates
	WidgetTextArea Widget = "textarea" // long free text
)

// maxSelectCodes is the longest code list shown as a select; longer lists are typed.
const maxSelectCodes = 40

// MaxListedCodes is the longest code list whose codes item help lists in full; a longer list is
// looked up by code or words instead.
const MaxListedCodes = maxSelectCodes

// Field is one item on the form: everything needed to render, validate and store it.
type Field struct {
	Def      *naaccr.ItemDef
	Label    string
	Help     string
	Required bool
	Widget   Widget
	Codes    *codes.List // nil when the item has no code list
	// Derived fields are computed on save (see Derive) and shown read-only.
	Derived bool
}

// Section is one tab of the form.
type Section struct {
	ID     string
	Title  string
	Fields []*Field
	// Schema marks a site-specific section: Fields is a pool of which a case shows those its
	// staging schema names, in the schema's order (see SiteSpecificOf).
	Schema bool
}

// Form is a loaded form layout.
type Form struct {
	Name       string
	Title      string
	RecordType string
	Sections   []*Section
	// Dictionary is the dictionary the form was joined with; it also defines the items the form
	// leaves out, which a case may still hold (the "All items" view lists them).
	Dictionary *naaccr.Dictionary
	byItem     map[string]*Field
	sectionOf  map[string]*Section
	notOnForm  map[string]string // naaccrId → why the form leaves it out
	// Reabstraction are the items a blind re-abstraction sample compares unless the reviewer
	// chooses others; each is on the form.
	Reabstraction []string
}

// Section returns the section with the given id.
func (f *Form) Section(id string) (*Section, bool) {
	for _, s := range f.Sections {
		if s.ID == id {
			return s, true
		}
	}
	return nil, false
}

// SectionOf returns the section that holds an item.
func (f *Form) SectionOf(naaccrID string) (*Section, bool) {
	s, ok := f.sectionOf[naaccrID]
	return s, ok
}

// NotOnForm returns the reason the form file gives for leaving an item out, if it lists the item
// under notOnForm.
func (f *Form) NotOnForm(naaccrID string) (reason string, ok bool) {
	reason, ok = f.notOnForm[naaccrID]
	return reason, ok
}

// Field returns the field of an item, if the form has it.
func (f *Form) Field(naaccrID string) (*Field, bool) {
	fl, ok := f.byItem[naaccrID]
	return fl, ok
}

type formFile struct {
	Form       string `yaml:"form"`
	Title      string `yaml:"title"`
	RecordType string `yaml:"recordType"`
	Sections   []struct {
		ID     string `yaml:"id"`
		Title  string `yaml:"title"`
		Schema bool   `yaml:"schema"`
		Fields []struct {
			Item     string `yaml:"item"`
			Label    string `yaml:"label"`
			Help     string `yaml:"help"`
			Required bool   `yaml:"required"`
			Widget   string `yaml:"widget"`
			Derived  bool   `yaml:"derived"`
		} `yaml:"fields"`
	} `yaml:"sections"`
	// NotOnForm lists, in groups that share a reason, the items of the record type the form
	// deliberately leaves out, so that every item of the dictionary has a decision.
	NotOnForm []struct {
		Reason string   `yaml:"reason"`
		Items  []string `yaml:"items"`
	} `yaml:"notOnForm"`
	Reabstraction []string `yaml:"reabstraction"`
}

// LoadForm reads forms/NAME.yaml from fsys and joins every field with its dictionary definition
// and code list. An item the dictionary does not know, or one placed twice, is an error.
func LoadForm(fsys fs.FS, name string, dict *naaccr.Dictionary, tables *codes.Tables) (*Form, error) {
	file := "forms/" + name + ".yaml"
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("abstract: form %s: %w", name, err)
	}
	var ff formFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&ff); err != nil {
		return nil, fmt.Errorf("abstract: %s: %w", file, err)
	}
	f := &Form{
		Name: ff.Form, Title: ff.Title, RecordType: ff.RecordType, Dictionary: dict,
		byItem: map[string]*Field{}, sectionOf: map[string]*Section{}, notOnForm: map[string]string{},
	}
	seenSection := map[string]bool{}
	for _, fs := range ff.Sections {
		if fs.ID == "" || seenSection[fs.ID] {
			return nil, fmt.Errorf("abstract: %s: section id %q is empty or repeated", file, fs.ID)
		}
		seenSection[fs.ID] = true
		s := &Section{ID: fs.ID, Title: fs.Title, Schema: fs.Schema}
		for _, ffl := range fs.Fields {
			def, ok := dict.Item(ffl.Item)
			if !ok {
				return nil, fmt.Errorf("abstract: %s: section %s: item %q is not in dictionary %s", file, fs.ID, ffl.Item, dict.URI)
			}
			if _, dup := f.byItem[def.ID]; dup {
				return nil, fmt.Errorf("abstract: %s: item %q is placed twice", file, def.ID)
			}
			if f.RecordType != "" && !def.InRecordType(f.RecordType) {
				return nil, fmt.Errorf("abstract: %s: item %q is not part of record type %s", file, def.ID, f.RecordType)
			}
			if def.Parent == naaccr.ParentRoot {
				return nil, fmt.Errorf("abstract: %s: item %q is a file-level item, not part of a case", file, def.ID)
			}
			fl := &Field{Def: def, Label: ffl.Label, Help: ffl.Help, Required: ffl.Required, Derived: ffl.Derived}
			if fl.Label == "" {
				fl.Label = def.Name
			}
			fl.Codes, _ = tables.ForItem(def.ID)
			fl.Widget, err = chooseWidget(def, fl.Codes, ffl.Widget)
			if err != nil {
				return nil, fmt.Errorf("abstract: %s: item %q: %w", file, def.ID, err)
			}
			s.Fields = append(s.Fields, fl)
			f.byItem[def.ID] = fl
			f.sectionOf[def.ID] = s
		}
		f.Sections = append(f.Sections, s)
	}
	if len(f.Sections) == 0 {
		return nil, fmt.Errorf("abstract: %s: no sections", file)
	}
	for _, id := range ff.Reabstraction {
		if _, ok := f.byItem[id]; !ok {
			return nil, fmt.Errorf("abstract: %s: reabstraction: item %q is not on the form", file, id)
		}
	}
	f.Reabstraction = ff.Reabstraction
	if err := f.loadNotOnForm(file, ff, dict); err != nil {
		return nil, err
	}
	return f, nil
}

// loadNotOnForm checks the items the form file leaves out: each is a dictionary item, listed once,
// not also placed on the form, and its group says why.
func (f *Form) loadNotOnForm(file string, ff formFile, dict *naaccr.Dictionary) error {
	for i, g := range ff.NotOnForm {
		if strings.TrimSpace(g.Reason) == "" {
			return fmt.Errorf("abstract: %s: notOnForm group %d has no reason", file, i+1)
		}
		for _, id := range g.Items {
			if _, ok := dict.Item(id); !ok {
				return fmt.Errorf("abstract: %s: notOnForm: item %q is not in dictionary %s", file, id, dict.URI)
			}
			if _, placed := f.byItem[id]; placed {
				return fmt.Errorf("abstract: %s: item %q is placed on the form and listed under notOnForm", file, id)
			}
			if _, dup := f.notOnForm[id]; dup {
				return fmt.Errorf("abstract: %s: notOnForm: item %q is listed twice", file, id)
			}
			f.notOnForm[id] = g.Reason
		}
	}
	return nil
}

func chooseWidget(def *naaccr.ItemDef, list *codes.List, named string) (Widget, error) {
	switch Widget(named) {
	case WidgetText, WidgetSelect, WidgetCode, WidgetDate, WidgetTextArea:
		return Widget(named), nil
	case "":
	default:
		return "", fmt.Errorf("unknown widget %q", named)
	}
	switch {
	case def.DataType == naaccr.TypeDate:
		return WidgetDate, nil
	case list != nil && len(list.Codes) <= maxSelectCodes:
		return WidgetSelect, nil
	case list != nil:
		return WidgetCode, nil
	case def.Length > 100:
		return WidgetTextArea, nil
	}
	return WidgetText, nil
}

// IsOverride reports whether a field is a NAACCR override flag (overRide...), which silences an
// edit and so needs a comment when set.
func (f *Field) IsOverride() bool {
	return strings.HasPrefix(f.Def.ID, "overRide")
}
