package casework

import (
	"slices"
	"sort"
	"strings"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
)

// checked is a value whose field checks have run, with their result (nil when it passed), so
// that a save checks each value once.
type checked struct {
	value string
	res   *edits.Result
}

// run runs the checks on one tumor of a case as it would be with the given items: the field
// checks of the patient's and the tumor's items, the tumor's edits, and the patient-level edits
// over all the patient's tumors (the others as stored). Results about the other tumors are left
// out, so their own checks do not run. known are values already checked (by their item).
func (s *Service) run(cs *Case, patient, tumor map[string]string, known map[string]checked) ([]edits.Result, error) {
	p := naaccr.Patient{Items: patient, Tumors: make([]naaccr.Tumor, 0, len(cs.Tumors)+1)}
	self := -1
	for _, t := range cs.Tumors {
		if t.ID == cs.Tumor.ID && t.ID != 0 {
			self = len(p.Tumors)
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: tumor})
			continue
		}
		p.Tumors = append(p.Tumors, naaccr.Tumor{Items: t.Items})
	}
	if self < 0 { // a tumor not stored yet
		self = len(p.Tumors)
		p.Tumors = append(p.Tumors, naaccr.Tumor{Items: tumor})
	}
	out := s.fieldResults(patient, -1, known, nil)
	out = s.fieldResults(tumor, self, known, out)
	r := s.checks.NewRunner()
	out, err := r.Tumor(patient, tumor, self, out)
	if err != nil {
		return nil, err
	}
	if out, err = r.PatientLevel(&p, out); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Severity == edits.SeverityError && out[j].Severity != edits.SeverityError
	})
	return out, nil
}

// fieldResults appends the failing field checks of a record's items, sorted by item (as the
// edit set's own pass sorts them: maps have no order).
func (s *Service) fieldResults(items map[string]string, tumorIndex int, known map[string]checked, out []edits.Result) []edits.Result {
	start := len(out)
	for id, v := range items {
		var r *edits.Result
		if k, ok := known[id]; ok && k.value == v {
			r = k.res
		} else {
			r = s.checks.CheckItem(id, v)
		}
		if r != nil {
			res := *r
			res.Tumor = tumorIndex
			out = append(out, res)
		}
	}
	slices.SortFunc(out[start:], func(a, b edits.Result) int { return strings.Compare(a.Items[0], b.Items[0]) })
	return out
}

// Count tallies results by severity.
func Count(res []edits.Result) (errs, warns int) {
	for _, r := range res {
		if r.Severity == edits.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}
