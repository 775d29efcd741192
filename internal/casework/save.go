package casework

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

// Reasons a save is refused before anything is checked.
var (
	ErrReviewerEdits = errors.New("casework: reviewers do not change abstract values")
	ErrNotEditable   = errors.New("casework: the case cannot be changed in its status")
	ErrNoVersion     = errors.New("casework: the form carries no version")
)

// SectionSave is one save of a section of the case form.
type SectionSave struct {
	TumorID uint
	Section *abstract.Section
	// Entered are the submitted values of the section's fields, as typed.
	Entered map[string]string
	// PatientVersion and TumorVersion are the versions the form was loaded at; 0 when the form
	// carries none.
	PatientVersion, TumorVersion int64
	// Comment says why an override is set; it goes to the audit trail with the changes.
	Comment string
}

// Saved is what a save did. With no error, Case is the case as saved and Edits its failing
// edits. When Errors is set the save was refused for them (messages beside the fields, nothing
// written) and Case is the case as stored. With ErrConflict, Case is the case as someone else
// stored it meanwhile and Conflicts the items where it differs from what was entered. With
// ErrReviewerEdits or ErrNotEditable, Case is the case as stored and Edits is nil.
type Saved struct {
	Case      *Case
	Edits     []edits.Result
	Errors    abstract.FieldErrors
	Conflicts []Conflict
}

// Conflict is an item someone else stored differently from what this user entered.
type Conflict struct {
	Field         *abstract.Field
	Theirs, Yours string
}

// SaveSection saves one section of a case: the values entered are normalized and their field
// checks run once; only when all pass are they applied, the derived items computed and the
// overrides set checked for a comment; then the edit set runs once on the case as it will be,
// and the store writes it, with the edit counts and the audit event, in one transaction that
// holds only if nobody changed the case since the form was loaded.
func (s *Service) SaveSection(ctx context.Context, a Actor, in SectionSave) (*Saved, error) {
	out, err := s.openToChange(ctx, a, in.TumorID, in.PatientVersion, in.TumorVersion)
	if err != nil || out.Case == nil {
		return out, err
	}
	cs := out.Case
	clean, known, errs := s.checkEntered(in.Section.Fields, in.Entered)
	patient := maps.Clone(map[string]string(cs.Patient.Items))
	tumor := maps.Clone(map[string]string(cs.Tumor.Items))
	if len(errs) == 0 {
		apply(in.Section.Fields, clean, patient, tumor)
		s.Derive(patient, tumor)
		errs = overridesNeedComment(in.Section, cs, patient, tumor, in.Comment)
	}
	if len(errs) > 0 {
		out.Errors = errs
		out.Edits, err = s.run(cs, cs.Patient.Items, cs.Tumor.Items, known)
		return out, err
	}
	res, err := s.run(cs, patient, tumor, known)
	if err != nil {
		return nil, err
	}
	nErr, nWarn := Count(res)
	saved, _, err := s.store.SaveCase(ctx, store.CaseSave{
		TumorID: cs.Tumor.ID, Scope: a.Scope, PatientVersion: in.PatientVersion, TumorVersion: in.TumorVersion,
		PatientItems: patient, TumorItems: tumor, Loaded: cs, UserID: &a.UserID, RemoteAddr: a.RemoteAddr,
		EditErrors: nErr, EditWarnings: nWarn, Comment: in.Comment,
	})
	if errors.Is(err, store.ErrConflict) {
		return s.conflict(ctx, a, in)
	}
	if err != nil {
		return nil, err
	}
	out.Case, out.Edits = saved, res
	return out, nil
}

// conflict reads the case as it is now and lists, item by item, what someone else stored
// against what this user entered.
func (s *Service) conflict(ctx context.Context, a Actor, in SectionSave) (*Saved, error) {
	cur, err := s.Open(ctx, a, in.TumorID)
	if err != nil {
		return nil, err
	}
	res, err := s.Edits(cur)
	if err != nil {
		return nil, err
	}
	out := &Saved{Case: cur, Edits: res}
	for _, f := range in.Section.Fields {
		yours, ok := in.Entered[f.Def.ID]
		if !ok || f.Derived {
			continue
		}
		yours = abstract.Normalize(f, yours)
		if theirs := ValueOf(cur, f.Def); theirs != yours {
			out.Conflicts = append(out.Conflicts, Conflict{Field: f, Theirs: theirs, Yours: yours})
		}
	}
	return out, ErrConflict
}

// CheckEdits runs the edits on a case as it would be with the values entered in a section,
// without saving, and returns the case as it would be (what the meters count while editing).
// Values that fail their field checks are left as stored: the save says what is wrong with them.
func (s *Service) CheckEdits(ctx context.Context, a Actor, tumorID uint, sec *abstract.Section, entered map[string]string) (*Case, []edits.Result, error) {
	cs, err := s.Open(ctx, a, tumorID)
	if err != nil {
		return nil, nil, err
	}
	clean, known, errs := s.checkEntered(sec.Fields, entered)
	for id := range errs {
		delete(clean, id)
	}
	patient := maps.Clone(map[string]string(cs.Patient.Items))
	tumor := maps.Clone(map[string]string(cs.Tumor.Items))
	apply(sec.Fields, clean, patient, tumor)
	// The derived items as the save would compute them: a date of diagnosis moved while editing
	// moves the age at diagnosis too, and the edits must not fail on the stale age.
	s.Derive(patient, tumor)
	res, err := s.run(cs, patient, tumor, known)
	if err != nil {
		return nil, nil, err
	}
	would := *cs
	would.Patient.Items, would.Tumor.Items = patient, tumor
	return &would, res, nil
}

// CheckValues normalizes values typed into fields and runs each one's field checks once: the
// clean values of those that pass, and the message of each that does not. Derived fields are
// checked too (a form that shows them read-only does not send them).
func (s *Service) CheckValues(fields []*abstract.Field, values map[string]string) (clean map[string]string, errs abstract.FieldErrors) {
	clean = make(map[string]string, len(values))
	for _, f := range fields {
		raw, ok := values[f.Def.ID]
		if !ok {
			continue
		}
		v := abstract.Normalize(f, raw)
		if r := s.checks.CheckItem(f.Def.ID, v); r != nil {
			if errs == nil {
				errs = abstract.FieldErrors{}
			}
			errs[f.Def.ID] = r.Message
			continue
		}
		clean[f.Def.ID] = v
	}
	return clean, errs
}

// checkEntered is CheckValues of a section's entered values, derived fields left out (they are
// computed), with the results kept for the edit set's pass.
func (s *Service) checkEntered(fields []*abstract.Field, entered map[string]string) (map[string]string, map[string]checked, abstract.FieldErrors) {
	clean := make(map[string]string, len(entered))
	known := make(map[string]checked, len(entered))
	var errs abstract.FieldErrors
	for _, f := range fields {
		raw, ok := entered[f.Def.ID]
		if !ok || f.Derived {
			continue
		}
		v := abstract.Normalize(f, raw)
		r := s.checks.CheckItem(f.Def.ID, v)
		known[f.Def.ID] = checked{value: v, res: r}
		if r != nil {
			if errs == nil {
				errs = abstract.FieldErrors{}
			}
			errs[f.Def.ID] = r.Message
			continue
		}
		clean[f.Def.ID] = v
	}
	return clean, known, errs
}

// apply writes clean values into the patient's or the tumor's items by the item's level; a
// blank value removes the item.
func apply(fields []*abstract.Field, clean map[string]string, patient, tumor map[string]string) {
	for _, f := range fields {
		v, ok := clean[f.Def.ID]
		if !ok {
			continue
		}
		abstract.Put(f, v, patient, tumor)
	}
}

// Derive computes the derived items (age at diagnosis, EOD schema, stage and grade) into the
// tumor's items.
func (s *Service) Derive(patient, tumor map[string]string) {
	for id, v := range abstract.Derive(patient, tumor, s.staging, time.Now().Year()) {
		if v == "" {
			delete(tumor, id)
		} else {
			tumor[id] = v
		}
	}
}

// overridesNeedComment refuses to set an override flag without a reason: an override silences
// an edit, and the audit trail must say why.
func overridesNeedComment(sec *abstract.Section, cs *Case, patient, tumor map[string]string, comment string) abstract.FieldErrors {
	if comment != "" {
		return nil
	}
	var errs abstract.FieldErrors
	for _, f := range sec.Fields {
		if !f.IsOverride() {
			continue
		}
		before, after := ValueOf(cs, f.Def), tumor[f.Def.ID]
		if f.Def.Parent == naaccr.ParentPatient {
			after = patient[f.Def.ID]
		}
		if after == "1" && before != "1" {
			if errs == nil {
				errs = abstract.FieldErrors{}
			}
			errs[f.Def.ID] = f.Label + " [" + strconv.Itoa(f.Def.Number) + "]: setting an override needs a comment that says why the edit does not apply to this case"
		}
	}
	return errs
}

// ValueOf is an item's stored value in a case, from the patient or the tumor by its level.
func ValueOf(cs *Case, def *naaccr.ItemDef) string {
	if def.Parent == naaccr.ParentPatient {
		return cs.Patient.Items[def.ID]
	}
	return cs.Tumor.Items[def.ID]
}

// openToChange opens a case that a is about to change with a form loaded at the given versions:
// reviewers do not edit, the case must be in an editable status, and the versions must be given.
// A refusal returns the opened case in Saved with the error; a failure to open returns no case.
func (s *Service) openToChange(ctx context.Context, a Actor, tumorID uint, patientVersion, tumorVersion int64) (*Saved, error) {
	cs, err := s.Open(ctx, a, tumorID)
	if err != nil {
		return nil, err
	}
	out := &Saved{Case: cs}
	switch {
	case a.Role == auth.RoleReviewer:
		return out, ErrReviewerEdits
	case !abstract.Status(cs.Tumor.Status).Editable():
		return out, ErrNotEditable
	case patientVersion <= 0 || tumorVersion <= 0:
		return out, ErrNoVersion
	}
	return out, nil
}
