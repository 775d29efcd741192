package followup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/store"
)

// Store is what the follow-up needs of the database.
type Store interface {
	FollowUpDue(ctx context.Context, f store.DueFilter) ([]store.DueRow, int64, error)
	FollowUpRateRows(ctx context.Context, sc store.Scope, dxFrom string) ([]store.RateRow, error)
	LivingPatients(ctx context.Context, sc store.Scope, dobs, lastNames []string) ([]store.Patient, error)
	RecordLetters(ctx context.Context, sc store.Scope, letters []store.FollowUpLetter, userID *uint, remoteAddr string) error
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Options are a registry's follow-up settings; the zero value of each is the CoC's.
type Options struct {
	// DueMonths is how old a date of last contact makes a case due (12: once a year).
	DueMonths int
	// LostMonths is how old makes it lost to follow-up (15, as the CoC counts it).
	LostMonths int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.DueMonths <= 0 {
		o.DueMonths = 12
	}
	if o.LostMonths <= 0 {
		o.LostMonths = 15
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Recorder records a follow-up through the case service (*casework.Service is one).
type Recorder interface {
	OpenPatient(ctx context.Context, a Actor, patientID uint) (*casework.Case, error)
	RecordFollowUp(ctx context.Context, a Actor, in Record) (*Recorded, error)
}

// Service runs the follow-up operations over a store.
type Service struct {
	store      Store
	recorder   Recorder
	siteGroups []codes.SiteGroup
	codes      *codes.Tables
	opt        Options
}

// New makes the follow-up service. siteGroups are the due list's site filter
// (schemas/forms/site-groups.csv); tables give the codes' labels (nil shows codes alone).
func New(st Store, rec Recorder, siteGroups []codes.SiteGroup, tables *codes.Tables, opt Options) *Service {
	return &Service{store: st, recorder: rec, siteGroups: siteGroups, codes: tables, opt: opt.withDefaults()}
}

// Options are the service's settings, defaults filled in.
func (s *Service) Options() Options { return s.opt }

// SiteGroups are the site groups the due list filters by.
func (s *Service) SiteGroups() []codes.SiteGroup { return s.siteGroups }

// DueQuery narrows a facility's due list.
type DueQuery struct {
	Scope store.Scope // the facility, in the actor's scope
	// Month (CCYYMM) lists the cases that fall due in that month (past or future) instead of
	// every case due now.
	Month string
	// Lost lists only the cases lost to follow-up (last contact more than LostMonths ago).
	Lost      bool
	Physician string // Follow-up Physician (#2470)
	SiteGroup string // a site group's id; empty for every site
	Limit     int    // page size; 0 means 500
	Offset    int
}

// Due is one case on the due list.
type Due struct {
	store.DueRow
	// DueDate is when the case fell or falls due (CCYYMMDD; CCYY or CCYYMM when the last contact
	// is partial; "" when there was none, which is due now).
	DueDate string
	// MonthsSince is the whole months since the last contact (-1 without one).
	MonthsSince int
	Lost        bool
	// NextSource is the Next Follow-up Source (#1800) in words: who is asked next.
	NextSource string
	// Contact is the follow-up contact (#2394 name, #1842 city, #1844 state), if recorded.
	Contact string
}

// DueList is a page of the due list and how many cases are on it in all.
type DueList struct {
	Rows  []Due
	Total int64
	// Before and From bound the dates of last contact listed (CCYYMMDD or a prefix).
	Before, From string
}

// ErrBadQuery is a filter that cannot be read (a month that is not CCYYMM, an unknown site
// group); the message says which.
var ErrBadQuery = fmt.Errorf("followup: bad query")

// Due lists the due list of a facility: the followed cases (internal/followed) of patients not known dead
// whose date of last contact is more than DueMonths old, oldest first, in one indexed query.
// The view is audited.
func (s *Service) Due(ctx context.Context, a Actor, q DueQuery) (*DueList, error) {
	f := store.DueFilter{Scope: q.Scope, Physician: strings.TrimSpace(q.Physician), Limit: q.Limit, Offset: q.Offset}
	now := s.opt.Now()
	f.ContactBefore = now.AddDate(0, -s.opt.DueMonths, 0).Format("20060102")
	if q.Lost {
		f.ContactBefore = now.AddDate(0, -s.opt.LostMonths, 0).Format("20060102")
	}
	if q.Month != "" {
		m, err := time.Parse("200601", q.Month)
		if err != nil {
			return nil, fmt.Errorf("%w: month due %q is not CCYYMM", ErrBadQuery, q.Month)
		}
		// Due in month M: last contact in month M minus DueMonths. The bounds are prefixes, so
		// that a partial date (CCYYMM) of that month is in.
		f.ContactFrom = m.AddDate(0, -s.opt.DueMonths, 0).Format("200601")
		if before := m.AddDate(0, 1-s.opt.DueMonths, 0).Format("200601"); !q.Lost || before < f.ContactBefore {
			f.ContactBefore = before
		}
	}
	if q.SiteGroup != "" {
		g := s.siteGroup(q.SiteGroup)
		if g == nil {
			return nil, fmt.Errorf("%w: no site group %q", ErrBadQuery, q.SiteGroup)
		}
		for _, r := range g.Ranges {
			f.Sites = append(f.Sites, store.SiteRange{From: r.From, To: r.To})
		}
	}
	rows, total, err := s.store.FollowUpDue(ctx, f)
	if err != nil {
		return nil, err
	}
	if err := s.store.Audit(ctx, store.AuditEntry{
		UserID: actorUser(a), Action: audit.FollowUpDue, Entity: "facility", EntityID: scopeID(q.Scope),
		Details:    map[string]any{"month": q.Month, "lost": q.Lost, "physician": q.Physician, "siteGroup": q.SiteGroup, "rows": len(rows), "total": total},
		RemoteAddr: a.RemoteAddr,
	}); err != nil {
		return nil, err
	}
	out := &DueList{Rows: make([]Due, len(rows)), Total: total, Before: f.ContactBefore, From: f.ContactFrom}
	lost := now.AddDate(0, -s.opt.LostMonths, 0).Format("20060102")
	for i, r := range rows {
		d := Due{DueRow: r, DueDate: addMonths(r.LastContact, s.opt.DueMonths), MonthsSince: monthsSince(r.LastContact, now)}
		d.Lost = r.LastContact < lost
		d.NextSource = s.label("nextFollowUpSource", r.NextFollowUpSource)
		d.Contact = joinNonEmpty(", ", r.TumorItems["followUpContactName"], r.TumorItems["followUpContactCity"], r.TumorItems["followUpContactState"])
		out.Rows[i] = d
	}
	return out, nil
}

func (s *Service) siteGroup(id string) *codes.SiteGroup {
	for i := range s.siteGroups {
		if s.siteGroups[i].ID == id {
			return &s.siteGroups[i]
		}
	}
	return nil
}

func (s *Service) label(item, code string) string {
	if code == "" || s.codes == nil {
		return code
	}
	if l, ok := s.codes.ForItem(item); ok {
		if lb := l.Label(code); lb != "" {
			return code + " " + lb
		}
	}
	return code
}

// addMonths is a CCYYMMDD date (or its CCYY, CCYYMM prefix) n months later, in the same form.
func addMonths(date string, n int) string {
	switch len(date) {
	case 8:
		if t, err := time.Parse("20060102", date); err == nil {
			return t.AddDate(0, n, 0).Format("20060102")
		}
	case 6:
		if t, err := time.Parse("200601", date); err == nil {
			return t.AddDate(0, n, 0).Format("200601")
		}
	case 4:
		if t, err := time.Parse("2006", date); err == nil {
			return t.AddDate(0, n, 0).Format("2006")
		}
	}
	return ""
}

// monthsSince is the whole months from a date (or its CCYY, CCYYMM prefix: the first day of the
// year or month) to now; -1 when there is no date.
func monthsSince(date string, now time.Time) int {
	var t time.Time
	var err error
	switch len(date) {
	case 8:
		t, err = time.Parse("20060102", date)
	case 6:
		t, err = time.Parse("200601", date)
	case 4:
		t, err = time.Parse("2006", date)
	default:
		return -1
	}
	if err != nil {
		return -1
	}
	m := (now.Year()-t.Year())*12 + int(now.Month()) - int(t.Month())
	if now.Day() < t.Day() {
		m--
	}
	return max(m, 0)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// scopeID names a one-facility scope for the audit trail ("all" or a list otherwise).
func scopeID(sc store.Scope) string {
	if id, ok := sc.Single(); ok {
		return fmt.Sprint(id)
	}
	if sc.All() {
		return "all"
	}
	return fmt.Sprint(sc.Facilities())
}
