package followup

import (
	"context"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/followed"
	"github.com/cara-registry/cara/internal/store"
)

// The CoC's follow-up targets (Optimal Resources for Cancer Care, 2020, Standard 6.4): 80 % of
// the eligible analytic cases since the reference date, 90 % of those diagnosed in the last five
// years or since the reference date, whichever is shorter.
const (
	TargetAll       = 0.80
	TargetFiveYears = 0.90
)

// Rate is the follow-up rate over cases diagnosed from a date, as SEER's "Follow-up
// calculations" lay it out: A the followed cases (every case less the exclusions, each with its
// count), B those dead, D those alive and current (last contact within LostMonths), E those
// lost; the rate is (B + D) / A.
type Rate struct {
	From     string // first date of diagnosis counted (CCYYMMDD; "" for every case)
	Cases    int    // every case diagnosed since From
	Excluded map[string]int
	Followed int // A
	Dead     int // B
	Current  int // D
	Lost     int // E
	Rate     float64
	Target   float64
}

// Met reports whether the rate reaches its target; a rate of no case is not judged.
func (r Rate) Met() bool { return r.Followed == 0 || r.Rate >= r.Target }

// RateReport is a facility's two rates, as of a date.
type RateReport struct {
	AsOf          string // CCYYMMDD
	ReferenceDate string
	All           Rate // since the reference date: target 80 %
	FiveYears     Rate // the last five years, or since the reference date: target 90 %
}

// Rate computes the follow-up rate report of the cases in scope. referenceDate (CCYYMMDD, the
// registry's reference date) bounds both rates; "" counts every case stored. The view is
// audited.
func (s *Service) Rate(ctx context.Context, a Actor, sc store.Scope, referenceDate string) (*RateReport, error) {
	now := s.opt.Now()
	rows, err := s.store.FollowUpRateRows(ctx, sc, referenceDate)
	if err != nil {
		return nil, err
	}
	five := now.AddDate(-5, 0, 0).Format("20060102")
	if referenceDate > five {
		five = referenceDate
	}
	current := now.AddDate(0, -s.opt.LostMonths, 0).Format("20060102")
	rep := &RateReport{
		AsOf: now.Format("20060102"), ReferenceDate: referenceDate,
		All:       Rate{From: referenceDate, Excluded: map[string]int{}, Target: TargetAll},
		FiveYears: Rate{From: five, Excluded: map[string]int{}, Target: TargetFiveYears},
	}
	for _, r := range rows {
		rep.All.add(r, current)
		if r.DateOfDiagnosis >= five {
			rep.FiveYears.add(r, current)
		}
	}
	rep.All.finish()
	rep.FiveYears.finish()
	if err := s.store.Audit(ctx, store.AuditEntry{
		UserID: actorUser(a), Action: audit.FollowUpRate, Entity: "facility", EntityID: scopeID(sc),
		Details: map[string]any{"referenceDate": referenceDate, "cases": rep.All.Cases}, RemoteAddr: a.RemoteAddr,
	}); err != nil {
		return nil, err
	}
	return rep, nil
}

func (r *Rate) add(row store.RateRow, current string) {
	r.Cases++
	switch {
	case row.Exclusion != "":
		r.Excluded[row.Exclusion]++
		return
	case row.VitalStatus == "0":
		r.Dead++
	case row.LastContact >= current:
		r.Current++
	default:
		r.Lost++
	}
	r.Followed++
}

func (r *Rate) finish() {
	if r.Followed > 0 {
		r.Rate = float64(r.Dead+r.Current) / float64(r.Followed)
	}
}

// ExclusionOrder is the order reports list the reasons in (followed.Order).
var ExclusionOrder = followed.Order

// ExclusionLabel says a reason in words.
func ExclusionLabel(reason string) string {
	if l := followed.Labels[reason]; l != "" {
		return l
	}
	return reason
}
