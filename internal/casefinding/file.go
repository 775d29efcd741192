package casefinding

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/cara-registry/cara/internal/identity"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/excerpt"
)

// The columns of a casefinding file. The header must name each of Columns; OptionalColumns
// may be there; any other column is ignored and named in the summary.
var (
	Columns         = []string{"mrn", "last_name", "first_name", "date_of_birth", "sex", "encounter_date", "icd10cm_codes"}
	OptionalColumns = []string{"source", "text"}
)

// Widths of the values, those of the NAACCR items they become (Medical Record Number [2300],
// Name--Last [2230], Name--First [2240]) and of the text kept.
const (
	maxMRN   = 15
	maxName  = 40
	maxText  = 10000
	maxCodes = 40
)

// Row is one possible case read from a casefinding file, normalized: dates CCYYMMDD, sex as
// the code of Sex Assigned at Birth [225] (1, 2, 9 or ""), codes as NormalizeCode gives them.
type Row struct {
	Row          int // the line of the file the row starts on, the header's being 1
	MRN          string
	NameLast     string
	NameFirst    string
	DateOfBirth  string
	Sex          string
	FirstContact string // the encounter date
	Codes        []string
	Source       string // a Source key
	Text         string
}

// Key is the row's natural key: the SHA-256 of its normalized values. The same row in a later
// file has the same key, whatever the order of its codes or the case of its names.
func (r *Row) Key() string {
	codes := slices.Clone(r.Codes)
	slices.Sort(codes)
	h := sha256.New()
	for _, v := range []string{r.Source, strings.ToUpper(r.MRN), strings.ToUpper(r.NameLast), strings.ToUpper(r.NameFirst),
		r.DateOfBirth, r.Sex, r.FirstContact, strings.Join(codes, ";"), strings.Join(strings.Fields(r.Text), " ")} {
		h.Write([]byte(v))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RowError is a row refused: which row and column, the value and why. Column is "" when the
// row as a whole is wrong (a field too many).
type RowError struct {
	Row    int
	Column string
	Value  string
	Reason string
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("row %d, column %s: %s: %s", e.Row, e.Column, excerpt.Quote(e.Value), e.Reason)
}

// Parsed is what a casefinding file held: the good rows, the refused ones, and the columns
// ignored.
type Parsed struct {
	Rows    []Row
	Errors  []RowError
	Ignored []string
	Read    int // data rows read, good and bad
}

// maxRowErrors caps the errors kept of one file: a file of the wrong kind is not worth 50,000.
const maxRowErrors = 1000

// ParseFile reads a casefinding file: CSV with a header row. A row with a bad value is refused
// with the reason and the other rows are kept; the error returned is for a file that cannot be
// read at all (no header, a required column missing). defaultSource is the Source of rows
// without one; today is the date no encounter may follow.
func (l *Lists) ParseFile(r io.Reader, defaultSource string, today time.Time) (*Parsed, error) {
	def, ok := l.SourceOf(defaultSource)
	if !ok {
		return nil, fmt.Errorf("casefinding: unknown source %s (known: %s)", excerpt.Quote(defaultSource), l.sourceKeys())
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("casefinding: the file is empty: it needs a header row naming " + strings.Join(Columns, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("casefinding: header row: %w", err)
	}
	col := map[string]int{}
	out := &Parsed{}
	for i, h := range head {
		name := sourceKey(strings.TrimPrefix(strings.TrimSpace(h), "\ufeff"))
		if _, dup := col[name]; dup {
			return nil, fmt.Errorf("casefinding: header row: column %s is named twice", excerpt.Quote(h))
		}
		if slices.Contains(Columns, name) || slices.Contains(OptionalColumns, name) {
			col[name] = i
		} else {
			col[name] = -1 - i
			out.Ignored = append(out.Ignored, strings.TrimSpace(h))
		}
	}
	var missing []string
	for _, c := range Columns {
		if i, ok := col[c]; !ok || i < 0 {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("casefinding: header row: no column %s (the header must name %s; source and text are optional)",
			strings.Join(missing, ", "), strings.Join(Columns, ", "))
	}
	width := len(head)
	todayS := today.Format("20060102")
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		out.Read++
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("casefinding: after row %d: %w", out.Read, err)
			}
			out.addError(RowError{Row: pe.StartLine, Reason: "not CSV: " + pe.Err.Error()})
			continue
		}
		// A row is numbered by the line it starts on, as an editor or a spreadsheet shows it
		// (the csv reader skips blank lines; a quoted value may span lines).
		rowNo, _ := cr.FieldPos(0)
		if len(rec) != width {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				out.Read-- // a blank line
				continue
			}
			out.addError(RowError{Row: rowNo, Reason: fmt.Sprintf("%d fields, the header has %d", len(rec), width)})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i >= 0 {
				return rec[i]
			}
			return ""
		}
		row, errs := l.parseRow(rowNo, get, def, todayS)
		if len(errs) > 0 {
			for _, e := range errs {
				out.addError(e)
			}
			continue
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

func (p *Parsed) addError(e RowError) {
	if len(p.Errors) < maxRowErrors {
		p.Errors = append(p.Errors, e)
	}
}

// parseRow checks and normalizes one row; every bad value of the row is reported.
func (l *Lists) parseRow(rowNo int, get func(string) string, def *Source, today string) (Row, []RowError) {
	var errs []RowError
	bad := func(column, value, reason string) {
		errs = append(errs, RowError{Row: rowNo, Column: column, Value: value, Reason: reason})
	}
	text := func(column string, max int, required bool) string {
		v := get(column)
		if !utf8.ValidString(v) {
			bad(column, v, "not UTF-8 text")
			return ""
		}
		if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) {
			bad(column, v, "holds a control character")
			return ""
		}
		if column != "text" {
			v = strings.Join(strings.Fields(v), " ")
		} else {
			v = strings.TrimSpace(v)
		}
		switch n := utf8.RuneCountInString(v); {
		case required && n == 0:
			bad(column, v, "required")
		case n > max:
			bad(column, v, fmt.Sprintf("up to %d characters; got %d", max, n))
		}
		return v
	}
	row := Row{Row: rowNo}
	row.MRN = text("mrn", maxMRN, true)
	row.NameLast = text("last_name", maxName, true)
	row.NameFirst = text("first_name", maxName, false)
	row.Text = text("text", maxText, false)
	var ok bool
	if v := get("date_of_birth"); strings.TrimSpace(v) != "" {
		if row.DateOfBirth, ok = identity.ParseDate(v); !ok {
			bad("date_of_birth", v, "not a date (CCYYMMDD, CCYY-MM-DD or MM/DD/CCYY)")
		} else if row.DateOfBirth > today {
			bad("date_of_birth", v, "after today")
		}
	}
	if v := get("encounter_date"); strings.TrimSpace(v) == "" {
		bad("encounter_date", v, "required: the date of first contact")
	} else if row.FirstContact, ok = identity.ParseDate(v); !ok {
		bad("encounter_date", v, "not a date (CCYYMMDD, CCYY-MM-DD or MM/DD/CCYY)")
	} else if row.FirstContact > today {
		bad("encounter_date", v, "after today")
	} else if row.DateOfBirth != "" && row.FirstContact < row.DateOfBirth {
		bad("encounter_date", v, "before the date of birth "+row.DateOfBirth)
	}
	if v := get("sex"); true {
		if row.Sex, ok = identity.ParseSex(v); !ok {
			bad("sex", v, "use M, F or U (or the codes 1, 2, 9)")
		}
	}
	if v := get("icd10cm_codes"); strings.TrimSpace(v) != "" {
		for _, c := range strings.Split(v, ";") {
			if strings.TrimSpace(c) == "" {
				continue
			}
			n, err := NormalizeCode(c)
			if err != nil {
				bad("icd10cm_codes", v, err.Error())
				break
			}
			if !slices.Contains(row.Codes, n) {
				row.Codes = append(row.Codes, n)
			}
		}
		if len(row.Codes) > maxCodes {
			bad("icd10cm_codes", v, fmt.Sprintf("up to %d codes; got %d", maxCodes, len(row.Codes)))
		}
	}
	row.Source = def.Key
	if v := strings.TrimSpace(get("source")); v != "" {
		if s, ok := l.SourceOf(v); ok {
			row.Source = s.Key
		} else {
			bad("source", v, "not a source cara knows: "+l.sourceKeys())
		}
	}
	return row, errs
}

func (l *Lists) sourceKeys() string {
	keys := make([]string, len(l.Sources))
	for i, s := range l.Sources {
		keys[i] = s.Key
	}
	return strings.Join(keys, ", ")
}
