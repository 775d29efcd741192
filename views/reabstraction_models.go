package views

// ReabstractionListView lists the re-abstraction samples in the user's scope and offers the
// form that draws a new one.
type ReabstractionListView struct {
	Page
	Samples []SampleRow
	Form    SampleForm
	Error   string // why the last draw was refused
}

// SampleRow is one sample in the list.
type SampleRow struct {
	URL         string
	Facility    string
	Created     string
	CreatedBy   string
	Description string
	Cases       int
	Completed   int
	Compared    int
	Rate        string // agreement, "87.5%", or "–" before any comparison
}

// SampleForm is the draw form, with what was entered when a draw is refused.
type SampleForm struct {
	Facilities  []Option
	Facility    string
	Mode        string // "percent" or "count"
	Amount      string
	Registrars  []Option
	Registrar   string
	SiteGroups  []Option
	Site        string
	Items       []ItemChoice
	Description string
}

// ItemChoice is one item that can be re-abstracted, as a checkbox.
type ItemChoice struct {
	ID      string
	Label   string
	Number  int
	Checked bool
}

// SampleView is one sample: its cases, discrepancies and agreement rates.
type SampleView struct {
	Page
	Title                     string
	Facility                  string
	Created                   string
	CreatedBy                 string
	Description               string
	Items                     []string // labels of the re-abstracted items
	Cases                     []SampleCaseRow
	Completed                 int
	Discrepancies             []DiscrepancyRow
	Overall                   AgreementRow
	ByRegistrar               []AgreementRow
	ByItem                    []AgreementRow
	RegistrarChart, ItemChart Chart
}

// SampleCaseRow is one case of a sample.
type SampleCaseRow struct {
	URL        string
	Patient    string
	MRN        string
	Abstractor string
	Reviewer   string
	Completed  bool
	Disagree   int
}

// AgreementRow is the agreement of one registrar or item.
type AgreementRow struct {
	Label    string
	Compared int
	Agreeing int
	Rate     string
}

// DiscrepancyRow is one item on which the reviewer and the abstractor differ.
type DiscrepancyRow struct {
	CaseURL  string
	Patient  string
	Item     string
	Original string
	Reviewed string
	Reason   string // label; "" until given
}

// BlindCaseView is one case of a sample: the blind form until it is done, then the comparison
// with a reason for each discrepancy.
type BlindCaseView struct {
	Page
	SampleURL string
	Action    string // where the blind form posts
	Patient   string
	MRN       string // empty when it is among the items re-abstracted
	// Identity tells the tumor from the patient's others (accession and sequence number, date of
	// first contact; each Label reads "Accession Number 202400007"), none of it re-abstracted.
	Identity  []Option
	Fields    []FieldView // the blind form: empty values, never the originals
	Completed bool
	Compare   []CompareRow
	Reasons   []Option
	// ReasonsAction is where the reasons form posts; CaseURL links the source record once done.
	ReasonsAction string
	CaseURL       string
	Saved         bool
	Error         string
}

// CompareRow is one item compared.
type CompareRow struct {
	ID       string
	Label    string
	Original string
	Reviewed string
	Agree    bool
	Reason   string // code
}
