// Package codes loads the code lists of NAACCR items (labels of item codes, ICD-O-3 topography and
// histology) from the schemas file system and answers membership and label questions.
// It knows nothing of HTTP or the database.
package codes

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Code is one allowed value of an item.
type Code struct {
	Code         string
	Label        string
	MeansMissing bool // the code records that the value is unknown or not applicable
	Description  string
}

// List is a named code list; Codes keeps the file's order.
type List struct {
	Name   string
	Codes  []Code
	byCode map[string]int
	index  *listIndex // built at load, for Search
}

// Lookup returns the code entry for a value.
func (l *List) Lookup(code string) (Code, bool) {
	i, ok := l.byCode[code]
	if !ok {
		return Code{}, false
	}
	return l.Codes[i], true
}

// Contains reports whether code is in the list.
func (l *List) Contains(code string) bool {
	_, ok := l.byCode[code]
	return ok
}

// Label returns the label of a code, or "" when the code is not in the list.
func (l *List) Label(code string) string {
	c, _ := l.Lookup(code)
	return c.Label
}

// Morphology is one ICD-O-3 histology/behavior pair.
type Morphology struct {
	Histology   string
	Behavior    string
	Description string
	Category    string
}

// Tables holds every code list cara knows and which item uses which list.
type Tables struct {
	lists      map[string]*List  // by scheme name
	schemes    map[string]string // naaccrId → scheme name
	Morphology []Morphology
	byBehavior map[string]*List // histology codes listed with each behavior
	freq       *frequencies     // the site/histology frequency tables, by context
}

// Scheme names of the lists that do not come from codes/items/*.csv.
const (
	SchemeTopography = "icdo3_topography"
	SchemeHistology  = "icdo3_histology"
)

// ForItem returns the code list an item uses, if it has one with codes.
func (t *Tables) ForItem(naaccrID string) (*List, bool) {
	name, ok := t.schemes[naaccrID]
	if !ok {
		return nil, false
	}
	l, ok := t.lists[name]
	return l, ok
}

// List returns a code list by its scheme name.
func (t *Tables) List(name string) (*List, bool) {
	l, ok := t.lists[name]
	return l, ok
}

// Load reads the code tables from fsys (the schemas file system): codes/field_code_scheme.csv maps
// items to lists, codes/items/*.csv are the lists, codes/icdo3-*.csv the ICD-O-3 tables.
func Load(fsys fs.FS) (*Tables, error) {
	t := &Tables{lists: map[string]*List{}, schemes: map[string]string{}}
	files, err := fs.Glob(fsys, "codes/items/*.csv")
	if err != nil {
		return nil, fmt.Errorf("codes: list files: %w", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".csv")
		l, err := loadItemList(fsys, f, name)
		if err != nil {
			return nil, err
		}
		t.lists[name] = l
	}
	if err := t.loadTopography(fsys); err != nil {
		return nil, err
	}
	if err := t.loadMorphology(fsys, "codes/icdo3-morphology.csv", "codes/icdo3-morphology-seer-extra.csv"); err != nil {
		return nil, err
	}
	err = readCSV(fsys, "codes/field_code_scheme.csv", []string{"name", "scheme"}, func(rec []string) error {
		t.schemes[rec[0]] = rec[1]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := t.prepareLookups(fsys); err != nil {
		return nil, err
	}
	return t, nil
}

func loadItemList(fsys fs.FS, file, name string) (*List, error) {
	l := &List{Name: name, byCode: map[string]int{}}
	err := readCSV(fsys, file, []string{"code", "label", "means_missing", "description"}, func(rec []string) error {
		c := Code{Code: rec[0], Label: rec[1], MeansMissing: strings.EqualFold(rec[2], "TRUE"), Description: rec[3]}
		l.add(c)
		return nil
	})
	return l, err
}

func (l *List) add(c Code) {
	if _, dup := l.byCode[c.Code]; dup {
		return
	}
	l.byCode[c.Code] = len(l.Codes)
	l.Codes = append(l.Codes, c)
}

func (t *Tables) loadTopography(fsys fs.FS) error {
	l := &List{Name: SchemeTopography, byCode: map[string]int{}}
	err := readCSV(fsys, "codes/icdo3-topography.csv", []string{"code", "description"}, func(rec []string) error {
		l.add(Code{Code: rec[0], Label: rec[1], Description: rec[1]})
		return nil
	})
	t.lists[l.Name] = l
	return err
}

// loadMorphology keeps every histology/behavior pair and builds the histology code list (four
// digits) whose label is the malignant term where there is one, the first term otherwise.
func (t *Tables) loadMorphology(fsys fs.FS, files ...string) error {
	for _, f := range files {
		err := readCSV(fsys, f, []string{"code", "behavior", "description", "category"}, func(rec []string) error {
			t.Morphology = append(t.Morphology, Morphology{Histology: rec[0], Behavior: rec[1], Description: rec[2], Category: rec[3]})
			return nil
		})
		if err != nil {
			return err
		}
	}
	best := map[string]Morphology{}
	for _, m := range t.Morphology {
		prev, seen := best[m.Histology]
		if !seen || (prev.Behavior != "3" && m.Behavior == "3") {
			best[m.Histology] = m
		}
	}
	hist := make([]string, 0, len(best))
	for h := range best {
		hist = append(hist, h)
	}
	sort.Strings(hist)
	l := &List{Name: SchemeHistology, byCode: map[string]int{}}
	for _, h := range hist {
		l.add(Code{Code: h, Label: best[h].Description, Description: best[h].Category})
	}
	t.lists[l.Name] = l
	return nil
}

// readCSV reads a CSV file whose header must be want, calling fn for each record.
func readCSV(fsys fs.FS, file string, want []string, fn func(rec []string) error) error {
	f, err := fsys.Open(file)
	if err != nil {
		return fmt.Errorf("codes: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(want)
	r.Comment = '#'     // some lists open with a "# source" line
	r.LazyQuotes = true // some lists escape a quote inside a quoted field as \" (R style)
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("codes: %s: header: %w", file, err)
	}
	for i, h := range want {
		if strings.TrimPrefix(head[i], "\ufeff") != h {
			return fmt.Errorf("codes: %s: column %d is %q, want %q", file, i+1, head[i], h)
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("codes: %s: %w", file, err)
		}
		for i := range rec {
			rec[i] = strings.ReplaceAll(rec[i], `\"`, `"`)
		}
		if err := fn(rec); err != nil {
			line, _ := r.FieldPos(0)
			return fmt.Errorf("codes: %s line %d: %w", file, line, err)
		}
	}
}
