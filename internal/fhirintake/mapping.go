// Package fhirintake takes in FHIR R4 bundles of mCODE resources (Patient, Condition,
// Observation, Procedure, MedicationAdministration, MedicationRequest) and turns each into a
// possible case on a facility's casefinding suspense list, with the NAACCR item values the
// resources suggest and the path of the resource field each came from. Which codes suggest which
// values is data (schemas/ehr/fhir-mcode.yaml); bad input is answered with an OperationOutcome
// naming the resource, the field and the reason.
package fhirintake

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cara-registry/cara/internal/naaccr"
)

// MappingFile is the mapping's path in schemas.FS.
const MappingFile = "ehr/fhir-mcode.yaml"

// The fields of a resource a rule may read.
var ruleFields = map[string][]string{
	"Condition":                {"code", "bodySite", "morphology", "laterality"},
	"Observation":              {"code"},
	"Procedure":                {"category", "code"},
	"MedicationAdministration": {"medication"},
	"MedicationRequest":        {"medication"},
}

// The ways a rule's value comes from a code.
var takes = []string{"code", "topography", "histology", "behavior", "value"}

// Rule is one rule of the mapping, checked.
type Rule struct {
	Resources []string          `yaml:"resource"`
	Fields    []string          `yaml:"fields"`
	Systems   []string          `yaml:"systems"` // short names of Mapping.Systems
	Codes     []string          `yaml:"codes"`
	Pattern   string            `yaml:"pattern"`
	Item      int               `yaml:"item"`
	Value     string            `yaml:"value"`
	Take      string            `yaml:"take"`
	Values    map[string]string `yaml:"values"` // "system|code" of an Observation's value → the item's code
	DateItem  int               `yaml:"date_item"`
	ICD10CM   bool              `yaml:"icd10cm"`

	re       *regexp.Regexp
	urls     []string          // of Systems
	values   map[string]string // Values keyed by "url|code"
	item     *naaccr.ItemDef
	dateItem *naaccr.ItemDef
}

// Mapping is schemas/ehr/fhir-mcode.yaml, checked against the NAACCR dictionary.
type Mapping struct {
	Systems map[string]string `yaml:"systems"`
	Patient struct {
		Gender   map[string]string `yaml:"gender"`
		MRNTypes []string          `yaml:"mrn_types"`
	} `yaml:"patient"`
	Rules []Rule `yaml:"rules"`

	known map[string]string // system url → short name
	items map[int]*naaccr.ItemDef
}

// LoadMapping reads the mapping from fsys and checks every rule: known resources, fields and
// systems, one way to a value, items of the dictionary.
func LoadMapping(fsys fs.FS, dict *naaccr.Dictionary) (*Mapping, error) {
	b, err := fs.ReadFile(fsys, MappingFile)
	if err != nil {
		return nil, fmt.Errorf("fhirintake: %w", err)
	}
	return ParseMapping(b, dict)
}

// ParseMapping reads a mapping file's bytes (see LoadMapping).
func ParseMapping(b []byte, dict *naaccr.Dictionary) (*Mapping, error) {
	var m Mapping
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("fhirintake: %s: %w", MappingFile, err)
	}
	m.known = map[string]string{}
	for name, url := range m.Systems {
		m.known[url] = name
	}
	m.items = map[int]*naaccr.ItemDef{}
	item := func(n int) (*naaccr.ItemDef, error) {
		d, ok := dict.ItemByNumber(n)
		if !ok {
			return nil, fmt.Errorf("item %d is not in the NAACCR dictionary", n)
		}
		m.items[n] = d
		return d, nil
	}
	for _, n := range patientItems {
		if _, err := item(n); err != nil {
			return nil, fmt.Errorf("fhirintake: %s: patient: %w", MappingFile, err)
		}
	}
	for i := range m.Rules {
		if err := m.Rules[i].check(&m, item); err != nil {
			return nil, fmt.Errorf("fhirintake: %s: rule %d: %w", MappingFile, i+1, err)
		}
	}
	return &m, nil
}

func (r *Rule) check(m *Mapping, item func(int) (*naaccr.ItemDef, error)) error {
	if len(r.Resources) == 0 || len(r.Fields) == 0 || len(r.Systems) == 0 {
		return fmt.Errorf("a rule names its resource, fields and systems")
	}
	for _, res := range r.Resources {
		fields, ok := ruleFields[res]
		if !ok {
			return fmt.Errorf("resource %q is not one cara reads", res)
		}
		for _, f := range r.Fields {
			if !slices.Contains(fields, f) {
				return fmt.Errorf("%s has no field %q cara reads (%s)", res, f, strings.Join(fields, ", "))
			}
		}
	}
	for _, s := range r.Systems {
		url, ok := m.Systems[s]
		if !ok {
			return fmt.Errorf("system %q is not under systems", s)
		}
		r.urls = append(r.urls, url)
	}
	switch {
	case len(r.Codes) > 0 && r.Pattern != "":
		return fmt.Errorf("codes or pattern, not both")
	case len(r.Codes) == 0 && r.Pattern == "":
		return fmt.Errorf("codes or pattern is needed")
	case r.Pattern != "":
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		r.re = re
	}
	ways := 0
	for _, set := range []bool{r.Value != "", r.Take != "", len(r.Values) > 0} {
		if set {
			ways++
		}
	}
	if r.Item != 0 && ways != 1 {
		return fmt.Errorf("item %d needs one of value, take or values", r.Item)
	}
	if r.Item == 0 && ways != 0 {
		return fmt.Errorf("value, take or values without an item")
	}
	if r.Item == 0 && r.DateItem == 0 && !r.ICD10CM {
		return fmt.Errorf("the rule suggests nothing: give item, date_item or icd10cm")
	}
	if r.Take != "" && !slices.Contains(takes, r.Take) {
		return fmt.Errorf("take %q is none of %s", r.Take, strings.Join(takes, ", "))
	}
	if (r.Take == "value" || len(r.Values) > 0) && !slices.Equal(r.Resources, []string{"Observation"}) {
		return fmt.Errorf("take: value and values read an Observation's value")
	}
	if len(r.Values) > 0 {
		r.values = map[string]string{}
		for k, v := range r.Values {
			s, code, ok := strings.Cut(k, "|")
			url, known := m.Systems[s]
			if !ok || !known || code == "" {
				return fmt.Errorf("values: %q is not system|code of a system under systems", k)
			}
			r.values[url+"|"+code] = v
		}
	}
	var err error
	if r.Item != 0 {
		if r.item, err = item(r.Item); err != nil {
			return err
		}
	}
	if r.DateItem != 0 {
		if r.dateItem, err = item(r.DateItem); err != nil {
			return err
		}
		if r.dateItem.DataType != naaccr.TypeDate {
			return fmt.Errorf("date_item %d (%s) is not a date", r.DateItem, r.dateItem.Name)
		}
	}
	return nil
}

// matches: the rule reads field of resource and the coding's system and code are its own.
func (r *Rule) matches(resource, field, system, code string) bool {
	if !slices.Contains(r.Resources, resource) || !slices.Contains(r.Fields, field) || !slices.Contains(r.urls, system) {
		return false
	}
	if r.re != nil {
		return r.re.MatchString(code)
	}
	return slices.Contains(r.Codes, code)
}

// reads says whether any rule reads the field of the resource in the system: a coding no rule
// reads of a known system is simply not used; one of an unknown system is a warning.
func (m *Mapping) reads(resource, field string) bool {
	for i := range m.Rules {
		r := &m.Rules[i]
		if slices.Contains(r.Resources, resource) && slices.Contains(r.Fields, field) {
			return true
		}
	}
	return false
}
