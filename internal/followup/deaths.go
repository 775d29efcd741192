package followup

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/cara-registry/cara/internal/identity"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/store"
)

// Death is one good row of a state death file.
type Death struct {
	Row                 int // the row in the file, the header being row 1
	LastName, FirstName string
	DateOfBirth         string // CCYYMMDD
	Sex                 string // NAACCR Sex Assigned at Birth code: 1 male, 2 female, 9 unknown
	SSNLast4            string // "" when the file has none
	DateOfDeath         string // CCYYMMDD
	UnderlyingCause     string // ICD-10 without the dot, as Cause of Death (#1910) holds it
}

// RowError is one bad row of a death file: where and why. The row's other cells are not used.
type RowError struct {
	Row    int
	Column string
	Reason string
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, e.Column, e.Reason)
}

// DeathFile is a death file read: its good rows, its bad ones, and the columns it has that are
// not read.
type DeathFile struct {
	Deaths  []Death
	Errors  []RowError
	Ignored []string
}

// deathColumns are the columns a death file must have; ssn_last4 may be missing.
var deathColumns = []string{"last_name", "first_name", "date_of_birth", "sex", "date_of_death", "underlying_cause"}

// ErrDeathFile is a file that cannot be read at all (no header, a required column missing).
var ErrDeathFile = errors.New("followup: death file")

// maxDeathRows bounds a file, so that an upload cannot hold the server's memory.
const maxDeathRows = 200_000

var icd10 = regexp.MustCompile(`^[A-Z][0-9]{2}[0-9A-Z]?$`)

// ParseDeaths reads a state death file: CSV with a header row naming at least deathColumns (in
// any order, any case; ssn_last4 too when the state gives it). A bad row is reported with its
// row, column and reason, and the good rows are kept.
func ParseDeaths(r io.Reader, today time.Time) (*DeathFile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%w: the file is empty: it needs a header row naming %s", ErrDeathFile, strings.Join(deathColumns, ", "))
		}
		return nil, fmt.Errorf("%w: header row: %v", ErrDeathFile, err)
	}
	col := map[string]int{}
	out := &DeathFile{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%w: column %s is named twice", ErrDeathFile, excerpt.Quote(h))
		}
		col[h] = i
		if !slices.Contains(deathColumns, h) && h != "ssn_last4" {
			out.Ignored = append(out.Ignored, h)
		}
	}
	var missing []string
	for _, c := range deathColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: the header lacks the column(s) %s", ErrDeathFile, strings.Join(missing, ", "))
	}
	todayS := today.Format("20060102")
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != csv.ErrQuote && pe.Err != csv.ErrBareQuote {
				return out, fmt.Errorf("%w: %v", ErrDeathFile, err)
			}
			// A quote out of place spoils one row; the reader goes on with the next line.
			out.Errors = append(out.Errors, RowError{Row: row, Reason: "not a well-formed CSV row: " + excerpt.Clip(err.Error())})
			continue
		}
		if row > maxDeathRows+1 {
			return out, fmt.Errorf("%w: more than %d rows: split the file", ErrDeathFile, maxDeathRows)
		}
		cell := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		d, rerr := parseDeath(row, cell, todayS)
		if rerr != nil {
			out.Errors = append(out.Errors, *rerr)
			continue
		}
		out.Deaths = append(out.Deaths, d)
	}
	return out, nil
}

func parseDeath(row int, cell func(string) string, today string) (Death, *RowError) {
	bad := func(c, reason string) (Death, *RowError) {
		return Death{}, &RowError{Row: row, Column: c, Reason: reason}
	}
	d := Death{Row: row, LastName: cell("last_name"), FirstName: cell("first_name")}
	for _, c := range []struct{ name, v string }{{"last_name", d.LastName}, {"first_name", d.FirstName}} {
		switch {
		case c.v == "":
			return bad(c.name, "empty: the name is needed to match the patient")
		case !utf8.ValidString(c.v):
			return bad(c.name, "not UTF-8 text")
		case utf8.RuneCountInString(c.v) > 40:
			return bad(c.name, "longer than 40 characters")
		}
	}
	var ok bool
	if d.DateOfBirth, ok = identity.ParseDate(cell("date_of_birth")); !ok {
		return bad("date_of_birth", fmt.Sprintf("%s is not a date (CCYYMMDD, CCYY-MM-DD or MM/DD/CCYY)", excerpt.Quote(cell("date_of_birth"))))
	}
	if d.DateOfDeath, ok = identity.ParseDate(cell("date_of_death")); !ok {
		return bad("date_of_death", fmt.Sprintf("%s is not a date (CCYYMMDD, CCYY-MM-DD or MM/DD/CCYY)", excerpt.Quote(cell("date_of_death"))))
	}
	if d.DateOfDeath < d.DateOfBirth {
		return bad("date_of_death", "before the date of birth")
	}
	if d.DateOfDeath > today {
		return bad("date_of_death", "in the future")
	}
	if d.Sex, ok = identity.ParseSex(cell("sex")); !ok {
		return bad("sex", fmt.Sprintf("%s is not a sex (1 or M, 2 or F, 9 or U)", excerpt.Quote(cell("sex"))))
	}
	if d.Sex == "" {
		d.Sex = "9" // unknown: a death file's blank sex neither adds to nor takes from a match
	}
	if s := cell("ssn_last4"); s != "" {
		if len(s) != 4 || strings.Trim(s, "0123456789") != "" {
			return bad("ssn_last4", fmt.Sprintf("%s is not four digits", excerpt.Quote(s)))
		}
		d.SSNLast4 = s
	}
	cause := strings.ToUpper(strings.ReplaceAll(cell("underlying_cause"), ".", ""))
	if !icd10.MatchString(cause) {
		return bad("underlying_cause", fmt.Sprintf("%s is not an ICD-10 code (such as C34.9)", excerpt.Quote(cell("underlying_cause"))))
	}
	d.UnderlyingCause = cause
	return d, nil
}

// Candidate is a living patient a death may be, with the match's score and its reasons.
type Candidate struct {
	Patient store.Patient
	Score   int
	Reasons []string
}

// DeathMatch is one death with its candidates, best first.
type DeathMatch struct {
	Death      Death
	Candidates []Candidate
}

// MinScore is the least score a candidate is shown with; LikelyScore makes it a likely match.
const (
	MinScore    = 50
	LikelyScore = 80
)

// MatchDeaths matches each death of a file with the living patients in scope (same date of birth
// or same last name), scoring names, date of birth, sex and the last four digits of the social
// security number. It reads the candidates in a few queries for the whole file, and is audited.
func (s *Service) MatchDeaths(ctx context.Context, a Actor, sc store.Scope, deaths []Death) ([]DeathMatch, error) {
	var dobs, names []string
	for _, d := range deaths {
		dobs = append(dobs, d.DateOfBirth)
		names = append(names, d.LastName)
	}
	slices.Sort(dobs)
	slices.Sort(names)
	pats, err := s.store.LivingPatients(ctx, sc, slices.Compact(dobs), slices.Compact(names))
	if err != nil {
		return nil, err
	}
	out := make([]DeathMatch, len(deaths))
	matched := 0
	for i, d := range deaths {
		out[i].Death = d
		for _, p := range pats {
			if c := score(d, p); c.Score >= MinScore {
				out[i].Candidates = append(out[i].Candidates, c)
			}
		}
		slices.SortStableFunc(out[i].Candidates, func(x, y Candidate) int { return y.Score - x.Score })
		if len(out[i].Candidates) > 0 {
			matched++
		}
	}
	if err := s.store.Audit(ctx, store.AuditEntry{
		UserID: actorUser(a), Action: audit.FollowUpDeaths, Entity: "facility", EntityID: scopeID(sc),
		Details: map[string]any{"deaths": len(deaths), "matched": matched}, RemoteAddr: a.RemoteAddr,
	}); err != nil {
		return nil, err
	}
	return out, nil
}

func score(d Death, p store.Patient) Candidate {
	c := Candidate{Patient: p}
	add := func(n int, reason string) {
		c.Score += n
		c.Reasons = append(c.Reasons, fmt.Sprintf("%+d %s", n, reason))
	}
	switch pl := p.NameLast; {
	case strings.EqualFold(pl, d.LastName):
		add(35, "same last name")
	case identity.Soundex(pl) == identity.Soundex(d.LastName):
		add(20, "last name sounds alike ("+pl+")")
	}
	switch pf := p.NameFirst; {
	case strings.EqualFold(pf, d.FirstName):
		add(20, "same first name")
	case pf != "" && strings.EqualFold(pf[:1], d.FirstName[:1]):
		add(8, "same first initial ("+pf+")")
	}
	switch dob := p.DateOfBirth; {
	case dob == d.DateOfBirth:
		add(30, "same date of birth")
	case len(dob) == 8 && dob[:4] == d.DateOfBirth[:4] && dob[4:6] == d.DateOfBirth[6:8] && dob[6:8] == d.DateOfBirth[4:6]:
		add(20, "date of birth with month and day swapped ("+dob+")")
	case len(dob) >= 4 && dob[:4] == d.DateOfBirth[:4]:
		add(5, "same year of birth ("+dob+")")
	}
	if sex := p.Items["sexAssignedAtBirth"]; sex != "" && sex != "9" && d.Sex != "9" {
		if sex == d.Sex {
			add(5, "same sex")
		} else {
			add(-15, "different sex")
		}
	}
	if ssn := p.Items["socialSecurityNumber"]; len(ssn) == 9 && ssn != "999999999" && d.SSNLast4 != "" {
		if ssn[5:] == d.SSNLast4 {
			add(30, "same last four digits of the SSN")
		} else {
			add(-40, "different last four digits of the SSN")
		}
	}
	return c
}

// ConfirmDeath records a death the registrar confirmed as a follow-up of the patient, through
// the case service (RecordFollowUp): vital status dead, the date of death as the date of last
// contact, the underlying cause as the cause of death, follow-up source 7 (death certificate).
// form is the follow-up form's section.
func (s *Service) ConfirmDeath(ctx context.Context, a Actor, form *abstract.Section, d Death, patientID uint) (*Recorded, error) {
	if s.recorder == nil {
		return nil, fmt.Errorf("followup: confirm death: no case service")
	}
	cs, err := s.recorder.OpenPatient(ctx, a, patientID)
	if err != nil {
		return nil, err
	}
	in := Record{
		TumorID: cs.Tumors[0].ID, Section: form, PatientVersion: cs.Patient.Version, TumorVersions: map[uint]int64{},
		Entered: map[string]string{"vitalStatus": "0", "dateOfLastContact": d.DateOfDeath, "causeOfDeath": d.UnderlyingCause,
			"icdRevisionNumber": "1", "followUpSource": "7"},
		Comment: fmt.Sprintf("death clearance: state death file row %d", d.Row), Source: "death clearance",
	}
	for _, t := range cs.Tumors {
		in.TumorVersions[t.ID] = t.Version
	}
	return s.recorder.RecordFollowUp(ctx, a, in)
}

// DeathColumns are the columns of a death file, the optional ssn_last4 last: what a confirmation
// form carries of a death, read back by DeathFromFields.
var DeathColumns = append(slices.Clone(deathColumns), "ssn_last4")

// DeathFromFields reads one death from its columns' values (a confirmation form posting back a
// row of a file), with the checks of a file's row.
func DeathFromFields(row int, values map[string]string, today time.Time) (Death, error) {
	d, rerr := parseDeath(row, func(c string) string { return strings.TrimSpace(values[c]) }, today.Format("20060102"))
	if rerr != nil {
		return Death{}, *rerr
	}
	return d, nil
}

// Fields are a death's values by column, as DeathFromFields reads them.
func (d Death) Fields() map[string]string {
	sex := map[string]string{"1": "M", "2": "F"}[d.Sex]
	return map[string]string{"last_name": d.LastName, "first_name": d.FirstName, "date_of_birth": d.DateOfBirth,
		"sex": sex, "date_of_death": d.DateOfDeath, "underlying_cause": d.UnderlyingCause, "ssn_last4": d.SSNLast4}
}
