package views

// PatientSummary is a patient as a list of patients or the patient page shows them.
type PatientSummary struct {
	ID              uint
	URL             string
	Name            string
	DateOfBirth     string // as shown
	Sex             string
	PatientIDNumber string
	AddTumorURL     string // empty when the user may not add one
	Tumors          []TumorSummary
}

// TumorSummary is one tumor of a patient.
type TumorSummary struct {
	ID          uint
	URL         string
	Sequence    string
	Site        string
	SiteLabel   string
	Histology   string // histology/behavior, when coded
	DxDate      string
	MRN         string
	Accession   string
	Status      string
	StatusLabel string
	EditErrors  int
}

// PatientSearchView is the first step of a new case: find the patient, or go on to enter one.
type PatientSearchView struct {
	Page
	// Facilities are offered to an administrator, who works in no facility of their own and
	// must pick one; FacilityID is the one chosen (or the user's own), "" when none is.
	Facilities   []Option
	FacilityID   string
	FacilityName string
	Name         string
	MRN          string
	DateOfBirth  string
	Searched     bool
	Results      []PatientSummary
	// NewPatientURL goes on to enter a new patient with what was searched for; empty when the
	// user may not, or no facility is chosen.
	NewPatientURL string
}

// PatientFormView is the form that enters a new patient, and the likely duplicates found when
// it was sent.
type PatientFormView struct {
	Page
	Action       string
	FacilityID   string
	FacilityName string
	Fields       []FieldView
	ErrorCount   int
	// Duplicates are the facility's patients that may be this one; the form then offers to
	// create the patient anyway (confirm=1) or to use one of them.
	Duplicates []PatientSummary
	SearchURL  string
}

// PatientView is the patient page: who the patient is and every tumor, by sequence number.
type PatientView struct {
	Page
	Patient      PatientSummary
	FacilityName string
	Race         string
	Created      bool // the patient was just entered
}

// TumorFormView is the form that adds a tumor to a patient.
type TumorFormView struct {
	Page
	Action     string
	Patient    PatientSummary
	Fields     []FieldView
	ErrorCount int
	// SequenceNote explains the suggested sequence number, and that an existing 00 should be 01.
	SequenceNote string
}
