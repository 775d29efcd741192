// Package edits checks NAACCR values: field-level validity from the dictionary and code lists
// (length, data type, allowed codes) through go-playground/validator. It knows nothing of HTTP or
// the database.
package edits

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
)

// Severity says whether a failing check blocks (error) or only informs (warning).
type Severity string

// The severities of a result.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Result is one failed check: which edit, how severe, the message for the user and the items it
// concerns (so a form can mark those fields).
type Result struct {
	EditID   string
	Severity Severity
	Message  string
	Items    []string
	// Tumor is the 0-based position of the tumor in its patient, or -1 for the patient.
	Tumor int
	// Override is the override item that would silence the edit, if it has one.
	Override string
}

// Rule names of the field-level checks, used as validator tags and as the EditID of a Result.
const (
	RuleLength   = "max"
	RuleDataType = "naaccr_type"
	RuleCode     = "naaccr_code"
)

// maxListedCodes is the longest code list whose codes an error message spells out.
const maxListedCodes = 15

// FieldChecker validates single item values against their dictionary definition and code list.
// It is safe for concurrent use.
type FieldChecker struct {
	validate *validator.Validate
	tables   *codes.Tables
	mu       sync.RWMutex
	tags     map[string]string // naaccrId → validator tag, built once per item
}

// NewFieldChecker builds a checker whose code-list validation uses tables.
func NewFieldChecker(tables *codes.Tables) (*FieldChecker, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	fc := &FieldChecker{validate: v, tables: tables, tags: map[string]string{}}
	if err := v.RegisterValidation(RuleDataType, func(fl validator.FieldLevel) bool {
		return naaccr.CheckType(naaccr.DataType(fl.Param()), fl.Field().String()) == nil
	}); err != nil {
		return nil, fmt.Errorf("edits: register %s: %w", RuleDataType, err)
	}
	if err := v.RegisterValidation(RuleCode, func(fl validator.FieldLevel) bool {
		l, ok := tables.List(fl.Param())
		return ok && l.Contains(fl.Field().String())
	}); err != nil {
		return nil, fmt.Errorf("edits: register %s: %w", RuleCode, err)
	}
	return fc, nil
}

// tag returns the validator tag for an item: blank is allowed (completeness is a separate
// question), then length, data type and, where the item has one, its code list.
func (fc *FieldChecker) tag(def *naaccr.ItemDef) string {
	fc.mu.RLock()
	t, ok := fc.tags[def.ID]
	fc.mu.RUnlock()
	if ok {
		return t
	}
	t = "omitempty," + RuleLength + "=" + strconv.Itoa(def.Length) + "," + RuleDataType + "=" + string(def.DataType)
	if l, ok := fc.tables.ForItem(def.ID); ok {
		t += "," + RuleCode + "=" + l.Name
	}
	fc.mu.Lock()
	fc.tags[def.ID] = t
	fc.mu.Unlock()
	return t
}

// Fast is the batch path of Check: the same rules in the same order and the same messages, without
// validator's reflection, which costs more than the rest of a batch run. Tests keep the two equal.
func (fc *FieldChecker) Fast(def *naaccr.ItemDef, value string) *Result {
	l, _ := fc.tables.ForItem(def.ID)
	fr := newFieldRule(def, l)
	return fc.fast(&fr, value)
}

// fieldRule is an item with its code list and message parts, prepared once per edit set. The
// fields the check reads come first and are copied out of the definition, so that checking a value
// reads one small struct.
type fieldRule struct {
	length   int
	dataType naaccr.DataType
	// text: the data type admits any characters but control characters (text, or none given).
	text    bool
	list    *codes.List
	short   []string // the codes of a list of up to maxScannedCodes, scanned rather than hashed
	digits  *digitCodes
	def     *naaccr.ItemDef
	label   string // "Primary Site [400]"
	allowed string // the codes of a short list, for messages
}

// maxScannedCodes is the longest code list whose codes a check compares one by one: for a few
// codes of a character or two that is quicker than hashing the value.
const maxScannedCodes = 8

func (fc *FieldChecker) fast(fr *fieldRule, value string) *Result {
	if value == "" {
		return nil
	}
	if rule := fr.broken(value); rule != "" {
		return fr.result(value, rule)
	}
	return nil
}

// broken returns the rule a value (not blank) breaks, or "": length, then data type, then code
// list, as the validator tag of Check has them.
func (fr *fieldRule) broken(value string) string {
	switch {
	case len(value) > fr.length && utf8.RuneCountInString(value) > fr.length:
		return RuleLength
	case !fr.typeOK(value):
		return RuleDataType
	case fr.list != nil && !fr.inList(value):
		return RuleCode
	}
	return ""
}

// typeOK is naaccr.CheckType(fr.dataType, value) == nil, with the common cases answered here:
// printable ASCII has no control characters, the only thing CheckType refuses in text; a date is
// checked without the time.Date of naaccr.ParseDate.
func (fr *fieldRule) typeOK(value string) bool {
	switch {
	case fr.text && printableASCII(value):
		return true
	case fr.dataType == naaccr.TypeDate:
		_, ok := parseDate(value)
		return ok
	}
	return naaccr.CheckType(fr.dataType, value) == nil
}

func (fr *fieldRule) inList(value string) bool {
	switch {
	case fr.short != nil:
		return slices.Contains(fr.short, value)
	case fr.digits != nil:
		return fr.digits.contains(value)
	}
	return fr.list.Contains(value)
}

// digitCodes is a code list whose codes all have the same number of digits, up to four (most
// lists of NAACCR items), as a set of bits indexed by the codes' values.
type digitCodes struct {
	width int
	bits  []uint64
}

// newDigitCodes is the set of l's codes, or nil when they are not all of width digits, up to 4.
func newDigitCodes(l *codes.List) *digitCodes {
	if len(l.Codes) == 0 {
		return nil
	}
	width := len(l.Codes[0].Code)
	if width > 4 {
		return nil
	}
	size := 1
	for range width {
		size *= 10
	}
	d := &digitCodes{width: width, bits: make([]uint64, (size+63)/64)}
	for _, c := range l.Codes {
		if len(c.Code) != width || !naaccr.IsDigits(c.Code) {
			return nil
		}
		n := toNum(c.Code)
		d.bits[n/64] |= 1 << (n % 64)
	}
	return d
}

func (d *digitCodes) contains(v string) bool {
	if len(v) != d.width || !naaccr.IsDigits(v) {
		return false
	}
	n := toNum(v)
	return d.bits[n/64]&(1<<(n%64)) != 0
}

func (fr *fieldRule) result(value, rule string) *Result {
	return &Result{EditID: "field." + rule, Severity: SeverityError, Items: []string{fr.def.ID}, Message: fr.message(value, rule)}
}

// printableASCII reports whether s is only characters from space to tilde. Text items are most
// of a record's bytes: they are tested eight bytes at a time.
func printableASCII(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte from 0x80 sets its high bit in w. When there is none, a byte below 0x20 sets a
		// high bit in w - 0x20 in each byte (the borrow it makes), and a byte 0x7f one in w + 1
		// in each byte (no byte carries into the next).
		if (w|(w-0x20*ones)|(w+ones))&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Check validates one value of an item. It returns nil when the value is valid or blank, and
// otherwise a Result whose message names the item and the rule that failed.
func (fc *FieldChecker) Check(def *naaccr.ItemDef, value string) *Result {
	err := fc.validate.Var(value, fc.tag(def))
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) == 0 {
		return &Result{EditID: "field", Severity: SeverityError, Items: []string{def.ID},
			Message: fmt.Sprintf("%s [%d]: cannot be checked: %v", def.Name, def.Number, err)}
	}
	fe := verrs[0]
	return &Result{
		EditID:   "field." + fe.Tag(),
		Severity: SeverityError,
		Items:    []string{def.ID},
		Message:  fc.message(def, value, fe.Tag()),
	}
}

func (fc *FieldChecker) message(def *naaccr.ItemDef, value, rule string) string {
	l, _ := fc.tables.ForItem(def.ID)
	fr := newFieldRule(def, l)
	return fr.message(value, rule)
}

// newFieldRule prepares what messages about an item need, once.
func newFieldRule(def *naaccr.ItemDef, l *codes.List) fieldRule {
	fr := fieldRule{
		length: def.Length, dataType: def.DataType, text: def.DataType == naaccr.TypeText || def.DataType == "",
		def: def, list: l, label: def.Name + " [" + strconv.Itoa(def.Number) + "]",
	}
	if l != nil && len(l.Codes) <= maxScannedCodes {
		fr.short = make([]string, len(l.Codes))
		for i, c := range l.Codes {
			fr.short[i] = c.Code
		}
	}
	if l != nil && len(l.Codes) <= maxListedCodes {
		allowed := make([]string, len(l.Codes))
		for i, c := range l.Codes {
			allowed[i] = c.Code
		}
		fr.allowed = strings.Join(allowed, ", ")
	}
	return fr
}

// message says why value breaks rule; it is built by concatenation because a batch run over a
// bad file writes hundreds of thousands of them. The value is quoted shortened (a text item
// holds 4000 characters, and a file's control characters come out four times as long).
func (fr *fieldRule) message(value, rule string) string {
	def := fr.def
	switch rule {
	case RuleLength:
		return fr.label + ": " + strconv.Itoa(utf8.RuneCountInString(value)) + " characters entered, the item holds at most " + strconv.Itoa(def.Length)
	case RuleDataType:
		return fr.label + ": " + excerpt.Quote(value) + " is not valid for data type " + string(def.DataType) + ": " + naaccr.CheckType(def.DataType, value).Error()
	case RuleCode:
		if fr.allowed != "" {
			return fr.label + ": " + excerpt.Quote(value) + " is not an allowed code (allowed: " + fr.allowed + ")"
		}
		return fr.label + ": " + excerpt.Quote(value) + " is not in the code list " + fr.list.Name
	}
	return fr.label + ": " + excerpt.Quote(value) + " fails rule " + rule
}
