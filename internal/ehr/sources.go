package ehr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/fhirintake"
	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/store"
)

// SourceStore is what the sources of a case need of the database.
type SourceStore interface {
	SuspenseRecordsOfTumor(ctx context.Context, tumorID uint) ([]store.SuspenseRecord, error)
	EHRReportOf(ctx context.Context, suspenseID uint) (*store.EHRReport, []store.EHRSuggestion, error)
	FHIRBundleOf(ctx context.Context, suspenseID uint) (*store.FHIRBundle, error)
	DismissedSuggestions(ctx context.Context, tumorID uint) (map[string]map[string]bool, error)
	DismissSuggestion(ctx context.Context, d store.SuggestionDismissal, e store.AuditEntry) error
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Sources finds the electronic reports a case was started from (HL7 v2 pathology reports and
// FHIR bundles alike) and what they suggest for its items. The caller has opened the case in
// the user's scope: the reports of a case are seen by whoever may see the case.
type Sources struct {
	store  SourceStore
	mapper *Mapper // reads a stored HL7 message again for its sections
}

// NewSources makes the service; mapper may be nil (the report text is then the suspense
// record's).
func NewSources(st SourceStore, mapper *Mapper) *Sources { return &Sources{store: st, mapper: mapper} }

// Formats of a source report.
const (
	FormatHL7  = "hl7v2"
	FormatFHIR = "fhir"
)

// SourceReport is one report a case came from, as the split view shows it.
type SourceReport struct {
	Key      string // "hl7v2-12", "fhir-3": what the routes name
	Format   string
	Title    string // "Pathology report S26-1234 from STATE LAB", "FHIR bundle urn:..."
	Received time.Time
	Sections []ReportSection
	HasRaw   bool
	raw      []byte
}

// CaseSuggestion is a value a report suggests for an item, with where it came from.
type CaseSuggestion struct {
	Item       string // naaccrId
	Value      string
	Source     string // "OBX 4 (LN 85337-4)", "Bundle.entry[1].resource(Condition).bodySite[0].coding[0]"
	SourceText string // the text it was read from
	Report     string // the report's title
	ReportKey  string
	Received   time.Time
}

// CaseSources are the reports of a case and their suggestions by item, in the reports' order;
// a dismissed value is left out.
type CaseSources struct {
	Reports []SourceReport
	ByItem  map[string][]CaseSuggestion
}

// Empty says whether the case came from no report.
func (cs *CaseSources) Empty() bool { return cs == nil || len(cs.Reports) == 0 }

// Of returns the sources of a case. A case not started from a report has none (no error).
func (s *Sources) Of(ctx context.Context, tumorID uint) (*CaseSources, error) {
	recs, err := s.store.SuspenseRecordsOfTumor(ctx, tumorID)
	if err != nil {
		return nil, err
	}
	out := &CaseSources{ByItem: map[string][]CaseSuggestion{}}
	if len(recs) == 0 {
		return out, nil
	}
	dismissed, err := s.store.DismissedSuggestions(ctx, tumorID)
	if err != nil {
		return nil, err
	}
	add := func(g CaseSuggestion) {
		if !dismissed[g.Item][g.Value] {
			out.ByItem[g.Item] = append(out.ByItem[g.Item], g)
		}
	}
	for _, rec := range recs {
		rep, sugg, err := s.store.EHRReportOf(ctx, rec.ID)
		switch {
		case err == nil:
			sr := SourceReport{Key: FormatHL7 + "-" + strconv.FormatUint(uint64(rep.ID), 10), Format: FormatHL7,
				Title: hl7Title(rep), Received: rep.ReceivedAt, HasRaw: len(rep.Raw) > 0, raw: rep.Raw}
			sr.Sections = s.hl7Sections(rep, rec)
			out.Reports = append(out.Reports, sr)
			for _, g := range sugg {
				add(CaseSuggestion{Item: g.NaaccrID, Value: g.Value, Source: g.Source, SourceText: g.SourceText,
					Report: sr.Title, ReportKey: sr.Key, Received: rep.ReceivedAt})
			}
			continue
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		b, err := s.store.FHIRBundleOf(ctx, rec.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // a casefinding row: no report behind it
		}
		if err != nil {
			return nil, err
		}
		var gs []fhirintake.Suggestion
		if err := json.Unmarshal([]byte(b.Suggestions), &gs); err != nil {
			return nil, fmt.Errorf("ehr: suggestions of FHIR bundle %d: %w", b.ID, err)
		}
		sr := SourceReport{Key: FormatFHIR + "-" + strconv.FormatUint(uint64(b.ID), 10), Format: FormatFHIR,
			Title: fhirTitle(b), Received: b.CreatedAt, HasRaw: len(b.Raw) > 0, raw: b.Raw,
			Sections: []ReportSection{{Role: "resources", Label: "Values read from the bundle", Text: rec.Text}}}
		out.Reports = append(out.Reports, sr)
		for _, g := range gs {
			add(CaseSuggestion{Item: g.ID, Value: g.Value, Source: g.Path, SourceText: g.From,
				Report: sr.Title, ReportKey: sr.Key, Received: b.CreatedAt})
		}
	}
	return out, nil
}

func hl7Title(rep *store.EHRReport) string {
	t := "Pathology report"
	if rep.Accession != "" {
		t += " " + rep.Accession
	}
	var parts []string
	for _, p := range strings.Split(rep.Sender, "^") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) > 0 {
		t += " from " + strings.Join(parts, " · ")
	}
	return t
}

func fhirTitle(b *store.FHIRBundle) string {
	if b.Identifier != "" {
		return "FHIR bundle " + b.Identifier
	}
	return "FHIR bundle #" + strconv.FormatUint(uint64(b.ID), 10)
}

// hl7Sections are the report's sections read again from the message kept; after the raw
// message was purged, the text the suspense record holds.
func (s *Sources) hl7Sections(rep *store.EHRReport, rec store.SuspenseRecord) []ReportSection {
	if s.mapper != nil && len(rep.Raw) > 0 {
		if msg, err := hl7.Parse(rep.Raw); err == nil {
			if r, p := s.mapper.Map(msg); p == nil && len(r.Sections) > 0 {
				return r.Sections
			}
		}
	}
	return []ReportSection{{Role: "text", Label: "Report text", Text: rec.Text}}
}

// Report returns one report of the case by its key, audited as read (raw: its message as
// received was downloaded).
func (s *Sources) Report(ctx context.Context, by store.Actor, tumorID uint, key string, raw bool) (*SourceReport, error) {
	cs, err := s.Of(ctx, tumorID)
	if err != nil {
		return nil, err
	}
	for i := range cs.Reports {
		if r := &cs.Reports[i]; r.Key == key {
			err := s.store.Audit(ctx, store.AuditEntry{UserID: by.UserID, RemoteAddr: by.RemoteAddr, Action: audit.EHRReportView,
				Entity: "tumor", EntityID: strconv.FormatUint(uint64(tumorID), 10), Details: map[string]any{"report": key, "raw": raw}})
			if err != nil {
				return nil, err
			}
			return r, nil
		}
	}
	return nil, fmt.Errorf("report %s of case %d: %w", key, tumorID, store.ErrNotFound)
}

// Raw is the report's message as received (nil after the retention purge).
func (r *SourceReport) Raw() []byte { return r.raw }

// Dismiss sets a suggested value of a case aside: it is no longer offered.
func (s *Sources) Dismiss(ctx context.Context, by store.Actor, tumorID uint, item, value string) error {
	return s.store.DismissSuggestion(ctx, store.SuggestionDismissal{TumorID: tumorID, NaaccrID: item, Value: value, DismissedBy: by.UserID},
		store.AuditEntry{UserID: by.UserID, RemoteAddr: by.RemoteAddr, Action: audit.SuggestionDismiss, Entity: "tumor",
			EntityID: strconv.FormatUint(uint64(tumorID), 10), Details: map[string]any{"item": item, "value": value}})
}
