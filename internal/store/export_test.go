package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// TxAttempts is txAttempts, for the tests of retryTx.
const TxAttempts = txAttempts

// SetTxRetryFor sets how long retryTx goes on past TxAttempts (0: it stops at TxAttempts).
func (s *Store) SetTxRetryFor(d time.Duration) { s.txRetryFor = d }

// RetryTx is retryTx, for the tests of it.
func (s *Store) RetryTx(ctx context.Context, name string, fn func(tx *gorm.DB) error) error {
	return s.retryTx(ctx, name, fn)
}

// AuditIn appends an audit event in the caller's transaction, as the store's writes do.
func (s *Store) AuditIn(tx *gorm.DB, e AuditEntry) error { return s.audit(tx, e) }

// SetTxFaults makes the store's transactions call beforeAttempt before each attempt and
// beforeCommit before each commit (whose error rolls the attempt back); nil functions clear them.
func (s *Store) SetTxFaults(beforeAttempt func(name string, n int), beforeCommit func(name string, n int) error) {
	if beforeAttempt == nil && beforeCommit == nil {
		s.faults = nil
		return
	}
	s.faults = &txFaults{beforeAttempt: beforeAttempt, beforeCommit: beforeCommit}
}

// SetBulkValues lowers the values of one multi-row INSERT, so that a test crosses the statement
// boundary of the bulk inserts with a few rows rather than thousands.
func SetBulkValues(s *Store, n int) { s.bulkValues = n }
