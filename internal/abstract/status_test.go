package abstract_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
)

func TestOnlyDraftAndReturnedCasesAreEditable(t *testing.T) {
	tests := []struct {
		status abstract.Status
		want   bool
	}{
		{abstract.StatusDraft, true},
		{abstract.StatusInReview, false},
		{abstract.StatusReturned, true},
		{abstract.StatusApproved, false},
		{abstract.StatusSubmitted, false},
		{abstract.Status("unknown"), false},
	}
	for _, tt := range tests {
		if got := tt.status.Editable(); got != tt.want {
			t.Errorf("%s.Editable() = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestParseStatusAcceptsOnlyWorkflowStatuses(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want abstract.Status
		ok   bool
	}{
		{"draft", abstract.StatusDraft, true},
		{"in_review", abstract.StatusInReview, true},
		{"submitted", abstract.StatusSubmitted, true},
		{"done", "", false},
		{"Draft", "", false},
		{"", "", false},
	} {
		got, err := abstract.ParseStatus(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseStatus(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestWorkflowTransitions(t *testing.T) {
	const (
		registrar = auth.RoleRegistrar
		reviewer  = auth.RoleReviewer
		admin     = auth.RoleAdmin
	)
	tests := []struct {
		name string
		step abstract.Step
		to   abstract.Status
		err  error
	}{
		{"registrar sends a draft", abstract.Step{Action: abstract.ActionSend, From: abstract.StatusDraft, Role: registrar}, abstract.StatusInReview, nil},
		{"registrar sends a returned case again", abstract.Step{Action: abstract.ActionSend, From: abstract.StatusReturned, Role: registrar}, abstract.StatusInReview, nil},
		{"warnings do not stop a send", abstract.Step{Action: abstract.ActionSend, From: abstract.StatusDraft, Role: registrar, EditErrors: 0}, abstract.StatusInReview, nil},
		{"edit errors stop a send", abstract.Step{Action: abstract.ActionSend, From: abstract.StatusDraft, Role: registrar, EditErrors: 2}, "", abstract.ErrEditErrors},
		{"a case in review is not sent again", abstract.Step{Action: abstract.ActionSend, From: abstract.StatusInReview, Role: registrar}, "", abstract.ErrWrongStatus},
		{"an approved case is not sent", abstract.Step{Action: abstract.ActionSend, From: abstract.StatusApproved, Role: registrar}, "", abstract.ErrWrongStatus},
		{"a reviewer does not send", abstract.Step{Action: abstract.ActionSend, From: abstract.StatusDraft, Role: reviewer}, "", abstract.ErrWrongRole},
		{"registrar withdraws from review", abstract.Step{Action: abstract.ActionWithdraw, From: abstract.StatusInReview, Role: registrar}, abstract.StatusDraft, nil},
		{"reviewer returns with a reason", abstract.Step{Action: abstract.ActionReturn, From: abstract.StatusInReview, Role: reviewer, Reason: "check laterality"}, abstract.StatusReturned, nil},
		{"a return needs a reason", abstract.Step{Action: abstract.ActionReturn, From: abstract.StatusInReview, Role: reviewer, Reason: "  "}, "", abstract.ErrNoReason},
		{"a registrar cannot return", abstract.Step{Action: abstract.ActionReturn, From: abstract.StatusInReview, Role: registrar, Reason: "x"}, "", abstract.ErrWrongRole},
		{"a draft cannot be returned", abstract.Step{Action: abstract.ActionReturn, From: abstract.StatusDraft, Role: reviewer, Reason: "x"}, "", abstract.ErrWrongStatus},
		{"reviewer approves", abstract.Step{Action: abstract.ActionApprove, From: abstract.StatusInReview, Role: reviewer}, abstract.StatusApproved, nil},
		{"admin approves", abstract.Step{Action: abstract.ActionApprove, From: abstract.StatusInReview, Role: admin}, abstract.StatusApproved, nil},
		{"a registrar cannot approve", abstract.Step{Action: abstract.ActionApprove, From: abstract.StatusInReview, Role: registrar}, "", abstract.ErrWrongRole},
		{"a draft cannot be approved", abstract.Step{Action: abstract.ActionApprove, From: abstract.StatusDraft, Role: reviewer}, "", abstract.ErrWrongStatus},
		{"a returned case cannot be approved", abstract.Step{Action: abstract.ActionApprove, From: abstract.StatusReturned, Role: reviewer}, "", abstract.ErrWrongStatus},
		{"edit errors stop an approval", abstract.Step{Action: abstract.ActionApprove, From: abstract.StatusInReview, Role: reviewer, EditErrors: 1}, "", abstract.ErrEditErrors},
		{"reviewer reopens an approved case", abstract.Step{Action: abstract.ActionReopen, From: abstract.StatusApproved, Role: reviewer, Reason: "new pathology"}, abstract.StatusDraft, nil},
		{"reviewer reopens a submitted case", abstract.Step{Action: abstract.ActionReopen, From: abstract.StatusSubmitted, Role: reviewer, Reason: "correction"}, abstract.StatusDraft, nil},
		{"a reopen needs a reason", abstract.Step{Action: abstract.ActionReopen, From: abstract.StatusApproved, Role: reviewer}, "", abstract.ErrNoReason},
		{"a registrar cannot reopen", abstract.Step{Action: abstract.ActionReopen, From: abstract.StatusApproved, Role: registrar, Reason: "x"}, "", abstract.ErrWrongRole},
		{"a draft is not reopened", abstract.Step{Action: abstract.ActionReopen, From: abstract.StatusDraft, Role: reviewer, Reason: "x"}, "", abstract.ErrWrongStatus},
		{"an approved case is submitted", abstract.Step{Action: abstract.ActionSubmit, From: abstract.StatusApproved, Role: registrar}, abstract.StatusSubmitted, nil},
		{"a case in review is not submitted", abstract.Step{Action: abstract.ActionSubmit, From: abstract.StatusInReview, Role: admin}, "", abstract.ErrWrongStatus},
		{"a received case takes no step", abstract.Step{Action: abstract.ActionSend, From: abstract.StatusReceived, Role: admin}, "", abstract.ErrWrongStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := abstract.Check(tt.step)
			if tt.err != nil {
				var te *abstract.TransitionError
				if !errors.Is(err, tt.err) || !errors.As(err, &te) || te.Error() == "" {
					t.Fatalf("Check = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || tr.To != tt.to {
				t.Fatalf("Check = %v, %v; want to %s", tr.To, err, tt.to)
			}
		})
	}
	if _, err := abstract.Check(abstract.Step{Action: "delete", From: abstract.StatusDraft, Role: admin}); err == nil {
		t.Error("an unknown action was allowed")
	}
}

func TestAllowedActionsPerRoleAndStatus(t *testing.T) {
	tests := []struct {
		from abstract.Status
		role auth.Role
		want []abstract.Action
	}{
		{abstract.StatusDraft, auth.RoleRegistrar, []abstract.Action{abstract.ActionSend}},
		{abstract.StatusDraft, auth.RoleReviewer, nil},
		{abstract.StatusInReview, auth.RoleRegistrar, []abstract.Action{abstract.ActionWithdraw}},
		{abstract.StatusInReview, auth.RoleReviewer, []abstract.Action{abstract.ActionReturn, abstract.ActionApprove}},
		{abstract.StatusInReview, auth.RoleAdmin, []abstract.Action{abstract.ActionWithdraw, abstract.ActionReturn, abstract.ActionApprove}},
		{abstract.StatusApproved, auth.RoleReviewer, []abstract.Action{abstract.ActionReopen}},
		{abstract.StatusApproved, auth.RoleRegistrar, nil},
		{abstract.StatusSubmitted, auth.RoleAdmin, []abstract.Action{abstract.ActionReopen}},
		{abstract.StatusReceived, auth.RoleAdmin, nil},
	}
	for _, tt := range tests {
		if got := abstract.Allowed(tt.from, tt.role); !slices.Equal(got, tt.want) {
			t.Errorf("Allowed(%s, %s) = %v, want %v", tt.from, tt.role, got, tt.want)
		}
	}
}

// TestEveryStatusAndStepHasAPersonsLabel: each status and workflow action reads as words, not as
// its stored id, and no two share a label.
func TestEveryStatusAndStepHasAPersonsLabel(t *testing.T) {
	seen := map[string]string{}
	for _, st := range abstract.Statuses {
		l := st.Label()
		if l == "" || l == string(st) || strings.Contains(l, "_") {
			t.Errorf("status %s reads %q", st, l)
		}
		if other, dup := seen[l]; dup {
			t.Errorf("statuses %s and %s both read %q", other, st, l)
		}
		seen[l] = string(st)
	}
	seen = map[string]string{}
	for _, tr := range abstract.Transitions {
		l := tr.Action.Label()
		if l == "" || l == string(tr.Action) {
			t.Errorf("action %s reads %q", tr.Action, l)
		}
		if other, dup := seen[l]; dup {
			t.Errorf("actions %s and %s both read %q", other, tr.Action, l)
		}
		seen[l] = string(tr.Action)
	}
	if got := abstract.Status("archived").Label(); got != "archived" {
		t.Errorf("an unknown status reads %q, want itself", got)
	}
}
