package abstract

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/plural"
)

// Status is where a case stands in the review workflow.
type Status string

// The statuses of a case: draft → in_review → (returned → in_review)* → approved → submitted at a
// hospital; a state registry's cases taken in from a submission file are received.
const (
	StatusDraft     Status = "draft"
	StatusInReview  Status = "in_review"
	StatusReturned  Status = "returned"
	StatusApproved  Status = "approved"
	StatusSubmitted Status = "submitted"
	StatusReceived  Status = "received"
)

// Editable reports whether a case's abstract may be changed in this status. A case in review is
// read-only so that the reviewer sees what was sent; it is changed after a return. Approved and
// submitted cases change only after a recorded reopen.
func (s Status) Editable() bool {
	return s == StatusDraft || s == StatusReturned
}

// statusLabels are the statuses as people read them: the one place a status's words live (every
// page, filter and message takes them from Label).
var statusLabels = map[Status]string{
	StatusDraft:     "Draft",
	StatusInReview:  "In review",
	StatusReturned:  "Returned",
	StatusApproved:  "Approved",
	StatusSubmitted: "Submitted",
	StatusReceived:  "Received",
}

// Label is the status as people read it; a status cara does not know shows as itself.
func (s Status) Label() string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusDraft, StatusInReview, StatusReturned, StatusApproved, StatusSubmitted, StatusReceived}

// ParseStatus checks a status name given by a person (a command-line flag, a query string).
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	names := make([]string, len(Statuses))
	for i, st := range Statuses {
		names[i] = string(st)
	}
	return "", fmt.Errorf("unknown status %s (%s)", excerpt.Quote(s), strings.Join(names, ", "))
}

// Action is a step of the review workflow, taken by a person (or by a submission batch).
type Action string

// The workflow's actions.
const (
	ActionSend     Action = "send"     // a registrar sends a draft or returned case to review
	ActionWithdraw Action = "withdraw" // the registrar takes a case back out of review
	ActionReturn   Action = "return"   // a reviewer sends a case back with a reason
	ActionApprove  Action = "approve"  // a reviewer approves a case
	ActionReopen   Action = "reopen"   // a reviewer reopens an approved or submitted case, with a reason
	ActionSubmit   Action = "submit"   // a submission batch sends an approved case to the registry
)

// actionLabels are the workflow's steps as a case's history names them.
var actionLabels = map[Action]string{
	ActionSend:     "Sent to review",
	ActionWithdraw: "Withdrawn from review",
	ActionReturn:   "Returned to the registrar",
	ActionApprove:  "Approved",
	ActionReopen:   "Reopened",
	ActionSubmit:   "Submitted in a batch",
}

// Label is the step as people read it; an action cara does not know shows as itself.
func (a Action) Label() string {
	if l, ok := actionLabels[a]; ok {
		return l
	}
	return string(a)
}

// Transition is one allowed step: which action moves a case from which statuses to which, who
// may take it, and what it needs.
type Transition struct {
	Action Action
	From   []Status
	To     Status
	Roles  []auth.Role
	// NeedsReason: the action is refused without a reason (it goes to the audit trail and, for a
	// return, to the registrar).
	NeedsReason bool
	// NeedsCleanEdits: the action is refused while the case has error-severity edit failures.
	NeedsCleanEdits bool
}

// Transitions is the workflow. Only a reviewer (or an administrator) approves or returns; an
// approved or submitted case changes only through a recorded reopen.
var Transitions = []Transition{
	{Action: ActionSend, From: []Status{StatusDraft, StatusReturned}, To: StatusInReview,
		Roles: []auth.Role{auth.RoleRegistrar, auth.RoleAdmin}, NeedsCleanEdits: true},
	{Action: ActionWithdraw, From: []Status{StatusInReview}, To: StatusDraft,
		Roles: []auth.Role{auth.RoleRegistrar, auth.RoleAdmin}},
	{Action: ActionReturn, From: []Status{StatusInReview}, To: StatusReturned,
		Roles: []auth.Role{auth.RoleReviewer, auth.RoleAdmin}, NeedsReason: true},
	{Action: ActionApprove, From: []Status{StatusInReview}, To: StatusApproved,
		Roles: []auth.Role{auth.RoleReviewer, auth.RoleAdmin}, NeedsCleanEdits: true},
	{Action: ActionReopen, From: []Status{StatusApproved, StatusSubmitted}, To: StatusDraft,
		Roles: []auth.Role{auth.RoleReviewer, auth.RoleAdmin}, NeedsReason: true},
	{Action: ActionSubmit, From: []Status{StatusApproved}, To: StatusSubmitted,
		Roles: []auth.Role{auth.RoleRegistrar, auth.RoleReviewer, auth.RoleAdmin}, NeedsCleanEdits: true},
}

// Errors of a refused transition; TransitionError wraps one of them.
var (
	ErrWrongStatus = errors.New("not allowed in this status")
	ErrWrongRole   = errors.New("not allowed for this role")
	ErrNoReason    = errors.New("a reason is required")
	ErrEditErrors  = errors.New("the case has edit errors")
)

// TransitionError says why an action was refused, in words a registrar reads.
type TransitionError struct {
	Action Action
	From   Status
	Role   auth.Role
	Errors int // the failing error-severity edits, for ErrEditErrors
	Err    error
}

func (e *TransitionError) Error() string {
	switch {
	case errors.Is(e.Err, ErrWrongStatus):
		return fmt.Sprintf("cannot %s a case that is %s", e.Action, strings.ToLower(e.From.Label()))
	case errors.Is(e.Err, ErrWrongRole):
		return fmt.Sprintf("a %s cannot %s a case", e.Role, e.Action)
	case errors.Is(e.Err, ErrNoReason):
		return fmt.Sprintf("to %s a case, give a reason", e.Action)
	case errors.Is(e.Err, ErrEditErrors):
		return fmt.Sprintf("cannot %s a case with %s: correct them or override them first", e.Action, plural.Count(e.Errors, "failing edit error"))
	}
	return fmt.Sprintf("cannot %s: %v", e.Action, e.Err)
}

func (e *TransitionError) Unwrap() error { return e.Err }

// Step is an action someone wants to take on a case in a status.
type Step struct {
	Action     Action
	From       Status
	Role       auth.Role
	Reason     string
	EditErrors int // error-severity edit failures of the case as it stands
}

// Check returns the transition a step takes, or a *TransitionError saying why it is refused.
func Check(s Step) (Transition, error) {
	refuse := func(err error) (Transition, error) {
		return Transition{}, &TransitionError{Action: s.Action, From: s.From, Role: s.Role, Errors: s.EditErrors, Err: err}
	}
	for _, t := range Transitions {
		if t.Action != s.Action {
			continue
		}
		if !contains(t.From, s.From) {
			return refuse(ErrWrongStatus)
		}
		if !contains(t.Roles, s.Role) {
			return refuse(ErrWrongRole)
		}
		if t.NeedsReason && strings.TrimSpace(s.Reason) == "" {
			return refuse(ErrNoReason)
		}
		if t.NeedsCleanEdits && s.EditErrors > 0 {
			return refuse(ErrEditErrors)
		}
		return t, nil
	}
	return refuse(fmt.Errorf("unknown action %q", s.Action))
}

// Allowed lists the actions a role may take on a case in a status, in workflow order, not
// counting reasons and edits (the page offers them and says what is missing). Submit is left
// out: a batch takes it, not a button on a case.
func Allowed(from Status, role auth.Role) []Action {
	var out []Action
	for _, t := range Transitions {
		if t.Action != ActionSubmit && contains(t.From, from) && contains(t.Roles, role) {
			out = append(out, t.Action)
		}
	}
	return out
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
