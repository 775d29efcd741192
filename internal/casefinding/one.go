package casefinding

import (
	"context"
	"fmt"

	"github.com/cara-registry/cara/internal/store"
)

// Prepare screens and matches one possible case that did not come in a file (an electronic
// pathology report), exactly as Import does each row of a file: the same rules, the same
// matcher against the facility's patients (those that share its MRN, date of birth or last name), the same note of records already listed with its
// MRN. The record is returned for the caller to store with what it came from; key is its
// natural key.
func (s *Service) Prepare(ctx context.Context, facilityID uint, row *Row, key string) (store.SuspenseRecord, error) {
	pats, err := s.store.MatchCandidates(ctx, facilityID, row.MRN, row.DateOfBirth, row.NameLast)
	if err != nil {
		return store.SuspenseRecord{}, fmt.Errorf("casefinding: match: %w", err)
	}
	l, err := s.listedByMRN(ctx, facilityID, []Row{*row})
	if err != nil {
		return store.SuspenseRecord{}, err
	}
	return s.record(facilityID, row, key, NewIndex(pats), l), nil
}
