package audit

// actionLabels are the actions as a person reads them in a case's history and the audit log: the
// one place their words live (TestEveryActionHasALabel walks Actions).
var actionLabels = map[string]string{
	LoginSuccess:        "Signed in",
	LoginFailure:        "Sign-in refused",
	LoginThrottleClear:  "Sign-in throttle cleared",
	Logout:              "Signed out",
	LogoutEverywhere:    "Signed out everywhere",
	CaseView:            "Case opened",
	CaseUpdate:          "Saved",
	CaseStatus:          "Workflow step",
	CaseKeepItem:        "Kept a value outside the schema",
	PatientSearch:       "Patients searched",
	PatientView:         "Patient opened",
	PatientCreate:       "Patient created",
	TumorCreate:         "Created",
	CommentAdd:          "Comment added",
	CommentResolve:      "Comment resolved",
	CommentClose:        "Comment closed",
	ReabstractionSample: "Re-abstraction sample drawn",
	ReabstractionView:   "Re-abstraction opened",
	ReabstractionSave:   "Re-abstraction saved",
	Export:              "Exported",
	Import:              "Imported",
	SubmissionCreate:    "Submission batch created",
	SubmissionDownload:  "Submission file downloaded",
	IntakeUpload:        "Intake file uploaded",
	IntakeAccept:        "Intake accepted",
	IntakeDownload:      "Intake report downloaded",
	UserCreate:          "User created",
	UserUpdate:          "User changed",
	UserDisable:         "User disabled",
	UserEnable:          "User enabled",
	PasswordReset:       "Password reset",
	PasswordChange:      "Password changed",
	FacilityCreate:      "Facility created",
	FacilityUpdate:      "Facility changed",
	AuditExport:         "Audit trail downloaded",
	CasefindingImport:   "Casefinding list imported",
	CasefindingView:     "Suspense list viewed",
	CasefindingDecide:   "Casefinding decision",
	FollowUpDue:         "Follow-up due list viewed",
	FollowUpRecord:      "Follow-up recorded",
	FollowUpLetters:     "Follow-up letters printed",
	FollowUpDeaths:      "Death file matched",
	FollowUpRate:        "Follow-up rate viewed",
	EHRReceive:          "Electronic report received",
	EHRSenderAdd:        "EHR sender added",
	EHRSenderRevoke:     "EHR sender revoked",
	EHRReportView:       "Electronic report read",
	SuggestionDismiss:   "Suggested value dismissed",
	EHRPurge:            "Electronic reports' raw messages purged",
	ReleaseDraft:        "Data request drafted",
	ReleaseApprove:      "Data request approved",
	ReleaseDeny:         "Data request denied",
	ReleaseRun:          "Release extract written",
	ReleaseAggregate:    "Release aggregate viewed",
	ReleaseDownload:     "Release extract downloaded",
	ReleasePurge:        "Expired release file purged",
	ReleaseDisclosures:  "Accounting of disclosures viewed",
	ReportDownload:      "Report downloaded",
}

// Label is an action as a person reads it; an action cara does not know (an old trail's) shows
// as itself.
func Label(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

// detailLabels name the keys of an event's details that the pages show (a case's history, the
// audit log); a key without one shows as itself.
var detailLabels = map[string]string{
	"action":          "Step",
	"from":            "From",
	"to":              "To",
	"reason":          "Reason",
	"edit_errors":     "Edit errors",
	"edit_warnings":   "Edit warnings",
	"comment":         "Comment no.",
	"item":            "Item",
	"body":            "Text",
	"note":            "Note",
	"section":         "Section",
	"file":            "File",
	"bytes":           "Bytes",
	"sha256":          "SHA-256",
	"facility":        "Facility",
	"facility_id":     "Facility",
	"format":          "Format",
	"kind":            "Kind",
	"name":            "Name",
	"mrn":             "MRN",
	"dateOfBirth":     "Date of birth",
	"found":           "Found",
	"patientIdNumber": "Patient ID number",
	"sessions":        "Sessions",
	"role":            "Role",
	"display_name":    "Display name",
	"home_facility":   "Home facility",
	"by":              "By",
	"code":            "Code",
	"npi":             "NPI",
	"id_number":       "Facility ID number",
	"rows":            "Rows",
	"sample_id":       "Sample",
	"tumor_id":        "Tumor",
	"cases":           "Cases",
	"items":           "Items",
	"disagree":        "Disagreements",
	"reasons":         "Reasons",
	"tumorsCreated":   "Tumors created",
	"patients":        "Patients",
	"tumors":          "Tumors",
	"statuses":        "Statuses",
	"class":           "Class of case",
	"status":          "Status",
}

// DetailLabel names a key of an event's details as a person reads it.
func DetailLabel(key string) string {
	if l, ok := detailLabels[key]; ok {
		return l
	}
	return key
}
