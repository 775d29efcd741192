package edits

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

// Level says what an edit looks at: one tumor with its patient, or a patient with all its tumors.
type Level string

// The levels of an edit.
const (
	LevelTumor   Level = "tumor"
	LevelPatient Level = "patient"
)

// Edit is one inter-field rule, as written in schemas/edits/*.yaml.
type Edit struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Severity    Severity `yaml:"severity"`
	Level       Level    `yaml:"level"`
	Items       []string `yaml:"items"`
	When        string   `yaml:"when"`
	Check       string   `yaml:"check"`
	Message     string   `yaml:"message"`
	Override    string   `yaml:"override"`
	// Staging, when set, makes the edit a staging edit: a built-in check of the staging engine's
	// result (staging.go) runs where the edit would run its check.
	Staging *StagingCheck `yaml:"staging"`
	// Source is the file the edit comes from, for messages.
	Source string `yaml:"-"`

	when, check *vm.Program
	// src is the expression check runs: check, or when and check as one.
	src        string
	message    []messagePart
	messageLen int // of the message's text parts
	// direct is the edit as closures on the runner's frame (direct.go), when it can be; otherwise
	// run is check rewritten to read the frame (frame.go), nil when the edit needs the map
	// environment, and guard are the leading conditions of when that run directly.
	direct   func(*frame) bool
	run      *vm.Program
	guard    []func(*frame) bool
	override int // the override item's slot, or -1
}

type messagePart struct {
	text  string
	item  string // when not empty, the part is this item's value
	param string // when not empty, the part is this value of a staging check
}

type editFile struct {
	Edits []yaml.Node `yaml:"edits"`
}

// Set is a compiled edit set with its look-up tables and the field checks.
type Set struct {
	Edits  []*Edit
	Fields *FieldChecker
	dict   *naaccr.Dictionary
	tables *lookupTables
	codes  *codes.Tables
	// items are every item an edit reads (with the override items), in a fixed order.
	items []string
	// tumorItems are the items patient-level edits may read from each tumor.
	tumorItems []string
	// slot gives the position of an item in items; readers read each slot of a frame.
	slot    map[string]int
	readers []func(any) any
	// helpers are the typed functions the programs call, with today on the set's clock.
	helpers map[string]any
	// tumorEdits and patientEdits are Edits by level, in order; stagingEdits are the staging
	// edits, run after the tumor's other edits.
	tumorEdits, patientEdits, stagingEdits []*Edit
	// staging is the staging data the staging edits run; nil leaves them out of the set.
	staging *staging.DataSet
	// rules are the field checks of every dictionary item; itemIndex finds an item's rule and slot.
	rules     []fieldRule
	itemIndex map[string]itemRef
	// now is the clock of today(); time.Now unless SetClock changed it.
	now func() time.Time
	// todayText is today() as last formatted, for the day it was.
	todayText atomic.Pointer[dayText]
}

// SetClock sets the clock that today() reads, for tests and for re-running a day's batch.
func (s *Set) SetClock(now func() time.Time) { s.now = now }

type dayText struct {
	year  int
	month time.Month
	day   int
	text  string
}

// today is the date of the clock as CCYYMMDD. Formatting a time costs more than most edits, and
// the day seldom changes: the text of the last day asked for is kept.
func (s *Set) today() string {
	t := s.now()
	y, m, d := t.Date()
	if last := s.todayText.Load(); last != nil && last.year == y && last.month == m && last.day == d {
		return last.text
	}
	text := t.Format("20060102")
	s.todayText.Store(&dayText{year: y, month: m, day: d, text: text})
	return text
}

// LoadError says where a rule file is wrong.
type LoadError struct {
	File   string
	EditID string
	Line   int
	Column int
	Msg    string
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("edits: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.EditID != "" {
		fmt.Fprintf(&b, ": edit %s", e.EditID)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads and compiles every edit in fsys's edits/*.yaml, with the look-up tables in
// edits/tables/*.csv. Any mistake (unknown item, expression that does not compile or does not
// give true or false, an item read but not listed in items, a duplicate id) stops the load with
// the file, the edit and the position. stg is the staging data the staging edits check tumors
// with; with nil the set has no staging edits (a set for tests of other edits).
func Load(fsys fs.FS, dict *naaccr.Dictionary, tables *codes.Tables, stg *staging.DataSet) (*Set, error) {
	fc, err := NewFieldChecker(tables)
	if err != nil {
		return nil, err
	}
	lt, err := loadLookupTables(fsys)
	if err != nil {
		return nil, err
	}
	s := &Set{Fields: fc, dict: dict, tables: lt, codes: tables, now: time.Now, staging: stg}
	s.helpers = typedFunctions()
	s.helpers["today"] = s.today
	files, err := fs.Glob(fsys, "edits/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("edits: %w", err)
	}
	sort.Strings(files)
	seen := map[string]string{}
	env := s.compileEnv()
	opts := s.functions()
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("edits: %w", err)
		}
		var ef editFile
		if err := yaml.Unmarshal(b, &ef); err != nil {
			return nil, &LoadError{File: f, Msg: err.Error()}
		}
		for i := range ef.Edits {
			node := &ef.Edits[i]
			var e Edit
			dec := yaml.NewDecoder(bytes.NewReader(mustMarshal(node)))
			dec.KnownFields(true)
			if err := dec.Decode(&e); err != nil {
				return nil, &LoadError{File: f, Line: node.Line, Column: node.Column, Msg: err.Error()}
			}
			e.Source = f
			if prev, dup := seen[e.ID]; dup {
				return nil, &LoadError{File: f, EditID: e.ID, Line: node.Line, Msg: "id already used in " + prev}
			}
			seen[e.ID] = f
			if e.Staging != nil && stg == nil {
				continue
			}
			if err := s.compile(&e, env, opts); err != nil {
				le := &LoadError{File: f, EditID: e.ID, Line: node.Line, Column: node.Column, Msg: err.Error()}
				var ee *exprError
				if errors.As(err, &ee) {
					// The expression's own line and column, within the file.
					le.Line = fieldLine(node, ee.field) + ee.line - 1
					le.Column, le.Msg = ee.column, ee.Error()
				}
				return nil, le
			}
			s.Edits = append(s.Edits, &e)
		}
	}
	used := map[string]bool{}
	for _, e := range s.Edits {
		for _, it := range e.Items {
			used[it] = true
		}
		if e.Override != "" {
			used[e.Override] = true
		}
	}
	for it := range used {
		s.items = append(s.items, it)
	}
	sort.Strings(s.items)
	perTumor := map[string]bool{}
	for _, e := range s.Edits {
		if e.Level == LevelPatient {
			for _, it := range e.Items {
				perTumor[it] = true
			}
		}
	}
	for it := range perTumor {
		s.tumorItems = append(s.tumorItems, it)
	}
	sort.Strings(s.tumorItems)
	s.slot = make(map[string]int, len(s.items))
	s.readers = make([]func(any) any, len(s.items))
	for i, it := range s.items {
		s.slot[it] = i
		s.readers[i] = slotReader(i)
	}
	pconf := parseConfig(env, opts)
	for _, e := range s.Edits {
		s.prepareRun(e, env, opts, pconf)
	}
	s.rules = make([]fieldRule, 0, len(dict.Items))
	s.itemIndex = make(map[string]itemRef, len(dict.Items))
	digits := map[*codes.List]*digitCodes{} // lists shared by items share their bits
	for _, def := range dict.Items {
		l, _ := tables.ForItem(def.ID)
		fr := newFieldRule(def, l)
		if l != nil && fr.short == nil {
			d, seen := digits[l]
			if !seen {
				d = newDigitCodes(l)
				digits[l] = d
			}
			fr.digits = d
		}
		if ref, dup := s.itemIndex[def.ID]; dup {
			s.rules[ref.rule] = fr // the last definition wins, as it did in a map
			continue
		}
		slot, ok := s.slot[def.ID]
		if !ok {
			slot = -1
		}
		s.itemIndex[def.ID] = itemRef{rule: len(s.rules), slot: slot}
		s.rules = append(s.rules, fr)
	}
	for i, it := range s.items {
		if _, ok := s.itemIndex[it]; !ok {
			s.itemIndex[it] = itemRef{rule: -1, slot: i} // read by an edit, without a field rule
		}
	}
	return s, nil
}

// itemRef is where an item's field rule and edit slot are (-1 when it has none).
type itemRef struct {
	rule, slot int
}

// prepareRun readies a compiled edit for the runner: the closures of the edit, or else the
// program on the frame with the guard; the override's slot and the edit's place in the list of
// its level.
func (s *Set) prepareRun(e *Edit, env map[string]any, opts []expr.Option, pconf *conf.Config) {
	e.override = -1
	if e.Override != "" {
		e.override = s.slot[e.Override]
	}
	if e.Staging != nil {
		s.stagingEdits = append(s.stagingEdits, e)
		if e.src == "" { // no when: the check always runs
			return
		}
	}
	if node := parseForDirect(e.src, pconf); node != nil {
		e.direct = s.directBool(node)
	}
	if e.direct == nil {
		e.run = s.compileFrame(e.src, env, opts)
		if node := parseForDirect(e.When, pconf); node != nil {
			e.guard = s.directGuard(node)
		}
	}
	if e.Staging != nil {
		return
	}
	if e.Level == LevelPatient {
		s.patientEdits = append(s.patientEdits, e)
	} else {
		s.tumorEdits = append(s.tumorEdits, e)
	}
}

func mustMarshal(n *yaml.Node) []byte {
	b, err := yaml.Marshal(n)
	if err != nil {
		return nil
	}
	return b
}

// fieldLine finds the line of a key (when, check) inside an edit's YAML mapping.
func fieldLine(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Style == yaml.LiteralStyle || v.Style == yaml.FoldedStyle {
				return v.Line + 1
			}
			return v.Line
		}
	}
	return n.Line
}

var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func (s *Set) compile(e *Edit, env map[string]any, opts []expr.Option) error {
	switch {
	case !idPattern.MatchString(e.ID):
		return fmt.Errorf("id %q must be letters, digits and underscores", e.ID)
	case e.Name == "":
		return fmt.Errorf("name is missing")
	case e.Check == "" && e.Staging == nil:
		return fmt.Errorf("check is missing")
	case e.Message == "":
		return fmt.Errorf("message is missing")
	case len(e.Items) == 0 && e.Staging == nil:
		return fmt.Errorf("items is empty: list the items the edit reads")
	}
	switch e.Severity {
	case SeverityError, SeverityWarning:
	default:
		return fmt.Errorf("severity %q: use error or warning", e.Severity)
	}
	switch e.Level {
	case "":
		e.Level = LevelTumor
	case LevelTumor, LevelPatient:
	default:
		return fmt.Errorf("level %q: use tumor or patient", e.Level)
	}
	for _, it := range e.Items {
		if _, ok := s.dict.Item(it); !ok {
			return fmt.Errorf("items: %q is not an item of %s", it, s.dict.URI)
		}
	}
	if e.Override != "" {
		if _, ok := s.dict.Item(e.Override); !ok {
			return fmt.Errorf("override: %q is not an item of %s", e.Override, s.dict.URI)
		}
	}
	if e.Staging != nil {
		return s.compileStagingEdit(e, env, opts)
	}
	var err error
	if e.When != "" {
		if e.when, err = s.compileExpr(e, "when", e.When, env, opts); err != nil {
			return err
		}
	}
	if e.check, err = s.compileExpr(e, "check", e.Check, env, opts); err != nil {
		return err
	}
	e.src = e.Check
	if e.when != nil {
		// Both compiled alone first, so an error names the right field; run as one program, so
		// an edit costs one pass of the VM (a third of a batch run's time went to starting runs).
		e.src = "(" + e.When + ") ? (" + e.Check + ") : true"
		if e.check, err = s.compileExpr(e, "check", e.src, env, opts); err != nil {
			return err
		}
		e.when = nil
	}
	e.message, err = s.parseMessage(e.Message, nil)
	for _, p := range e.message {
		e.messageLen += len(p.text)
	}
	return err
}

// compileStagingEdit compiles a staging edit: its staging block, its when (the program says
// when the edit is skipped) and its message, which may name the check's values.
func (s *Set) compileStagingEdit(e *Edit, env map[string]any, opts []expr.Option) error {
	if err := s.compileStaging(e); err != nil {
		return err
	}
	if e.When != "" {
		if _, err := s.compileExpr(e, "when", e.When, env, opts); err != nil {
			return err
		}
		var err error
		if e.check, err = s.compileExpr(e, "when", e.src, env, opts); err != nil {
			return err
		}
	}
	var err error
	e.message, err = s.parseMessage(e.Message, stagingParams[e.Staging.Check])
	for _, p := range e.message {
		e.messageLen += len(p.text)
	}
	return err
}

func (s *Set) compileExpr(e *Edit, field, src string, env map[string]any, opts []expr.Option) (*vm.Program, error) {
	all := append([]expr.Option{expr.Env(env), expr.AsBool()}, opts...)
	prog, err := expr.Compile(src, all...)
	if err != nil {
		ee := &exprError{field: field, msg: err.Error(), line: 1}
		var fe *file.Error
		if errors.As(err, &fe) {
			ee.msg, ee.line, ee.column = fe.Message, max(fe.Line, 1), fe.Column+1
		}
		return nil, ee
	}
	// Every item the expression reads must be listed in items, so the form can mark the fields
	// an edit concerns.
	v := &identVisitor{}
	node := prog.Node()
	ast.Walk(&node, v)
	for _, id := range v.idents {
		if _, isItem := s.dict.Item(id); isItem && !slices.Contains(e.Items, id) && id != e.Override {
			return nil, fmt.Errorf("%s reads item %s, which is not listed in items", field, id)
		}
	}
	return prog, nil
}

// exprError is an expression that does not compile, with its position inside the field.
type exprError struct {
	field        string
	msg          string
	line, column int
}

func (e *exprError) Error() string { return e.field + ": " + e.msg }

type identVisitor struct{ idents []string }

func (v *identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v.idents = append(v.idents, id.Value)
	}
}

var placeholder = regexp.MustCompile(`\{([A-Za-z][A-Za-z0-9]*)\}`)

// parseMessage splits a message template into text and item values: {primarySite} is the value
// of primarySite. params are the names of a staging check's values, which come before items.
func (s *Set) parseMessage(m string, params []string) ([]messagePart, error) {
	var parts []messagePart
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(m, -1) {
		id := m[loc[2]:loc[3]]
		if slices.Contains(params, id) {
			parts = append(parts, messagePart{text: m[last:loc[0]]}, messagePart{param: id})
			last = loc[1]
			continue
		}
		if _, ok := s.dict.Item(id); !ok {
			if params != nil {
				return nil, fmt.Errorf("message: {%s} is neither an item nor a value of the staging check (%s)", id, strings.Join(params, ", "))
			}
			return nil, fmt.Errorf("message: {%s} is not an item", id)
		}
		parts = append(parts, messagePart{text: m[last:loc[0]]}, messagePart{item: id})
		last = loc[1]
	}
	parts = append(parts, messagePart{text: m[last:]})
	return parts, nil
}

// compileEnv declares every dictionary item as a string, and the patient's tumors as a list of
// item maps, so that expressions are type-checked and a misspelt item stops the load.
func (s *Set) compileEnv() map[string]any {
	env := make(map[string]any, len(s.dict.Items)+1)
	for _, it := range s.dict.Items {
		env[it.ID] = ""
	}
	env["tumors"] = []map[string]any{}
	for name, fn := range typedFunctions() {
		env[name] = fn
	}
	return env
}
