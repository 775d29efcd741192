package casefinding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
)

// Store is what casefinding needs of the database.
type Store interface {
	SuspenseKeys(ctx context.Context, facilityID uint, keys []string) (map[string]bool, error)
	AddSuspenseRecords(ctx context.Context, recs []store.SuspenseRecord, e store.AuditEntry) (int, error)
	MatchPatients(ctx context.Context, facilityID uint) ([]store.MatchPatient, error)
	MatchCandidates(ctx context.Context, facilityID uint, mrn, dob, last string) ([]store.MatchPatient, error)
	SuspenseByMRN(ctx context.Context, facilityID uint, mrns []string) ([]store.SuspenseRecord, error)
	SuspenseRecords(ctx context.Context, q store.SuspenseQuery) ([]store.SuspenseRecord, int64, error)
	EachSuspenseRecord(ctx context.Context, q store.SuspenseQuery, fn func(*store.SuspenseRecord) error) error
	DecideSuspense(ctx context.Context, sc store.Scope, by store.Actor, ds []store.SuspenseDecision) ([]uint, error)
	StartSuspenseCase(ctx context.Context, in store.SuspenseCase) (*store.Tumor, error)
	LoadPatient(ctx context.Context, id uint, sc store.Scope) (*store.PatientRecord, error)
	PatientTumors(ctx context.Context, patientID uint, sc store.Scope) ([]store.Tumor, error)
	FacilityByID(ctx context.Context, id uint) (*store.Facility, error)
	NextAccessionNumber(ctx context.Context, facilityID uint, year int) (string, error)
	TumorFacility(ctx context.Context, tumorID uint, sc store.Scope) (uint, error)
	SuspenseCaseTimes(ctx context.Context, facilityID uint, sc store.Scope) ([]store.SuspenseCaseTime, error)
	SearchPatients(ctx context.Context, q store.PatientSearch) ([]store.PatientRecord, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Checker derives a new case's items and runs its edits, so that a case started from the
// suspense list enters the worklist with its edit counts, as one started by hand does
// (casework.Service is one); nil leaves both to the first save of the case.
type Checker interface {
	Derive(patient, tumor map[string]string)
	Edits(cs *store.Case) ([]edits.Result, error)
}

// Actor is who asks: the user (nil for a command-line job), their role, the facilities they
// see, and where the request came from.
type Actor struct {
	UserID     *uint
	Role       auth.Role
	Scope      store.Scope
	RemoteAddr string
}

func (a Actor) by() store.Actor { return store.Actor{UserID: a.UserID, RemoteAddr: a.RemoteAddr} }

// mayDecide: registrars decide on possible cases, and administrators and command-line jobs
// (no user); a reviewer only looks.
func (a Actor) mayDecide() bool {
	return a.UserID == nil || a.Role == auth.RoleRegistrar || a.Role == auth.RoleAdmin
}

// Errors a caller tells apart.
var (
	ErrNotFound  = store.ErrNotFound
	ErrForbidden = errors.New("only registrars decide on possible cases")
)

// Service imports casefinding files and records the decisions on their records.
type Service struct {
	store  Store
	lists  *Lists
	checks Checker
	now    func() time.Time
}

// New makes the casefinding service; checks may be nil.
func New(st Store, lists *Lists, checks Checker, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, lists: lists, checks: checks, now: now}
}

// Lists are the casefinding data the service screens with.
func (s *Service) Lists() *Lists { return s.lists }

// ImportSummary is what an import did.
type ImportSummary struct {
	Read     int // data rows read, good and bad
	Added    int // new records on the suspense list (set aside ones among them)
	Already  int // rows the list already held
	SetAside int // added rows whose codes are all not reportable: set aside with their rule
	Errors   []RowError
	Ignored  []string // columns of the file cara does not read
}

// Import reads a casefinding file into a facility's suspense list: every good row is screened
// and matched against the facility's patients and tumors; a row the list already holds adds
// nothing, a row of not reportable codes only is set aside with its rule, and a bad row is
// reported with the reason while the good ones are kept. fileName goes into the audit event.
func (s *Service) Import(ctx context.Context, a Actor, facilityID uint, r io.Reader, fileName, defaultSource string) (*ImportSummary, error) {
	if !a.Scope.Contains(facilityID) {
		return nil, fmt.Errorf("casefinding: import into facility %d: %w", facilityID, ErrNotFound)
	}
	if !a.mayDecide() {
		return nil, ErrForbidden
	}
	if defaultSource == "" {
		defaultSource = "other"
	}
	p, err := s.lists.ParseFile(r, defaultSource, s.now())
	if err != nil {
		return nil, err
	}
	sum := &ImportSummary{Read: p.Read, Errors: p.Errors, Ignored: p.Ignored}
	keys := make([]string, len(p.Rows))
	seen := make(map[string]bool, len(p.Rows))
	for i := range p.Rows {
		keys[i] = p.Rows[i].Key()
	}
	have, err := s.store.SuspenseKeys(ctx, facilityID, keys)
	if err != nil {
		return nil, err
	}
	pats, err := s.store.MatchPatients(ctx, facilityID)
	if err != nil {
		return nil, err
	}
	ix := NewIndex(pats)
	listed, err := s.listedByMRN(ctx, facilityID, p.Rows)
	if err != nil {
		return nil, err
	}
	recs := make([]store.SuspenseRecord, 0, len(p.Rows))
	for i := range p.Rows {
		row := &p.Rows[i]
		if have[keys[i]] || seen[keys[i]] { // in the list, or twice in the file
			sum.Already++
			continue
		}
		seen[keys[i]] = true
		rec := s.record(facilityID, row, keys[i], ix, listed)
		rec.ImportedBy = a.UserID
		if rec.Status == store.SuspenseSetAside {
			sum.SetAside++
		}
		recs = append(recs, rec)
	}
	details := map[string]any{
		"facility": facilityID, "file": fileName, "read": sum.Read, "already": sum.Already,
		"set_aside": sum.SetAside, "errors": len(sum.Errors),
	}
	added, err := s.store.AddSuspenseRecords(ctx, recs, store.AuditEntry{
		UserID: a.UserID, Action: audit.CasefindingImport, Entity: "facility", EntityID: strconv.FormatUint(uint64(facilityID), 10),
		Details: details, RemoteAddr: a.RemoteAddr,
	})
	if err != nil {
		return nil, err
	}
	sum.Added = added
	// Rows another import added meanwhile were there already.
	sum.Already += len(recs) - added
	return sum, nil
}

// listed is what a facility's list already holds of the MRNs of a file, and the file's own rows
// as they come: the same patient found twice (a disease index entry and a pathology report of
// one tumor) is a possible duplicate the registrar should see.
type listed map[string][]listedEntry

type listedEntry struct {
	what  string // "possible case #12 (Pathology report, first contact 20260901, Waiting)" or "row 7 of this file"
	codes []string
}

func (s *Service) listedByMRN(ctx context.Context, facilityID uint, rows []Row) (listed, error) {
	var mrns []string
	seen := map[string]bool{}
	for i := range rows {
		if m := rows[i].MRN; !seen[m] {
			seen[m] = true
			mrns = append(mrns, m)
		}
	}
	recs, err := s.store.SuspenseByMRN(ctx, facilityID, mrns)
	if err != nil {
		return nil, err
	}
	l := listed{}
	for _, r := range recs {
		l[normMRN(r.MRN)] = append(l[normMRN(r.MRN)], listedEntry{
			what: fmt.Sprintf("possible case #%d (%s, first contact %s, %s)", r.ID, s.lists.Source(r.Source).Label, r.FirstContact,
				strings.ToLower(StatusLabel(r.Status))),
			codes: strings.Split(r.Codes, ";"),
		})
	}
	return l, nil
}

// sameCategory names a category two lists of codes share, if any.
func sameCategory(a, b []string) string {
	for _, x := range a {
		for _, y := range b {
			if len(x) >= 3 && len(y) >= 3 && x[:3] == y[:3] {
				return x[:3]
			}
		}
	}
	return ""
}

// record screens and matches a row, and notes the records of the list (and the rows of the
// file before it) with its MRN and a code of the same category.
func (s *Service) record(facilityID uint, row *Row, key string, ix *Index, l listed) store.SuspenseRecord {
	sc := s.lists.Rules.Record(row.Codes)
	m := ix.Match(row)
	mrn := normMRN(row.MRN)
	for _, e := range l[mrn] {
		if cat := sameCategory(row.Codes, e.codes); cat != "" {
			m.Reasons = append(m.Reasons, fmt.Sprintf("also on the list: %s, with the same MRN and a code of %s: a duplicate?", e.what, cat))
		}
	}
	l[mrn] = append(l[mrn], listedEntry{what: fmt.Sprintf("row %d of this file", row.Row), codes: row.Codes})
	reasons, _ := json.Marshal(m.Reasons)
	rec := store.SuspenseRecord{
		FacilityID: facilityID, RowKey: key, Source: row.Source, MRN: row.MRN, NameLast: row.NameLast, NameFirst: row.NameFirst,
		DateOfBirth: row.DateOfBirth, Sex: row.Sex, FirstContact: row.FirstContact, Codes: joinCodes(row.Codes), Text: row.Text,
		Screening: string(sc.Decision), RulePattern: sc.Rule.Pattern, RuleLabel: sc.Rule.Label, RuleCode: sc.Code,
		MatchKind: m.Kind, MatchScore: m.Score, MatchReasons: string(reasons), Status: store.SuspenseWaiting, Version: 1,
	}
	if m.PatientID != 0 {
		rec.MatchPatient = &m.PatientID
	}
	if m.TumorID != 0 {
		rec.MatchTumor = &m.TumorID
	}
	if sc.Decision == NotReportable {
		rec.Status = store.SuspenseSetAside
	}
	return rec
}

func joinCodes(cs []string) string {
	out := ""
	for i, c := range cs {
		if i > 0 {
			out += ";"
		}
		out += c
	}
	return out
}

// Filter selects records of a suspense list.
type Filter struct {
	FacilityID uint
	Statuses   []string
	Screening  string
	MatchKind  string
	Source     string
	Limit      int
	Offset     int
}

func (f Filter) query(a Actor) store.SuspenseQuery {
	return store.SuspenseQuery{Scope: a.Scope, FacilityID: f.FacilityID, Statuses: f.Statuses, Screening: f.Screening,
		MatchKind: f.MatchKind, Source: f.Source, Limit: f.Limit, Offset: f.Offset}
}

// List returns a page of a suspense list in the actor's scope, and audits the view (the list
// names patients).
func (s *Service) List(ctx context.Context, a Actor, f Filter) ([]store.SuspenseRecord, int64, error) {
	recs, total, err := s.store.SuspenseRecords(ctx, f.query(a))
	if err != nil {
		return nil, 0, err
	}
	if err := s.auditView(ctx, a, f, len(recs)); err != nil {
		return nil, 0, err
	}
	return recs, total, nil
}

// Each calls fn for every record of a suspense list in the actor's scope (for an export), and
// audits the view.
func (s *Service) Each(ctx context.Context, a Actor, f Filter, fn func(*store.SuspenseRecord) error) error {
	n := 0
	if err := s.store.EachSuspenseRecord(ctx, f.query(a), func(r *store.SuspenseRecord) error { n++; return fn(r) }); err != nil {
		return err
	}
	return s.auditView(ctx, a, f, n)
}

func (s *Service) auditView(ctx context.Context, a Actor, f Filter, n int) error {
	return s.store.Audit(ctx, store.AuditEntry{
		UserID: a.UserID, Action: audit.CasefindingView, Entity: "facility", EntityID: strconv.FormatUint(uint64(f.FacilityID), 10),
		Details: map[string]any{"statuses": f.Statuses, "screening": f.Screening, "match": f.MatchKind, "records": n}, RemoteAddr: a.RemoteAddr,
	})
}

// Reasons of a match, decoded.
func Reasons(r *store.SuspenseRecord) []string {
	var out []string
	_ = json.Unmarshal([]byte(r.MatchReasons), &out)
	return out
}

// Days is how long a record has waited since first contact, at now.
func Days(r *store.SuspenseRecord, now time.Time) int {
	t, err := time.Parse("20060102", r.FirstContact)
	if err != nil {
		return 0
	}
	return int(now.Sub(t).Hours() / 24)
}
