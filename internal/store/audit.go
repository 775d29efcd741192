package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// AuditEntry is what a caller records; the store stamps the time.
type AuditEntry struct {
	UserID     *uint
	Action     string
	Entity     string
	EntityID   string
	Details    any // encoded as JSON
	RemoteAddr string
}

// maxEntityID is the width of audit_events.entity_id (VARCHAR(64) on MySQL).
const maxEntityID = 64

// clampEntityID fits an entity id (a file path, a username typed at login) into the column, so
// that a long one cannot make the audit, and the action it records, fail on MySQL. A long id keeps
// its end, where a file name is, after "...". Writes and look-ups clamp alike, so they still match.
func clampEntityID(id string) string {
	if utf8.RuneCountInString(id) <= maxEntityID {
		return id
	}
	r := []rune(id)
	return "..." + string(r[len(r)-(maxEntityID-3):])
}

// Audit appends one event to the audit trail.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return s.audit(s.db.WithContext(ctx), e)
}

func (s *Store) audit(db *gorm.DB, e AuditEntry) error {
	details := "{}"
	if e.Details != nil {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("store: audit %s: encode details: %w", e.Action, err)
		}
		details = string(b)
	}
	ev := AuditEvent{
		At: s.now().UTC().Truncate(time.Microsecond), UserID: e.UserID, Action: e.Action,
		Entity: e.Entity, EntityID: clampEntityID(e.EntityID), Details: details, RemoteAddr: e.RemoteAddr,
	}
	if err := db.Create(&ev).Error; err != nil {
		return fmt.Errorf("store: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditEvents returns the newest events first, at most limit, for an entity (or all when entity
// is empty).
func (s *Store) AuditEvents(ctx context.Context, entity, entityID string, limit int) ([]AuditEvent, error) {
	q := s.db.WithContext(ctx).Order("id DESC").Limit(limit)
	if entity != "" {
		q = q.Where("entity = ? AND entity_id = ?", entity, clampEntityID(entityID))
	}
	var evs []AuditEvent
	if err := q.Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("store: audit events: %w", err)
	}
	return evs, nil
}

// CountAudit counts events of one action on one entity since a time; login throttling uses it,
// so the limit holds across every cara process that shares the database.
func (s *Store) CountAudit(ctx context.Context, action, entity, entityID string, since time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&AuditEvent{}).
		Where("entity = ? AND entity_id = ? AND action = ? AND at > ?", entity, clampEntityID(entityID), action, since.UTC()).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("store: count audit %s: %w", action, err)
	}
	return n, nil
}
