// Package audit gives cara's audit trail its vocabulary and its tamper evidence: the names of the
// actions it records, the canonical encoding and SHA-256 hash that chain each event to the one
// before it, and Verify, which walks a stored trail and names the first event that does not fit.
// It knows nothing of the database; internal/store keeps the events and appends them in turn.
package audit

// The actions cara records. An event's action column holds one of these.
const (
	LoginSuccess  = "login.success"
	LoginFailure  = "login.failure"
	Logout        = "logout"
	CaseView      = "case.view"
	CaseUpdate    = "case.update"
	CaseStatus    = "case.status" // a workflow step: send, withdraw, return, approve, reopen, submit
	PatientSearch = "patient.search"
	PatientView   = "patient.view"
	PatientCreate = "patient.create"
	TumorCreate   = "tumor.create"
	Export        = "export"
	Import        = "import"
	UserCreate    = "user.create"
)
