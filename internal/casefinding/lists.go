package casefinding

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Source is where a possible case was found (casefinding-sources.csv).
type Source struct {
	Key   string // stored: disease_index, pathology, radiation, chemotherapy, physician_office, other
	Label string
	// Code is the Casefinding Source [501] a case started from the record gets.
	Code    string
	aliases []string
}

// Reason is why a registrar decided a possible case is not reportable.
type Reason struct {
	Key   string
	Label string
}

// Lists are the casefinding data: the screening rules, the sources and the reasons.
type Lists struct {
	Rules   *Rules
	Sources []Source
	Reasons []Reason
	byName  map[string]*Source
}

// Load reads the three casefinding files.
func Load(fsys fs.FS) (*Lists, error) {
	rules, err := LoadRules(fsys)
	if err != nil {
		return nil, err
	}
	l := &Lists{Rules: rules, byName: map[string]*Source{}}
	srcRows, err := readCSV(fsys, SourcesFile, []string{"source", "label", "casefinding_source", "aliases"})
	if err != nil {
		return nil, err
	}
	for _, r := range srcRows {
		s := Source{Key: r[0], Label: r[1], Code: r[2]}
		for _, a := range strings.Split(r[3], ";") {
			if a = strings.TrimSpace(a); a != "" {
				s.aliases = append(s.aliases, a)
			}
		}
		l.Sources = append(l.Sources, s)
	}
	for i := range l.Sources {
		s := &l.Sources[i]
		for _, n := range append([]string{s.Key, s.Label}, s.aliases...) {
			k := sourceKey(n)
			if prev, dup := l.byName[k]; dup && prev != s {
				return nil, fmt.Errorf("casefinding: %s: %q names both %s and %s", SourcesFile, n, prev.Key, s.Key)
			}
			l.byName[k] = s
		}
	}
	if _, ok := l.byName["other"]; !ok {
		return nil, fmt.Errorf("casefinding: %s: no source \"other\"", SourcesFile)
	}
	reasonRows, err := readCSV(fsys, ReasonsFile, []string{"reason", "label"})
	if err != nil {
		return nil, err
	}
	for _, r := range reasonRows {
		l.Reasons = append(l.Reasons, Reason{Key: r[0], Label: r[1]})
	}
	return l, nil
}

// sourceKey is a source's name as looked up: lower case, words joined by _.
func sourceKey(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == '_' || r == '-' }), "_")
}

// SourceOf finds a source by its key, label or an alias, ignoring case and spacing.
func (l *Lists) SourceOf(name string) (*Source, bool) {
	s, ok := l.byName[sourceKey(name)]
	return s, ok
}

// Source returns the source of a stored key; an unknown key reads as itself.
func (l *Lists) Source(key string) Source {
	if s, ok := l.byName[key]; ok {
		return *s
	}
	return Source{Key: key, Label: key}
}

// Reason returns the reason of a key, and whether the list has it.
func (l *Lists) Reason(key string) (Reason, bool) {
	for _, r := range l.Reasons {
		if r.Key == key {
			return r, true
		}
	}
	return Reason{}, false
}

func readCSV(fsys fs.FS, file string, want []string) ([][]string, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, fmt.Errorf("casefinding: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = len(want)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("casefinding: %s: header: %w", file, err)
	}
	for i, h := range want {
		if strings.TrimPrefix(head[i], "\ufeff") != h {
			return nil, fmt.Errorf("casefinding: %s: column %d is %q, want %q", file, i+1, head[i], h)
		}
	}
	var out [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("casefinding: %s: %w", file, err)
		}
		out = append(out, rec)
	}
}
