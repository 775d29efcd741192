package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/cara-registry/cara/internal/audit"
)

// ThrottleKey names one login_throttles row.
type ThrottleKey struct {
	Username, RemoteAddr string
}

// LoginThrottles returns the rows of the keys that have any; keys without a row have no failures.
func (s *Store) LoginThrottles(ctx context.Context, keys []ThrottleKey) ([]LoginThrottle, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	q := s.db.WithContext(ctx)
	cond := s.db.Where("username = ? AND remote_addr = ?", keys[0].Username, keys[0].RemoteAddr)
	for _, k := range keys[1:] {
		cond = cond.Or("username = ? AND remote_addr = ?", k.Username, k.RemoteAddr)
	}
	var rows []LoginThrottle
	if err := q.Where(cond).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: load login throttles: %w", err)
	}
	return rows, nil
}

// RecordLoginFailure counts one failed sign-in on each key at time at, in one statement, so
// that concurrent failures from several cara processes are each counted. A key whose last
// failure is at or before forgetBefore starts over at one.
func (s *Store) RecordLoginFailure(ctx context.Context, keys []ThrottleKey, at, forgetBefore time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	rows := make([]LoginThrottle, len(keys))
	for i, k := range keys {
		rows[i] = LoginThrottle{Username: k.Username, RemoteAddr: k.RemoteAddr, Failures: 1, LastFailureAt: at.UTC()}
	}
	// failures is set first: MySQL evaluates the assignments in order, so it still compares the
	// old last_failure_at.
	upsert := clause.OnConflict{
		Columns: []clause.Column{{Name: "username"}, {Name: "remote_addr"}},
		DoUpdates: clause.Set{
			{Column: clause.Column{Name: "failures"}, Value: gorm.Expr("CASE WHEN last_failure_at <= ? THEN 1 ELSE failures + 1 END", forgetBefore.UTC())},
			{Column: clause.Column{Name: "last_failure_at"}, Value: at.UTC()},
		},
	}
	if err := s.db.WithContext(ctx).Clauses(upsert).Create(&rows).Error; err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	return nil
}

// ClearLoginThrottle forgets the failures of one key (a successful sign-in from that address).
func (s *Store) ClearLoginThrottle(ctx context.Context, k ThrottleKey) error {
	err := s.db.WithContext(ctx).Where("username = ? AND remote_addr = ?", k.Username, k.RemoteAddr).Delete(&LoginThrottle{}).Error
	if err != nil {
		return fmt.Errorf("store: clear login throttle of %q from %q: %w", k.Username, k.RemoteAddr, err)
	}
	return nil
}

// AccountThrottles returns the throttle rows of one account: over every address, and from each
// address, newest failure first.
func (s *Store) AccountThrottles(ctx context.Context, username string) ([]LoginThrottle, error) {
	var rows []LoginThrottle
	if username == "" {
		return nil, nil
	}
	err := s.db.WithContext(ctx).Where("username = ?", username).Order("last_failure_at DESC, remote_addr").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: login throttles of %q: %w", username, err)
	}
	return rows, nil
}

// ClearAccountThrottles forgets every failed sign-in of a user's account (over every address and
// from each), audited as login.throttle_clear with the number of rows removed, in one
// transaction. It returns that number.
func (s *Store) ClearAccountThrottles(ctx context.Context, userID uint, by Actor) (int64, error) {
	var n int64
	err := s.retryTx(ctx, "clear login throttle", func(tx *gorm.DB) error {
		var u User
		if err := tx.Take(&u, userID).Error; err != nil {
			return err
		}
		res := tx.Where("username = ?", u.Username).Delete(&LoginThrottle{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return s.audit(tx, AuditEntry{UserID: by.UserID, Action: audit.LoginThrottleClear, Entity: "user", EntityID: u.Username,
			RemoteAddr: by.RemoteAddr, Details: map[string]any{"rows": n}})
	})
	if err != nil {
		return 0, fmt.Errorf("store: clear login throttles of user %d: %w", userID, notFound(err))
	}
	return n, nil
}

// DeleteStaleLoginThrottles removes the rows whose last failure is before a time (they would
// start over anyway) and returns how many went.
func (s *Store) DeleteStaleLoginThrottles(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("last_failure_at < ?", before.UTC()).Delete(&LoginThrottle{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete stale login throttles: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// CreateLoginPresession stores an open sign-in form.
func (s *Store) CreateLoginPresession(ctx context.Context, p *LoginPresession) error {
	if err := s.db.WithContext(ctx).Create(p).Error; err != nil {
		return fmt.Errorf("store: create login pre-session: %w", err)
	}
	return nil
}

// LoginPresessionByTokenHash returns the unexpired pre-session with that token hash.
func (s *Store) LoginPresessionByTokenHash(ctx context.Context, hash string, now time.Time) (*LoginPresession, error) {
	var p LoginPresession
	if err := s.db.WithContext(ctx).Where("token_hash = ? AND expires_at > ?", hash, now.UTC()).Take(&p).Error; err != nil {
		return nil, fmt.Errorf("store: login pre-session: %w", notFound(err))
	}
	return &p, nil
}

// DeleteLoginPresession ends a pre-session (its sign-in succeeded).
func (s *Store) DeleteLoginPresession(ctx context.Context, hash string) error {
	if err := s.db.WithContext(ctx).Where("token_hash = ?", hash).Delete(&LoginPresession{}).Error; err != nil {
		return fmt.Errorf("store: delete login pre-session: %w", err)
	}
	return nil
}

// DeleteExpiredLoginPresessions removes pre-sessions past their expiry and returns how many went.
func (s *Store) DeleteExpiredLoginPresessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", now.UTC()).Delete(&LoginPresession{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete expired login pre-sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}
