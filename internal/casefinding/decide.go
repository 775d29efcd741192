package casefinding

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
)

// The decisions on a possible case.
const (
	DecideStartAbstract = "start_abstract" // a new patient and tumor, pre-filled from the record
	DecideAddToPatient  = "add_to_patient" // a new tumor of an existing patient
	DecideNotReportable = "not_reportable" // with a reason of the list and a text
	DecideDuplicate     = "duplicate"      // of another record of the list, or of a case
)

// Ref names a record as the registrar saw it: its id and version.
type Ref struct {
	ID      uint
	Version int64
}

// Choice is a registrar's decision, for one record or many (a bulk decision).
type Choice struct {
	Action string
	Refs   []Ref
	// PatientID is the patient of add_to_patient: 0 takes each record's matched patient.
	PatientID uint
	// Reason (a key of the reasons list) and Note: the why of not_reportable (a reason is
	// required; other needs a text too); a note may go with any decision.
	Reason string
	Note   string
	// DuplicateOf (a record of the list) or DuplicateOfTumor (a case) of duplicate.
	DuplicateOf      uint
	DuplicateOfTumor uint
}

// Outcome is what a decision did: the records decided, the cases started (record → tumor), and
// the records left as they were with the reason.
type Outcome struct {
	Decided []uint
	Tumors  map[uint]uint
	Refused map[uint]string
}

// Problem is a decision refused as a whole, with a message for the registrar.
type Problem struct{ Message string }

func (p *Problem) Error() string { return p.Message }

// maxNote is the length of a decision's text.
const maxNote = 2000

// Decide takes a decision on one record or many. A record decided already, out of scope or
// changed since the registrar saw it is left as it is and named in Outcome.Refused; the others
// are decided, each with its audit event. A decision that cannot apply to any record (no
// reason given, an unknown one) is a *Problem.
func (s *Service) Decide(ctx context.Context, a Actor, d Choice) (*Outcome, error) {
	if !a.mayDecide() {
		return nil, ErrForbidden
	}
	if len(d.Refs) == 0 {
		return nil, &Problem{"Choose the possible cases to decide on."}
	}
	d.Note = strings.TrimSpace(d.Note)
	if utf8.RuneCountInString(d.Note) > maxNote {
		return nil, &Problem{fmt.Sprintf("The text is up to %d characters.", maxNote)}
	}
	var reasonLabel string
	switch d.Action {
	case DecideStartAbstract, DecideAddToPatient:
	case DecideNotReportable:
		r, ok := s.lists.Reason(d.Reason)
		switch {
		case d.Reason == "":
			return nil, &Problem{"Say why the case is not reportable: choose a reason."}
		case !ok:
			return nil, &Problem{fmt.Sprintf("%q is not a reason of the list.", d.Reason)}
		case d.Reason == "other" && d.Note == "":
			return nil, &Problem{"The reason “other” needs a text saying why."}
		}
		reasonLabel = r.Label
	case DecideDuplicate:
		if (d.DuplicateOf == 0) == (d.DuplicateOfTumor == 0) {
			return nil, &Problem{"Say which possible case or which case it duplicates (one of them)."}
		}
	default:
		return nil, &Problem{fmt.Sprintf("%q is no decision: use start_abstract, add_to_patient, not_reportable or duplicate.", d.Action)}
	}
	ids := make([]uint, len(d.Refs))
	version := map[uint]int64{}
	for i, r := range d.Refs {
		ids[i] = r.ID
		version[r.ID] = r.Version
	}
	recs, _, err := s.store.SuspenseRecords(ctx, store.SuspenseQuery{Scope: a.Scope, IDs: ids})
	if err != nil {
		return nil, err
	}
	out := &Outcome{Tumors: map[uint]uint{}, Refused: map[uint]string{}}
	byID := map[uint]*store.SuspenseRecord{}
	for i := range recs {
		byID[recs[i].ID] = &recs[i]
	}
	var plain []store.SuspenseDecision
	for _, id := range ids {
		rec, ok := byID[id]
		switch {
		case !ok:
			out.Refused[id] = "not found"
			continue
		case rec.Version != version[id]:
			out.Refused[id] = "changed since you loaded the list: reload it"
			continue
		case rec.Status != store.SuspenseWaiting && rec.Status != store.SuspenseSetAside:
			out.Refused[id] = "decided already (" + StatusLabel(rec.Status) + ")"
			continue
		}
		base := store.SuspenseDecision{ID: id, Version: rec.Version, Note: d.Note, Details: map[string]any{"facility": rec.FacilityID}}
		switch d.Action {
		case DecideStartAbstract, DecideAddToPatient:
			tumorID, err := s.startCase(ctx, a, rec, d, base)
			var p *Problem
			switch {
			case errors.As(err, &p):
				out.Refused[id] = p.Message
				continue
			case errors.Is(err, store.ErrConflict):
				out.Refused[id] = "changed since you loaded the list: reload it"
				continue
			case err != nil:
				return out, err
			}
			out.Decided = append(out.Decided, id)
			out.Tumors[id] = tumorID
		case DecideNotReportable:
			base.Status, base.Reason = store.SuspenseNotReportable, d.Reason
			base.Details["reason_label"] = reasonLabel
			plain = append(plain, base)
		case DecideDuplicate:
			base.Status = store.SuspenseDuplicate
			if d.DuplicateOf != 0 {
				of, ok := s.duplicateTarget(ctx, a, rec, d.DuplicateOf)
				if !ok {
					out.Refused[id] = fmt.Sprintf("possible case %d is not on the facility's list, or is this one", d.DuplicateOf)
					continue
				}
				base.DuplicateOf = &of
			} else {
				fac, err := s.tumorFacility(ctx, a, d.DuplicateOfTumor)
				if err != nil || fac != rec.FacilityID {
					out.Refused[id] = fmt.Sprintf("case %d is not a case of the facility", d.DuplicateOfTumor)
					continue
				}
				t := d.DuplicateOfTumor
				base.TumorID = &t
			}
			plain = append(plain, base)
		}
	}
	if len(plain) > 0 {
		stale, err := s.store.DecideSuspense(ctx, a.Scope, a.by(), plain)
		if err != nil {
			return out, err
		}
		for _, pd := range plain {
			if containsID(stale, pd.ID) {
				out.Refused[pd.ID] = "changed since you loaded the list: reload it"
			} else {
				out.Decided = append(out.Decided, pd.ID)
			}
		}
	}
	return out, nil
}

func (s *Service) tumorFacility(ctx context.Context, a Actor, tumorID uint) (uint, error) {
	return s.store.TumorFacility(ctx, tumorID, a.Scope)
}

func (s *Service) duplicateTarget(ctx context.Context, a Actor, rec *store.SuspenseRecord, of uint) (uint, bool) {
	if of == rec.ID {
		return 0, false
	}
	got, _, err := s.store.SuspenseRecords(ctx, store.SuspenseQuery{Scope: a.Scope, FacilityID: rec.FacilityID, IDs: []uint{of}})
	return of, err == nil && len(got) == 1
}

func containsID(ids []uint, id uint) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// startCase makes the case of a record: a new patient and tumor (start abstract) or a tumor
// of an existing patient (add to patient), pre-filled with the record's names, date of birth,
// sex, MRN, date of first contact and casefinding source, as a draft assigned to the registrar.
func (s *Service) startCase(ctx context.Context, a Actor, rec *store.SuspenseRecord, d Choice, base store.SuspenseDecision) (uint, error) {
	src := s.lists.Source(rec.Source)
	patient := map[string]string{"nameLast": rec.NameLast, "nameFirst": rec.NameFirst, "dateOfBirth": rec.DateOfBirth}
	if rec.Sex != "" {
		patient["sexAssignedAtBirth"] = rec.Sex
	}
	tumor := map[string]string{
		"medicalRecordNumber": rec.MRN, "dateOf1stContact": rec.FirstContact, "casefindingSource": src.Code,
	}
	in := store.SuspenseCase{FacilityID: rec.FacilityID, Status: string(abstract.StatusDraft), Scope: a.Scope, By: a.by()}
	if a.UserID != nil {
		in.AssignedTo = a.UserID
	}
	var existing []string
	accession := ""
	if d.Action == DecideAddToPatient {
		pid := d.PatientID
		if pid == 0 && rec.MatchPatient != nil {
			pid = *rec.MatchPatient
		}
		if pid == 0 {
			return 0, &Problem{"no patient matched: choose the patient to add it to, or start an abstract"}
		}
		pr, err := s.store.LoadPatient(ctx, pid, a.Scope)
		if errors.Is(err, store.ErrNotFound) || (err == nil && pr.Patient.FacilityID != rec.FacilityID) {
			return 0, &Problem{fmt.Sprintf("patient %d is not a patient of the facility", pid)}
		}
		if err != nil {
			return 0, err
		}
		in.PatientID = pid
		patient = maps.Clone(map[string]string(pr.Patient.Items))
		var latest uint
		for _, t := range pr.Tumors {
			existing = append(existing, t.SequenceNumber)
			if t.ID > latest && t.AccessionNumber != "" {
				latest, accession = t.ID, t.AccessionNumber // a patient keeps one accession number
			}
		}
		base.Status = store.SuspenseAddedToPatient
		base.Details["patient"] = pid
	} else {
		base.Status = store.SuspenseAbstractStarted
	}
	if seq, _ := abstract.NextSequenceNumber(existing); seq != "" {
		tumor["sequenceNumberHospital"] = seq
	}
	// As the new-case form suggests them: the facility's next accession number of the year for
	// a new patient, and the facility's Reporting Facility [540], which a submission needs.
	if accession == "" {
		next, err := s.store.NextAccessionNumber(ctx, rec.FacilityID, s.now().Year())
		if err != nil {
			return 0, err
		}
		accession = next
	}
	if accession != "" {
		tumor["accessionNumberHosp"] = accession
	}
	fac, err := s.store.FacilityByID(ctx, rec.FacilityID)
	if err != nil {
		return 0, err
	}
	if fac.IDNumber != "" {
		tumor["reportingFacility"] = fac.IDNumber
	}
	base.Details["source"] = src.Code
	if s.checks != nil {
		s.checks.Derive(patient, tumor)
		cs := &store.Case{Patient: store.Patient{ID: in.PatientID, FacilityID: rec.FacilityID, Items: patient}, Tumor: store.Tumor{Items: tumor}}
		if in.PatientID != 0 {
			others, err := s.store.PatientTumors(ctx, in.PatientID, a.Scope)
			if err != nil {
				return 0, err
			}
			cs.Tumors = others
		}
		res, err := s.checks.Edits(cs)
		if err != nil {
			return 0, err
		}
		for _, r := range res {
			if r.Severity == edits.SeverityError {
				in.EditErrors++
			} else {
				in.EditWarnings++
			}
		}
	}
	in.PatientItems, in.TumorItems, in.Decision = patient, tumor, base
	t, err := s.store.StartSuspenseCase(ctx, in)
	if err != nil {
		return 0, err
	}
	return t.ID, nil
}

// StatusLabel is a record's status as the registrar reads it.
func StatusLabel(status string) string {
	switch status {
	case store.SuspenseWaiting:
		return "Waiting"
	case store.SuspenseSetAside:
		return "Set aside (not reportable by its codes)"
	case store.SuspenseAbstractStarted:
		return "Abstract started"
	case store.SuspenseAddedToPatient:
		return "Added to patient"
	case store.SuspenseNotReportable:
		return "Not reportable"
	case store.SuspenseDuplicate:
		return "Duplicate"
	}
	return status
}
