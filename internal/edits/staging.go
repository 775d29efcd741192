package edits

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/staging"
)

// The staging edits: an edit whose YAML has a staging: block runs one of the built-in checks below
// on the staging engine's result for the tumor, instead of an expression. Which checks run, their
// severity, when they apply and their messages are data (schemas/edits/staging.yaml); the engine
// runs once per tumor, when the first staging edit that applies needs it, and its result is shared
// by the others.

// StagingCheck is the staging: block of an edit.
type StagingCheck struct {
	// Check names the built-in check: errors, disagrees or needs_input.
	Check string `yaml:"check"`
	// Errors are the engine's error types the errors check reports (invalid_required_input, ...).
	Errors []string `yaml:"errors"`
	// Output and Item are what the disagrees check compares: the output key the engine derives
	// (ss2018_derived) and the item the registrar records (summaryStage2018).
	Output string `yaml:"output"`
	Item   string `yaml:"item"`
}

// The built-in staging checks.
const (
	// StagingErrors gives one result per error of the engine of the listed types.
	StagingErrors = "errors"
	// StagingDisagrees fails when the recorded item and the derived output are both known and differ.
	StagingDisagrees = "disagrees"
	// StagingNeedsInput fails when the site and histology fit several schemas and a blank
	// discriminator decides.
	StagingNeedsInput = "needs_input"
)

// stagingParams are the values a staging edit's message may name, by check; an item's value is
// named by its naaccrId as in any edit.
var stagingParams = map[string][]string{
	StagingErrors:     {"item", "itemId", "value", "schema", "table", "codes", "message"},
	StagingDisagrees:  {"item", "output", "derived", "inputs", "schema"},
	StagingNeedsInput: {"needs", "candidates", "why"},
}

// stagingErrorTypes are the error types an errors check may list.
var stagingErrorTypes = []staging.ErrorType{
	staging.InvalidRequiredInput, staging.InvalidNonRequiredInput, staging.MatchNotFound,
	staging.StagingError, staging.InvalidOutput, staging.InfiniteLoop,
}

// isInputError: the error is an input not valid for its schema.
func isInputError(t staging.ErrorType) bool {
	return t == staging.InvalidRequiredInput || t == staging.InvalidNonRequiredInput
}

// compileStaging checks a staging edit's block against the dictionary and the staging data.
func (s *Set) compileStaging(e *Edit) error {
	c := e.Staging
	if e.Check != "" {
		return fmt.Errorf("check: a staging edit runs its staging check; put a condition in when")
	}
	if e.Level != LevelTumor {
		return fmt.Errorf("level %s: staging edits are tumor-level", e.Level)
	}
	if e.When == "" && len(e.Items) > 0 {
		return fmt.Errorf("items: a staging edit lists the items its when reads, and it has no when")
	}
	switch c.Check {
	case StagingErrors:
		if len(c.Errors) == 0 {
			return fmt.Errorf("staging: errors: list the error types to report (%s)", joinTypes())
		}
		for _, t := range c.Errors {
			if !slices.Contains(stagingErrorTypes, staging.ErrorType(t)) {
				return fmt.Errorf("staging: errors: %q is not an error type of the engine (%s)", t, joinTypes())
			}
		}
	case StagingDisagrees:
		if _, ok := s.dict.Item(c.Item); !ok {
			return fmt.Errorf("staging: item: %q is not an item of %s", c.Item, s.dict.URI)
		}
		if !s.hasOutput(c.Output) {
			return fmt.Errorf("staging: output: no schema of the staging data derives %q", c.Output)
		}
	case StagingNeedsInput:
	default:
		return fmt.Errorf("staging: check %q: use %s, %s or %s", c.Check, StagingErrors, StagingDisagrees, StagingNeedsInput)
	}
	if e.When != "" {
		// The program says whether the edit is skipped, as any edit's check says whether it
		// passes: the runner then runs the staging check only where when holds.
		e.src = "!(" + e.When + ")"
	}
	return nil
}

func joinTypes() string {
	names := make([]string, len(stagingErrorTypes))
	for i, t := range stagingErrorTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func (s *Set) hasOutput(key string) bool {
	for _, sc := range s.staging.Schemas {
		for _, o := range sc.Outputs {
			if o.Key == key {
				return true
			}
		}
	}
	return false
}

// stageRun is a runner's staging of the current tumor, made when a staging edit first needs it.
type stageRun struct {
	gen uint64 // the frame's gen it was made for
	res *staging.Result
}

// stage returns the engine's result for the frame's tumor, staging it the first time it is asked.
func (r *Runner) stage() *staging.Result {
	if r.staged.res == nil || r.staged.gen != r.f.gen {
		r.staged.res = r.set.staging.Derive(r.record, r.set.now().Year())
		r.staged.gen = r.f.gen
	}
	return r.staged.res
}

// recordItem reads an item of the frame's tumor, then of its patient, as staging reads a record.
func (r *Runner) recordItem(id string) string { return lookup(r.f.patient, r.f.tumor, id) }

// stagingEdits runs the staging edits on the frame's tumor.
func (r *Runner) stagingEdits(tumorIndex int, out []Result) ([]Result, error) {
	for _, e := range r.set.stagingEdits {
		if e.override >= 0 && r.f.str(e.override) == "1" {
			continue
		}
		if e.src != "" {
			skip, err := r.passes(e)
			if err != nil {
				return out, err
			}
			if skip {
				continue
			}
		}
		out = r.set.stagingCheck(e, r.stage(), r.f.patient, r.f.tumor, tumorIndex, out)
	}
	return out, nil
}

// stagingCheck appends the results of one staging edit on a staged tumor.
func (s *Set) stagingCheck(e *Edit, res *staging.Result, patient, tumor map[string]string, tumorIndex int, out []Result) []Result {
	c := e.Staging
	d := s.staging
	add := func(items []string, params map[string]string) {
		out = append(out, Result{EditID: e.ID, Severity: e.Severity, Items: items, Tumor: tumorIndex,
			Message: e.renderWith(patient, tumor, params), Override: e.Override})
	}
	switch c.Check {
	case StagingErrors:
		inputErrors := slices.ContainsFunc(res.Errors, func(x staging.Error) bool { return isInputError(x.Type) })
		for _, x := range res.Errors {
			if !slices.Contains(c.Errors, string(x.Type)) {
				continue
			}
			// A year of diagnosis outside the schema's years is the schema not applying, not a
			// wrong code; the date edits speak of impossible dates.
			if res.Status == staging.InvalidYear && x.Key == staging.KeyYearDx {
				continue
			}
			// A table with no row for an invalid input follows from it: the input's edit says
			// what to fix.
			if !isInputError(x.Type) && inputErrors {
				continue
			}
			p := map[string]string{"value": quoted(x.Value), "table": x.Table, "message": x.Message, "schema": schemaName(res.Schema)}
			var items []string
			if in, ok := schemaInput(res.Schema, x.Key); ok && isInputError(x.Type) {
				p["item"], p["itemId"] = s.itemLabel(in.NAACCRXMLID, in.Name, in.NAACCRItem), in.NAACCRXMLID
				p["codes"] = codeList(d.Codes(in), x.Table)
				items = []string{in.NAACCRXMLID}
			} else {
				items = s.tableItems(x)
				labels := make([]string, len(items))
				for i, id := range items {
					labels[i] = s.itemLabel(id, id, 0)
				}
				p["itemId"], p["item"] = strings.Join(items, ", "), strings.Join(labels, ", ")
			}
			add(items, p)
		}
	case StagingDisagrees:
		if res.Status != staging.Staged {
			return out
		}
		recorded := strings.TrimSpace(lookup(patient, tumor, c.Item))
		derived := res.Outputs[c.Output]
		if recorded == "" || derived == "" || recorded == derived {
			return out
		}
		items := []string{c.Item}
		var from []string
		for _, in := range d.InputsOf(res.Schema, c.Output) {
			from = append(from, s.itemName(in.NAACCRXMLID, in.Name)+" "+quoted(res.Input(in.Key)))
			if in.NAACCRXMLID != "" && !slices.Contains(items, in.NAACCRXMLID) {
				items = append(items, in.NAACCRXMLID)
			}
		}
		output := c.Output
		for _, o := range res.Schema.Outputs {
			if o.Key == c.Output {
				output = s.itemLabel(o.NAACCRXMLID, o.Name, o.NAACCRItem)
			}
		}
		def, _ := s.dict.Item(c.Item)
		add(items, map[string]string{
			"item": s.itemLabel(c.Item, c.Item, def.Number), "output": output, "derived": derived,
			"inputs": strings.Join(from, ", "), "schema": schemaName(res.Schema),
		})
	case StagingNeedsInput:
		sel := res.Selection
		if res.Status != staging.NeedsInput || len(sel.Candidates) == 0 || len(sel.Needs) == 0 {
			return out
		}
		var items, needs, names []string
		for _, k := range sel.Needs {
			id := d.ItemOf(k)
			if id == "" {
				needs = append(needs, k)
				continue
			}
			items = append(items, id)
			needs = append(needs, s.itemLabel(id, k, 0))
		}
		for _, sc := range sel.Candidates {
			names = append(names, sc.Name)
		}
		values := d.SelectionValues(s.recordOf(patient, tumor))
		why := sel.Describe(values, func(k string) string {
			if id := d.ItemOf(k); id != "" {
				return s.itemLabel(id, k, 0)
			}
			return k
		})
		add(items, map[string]string{"needs": strings.Join(needs, " and "), "candidates": strings.Join(names, " or "), "why": why})
	}
	return out
}

func (s *Set) recordOf(patient, tumor map[string]string) staging.Record {
	return func(id string) string { return lookup(patient, tumor, id) }
}

// tableItems are the items a mapping error concerns: the input's, or those the table reads.
func (s *Set) tableItems(x staging.Error) []string {
	if x.Item != "" {
		return []string{x.Item}
	}
	var items []string
	if t := s.staging.Tables[x.Table]; t != nil {
		for _, c := range t.Definition {
			if c.Type != staging.ColumnInput {
				continue
			}
			if id := s.staging.ItemOf(c.Key); id != "" && !slices.Contains(items, id) {
				items = append(items, id)
			}
		}
	}
	return items
}

// itemName is an item's NAACCR name, or fallback when the dictionary lacks it.
func (s *Set) itemName(id, fallback string) string {
	if def, ok := s.dict.Item(id); ok && def.Name != "" {
		return def.Name
	}
	return fallback
}

// itemLabel is an item as messages name it: "HER2 Overall Summary [3855]".
func (s *Set) itemLabel(id, fallback string, number int) string {
	if def, ok := s.dict.Item(id); ok {
		if def.Name != "" {
			fallback = def.Name
		}
		number = def.Number
	}
	if number > 0 {
		return fallback + " [" + strconv.Itoa(number) + "]"
	}
	return fallback
}

func schemaInput(sc *staging.Schema, key string) (staging.Input, bool) {
	if sc == nil {
		return staging.Input{}, false
	}
	for _, in := range sc.Inputs {
		if in.Key == key {
			return in, true
		}
	}
	return staging.Input{}, false
}

func schemaName(sc *staging.Schema) string {
	if sc == nil {
		return "(none)"
	}
	return sc.Name
}

func quoted(v string) string {
	if v == "" {
		return "(blank)"
	}
	return strconv.Quote(excerpt.Clip(v))
}

// The bounds of a code list in a message: a short table is listed with what its codes mean, a long
// one by its first codes (runs of consecutive codes as ranges) and the table to look in.
const (
	describedCodes = 6
	listedCodes    = 10
	meaningLen     = 40
)

// codeList says which codes an input's table accepts, as the fix of an invalid code.
func codeList(codes []staging.Code, table string) string {
	if len(codes) == 0 {
		return "the codes of table " + table
	}
	if len(codes) <= describedCodes {
		parts := make([]string, len(codes))
		for i, c := range codes {
			parts[i] = codeValue(c.Value)
			if m := meaning(c.Description); m != "" {
				parts[i] += " (" + m + ")"
			}
		}
		return strings.Join(parts, ", ")
	}
	var vals []string
	for _, c := range codes {
		vals = append(vals, codeValue(c.Value))
	}
	vals = mergeRuns(vals)
	if len(vals) <= listedCodes {
		return strings.Join(vals, ", ")
	}
	return strings.Join(vals[:listedCodes], ", ") + fmt.Sprintf(", … (%d rows in all: see table %s)", len(codes), table)
}

func codeValue(v string) string {
	if v == "" {
		return "(blank)"
	}
	return v
}

// meaning is the first line of a code's description, shortened.
func meaning(desc string) string {
	desc = strings.TrimSpace(desc)
	if i := strings.IndexByte(desc, '\n'); i >= 0 {
		desc = strings.TrimSpace(desc[:i])
	}
	desc = strings.Trim(desc, "* ")
	if r := []rune(desc); len(r) > meaningLen {
		desc = strings.TrimSpace(string(r[:meaningLen-1])) + "…"
	}
	return desc
}

// mergeRuns writes runs of three or more consecutive codes of digits of one width as a range:
// 000, 001, 002, 003 becomes 000-003.
func mergeRuns(vals []string) []string {
	var out []string
	for i := 0; i < len(vals); {
		j := i
		for j+1 < len(vals) && consecutive(vals[j], vals[j+1]) {
			j++
		}
		if j-i >= 2 {
			out = append(out, vals[i]+"-"+vals[j])
		} else {
			out = append(out, vals[i:j+1]...)
		}
		i = j + 1
	}
	return out
}

func consecutive(a, b string) bool {
	if len(a) != len(b) || !allDigits(a) || !allDigits(b) {
		return false
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return err1 == nil && err2 == nil && y == x+1
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
