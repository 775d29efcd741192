// Package audit gives cara's audit trail its vocabulary and its tamper evidence: the names of the
// actions it records, the canonical encoding and the keyed hash (HMAC-SHA-256 under a Key held
// outside the database) that chain each event to the one before it, Verify, which walks a stored
// trail and names the first event that does not fit, and signed checkpoints of a trail's head.
// It knows nothing of the database; internal/store keeps the events and appends them in turn.
package audit

// The actions cara records. An event's action column holds one of these.
const (
	LoginSuccess = "login.success"
	LoginFailure = "login.failure"
	Logout       = "logout"
	CaseView     = "case.view"
	CaseUpdate   = "case.update"
	CaseStatus   = "case.status" // a workflow step: send, withdraw, return, approve, reopen, submit
	// The registrar kept the value of an item that is not an item of the case's staging schema
	// (clearing one is a case.update with the change).
	CaseKeepItem  = "case.keep_item"
	PatientSearch = "patient.search"
	PatientView   = "patient.view"
	PatientCreate = "patient.create"
	TumorCreate   = "tumor.create"
	Export        = "export"
	Import        = "import"
	UserCreate    = "user.create"
	// Intake of uploaded submission files (issue 8).
	IntakeUpload   = "intake.upload"
	IntakeAccept   = "intake.accept"
	IntakeDownload = "intake.download"
	// A submission batch: created (its cases are submitted with it), its file downloaded.
	SubmissionCreate   = "submission.create"
	SubmissionDownload = "submission.download"
	// Review comments: a reviewer adds one, the registrar resolves it, the reviewer closes it.
	CommentAdd     = "comment.add"
	CommentResolve = "comment.resolve"
	CommentClose   = "comment.close"

	// Administration (issue 7): an administrator's changes to users and facilities, a user's own
	// password change, and a download of the audit trail itself.
	UserUpdate     = "user.update"
	UserDisable    = "user.disable"
	UserEnable     = "user.enable"
	PasswordReset  = "password.reset"
	PasswordChange = "password.change"
	FacilityCreate = "facility.create"
	FacilityUpdate = "facility.update"
	AuditExport    = "audit.export"

	// Blind re-abstraction (issue 7): a sample drawn, a sample or case opened (PHI), a reviewer's
	// blind values or discrepancy reasons saved.
	ReabstractionSample = "reabstraction.sample"
	ReabstractionView   = "reabstraction.view"
	ReabstractionSave   = "reabstraction.save"

	// Sign out everywhere (issue 13): every session of the user ends, the asking one included.
	LogoutEverywhere = "logout.everywhere"
)

// An administrator cleared the sign-in throttle of an account (issue 13).
const LoginThrottleClear = "login.throttle_clear"

// Casefinding (issue 17): a casefinding file imported into a facility's suspense list, the list
// viewed (it names patients), a registrar's decision on a possible case.
const (
	CasefindingImport = "casefinding.import"
	CasefindingView   = "casefinding.view"
	CasefindingDecide = "casefinding.decide"
)

// EHR intake (issue 18): an electronic report received (file or MLLP), stored or refused; a
// sender allowed on the MLLP listener, and one revoked.
const (
	EHRReceive      = "ehr.receive"
	EHRSenderAdd    = "ehr.sender_add"
	EHRSenderRevoke = "ehr.sender_revoke"
	// EHRReportView is a report read beside the case it pre-filled (its text, or its raw
	// message downloaded); SuggestionDismiss a suggested value a registrar set aside.
	EHRReportView     = "ehr.report_view"
	SuggestionDismiss = "case.suggestion_dismiss"
	// EHRPurge is the raw messages past their retention period blanked (cara ehr purge).
	EHRPurge = "ehr.purge"
)

// Actions lists every action, in the order of the trail's story: what the audit log's filter
// offers and what the audit completeness test walks.
var Actions = []string{
	LoginSuccess, LoginFailure, LoginThrottleClear, Logout, LogoutEverywhere,
	CaseView, CaseUpdate, CaseStatus, CaseKeepItem,
	PatientSearch, PatientView, PatientCreate, TumorCreate,
	CommentAdd, CommentResolve, CommentClose,
	ReabstractionSample, ReabstractionView, ReabstractionSave,
	Export, Import, SubmissionCreate, SubmissionDownload,
	IntakeUpload, IntakeAccept, IntakeDownload,
	UserCreate, UserUpdate, UserDisable, UserEnable,
	PasswordReset, PasswordChange, FacilityCreate, FacilityUpdate,
	AuditExport,
	CasefindingImport, CasefindingView, CasefindingDecide,
	FollowUpDue, FollowUpRecord, FollowUpLetters, FollowUpDeaths, FollowUpRate, // actions_followup.go
	EHRReceive, EHRSenderAdd, EHRSenderRevoke, EHRReportView, SuggestionDismiss, EHRPurge,
	ReleaseDraft, ReleaseApprove, ReleaseDeny, ReleaseRun, ReleaseAggregate, ReleaseDownload, ReleasePurge, ReleaseDisclosures, // actions_release.go
	ReportDownload, // actions_reports.go
}
