package store

import (
	"cmp"
	"time"

	"github.com/cara-registry/cara/internal/followed"
)

// Facility is a hospital or other reporting facility.
type Facility struct {
	ID   uint
	Code string
	Name string
	NPI  string `gorm:"column:npi"`
	// IDNumber is the facility's identifier in submission files (reportingFacility, NAACCR #540).
	IDNumber  string
	CreatedAt time.Time
}

// User is a person who signs in.
type User struct {
	ID           uint
	Username     string
	DisplayName  string
	PasswordHash string
	Role         string
	FacilityID   *uint // the home facility; every facility the user works for is in user_facilities
	DisabledAt   *time.Time
	// MustChangePassword is set by an administrator's password reset: the next login must choose
	// a new password before anything else.
	MustChangePassword bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Session is a signed-in browser; only a hash of its token is kept.
type Session struct {
	ID         uint
	TokenHash  string
	UserID     uint
	CSRFToken  string `gorm:"column:csrf_token"`
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// Patient is a person with one or more tumors; Items holds the Patient-level NAACCR items, and
// the named columns are copies of some of them for lists and search.
type Patient struct {
	ID              uint
	FacilityID      uint
	PatientIDNumber string `gorm:"column:patient_id_number"`
	NameLast        string
	NameFirst       string
	DateOfBirth     string
	// DateOfLastContact and VitalStatus are the follow-up's (NAACCR #1750 and #1760, Patient
	// level), copied to each tumor as LastContact and VitalStatus for the due list.
	DateOfLastContact string
	VitalStatus       string
	// Sex is Sex Assigned at Birth (#225, else the older Sex #220), for reports.
	Sex       string
	Items     Items
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Tumor is one primary of a patient: the unit a registrar abstracts and a reviewer approves.
type Tumor struct {
	ID        uint
	PatientID uint
	// FacilityID, NameLast and NameFirst are copies of the patient's, so that a worklist
	// filters, sorts and searches one table. The store keeps them; a tumor created without a
	// facility takes its patient's (see BeforeCreate).
	FacilityID          uint
	NameLast            string
	NameFirst           string
	MedicalRecordNumber string
	AccessionNumber     string
	SequenceNumber      string
	PrimarySite         string
	Histology           string
	Behavior            string
	DateOfDiagnosis     string
	Status              string
	AssignedTo          *uint
	ReviewedBy          *uint
	EditErrors          int
	EditWarnings        int
	// ClassOfCase, PhysicianFollowUp and NextFollowUpSource are Tumor-level items the follow-up
	// due list filters on; LastContact and VitalStatus are copies of the patient's (see
	// migrations/*/00013_followup.sql).
	ClassOfCase        string
	PhysicianFollowUp  string
	NextFollowUpSource string
	LastContact        string
	VitalStatus        string
	// Sex is a copy of the patient's (Patient.Sex), so that a report counts by sex from the
	// tumors alone, in one covering index (migrations/*/00019_report_indexes.sql).
	Sex string
	// FollowUpExclusion says why the tumor is not followed (followed.Reason), "" when it is.
	FollowUpExclusion string
	ReportItems       `gorm:"embedded"`
	// Items are kept in tumor_items, apart from the row (see migrations/*/00008_tumor_items.sql):
	// the store fills them where a tumor is read whole, and lists leave them nil.
	Items           Items `gorm:"-"`
	Version         int64
	StatusChangedAt *time.Time // when the case entered its status
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// ReportItems are the Tumor-level items registry reports (internal/reports) count by, copied to
// columns of their own (see migrations/*/00016_report_columns.sql, whose backfill follows the
// same choices as reportItemsOf).
type ReportItems struct {
	AgeAtDiagnosis     string `gorm:"column:age_at_diagnosis"`
	SummaryStage2018   string `gorm:"column:summary_stage_2018"`
	AJCCStageGroup     string `gorm:"column:ajcc_stage_group"`
	CountyAtDx         string `gorm:"column:county_at_dx"`
	DateFirstContact   string `gorm:"column:date_first_contact"`
	DateFirstTreatment string `gorm:"column:date_first_treatment"`
	DateCaseCompleted  string `gorm:"column:date_case_completed"`
	RxSurgery          string `gorm:"column:rx_surgery"`
	RxRadiation        string `gorm:"column:rx_radiation"`
	RxChemo            string `gorm:"column:rx_chemo"`
	RxHormone          string `gorm:"column:rx_hormone"`
	RxImmuno           string `gorm:"column:rx_immuno"`
	RxOther            string `gorm:"column:rx_other"`
}

// reportItemsOf picks the report columns out of a tumor's items. Where NAACCR has a newer and an
// older item for one fact (the 2023 surgery codes, phase 1 radiation, the CoC dates), the newer
// wins when given; the AJCC stage group is the pathological one unless it is blank, 88 (not
// applicable) or 99 (unknown), then the clinical one.
func reportItemsOf(items Items) ReportItems {
	either := func(newer, older string) string {
		if v := items[newer]; v != "" {
			return v
		}
		return items[older]
	}
	ajcc := items["ajccTnmPathStageGroup"]
	if ajcc == "" || ajcc == "88" || ajcc == "99" {
		ajcc = items["ajccTnmClinStageGroup"]
	}
	return ReportItems{
		AgeAtDiagnosis: clip(items["ageAtDiagnosis"], 3),
		// Coded (#764), else derived from EOD (#762): most cases since 2018 carry only the derived one.
		SummaryStage2018:   clip(cmp.Or(items["summaryStage2018"], items["derivedSummaryStage2018"]), 1),
		AJCCStageGroup:     clip(ajcc, 15),
		CountyAtDx:         clip(items["countyAtDx"], 3),
		DateFirstContact:   clip(items["dateOf1stContact"], 8),
		DateFirstTreatment: clip(either("date1stCrsRxCoc", "dateInitialRxSeer"), 8),
		DateCaseCompleted:  clip(either("dateCaseCompletedCoc", "dateCaseCompleted"), 8),
		RxSurgery:          clip(either("rxSummSurgPrimSite2023", "rxSummSurgPrimSite"), 4),
		RxRadiation:        clip(either("phase1RadiationTreatmentModality", "rxSummRadiation"), 2),
		RxChemo:            clip(items["rxSummChemo"], 2),
		RxHormone:          clip(items["rxSummHormone"], 2),
		RxImmuno:           clip(items["rxSummBrm"], 2),
		RxOther:            clip(items["rxSummOther"], 1),
	}
}

// columns adds the report columns to the column map of an update, so that every path that
// rewrites a tumor's items rewrites their copies with them.
func (r ReportItems) columns(m map[string]any) map[string]any {
	m["age_at_diagnosis"], m["summary_stage_2018"], m["ajcc_stage_group"] = r.AgeAtDiagnosis, r.SummaryStage2018, r.AJCCStageGroup
	m["county_at_dx"], m["date_first_contact"] = r.CountyAtDx, r.DateFirstContact
	m["date_first_treatment"], m["date_case_completed"] = r.DateFirstTreatment, r.DateCaseCompleted
	m["rx_surgery"], m["rx_radiation"], m["rx_chemo"] = r.RxSurgery, r.RxRadiation, r.RxChemo
	m["rx_hormone"], m["rx_immuno"], m["rx_other"] = r.RxHormone, r.RxImmuno, r.RxOther
	return m
}

// sexOf is a patient's sex for reports: Sex Assigned at Birth (#225), else the older Sex (#220).
func sexOf(items Items) string {
	if v := items["sexAssignedAtBirth"]; v != "" {
		return clip(v, 1)
	}
	return clip(items["sex"], 1)
}

// UserFacility is one facility a user works for.
type UserFacility struct {
	UserID     uint `gorm:"primaryKey;autoIncrement:false"`
	FacilityID uint `gorm:"primaryKey;autoIncrement:false"`
}

// StatusChange is one step of a case through the review workflow (see abstract.Transitions).
type StatusChange struct {
	ID           uint
	TumorID      uint
	FacilityID   uint
	Action       string
	FromStatus   string
	ToStatus     string
	UserID       *uint
	Reason       string
	EditErrors   int
	EditWarnings int
	At           time.Time
}

// ReviewComment is a reviewer's comment on a case, anchored to an item (NaaccrID) or to the case
// as a whole (NaaccrID ""). The registrar resolves it, the reviewer closes it.
type ReviewComment struct {
	ID         uint
	TumorID    uint
	NaaccrID   string `gorm:"column:naaccr_id"`
	AuthorID   uint
	Body       string
	CreatedAt  time.Time
	ResolvedAt *time.Time
	ResolvedBy *uint
	Resolution string
	ClosedAt   *time.Time
	ClosedBy   *uint
}

// ReabstractionSample is a blind re-abstraction audit: approved cases drawn by a reviewer, and
// the items (naaccrIds, JSON array) to re-abstract on each.
type ReabstractionSample struct {
	ID          uint
	FacilityID  *uint
	CreatedBy   uint
	CreatedAt   time.Time
	Description string
	Items       string
}

// ReabstractionCase is one case of a sample; AbstractorID is who sent it to review.
type ReabstractionCase struct {
	ID           uint
	SampleID     uint
	TumorID      uint
	AbstractorID *uint
	ReviewerID   *uint
	CompletedAt  *time.Time
}

// ReabstractionItem compares one item's original value with the reviewer's blind one.
type ReabstractionItem struct {
	ID       uint
	CaseID   uint
	NaaccrID string `gorm:"column:naaccr_id"`
	Original string
	Reviewed string
	Agree    bool
	Reason   string
	Note     string
}

// AuditEvent is one append-only line of the audit trail.
type AuditEvent struct {
	ID         uint
	At         time.Time
	UserID     *uint
	Action     string
	Entity     string
	EntityID   string
	Details    string
	RemoteAddr string
	PrevHash   string // the hash of the event before; see internal/audit
	Hash       string // SHA-256 of this event's content and PrevHash
}

// promote copies the items that have their own columns, so lists and indexes see them.
func (p *Patient) promote() {
	p.PatientIDNumber = p.Items["patientIdNumber"]
	p.NameLast = p.Items["nameLast"]
	p.NameFirst = p.Items["nameFirst"]
	p.DateOfBirth = p.Items["dateOfBirth"]
	p.DateOfLastContact = clip(p.Items["dateOfLastContact"], 8)
	p.VitalStatus = clip(p.Items["vitalStatus"], 1)
	p.Sex = sexOf(p.Items)
}

// clip cuts a promoted copy to its column's width (the item itself keeps the whole value), so
// that a malformed value the edits report cannot fail the write.
func clip(v string, n int) string {
	if len(v) > n {
		return v[:n]
	}
	return v
}

// ofPatient copies the patient's columns a tumor keeps for worklists and reports.
func (t *Tumor) ofPatient(p *Patient) {
	t.FacilityID, t.NameLast, t.NameFirst = p.FacilityID, p.NameLast, p.NameFirst
	t.LastContact, t.VitalStatus = p.DateOfLastContact, p.VitalStatus
	t.Sex = p.Sex
}

func (t *Tumor) promote() {
	t.MedicalRecordNumber = t.Items["medicalRecordNumber"]
	t.AccessionNumber = t.Items["accessionNumberHosp"]
	t.SequenceNumber = sequenceOf(t.Items)
	t.PrimarySite = t.Items["primarySite"]
	t.Histology = t.Items["histologicTypeIcdO3"]
	t.Behavior = t.Items["behaviorCodeIcdO3"]
	t.DateOfDiagnosis = t.Items["dateOfDiagnosis"]
	t.ClassOfCase = clip(t.Items["classOfCase"], 2)
	t.PhysicianFollowUp = clip(t.Items["physicianFollowUp"], 8)
	t.NextFollowUpSource = clip(t.Items["nextFollowUpSource"], 1)
	t.FollowUpExclusion = followed.Reason(t.followUpCase())
	t.ReportItems = reportItemsOf(t.Items)
}

// followUpCase is what the follow-up rule reads of a tumor, from its promoted columns.
func (t *Tumor) followUpCase() followed.Case {
	return followed.Case{ClassOfCase: t.ClassOfCase, Behavior: t.Behavior, PrimarySite: t.PrimarySite,
		Histology: t.Histology, NextFollowUpSource: t.NextFollowUpSource}
}

// Intake is one uploaded NAACCR XML submission file and the job that checks it (see
// internal/submission/intake.go for the states and what the counts mean).
type Intake struct {
	ID                uint
	FacilityID        uint  // the facility it was uploaded for: who may see it
	SendingFacilityID *uint // the facility its reportingFacility names; nil when none matched
	UploadedBy        *uint
	CreatedAt         time.Time
	FileName          string
	StoredPath        string
	SizeBytes         int64
	SHA256            string `gorm:"column:sha256"`
	State             string
	Error             string
	StartedAt         *time.Time
	FinishedAt        *time.Time
	HeartbeatAt       *time.Time
	// ClaimedBy is the lease of a running intake: the claim (NewIntakeClaim) of the worker that
	// runs it. Its writes to the intake name it, and a worker whose claim was taken over writes
	// nothing more (ErrLeaseLost).
	ClaimedBy      string
	NaaccrVersion  string
	RecordType     string
	FacilitiesSeen string // JSON array of reportingFacility values
	IntakeCounts   `gorm:"embedded"`
	AcceptedAt     *time.Time
	AcceptedBy     *uint
}

// IntakeCounts are an intake's running and final figures.
type IntakeCounts struct {
	Patients         int
	Tumors           int
	RecordsProcessed int
	StructuralErrors int
	EditErrors       int
	EditWarnings     int
	FailuresStored   int
	Duplicates       int
	AcceptableTumors int // tumors without error-severity failures
	AcceptedTumors   int // imported by the last accept
	// ReceivedTumors are the tumors without error-severity failures the check found stored
	// already: what accept would not import.
	ReceivedTumors int
	ExistingTumors int // those the last accept found stored already
	SkippedTumors  int // left out by the last accept for their errors
}

// IntakeEditCount is how often one edit failed in an intake.
type IntakeEditCount struct {
	IntakeID uint   `gorm:"primaryKey;autoIncrement:false"`
	EditID   string `gorm:"primaryKey"`
	Severity string `gorm:"primaryKey"`
	Count    int
}

// IntakeFailure is one failing record of an intake; TumorIndex -1 is the patient as a whole.
type IntakeFailure struct {
	ID              uint
	IntakeID        uint
	PatientIndex    int
	TumorIndex      int
	PatientIDNumber string `gorm:"column:patient_id_number"`
	TumorSequence   string
	EditID          string
	Severity        string
	Item            string
	Message         string
}

// Submission is one batch file sent to the state registry (see internal/submission). The file
// is at StoragePath in the configured submission directory; SHA256 is of its bytes on disk.
type Submission struct {
	ID            uint
	FacilityID    uint
	Kind          string // SubmissionRegular or SubmissionCorrection
	CreatedBy     *uint  // nil for a command-line job
	CreatedAt     time.Time
	FileName      string
	NaaccrVersion string
	RecordType    string
	Gzip          bool
	SHA256        string `gorm:"column:sha256"`
	SizeBytes     int64
	PatientCount  int
	TumorCount    int
	ItemCount     int64
	HeldCount     int
	WarningCount  int
	StoragePath   string
	DateFrom      string
	DateTo        string
	// TranslationReport says which values a batch in an older NAACCR version could not carry;
	// nil for a batch in the stored version.
	TranslationReport *string
	// AuditPending marks a batch recorded whose audit event is not written yet (on MySQL the
	// event follows the batch's commit: see SubmissionTx.Commit and FinishPendingSubmissions);
	// RemoteAddr is the address the batch was made from, for that event.
	AuditPending bool
	RemoteAddr   string
}

// SubmissionTumor is one case a batch looked at: sent at TumorVersion, or held back by its
// error-severity edits. Failures is a JSON array of the case's failing edits.
type SubmissionTumor struct {
	SubmissionID uint `gorm:"primaryKey;autoIncrement:false"`
	TumorID      uint `gorm:"primaryKey;autoIncrement:false"`
	TumorVersion int64
	Held         bool
	Warnings     int
	Failures     string
}

// LoginThrottle counts the failed sign-ins of one throttle key: an address over every username
// (Username ""), an account from one address, or an account over every address (RemoteAddr "").
type LoginThrottle struct {
	Username      string `gorm:"primaryKey"`
	RemoteAddr    string `gorm:"primaryKey"`
	Failures      int
	LastFailureAt time.Time
}

// LoginPresession is an open sign-in form: the hash of the token in its cookie and the CSRF
// token its form must carry.
type LoginPresession struct {
	TokenHash string `gorm:"primaryKey"`
	CSRFToken string `gorm:"column:csrf_token"`
	CreatedAt time.Time
	ExpiresAt time.Time
}
