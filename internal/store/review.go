package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// ErrCommentState is a comment step that does not fit the comment as it stands: resolving one
// already resolved, closing one not yet resolved or already closed.
var ErrCommentState = errors.New("not possible in the comment's state")

// CommentAdd is a reviewer's new comment on a case.
type CommentAdd struct {
	TumorID  uint
	Scope    Scope
	NaaccrID string // the item it is about; "" for the case as a whole
	Body     string
	AuthorID uint
	// CaseStatuses are the statuses the case must still be in (checked in the transaction, so a
	// case approved meanwhile is not commented); a case in another status is ErrConflict.
	CaseStatuses []string
	RemoteAddr   string
}

// CommentStep resolves or closes a comment of a case.
type CommentStep struct {
	CommentID uint
	TumorID   uint
	Scope     Scope
	UserID    uint
	Note      string // the resolution, for a resolve
	// CaseStatuses, when set, are the statuses the case must still be in (else ErrConflict).
	CaseStatuses []string
	RemoteAddr   string
}

// CommentRow is a comment with the names of the people on it, as a case page lists it.
type CommentRow struct {
	ReviewComment
	AuthorName   string
	ResolverName string
	CloserName   string
}

// Open reports whether the comment still needs someone: the registrar (unresolved) or the
// reviewer (resolved, not closed).
func (c *ReviewComment) Open() bool { return c.ClosedAt == nil }

// AddComment stores a comment on a case in scope, audited. A case out of scope is ErrNotFound.
func (s *Store) AddComment(ctx context.Context, in CommentAdd) (*ReviewComment, error) {
	var rc *ReviewComment
	err := s.retryTx(ctx, "comment", func(tx *gorm.DB) error {
		rc = &ReviewComment{TumorID: in.TumorID, NaaccrID: in.NaaccrID, AuthorID: in.AuthorID, Body: in.Body}
		cs, err := s.loadCase(tx, in.TumorID, in.Scope)
		if err != nil {
			return err
		}
		if len(in.CaseStatuses) > 0 && !slices.Contains(in.CaseStatuses, cs.Tumor.Status) {
			return ErrConflict
		}
		rc.CreatedAt = s.now().UTC()
		if err := tx.Create(rc).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{
			UserID: &in.AuthorID, Action: audit.CommentAdd, Entity: "tumor", EntityID: fmt.Sprint(in.TumorID),
			Details: map[string]any{"comment": rc.ID, "item": in.NaaccrID, "body": in.Body}, RemoteAddr: in.RemoteAddr,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: comment on case %d: %w", in.TumorID, notFoundOrSelf(err))
	}
	return rc, nil
}

// ResolveComment marks an unresolved comment of a case resolved with the registrar's note.
func (s *Store) ResolveComment(ctx context.Context, in CommentStep) (*ReviewComment, error) {
	return s.commentStep(ctx, in, audit.CommentResolve, "resolved_at IS NULL AND closed_at IS NULL",
		func(now time.Time) map[string]any {
			return map[string]any{"resolved_at": now, "resolved_by": in.UserID, "resolution": in.Note}
		})
}

// CloseComment closes a resolved comment of a case (the reviewer agrees with the resolution).
func (s *Store) CloseComment(ctx context.Context, in CommentStep) (*ReviewComment, error) {
	return s.commentStep(ctx, in, audit.CommentClose, "resolved_at IS NOT NULL AND closed_at IS NULL",
		func(now time.Time) map[string]any {
			return map[string]any{"closed_at": now, "closed_by": in.UserID}
		})
}

// commentStep updates one comment of a case in scope if it is in the state cond describes
// (ErrCommentState otherwise), and audits the step, in one transaction.
func (s *Store) commentStep(ctx context.Context, in CommentStep, action, cond string, set func(time.Time) map[string]any) (*ReviewComment, error) {
	var rc ReviewComment
	err := s.retryTx(ctx, action+" comment", func(tx *gorm.DB) error {
		rc = ReviewComment{}
		cs, err := s.loadCase(tx, in.TumorID, in.Scope)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ? AND tumor_id = ?", in.CommentID, in.TumorID).Take(&rc).Error; err != nil {
			return notFound(err)
		}
		if len(in.CaseStatuses) > 0 && !slices.Contains(in.CaseStatuses, cs.Tumor.Status) {
			return ErrConflict
		}
		res := tx.Model(&ReviewComment{}).Where("id = ? AND "+cond, rc.ID).Updates(set(s.now().UTC()))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrCommentState
		}
		details := map[string]any{"comment": rc.ID, "item": rc.NaaccrID}
		if in.Note != "" {
			details["note"] = in.Note
		}
		if err := s.audit(tx, AuditEntry{
			UserID: &in.UserID, Action: action, Entity: "tumor", EntityID: fmt.Sprint(in.TumorID),
			Details: details, RemoteAddr: in.RemoteAddr,
		}); err != nil {
			return err
		}
		return tx.Take(&rc, rc.ID).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s comment %d of case %d: %w", action, in.CommentID, in.TumorID, notFoundOrSelf(err))
	}
	return &rc, nil
}

// notFoundOrSelf keeps the store's own errors and translates GORM's not-found.
func notFoundOrSelf(err error) error {
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrCommentState) {
		return err
	}
	return notFound(err)
}

// CaseComments lists the comments of a case in scope, oldest first, with the people's names. A
// case out of scope has none.
func (s *Store) CaseComments(ctx context.Context, tumorID uint, sc Scope) ([]CommentRow, error) {
	cond, args := sc.cond("t.facility_id")
	sql := `SELECT c.*, ` + nameOf("a") + ` AS author_name, ` + nameOf("r") + ` AS resolver_name, ` + nameOf("x") + ` AS closer_name
		FROM review_comments c JOIN tumors t ON t.id = c.tumor_id
		LEFT JOIN users a ON a.id = c.author_id LEFT JOIN users r ON r.id = c.resolved_by LEFT JOIN users x ON x.id = c.closed_by
		WHERE c.tumor_id = ?`
	args = append([]any{tumorID}, args...)
	if cond != "" {
		sql += " AND " + cond
	}
	var out []CommentRow
	if err := s.db.WithContext(ctx).Raw(sql+" ORDER BY c.created_at, c.id", args...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: comments of case %d: %w", tumorID, err)
	}
	return out, nil
}

// nameOf is a user's name as people read it: the display name, else the username.
func nameOf(alias string) string {
	return "COALESCE(NULLIF(" + alias + ".display_name, ''), " + alias + ".username, '')"
}

// ReviewQueueFilter narrows the review queue: the cases in review in the scope, oldest first.
type ReviewQueueFilter struct {
	Scope Scope
	// SentBy keeps the cases whose latest send to review was by that user.
	SentBy *uint
	// Sites keeps the cases whose primary site is in one of the ranges (a site group).
	Sites []SiteRange
	// WaitingSince keeps the cases in review since that time or earlier (zero: any).
	WaitingSince time.Time
	// Limit is the page size (0 means 50), Offset the number of rows to skip.
	Limit, Offset int
}

// ReviewQueueRow is one case waiting for review.
type ReviewQueueRow struct {
	TumorID             uint
	PatientID           uint
	FacilityID          uint
	NameLast            string
	NameFirst           string
	MedicalRecordNumber string
	PrimarySite         string
	Histology           string
	Behavior            string
	StatusChangedAt     *time.Time
	EditErrors          int
	EditWarnings        int
	SentBy              *uint  // who sent it to review (the latest send)
	SentByName          string // their name
	OpenComments        int    // comments not closed
}

// latestSend is the user of a case's latest send to review, read from the status_changes
// (tumor_id, at) index.
const latestSend = `(SELECT sc.user_id FROM status_changes sc WHERE sc.tumor_id = t.id AND sc.action = 'send' ORDER BY sc.at DESC, sc.id DESC LIMIT 1)`

// ReviewQueue lists one page of the cases in review in the scope, the longest waiting first, and
// how many there are in all. The cases are read from the tumors (facility_id, status,
// status_changed_at) index in its order; the sender and the open comments are looked up for the
// page's rows only, each from its own index.
func (s *Store) ReviewQueue(ctx context.Context, f ReviewQueueFilter) ([]ReviewQueueRow, int64, error) {
	conds := []string{"t.status = ?"}
	args := []any{"in_review"}
	if cond, a := f.Scope.cond("t.facility_id"); cond != "" {
		conds = append([]string{cond}, conds...)
		args = append(a, args...)
	}
	if len(f.Sites) > 0 {
		ors := make([]string, len(f.Sites))
		for i, r := range f.Sites {
			ors[i] = "t.primary_site BETWEEN ? AND ?"
			args = append(args, r.From, r.To)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if !f.WaitingSince.IsZero() {
		conds = append(conds, "t.status_changed_at <= ?")
		args = append(args, f.WaitingSince.UTC())
	}
	if f.SentBy != nil {
		conds = append(conds, latestSend+" = ?")
		args = append(args, *f.SentBy)
	}
	where := " FROM tumors t WHERE " + strings.Join(conds, " AND ")
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Raw("SELECT COUNT(*)"+where, args...).Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: review queue count: %w", err)
	}
	if total == 0 || int64(f.Offset) >= total {
		return nil, total, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	sql := `SELECT pg.*, ` + nameOf("u") + ` AS sent_by_name,
		(SELECT COUNT(*) FROM review_comments rc WHERE rc.tumor_id = pg.tumor_id AND rc.closed_at IS NULL) AS open_comments
		FROM (SELECT t.id AS tumor_id, t.patient_id, t.facility_id, t.name_last, t.name_first, t.medical_record_number,
			t.primary_site, t.histology, t.behavior, t.status_changed_at, t.edit_errors, t.edit_warnings,
			` + latestSend + ` AS sent_by` + where + `
			ORDER BY t.status_changed_at, t.id LIMIT ` + strconv.Itoa(limit) + ` OFFSET ` + strconv.Itoa(max(f.Offset, 0)) + `) pg
		LEFT JOIN users u ON u.id = pg.sent_by
		ORDER BY pg.status_changed_at, pg.tumor_id`
	var rows []ReviewQueueRow
	if err := db.Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("store: review queue: %w", err)
	}
	return rows, total, nil
}

// ReturnedCase is a case a reviewer returned, for the registrar's worklist.
type ReturnedCase struct {
	TumorID             uint
	NameLast            string
	NameFirst           string
	MedicalRecordNumber string
	PrimarySite         string
	StatusChangedAt     *time.Time
	Reason              string // the latest return's reason
	ReturnedByName      string
	Unresolved          int // comments the registrar has not resolved
}

// ReturnedCases lists the returned cases in scope, the longest returned first, at most limit,
// from the tumors (facility_id, status, status_changed_at) index; the return's reason and the
// unresolved comments are looked up for those rows only. With forUser set, only the cases that
// user sent to review last or is assigned to: the ones returned to them.
func (s *Store) ReturnedCases(ctx context.Context, sc Scope, forUser *uint, limit int) ([]ReturnedCase, error) {
	if limit <= 0 {
		limit = 20
	}
	conds := []string{"t.status = ?"}
	args := []any{"returned"}
	if cond, a := sc.cond("t.facility_id"); cond != "" {
		conds = append([]string{cond}, conds...)
		args = append(a, args...)
	}
	if forUser != nil {
		conds = append(conds, `(t.assigned_to = ? OR (SELECT sc.user_id FROM status_changes sc
			WHERE sc.tumor_id = t.id AND sc.action = 'send' ORDER BY sc.at DESC, sc.id DESC LIMIT 1) = ?)`)
		args = append(args, *forUser, *forUser)
	}
	sql := `SELECT pg.tumor_id, pg.name_last, pg.name_first, pg.medical_record_number, pg.primary_site, pg.status_changed_at,
		COALESCE(ls.reason, '') AS reason, ` + nameOf("u") + ` AS returned_by_name,
		(SELECT COUNT(*) FROM review_comments rc WHERE rc.tumor_id = pg.tumor_id AND rc.resolved_at IS NULL AND rc.closed_at IS NULL) AS unresolved
		FROM (SELECT t.id AS tumor_id, t.name_last, t.name_first, t.medical_record_number, t.primary_site, t.status_changed_at,
			(SELECT sc.id FROM status_changes sc WHERE sc.tumor_id = t.id AND sc.action = 'return' ORDER BY sc.at DESC, sc.id DESC LIMIT 1) AS last_return
			FROM tumors t WHERE ` + strings.Join(conds, " AND ") + `
			ORDER BY t.status_changed_at, t.id LIMIT ` + strconv.Itoa(limit) + `) pg
		LEFT JOIN status_changes ls ON ls.id = pg.last_return
		LEFT JOIN users u ON u.id = ls.user_id
		ORDER BY pg.status_changed_at, pg.tumor_id`
	var out []ReturnedCase
	if err := s.db.WithContext(ctx).Raw(sql, args...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: returned cases: %w", err)
	}
	return out, nil
}
