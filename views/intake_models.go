package views

// IntakeListView is the intake page: the upload form and the intakes the user may see.
type IntakeListView struct {
	Page
	Facilities  []IntakeFacility // the facilities the user may upload for
	MaxSize     string           // the upload limit, for people ("2 GiB")
	MaxUnpacked string           // what a .gz may unpack to, for people ("20 GiB")
	Error       string
	Rows        []IntakeRow
}

// IntakeFacility is one choice of the upload form's facility list.
type IntakeFacility struct {
	ID       uint
	Name     string
	Selected bool
}

// IntakeRow is one intake in the list.
type IntakeRow struct {
	ID       uint
	URL      string
	FileName string
	Facility string
	Uploaded string
	State    string
	Patients int
	Tumors   int
	Errors   int
}

// IntakeProgressView is the part of an intake's page that changes while it is checked.
type IntakeProgressView struct {
	ID          uint
	ProgressURL string
	State       string
	Running     bool // queued or running: the fragment polls
	Finished    bool // checked (done or accepted): the counts are final
	Records     int
	Patients    int
	Errors      int
	Warnings    int
	Error       string // why it failed
}

// IntakeView is an intake's report page.
type IntakeView struct {
	Page
	ID               uint
	FileName         string
	Facility         string
	SendingFacility  string
	Uploaded         string
	SizeBytes        string
	SHA256           string
	Progress         IntakeProgressView
	Done             bool // checked: the report below is complete
	NaaccrVersion    string
	RecordType       string
	Patients         int
	Tumors           int
	FacilitiesSeen   string
	StructuralErrors int
	EditErrors       int
	EditWarnings     int
	Duplicates       int
	AcceptableTumors int
	Importable       int // tumors without errors not received yet: what accept would import
	FailuresStored   int
	FailuresCapped   bool
	MaxFailures      int
	EditCounts       []IntakeEditCountRow
	Chart            Chart
	CanAccept        bool
	CanRetry         bool
	Accepted         string // what the last accept did, in a sentence
	AcceptedBy       string // who accepted it, when
	NothingToImport  string // why a checked file offers no import
	Message          string // the outcome of an action just taken
	FailuresURL      string
	CSVURL           string
	HTMLURL          string
	AcceptURL        string
	RetryURL         string
}

// IntakeEditCountRow is how often one edit failed.
type IntakeEditCountRow struct {
	EditID   string
	Name     string
	Severity string
	Count    int
	URL      string // the failing records of this edit
}

// IntakeFailuresView is a page of an intake's failing records.
type IntakeFailuresView struct {
	Page
	ID        uint
	ReportURL string
	FileName  string
	Edit      string
	Severity  string
	Total     int64
	Rows      []IntakeFailureRow
	Prev      string // URL of the page before; "" on the first
	Next      string
	From, To  int      // the rows shown, 1-based
	Edits     []Option // the edits to filter by, with their names
}

// IntakeFailureRow is one failing record.
type IntakeFailureRow struct {
	Patient         int
	Tumor           string
	PatientIDNumber string
	Sequence        string
	Edit            string
	EditName        string
	Severity        string
	Item            string
	Message         string
}
