package staging

import (
	"fmt"
	"strconv"
	"strings"
)

// Record gives a tumor's NAACCR items by naaccrId (the tumor's items, then the patient's), trimmed
// or not; "" is a blank item.
type Record func(naaccrID string) string

// Status says how far staging got.
type Status string

const (
	// Staged: a schema was selected and its mappings ran; Errors may still name invalid inputs.
	Staged Status = "staged"
	// NeedsInput: site or histology is blank, or a discriminator is needed to choose the schema.
	NeedsInput Status = "needs_input"
	// NoSchema: the site and histology have no EOD schema (or one is not a valid code).
	NoSchema Status = "no_schema"
	// InvalidYear: the year of diagnosis is outside the years the schema applies to.
	InvalidYear Status = "invalid_year"
	// FailedInput: an invalid input stopped the schema (its on_invalid_input says FAIL).
	FailedInput Status = "failed_input"
)

// ErrorType names what went wrong, as the staging library does.
type ErrorType string

const (
	InvalidRequiredInput    ErrorType = "invalid_required_input"     // an input used for staging
	InvalidNonRequiredInput ErrorType = "invalid_non_required_input" // an SSDI or other input
	MatchNotFound           ErrorType = "match_not_found"            // no row of a mapping table
	StagingError            ErrorType = "staging_error"              // a row says ERROR
	InvalidOutput           ErrorType = "invalid_output"             // a derived value outside its table
	InfiniteLoop            ErrorType = "infinite_loop"              // a JUMP chain came back
)

// Error is one problem found while staging, naming the input or output, its value and the table.
type Error struct {
	Type    ErrorType
	Key     string // input or output key, "" for a mapping table
	Item    string // its naaccrId, when it has one
	Value   string
	Table   string
	Message string
}

func (e Error) Error() string { return e.Message }

// Step is one table walked while running the mappings: the row that matched (1-based; 0 for none)
// and the input values it was matched with, key=value in the table's column order.
type Step struct {
	Mapping string
	Table   string
	Row     int
	Inputs  []string
	Results []string // what the row yielded, key=value or JUMP/ERROR/STOP
}

// Result is the outcome of staging one tumor.
type Result struct {
	Status    Status
	Selection Selection
	Schema    *Schema
	// Inputs holds each schema input as staged, defaults filled in for blank items (Stage only).
	Inputs map[string]string
	// Outputs holds each schema output by key ("" when it could not be derived).
	Outputs map[string]string
	Errors  []Error
	Path    []Step

	withPath bool              // Path is recorded
	values   map[string]string // the working values at the end: inputs, outputs, intermediates
}

// Input returns the value of an input key as staged (its default for a blank item), with Stage
// and Derive alike; "" when the tumor was not staged.
func (r *Result) Input(key string) string { return r.values[key] }

// Output returns the value of the output key, "" when there is none.
func (r *Result) Output(key string) string { return r.Outputs[key] }

// Items returns the derived NAACCR items by naaccrId: every output of the schema that names one.
// Outputs of a tumor that could not be staged are blank, so stale derived values are cleared; the
// schema ID stays when a schema was selected.
func (r *Result) Items(d *DataSet) map[string]string {
	out := map[string]string{}
	for _, id := range d.outputItems {
		out[id] = ""
	}
	if r.Schema == nil {
		return out
	}
	for _, o := range r.Schema.Outputs {
		if o.NAACCRXMLID != "" {
			out[o.NAACCRXMLID] = r.Outputs[o.Key]
		}
	}
	if r.Status != Staged {
		for _, o := range r.Schema.Outputs {
			if o.NAACCRXMLID != "" && o.Key != OutputSchemaID {
				out[o.NAACCRXMLID] = ""
			}
		}
		out[r.schemaIDItem()] = schemaIDOf(r.Schema)
	}
	return out
}

// OutputSchemaID is the output key of Schema ID; OutputVersion that of the algorithm version.
const (
	OutputSchemaID = "naaccr_schema_id"
	OutputVersion  = "derived_version"
)

func (r *Result) schemaIDItem() string {
	for _, o := range r.Schema.Outputs {
		if o.Key == OutputSchemaID {
			return o.NAACCRXMLID
		}
	}
	return "schemaId"
}

// schemaIDOf is the schema's Schema ID, the default of its naaccr_schema_id output.
func schemaIDOf(s *Schema) string {
	for _, o := range s.Outputs {
		if o.Key == OutputSchemaID && o.Default != nil {
			return *o.Default
		}
	}
	return ""
}

// SelectionValues reads the selection keys of a record: every key a selection table has, from the
// item the schemas' inputs name for it, the year of diagnosis as its four digits.
func (d *DataSet) SelectionValues(rec Record) map[string]string {
	values := make(map[string]string, len(d.selectionKeys))
	for _, k := range d.selectionKeys {
		values[k] = d.inputValue(k, d.itemOf[k], rec)
	}
	return values
}

// inputValue reads one input from its item; year_dx is the year of the date it names.
func (d *DataSet) inputValue(key, item string, rec Record) string {
	v := strings.TrimSpace(rec(item))
	if key == KeyYearDx {
		return yearOf(v)
	}
	return v
}

// yearOf returns the CCYY of a NAACCR date, "" when it has none.
func yearOf(date string) string {
	if len(date) < 4 {
		return ""
	}
	if _, err := strconv.Atoi(date[:4]); err != nil {
		return ""
	}
	return date[:4]
}

// Context returns the context values the data refers to as {{ctx_…}}.
func (d *DataSet) Context(yearCurrent int) map[string]string {
	return map[string]string{CtxYearCurrent: strconv.Itoa(yearCurrent), CtxAlgVersion: d.Version}
}

// Stage selects the schema of one tumor and runs it: inputs with their defaults, each input checked
// against its table, the outputs' defaults, then every mapping's table paths with their JUMPs.
// yearCurrent is {{ctx_year_current}}, the year the data's open-ended ranges end at.
func (d *DataSet) Stage(rec Record, yearCurrent int) *Result {
	return d.stage(rec, yearCurrent, true)
}

// Derive stages like Stage but keeps only what deriving needs: the status, selection, outputs and
// errors are the same, Path and Inputs are left out, so a batch of tumors (the edits, derivation on
// save, `cara staging run`) builds neither.
func (d *DataSet) Derive(rec Record, yearCurrent int) *Result {
	return d.stage(rec, yearCurrent, false)
}

func (d *DataSet) stage(rec Record, yearCurrent int, withPath bool) *Result {
	ctx := d.Context(yearCurrent)
	r := &Result{Selection: d.Select(d.SelectionValues(rec), ctx), withPath: withPath}
	switch {
	case r.Selection.Schema != nil:
	case r.Selection.Invalid != "" || (len(r.Selection.Needs) == 0 && len(r.Selection.Candidates) == 0):
		r.Status = NoSchema
		return r
	default:
		r.Status = NeedsInput
		return r
	}
	s := r.Selection.Schema
	r.Schema = s
	d.run(s, rec, ctx, r)
	return r
}

// run stages rec with schema s. ctx holds the context values and becomes the working context: the
// library keeps inputs, outputs and intermediate keys (ss2018_t) in one map, and so does run.
func (d *DataSet) run(s *Schema, rec Record, ctx map[string]string, r *Result) {
	if r.withPath {
		r.Inputs = make(map[string]string, len(s.Inputs))
	}
	r.Outputs = make(map[string]string, len(s.Outputs))
	// Sized once for the inputs, outputs and the mappings' intermediate keys, so it never grows.
	values := make(map[string]string, len(ctx)+len(s.Inputs)+len(s.Outputs)+16)
	for k, v := range ctx {
		values[k] = v
	}
	r.values = values
	// vals holds each input's value by position, so checking them reads no map.
	vals := make([]string, len(s.Inputs))
	for i := range s.Inputs {
		in := &s.Inputs[i]
		v := d.inputValue(in.Key, in.NAACCRXMLID, rec)
		if v == "" && in.Default != nil {
			v = translate(*in.Default, values)
		}
		values[in.Key] = v
		vals[i] = v
	}
	if r.withPath {
		for _, in := range s.Inputs {
			r.Inputs[in.Key] = values[in.Key]
		}
	}
	if in, ok := s.input(KeyYearDx); ok && in.Table != "" {
		if t := d.Tables[in.Table]; t != nil {
			if _, ok := t.match(values, values, nil); !ok {
				r.Status = InvalidYear
				r.Errors = append(r.Errors, d.inputError(s, in, values[in.Key]))
				r.Outputs[OutputSchemaID] = schemaIDOf(s)
				return
			}
		}
	}
	stop := false
	for i := range s.Inputs {
		in := &s.Inputs[i]
		v := vals[i]
		// A blank input is not checked: the tables say what a blank stages as, if anything.
		t := in.table
		if v == "" || t == nil {
			continue
		}
		if t.exact != nil && t.inputKeys[0] == in.Key {
			if t.matchOne(v, values) >= 0 {
				continue
			}
		} else if _, ok := t.match(values, values, nil); ok {
			continue
		}
		r.Errors = append(r.Errors, d.inputError(s, *in, v))
		if s.OnInvalidInput == "FAIL" || (in.UsedForStaging && s.OnInvalidInput == "FAIL_WHEN_USED_FOR_STAGING") {
			stop = true
		}
	}
	if stop {
		r.Status = FailedInput
		r.Outputs[OutputSchemaID] = schemaIDOf(s)
		return
	}
	for _, o := range s.Outputs {
		v := ""
		if o.Default != nil {
			v = translate(*o.Default, values)
		}
		values[o.Key] = v
	}
	// A STOP ends the table paths of its own mapping only; the schema's other mappings still run,
	// as in the staging library.
	for _, m := range s.Mappings {
		d.runMapping(m, values, r)
	}
	for _, o := range s.Outputs {
		v := values[o.Key]
		r.Outputs[o.Key] = v
		if o.Table == "" {
			continue
		}
		if t := d.Tables[o.Table]; t != nil {
			if _, ok := t.match(values, values, nil); !ok {
				r.Errors = append(r.Errors, Error{Type: InvalidOutput, Key: o.Key, Item: o.NAACCRXMLID, Value: v, Table: o.Table,
					Message: fmt.Sprintf("%s: derived value %s is not in table %s", o.Name, quoteBlank(v), o.Table)})
			}
		}
	}
	r.Status = Staged
}

// runMapping walks a mapping's table paths in order until a row says STOP; false means one did.
func (d *DataSet) runMapping(m Mapping, values map[string]string, r *Result) bool {
	for i := range m.Tables {
		if !d.walk(m.ID, m.Tables[i].ID, &m.Tables[i], values, r, nil) {
			return false
		}
	}
	return true
}

// walk looks up one table and follows what its matching row says; stack holds the tables of the
// current JUMP chain.
func (d *DataSet) walk(mapping, tableID string, path *TablePath, values map[string]string, r *Result, stack []string) bool {
	t := d.Tables[tableID]
	for _, id := range stack {
		if id == tableID {
			r.Errors = append(r.Errors, Error{Type: InfiniteLoop, Table: tableID,
				Message: fmt.Sprintf("mapping %s: table %s was reached twice in one chain of jumps (%s)", mapping, tableID, strings.Join(stack, " → "))})
			return true
		}
	}
	stack = append(stack, tableID)
	idx := t.matchIndex(values, values, nil)
	at := -1
	if r.withPath {
		r.Path = append(r.Path, Step{Mapping: mapping, Table: tableID, Row: idx + 1, Inputs: t.inputValues(values)})
		at = len(r.Path) - 1
	}
	note := func(result string) {
		if at >= 0 {
			r.Path[at].Results = append(r.Path[at].Results, result)
		}
	}
	if idx < 0 {
		r.Errors = append(r.Errors, Error{Type: MatchNotFound, Table: tableID,
			Message: fmt.Sprintf("table %s (%s): no row matches %s", tableID, t.Title, strings.Join(t.inputValues(values), ", "))})
		return true
	}
	cont := true
	for _, e := range t.Rows[idx].Endpoints {
		switch e.Type {
		case EndpointStop:
			note("STOP")
			cont = false
		case EndpointJump:
			note("JUMP:" + e.Value)
			cont = d.walk(mapping, e.Value, path, values, r, stack)
		case EndpointError:
			msg := e.Value
			if msg == "" {
				msg = fmt.Sprintf("table %s (%s): column %s: the row matched for %s is an error", tableID, t.Title, e.Key, strings.Join(t.inputValues(values), ", "))
			}
			note("ERROR:" + msg)
			r.Errors = append(r.Errors, Error{Type: StagingError, Key: e.Key, Table: tableID, Message: msg})
		case EndpointValue:
			v := translate(e.Value, values)
			if len(path.OutputMapping) == 0 {
				values[e.Key] = v
				if at >= 0 {
					note(e.Key + "=" + v)
				}
				continue
			}
			for _, k := range path.mapped(e.Key) {
				values[k] = v
				if at >= 0 {
					note(k + "=" + v)
				}
			}
		}
	}
	return cont
}

// mapped returns the keys a table's output key is written to: its output_mapping, or itself.
func (p *TablePath) mapped(key string) []string {
	var keys []string
	for _, m := range p.OutputMapping {
		if m.From == key {
			keys = append(keys, m.To)
		}
	}
	if len(keys) == 0 {
		return []string{key}
	}
	return keys
}

// inputValues lists the table's inputs with their values, key=value, a blank shown as (blank).
func (t *Table) inputValues(values map[string]string) []string {
	var out []string
	for _, c := range t.Definition {
		if c.Type == ColumnInput {
			out = append(out, c.Key+"="+quoteBlank(values[c.Key]))
		}
	}
	return out
}

func quoteBlank(v string) string {
	if v == "" {
		return "(blank)"
	}
	return strconv.Quote(v)
}

func (d *DataSet) inputError(s *Schema, in Input, value string) Error {
	typ := InvalidNonRequiredInput
	if in.UsedForStaging {
		typ = InvalidRequiredInput
	}
	return Error{Type: typ, Key: in.Key, Item: in.NAACCRXMLID, Value: value, Table: in.Table,
		Message: fmt.Sprintf("%s [%d] %s is not a valid code for schema %s (table %s)", in.Name, in.NAACCRItem, quoteBlank(value), s.Name, in.Table)}
}

// input returns the schema's input of key.
func (s *Schema) input(key string) (Input, bool) {
	for _, in := range s.Inputs {
		if in.Key == key {
			return in, true
		}
	}
	return Input{}, false
}
