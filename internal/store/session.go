package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	if err := s.db.WithContext(ctx).Create(sess).Error; err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionUser is a live session with its user, the user's home facility and every facility
// the user works for (home first).
type SessionUser struct {
	Session    Session
	User       User
	Facility   *Facility
	Facilities []Facility
}

// SessionByTokenHash returns the unexpired session with that token hash, with its user, in three
// small queries. A disabled user's session is not found.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string, now time.Time) (*SessionUser, error) {
	db := s.db.WithContext(ctx)
	var su SessionUser
	if err := db.Where("token_hash = ? AND expires_at > ?", hash, now.UTC()).Take(&su.Session).Error; err != nil {
		return nil, fmt.Errorf("store: session: %w", notFound(err))
	}
	if err := db.Where("disabled_at IS NULL").Take(&su.User, su.Session.UserID).Error; err != nil {
		return nil, fmt.Errorf("store: session user %d: %w", su.Session.UserID, notFound(err))
	}
	fs, err := s.UserFacilities(ctx, &su.User)
	if err != nil {
		return nil, err
	}
	su.Facilities = fs
	if su.User.FacilityID != nil {
		for i := range fs {
			if fs[i].ID == *su.User.FacilityID {
				su.Facility = &fs[i]
			}
		}
		if su.Facility == nil {
			return nil, fmt.Errorf("store: session facility %d: %w", *su.User.FacilityID, ErrNotFound)
		}
	}
	return &su, nil
}

// TouchSession records activity, which moves the idle timeout on.
func (s *Store) TouchSession(ctx context.Context, id uint, at time.Time) error {
	err := s.db.WithContext(ctx).Model(&Session{}).Where("id = ?", id).Update("last_seen_at", at.UTC()).Error
	if err != nil {
		return fmt.Errorf("store: touch session %d: %w", id, err)
	}
	return nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, id uint) error {
	if err := s.db.WithContext(ctx).Delete(&Session{}, id).Error; err != nil {
		return fmt.Errorf("store: delete session %d: %w", id, err)
	}
	return nil
}

// SignOutEverywhere ends every session of a user, in every browser, and records it
// (logout.everywhere, with the number of sessions ended) in the same transaction; it returns
// that number.
func (s *Store) SignOutEverywhere(ctx context.Context, userID uint, remoteAddr string) (int64, error) {
	var n int64
	err := s.retryTx(ctx, "log out everywhere", func(tx *gorm.DB) error {
		var u User
		if err := tx.Take(&u, userID).Error; err != nil {
			return err
		}
		res := tx.Where("user_id = ?", userID).Delete(&Session{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return s.audit(tx, AuditEntry{UserID: &userID, Action: audit.LogoutEverywhere, Entity: "user", EntityID: u.Username,
			Details: map[string]int64{"sessions": n}, RemoteAddr: remoteAddr})
	})
	if err != nil {
		return 0, fmt.Errorf("store: sign out user %d everywhere: %w", userID, notFound(err))
	}
	return n, nil
}

// DeleteExpiredSessions removes sessions past their expiry and returns how many went.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", now.UTC()).Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}
