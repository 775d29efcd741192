// Package edits checks NAACCR values: field-level validity from the dictionary and code lists
// (length, data type, allowed codes) through go-playground/validator. It knows nothing of HTTP or
// the database.
package edits

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/cara-registry/cara/internal/codes"
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
	return fc.fast(newFieldRule(def, l), value)
}

// fieldRule is an item with its code list and message parts, prepared once per edit set.
type fieldRule struct {
	def     *naaccr.ItemDef
	list    *codes.List
	label   string // "Primary Site [400]"
	allowed string // the codes of a short list, for messages
}

func (fc *FieldChecker) fast(fr fieldRule, value string) *Result {
	def := fr.def
	if value == "" {
		return nil
	}
	rule := ""
	switch {
	case len(value) > def.Length && utf8.RuneCountInString(value) > def.Length:
		rule = RuleLength
	case naaccr.CheckType(def.DataType, value) != nil:
		rule = RuleDataType
	case fr.list != nil && !fr.list.Contains(value):
		rule = RuleCode
	}
	if rule == "" {
		return nil
	}
	return &Result{EditID: "field." + rule, Severity: SeverityError, Items: []string{def.ID}, Message: fr.message(value, rule)}
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
	return newFieldRule(def, l).message(value, rule)
}

// newFieldRule prepares what messages about an item need, once.
func newFieldRule(def *naaccr.ItemDef, l *codes.List) fieldRule {
	fr := fieldRule{def: def, list: l, label: def.Name + " [" + strconv.Itoa(def.Number) + "]"}
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
// bad file writes hundreds of thousands of them.
func (fr fieldRule) message(value, rule string) string {
	def := fr.def
	switch rule {
	case RuleLength:
		return fr.label + ": " + strconv.Itoa(utf8.RuneCountInString(value)) + " characters entered, the item holds at most " + strconv.Itoa(def.Length)
	case RuleDataType:
		return fr.label + ": " + strconv.Quote(value) + " is not valid for data type " + string(def.DataType) + ": " + naaccr.CheckType(def.DataType, value).Error()
	case RuleCode:
		if fr.allowed != "" {
			return fr.label + ": " + strconv.Quote(value) + " is not an allowed code (allowed: " + fr.allowed + ")"
		}
		return fr.label + ": " + strconv.Quote(value) + " is not in the code list " + fr.list.Name
	}
	return fr.label + ": " + strconv.Quote(value) + " fails rule " + rule
}
