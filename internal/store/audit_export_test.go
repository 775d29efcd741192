package store

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
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

// AuditBeforeKey appends an event with the plain hash, as cara did before its audit key
// (migration 00010).
func (s *Store) AuditBeforeKey(ctx context.Context, e AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.appendAudit(tx, e, audit.Link)
	})
}

// WithAuditKey is the store on the same database with another audit key, as another process
// started with another key is.
func (s *Store) WithAuditKey(k *audit.Key) *Store {
	c := *s
	c.key = k
	return &c
}
