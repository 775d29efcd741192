// Package views holds cara's templ components and the typed view models they take.
package views

// Page is what every full page needs: its title, the signed-in user and the CSRF token that every
// form posts back.
type Page struct {
	Title string
	User  *UserInfo
	CSRF  string
}

// UserInfo is the signed-in user as the header shows them.
type UserInfo struct {
	Username  string
	Name      string
	Role      string // the role's code, which decides the menu
	RoleLabel string // the role as the header shows it
	Facility  string
}

// LoginView is the login page.
type LoginView struct {
	Page
	Username string
	Error    string
	Next     string
}

// WorklistView is the list of cases a user may work on: one page of it, with its filters.
type WorklistView struct {
	Page
	Query      WorklistQuery
	Statuses   []Option
	SiteGroups []Option
	Facilities []Option // offered when the user works for several facilities
	Years      []string
	Assignees  []Option
	Columns    []SortLink
	Rows       []WorklistRow
	Total      int64
	From, To   int64 // the rows shown, counted from 1
	Pages      []PageLink
	Prev, Next string // page URLs; empty at the ends
	NewCaseURL string
	// Returned are the cases reviewers returned, listed above the worklist (see review.templ).
	Returned []ReturnedRow
}

// WorklistQuery is the worklist's filter as the query string carries it.
type WorklistQuery struct {
	Search   string
	Status   string
	Site     string // site group id
	Year     string
	Assigned string // "", "me", "none" or a user id
	Facility string // a facility id, "" for all of the user's
	Errors   bool
	Sort     string
	Dir      string // "asc" or "desc"
}

// SortLink is a column heading that sorts by its column.
type SortLink struct {
	Key    string
	Label  string
	URL    string
	Active bool
	Desc   bool
}

// PageLink is a link to one page of a list; a Gap stands for pages left out.
type PageLink struct {
	Label   string
	URL     string
	Current bool
	Gap     bool
}

// WorklistRow is one case on the worklist.
type WorklistRow struct {
	TumorID     uint
	URL         string
	PatientURL  string
	PatientName string
	MRN         string
	Accession   string
	Sequence    string
	Site        string
	SiteLabel   string
	DxDate      string // as shown: CCYY-MM-DD or the partial form
	Status      string
	StatusLabel string
	Assigned    string
	EditErrors  int
	Updated     string
	// Timeliness is the days from first contact to completion, or so far while open ("" when
	// unknown); Late marks it past the CoC's six months, Done a completed case.
	Timeliness     string
	TimelinessNote string // what the days are, for the title
	Late, Done     bool
}

// CaseView is the case form, one section at a time.
type CaseView struct {
	Page
	// Reports are the electronic reports the case came from (the split view), Unplaced their
	// suggestions for items this form has no field for, DismissURL where a suggestion is set aside.
	Reports        []ReportView
	Unplaced       []UnplacedSuggestion
	DismissURL     string
	TumorID        uint
	Action         string // where the form posts
	PatientName    string
	MRN            string
	Summary        string // site and histology in words
	StatusLabel    string
	Editable       bool
	PatientVersion int64
	TumorVersion   int64
	Sections       []SectionTab
	Section        SectionView
	Saved          bool
	ErrorCount     int
	Conflict       []ConflictItem
	// Edits are the failing edits of the case as shown (saved values, or what was entered).
	Edits EditPanel
	// HasOverrides is set when the section holds override flags; setting one needs a comment.
	HasOverrides    bool
	OverrideComment string
	// The review workflow (views/review.templ): the action bar, the comments panel, and why the
	// form is read-only when it is.
	Workflow     WorkflowView
	Review       ReviewPanel
	ReadOnlyNote string
	// SiteSpecific is the head and the values outside the schema of a schema section (nil on
	// other sections); Schema is the schema line of a section that holds the items selecting it.
	SiteSpecific *SiteSpecificView
	Schema       *SchemaLine
	// SchemaChanged: the schema the form now selects is not the one the section shows, so a
	// re-run of the edits sends the section's fields again (out of band).
	SchemaChanged bool
}

// SchemaLine says which staging schema the case's items select and why, or what is missing.
type SchemaLine struct {
	Reason string
	// URL is the schema section of the case.
	URL, SectionTitle string
}

// SiteSpecificView is the head of a schema section and the values outside its schema.
type SiteSpecificView struct {
	SchemaID   string // the staging schema's id, "" for none
	SchemaName string
	Reason     string
	Notes      string // the schema's notes
	// Needed are the items that decide the schema and are blank; Candidates the schemas they
	// decide between.
	Needed     []NeededView
	Candidates []string
	Outside    []OutsideView
	Kept       []OutsideView
	// Pending: no schema is selected yet, so the values in Outside wait for it and are not judged.
	Pending bool
	// DecideURL is where a clear or keep choice posts.
	DecideURL string
}

// NeededView is a blank item that decides the schema: asked for on this section, or a link to the
// section that holds it.
type NeededView struct {
	ID, Label string
	URL       string // "" when the field is on this section
}

// OutsideView is a value of an item that the case's schema does not take.
type OutsideView struct {
	ID, Label string
	Number    int
	Value     string
	CodeLabel string
}

// EditPanel lists the failing edits of a case.
type EditPanel struct {
	URL      string // where the form posts to re-run the edits without saving
	Errors   int
	Warnings int
	Items    []EditView
	// Notes are warnings that are not edits (the site/histology check), shown below them.
	Notes []EditView
}

// EditView is one failing edit.
type EditView struct {
	ID       string
	Name     string
	Severity string
	Message  string
	Links    []EditLink // the fields the edit names
}

// EditLink points at a field of the form.
type EditLink struct {
	Label string
	URL   string
}

// EditsPageView lists the edit set with how many cases of the user's facilities fail each edit.
type EditsPageView struct {
	Page
	Cases    int
	Status   string   // the statuses counted over: "" (in progress), "all" or one status
	Statuses []Option // the choices of Status
	Rows     []EditRow
}

// EditRow is one edit of the edit set.
type EditRow struct {
	ID, Name, Description, Severity, Level string
	Items                                  []string
	Override                               string
	Failing                                int
}

// SectionTab is one tab of the case form.
type SectionTab struct {
	ID       string
	Title    string
	URL      string
	Active   bool
	Filled   int
	Required int
	// Note is said after the title (the schema of a schema section).
	Note string
}

// SectionView is the section being edited.
type SectionView struct {
	ID     string
	Title  string
	Fields []FieldView
}

// FieldView is one item's field.
type FieldView struct {
	ID string // naaccrId; also the form field name
	// LookupQuery is what the code look-up sends besides the typed words and the form's fields
	// (a query string such as "sex=2": the stored sex of a case whose patient section is not on
	// the page).
	LookupQuery string
	Label       string
	Number      int
	Length      int
	DataType    string
	Level       string // Patient or Tumor
	Widget      string
	Value       string
	CodeLabel   string // label of the current code, for code lists
	Options     []Option
	Required    bool
	Help        string
	Error       string
	ReadOnly    bool
	// Flags are the messages of failing edits that name this field.
	Flags []string
	// Item help (the panel the "?" beside the label opens): the NAACCR name, the codes of a short
	// list (HelpCodes) or the size of a long one that is looked up instead (CodeCount).
	Name      string
	HelpCodes []Option
	CodeCount int
	// FreeText says the field takes any character, so "?" types itself rather than opening help.
	FreeText bool
	// Comments are the review comments on this item not yet closed; CommentURL, when set, is
	// where a reviewer comments on it.
	Comments   []CommentView
	CommentURL string
	// Schema help of a field of a schema section: the caption of HelpCodes when they are the
	// schema's table, the table's notes, and why a blank item is asked for.
	CodesCaption string
	SchemaNotes  string
	Asked        string
	// Electronic reports (issue 18): Suggested is the report's value pre-filled in a blank field,
	// a suggestion until the section is saved; FromReport the report a stored value agrees with;
	// ReportSays the reports' values that differ from the field's (or are no code of it).
	Suggested  *SuggestionView
	FromReport *SuggestionView
	ReportSays []SuggestionView
}

// SuggestionView is a value an electronic report suggests for an item and where it came from.
type SuggestionView struct {
	Value      string
	CodeLabel  string
	Source     string // the segment or resource path
	SourceText string // the text it was read from
	Report     string // the report's title and when it was received
	Invalid    string // why the value cannot go in the field, if it cannot
	Dismiss    string // the button's value ("item=value"), when it may be dismissed
	DismissURL string
}

// Option is one choice of a select.
type Option struct {
	Code  string
	Label string
}

// ConflictItem is an item someone else changed while this user was editing.
type ConflictItem struct {
	ID     string
	Label  string
	Theirs string // the value now stored
	Yours  string // the value this user submitted
}

// ErrorView is an error page.
type ErrorView struct {
	Page
	Status  int
	Heading string
	Message string
}

// ReportView is a report a case came from, as the split view beside the form shows it.
type ReportView struct {
	Key      string
	Title    string
	Received string
	Sections []ReportSectionView
	RawURL   string // the message as received, when it is still kept
}

// ReportSectionView is a part of a report's text.
type ReportSectionView struct {
	Label, Text string
}

// UnplacedSuggestion is a suggestion for an item the form has no field for.
type UnplacedSuggestion struct {
	Item, Label, Value, Source, Report string
}
