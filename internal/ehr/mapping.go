// Package ehr takes in electronic reports from health records: HL7 v2 pathology reports
// (ORU^R01, NAACCR Volume V), each stored as received, put on the facility's suspense list
// through casefinding's screening and matching, with the item values it suggests.
package ehr

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MappingFile is the mapping in the schemas file system.
const MappingFile = "ehr/hl7-pathology.yaml"

// Mapping is how a pathology message's observations become report text and items (see
// schemas/ehr/hl7-pathology.yaml).
type Mapping struct {
	Sections         []Section   `yaml:"sections"`
	DiagnosisSection string      `yaml:"diagnosis_section"`
	Items            []ItemRule  `yaml:"items"`
	Fields           []FieldRule `yaml:"fields"`

	section map[string]int // observation key → index in Sections
	item    map[string]int // observation key → index in Items
}

// Section is a part of the report's text.
type Section struct {
	Role         string   `yaml:"role"`
	Label        string   `yaml:"label"`
	Observations []string `yaml:"observations"`
}

// ItemRule is an item a synoptic observation carries.
type ItemRule struct {
	Item         string            `yaml:"item"`
	Observations []string          `yaml:"observations"`
	Values       map[string]string `yaml:"values"`
	Convert      string            `yaml:"convert"`
}

// FieldRule is an item read from a field of a segment other than OBX.
type FieldRule struct {
	Item    string `yaml:"item"`
	Field   string `yaml:"field"` // SEG-n or SEG-n.c
	Label   string `yaml:"label"`
	Convert string `yaml:"convert"`

	seg  string
	n, c int
}

// LoadMapping reads the mapping from the schemas file system.
func LoadMapping(fsys fs.FS) (*Mapping, error) {
	b, err := fs.ReadFile(fsys, MappingFile)
	if err != nil {
		return nil, fmt.Errorf("ehr: %w", err)
	}
	return ParseMapping(b)
}

// ParseMapping reads a mapping and checks it: every observation named once, known
// conversions, fields named SEG-n or SEG-n.c.
func ParseMapping(b []byte) (*Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("ehr: %s: %w", MappingFile, err)
	}
	m.section, m.item = map[string]int{}, map[string]int{}
	bad := func(format string, a ...any) (*Mapping, error) {
		return nil, fmt.Errorf("ehr: %s: "+format, append([]any{MappingFile}, a...)...)
	}
	seen := map[string]string{}
	claim := func(obs, by string) error {
		k := obsKey(obs)
		if k == "" {
			return fmt.Errorf("observation %q of %s: want \"SYSTEM CODE\"", obs, by)
		}
		if other, ok := seen[k]; ok {
			return fmt.Errorf("observation %s is named by %s and by %s", obs, other, by)
		}
		seen[k] = by
		return nil
	}
	for i, s := range m.Sections {
		if s.Role == "" || s.Label == "" {
			return bad("section %d: role and label are required", i+1)
		}
		for _, o := range s.Observations {
			if err := claim(o, "section "+s.Role); err != nil {
				return bad("%v", err)
			}
			m.section[obsKey(o)] = i
		}
	}
	if m.DiagnosisSection != "" && m.sectionIndex(m.DiagnosisSection) < 0 {
		return bad("diagnosis_section %q is not a section", m.DiagnosisSection)
	}
	for i := range m.Items {
		r := &m.Items[i]
		if r.Item == "" {
			return bad("items %d: item is required", i+1)
		}
		if r.Convert != "" && r.Convert != "size_mm" {
			return bad("item %s: convert %q: want size_mm", r.Item, r.Convert)
		}
		if r.Convert == "" && len(r.Values) == 0 {
			return bad("item %s: values or convert is required", r.Item)
		}
		norm := map[string]string{}
		for k, v := range r.Values {
			norm[normValue(k)] = v
		}
		r.Values = norm
		for _, o := range r.Observations {
			if err := claim(o, "item "+r.Item); err != nil {
				return bad("%v", err)
			}
			m.item[obsKey(o)] = i
		}
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Convert != "" && f.Convert != "date" {
			return bad("field %s: convert %q: want date", f.Field, f.Convert)
		}
		seg, rest, ok := strings.Cut(f.Field, "-")
		ns, cs, hasC := strings.Cut(rest, ".")
		n, err1 := strconv.Atoi(ns)
		c := 1
		var err2 error
		if hasC {
			c, err2 = strconv.Atoi(cs)
		}
		if !ok || len(seg) != 3 || err1 != nil || err2 != nil || n < 1 || c < 1 || f.Item == "" {
			return bad("field %q of item %q: want SEG-n or SEG-n.c and an item", f.Field, f.Item)
		}
		f.seg, f.n, f.c = seg, n, c
	}
	return &m, nil
}

func (m *Mapping) sectionIndex(role string) int {
	for i, s := range m.Sections {
		if s.Role == role {
			return i
		}
	}
	return -1
}

// obsKey normalizes "LN 22637-3" to "LN 22637-3" (upper case system, one space).
func obsKey(s string) string {
	f := strings.Fields(s)
	if len(f) != 2 {
		return ""
	}
	return strings.ToUpper(f[0]) + " " + strings.ToUpper(f[1])
}

func normValue(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
