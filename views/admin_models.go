package views

import "strings"

// View models of the administration pages (users, facilities), the account page, the audit log
// viewer and a case's history.

// AdminUsersView lists the users.
type AdminUsersView struct {
	Page
	Rows []AdminUserRow
}

// AdminUserRow is one user of the list.
type AdminUserRow struct {
	URL        string
	Username   string
	Name       string
	Role       string
	Facilities []string // home facility first
	Disabled   bool
	MustChange bool
}

// AdminUserFormView adds (New) or edits a user.
type AdminUserFormView struct {
	Page
	Action      string // where the form posts
	New         bool
	Username    string
	DisplayName string
	Role        string
	Roles       []Option
	Facilities  []FacilityChoice
	Password    string // new only: the initial password typed (kept when the form comes back)
	// Errors are the problems of the entries by field name (username, role, facilities, home, ...).
	Errors map[string]string
	Notice string // what was just done, e.g. "Saved."
	// ShownPassword is a password cara made (a new user's or a reset's), shown this once.
	ShownPassword string
	Disabled      bool
	MustChange    bool
	Self          bool // the administrator is looking at themself (no disable button)
	DisableURL    string
	EnableURL     string
	ResetURL      string
	// Throttles are the account's failed sign-ins still counted (over every address, and from
	// each); ClearThrottleURL forgets them.
	Throttles        []ThrottleRow
	ClearThrottleURL string
}

// ThrottleRow is one throttle key of an account: an address (or "every address"), its failed
// sign-ins, the last one, and the wait it imposes now ("" for none).
type ThrottleRow struct {
	Address     string
	Failures    int
	LastFailure string
	Waiting     string
}

// FacilityChoice is one facility of a user form: a checkbox and a home radio button.
type FacilityChoice struct {
	ID      string
	Label   string
	Checked bool
	Home    bool
}

// AdminFacilitiesView lists the facilities.
type AdminFacilitiesView struct {
	Page
	Rows []AdminFacilityRow
}

// AdminFacilityRow is one facility of the list.
type AdminFacilityRow struct {
	URL, Code, Name, NPI, IDNumber string
}

// AdminFacilityFormView adds (New) or edits a facility.
type AdminFacilityFormView struct {
	Page
	Action   string
	New      bool
	Code     string
	Name     string
	NPI      string
	IDNumber string
	Errors   map[string]string
	Notice   string
}

// AccountPasswordView is the form where a user changes their own password.
type AccountPasswordView struct {
	Page
	Forced bool // an administrator reset the password: it must be changed before anything else
	Done   bool
	Errors map[string]string
}

// AuditLogView is one page of the audit trail with its filters.
type AuditLogView struct {
	Page
	Query     AuditQuery
	Actions   []Option // every action, read as words (audit.Label)
	Rows      []AuditRowView
	Error     string // a filter that could not be read
	NewestURL string // the first page, when this is not it
	OlderURL  string // the next page, when there is one
	CSVURL    string
}

// AuditQuery is the audit log's filter as the query string carries it.
type AuditQuery struct {
	User   string
	Case   string
	Action string
	From   string // CCYY-MM-DD
	To     string // CCYY-MM-DD, inclusive
}

// AuditRowView is one event of the audit log.
type AuditRowView struct {
	ID          string
	At          string
	User        string
	Action      string // the stored id, which the CSV and the filter's query carry
	ActionLabel string // in words
	Entity      string
	EntityID    string
	EntityURL   string // the case, the user or the facility, when it has a page
	RemoteAddr  string
	Details     DetailsView
}

// DetailsView is an event's details made readable: item or field changes (old → new), a
// comment, other fields, or the raw text when it is not a JSON object.
type DetailsView struct {
	Changes []DetailChange
	Comment string
	Fields  []DetailField
	Raw     string
}

// DetailChange is one changed item or field.
type DetailChange struct {
	Name string
	Old  string
	New  string
}

// DetailField is one other key of the details.
type DetailField struct {
	Key   string
	Value string
}

// CaseHistoryView is a case's history: its changes, workflow steps and views.
type CaseHistoryView struct {
	Page
	Head      CaseHeadView
	Entries   []HistoryEntry
	Statuses  []HistoryStatus
	Views     []HistoryViews
	ViewCount int64
	Truncated bool // more events than shown; the audit log has them all
	AuditURL  string
}

// HistoryEntry is one audited change of a case.
type HistoryEntry struct {
	At      string
	User    string
	Action  string // in words
	Details DetailsView
}

// HistoryStatus is one workflow step of a case.
type HistoryStatus struct {
	At       string
	User     string
	Action   string
	From     string
	To       string
	Reason   string
	Errors   int
	Warnings int
}

// HistoryViews is how often one user opened the case.
type HistoryViews struct {
	User  string
	Count int64
	Last  string
}

// HistoryURL is the history tab of a case, next to its "All items" view.
func HistoryURL(itemsURL string) string {
	return strings.TrimSuffix(itemsURL, "/items") + "/history"
}

// blankAs shows an empty value as a visible "(blank)".
func blankAs(s string) string {
	if s == "" {
		return "(blank)"
	}
	return s
}

// AdminSendersView lists the senders allowed to send reports (HL7 over MLLP, FHIR bundles)
// and adds one. Token is a sender's token just made: shown this once.
type AdminSendersView struct {
	Page
	Rows       []AdminSenderRow
	Facilities []Option // code: the facility's id
	Facility   string
	Name       string
	Errors     map[string]string
	Notice     string
	Token      string
	TokenFor   string
}

// AdminSenderRow is one sender of the list.
type AdminSenderRow struct {
	ID        string
	Name      string
	Facility  string
	Added     string
	Revoked   string // the date, or "" while active
	RevokeURL string
}

// AdminSenderRevokeView asks to confirm the revocation of a sender.
type AdminSenderRevokeView struct {
	Page
	ID, Name, Facility, URL string
}
