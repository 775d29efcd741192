// Package casefinding finds the possible cases of a facility among its diagnoses, pathology
// reports and treatment encounters: it screens ICD-10-CM codes with the casefinding list
// (schemas/codes/icd10cm-casefinding.csv), reads casefinding files, matches each possible case
// to the registry's patients and tumors, and records the registrar's decisions. The lists it
// reads are data; the screening and matching know nothing of HTTP.
package casefinding

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Files of the casefinding data, in the schemas file system.
const (
	RulesFile   = "codes/icd10cm-casefinding.csv"
	SourcesFile = "codes/casefinding-sources.csv"
	ReasonsFile = "codes/casefinding-not-reportable-reasons.csv"
)

// Decision is what screening says of a code or a record.
type Decision string

const (
	Reportable    Decision = "reportable"
	NotReportable Decision = "not_reportable"
	Review        Decision = "review"
)

// rank orders decisions for a record of several codes: reportable beats review beats not
// reportable.
func (d Decision) rank() int {
	switch d {
	case Reportable:
		return 2
	case Review:
		return 1
	}
	return 0
}

// Rule is one row of the casefinding list.
type Rule struct {
	Pattern  string
	Decision Decision
	Label    string
	Note     string
	// The pattern parsed: a code (which covers the codes under it), a prefix (pattern ending
	// in *), or a range of categories.
	kind   ruleKind
	key    string // the code or prefix without dots
	lo, hi string // the categories of a range
}

type ruleKind uint8

const (
	exact ruleKind = iota
	prefix
	categories
)

// Rules is the casefinding list in its order: the first rule that matches a code decides.
type Rules struct {
	rules []Rule
}

// NotOnList is the rule of a code no row of the list matches: not reportable.
var NotOnList = Rule{Pattern: "(none)", Decision: NotReportable, Label: "Not on the casefinding list"}

// NoCodes is the rule of a record that carries no code (a pathology report found by its text):
// the registrar reads it.
var NoCodes = Rule{Pattern: "(no codes)", Decision: Review, Label: "No ICD-10-CM code: review the text"}

// LoadRules reads the casefinding list.
func LoadRules(fsys fs.FS) (*Rules, error) {
	f, err := fsys.Open(RulesFile)
	if err != nil {
		return nil, fmt.Errorf("casefinding: %w", err)
	}
	defer f.Close()
	rules, err := ParseRules(f)
	if err != nil {
		return nil, fmt.Errorf("casefinding: %s: %w", RulesFile, err)
	}
	return rules, nil
}

// ParseRules reads a casefinding list: a header `pattern,decision,label,note`, then one rule a
// row. A pattern it cannot read, or an unknown decision, is an error naming the row.
func ParseRules(r io.Reader) (*Rules, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	for i, want := range []string{"pattern", "decision", "label", "note"} {
		if strings.TrimPrefix(head[i], "\ufeff") != want {
			return nil, fmt.Errorf("column %d is %q, want %q", i+1, head[i], want)
		}
	}
	out := &Rules{}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		ru := Rule{Pattern: strings.TrimSpace(rec[0]), Decision: Decision(strings.TrimSpace(rec[1])), Label: rec[2], Note: rec[3]}
		switch ru.Decision {
		case Reportable, NotReportable, Review:
		default:
			return nil, fmt.Errorf("row %d: decision %q: want reportable, not_reportable or review", row, rec[1])
		}
		if err := ru.parse(); err != nil {
			return nil, fmt.Errorf("row %d: pattern %q: %w", row, rec[0], err)
		}
		out.rules = append(out.rules, ru)
	}
	if len(out.rules) == 0 {
		return nil, errors.New("no rules")
	}
	return out, nil
}

func (ru *Rule) parse() error {
	p := strings.ToUpper(ru.Pattern)
	switch {
	case strings.HasSuffix(p, "*"):
		ru.kind, ru.key = prefix, undot(strings.TrimSuffix(p, "*"))
		if len(ru.key) < 3 || !validCode(ru.key) {
			return errors.New("a prefix is at least a category (three characters) before the *")
		}
	case strings.Contains(p, "-"):
		lo, hi, _ := strings.Cut(p, "-")
		ru.kind, ru.lo, ru.hi = categories, strings.TrimSpace(lo), strings.TrimSpace(hi)
		if len(ru.lo) != 3 || len(ru.hi) != 3 || !validCode(ru.lo) || !validCode(ru.hi) || ru.lo > ru.hi {
			return errors.New("a range is two categories, the lower first (C00-C43)")
		}
	default:
		ru.kind, ru.key = exact, undot(p)
		if !validCode(ru.key) {
			return errors.New("not an ICD-10-CM code")
		}
	}
	return nil
}

// matches reports whether the rule covers a code (normalized, without its dot).
func (ru *Rule) matches(code string) bool {
	switch ru.kind {
	case prefix:
		return strings.HasPrefix(code, ru.key)
	case categories:
		cat := code[:3]
		return cat >= ru.lo && cat <= ru.hi
	}
	// A code stands for itself and the codes under it, as in ICD-10-CM: the row C4A covers
	// C4A.9, and the leaf D07.5 has none.
	return strings.HasPrefix(code, ru.key)
}

// Len is the number of rules.
func (rs *Rules) Len() int { return len(rs.rules) }

// Code screens one code, as NormalizeCode gives it: the first rule that matches, or NotOnList.
func (rs *Rules) Code(code string) Rule {
	key := undot(code)
	for i := range rs.rules {
		if rs.rules[i].matches(key) {
			return rs.rules[i]
		}
	}
	return NotOnList
}

// Screening is the decision on a record and what decided it: the rule and the code it matched
// ("" for NoCodes).
type Screening struct {
	Decision Decision
	Rule     Rule
	Code     string
}

// Record screens the codes of one record: reportable when any code is, else review when any
// is, else not reportable. The rule kept is that of the first code with the deciding decision.
func (rs *Rules) Record(codes []string) Screening {
	if len(codes) == 0 {
		return Screening{Decision: NoCodes.Decision, Rule: NoCodes}
	}
	var best Screening
	for i, c := range codes {
		ru := rs.Code(c)
		if i == 0 || ru.Decision.rank() > best.Decision.rank() {
			best = Screening{Decision: ru.Decision, Rule: ru, Code: c}
		}
	}
	return best
}

// NormalizeCode reads an ICD-10-CM code as a casefinding file may write it (c50.911, C50911,
// " C50.911 ") and returns it upper case with its dot after the category (C50.911), or an error
// saying why it is no code.
func NormalizeCode(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	key := undot(c)
	if len(key) < 3 || len(key) > 7 || !validCode(key) {
		return "", fmt.Errorf("%q is not an ICD-10-CM code (a letter, a digit, a digit or letter, then up to four more)", s)
	}
	if strings.Count(c, ".") > 1 || (strings.Contains(c, ".") && strings.Index(c, ".") != 3) {
		return "", fmt.Errorf("%q: the dot of an ICD-10-CM code comes after its first three characters", s)
	}
	if len(key) == 3 {
		return key, nil
	}
	return key[:3] + "." + key[3:], nil
}

func undot(s string) string { return strings.ReplaceAll(s, ".", "") }

// validCode: a letter, a digit, then letters and digits (no dot).
func validCode(s string) bool {
	if len(s) < 3 {
		return false
	}
	if s[0] < 'A' || s[0] > 'Z' || s[1] < '0' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
