package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// AuditFilter selects audit events for the audit log viewer and its CSV download. Zero fields
// select everything.
type AuditFilter struct {
	// Username selects the events a user made (user_id) and the events about them (entity user,
	// which includes failed sign-ins under that name, made by nobody).
	Username string
	// TumorID selects the events about one case: entity tumor, and the batches that sent it
	// (their one event covers every case they sent, see RecordSubmission).
	TumorID uint
	Action  string // one action name
	// From and To bound the time: From inclusive, To exclusive; zero is unbounded.
	From, To time.Time
	// Before pages newest first: only events with an id below it (0: from the newest).
	Before uint
	Limit  int // page size; 50 when 0
}

// AuditRow is an event with the username of the user who made it ("" for none).
type AuditRow struct {
	AuditEvent `gorm:"embedded"`
	Username   string
}

// AuditPage is one page of events, newest first; Next is the Before of the next (older) page, or
// 0 when this is the last.
type AuditPage struct {
	Events []AuditRow
	Next   uint
}

// auditQuery is the filter as a query on audit_events joined with users.
func (s *Store) auditQuery(db *gorm.DB, f AuditFilter) (*gorm.DB, error) {
	q := db.Table("audit_events").
		Select("audit_events.*, users.username AS username").
		Joins("LEFT JOIN users ON users.id = audit_events.user_id")
	if f.Username != "" {
		q = q.Where("(audit_events.user_id IN (?) OR (audit_events.entity = 'user' AND audit_events.entity_id = ?))",
			db.Model(&User{}).Select("id").Where("username = ?", f.Username), clampEntityID(f.Username))
	}
	if f.TumorID != 0 {
		// The batches first, in their own query: a few ids, so that both sides of the OR are
		// ranges of idx_audit_events_entity.
		var batches []uint
		if err := db.Model(&SubmissionTumor{}).Where("tumor_id = ? AND held = ?", f.TumorID, false).
			Order("submission_id").Pluck("submission_id", &batches).Error; err != nil {
			return nil, fmt.Errorf("batches of case %d: %w", f.TumorID, err)
		}
		cond := "(audit_events.entity = 'tumor' AND audit_events.entity_id = ?)"
		args := []any{strconv.FormatUint(uint64(f.TumorID), 10)}
		if len(batches) > 0 {
			ids := make([]string, len(batches))
			for i, b := range batches {
				ids[i] = strconv.FormatUint(uint64(b), 10)
			}
			cond = "(" + cond + " OR (audit_events.entity = 'submission' AND audit_events.entity_id IN ? AND audit_events.action = ?))"
			args = append(args, ids, audit.SubmissionCreate)
		}
		q = q.Where(cond, args...)
	}
	if f.Action != "" {
		q = q.Where("audit_events.action = ?", f.Action)
	}
	if !f.From.IsZero() {
		q = q.Where("audit_events.at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("audit_events.at < ?", f.To.UTC())
	}
	return q, nil
}

// SearchAudit returns one page of the events the filter selects, newest first (keyset paging on
// the id, so a page costs the same however deep it is).
func (s *Store) SearchAudit(ctx context.Context, f AuditFilter) (*AuditPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q, err := s.auditQuery(s.db.WithContext(ctx), f)
	if err != nil {
		return nil, fmt.Errorf("store: search audit: %w", err)
	}
	if f.Before != 0 {
		q = q.Where("audit_events.id < ?", f.Before)
	}
	var rows []AuditRow
	if err := q.Order("audit_events.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: search audit: %w", err)
	}
	p := &AuditPage{Events: rows}
	if len(rows) > limit {
		p.Events = rows[:limit]
		p.Next = rows[limit-1].ID
	}
	return p, nil
}

// EachAuditEvent calls fn for every event the filter selects (its Before and Limit aside), oldest
// first, reading batchSize events at a time so that a download of the whole trail keeps memory flat.
func (s *Store) EachAuditEvent(ctx context.Context, f AuditFilter, batchSize int, fn func(e *AuditRow) error) error {
	if batchSize <= 0 {
		batchSize = 1000
	}
	var after uint
	for {
		var rows []AuditRow
		q, err := s.auditQuery(s.db.WithContext(ctx), f)
		if err != nil {
			return fmt.Errorf("store: each audit event: %w", err)
		}
		q = q.Where("audit_events.id > ?", after)
		if err := q.Order("audit_events.id").Limit(batchSize).Scan(&rows).Error; err != nil {
			return fmt.Errorf("store: each audit event after %d: %w", after, err)
		}
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		if len(rows) < batchSize {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// CaseViews is how often one user opened a case, and when last.
type CaseViews struct {
	UserID   *uint
	Username string
	Count    int64
	Last     time.Time
}

// CaseHistory is a case's audit trail: every event but views (newest first), and the views
// counted by user.
type CaseHistory struct {
	Events    []AuditRow
	Truncated bool // more events than maxCaseEvents: only the newest are here
	Views     []CaseViews
}

// maxCaseEvents bounds the events a case history shows; the audit log viewer has them all.
const maxCaseEvents = 1000

// CaseHistory returns the audit trail of a case in scope; a case out of scope is ErrNotFound.
func (s *Store) CaseHistory(ctx context.Context, tumorID uint, sc Scope) (*CaseHistory, error) {
	db := s.db.WithContext(ctx)
	var t Tumor
	if err := sc.apply(db.Select("id", "facility_id").Where("id = ?", tumorID), "facility_id").Take(&t).Error; err != nil {
		return nil, fmt.Errorf("store: history of case %d: %w", tumorID, notFound(err))
	}
	id := strconv.FormatUint(uint64(tumorID), 10)
	var h CaseHistory
	q, err := s.auditQuery(db, AuditFilter{TumorID: tumorID})
	if err != nil {
		return nil, fmt.Errorf("store: history of case %d: %w", tumorID, err)
	}
	q = q.Where("audit_events.action <> ?", audit.CaseView)
	if err := q.Order("audit_events.id DESC").Limit(maxCaseEvents + 1).Scan(&h.Events).Error; err != nil {
		return nil, fmt.Errorf("store: history of case %d: %w", tumorID, err)
	}
	if len(h.Events) > maxCaseEvents {
		h.Events, h.Truncated = h.Events[:maxCaseEvents], true
	}
	var views []struct {
		UserID   *uint
		Username string
		Count    int64
		Last     uint // the id of the last view; its time is read after
	}
	err = db.Table("audit_events").
		Select("audit_events.user_id, users.username AS username, COUNT(*) AS count, MAX(audit_events.id) AS last").
		Joins("LEFT JOIN users ON users.id = audit_events.user_id").
		Where("audit_events.entity = 'tumor' AND audit_events.entity_id = ? AND audit_events.action = ?", id, audit.CaseView).
		Group("audit_events.user_id, users.username").Order("last DESC").Scan(&views).Error
	if err != nil {
		return nil, fmt.Errorf("store: views of case %d: %w", tumorID, err)
	}
	// The time of each user's last view: one query for the last events' times.
	lastIDs := make([]uint, len(views))
	for i, v := range views {
		lastIDs[i] = v.Last
	}
	times := map[uint]time.Time{}
	if len(lastIDs) > 0 {
		var evs []AuditEvent
		if err := db.Select("id", "at").Where("id IN ?", lastIDs).Find(&evs).Error; err != nil {
			return nil, fmt.Errorf("store: views of case %d: %w", tumorID, err)
		}
		for _, e := range evs {
			times[e.ID] = e.At
		}
	}
	for _, v := range views {
		h.Views = append(h.Views, CaseViews{UserID: v.UserID, Username: v.Username, Count: v.Count, Last: times[v.Last]})
	}
	return &h, nil
}
