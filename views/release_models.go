package views

// ReleasesView is the Releases page: the data requests, the form of a new one and the release log.
type ReleasesView struct {
	Page
	Requests []ReleaseRequestRow
	Log      []ReleaseLogRow
	MayDraft bool
	Form     ReleaseRequestForm
	Errors   map[string]string
	Notice   string
}

// ReleaseRequestForm is the new request form's entries and choices.
type ReleaseRequestForm struct {
	RequesterName, Organization, Email, Purpose string
	LegalBasis, LegalReference, PrivacyLevel    string
	Items                                       string // naaccrIds, names or numbers, comma or line separated
	Sections                                    []ReleaseSection
	Statuses, Sites                             string
	YearFrom, YearTo                            string
	SiteGroup                                   string
	SiteGroups, LegalBases, Levels              []Option
}

// ReleaseSection is a section of the abstract whose items may be picked at once.
type ReleaseSection struct {
	ID, Title string
	Items     int
	Checked   bool
}

// ReleaseRequestRow is one data request in a list.
type ReleaseRequestRow struct {
	ID, URL, Requester, Organization, Purpose string
	Basis, Level, Status, Expires, Created    string
}

// ReleaseLogRow is one extract run of the release log.
type ReleaseLogRow struct {
	ID, RequestURL, Request, RunBy, When, Format, Level string
	Patients, Tumors                                    int
	SHA256, KeptUntil, DownloadURL                      string
	Purged                                              bool
	Items                                               string
}

// ReleaseRequestView is one request: its facts, the decision, the extract and its log.
type ReleaseRequestView struct {
	Page
	Request        ReleaseRequestRow
	Email          string
	Reference      string
	Items          []string // "Name (#num)", those the level drops marked
	Dropped        []string
	Filters        string
	Approver       string
	Note           string
	MayDecide      bool // an admin, on a draft
	MayRun         bool // approved and not expired, and not a reviewer
	Log            []ReleaseLogRow
	Errors         map[string]string
	Notice         string
	ActionBase     string
	DefaultExpires string // CCYY-MM-DD
}

// AggregateView is a suppressed count table.
type AggregateView struct {
	RowLabel, ColLabel string
	Cols               []string
	Rows               []AggregateRow
	Totals             []string
}

// AggregateRow is one row of an aggregate table, its total last.
type AggregateRow struct {
	Label string
	Cells []string
}

// DisclosuresView is the accounting of disclosures of a patient.
type DisclosuresView struct {
	Rows []DisclosureRow
}

// DisclosureRow is one release that included the patient.
type DisclosureRow struct {
	Date, Requester, Organization, Purpose, Basis, Level, Items string
	Tumors                                                      int
}
