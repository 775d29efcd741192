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

// CaseTime is one case's timeliness: the days from first contact to its completion (first
// approval), or to now while it is open, and whether that is past TimelinessMonths.
type CaseTime struct {
	Days     int
	Complete bool
	Late     bool // completed after, or still open past, TimelinessMonths from first contact
}

// TimeOfCase is the timeliness of a case first contacted on firstContact (CCYYMMDD) and first
// approved at approvedAt (nil while it is not), at now; false when first contact is not a
// full date. The suspense list's report and the worklist's column both count with it.
func TimeOfCase(firstContact string, approvedAt *time.Time, now time.Time) (CaseTime, bool) {
	first, err := time.Parse("20060102", firstContact)
	if err != nil {
		return CaseTime{}, false
	}
	due := first.AddDate(0, TimelinessMonths, 0)
	if approvedAt == nil {
		return CaseTime{Days: int(now.Sub(first).Hours() / 24), Late: now.After(due)}, true
	}
	return CaseTime{Days: int(approvedAt.Sub(first).Hours() / 24), Complete: true, Late: approvedAt.After(due)}, true
}

func timeliness(rows []store.SuspenseCaseTime, now time.Time) *Timeliness {
	t := &Timeliness{Started: len(rows), MedianDays: -1}
	var days []int
	for _, r := range rows {
		ct, ok := TimeOfCase(r.FirstContact, r.ApprovedAt, now)
		switch {
		case !ok:
			continue
		case !ct.Complete:
			t.Open++
			if ct.Late {
				t.Overdue++
			}
			continue
		}
		t.Completed++
		if !ct.Late {
			t.InTime++
		}
		days = append(days, ct.Days)
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
