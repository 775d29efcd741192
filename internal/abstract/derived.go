package abstract

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/cara-registry/cara/internal/naaccr"
)

// The NAACCR v26 items that cara derives on save, and the items they are derived from.
const (
	ItemAgeAtDiagnosis = "ageAtDiagnosis" // #230
	ItemSchemaID       = "schemaId"       // #3800

	itemDateOfBirth     = "dateOfBirth"          // #240
	itemDateOfDiagnosis = "dateOfDiagnosis"      // #390
	itemPrimarySite     = "primarySite"          // #400
	itemHistology       = "histologicTypeIcdO3"  // #522
	itemBehavior        = "behaviorCodeIcdO3"    // #523
	itemSexAtBirth      = "sexAssignedAtBirth"   // #225
	itemDiscriminator1  = "schemaDiscriminator1" // #3926
	itemDiscriminator2  = "schemaDiscriminator2" // #3927
)

// UnknownAge is Age at Diagnosis when it cannot be computed.
const UnknownAge = "999"

// maxAge is the oldest age the item codes (001-120 actual age); an older result is a date error.
const maxAge = 120

// Derive computes the derived items of a tumor from the patient's and the tumor's items (NAACCR
// string values by naaccrId) and returns them by naaccrId: Age at Diagnosis and, when sel is not
// nil, the EOD Schema ID. A value of "" means the item cannot be derived yet and is to be left
// blank (removed). SEER Site Recode is not derived: it is no NAACCR v26 item and cara has no
// published table for it.
func Derive(patient, tumor map[string]string, sel *SchemaSelector) map[string]string {
	out := map[string]string{
		ItemAgeAtDiagnosis: AgeAtDiagnosis(patient[itemDateOfBirth], tumor[itemDateOfDiagnosis]),
	}
	if sel != nil {
		out[ItemSchemaID], _ = sel.Select(SchemaInputOf(patient, tumor))
	}
	return out
}

// AgeAtDiagnosis returns NAACCR item 230, the patient's age at diagnosis in completed years as
// three digits ("065", "000" under one year), from two NAACCR dates (CCYYMMDD, or CCYYMM and CCYY
// when the day or month is unknown). It is "999" when either date is blank or invalid, when the
// diagnosis precedes the birth, or when the age exceeds 120.
//
// Partial dates are compared on the parts both dates have, as the NAACCR item description asks
// ("if month/day unknown, compute with the known parts"): the age is the difference of the years,
// less one when the birthday had not yet come, which is known only when both months are known and
// differ, or are equal and both days are known. Where the comparison cannot be made (a month
// unknown; the same month with a day unknown) the year difference stands, the larger of the two
// possible ages, which the NAACCR edit "Age, Birth Date, Date of Diagnosis" accepts.
func AgeAtDiagnosis(dateOfBirth, dateOfDiagnosis string) string {
	birth, err := naaccr.ParseDate(strings.TrimSpace(dateOfBirth))
	if err != nil {
		return UnknownAge
	}
	dx, err := naaccr.ParseDate(strings.TrimSpace(dateOfDiagnosis))
	if err != nil {
		return UnknownAge
	}
	age := dx.Year - birth.Year
	if birth.Month != 0 && dx.Month != 0 {
		switch {
		case dx.Month < birth.Month:
			age--
		case dx.Month == birth.Month && birth.Day != 0 && dx.Day != 0 && dx.Day < birth.Day:
			age--
		}
	}
	if age < 0 || age > maxAge {
		return UnknownAge
	}
	return fmt.Sprintf("%03d", age)
}

// SchemaInput is what EOD schema selection reads: NAACCR values as stored, blank when unknown.
type SchemaInput struct {
	Site            string // primarySite, e.g. C509
	Histology       string // histologicTypeIcdO3, e.g. 8500
	Behavior        string // behaviorCodeIcdO3
	YearOfDiagnosis string // CCYY of dateOfDiagnosis
	SexAtBirth      string // sexAssignedAtBirth
	Discriminator1  string // schemaDiscriminator1
	Discriminator2  string // schemaDiscriminator2
}

// SchemaInputOf takes the schema selection inputs from a patient's and a tumor's items; an item
// is looked for in the tumor first, then in the patient.
func SchemaInputOf(patient, tumor map[string]string) SchemaInput {
	get := func(id string) string {
		if v, ok := tumor[id]; ok {
			return strings.TrimSpace(v)
		}
		return strings.TrimSpace(patient[id])
	}
	in := SchemaInput{
		Site:           get(itemPrimarySite),
		Histology:      get(itemHistology),
		Behavior:       get(itemBehavior),
		SexAtBirth:     get(itemSexAtBirth),
		Discriminator1: get(itemDiscriminator1),
		Discriminator2: get(itemDiscriminator2),
	}
	if d, err := naaccr.ParseDate(get(itemDateOfDiagnosis)); err == nil {
		in.YearOfDiagnosis = strconv.Itoa(d.Year)
	}
	return in
}

// The inputs of a schema selection row, in the column order of eod-schema-selection.csv, and the
// NAACCR item each comes from.
const (
	keySite = iota
	keyHistology
	keyBehavior
	keyYear
	keySex
	keyDiscriminator1
	keyDiscriminator2
	numSchemaKeys
)

var schemaKeyItems = [numSchemaKeys]string{
	itemPrimarySite, itemHistology, itemBehavior, itemDateOfDiagnosis, itemSexAtBirth, itemDiscriminator1, itemDiscriminator2,
}

func (in SchemaInput) values() [numSchemaKeys]string {
	return [numSchemaKeys]string{in.Site, in.Histology, in.Behavior, in.YearOfDiagnosis, in.SexAtBirth, in.Discriminator1, in.Discriminator2}
}

// SchemaSelectionFile is the SEER EOD 3.3 schema selection table, relative to the schemas file
// system (see schemas/codes/README.md).
const SchemaSelectionFile = "codes/eod-schema-selection.csv"

var schemaSelectionHeader = []string{"schema_id", "schema", "name", "site", "histology", "behavior", "year_dx", "sex_at_birth", "discriminator_1", "discriminator_2"}

// SchemaSelector picks the EOD Schema ID (item 3800) of a tumor with the schema selection tables
// of SEER EOD 3.3.
type SchemaSelector struct {
	rows  []schemaRow
	names map[string]string // schema ID → name
	// sites and histologies are the valid ICD-O-3 topography and histology codes. The selection
	// tables give ranges ("C150-C159", "8000-8700") that hold codes that do not exist (C156, 8567);
	// SEER's staging library gives such codes no schema, and neither does Select.
	sites, histologies map[string]bool
}

// The ICD-O-3 tables Select checks codes against: the files the codes package loads for the
// primarySite and histologicTypeIcdO3 look-ups (its topography list and the histologies of its
// morphology tables).
const topographyFile = "codes/icdo3-topography.csv"

var morphologyFiles = []string{"codes/icdo3-morphology.csv", "codes/icdo3-morphology-seer-extra.csv"}

type schemaRow struct {
	id    string
	cells [numSchemaKeys]valueSet
}

// valueSet is one cell of a selection table: "*" (any value, blank too), or a comma-separated list
// of values and ranges ("C500-C506,C508", "2023-9998,9999,") where an empty entry matches blank.
type valueSet struct {
	any    bool
	blank  bool
	ranges [][2]string
}

func parseValueSet(s string) (valueSet, error) {
	if s == "*" {
		return valueSet{any: true}, nil
	}
	var v valueSet
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			v.blank = true
			continue
		}
		lo, hi, isRange := strings.Cut(p, "-")
		if !isRange {
			hi = lo
		}
		lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
		if lo == "" || len(lo) != len(hi) || lo > hi {
			return valueSet{}, fmt.Errorf("bad range %q", p)
		}
		v.ranges = append(v.ranges, [2]string{lo, hi})
	}
	return v, nil
}

// match compares as SEER's staging tables do: as strings of the same length.
func (v *valueSet) match(s string) bool {
	if v.any {
		return true
	}
	if s == "" {
		return v.blank
	}
	for _, r := range v.ranges {
		if len(s) == len(r[0]) && r[0] <= s && s <= r[1] {
			return true
		}
	}
	return false
}

// LoadSchemaSelector reads the schema selection table and the ICD-O-3 topography and morphology
// codes from fsys (the schemas file system).
func LoadSchemaSelector(fsys fs.FS) (*SchemaSelector, error) {
	f, err := fsys.Open(SchemaSelectionFile)
	if err != nil {
		return nil, fmt.Errorf("abstract: schema selection: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(schemaSelectionHeader)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("abstract: %s: header: %w", SchemaSelectionFile, err)
	}
	for i, h := range schemaSelectionHeader {
		if head[i] != h {
			return nil, fmt.Errorf("abstract: %s: column %d is %q, want %q", SchemaSelectionFile, i+1, head[i], h)
		}
	}
	s := &SchemaSelector{names: map[string]string{}}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("abstract: %s: %w", SchemaSelectionFile, err)
		}
		row := schemaRow{id: rec[0]}
		if len(row.id) != 5 {
			line, _ := r.FieldPos(0)
			return nil, fmt.Errorf("abstract: %s line %d: schema id %q is not 5 characters", SchemaSelectionFile, line, row.id)
		}
		for k := range numSchemaKeys {
			if row.cells[k], err = parseValueSet(rec[3+k]); err != nil {
				line, _ := r.FieldPos(3 + k)
				return nil, fmt.Errorf("abstract: %s line %d, %s: %w", SchemaSelectionFile, line, schemaSelectionHeader[3+k], err)
			}
		}
		s.rows = append(s.rows, row)
		s.names[row.id] = rec[2]
	}
	if len(s.rows) == 0 {
		return nil, fmt.Errorf("abstract: %s: no rows", SchemaSelectionFile)
	}
	if s.sites, err = loadCodes(fsys, topographyFile); err != nil {
		return nil, err
	}
	if s.histologies, err = loadCodes(fsys, morphologyFiles...); err != nil {
		return nil, err
	}
	return s, nil
}

// loadCodes reads the first column (code) of CSV files with a header, lines of # left out.
func loadCodes(fsys fs.FS, files ...string) (map[string]bool, error) {
	codes := map[string]bool{}
	for _, file := range files {
		f, err := fsys.Open(file)
		if err != nil {
			return nil, fmt.Errorf("abstract: schema selection codes: %w", err)
		}
		r := csv.NewReader(f)
		r.Comment = '#'
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		head, err := r.Read()
		if err == nil && (len(head) == 0 || head[0] != "code") {
			err = fmt.Errorf("first column is %q, want code", head[0])
		}
		for err == nil {
			var rec []string
			if rec, err = r.Read(); err == nil {
				codes[rec[0]] = true
			}
		}
		f.Close()
		if !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("abstract: schema selection codes: %s: %w", file, err)
		}
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("abstract: schema selection codes: %v hold no codes", files)
	}
	return codes, nil
}

// Name returns the name of a schema ID ("Breast" for 00480), or "" when it is unknown.
func (s *SchemaSelector) Name(schemaID string) string {
	return s.names[schemaID]
}

// Select returns the EOD Schema ID of a tumor, or "" with the naaccrIds of the blank inputs that
// would decide it (a schema discriminator, behavior, date of diagnosis, sex assigned at birth; or
// primary site and histology themselves).
//
// A row of a schema's selection table matches when each of its cells matches the input, a blank
// input being a value like any other (so a blank year of diagnosis picks the current version of a
// schema, as the tables say with their "9999," entries). When exactly one schema matches, that is
// the answer. When none does, the rows that would match were the blank inputs filled in tell what
// is needed: C160 with 8140 and no discriminator could be Stomach or Esophagus and EGJ, so
// schemaDiscriminator1 is needed. When neither, the pair has no EOD schema ("", nil). (Two
// schemas matching one input would be an overlap in the tables; 3.3 has none, and Select would
// return "".) A primary site that is not an ICD-O-3 topography code (C000-C809) or a histology
// that is not an ICD-O-3 morphology code has no schema either, as in SEER's staging library,
// although the tables' ranges may cover it.
func (s *SchemaSelector) Select(in SchemaInput) (schemaID string, needs []string) {
	v := in.values()
	if v[keySite] == "" || v[keyHistology] == "" {
		for _, k := range []int{keySite, keyHistology} {
			if v[k] == "" {
				needs = append(needs, schemaKeyItems[k])
			}
		}
		return "", needs
	}
	if !s.sites[v[keySite]] || !s.histologies[v[keyHistology]] {
		return "", nil
	}
	var matched []string
	var missing [numSchemaKeys]bool
	for i := range s.rows {
		row := &s.rows[i]
		if !row.cells[keySite].match(v[keySite]) || !row.cells[keyHistology].match(v[keyHistology]) {
			continue
		}
		ok, exact := true, true
		var blankMiss [numSchemaKeys]bool
		for k := keyBehavior; k < numSchemaKeys; k++ {
			if row.cells[k].match(v[k]) {
				continue
			}
			if v[k] != "" {
				ok = false
				break
			}
			exact, blankMiss[k] = false, true
		}
		switch {
		case !ok:
		case exact:
			if !slices.Contains(matched, row.id) {
				matched = append(matched, row.id)
			}
		default:
			for k, m := range blankMiss {
				missing[k] = missing[k] || m
			}
		}
	}
	if len(matched) == 1 {
		return matched[0], nil
	}
	for k, m := range missing {
		if m {
			needs = append(needs, schemaKeyItems[k])
		}
	}
	return "", needs
}
