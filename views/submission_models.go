package views

// SubmissionsView is the submissions page: the form that creates a batch and the history.
type SubmissionsView struct {
	Page
	Form        SubmissionForm
	Facilities  []Option // the facilities the user may create a batch for (Code holds the id)
	Versions    []string
	RecordTypes []Option
	// Pending and Corrections count the cases a regular and a correction batch of the chosen
	// facility would take now.
	Pending, Corrections int64
	Error                string              // why the last create did not make a batch
	Held                 []SubmissionCaseRow // cases held back by the last create that made no batch
	Preview              *SubmissionPreview  // what the batch of Form would send, to confirm
	History              []SubmissionRow
}

// SubmissionPreview is what a batch would send and hold back, before anything is written.
type SubmissionPreview struct {
	Facility               string
	Patients, Tumors       int // sent
	HeldCount, WarnedCount int
	Held                   []SubmissionCaseRow // the first cases held back, with their failures
	Cases                  string              // the previewed cases, posted with the confirmation
}

// SubmissionForm is what the create form posts.
type SubmissionForm struct {
	FacilityID string
	Range      string // "all" or "range"
	From, To   string
	Version    string
	RecordType string
	Gzip       bool
	Correction bool
}

// SubmissionRow is a batch in the history.
type SubmissionRow struct {
	ID          uint
	URL         string
	DownloadURL string
	FileName    string
	Facility    string
	Kind        string
	CreatedBy   string
	CreatedAt   string
	Version     string
	RecordType  string
	Patients    int
	Tumors      int
	Items       int64
	Held        int
	Warnings    int
	SHA256      string
	Size        string
}

// SubmissionDetailView is one batch with the cases held back and sent with warnings.
type SubmissionDetailView struct {
	Page
	Batch  SubmissionRow
	Range  string // the diagnosis date range asked for, or "all pending"
	Held   []SubmissionCaseRow
	Warned []SubmissionCaseRow
	// Created is set on the page shown right after the batch was made.
	Created bool
	// Translation is the report of a batch written in an older NAACCR version: the values carried
	// and, when Lost, those it could not carry.
	Translation string
	Lost        bool
}

// SubmissionCaseRow is a case of a batch with its failing edits.
type SubmissionCaseRow struct {
	TumorID  uint
	URL      string
	Name     string
	MRN      string
	Failures []SubmissionFailure
}

// SubmissionFailure is one failing edit.
type SubmissionFailure struct {
	Edit     string
	Severity string
	Message  string
}
