package abstract

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
