package fhirintake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/store"
)

// Source is the casefinding source of a bundle's suspense record
// (schemas/codes/casefinding-sources.csv).
const Source = "ehr_fhir"

// MaxBytes is the largest bundle taken in: one patient's cancer resources are kilobytes; a
// bundle of megabytes is not one of those.
const MaxBytes = 4 << 20

// maxText is the length of the suspense record's text kept (casefinding's).
const maxText = 10000

// Store is what the intake needs of the database.
type Store interface {
	MatchPatients(ctx context.Context, facilityID uint) ([]store.MatchPatient, error)
	FHIRBundleByKey(ctx context.Context, facilityID uint, key string) (*store.FHIRBundle, error)
	AddFHIRBundle(ctx context.Context, rec store.SuspenseRecord, b store.FHIRBundle, e store.AuditEntry) (uint, bool, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Errors a caller tells apart.
var (
	ErrNotFound  = store.ErrNotFound
	ErrForbidden = errors.New("only registrars and administrators send bundles")
)

// Service takes bundles into a facility's suspense list.
type Service struct {
	mapping *Mapping
	lists   *casefinding.Lists
	store   Store
	now     func() time.Time
}

// New makes the service.
func New(st Store, m *Mapping, lists *casefinding.Lists, now func() time.Time) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	if _, ok := lists.SourceOf(Source); !ok {
		return nil, fmt.Errorf("fhirintake: the casefinding sources have no %q", Source)
	}
	return &Service{mapping: m, lists: lists, store: st, now: now}, nil
}

// Receipt is what became of a bundle: what it said and, unless refused, the suspense record.
type Receipt struct {
	Result     *Result
	SuspenseID uint
	Added      bool // false: the facility had the bundle already (or it was refused)
	Screening  string
	MatchKind  string
}

// Refused says whether the bundle was refused (an error issue): nothing was stored.
func (r *Receipt) Refused() bool { return r.Result.Issues.Fatal() }

// Note is what the receipt says to the sender, for the OperationOutcome.
func (r *Receipt) Note() string {
	switch {
	case r.Refused():
		return ""
	case !r.Added:
		return fmt.Sprintf("the bundle was received before: possible case #%d, nothing added", r.SuspenseID)
	}
	return fmt.Sprintf("possible case #%d added to the suspense list (screening %s, %s), %d item values suggested",
		r.SuspenseID, r.Screening, casefinding.MatchLabel(r.MatchKind), len(r.Result.Suggestions))
}

// Receive maps a bundle and, unless it is refused, puts it on the facility's suspense list as a
// possible case with its suggestions, screened and matched by casefinding. The same bundle
// twice (its identifier, or its bytes when it has none) is stored once. name says where it came
// from (a file name, "POST /fhir/r4/Bundle") for the audit trail.
func (s *Service) Receive(ctx context.Context, a casefinding.Actor, facilityID uint, raw []byte, name string) (*Receipt, error) {
	if !a.Scope.Contains(facilityID) {
		return nil, fmt.Errorf("fhirintake: facility %d: %w", facilityID, ErrNotFound)
	}
	if a.UserID != nil && a.Role != auth.RoleRegistrar && a.Role != auth.RoleAdmin {
		return nil, ErrForbidden
	}
	rc := &Receipt{}
	if len(raw) > MaxBytes {
		rc.Result = &Result{Issues: Issues{{Severity: SeverityError, Code: "too-long", Path: "Bundle",
			Reason: fmt.Sprintf("the bundle is %d bytes, more than the %d cara takes", len(raw), MaxBytes)}}}
		return rc, s.auditNotAdded(ctx, a, facilityID, name, rc, "refused")
	}
	rc.Result = s.mapping.Map(raw, s.now())
	r := rc.Result
	if r.Issues.Fatal() {
		return rc, s.auditNotAdded(ctx, a, facilityID, name, rc, "refused")
	}
	if have, err := s.store.FHIRBundleByKey(ctx, facilityID, r.Key); err == nil {
		if have.SuspenseRecordID != nil {
			rc.SuspenseID = *have.SuspenseRecordID
		}
		return rc, s.auditNotAdded(ctx, a, facilityID, name, rc, "already")
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	pats, err := s.store.MatchPatients(ctx, facilityID)
	if err != nil {
		return nil, err
	}
	// The record's columns hold 64 characters of an MRN and 100 of a name (migration 00012); a
	// longer one was warned of, and the bundle is kept whole.
	row := casefinding.Row{MRN: clampRunes(r.MRN, 64), NameLast: clampRunes(r.NameLast, 100), NameFirst: clampRunes(r.NameFirst, 100), DateOfBirth: r.DateOfBirth, Sex: r.Sex,
		FirstContact: r.FirstContact, Codes: r.Codes, Source: Source, Text: r.Text()}
	row.Text, _ = excerpt.HeadN(row.Text, maxText) // whole UTF-8 sequences: MySQL refuses half of one
	sc := s.lists.Rules.Record(row.Codes)
	m := casefinding.NewIndex(pats).Match(&row)
	reasons, _ := json.Marshal(m.Reasons)
	rec := store.SuspenseRecord{
		FacilityID: facilityID, RowKey: r.Key, Source: Source, MRN: row.MRN, NameLast: row.NameLast, NameFirst: row.NameFirst,
		DateOfBirth: row.DateOfBirth, Sex: row.Sex, FirstContact: row.FirstContact, Codes: joinCodes(row.Codes), Text: row.Text,
		Screening: string(sc.Decision), RulePattern: sc.Rule.Pattern, RuleLabel: sc.Rule.Label, RuleCode: sc.Code,
		MatchKind: m.Kind, MatchScore: m.Score, MatchReasons: string(reasons), Status: store.SuspenseWaiting, Version: 1,
		ImportedBy: a.UserID,
	}
	if m.PatientID != 0 {
		rec.MatchPatient = &m.PatientID
	}
	if m.TumorID != 0 {
		rec.MatchTumor = &m.TumorID
	}
	if sc.Decision == casefinding.NotReportable {
		rec.Status = store.SuspenseSetAside
	}
	sugg, _ := json.Marshal(r.Suggestions)
	issues, _ := json.Marshal(r.Issues)
	b := store.FHIRBundle{FacilityID: facilityID, BundleKey: r.Key, Identifier: r.Identifier, SHA256: r.SHA256, BundleType: r.Type,
		Suggestions: string(sugg), Issues: string(issues), Raw: raw, ReceivedBy: a.UserID}
	id, added, err := s.store.AddFHIRBundle(ctx, rec, b, store.AuditEntry{
		UserID: a.UserID, Action: audit.CasefindingImport, Entity: "facility", EntityID: strconv.FormatUint(uint64(facilityID), 10),
		Details: map[string]any{"facility": facilityID, "source": Source, "file": name, "bundle": r.Identifier, "sha256": r.SHA256,
			"suggestions": len(r.Suggestions), "warnings": len(r.Issues)},
		RemoteAddr: a.RemoteAddr,
	})
	if err != nil {
		return nil, err
	}
	rc.SuspenseID, rc.Added, rc.Screening, rc.MatchKind = id, added, string(sc.Decision), m.Kind
	return rc, nil
}

// auditNotAdded records a bundle received and not added (refused, or there already): every
// bundle received is in the audit trail, with its SHA-256 and why.
func (s *Service) auditNotAdded(ctx context.Context, a casefinding.Actor, facilityID uint, name string, rc *Receipt, outcome string) error {
	r := rc.Result
	d := map[string]any{"facility": facilityID, "source": Source, "file": name, "bundle": r.Identifier, "sha256": r.SHA256,
		"added": 0, "outcome": outcome}
	if outcome == "refused" {
		var first string
		for _, is := range r.Issues {
			if is.Severity == SeverityError {
				first = is.String()
				break
			}
		}
		d["error"] = first
	} else {
		d["suspense_record"] = rc.SuspenseID
	}
	err := s.store.Audit(ctx, store.AuditEntry{UserID: a.UserID, Action: audit.CasefindingImport, Entity: "facility",
		EntityID: strconv.FormatUint(uint64(facilityID), 10), Details: d, RemoteAddr: a.RemoteAddr})
	if err != nil {
		return fmt.Errorf("fhirintake: audit: %w", err)
	}
	return nil
}

// Suggestions decodes the suggestions of a stored bundle.
func Suggestions(b *store.FHIRBundle) ([]Suggestion, error) {
	var out []Suggestion
	if err := json.Unmarshal([]byte(b.Suggestions), &out); err != nil {
		return nil, fmt.Errorf("fhirintake: suggestions of bundle %d: %w", b.ID, err)
	}
	return out, nil
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

func clampRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
