package casefinding

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
)

// pickerLimit is how many patients a search for "add to patient" offers: a registrar types
// more of the name or the MRN rather than scroll.
const pickerLimit = 20

// Picker is "add to patient" for one possible case: the record (in the actor's scope) and the
// patients of its facility it may be added to, those whose tumors' medical record number
// starts with q or whose last name does ("Last, First" for both names). A blank q searches for
// the record's last name; the query searched is returned. Only those who decide may search.
// The search is audited, since its answer names patients.
func (s *Service) Picker(ctx context.Context, a Actor, recordID uint, q string) (*store.SuspenseRecord, []store.PatientRecord, string, error) {
	if !a.mayDecide() {
		return nil, nil, "", ErrForbidden
	}
	recs, _, err := s.store.SuspenseRecords(ctx, store.SuspenseQuery{Scope: a.Scope, IDs: []uint{recordID}})
	if err != nil {
		return nil, nil, "", err
	}
	if len(recs) != 1 {
		return nil, nil, "", fmt.Errorf("casefinding: possible case %d: %w", recordID, ErrNotFound)
	}
	rec := &recs[0]
	if q = strings.TrimSpace(q); q == "" {
		q = rec.NameLast
	}
	if q == "" {
		return rec, nil, "", nil
	}
	// The record's facility only: a case is added to a patient of its own facility (Decide
	// checks it again).
	sc := store.FacilityScope(rec.FacilityID)
	byMRN, err := s.store.SearchPatients(ctx, store.PatientSearch{Scope: sc, MRN: q, Limit: pickerLimit})
	if err != nil {
		return nil, nil, "", err
	}
	byName, err := s.store.SearchPatients(ctx, store.PatientSearch{Scope: sc, Name: q, Limit: pickerLimit})
	if err != nil {
		return nil, nil, "", err
	}
	// Those found by MRN first: an MRN names one patient, a name prefix many.
	out := byMRN
	seen := map[uint]bool{}
	for _, r := range byMRN {
		seen[r.Patient.ID] = true
	}
	for _, r := range byName {
		if !seen[r.Patient.ID] && len(out) < pickerLimit {
			out = append(out, r)
		}
	}
	if err := s.store.Audit(ctx, store.AuditEntry{
		UserID: a.UserID, Action: audit.PatientSearch, Entity: "facility", EntityID: strconv.FormatUint(uint64(rec.FacilityID), 10),
		Details: map[string]any{"query": q, "found": len(out), "suspense_record": rec.ID}, RemoteAddr: a.RemoteAddr,
	}); err != nil {
		return nil, nil, "", err
	}
	return rec, out, q, nil
}
