package quality

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cara-registry/cara/internal/store"
)

// ProductivityQuery is the period and scope of the productivity figures: steps taken at or
// after From and before To.
type ProductivityQuery struct {
	Scope    store.Scope
	From, To time.Time
}

// Productivity is what registrars did in a period, from the workflow's steps:
//   - a case is abstracted in the week of its first send to review, by the sender;
//   - calendar days from diagnosis to that first send (cases without a full CCYYMMDD diagnosis date are
//     skipped and counted);
//   - days in review of the reviews decided in the period: from the send to the next approve
//     or return (the send may be older than the period);
//   - edit failures (errors + warnings) recorded at the first send;
//   - return rate: returns / (returns + approvals) decided in the period, of the sender's cases.
type Productivity struct {
	From, To   time.Time
	Weeks      []time.Time // Mondays (UTC) of the weeks the period touches
	Registrars []RegistrarProductivity
	Total      RegistrarProductivity // every registrar together (UserID 0)
}

// RegistrarProductivity is one registrar's figures; medians are NaN when there is nothing to
// take them of.
type RegistrarProductivity struct {
	UserID uint
	Name   string
	// PerWeek counts the cases abstracted in each of Productivity.Weeks.
	PerWeek             []int
	Cases               int
	MedianDxToSendDays  float64
	DxDatesUsed         int
	DxDatesSkipped      int // first sends of cases without a full date of diagnosis
	MedianReviewDays    float64
	Reviews             int
	MeanEditFailures    float64
	Returns, Approvals  int
	ReturnRate          float64 // percent; NaN when nothing was decided
	dxDays, reviewDays  []float64
	editFailures, sends int
}

// WeekStart is the Monday 00:00 UTC of the week t falls in.
func WeekStart(t time.Time) time.Time {
	d := dayOf(t)
	off := (int(d.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return d.AddDate(0, 0, -off)
}

// Productivity computes the figures of a period from two queries of the store: the steps of the
// cases in scope with a step in the period (store.ProductivitySteps) and the senders' names.
func (q *Service) Productivity(ctx context.Context, pq ProductivityQuery) (*Productivity, error) {
	from, to := pq.From.UTC(), pq.To.UTC()
	if !to.After(from) {
		return nil, fmt.Errorf("quality: productivity: the period %s to %s is empty", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	rows, err := q.store.ProductivitySteps(ctx, pq.Scope, from, to)
	if err != nil {
		return nil, fmt.Errorf("quality: productivity: %w", err)
	}
	p := figures(rows, from, to)
	ids := make([]uint, len(p.Registrars))
	for i, r := range p.Registrars {
		ids[i] = r.UserID
	}
	names, err := q.store.UserNames(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("quality: productivity: %w", err)
	}
	for i := range p.Registrars {
		p.Registrars[i].Name = names[p.Registrars[i].UserID]
	}
	slices.SortFunc(p.Registrars, func(a, b RegistrarProductivity) int {
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		return int(a.UserID) - int(b.UserID)
	})
	return p, nil
}

// figures takes the figures of [from, to) from the steps, ordered by case, time and id; the
// registrars come without names, in no order.
func figures(rows []store.ProductivityStep, from, to time.Time) *Productivity {
	p := &Productivity{From: from, To: to}
	for w := WeekStart(from); w.Before(to); w = w.AddDate(0, 0, 7) {
		p.Weeks = append(p.Weeks, w)
	}
	regs := map[uint]*RegistrarProductivity{}
	reg := func(id uint) *RegistrarProductivity {
		r, ok := regs[id]
		if !ok {
			r = &RegistrarProductivity{UserID: id, PerWeek: make([]int, len(p.Weeks))}
			regs[id] = r
		}
		return r
	}
	p.Total.PerWeek = make([]int, len(p.Weeks))
	inside := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }

	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && rows[end].TumorID == rows[start].TumorID {
			end++
		}
		steps := rows[start:end]
		start = end
		seenSend := false
		var lastSend *store.ProductivityStep
		for i := range steps {
			st := &steps[i]
			switch st.Action {
			case "send":
				first := !seenSend
				seenSend = true
				lastSend = st
				if st.UserID == nil || !inside(st.At) || !first {
					continue
				}
				for _, r := range []*RegistrarProductivity{reg(*st.UserID), &p.Total} {
					r.Cases++
					r.PerWeek[int(WeekStart(st.At).Sub(p.Weeks[0]).Hours()/(24*7))]++
					r.editFailures += st.EditErrors + st.EditWarnings
					r.sends++
					if dx, ok := fullDate(st.DateOfDiagnosis); ok {
						r.dxDays = append(r.dxDays, days(dayOf(st.At).Sub(dx)))
						r.DxDatesUsed++
					} else {
						r.DxDatesSkipped++
					}
				}
			case "approve", "return":
				send := lastSend
				lastSend = nil // the next decision needs a new send
				if send == nil || send.UserID == nil || !inside(st.At) {
					continue
				}
				for _, r := range []*RegistrarProductivity{reg(*send.UserID), &p.Total} {
					if st.Action == "return" {
						r.Returns++
					} else {
						r.Approvals++
					}
					r.reviewDays = append(r.reviewDays, days(st.At.Sub(send.At)))
					r.Reviews++
				}
			}
		}
	}
	for _, r := range regs {
		r.finish()
		p.Registrars = append(p.Registrars, *r)
	}
	p.Total.Name = "All registrars"
	p.Total.finish()
	return p
}

// finish turns the collected durations and counts into medians, means and rates.
func (r *RegistrarProductivity) finish() {
	r.MedianDxToSendDays = Median(r.dxDays)
	r.MedianReviewDays = Median(r.reviewDays)
	r.MeanEditFailures = math.NaN()
	if r.sends > 0 {
		r.MeanEditFailures = float64(r.editFailures) / float64(r.sends)
	}
	r.ReturnRate = math.NaN()
	if d := r.Returns + r.Approvals; d > 0 {
		r.ReturnRate = float64(r.Returns) * 100 / float64(d)
	}
}

// Median is the middle value (the mean of the two middle ones for an even count); NaN for none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

// dayOf is the calendar day (UTC) of a time: diagnosis to send counts whole days.
func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// fullDate parses a NAACCR date CCYYMMDD; a partial date (CCYY, CCYYMM) or a bad one is not full.
func fullDate(s string) (time.Time, bool) {
	if len(s) != 8 {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102", s)
	return t, err == nil
}
