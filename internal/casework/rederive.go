package casework

import (
	"context"
	"maps"
	"sort"

	"github.com/cara-registry/cara/internal/store"
)

// Rederived is what re-deriving one stored case found: the derived items whose value changed
// (Old as stored, New as derived now), in item order, and the case as saved when it was written.
type Rederived struct {
	Changes []store.ItemChange
	Case    *Case
}

// Rederive computes a stored case's derived items again (age at diagnosis, the EOD schema, stage
// and grade, with the staging version) and, unless dryRun, writes those that changed as one save
// of the case: with its edit counts and one audit event naming the actor (none for the system)
// and reason, and only if nobody changed the case since cs was read (else ErrConflict). Nothing
// but the derived items changes. cs is a case as Open or the store's EachPatient reads it, with
// the patient's other tumors for the patient-level edits.
func (s *Service) Rederive(ctx context.Context, a Actor, cs *Case, reason string, dryRun bool) (*Rederived, error) {
	tumor := maps.Clone(map[string]string(cs.Tumor.Items))
	s.Derive(cs.Patient.Items, tumor)
	out := &Rederived{Changes: derivedChanges(cs.Tumor.Items, tumor)}
	if len(out.Changes) == 0 || dryRun {
		return out, nil
	}
	res, err := s.run(cs, cs.Patient.Items, tumor, nil)
	if err != nil {
		return nil, err
	}
	nErr, nWarn := Count(res)
	var user *uint
	if a.UserID != 0 {
		user = &a.UserID
	}
	saved, _, err := s.store.SaveCase(ctx, store.CaseSave{
		TumorID: cs.Tumor.ID, Scope: a.Scope, PatientVersion: cs.Patient.Version, TumorVersion: cs.Tumor.Version,
		PatientItems: cs.Patient.Items, TumorItems: tumor, Loaded: cs, UserID: user, RemoteAddr: a.RemoteAddr,
		EditErrors: nErr, EditWarnings: nWarn, Comment: reason,
	})
	if err != nil {
		return nil, err
	}
	out.Case = saved
	return out, nil
}

// derivedChanges lists the items whose value differs between before and after, by item.
func derivedChanges(before, after map[string]string) []store.ItemChange {
	var out []store.ItemChange
	for k, v := range after {
		if before[k] != v {
			out = append(out, store.ItemChange{Level: "tumor", Item: k, Old: before[k], New: v})
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			out = append(out, store.ItemChange{Level: "tumor", Item: k, Old: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Item < out[j].Item })
	return out
}
