// Package release is the release of information: data requests (who asks, why, on what legal
// basis, approved by whom, until when), the extract that enforces a privacy level whatever items
// were picked, the release log with each file's SHA-256, and the accounting of disclosures. Which
// items identify a patient is data (schemas/release/identifiers.csv), not code.
package release

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// The data files the policy is read from, in schemas.FS.
const (
	IdentifiersFile    = "release/identifiers.csv"
	RestrictedZip3File = "release/restricted-zip3.csv"
)

// Level is a privacy level of an extract.
type Level string

// The three privacy levels.
const (
	// Identified keeps every item picked: only for the patient's own request or a public-health
	// authority (see LegalBasis.AllowsIdentified).
	Identified Level = "identified"
	// Limited is a HIPAA limited data set (45 CFR 164.514(e)): no direct identifiers; dates,
	// city, county and ZIP may stay.
	Limited Level = "limited"
	// Deidentified is HIPAA Safe Harbor (45 CFR 164.514(b)(2)): also dates to the year, ages
	// over 89 as 90, ZIP to three digits (000 where the area is small), no geography, no text.
	Deidentified Level = "deidentified"
)

// Levels lists the privacy levels, most protective last.
var Levels = []Level{Identified, Limited, Deidentified}

// ParseLevel reads a privacy level.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("privacy level %q: not one of identified, limited, deidentified", s)
}

// Label is the level's name for people.
func (l Level) Label() string {
	switch l {
	case Identified:
		return "Identified"
	case Limited:
		return "Limited data set"
	case Deidentified:
		return "De-identified (Safe Harbor)"
	}
	return string(l)
}

// Category is what kind of identifier an item is (the category column of IdentifiersFile).
type Category string

// The categories of IdentifiersFile; the file's header says what each level does with them.
const (
	CatName         Category = "name"
	CatAddress      Category = "address"
	CatPhone        Category = "phone"
	CatEmail        Category = "email"
	CatRecordNumber Category = "record-number"
	CatText         Category = "text"
	CatZip          Category = "zip"
	CatGeography    Category = "geography"
	CatDate         Category = "date"
	CatAge          Category = "age"
	CatProvider     Category = "provider"
)

// Action is what a privacy level does with an item's value.
type Action int

// The actions, from keeping the value to dropping the item.
const (
	Keep Action = iota
	Drop
	DateToYear
	AgeTopCoded
	ZipTo3
)

// actions is the one table of what each level does with each category. An item of no category
// is kept at every level; an unknown category in the file is refused when it is read.
var actions = map[Category][3]Action{ // identified, limited, deidentified
	CatName:         {Keep, Drop, Drop},
	CatAddress:      {Keep, Drop, Drop},
	CatPhone:        {Keep, Drop, Drop},
	CatEmail:        {Keep, Drop, Drop},
	CatRecordNumber: {Keep, Drop, Drop},
	CatText:         {Keep, Drop, Drop},
	CatZip:          {Keep, Keep, ZipTo3},
	CatGeography:    {Keep, Keep, Drop},
	CatDate:         {Keep, Keep, DateToYear},
	CatAge:          {Keep, Keep, AgeTopCoded},
	CatProvider:     {Keep, Keep, Drop},
}

// Identifier is one row of IdentifiersFile.
type Identifier struct {
	Number   int
	ID       string
	Category Category
	Reason   string
}

// Policy says what each privacy level does with each item.
type Policy struct {
	Identifiers []Identifier
	byID        map[string]Identifier
	smallZip3   map[string]bool
}

// LoadPolicy reads IdentifiersFile and RestrictedZip3File from fsys (schemas.FS).
func LoadPolicy(fsys fs.FS) (*Policy, error) {
	f, err := fsys.Open(IdentifiersFile)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	defer f.Close()
	ids, err := parseIdentifiers(f)
	if err != nil {
		return nil, fmt.Errorf("release: %s: %w", IdentifiersFile, err)
	}
	z, err := fsys.Open(RestrictedZip3File)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	defer z.Close()
	small, err := parseZip3(z)
	if err != nil {
		return nil, fmt.Errorf("release: %s: %w", RestrictedZip3File, err)
	}
	return NewPolicy(ids, small)
}

// NewPolicy builds a policy from identifier rows and the small three-digit ZIP areas.
func NewPolicy(ids []Identifier, smallZip3 []string) (*Policy, error) {
	p := &Policy{Identifiers: ids, byID: make(map[string]Identifier, len(ids)), smallZip3: map[string]bool{}}
	for _, id := range ids {
		if _, ok := actions[id.Category]; !ok {
			return nil, fmt.Errorf("release: item %s (%d): unknown category %q", id.ID, id.Number, id.Category)
		}
		if _, dup := p.byID[id.ID]; dup {
			return nil, fmt.Errorf("release: item %s listed twice", id.ID)
		}
		p.byID[id.ID] = id
	}
	for _, z := range smallZip3 {
		p.smallZip3[z] = true
	}
	return p, nil
}

func readCSV(r io.Reader) ([][]string, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("no header row")
	}
	return rows, nil
}

func parseIdentifiers(r io.Reader) ([]Identifier, error) {
	rows, err := readCSV(r)
	if err != nil {
		return nil, err
	}
	if strings.Join(rows[0], ",") != "naaccrNum,naaccrId,category,reason" {
		return nil, fmt.Errorf("header %q: want naaccrNum,naaccrId,category,reason", strings.Join(rows[0], ","))
	}
	var out []Identifier
	for i, row := range rows[1:] {
		if len(row) != 4 {
			return nil, fmt.Errorf("row %d: %d fields, want 4", i+2, len(row))
		}
		n, err := strconv.Atoi(row[0])
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("row %d: naaccrNum %q: not a positive number", i+2, row[0])
		}
		if row[1] == "" {
			return nil, fmt.Errorf("row %d: empty naaccrId", i+2)
		}
		out = append(out, Identifier{Number: n, ID: row[1], Category: Category(row[2]), Reason: row[3]})
	}
	return out, nil
}

func parseZip3(r io.Reader) ([]string, error) {
	rows, err := readCSV(r)
	if err != nil {
		return nil, err
	}
	if len(rows[0]) != 1 || rows[0][0] != "zip3" {
		return nil, fmt.Errorf("header %q: want zip3", strings.Join(rows[0], ","))
	}
	var out []string
	for i, row := range rows[1:] {
		if len(row) != 1 || len(row[0]) != 3 || strings.Trim(row[0], "0123456789") != "" {
			return nil, fmt.Errorf("row %d: %q: not three digits", i+2, strings.Join(row, ","))
		}
		out = append(out, row[0])
	}
	return out, nil
}

// Action returns what a level does with an item.
func (p *Policy) Action(l Level, itemID string) Action {
	id, ok := p.byID[itemID]
	if !ok {
		return Keep
	}
	a := actions[id.Category]
	switch l {
	case Identified:
		return a[0]
	case Limited:
		return a[1]
	}
	// Anything else is treated as the most protective level.
	return a[2]
}

// Category returns an item's identifier category, "" for an item that identifies no one.
func (p *Policy) Category(itemID string) Category { return p.byID[itemID].Category }

// Items returns the items of picked an extract at level l writes, in picked's order: those the
// level drops are left out, whatever was picked.
func (p *Policy) Items(l Level, picked []string) (kept, dropped []string) {
	for _, id := range picked {
		if p.Action(l, id) == Drop {
			dropped = append(dropped, id)
		} else {
			kept = append(kept, id)
		}
	}
	return kept, dropped
}

// Value returns the value item itemID has in an extract at level l, and false when the item is
// not written at all.
func (p *Policy) Value(l Level, itemID, v string) (string, bool) {
	switch p.Action(l, itemID) {
	case Drop:
		return "", false
	case DateToYear:
		return DateYear(v), true
	case AgeTopCoded:
		return TopCodeAge(v), true
	case ZipTo3:
		return p.Zip3(v), true
	}
	return v, true
}

// Apply returns the items of one record (patient or tumor level) at level l, limited to the
// picked items (a set), with each value reduced as the level requires.
func (p *Policy) Apply(l Level, picked map[string]bool, items map[string]string) map[string]string {
	out := make(map[string]string, len(picked))
	for k, v := range items {
		if !picked[k] {
			continue
		}
		if nv, ok := p.Value(l, k, v); ok && nv != "" {
			out[k] = nv
		}
	}
	return out
}

// DateYear reduces a NAACCR date (CCYYMMDD, CCYYMM, CCYY) or dateTime to its year. A value
// whose first four characters are not a year (blank, 99999999 is kept as unknown 9999) yields
// "": a value that is not a date might be anything and is not released.
func DateYear(v string) string {
	v = strings.TrimSpace(v)
	if len(v) < 4 || strings.Trim(v[:4], "0123456789") != "" {
		return ""
	}
	return v[:4]
}

// TopCodeAge is NAACCR Age at Diagnosis (3 digits, 999 unknown) with ages over 89 as 090
// (Safe Harbor's "90 or older"). A value that is not an age yields "".
func TopCodeAge(v string) string {
	v = strings.TrimSpace(v)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || strings.Trim(v, "0123456789") != "" {
		return ""
	}
	switch {
	case n == 999:
		return "999"
	case n > 89:
		return "090"
	}
	return fmt.Sprintf("%03d", n)
}

// Zip3 is a ZIP code reduced to its first three digits, 000 where that area is small (and for a
// value that is not a US ZIP: a Canadian postal code or a code like 99999 unknown keep nothing
// of their place).
func (p *Policy) Zip3(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if len(v) < 5 || strings.Trim(v[:5], "0123456789") != "" || strings.HasPrefix(v, "99999") || strings.HasPrefix(v, "88888") {
		return "000"
	}
	z := v[:3]
	if p.smallZip3[z] {
		return "000"
	}
	return z
}

// Over89 reports whether a patient is 90 or older by any of their ages at diagnosis (999 is
// unknown) or by their birth year and the year now. Safe Harbor removes "all elements of dates
// (including year) indicative of" an age over 89: a de-identified extract leaves out such a
// patient's year of birth, which would tell the age the grouping hides.
func Over89(birthDate string, agesAtDx []string, now time.Time) bool {
	for _, a := range agesAtDx {
		if n, err := strconv.Atoi(strings.TrimSpace(a)); err == nil && n > 89 && n != 999 {
			return true
		}
	}
	if y, err := strconv.Atoi(DateYear(birthDate)); err == nil && y != 9999 && now.Year()-y > 89 {
		return true
	}
	return false
}
