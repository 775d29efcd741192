package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
)

// ErrNotOutside refuses a choice about an item that is not (or no longer) outside the case's
// schema: someone changed the case, or the request names another item.
var ErrNotOutside = errors.New("casework: the item is not outside the case's schema")

// ErrBadChoice refuses a choice that is neither clear nor keep.
var ErrBadChoice = errors.New("casework: choose to clear or keep a value outside the schema")

// The choices about a value outside the case's schema.
const (
	ChoiceClear = "clear"
	ChoiceKeep  = "keep"
)

// Kept is a value a registrar chose to keep although the case's schema does not take its item.
type Kept struct {
	Item   string `json:"item"`
	Value  string `json:"value"`
	Schema string `json:"schema"` // the schema's id, "" when there was none
}

// SiteSpecific works out a schema section for a case as it is (or as the form holds it: pass the
// case CheckEdits returns), with the values outside the schema the registrar already chose to keep
// left out of Outside and returned as kept. It is nil without staging data.
func (s *Service) SiteSpecific(ctx context.Context, cs *Case, sec *abstract.Section) (*abstract.SiteSpecific, []Kept, error) {
	if s.staging == nil || !sec.Schema {
		return nil, nil, nil
	}
	ss := s.form.SiteSpecificOf(sec, s.staging, cs.Patient.Items, cs.Tumor.Items, time.Now().Year())
	if len(ss.Outside) == 0 {
		return ss, nil, nil
	}
	kept, err := s.kept(ctx, cs.Tumor.ID)
	if err != nil {
		return nil, nil, err
	}
	schema := schemaIDOf(ss)
	var still []abstract.OutsideItem
	var shown []Kept
	for _, o := range ss.Outside {
		k := Kept{Item: o.Field.Def.ID, Value: o.Value, Schema: schema}
		if kept[k] {
			shown = append(shown, k)
			continue
		}
		still = append(still, o)
	}
	ss.Outside = still
	return ss, shown, nil
}

func schemaIDOf(ss *abstract.SiteSpecific) string {
	if ss.Schema == nil {
		return ""
	}
	return ss.Schema.ID
}

// kept reads the keep choices made on a case from its audit trail, where they are recorded.
func (s *Service) kept(ctx context.Context, tumorID uint) (map[Kept]bool, error) {
	details, err := s.store.AuditDetails(ctx, audit.CaseKeepItem, "tumor", fmt.Sprint(tumorID))
	if err != nil {
		return nil, err
	}
	out := make(map[Kept]bool, len(details))
	for _, d := range details {
		var k Kept
		if err := json.Unmarshal([]byte(d), &k); err != nil {
			return nil, fmt.Errorf("casework: tumor %d: kept item %q: %w", tumorID, d, err)
		}
		out[k] = true
	}
	return out, nil
}

// OutsideChoice is the registrar's choice about one item whose value is outside the case's schema.
type OutsideChoice struct {
	TumorID                      uint
	Section                      *abstract.Section
	Item                         string
	Choice                       string // ChoiceClear or ChoiceKeep
	PatientVersion, TumorVersion int64
}

// DecideOutside clears or keeps the value of an item that the case's schema does not take. Both
// are audited: a clear is a save of the case with the change and a comment saying why (the
// case.update event), a keep is a case.keep_item event with the item, its value and the schema,
// which also stops the item from being asked about again while its value and the schema stay.
// The case as it is afterwards is returned with its failing edits.
func (s *Service) DecideOutside(ctx context.Context, a Actor, in OutsideChoice) (*Saved, error) {
	out, err := s.openToChange(ctx, a, in.TumorID, in.PatientVersion, in.TumorVersion)
	if err != nil {
		return out, err
	}
	cs := out.Case
	switch {
	case in.Choice != ChoiceClear && in.Choice != ChoiceKeep:
		return out, ErrBadChoice
	case in.PatientVersion != cs.Patient.Version || in.TumorVersion != cs.Tumor.Version:
		out.Edits, err = s.Edits(cs)
		if err != nil {
			return nil, err
		}
		return out, ErrConflict
	}
	ss, _, err := s.SiteSpecific(ctx, cs, in.Section)
	if err != nil {
		return nil, err
	}
	var item *abstract.OutsideItem
	if ss != nil {
		for i := range ss.Outside {
			if ss.Outside[i].Field.Def.ID == in.Item {
				item = &ss.Outside[i]
			}
		}
	}
	if item == nil || ss.Schema == nil {
		// With no schema yet nothing is outside it: the values wait for the schema to be chosen.
		return out, ErrNotOutside
	}
	schemaName := "the " + ss.Schema.Name + " schema"
	if in.Choice == ChoiceKeep {
		if err := s.store.Audit(ctx, store.AuditEntry{
			UserID: &a.UserID, Action: audit.CaseKeepItem, Entity: "tumor", EntityID: fmt.Sprint(cs.Tumor.ID),
			Details: Kept{Item: in.Item, Value: item.Value, Schema: schemaIDOf(ss)}, RemoteAddr: a.RemoteAddr,
		}); err != nil {
			return nil, err
		}
		out.Edits, err = s.Edits(cs)
		return out, err
	}
	patient := maps.Clone(map[string]string(cs.Patient.Items))
	tumor := maps.Clone(map[string]string(cs.Tumor.Items))
	abstract.Put(item.Field, "", patient, tumor)
	s.Derive(patient, tumor)
	res, err := s.run(cs, patient, tumor, nil)
	if err != nil {
		return nil, err
	}
	nErr, nWarn := Count(res)
	f := item.Field
	saved, _, err := s.store.SaveCase(ctx, store.CaseSave{
		TumorID: cs.Tumor.ID, Scope: a.Scope, PatientVersion: in.PatientVersion, TumorVersion: in.TumorVersion,
		PatientItems: patient, TumorItems: tumor, Loaded: cs, UserID: &a.UserID, RemoteAddr: a.RemoteAddr,
		EditErrors: nErr, EditWarnings: nWarn,
		Comment: f.Label + " [" + strconv.Itoa(f.Def.Number) + "] cleared: not an item of " + schemaName,
	})
	if errors.Is(err, store.ErrConflict) {
		cur, err := s.Open(ctx, a, in.TumorID)
		if err != nil {
			return nil, err
		}
		out.Case = cur
		out.Edits, err = s.Edits(cur)
		if err != nil {
			return nil, err
		}
		return out, ErrConflict
	}
	if err != nil {
		return nil, err
	}
	out.Case, out.Edits = saved, res
	return out, nil
}
