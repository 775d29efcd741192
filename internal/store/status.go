package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// StatusUpdate moves a case from one status to another. The caller has checked the step against
// the workflow (abstract.Check); the store makes it happen only if the case is still in From
// (and, when Version is set, still at the version the user saw), so two people acting on the
// same case cannot both succeed.
type StatusUpdate struct {
	TumorID uint
	Scope   Scope
	Version int64 // the tumor version the user loaded; 0 skips the check (batch jobs)
	Action  string
	From    string
	To      string
	UserID  *uint
	Reason  string
	// EditErrors and EditWarnings are the case's failing edits when the step was taken.
	EditErrors, EditWarnings int
	RemoteAddr               string
	// Reviewed marks the user as the case's reviewer (an approval or a return).
	Reviewed bool
	// At is when the step was taken; zero means now. Tools that load a history (the demo data)
	// set it; people's steps take the store's clock.
	At time.Time
}

// ChangeStatus takes one workflow step in a transaction: the tumor's status (its version moves
// on, so a form loaded before the step cannot overwrite it), a row in status_changes, and an
// audit event. A case no longer in From, or changed since Version, is ErrConflict; a case out of
// scope is ErrNotFound. The case's updated_at, the last change of the abstract, stays: the step
// is in status_changed_at (and moving it would rewrite most worklist indexes, see
// migrations/*/00008_tumor_items.sql).
func (s *Store) ChangeStatus(ctx context.Context, in StatusUpdate) (*Tumor, error) {
	var t *Tumor
	err := s.retryTx(ctx, in.Action+" case", func(tx *gorm.DB) error {
		var err error
		t, err = s.changeStatus(tx, in)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("store: %s case %d: %w", in.Action, in.TumorID, err)
		}
		return nil, fmt.Errorf("store: %s case %d: %w", in.Action, in.TumorID, notFound(err))
	}
	return t, nil
}

// changeStatus is ChangeStatus inside the caller's transaction (a submission batch marks all its
// cases in the transaction that records the batch).
func (s *Store) changeStatus(tx *gorm.DB, in StatusUpdate) (*Tumor, error) {
	cur, err := s.loadCase(tx, in.TumorID, in.Scope)
	if err != nil {
		return nil, err
	}
	if cur.Tumor.Status != in.From || (in.Version != 0 && cur.Tumor.Version != in.Version) {
		return nil, ErrConflict
	}
	now := s.now().UTC()
	if !in.At.IsZero() {
		now = in.At.UTC().Truncate(time.Microsecond)
	}
	set := map[string]any{
		"status": in.To, "status_changed_at": now, "edit_errors": in.EditErrors, "edit_warnings": in.EditWarnings,
		"version": gorm.Expr("version + 1"),
	}
	if in.Reviewed {
		set["reviewed_by"] = in.UserID
	}
	q := tx.Model(&Tumor{}).Where("id = ? AND status = ?", in.TumorID, in.From)
	if in.Version != 0 {
		q = q.Where("version = ?", in.Version)
	}
	res := q.Updates(set)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, ErrConflict
	}
	sc := StatusChange{
		TumorID: in.TumorID, FacilityID: cur.Tumor.FacilityID, Action: in.Action, FromStatus: in.From, ToStatus: in.To,
		UserID: in.UserID, Reason: in.Reason, EditErrors: in.EditErrors, EditWarnings: in.EditWarnings, At: now,
	}
	if err := tx.Create(&sc).Error; err != nil {
		return nil, err
	}
	details := map[string]any{"action": in.Action, "from": in.From, "to": in.To,
		"edit_errors": in.EditErrors, "edit_warnings": in.EditWarnings}
	if in.Reason != "" {
		details["reason"] = in.Reason
	}
	if err := s.audit(tx, AuditEntry{
		UserID: in.UserID, Action: audit.CaseStatus, Entity: "tumor", EntityID: fmt.Sprint(in.TumorID),
		Details: details, RemoteAddr: in.RemoteAddr,
	}); err != nil {
		return nil, err
	}
	var t Tumor
	if err := tx.Take(&t, in.TumorID).Error; err != nil {
		return nil, err
	}
	t.Items = cur.Tumor.Items // a workflow step changes no item
	return &t, nil
}

// StatusHistory lists a case's workflow steps, oldest first. The case must be in scope. A
// submission batch's step is read from its links (RecordSubmission writes no status_changes
// row for each of its cases).
func (s *Store) StatusHistory(ctx context.Context, tumorID uint, sc Scope) ([]StatusChange, error) {
	db := s.db.WithContext(ctx)
	var out []StatusChange
	q := sc.apply(db.Where("tumor_id = ?", tumorID), "facility_id")
	if err := q.Order("at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: status history of case %d: %w", tumorID, err)
	}
	var sent []struct {
		FacilityID uint
		CreatedBy  *uint
		CreatedAt  time.Time
		FileName   string
		Warnings   int
	}
	err := sc.apply(db.Table("submission_tumors st").
		Select("s.facility_id, s.created_by, s.created_at, s.file_name, st.warnings").
		Joins("JOIN submissions s ON s.id = st.submission_id").
		Where("st.tumor_id = ? AND st.held = ?", tumorID, false), "s.facility_id").
		Order("s.created_at, s.id").Scan(&sent).Error
	if err != nil {
		return nil, fmt.Errorf("store: status history of case %d: batches: %w", tumorID, err)
	}
	for _, b := range sent {
		out = append(out, StatusChange{
			TumorID: tumorID, FacilityID: b.FacilityID, Action: "submit", FromStatus: "approved", ToStatus: "submitted",
			UserID: b.CreatedBy, Reason: "submission " + b.FileName, EditWarnings: b.Warnings, At: b.CreatedAt,
		})
	}
	slices.SortStableFunc(out, func(a, b StatusChange) int { return a.At.Compare(b.At) })
	return out, nil
}
