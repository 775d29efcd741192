package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/tempfile"
)

// Store is what the release service needs of the store.
type Store interface {
	AddDataRequest(ctx context.Context, r *store.DataRequest, e store.AuditEntry) error
	UpdateDataRequest(ctx context.Context, r *store.DataRequest, from string, e store.AuditEntry) error
	DataRequestByID(ctx context.Context, id uint) (*store.DataRequest, error)
	DataRequests(ctx context.Context, limit int) ([]store.DataRequest, error)
	AddRelease(ctx context.Context, r *store.Release, patients []store.ReleasePatient, e store.AuditEntry) error
	ReleaseByID(ctx context.Context, id uint) (*store.Release, error)
	Releases(ctx context.Context, requestID uint, limit int) ([]store.Release, error)
	ExpiredReleaseFiles(ctx context.Context, now time.Time) ([]store.Release, error)
	MarkReleasePurged(ctx context.Context, id uint, e store.AuditEntry) error
	Disclosures(ctx context.Context, patientID uint, sc store.Scope) ([]store.Disclosure, error)
	EachPatient(ctx context.Context, f store.PatientFilter, batchSize int, fn func(p *store.Patient, tumors []store.Tumor) error) error
	ReportCounts(ctx context.Context, f store.ReportFilter, dims []store.ReportDim) ([]store.ReportCount, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Errors a caller maps to an answer.
var (
	ErrForbidden  = errors.New("release: only an administrator approves or denies a request")
	ErrNotRunning = errors.New("release: the request is not approved, or its approval has expired")
	ErrPurged     = errors.New("release: the file has expired and was purged; run the extract again while the request is approved")
	ErrChanged    = errors.New("the file's SHA-256 is not the one logged: it was changed after the extract ran")
	ErrNoDir      = errors.New("release: no directory for extract files is configured (CARA_RELEASE_DIR)")
)

// Formats an extract is written in.
const (
	FormatXML  = "xml"
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// Actor is who does something: their user id, role, scope and address for the audit trail.
type Actor struct {
	UserID     uint
	Role       auth.Role
	Scope      store.Scope
	RemoteAddr string
}

func (a Actor) entry(action, entity string, details map[string]any) store.AuditEntry {
	id := a.UserID
	return store.AuditEntry{UserID: &id, Action: action, Entity: entity, Details: details, RemoteAddr: a.RemoteAddr}
}

// Options are the service's settings.
type Options struct {
	Dir string // where extract files are kept until they expire
	// Keep is how long a file is kept at most; a request expiring sooner shortens it.
	Keep time.Duration
	Now  func() time.Time
}

// Service is the release of information.
type Service struct {
	store      Store
	dict       *naaccr.Dictionary
	policy     *Policy
	siteGroups []codes.SiteGroup
	opt        Options
}

// New makes the service.
func New(st Store, dict *naaccr.Dictionary, policy *Policy, siteGroups []codes.SiteGroup, opt Options) *Service {
	if opt.Keep <= 0 {
		opt.Keep = 30 * 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Service{store: st, dict: dict, policy: policy, siteGroups: siteGroups, opt: opt}
}

// Dictionary is the dictionary items are picked from.
func (s *Service) Dictionary() *naaccr.Dictionary { return s.dict }

// Policy is the identifier policy.
func (s *Service) Policy() *Policy { return s.policy }

// SiteGroups are the site groups a request may filter on.
func (s *Service) SiteGroups() []codes.SiteGroup { return s.siteGroups }

func (s *Service) groupSet() map[string]bool {
	m := map[string]bool{}
	for _, g := range s.siteGroups {
		m[g.ID] = true
	}
	return m
}

// Request is a data request as the service reads it.
type Request struct {
	store.DataRequest
	Level   Level
	Basis   LegalBasis
	ItemIDs []string
	Filter  Filters
}

// Runnable reports whether the request's extract may run at t.
func (r *Request) Runnable(t time.Time) bool {
	return r.Status == StatusApproved && r.ExpiresAt != nil && t.Before(*r.ExpiresAt)
}

func decode(r *store.DataRequest) (*Request, error) {
	out := &Request{DataRequest: *r, Level: Level(r.PrivacyLevel), Basis: LegalBasis(r.LegalBasis)}
	if err := json.Unmarshal([]byte(r.Items), &out.ItemIDs); err != nil {
		return nil, fmt.Errorf("release: request %d: items: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Filters), &out.Filter); err != nil {
		return nil, fmt.Errorf("release: request %d: filters: %w", r.ID, err)
	}
	return out, nil
}

// Draft stores a new request (any signed-in user may draft; only an admin approves).
func (s *Service) Draft(ctx context.Context, a Actor, in RequestInput) (*Request, error) {
	in, err := in.validate(s.dict, s.groupSet())
	if err != nil {
		return nil, err
	}
	uid := a.UserID
	r := &store.DataRequest{
		RequesterName: in.RequesterName, Organization: in.Organization, Email: in.Email, Purpose: in.Purpose,
		LegalBasis: in.LegalBasis, LegalReference: in.LegalReference, PrivacyLevel: in.PrivacyLevel,
		Items: encodeJSON(in.Items), Filters: encodeJSON(in.Filters), Status: StatusDraft, CreatedBy: &uid,
	}
	e := a.entry(audit.ReleaseDraft, "data_request", map[string]any{
		"requester": in.RequesterName, "legal_basis": in.LegalBasis, "privacy_level": in.PrivacyLevel, "items": len(in.Items)})
	if err := s.store.AddDataRequest(ctx, r, e); err != nil {
		return nil, fmt.Errorf("release: draft: %w", err)
	}
	return decode(r)
}

// Get returns a request; an approved request past its expiry reads as expired.
func (s *Service) Get(ctx context.Context, id uint) (*Request, error) {
	r, err := s.store.DataRequestByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.expire(r)
	return decode(r)
}

func (s *Service) expire(r *store.DataRequest) {
	if r.Status == StatusApproved && r.ExpiresAt != nil && !s.opt.Now().Before(*r.ExpiresAt) {
		r.Status = StatusExpired
	}
}

// List returns the newest requests.
func (s *Service) List(ctx context.Context, limit int) ([]*Request, error) {
	rs, err := s.store.DataRequests(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*Request, 0, len(rs))
	for i := range rs {
		s.expire(&rs[i])
		r, err := decode(&rs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Approve approves a draft until expires (an admin only; not in the past).
func (s *Service) Approve(ctx context.Context, a Actor, id uint, expires time.Time, note string) (*Request, error) {
	if a.Role != auth.RoleAdmin {
		return nil, ErrForbidden
	}
	r, err := s.store.DataRequestByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusDraft {
		return nil, FieldErrors{"status": fmt.Sprintf("request %d is %s; only a draft is approved", id, r.Status)}
	}
	now := s.opt.Now().UTC().Truncate(time.Microsecond)
	if !expires.After(now) {
		return nil, FieldErrors{"expires": "the approval must expire in the future"}
	}
	// The checks of drafting again: an identified extract needs its basis at approval too.
	req, err := decode(r)
	if err != nil {
		return nil, err
	}
	if _, err := (RequestInput{RequesterName: r.RequesterName, Organization: r.Organization, Email: r.Email, Purpose: r.Purpose,
		LegalBasis: r.LegalBasis, LegalReference: r.LegalReference, PrivacyLevel: r.PrivacyLevel, Items: req.ItemIDs,
		Filters: req.Filter}).validate(s.dict, s.groupSet()); err != nil {
		return nil, err
	}
	uid, exp := a.UserID, expires.UTC().Truncate(time.Microsecond)
	r.Status, r.ApproverID, r.ApprovedAt, r.ExpiresAt, r.DecisionNote = StatusApproved, &uid, &now, &exp, strings.TrimSpace(note)
	e := a.entry(audit.ReleaseApprove, "data_request", map[string]any{"expires_at": exp.Format(time.RFC3339)})
	if err := s.store.UpdateDataRequest(ctx, r, StatusDraft, e); err != nil {
		return nil, err
	}
	return decode(r)
}

// Deny denies a draft (an admin only), with the reason.
func (s *Service) Deny(ctx context.Context, a Actor, id uint, note string) (*Request, error) {
	if a.Role != auth.RoleAdmin {
		return nil, ErrForbidden
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, FieldErrors{"note": "say why the request is denied"}
	}
	r, err := s.store.DataRequestByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusDraft {
		return nil, FieldErrors{"status": fmt.Sprintf("request %d is %s; only a draft is denied", id, r.Status)}
	}
	uid, now := a.UserID, s.opt.Now().UTC().Truncate(time.Microsecond)
	r.Status, r.ApproverID, r.ApprovedAt, r.DecisionNote = StatusDenied, &uid, &now, note
	e := a.entry(audit.ReleaseDeny, "data_request", map[string]any{"note": note})
	if err := s.store.UpdateDataRequest(ctx, r, StatusDraft, e); err != nil {
		return nil, err
	}
	return decode(r)
}

// caseFilter keeps the tumors of a request's filters that the store's filter cannot express.
type caseFilter struct {
	ranges [][2]string
}

func (s *Service) filterOf(f Filters) (store.PatientFilter, caseFilter, error) {
	pf := store.PatientFilter{Statuses: f.Statuses}
	if f.YearFrom != 0 {
		pf.DiagnosedFrom = fmt.Sprintf("%04d", f.YearFrom)
	}
	if f.YearTo != 0 {
		pf.DiagnosedTo = fmt.Sprintf("%04d", f.YearTo)
	}
	var cf caseFilter
	for _, r := range f.Sites {
		from, to, err := SiteRange(r)
		if err != nil {
			return pf, cf, err
		}
		cf.ranges = append(cf.ranges, [2]string{from, to})
	}
	for _, id := range f.SiteGroups {
		for _, g := range s.siteGroups {
			if g.ID == id {
				for _, r := range g.Ranges {
					cf.ranges = append(cf.ranges, [2]string{r.From, r.To})
				}
			}
		}
	}
	return pf, cf, nil
}

func (cf caseFilter) keep(t *store.Tumor) bool {
	if len(cf.ranges) == 0 {
		return true
	}
	for _, r := range cf.ranges {
		if r[0] <= t.PrimarySite && t.PrimarySite <= r[1] {
			return true
		}
	}
	return false
}

// eachCase calls fn with every patient in the actor's scope with the tumors of the filters.
func (s *Service) eachCase(ctx context.Context, sc store.Scope, f Filters, fn func(p *store.Patient, ts []store.Tumor) error) error {
	pf, cf, err := s.filterOf(f)
	if err != nil {
		return err
	}
	pf.Scope = sc
	return s.store.EachPatient(ctx, pf, 500, func(p *store.Patient, ts []store.Tumor) error {
		kept := ts[:0:0]
		for i := range ts {
			if cf.keep(&ts[i]) {
				kept = append(kept, ts[i])
			}
		}
		if len(kept) == 0 {
			return nil
		}
		return fn(p, kept)
	})
}

// RecordType is the NAACCR record type of an extract of items: I when every item is part of the
// incidence record, A otherwise.
func (s *Service) RecordType(items []string) string {
	for _, id := range items {
		if it, ok := s.dict.Item(id); ok && !it.InRecordType("I") {
			return "A"
		}
	}
	return "I"
}

// Run runs an approved request's extract in a format, in the actor's scope: the file is written
// with only the items the privacy level allows, kept until the approval expires (at most
// Options.Keep), and logged with its SHA-256 and the patients it holds.
func (s *Service) Run(ctx context.Context, a Actor, id uint, format string) (*store.Release, error) {
	req, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.opt.Now()
	if !req.Runnable(now) {
		return nil, ErrNotRunning
	}
	ext, ok := map[string]string{FormatXML: ".xml", FormatCSV: ".csv", FormatXLSX: ".xlsx"}[format]
	if !ok {
		return nil, FieldErrors{"format": fmt.Sprintf("%q: choose xml, csv or xlsx", format)}
	}
	items, dropped := s.policy.Items(req.Level, req.ItemIDs)
	if len(items) == 0 {
		return nil, FieldErrors{"items": fmt.Sprintf("the %s level drops every item picked", req.Level.Label())}
	}
	if s.opt.Dir == "" {
		return nil, ErrNoDir
	}
	if err := tempfile.MkdirAll(s.opt.Dir); err != nil {
		return nil, fmt.Errorf("release: files directory: %w", err)
	}
	tmp, err := tempfile.Create(s.opt.Dir, "release")
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	defer tmp.Remove()
	h := sha256.New()
	w := io.MultiWriter(tmp.File, h)
	var out extractWriter
	switch format {
	case FormatXML:
		out, err = newXMLExtract(w, s.dict, s.RecordType(items))
	case FormatCSV:
		out, err = newCSVExtract(w, s.dict, items)
	case FormatXLSX:
		out, err = newXLSXExtract(w, s.dict, items)
	}
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	picked := map[string]bool{}
	for _, it := range items {
		picked[it] = true
	}
	var links []store.ReleasePatient
	nTumors := 0
	err = s.eachCase(ctx, a.Scope, req.Filter, func(p *store.Patient, ts []store.Tumor) error {
		np := naaccr.Patient{Items: s.policy.Apply(req.Level, picked, p.Items)}
		ages := make([]string, 0, len(ts))
		for _, t := range ts {
			np.Tumors = append(np.Tumors, naaccr.Tumor{Items: s.policy.Apply(req.Level, picked, t.Items)})
			ages = append(ages, t.Items["ageAtDiagnosis"])
		}
		if req.Level == Deidentified && Over89(p.Items["dateOfBirth"], ages, now) {
			delete(np.Items, "dateOfBirth") // the year of birth of a patient over 89 tells the age
		}
		if err := out.write(&np); err != nil {
			return fmt.Errorf("patient %d: %w", p.ID, err)
		}
		links = append(links, store.ReleasePatient{PatientID: p.ID, Tumors: len(ts)})
		nTumors += len(ts)
		return nil
	})
	if err == nil {
		err = out.close()
	}
	if err != nil {
		return nil, fmt.Errorf("release: extract of request %d: %w", id, err)
	}
	keep := now.Add(s.opt.Keep)
	if req.ExpiresAt.Before(keep) {
		keep = *req.ExpiresAt
	}
	uid := a.UserID
	rel := &store.Release{
		RequestID: id, RunBy: &uid, Format: format, Filters: req.Filters, Items: encodeJSON(items),
		PrivacyLevel: string(req.Level), Patients: len(links), Tumors: nTumors, SHA256: hex.EncodeToString(h.Sum(nil)),
		FileName:  fmt.Sprintf("release-%d-%s-%s%s", id, req.Level, now.UTC().Format("20060102-150405"), ext),
		KeptUntil: keep.UTC().Truncate(time.Microsecond),
	}
	rel.FilePath = filepath.Join(s.opt.Dir, rel.SHA256+ext)
	if err := tmp.Rename(rel.FilePath); err != nil {
		return nil, fmt.Errorf("release: keep file: %w", err)
	}
	e := a.entry(audit.ReleaseRun, "release", map[string]any{"request": id, "format": format,
		"privacy_level": string(req.Level), "items": items, "dropped": dropped, "filters": req.Filter})
	if err := s.store.AddRelease(ctx, rel, links, e); err != nil {
		_ = os.Remove(rel.FilePath)
		return nil, err
	}
	return rel, nil
}

// Releases returns the release log (of one request, or all with 0).
func (s *Service) Releases(ctx context.Context, requestID uint, limit int) ([]store.Release, error) {
	return s.store.Releases(ctx, requestID, limit)
}

// Open opens a release's file for download, audited; an expired file is purged first and
// ErrPurged says so.
func (s *Service) Open(ctx context.Context, a Actor, id uint) (*store.Release, *os.File, error) {
	rel, err := s.store.ReleaseByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if rel.FilePath != "" && !s.opt.Now().Before(rel.KeptUntil) {
		if err := s.purge(ctx, a, rel); err != nil {
			return nil, nil, err
		}
	}
	if rel.FilePath == "" {
		return rel, nil, ErrPurged
	}
	f, err := os.Open(rel.FilePath)
	if err != nil {
		return nil, nil, fmt.Errorf("release: file of release %d: %w", id, err)
	}
	// The file sent must be the one logged: a file changed on disk is refused, not released.
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("release: file of release %d: %w", id, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != rel.SHA256 {
		f.Close()
		return nil, nil, fmt.Errorf("release: file of release %d: %w", id, ErrChanged)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("release: file of release %d: %w", id, err)
	}
	e := a.entry(audit.ReleaseDownload, "release", map[string]any{"sha256": rel.SHA256, "file": rel.FileName})
	e.EntityID = fmt.Sprint(rel.ID)
	if err := s.store.Audit(ctx, e); err != nil {
		f.Close()
		return nil, nil, err
	}
	return rel, f, nil
}

func (s *Service) purge(ctx context.Context, a Actor, rel *store.Release) error {
	if err := os.Remove(rel.FilePath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("release: purge file of release %d: %w", rel.ID, err)
	}
	var e store.AuditEntry
	if a.UserID != 0 {
		e = a.entry(audit.ReleasePurge, "release", map[string]any{"sha256": rel.SHA256})
	} else {
		e = store.AuditEntry{Action: audit.ReleasePurge, Entity: "release", Details: map[string]any{"sha256": rel.SHA256}}
	}
	if err := s.store.MarkReleasePurged(ctx, rel.ID, e); err != nil {
		return err
	}
	rel.FilePath = ""
	return nil
}

// PurgeExpired deletes every file kept past its time (run at start and from time to time).
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	rels, err := s.store.ExpiredReleaseFiles(ctx, s.opt.Now())
	if err != nil {
		return 0, err
	}
	for i := range rels {
		if err := s.purge(ctx, Actor{}, &rels[i]); err != nil {
			return i, err
		}
	}
	return len(rels), nil
}

// Disclosures is the accounting of disclosures of a patient in the actor's scope; the view is
// audited.
func (s *Service) Disclosures(ctx context.Context, a Actor, patientID uint) ([]store.Disclosure, error) {
	ds, err := s.store.Disclosures(ctx, patientID, a.Scope)
	if err != nil {
		return nil, err
	}
	e := a.entry(audit.ReleaseDisclosures, "patient", map[string]any{"releases": len(ds)})
	e.EntityID = fmt.Sprint(patientID)
	if err := s.store.Audit(ctx, e); err != nil {
		return nil, err
	}
	return ds, nil
}
