// Package casework is the case service: the operations on one case (open it in scope, save a
// section, check its edits, take a workflow step, comment on it), each in one place between the
// HTTP handlers and the store. It owns the order of a case operation (what is checked, once,
// before what is written, in one transaction with its audit event); the pure domain (the form,
// normalizing, derived items, the workflow table) stays in internal/abstract, the edits in
// internal/edits and the SQL in internal/store. It knows nothing of HTTP: handlers parse the
// request, call one method and render what it returns.
package casework

import (
	"context"
	"fmt"
	"github.com/cara-registry/cara/internal/staging"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
)

// Case is a tumor with its patient and the patient's other tumors, as OpenCase reads it.
type Case = store.Case

// Comment is a review comment with the names of the people on it.
type Comment = store.CommentRow

// Errors of the store that callers tell apart, under the service's name.
var (
	ErrNotFound = store.ErrNotFound // the case (or comment) is not there, or out of scope
	ErrConflict = store.ErrConflict // changed by someone else since it was loaded
)

// Store is what the case operations need of the database.
type Store interface {
	OpenCase(ctx context.Context, tumorID uint, sc store.Scope) (*store.Case, error)
	SaveCase(ctx context.Context, in store.CaseSave) (*store.Case, []store.ItemChange, error)
	PatientTumors(ctx context.Context, patientID uint, sc store.Scope) ([]store.Tumor, error)
	ChangeStatus(ctx context.Context, in store.StatusUpdate) (*store.Tumor, error)
	AddComment(ctx context.Context, in store.CommentAdd) (*store.ReviewComment, error)
	ResolveComment(ctx context.Context, in store.CommentStep) (*store.ReviewComment, error)
	CloseComment(ctx context.Context, in store.CommentStep) (*store.ReviewComment, error)
	CaseComments(ctx context.Context, tumorID uint, sc store.Scope) ([]store.CommentRow, error)
	Audit(ctx context.Context, e store.AuditEntry) error
	AuditDetails(ctx context.Context, action, entity, entityID string) ([]string, error)
}

// Checks are the checks of a case's values: the field checks of one item's value (length, data
// type, code list) and the edit set's edits across items. *edits.Set is one.
type Checks interface {
	CheckItem(id, value string) *edits.Result
	NewRunner() *edits.Runner
}

// Actor is who asks for an operation: the user, their role, the facilities they see, and where
// the request came from (for the audit trail).
type Actor struct {
	UserID     uint
	Role       auth.Role
	Scope      store.Scope
	RemoteAddr string
}

// Service runs the case operations.
type Service struct {
	store   Store
	form    *abstract.Form
	checks  Checks
	staging *staging.DataSet // nil leaves the staged items alone
}

// New makes the service of a form and its checks over a store.
func New(st Store, form *abstract.Form, checks Checks, stg *staging.DataSet) *Service {
	return &Service{store: st, form: form, checks: checks, staging: stg}
}

// Open loads a case in the actor's scope: a case of another facility is ErrNotFound, as if it
// did not exist.
func (s *Service) Open(ctx context.Context, a Actor, tumorID uint) (*Case, error) {
	return s.store.OpenCase(ctx, tumorID, a.Scope)
}

// View opens a case to show one section of it, audits the view (every PHI read is audited),
// and runs its edits.
func (s *Service) View(ctx context.Context, a Actor, tumorID uint, section string) (*Case, []edits.Result, error) {
	cs, err := s.Open(ctx, a, tumorID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.store.Audit(ctx, store.AuditEntry{
		UserID: &a.UserID, Action: audit.CaseView, Entity: "tumor", EntityID: fmt.Sprint(tumorID),
		Details: map[string]string{"section": section}, RemoteAddr: a.RemoteAddr,
	}); err != nil {
		return nil, nil, err
	}
	res, err := s.Edits(cs)
	if err != nil {
		return nil, nil, err
	}
	return cs, res, nil
}

// Edits are the failing edits of a case as stored; cs is a case as Open reads it, with the
// patient's tumors, which the patient-level edits read.
func (s *Service) Edits(cs *Case) ([]edits.Result, error) {
	return s.run(cs, cs.Patient.Items, cs.Tumor.Items, nil)
}

// Comments are a case's review comments, oldest first.
func (s *Service) Comments(ctx context.Context, a Actor, tumorID uint) ([]Comment, error) {
	return s.store.CaseComments(ctx, tumorID, a.Scope)
}

// NewTumorEdits are the failing edits a new tumor of a stored patient would have, with the
// given items (derived ones computed), before it is stored.
func (s *Service) NewTumorEdits(ctx context.Context, a Actor, patient *store.Patient, patientItems, tumorItems map[string]string) ([]edits.Result, error) {
	ts, err := s.store.PatientTumors(ctx, patient.ID, a.Scope)
	if err != nil {
		return nil, err
	}
	return s.run(&Case{Patient: *patient, Tumors: ts}, patientItems, tumorItems, nil)
}
