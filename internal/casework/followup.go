package casework

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

// FollowUpFormFile is the follow-up form (schemas/forms/followup.yaml): its one section's
// fields are what a follow-up records.
const FollowUpFormFile = "followup"

// FollowUp is one follow-up of a patient, recorded from one of its cases (TumorID). The values of
// Patient-level items (Date of Last Contact, Vital Status, Cause of Death) go on the patient and
// so apply to every tumor; those of Tumor-level items (Cancer Status, Follow-up Source, Next
// Follow-up Source) are written to every tumor of the patient, PerTumor overriding them for one.
type FollowUp struct {
	TumorID uint
	Section *abstract.Section // the follow-up form's section
	Entered map[string]string
	// PerTumor are values of Tumor-level items for one tumor (its cancer status), by tumor id.
	PerTumor map[uint]map[string]string
	// PatientVersion and TumorVersions are the versions the form was loaded at, every tumor's.
	PatientVersion int64
	TumorVersions  map[uint]int64
	Comment        string
	// Source says what recorded it ("form", "death clearance"), for the audit trail.
	Source string
}

// FollowUpSaved is what recording did. With Errors set nothing was written (messages by item, or
// by "tumorID.item" for a PerTumor value). Edits are each tumor's failing edits as saved.
type FollowUpSaved struct {
	Case   *Case
	Errors abstract.FieldErrors
	Edits  map[uint][]edits.Result
}

// followUpStore is the store's follow-up write; *store.Store has it.
type followUpStore interface {
	SaveFollowUp(ctx context.Context, in store.FollowUpSave) error
}

// RecordFollowUp records a follow-up through the case form's path: each value is normalized and
// its field checks run once, nothing is written unless all pass; the edits run on each tumor as
// it will be and their counts are stored with it; the patient and every tumor are written in one
// transaction that holds only if none changed since the form was loaded (ErrConflict), with an
// audit event per tumor.
//
// Unlike an abstract section, a follow-up may be recorded whatever the case's status: follow-up
// goes on for years after a case is approved and submitted, and changes none of what was
// reviewed. Derived items are not recomputed for the same reason (a follow-up must not restage
// a submitted case).
func (s *Service) RecordFollowUp(ctx context.Context, a Actor, in FollowUp) (*FollowUpSaved, error) {
	st, ok := s.store.(followUpStore)
	if !ok {
		return nil, fmt.Errorf("casework: the store cannot record follow-up")
	}
	if in.Section == nil {
		return nil, fmt.Errorf("casework: follow-up: no form section")
	}
	cs, err := s.Open(ctx, a, in.TumorID)
	if err != nil {
		return nil, err
	}
	out := &FollowUpSaved{Case: cs}
	switch {
	case a.Role == auth.RoleReviewer:
		return out, ErrReviewerEdits
	case in.PatientVersion <= 0:
		return out, ErrNoVersion
	}
	for _, t := range cs.Tumors {
		v, ok := in.TumorVersions[t.ID]
		if !ok || v <= 0 {
			// A tumor added since the form was loaded is a change the form did not see.
			if len(in.TumorVersions) > 0 && !ok {
				return out, ErrConflict
			}
			return out, ErrNoVersion
		}
	}
	var patientFields, tumorFields []*abstract.Field
	for _, f := range in.Section.Fields {
		if f.Def.Parent == naaccr.ParentPatient {
			patientFields = append(patientFields, f)
		} else {
			tumorFields = append(tumorFields, f)
		}
	}
	clean, known, errs := s.checkEntered(in.Section.Fields, in.Entered)
	perTumor := map[uint]map[string]string{}
	for id, vals := range in.PerTumor {
		if !tumorOf(cs, id) {
			return out, fmt.Errorf("casework: follow-up: tumor %d: %w", id, ErrNotFound)
		}
		c, _, e := s.checkEntered(tumorFields, vals)
		for item, msg := range e {
			if errs == nil {
				errs = abstract.FieldErrors{}
			}
			errs[fmt.Sprintf("%d.%s", id, item)] = msg
		}
		perTumor[id] = c
	}
	patient := maps.Clone(map[string]string(cs.Patient.Items))
	apply(patientFields, clean, patient, patient)
	if len(errs) == 0 {
		errs = s.followUpRules(cs, patient, in.Section)
	}
	if len(errs) > 0 {
		out.Errors = errs
		return out, nil
	}
	save := store.FollowUpSave{
		Scope: a.Scope, Loaded: cs, PatientVersion: in.PatientVersion, PatientItems: patient,
		RemoteAddr: a.RemoteAddr, Comment: in.Comment, Source: in.Source,
	}
	if a.UserID != 0 { // user 0 is a command-line job, audited without a user
		save.UserID = &a.UserID
	}
	out.Edits = map[uint][]edits.Result{}
	for _, t := range cs.Tumors {
		tumor := maps.Clone(map[string]string(t.Items))
		apply(tumorFields, clean, tumor, tumor)
		apply(tumorFields, perTumor[t.ID], tumor, tumor)
		// The cancer status recorded is as of this contact.
		if clean["cancerStatus"] != "" || perTumor[t.ID]["cancerStatus"] != "" {
			if dlc := patient["dateOfLastContact"]; dlc != "" {
				tumor["dateOfLastCancerStatus"] = dlc
			}
		}
		one := *cs
		one.Tumor = t
		res, err := s.run(&one, patient, tumor, known)
		if err != nil {
			return nil, err
		}
		nErr, nWarn := Count(res)
		out.Edits[t.ID] = res
		save.Tumors = append(save.Tumors, store.FollowUpTumor{
			ID: t.ID, Version: in.TumorVersions[t.ID], Items: tumor, EditErrors: nErr, EditWarnings: nWarn,
		})
	}
	if err := st.SaveFollowUp(ctx, save); err != nil {
		if errors.Is(err, store.ErrConflict) {
			if cur, oerr := s.Open(ctx, a, in.TumorID); oerr == nil {
				out.Case = cur
			}
			return out, ErrConflict
		}
		return nil, err
	}
	cur, err := s.Open(ctx, a, in.TumorID)
	if err != nil {
		return nil, err
	}
	out.Case = cur
	return out, nil
}

// followUpRules are the checks of a follow-up as a whole, beyond each value's: a date of last
// contact is not in the future nor earlier than the one recorded (which would lose a contact),
// and a death has its cause. Alive, the cause of death is 0000 and the ICD revision 0, as NAACCR
// codes them; a cause coded by the registrar from a death certificate is ICD-10 (revision 1,
// replacing the 0 of an earlier contact alive).
func (s *Service) followUpRules(cs *Case, patient map[string]string, sec *abstract.Section) abstract.FieldErrors {
	var errs abstract.FieldErrors
	fail := func(item, msg string) {
		if errs == nil {
			errs = abstract.FieldErrors{}
		}
		errs[item] = msg
	}
	dlc, old := patient["dateOfLastContact"], cs.Patient.Items["dateOfLastContact"]
	switch {
	case dlc == "":
		fail("dateOfLastContact", "Date of Last Contact [1750]: enter the date of this contact (or of death)")
	case dlc > time.Now().Format("20060102"):
		fail("dateOfLastContact", "Date of Last Contact [1750]: "+dlc+" is in the future")
	case old != "" && dlc < old:
		fail("dateOfLastContact", "Date of Last Contact [1750]: "+dlc+" is before the last contact recorded, "+old+": a follow-up records a later contact")
	}
	onForm := func(id string) bool {
		for _, f := range sec.Fields {
			if f.Def.ID == id {
				return true
			}
		}
		return false
	}
	switch patient["vitalStatus"] {
	case "1":
		if onForm("causeOfDeath") {
			patient["causeOfDeath"] = "0000"
		}
		if onForm("icdRevisionNumber") {
			patient["icdRevisionNumber"] = "0"
		}
	case "0":
		cause := patient["causeOfDeath"]
		switch {
		case cause == "" || cause == "0000":
			if onForm("causeOfDeath") {
				fail("causeOfDeath", "Cause of Death [1910]: the patient died: enter the underlying cause (ICD-10, such as C349), 7777 if the death certificate is not available")
			}
		case cause != "7777" && cause != "7797" && onForm("icdRevisionNumber") && (patient["icdRevisionNumber"] == "" || patient["icdRevisionNumber"] == "0"):
			patient["icdRevisionNumber"] = "1"
		}
	case "":
		fail("vitalStatus", "Vital Status [1760]: say whether the patient was alive or dead at this contact")
	}
	return errs
}

func tumorOf(cs *Case, id uint) bool {
	for _, t := range cs.Tumors {
		if t.ID == id {
			return true
		}
	}
	return false
}

// OpenPatient opens the first tumor of a patient in scope as a case (with every tumor), for a
// follow-up recorded from the patient rather than from one of its cases.
func (s *Service) OpenPatient(ctx context.Context, a Actor, patientID uint) (*Case, error) {
	ts, err := s.store.PatientTumors(ctx, patientID, a.Scope)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("casework: patient %d: %w", patientID, ErrNotFound)
	}
	return s.Open(ctx, a, ts[0].ID)
}
