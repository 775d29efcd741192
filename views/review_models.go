package views

// WorkflowView is the action bar of a case: the workflow steps the user may take on it now, and
// what the last step said (a confirmation, or why it was refused).
type WorkflowView struct {
	URL          string // where the bar posts: /cases/:id/status
	CSRF         string
	Section      string // the section shown, to come back to
	TumorVersion int64  // the version the user sees: a step on a changed case is refused
	StatusLabel  string
	Actions      []WorkflowAction
	// Message is the confirmation (OK) or the refusal of the last step.
	Message string
	OK      bool
	// Edits are the failing edits the message is about: the errors that block a step, or the
	// warnings a step went through with. Each links to its fields.
	Edits []EditView
	// Blocked is the action the case's failing edit errors refused, while they still block it.
	Blocked string
	// Reason is what the user typed as a reason, kept when a step is refused.
	Reason string
	// OOB marks the bar for an htmx out-of-band swap: a save answered with the form alone also
	// refreshes the bar's version.
	OOB bool
}

// WorkflowAction is one button of the action bar.
type WorkflowAction struct {
	Action      string // the abstract.Action
	Label       string
	NeedsReason bool
	Primary     bool
}

// NeedsReason reports whether any action of the bar needs a reason (the bar then has a textarea).
func (w WorkflowView) NeedsReason() bool {
	for _, a := range w.Actions {
		if a.NeedsReason {
			return true
		}
	}
	return false
}

// CommentView is one review comment.
type CommentView struct {
	ID         uint
	Anchor     string // "comment-<id>", the element id of the comment in the panel
	NaaccrID   string
	ItemLabel  string // the item's label, or "Whole case"
	ItemURL    string // the item on the form ("" for the whole case)
	Body       string
	Author     string
	Created    string
	State      string // "open", "resolved" or "closed"
	Resolution string
	Resolver   string
	ResolveURL string // set when the user may resolve it now
	CloseURL   string // set when the user may close it now
}

// StateLabel is the comment's state as people read it.
func (c CommentView) StateLabel() string {
	switch c.State {
	case "resolved":
		return "Resolved, waiting for the reviewer"
	case "closed":
		return "Closed"
	}
	return "Open"
}

// ReviewPanel is the case page's comments panel: every comment with its state, and the form a
// reviewer adds one with.
type ReviewPanel struct {
	CSRF     string
	Section  string
	Comments []CommentView
	// AddURL is set when the user may comment on the case now.
	AddURL string
	// Items are what a new comment can be about: the whole case, then the section's items.
	Items []Option
	// Item is the item the new comment is about (a field's "Comment" link sets it); Body what
	// was typed, kept when the comment is refused.
	Item string
	Body string
	// Message says what the last comment step did, or why it was refused.
	Message string
	OK      bool
	// Note is what the registrar typed as a resolution, kept when it is refused, for Resolving.
	Note      string
	Resolving uint
}

// NoteFor is the resolution typed for a comment, kept when its resolve was refused.
func (p ReviewPanel) NoteFor(id uint) string {
	if p.Resolving == id {
		return p.Note
	}
	return ""
}

// OpenCount is the number of comments not closed.
func (p ReviewPanel) OpenCount() int {
	n := 0
	for _, c := range p.Comments {
		if c.State != "closed" {
			n++
		}
	}
	return n
}

// ReviewQueueView is the review queue: the cases in review, the longest waiting first.
type ReviewQueueView struct {
	Page
	Registrar  string // filter: the sender's user id
	Site       string // filter: a site group id
	Days       string // filter: at least this many days waiting
	Registrars []Option
	SiteGroups []Option
	Rows       []ReviewQueueRow
	Total      int64
	From, To   int64
	Pages      []PageLink
	Prev, Next string
}

// ReviewQueueRow is one case waiting for review.
type ReviewQueueRow struct {
	TumorID      uint
	URL          string
	PatientName  string
	MRN          string
	Site         string
	SiteLabel    string
	Registrar    string
	Days         int
	OpenComments int
	EditWarnings int
	EditErrors   int
}

// ReturnedRow is a case a reviewer returned, on the registrar's worklist.
type ReturnedRow struct {
	TumorID     uint
	URL         string
	PatientName string
	MRN         string
	Site        string
	Reason      string
	ReturnedBy  string
	Returned    string // the date it was returned
	Unresolved  int
}
