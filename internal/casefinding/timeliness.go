package casefinding

import (
	"context"
	"slices"
	"time"

	"github.com/cara-registry/cara/internal/store"
)

// TimelinessMonths is how long after first contact an abstract should be complete: the
// Commission on Cancer asks for six months.
const TimelinessMonths = 6

// Timeliness is how quickly the cases started from a facility's suspense list were completed:
// a case is complete when first approved; days run from the record's first contact.
type Timeliness struct {
	Started    int // cases started from the list
	Completed  int
	InTime     int // completed within TimelinessMonths of first contact
	MedianDays int // of the completed; -1 when none is
	Open       int // not yet approved
	Overdue    int // open, and past TimelinessMonths since first contact
}

// Timeliness reports the cases started from a facility's list, at now.
func (s *Service) Timeliness(ctx context.Context, a Actor, facilityID uint, now time.Time) (*Timeliness, error) {
	rows, err := s.store.SuspenseCaseTimes(ctx, facilityID, a.Scope)
	if err != nil {
		return nil, err
	}
	return timeliness(rows, now), nil
}

func timeliness(rows []store.SuspenseCaseTime, now time.Time) *Timeliness {
	t := &Timeliness{Started: len(rows), MedianDays: -1}
	var days []int
	for _, r := range rows {
		first, err := time.Parse("20060102", r.FirstContact)
		if err != nil {
			continue
		}
		due := first.AddDate(0, TimelinessMonths, 0)
		if r.ApprovedAt == nil {
			t.Open++
			if now.After(due) {
				t.Overdue++
			}
			continue
		}
		t.Completed++
		if !r.ApprovedAt.After(due) {
			t.InTime++
		}
		days = append(days, int(r.ApprovedAt.Sub(first).Hours()/24))
	}
	if len(days) > 0 {
		slices.Sort(days)
		t.MedianDays = days[len(days)/2]
		if len(days)%2 == 0 {
			t.MedianDays = (days[len(days)/2-1] + days[len(days)/2]) / 2
		}
	}
	return t
}
