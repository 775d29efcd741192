package release

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cara-registry/cara/internal/naaccr"
)

// LegalBasis is the ground on which a registry may release data.
type LegalBasis string

// The legal bases of a data request.
const (
	BasisIRB            LegalBasis = "irb"             // research under an IRB approval (its number in LegalReference)
	BasisDUA            LegalBasis = "dua"             // a data use agreement (its reference in LegalReference)
	BasisPublicHealth   LegalBasis = "public_health"   // a public health authority
	BasisPatientRequest LegalBasis = "patient_request" // the patient's own request
)

// LegalBases lists the legal bases in the order a form shows them.
var LegalBases = []LegalBasis{BasisIRB, BasisDUA, BasisPublicHealth, BasisPatientRequest}

// Label is the basis's name for people.
func (b LegalBasis) Label() string {
	switch b {
	case BasisIRB:
		return "IRB approval"
	case BasisDUA:
		return "Data use agreement"
	case BasisPublicHealth:
		return "Public health authority"
	case BasisPatientRequest:
		return "Patient's own request"
	}
	return string(b)
}

// AllowsIdentified reports whether the basis allows an identified extract: only the patient's own
// request and a public health authority do.
func (b LegalBasis) AllowsIdentified() bool {
	return b == BasisPatientRequest || b == BasisPublicHealth
}

// NeedsReference reports whether the basis needs a reference (the IRB approval number, the
// agreement's) for the request to be approved.
func (b LegalBasis) NeedsReference() bool { return b == BasisIRB || b == BasisDUA }

// The statuses of a data request.
const (
	StatusDraft    = "draft"
	StatusApproved = "approved"
	StatusDenied   = "denied"
	StatusExpired  = "expired"
)

// Filters select the cases of an extract, as the worklist does, plus diagnosis years and primary
// site ranges. The user's facility scope always applies on top.
type Filters struct {
	Statuses []string `json:"statuses,omitempty"`
	YearFrom int      `json:"year_from,omitempty"` // diagnosis year, inclusive; 0 is unbounded
	YearTo   int      `json:"year_to,omitempty"`
	// Sites are ICD-O-3 topography ranges ("C500-C509") or single codes ("C619").
	Sites []string `json:"sites,omitempty"`
	// SiteGroups are ids of schemas/forms/site-groups.csv.
	SiteGroups []string `json:"site_groups,omitempty"`
}

// RequestInput is what a registrar types to draft a request.
type RequestInput struct {
	RequesterName  string
	Organization   string
	Email          string
	Purpose        string
	LegalBasis     string
	LegalReference string
	PrivacyLevel   string
	Items          []string // naaccrIds
	Filters        Filters
}

// FieldErrors are the mistakes of a form, by field, each naming the reason.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	var parts []string
	for _, k := range slices.Sorted(mapKeys(e)) {
		parts = append(parts, k+": "+e[k])
	}
	return "release: " + strings.Join(parts, "; ")
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

var (
	siteCode   = regexp.MustCompile(`^C[0-9]{3}$`)
	statusCode = regexp.MustCompile(`^[a-z_]{1,32}$`)
)

// SiteRange parses "C500-C509" or "C619".
func SiteRange(s string) (from, to string, err error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		to = from
	}
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if !siteCode.MatchString(from) || !siteCode.MatchString(to) || from > to {
		return "", "", fmt.Errorf("site range %q: want an ICD-O-3 topography code such as C619, or a range such as C500-C509", s)
	}
	return from, to, nil
}

// validate checks a request against the dictionary and the site groups known, and returns it
// with its items deduplicated in dictionary order.
func (in RequestInput) validate(dict *naaccr.Dictionary, groups map[string]bool) (RequestInput, error) {
	errs := FieldErrors{}
	in.RequesterName = strings.TrimSpace(in.RequesterName)
	in.Organization = strings.TrimSpace(in.Organization)
	in.Email = strings.TrimSpace(in.Email)
	in.Purpose = strings.TrimSpace(in.Purpose)
	in.LegalReference = strings.TrimSpace(in.LegalReference)
	if in.RequesterName == "" {
		errs["requester_name"] = "the requester's name is required"
	} else if len([]rune(in.RequesterName)) > 255 {
		errs["requester_name"] = "at most 255 characters"
	}
	if len([]rune(in.Organization)) > 255 {
		errs["organization"] = "at most 255 characters"
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 255 {
			errs["email"] = fmt.Sprintf("%q is not an e-mail address", in.Email)
		}
	}
	if in.Purpose == "" {
		errs["purpose"] = "the purpose of the request is required (the minimum necessary is judged against it)"
	}
	basis := LegalBasis(in.LegalBasis)
	if !slices.Contains(LegalBases, basis) {
		errs["legal_basis"] = fmt.Sprintf("%q: choose IRB approval, data use agreement, public health authority or patient's own request", in.LegalBasis)
	} else if basis.NeedsReference() && in.LegalReference == "" {
		errs["legal_reference"] = fmt.Sprintf("%s needs its reference (the approval or agreement number)", basis.Label())
	}
	if len([]rune(in.LegalReference)) > 255 {
		errs["legal_reference"] = "at most 255 characters"
	}
	level, err := ParseLevel(in.PrivacyLevel)
	if err != nil {
		errs["privacy_level"] = err.Error()
	} else if level == Identified && !basis.AllowsIdentified() {
		errs["privacy_level"] = "an identified extract is only for the patient's own request or a public health authority"
	}
	seen := map[string]bool{}
	var bad []string
	for _, id := range in.Items {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		if _, ok := dict.Item(id); !ok {
			bad = append(bad, id)
			continue
		}
		seen[id] = true
	}
	if len(bad) > 0 {
		errs["items"] = "not items of the dictionary: " + strings.Join(bad, ", ")
	} else if len(seen) == 0 {
		errs["items"] = "pick at least one item"
	}
	var items []string
	for _, it := range dict.Items {
		if seen[it.ID] {
			items = append(items, it.ID)
		}
	}
	in.Items = items
	f := in.Filters
	for _, s := range f.Statuses {
		if !statusCode.MatchString(s) {
			errs["statuses"] = fmt.Sprintf("%q is not a case status", s)
		}
	}
	for _, y := range []int{f.YearFrom, f.YearTo} {
		if y != 0 && (y < 1900 || y > 2200) {
			errs["years"] = fmt.Sprintf("year %d: want a diagnosis year such as 2024", y)
		}
	}
	if f.YearFrom != 0 && f.YearTo != 0 && f.YearFrom > f.YearTo {
		errs["years"] = fmt.Sprintf("from %d is after to %d", f.YearFrom, f.YearTo)
	}
	for _, s := range f.Sites {
		if _, _, err := SiteRange(s); err != nil {
			errs["sites"] = err.Error()
		}
	}
	for _, g := range f.SiteGroups {
		if !groups[g] {
			errs["site_groups"] = fmt.Sprintf("%q is not a site group", g)
		}
	}
	if len(errs) > 0 {
		return in, errs
	}
	return in, nil
}

// ParseYear reads a year field of a form ("" is 0, unbounded).
func ParseYear(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("year %q: not a number", s)
	}
	return n, nil
}

func encodeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only slices and structs of strings and ints: cannot fail
	}
	return string(b)
}
