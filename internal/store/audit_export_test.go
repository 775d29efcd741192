package store

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// AuditRolledBack appends an event in a transaction that then rolls back, as a failed save does.
func (s *Store) AuditRolledBack(ctx context.Context, e AuditEntry) error {
	errRollBack := errors.New("roll back")
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.audit(tx, e); err != nil {
			return err
		}
		return errRollBack
	})
	if errors.Is(err, errRollBack) {
		return nil
	}
	return err
}
