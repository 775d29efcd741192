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
