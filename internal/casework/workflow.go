package casework

import (
	"context"
	"errors"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
)

// Reasons a workflow step is refused before the workflow table is asked.
var (
	ErrUnknownStep = errors.New("casework: unknown workflow step")
	ErrRoleMayNot  = errors.New("casework: the role never takes this step")
)

// Step is a workflow step someone asks for on a case.
type Step struct {
	TumorID      uint
	Action       abstract.Action
	Reason       string
	TumorVersion int64 // the version the user saw; 0 when the form carries none
}

// Stepped is what a step did, or why not: Case is the case as loaded, Edits its failing edits
// (run on the stored case) and, when the step was refused for its edit errors, Blocking those.
type Stepped struct {
	Case     *Case
	Edits    []edits.Result
	Blocking []edits.Result
}

// TakeStep takes one workflow step on a case: the role, the status, the reason and the case's
// failing edits are checked against the workflow (abstract.Check; a refusal is its
// *abstract.TransitionError), and the store takes the step only if the case is still as the user
// saw it (else ErrConflict).
func (s *Service) TakeStep(ctx context.Context, a Actor, st Step) (*Stepped, error) {
	cs, err := s.Open(ctx, a, st.TumorID)
	if err != nil {
		return nil, err
	}
	out := &Stepped{Case: cs}
	known, may := RoleMay(st.Action, a.Role)
	switch {
	case !known || st.Action == abstract.ActionSubmit:
		return out, ErrUnknownStep
	case !may:
		return out, ErrRoleMayNot
	case st.TumorVersion <= 0:
		return out, ErrNoVersion
	}
	if out.Edits, err = s.Edits(cs); err != nil {
		return nil, err
	}
	nErr, nWarn := Count(out.Edits)
	from := abstract.Status(cs.Tumor.Status)
	t, err := abstract.Check(abstract.Step{Action: st.Action, From: from, Role: a.Role, Reason: st.Reason, EditErrors: nErr})
	if err != nil {
		if errors.Is(err, abstract.ErrEditErrors) {
			for _, r := range out.Edits {
				if r.Severity == edits.SeverityError {
					out.Blocking = append(out.Blocking, r)
				}
			}
		}
		return out, err
	}
	_, err = s.store.ChangeStatus(ctx, store.StatusUpdate{
		TumorID: cs.Tumor.ID, Scope: a.Scope, Version: st.TumorVersion, Action: string(t.Action), From: string(from), To: string(t.To),
		UserID: &a.UserID, Reason: st.Reason, EditErrors: nErr, EditWarnings: nWarn, RemoteAddr: a.RemoteAddr,
		Reviewed: st.Action == abstract.ActionApprove || st.Action == abstract.ActionReturn,
	})
	if err != nil {
		return out, err
	}
	return out, nil
}

// RoleMay reports whether a role may ever take an action, whatever the case's status.
func RoleMay(a abstract.Action, r auth.Role) (known, may bool) {
	for _, t := range abstract.Transitions {
		if t.Action != a {
			continue
		}
		for _, tr := range t.Roles {
			if tr == r {
				return true, true
			}
		}
		return true, false
	}
	return false, false
}
