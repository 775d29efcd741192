package edits

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

// Runner runs a Set; it holds the scratch space of the runs, so each goroutine needs its own.
type Runner struct {
	set *Set
	vm  vm.VM
	f   frame
	// env is the map environment, for the edits that read $env; it is filled for a record only
	// when one of them runs (envGen is the frame's gen it was filled for).
	env    map[string]any
	envGen uint64
	tumors []map[string]any
	// passed is, for each field rule, the last value that passed it.
	passed []string
	// tumorMaps are the item maps of tumors, reused from patient to patient.
	tumorMaps []map[string]any
	// staged is the staging of the current tumor, shared by the staging edits; record reads the
	// frame's tumor for the engine.
	staged stageRun
	record staging.Record
}

// NewRunner makes a runner of the set.
func (s *Set) NewRunner() *Runner {
	r := &Runner{set: s, passed: make([]string, len(s.rules))}
	r.f.items = s.items
	r.f.slots = make([]frameSlot, len(s.items))
	r.f.patientSlots = newGatheredSlots(len(s.items))
	r.f.tumorSlots = newGatheredSlots(len(s.items))
	r.record = r.recordItem
	return r
}

// mapEnv fills the map environment with the record of the frame, as the edits that read $env see
// it: the items the edits read, from the tumor or else the patient, and the tumors.
func (r *Runner) mapEnv() map[string]any {
	if r.env == nil {
		r.env = make(map[string]any, len(r.set.items)+16)
		for name, fn := range r.set.helpers {
			r.env[name] = fn
		}
	}
	if r.envGen != r.f.gen {
		for i, id := range r.set.items {
			r.env[id] = r.f.str(i)
		}
		r.env["tumors"] = r.f.tumors
		r.envGen = r.f.gen
	}
	return r.env
}

// Tumor runs the tumor-level edits on one tumor with its patient, appending failures to out.
// tumorIndex is put in the results (0-based position of the tumor in its patient).
func (r *Runner) Tumor(patient, tumor map[string]string, tumorIndex int, out []Result) ([]Result, error) {
	return r.tumor(patient, tumor, tumorIndex, false, out)
}

func (r *Runner) tumor(patient, tumor map[string]string, tumorIndex int, gathered bool, out []Result) ([]Result, error) {
	r.f.begin(patient, tumor, r.tumors[:0], gathered)
	for _, e := range r.set.tumorEdits {
		var err error
		if out, err = r.run(e, tumorIndex, out); err != nil {
			return out, err
		}
	}
	if len(r.set.stagingEdits) > 0 {
		return r.stagingEdits(tumorIndex, out)
	}
	return out, nil
}

// Patient runs everything on a patient: the field checks of every item, the tumor-level edits of
// each tumor and the patient-level edits, appending failures to out. The field checks go through
// every item of the patient and of each tumor, and gather on the way the items the edits read.
func (r *Runner) Patient(p *naaccr.Patient, out []Result) ([]Result, error) {
	f := &r.f
	f.patientSlots.next()
	out = r.fieldResults(p.Items, -1, &f.patientSlots, out)
	var err error
	for i := range p.Tumors {
		f.tumorSlots.next()
		out = r.fieldResults(p.Tumors[i].Items, i, &f.tumorSlots, out)
		if out, err = r.tumor(p.Items, p.Tumors[i].Items, i, true, out); err != nil {
			return out, err
		}
	}
	f.tumorSlots.next()
	return r.patientLevel(p, true, out)
}

// PatientLevel runs only the patient-level edits (those across a patient's tumors).
func (r *Runner) PatientLevel(p *naaccr.Patient, out []Result) ([]Result, error) {
	return r.patientLevel(p, false, out)
}

func (r *Runner) patientLevel(p *naaccr.Patient, gathered bool, out []Result) ([]Result, error) {
	r.tumors = r.tumors[:0]
	// Each tumor as the patient-level edits see it: only the items they read, which are listed.
	// The maps are the runner's, rewritten for each patient: no edit keeps them.
	for i, t := range p.Tumors {
		if i == len(r.tumorMaps) {
			r.tumorMaps = append(r.tumorMaps, make(map[string]any, len(r.set.tumorItems)))
		}
		m := r.tumorMaps[i]
		for _, k := range r.set.tumorItems {
			m[k] = t.Items[k]
		}
		r.tumors = append(r.tumors, m)
	}
	r.f.begin(p.Items, nil, r.tumors, gathered)
	var err error
	for _, e := range r.set.patientEdits {
		if out, err = r.run(e, -1, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (r *Runner) run(e *Edit, tumorIndex int, out []Result) ([]Result, error) {
	f := &r.f
	if e.override >= 0 && f.str(e.override) == "1" {
		return out, nil
	}
	if ok, err := r.passes(e); ok || err != nil {
		return out, err
	}
	return append(out, Result{
		EditID: e.ID, Severity: e.Severity, Items: e.Items, Tumor: tumorIndex,
		Message: e.render(f.patient, f.tumor), Override: e.Override,
	}), nil
}

// passes runs an edit's program on the frame: true when the edit passes (or, for a staging edit,
// is skipped).
func (r *Runner) passes(e *Edit) (bool, error) {
	f := &r.f
	if e.direct != nil {
		return e.direct(f), nil
	}
	for _, holds := range e.guard {
		if !holds(f) {
			return true, nil
		}
	}
	var ok any
	var err error
	if e.run != nil {
		ok, err = r.vm.Run(e.run, f)
	} else {
		ok, err = r.vm.Run(e.check, r.mapEnv())
	}
	if err != nil {
		return false, fmt.Errorf("edits: %s: check: %w", e.ID, err)
	}
	return ok == true, nil
}

func lookup(patient, tumor map[string]string, id string) string {
	if v, ok := tumor[id]; ok {
		return v
	}
	return patient[id]
}

// render fills the message template with the values of the case, each shortened to what a
// message quotes.
func (e *Edit) render(patient, tumor map[string]string) string {
	return e.renderWith(patient, tumor, nil)
}

// renderWith is render with the values of a staging check, which come as they are.
func (e *Edit) renderWith(patient, tumor map[string]string, params map[string]string) string {
	var b strings.Builder
	b.Grow(e.messageLen + 16*len(e.message))
	for _, p := range e.message {
		if p.param != "" {
			b.WriteString(params[p.param])
			continue
		}
		if p.item == "" {
			b.WriteString(p.text)
			continue
		}
		if v := lookup(patient, tumor, p.item); v != "" {
			b.WriteString(excerpt.Clip(v)) // a file's value can be any length
		} else {
			b.WriteString("(blank)")
		}
	}
	return b.String()
}

// fieldResults checks every item of a record against its definition and code list, and notes in
// slots the items the edits read. The failures are sorted by item, so that a report says the same
// thing every time (maps have no order). A value that passed is kept for each item: records in a
// batch repeat most of their values, and the same value passes again.
func (r *Runner) fieldResults(items map[string]string, tumorIndex int, slots *gatheredSlots, out []Result) []Result {
	s := r.set
	start := len(out)
	for id, v := range items {
		ref, ok := s.itemIndex[id]
		if !ok {
			continue
		}
		if ref.slot >= 0 {
			slots.set(ref.slot, v)
		}
		if v == "" || ref.rule < 0 || r.passed[ref.rule] == v {
			continue
		}
		fr := &s.rules[ref.rule]
		rule := fr.broken(v)
		if rule == "" {
			r.passed[ref.rule] = v
			continue
		}
		res := fr.result(v, rule)
		res.Tumor = tumorIndex
		out = append(out, *res)
	}
	slices.SortFunc(out[start:], func(a, b Result) int { return strings.Compare(a.Items[0], b.Items[0]) })
	return out
}

// Counts are a tumor's failing edits by severity.
type Counts struct {
	Errors, Warnings int
}

// CountByTumor tallies a patient's results for each of its tumors; a patient-level result (Tumor
// -1) counts for every tumor, as it does on each tumor's case.
func CountByTumor(rs []Result, tumors int) []Counts {
	out := make([]Counts, tumors)
	for _, r := range rs {
		for i := range out {
			if r.Tumor >= 0 && r.Tumor != i {
				continue
			}
			if r.Severity == SeverityError {
				out[i].Errors++
			} else {
				out[i].Warnings++
			}
		}
	}
	return out
}
