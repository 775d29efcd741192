package abstract

import (
	"fmt"
	"strings"
)

// Status is where a case stands in the review workflow.
type Status string

// The statuses of a case: draft → in_review → (returned → in_review)* → approved → submitted.
const (
	StatusDraft     Status = "draft"
	StatusInReview  Status = "in_review"
	StatusReturned  Status = "returned"
	StatusApproved  Status = "approved"
	StatusSubmitted Status = "submitted"
)

// Editable reports whether a registrar may change a case in this status; approved and submitted
// cases change only through a recorded reopen.
func (s Status) Editable() bool {
	return s == StatusDraft || s == StatusReturned || s == StatusInReview
}

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusDraft, StatusInReview, StatusReturned, StatusApproved, StatusSubmitted}

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
	return "", fmt.Errorf("unknown status %q (%s)", s, strings.Join(names, ", "))
}
