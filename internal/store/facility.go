package store

import (
	"context"
	"fmt"
)

// CreateFacility adds a facility; a code already in use is ErrDuplicate.
func (s *Store) CreateFacility(ctx context.Context, f *Facility) error {
	if err := s.db.WithContext(ctx).Create(f).Error; err != nil {
		return fmt.Errorf("store: create facility %q: %w", f.Code, notFound(err))
	}
	return nil
}

// FacilityByCode finds a facility by its code.
func (s *Store) FacilityByCode(ctx context.Context, code string) (*Facility, error) {
	var f Facility
	if err := s.db.WithContext(ctx).Where("code = ?", code).Take(&f).Error; err != nil {
		return nil, fmt.Errorf("store: facility %q: %w", code, notFound(err))
	}
	return &f, nil
}

// FacilityByID finds a facility by its id.
func (s *Store) FacilityByID(ctx context.Context, id uint) (*Facility, error) {
	var f Facility
	if err := s.db.WithContext(ctx).Take(&f, id).Error; err != nil {
		return nil, fmt.Errorf("store: facility %d: %w", id, notFound(err))
	}
	return &f, nil
}
