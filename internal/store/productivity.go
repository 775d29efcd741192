package store

import (
	"context"
	"fmt"
	"time"
)

// ProductivityStep is one send, approve or return step of the workflow with what the productivity
// figures (internal/quality) need of its case.
type ProductivityStep struct {
	ID              uint
	TumorID         uint
	Action          string
	UserID          *uint
	EditErrors      int
	EditWarnings    int
	At              time.Time
	DateOfDiagnosis string
}

// ProductivitySteps returns, in one query, the send, approve and return steps before to of every
// case in scope that has such a step at or after from: all of each such case's steps, so that a
// first send is known to be first. They come ordered by case, time and id, joined to the cases'
// dates of diagnosis.
func (s *Store) ProductivitySteps(ctx context.Context, sc Scope, from, to time.Time) ([]ProductivityStep, error) {
	db := s.db.WithContext(ctx)
	actions := []string{"send", "approve", "return"}
	inPeriod := sc.apply(db.Model(&StatusChange{}).Select("tumor_id").
		Where("at >= ? AND at < ? AND action IN ?", from.UTC(), to.UTC(), actions), "facility_id")
	var rows []ProductivityStep
	err := db.Table("status_changes AS sc").
		Select("sc.id, sc.tumor_id, sc.action, sc.user_id, sc.edit_errors, sc.edit_warnings, sc.at, t.date_of_diagnosis").
		Joins("JOIN tumors t ON t.id = sc.tumor_id").
		Where("sc.tumor_id IN (?) AND sc.at < ? AND sc.action IN ?", inPeriod, to.UTC(), actions).
		Order("sc.tumor_id, sc.at, sc.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: productivity steps: %w", err)
	}
	return rows, nil
}

// UserNames returns the display names (else usernames) of some users, by id, in one query.
func (s *Store) UserNames(ctx context.Context, ids []uint) (map[uint]string, error) {
	names := map[uint]string{}
	if err := s.userNames(s.db.WithContext(ctx), ids, names); err != nil {
		return nil, err
	}
	return names, nil
}
