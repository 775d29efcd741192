package edits

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/cara-registry/cara/internal/naaccr"
)

// Runner runs a Set; it holds the scratch space of the runs, so each goroutine needs its own.
type Runner struct {
	set    *Set
	vm     vm.VM
	env    map[string]any
	tumors []map[string]any
}

// NewRunner makes a runner of the set.
func (s *Set) NewRunner() *Runner {
	env := make(map[string]any, len(s.items)+16)
	for name, fn := range typedFunctions() {
		env[name] = fn
	}
	env["today"] = func() string { return s.now().Format("20060102") }
	return &Runner{set: s, env: env}
}

// setItems fills the environment with the items the edits read, from the patient and the tumor.
func (r *Runner) setItems(patient, tumor map[string]string) {
	for _, id := range r.set.items {
		v, ok := tumor[id]
		if !ok {
			v = patient[id]
		}
		r.env[id] = v
	}
}

// Tumor runs the tumor-level edits on one tumor with its patient, appending failures to out.
// tumorIndex is put in the results (0-based position of the tumor in its patient).
func (r *Runner) Tumor(patient, tumor map[string]string, tumorIndex int, out []Result) ([]Result, error) {
	r.setItems(patient, tumor)
	r.env["tumors"] = r.tumors[:0]
	for _, e := range r.set.Edits {
		if e.Level != LevelTumor {
			continue
		}
		var err error
		if out, err = r.run(e, patient, tumor, tumorIndex, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Patient runs everything on a patient: the field checks of every item, the tumor-level edits of
// each tumor and the patient-level edits, appending failures to out.
func (r *Runner) Patient(p *naaccr.Patient, out []Result) ([]Result, error) {
	out = r.set.fieldResults(p.Items, -1, out)
	var err error
	for i := range p.Tumors {
		out = r.set.fieldResults(p.Tumors[i].Items, i, out)
		if out, err = r.Tumor(p.Items, p.Tumors[i].Items, i, out); err != nil {
			return out, err
		}
	}
	return r.PatientLevel(p, out)
}

// PatientLevel runs only the patient-level edits (those across a patient's tumors).
func (r *Runner) PatientLevel(p *naaccr.Patient, out []Result) ([]Result, error) {
	r.setItems(p.Items, nil)
	r.tumors = r.tumors[:0]
	// Each tumor as the patient-level edits see it: only the items they read, which are listed.
	for _, t := range p.Tumors {
		m := make(map[string]any, len(r.set.tumorItems))
		for _, k := range r.set.tumorItems {
			m[k] = t.Items[k]
		}
		r.tumors = append(r.tumors, m)
	}
	r.env["tumors"] = r.tumors
	var err error
	for _, e := range r.set.Edits {
		if e.Level != LevelPatient {
			continue
		}
		if out, err = r.run(e, p.Items, nil, -1, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (r *Runner) run(e *Edit, patient, tumor map[string]string, tumorIndex int, out []Result) ([]Result, error) {
	if e.Override != "" && lookup(patient, tumor, e.Override) == "1" {
		return out, nil
	}
	if e.when != nil {
		ok, err := r.vm.Run(e.when, r.env)
		if err != nil {
			return out, fmt.Errorf("edits: %s: when: %w", e.ID, err)
		}
		if ok != true {
			return out, nil
		}
	}
	ok, err := r.vm.Run(e.check, r.env)
	if err != nil {
		return out, fmt.Errorf("edits: %s: check: %w", e.ID, err)
	}
	if ok == true {
		return out, nil
	}
	return append(out, Result{
		EditID: e.ID, Severity: e.Severity, Items: e.Items, Tumor: tumorIndex,
		Message: e.render(patient, tumor), Override: e.Override,
	}), nil
}

func lookup(patient, tumor map[string]string, id string) string {
	if v, ok := tumor[id]; ok {
		return v
	}
	return patient[id]
}

// render fills the message template with the values of the case.
func (e *Edit) render(patient, tumor map[string]string) string {
	var b strings.Builder
	for _, p := range e.message {
		if p.item == "" {
			b.WriteString(p.text)
			continue
		}
		if v := lookup(patient, tumor, p.item); v != "" {
			b.WriteString(v)
		} else {
			b.WriteString("(blank)")
		}
	}
	return b.String()
}

// fieldResults checks every item of a record against its definition and code list. The failures
// are sorted by item, so that a report says the same thing every time (maps have no order).
func (s *Set) fieldResults(items map[string]string, tumorIndex int, out []Result) []Result {
	start := len(out)
	for id, v := range items {
		rule, ok := s.rules[id]
		if !ok || v == "" {
			continue
		}
		if res := s.Fields.fast(rule, v); res != nil {
			res.Tumor = tumorIndex
			out = append(out, *res)
		}
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
