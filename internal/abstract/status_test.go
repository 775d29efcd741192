package abstract_test

import (
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
)

func TestOnlyCasesBeforeApprovalAreEditable(t *testing.T) {
	tests := []struct {
		status abstract.Status
		want   bool
	}{
		{abstract.StatusDraft, true},
		{abstract.StatusInReview, true},
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
