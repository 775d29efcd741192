package views

// CasefindingView is a facility's suspense list: the possible cases waiting for a decision, the
// upload of casefinding files and the decisions.
type CasefindingView struct {
	Page
	FacilityID   string
	FacilityName string
	Facilities   []Option // offered when the user works for several
	CanDecide    bool
	// The filters as chosen, and the choices.
	Status, Screening, Match, Source string
	Statuses, Screenings, Matches    []Option
	Sources                          []Option
	Reasons                          []Option
	Rows                             []SuspenseRow
	Total                            int64
	Shown                            int
	Timeliness                       *CasefindingTimeliness
	// Import is the summary of the file just imported, if any.
	Import *CasefindingImport
	// Reports is what became of the electronic reports just uploaded, if any.
	Reports *CasefindingReports
	// Outcome is what the decision just taken did, if any.
	Outcome *CasefindingOutcome
	Error   string
}

// SuspenseRow is one possible case as the list shows it.
type SuspenseRow struct {
	ID, Ref        string // Ref is "id:version", what a decision names
	MRN, Name      string
	DateOfBirth    string
	Sex            string
	FirstContact   string
	DaysWaiting    int
	Source         string
	Codes          string
	Text           string // the text that flagged it (a diagnosis, a pathology line), shortened
	FullText       string // all of it, when shortened
	Screening      string // reportable, not_reportable, review
	ScreeningLabel string
	Rule           string // the pattern and its label
	Match          string // the kind
	MatchLabel     string
	Score          int
	Reasons        []string
	MatchCaseURL   string
	MatchPatient   string // URL of the patient matched
	Status         string
	StatusLabel    string
	CaseURL        string // the case started from it, or the one it duplicates
	Decided        string // who decided, when, why
	Open           bool   // waiting or set aside: it can be decided
}

// CasefindingImport is the summary of one import.
type CasefindingImport struct {
	FileName                       string
	Read, Added, Already, SetAside int
	Ignored                        string
	Errors                         []string
	MoreErrors                     int
}

// CasefindingOutcome is what a decision did.
type CasefindingOutcome struct {
	Message string
	Cases   []Link
	Refused []string
	Problem string
}

// Link is a labelled URL.
type Link struct {
	URL, Label string
}

// CasefindingTimeliness is how quickly the cases started from the list were completed.
type CasefindingTimeliness struct {
	Months                                    int
	Started, Completed, InTime, Open, Overdue int
	Median                                    string // days, or "–"
}

// PatientPickerView is "add to patient" for one possible case: the record, a search of its
// facility's patients by MRN or name, and the patients found, each a decision to add it there.
type PatientPickerView struct {
	Page
	FacilityID string
	Ref        string // the record's "id:version", as the decision names it
	RecordID   string
	Name, MRN  string
	Born       string // date of birth and sex
	Query      string
	Searched   bool
	Patients   []PickerPatient
	// Inline is the picker opened in the suspense page (htmx): a decision swaps the list there;
	// else it is a page of its own whose decisions are plain posts.
	Inline bool
}

// PickerPatient is a patient the possible case may be added to.
type PickerPatient struct {
	ID, URL  string
	Name     string
	Born     string
	MRNs     string
	Tumors   string // sites and diagnosis dates
	Matched  bool   // the patient the import matched
	Decision string // the "do" value: add_to_patient and the record's ref
}

// CasefindingReports is what became of an uploaded file of electronic reports (HL7 v2
// pathology messages, or a FHIR bundle): one line a message.
type CasefindingReports struct {
	FileName string
	Kind     string // "HL7 v2" or "FHIR R4"
	Summary  string
	Lines    []ReportLine
	More     int // lines not shown
}

// ReportLine is one message's outcome.
type ReportLine struct {
	Text    string
	Refused bool
}
