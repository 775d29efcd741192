package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// casefindingBodyLimit is the upload limit of a casefinding file (50,000 rows are about 5 MB),
// in place of the 2 MB of other forms.
const casefindingBodyLimit = "64M"

func casefindingBodyLimited(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/casefinding/import"
}

// suspensePageSize is how many records the page shows, the longest waiting first.
const suspensePageSize = 200

// casefindingErrorsShown is how many refused rows of an import the page lists.
const casefindingErrorsShown = 50

// casefindingHandler serves a facility's suspense list: the list and its filters, the upload of
// casefinding files and the decisions. It parses, calls the casefinding service and renders.
type casefindingHandler struct {
	store   casefindingStore
	service *casefinding.Service
	codes   *codes.Tables // the patient picker names the sites of a patient's tumors
	now     func() time.Time
}

// casefindingStore is what the suspense page reads itself: the facilities to choose from and
// the names of who decided.
type casefindingStore interface {
	Facilities(ctx context.Context) ([]store.Facility, error)
	Usernames(ctx context.Context, ids []uint) (map[uint]string, error)
}

func suspenseCaseURL(id uint) string { return "/cases/" + idString(id) }

func casefindingActor(c echo.Context) casefinding.Actor {
	su := currentUser(c)
	return casefinding.Actor{UserID: &su.User.ID, Role: auth.Role(su.User.Role), Scope: scopeOf(su), RemoteAddr: c.RealIP()}
}

// facility is the facility whose list is asked for: the "facility" value when the user may see
// it, else the user's home facility, else the first they may see.
func (h *casefindingHandler) facility(c echo.Context) (facilityChoice, error) {
	su := currentUser(c)
	offered, err := facilitiesOf(c, h.store)
	if err != nil {
		return facilityChoice{}, err
	}
	if len(offered) == 0 {
		return facilityChoice{}, echo.NewHTTPError(http.StatusForbidden, "Your account belongs to no facility, so it has no suspense list. Ask an administrator.")
	}
	fc := facilityChoice{offered: offered, id: offered[0].ID, name: offered[0].Name}
	if su.Facility != nil && scopeOf(su).Contains(su.Facility.ID) {
		fc.id, fc.name = su.Facility.ID, su.Facility.Name
	}
	if want := c.FormValue("facility"); want != "" {
		id, err := strconv.ParseUint(want, 10, 32)
		found := false
		for _, f := range offered {
			if err == nil && uint64(f.ID) == id {
				fc.id, fc.name, found = f.ID, f.Name, true
			}
		}
		if !found {
			return facilityChoice{}, echo.NewHTTPError(http.StatusNotFound, "There is no such facility among yours.")
		}
	}
	return fc, nil
}

// filterOf reads the list's filters; the status filter defaults to waiting.
func filterOf(c echo.Context, facilityID uint, sourceField string) casefinding.Filter {
	f := casefinding.Filter{FacilityID: facilityID, Screening: c.FormValue("screening"), MatchKind: c.FormValue("match"),
		Source: c.FormValue(sourceField), Limit: suspensePageSize}
	switch st := c.FormValue("status"); st {
	case "":
		f.Statuses = []string{store.SuspenseWaiting}
	case "all":
	default:
		f.Statuses = []string{st}
	}
	return f
}

// list shows the suspense list of a facility.
func (h *casefindingHandler) list(c echo.Context) error {
	fc, err := h.facility(c)
	if err != nil {
		return err
	}
	v, err := h.view(c, fc, filterOf(c, fc.id, "source"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Casefinding(v))
}

// view builds the page of a facility's list as filtered (and audits the view: it names patients).
func (h *casefindingHandler) view(c echo.Context, fc facilityChoice, f casefinding.Filter) (views.CasefindingView, error) {
	lists := h.service.Lists()
	su := currentUser(c)
	v := views.CasefindingView{
		Page: pageOf(c, "Suspense list"), FacilityID: idString(fc.id), FacilityName: fc.name, CanDecide: canStart(su),
		Screening: f.Screening, Match: f.MatchKind, Source: f.Source, Status: "all",
	}
	if len(f.Statuses) == 1 {
		v.Status = f.Statuses[0]
	}
	if len(fc.offered) > 1 {
		for _, o := range fc.offered {
			v.Facilities = append(v.Facilities, views.Option{Code: idString(o.ID), Label: o.Name})
		}
	}
	for _, s := range []string{store.SuspenseWaiting, store.SuspenseSetAside, store.SuspenseAbstractStarted, store.SuspenseAddedToPatient,
		store.SuspenseNotReportable, store.SuspenseDuplicate} {
		v.Statuses = append(v.Statuses, views.Option{Code: s, Label: casefinding.StatusLabel(s)})
	}
	v.Statuses = append(v.Statuses, views.Option{Code: "all", Label: "Every status"})
	for _, d := range []casefinding.Decision{casefinding.Reportable, casefinding.Review, casefinding.NotReportable} {
		v.Screenings = append(v.Screenings, views.Option{Code: string(d), Label: screeningLabel(string(d))})
	}
	for _, m := range []string{casefinding.MatchNewPatient, casefinding.MatchKnownPatient, casefinding.MatchAlreadyAbstracted} {
		v.Matches = append(v.Matches, views.Option{Code: m, Label: casefinding.MatchLabel(m)})
	}
	for _, s := range lists.Sources {
		v.Sources = append(v.Sources, views.Option{Code: s.Key, Label: s.Label})
	}
	for _, r := range lists.Reasons {
		v.Reasons = append(v.Reasons, views.Option{Code: r.Key, Label: r.Label})
	}
	recs, total, err := h.service.List(c.Request().Context(), casefindingActor(c), f)
	if err != nil {
		return v, err
	}
	tl, err := h.service.Timeliness(c.Request().Context(), casefindingActor(c), fc.id, h.now())
	if err != nil {
		return v, err
	}
	v.Timeliness = &views.CasefindingTimeliness{Months: casefinding.TimelinessMonths, Started: tl.Started, Completed: tl.Completed,
		InTime: tl.InTime, Open: tl.Open, Overdue: tl.Overdue, Median: "–"}
	if tl.MedianDays >= 0 {
		v.Timeliness.Median = strconv.Itoa(tl.MedianDays)
	}
	v.Total, v.Shown = total, len(recs)
	var userIDs []uint
	for _, r := range recs {
		if r.DecidedBy != nil {
			userIDs = append(userIDs, *r.DecidedBy)
		}
	}
	names := map[uint]string{}
	if len(userIDs) > 0 {
		if names, err = h.store.Usernames(c.Request().Context(), userIDs); err != nil {
			return v, err
		}
	}
	now := h.now()
	for i := range recs {
		v.Rows = append(v.Rows, h.row(&recs[i], names, now))
	}
	return v, nil
}

func (h *casefindingHandler) row(r *store.SuspenseRecord, names map[uint]string, now time.Time) views.SuspenseRow {
	name := r.NameLast
	if r.NameFirst != "" {
		name += ", " + r.NameFirst
	}
	row := views.SuspenseRow{
		ID: idString(r.ID), Ref: idString(r.ID) + ":" + strconv.FormatInt(r.Version, 10), MRN: r.MRN, Name: name,
		DateOfBirth: r.DateOfBirth, Sex: sexLabel(r.Sex), FirstContact: r.FirstContact, DaysWaiting: casefinding.Days(r, now),
		Source: h.service.Lists().Source(r.Source).Label, Codes: strings.ReplaceAll(r.Codes, ";", "; "),
		Screening: r.Screening, ScreeningLabel: screeningLabel(r.Screening), Rule: ruleText(r),
		Match: r.MatchKind, MatchLabel: casefinding.MatchLabel(r.MatchKind), Score: r.MatchScore, Reasons: casefinding.Reasons(r),
		Status: r.Status, StatusLabel: casefinding.StatusLabel(r.Status),
		Open: r.Status == store.SuspenseWaiting || r.Status == store.SuspenseSetAside,
	}
	row.Text, row.FullText = shortText(r.Text, suspenseTextShown)
	if r.MatchPatient != nil {
		row.MatchPatient = patientPath(*r.MatchPatient)
	}
	if r.MatchTumor != nil {
		row.MatchCaseURL = suspenseCaseURL(*r.MatchTumor)
	}
	if r.TumorID != nil {
		row.CaseURL = suspenseCaseURL(*r.TumorID)
	}
	if r.DecidedAt != nil {
		who := "cara"
		if r.DecidedBy != nil {
			who = names[*r.DecidedBy]
		}
		row.Decided = "by " + who + ", " + r.DecidedAt.Format(time.DateOnly)
		if reason, ok := h.service.Lists().Reason(r.Reason); ok {
			row.Decided += ": " + reason.Label
		}
		if r.DecisionNote != "" {
			row.Decided += " (" + r.DecisionNote + ")"
		}
		if r.DuplicateOf != nil {
			row.Decided += "; duplicate of #" + idString(*r.DuplicateOf)
		}
	}
	return row
}

// suspenseTextShown is how much of a record's text the list shows, suspenseTitleShown how much
// its title holds (a page of 200 records stays small); the case holds it all once started.
const (
	suspenseTextShown  = 160
	suspenseTitleShown = 1000
)

// shortText is a text cut to n characters (at a space where one is near) with an ellipsis, and
// up to suspenseTitleShown characters of it when it was cut.
func shortText(s string, n int) (short, full string) {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s, ""
	}
	return cutText(s, n), cutText(s, suspenseTitleShown)
}

// cutText cuts a text to n characters, at a space where one is near, with an ellipsis.
func cutText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

func ruleText(r *store.SuspenseRecord) string {
	if r.RuleCode == "" {
		return r.RuleLabel
	}
	return r.RuleCode + " by " + r.RulePattern + ": " + r.RuleLabel
}

func screeningLabel(d string) string {
	switch casefinding.Decision(d) {
	case casefinding.Reportable:
		return "Reportable"
	case casefinding.NotReportable:
		return "Not reportable"
	case casefinding.Review:
		return "Review"
	}
	return d
}

func sexLabel(code string) string {
	switch code {
	case "1":
		return "M"
	case "2":
		return "F"
	case "9":
		return "U"
	}
	return ""
}

// upload imports a casefinding file into the facility's list and shows the list with the
// import's summary.
func (h *casefindingHandler) upload(c echo.Context) error {
	if !canStart(currentUser(c)) {
		return echo.NewHTTPError(http.StatusForbidden, "Only registrars import casefinding lists.")
	}
	fc, err := h.facility(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return h.renderWith(c, fc, http.StatusUnprocessableEntity, func(v *views.CasefindingView) {
			v.Error = "Choose a casefinding file (CSV) to import."
		})
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("web: casefinding upload: %w", err)
	}
	defer f.Close()
	sum, err := h.service.Import(c.Request().Context(), casefindingActor(c), fc.id, f, fh.Filename, c.FormValue("source"))
	if err != nil {
		if errors.Is(err, casefinding.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound, "There is no such facility among yours.")
		}
		if errors.Is(err, casefinding.ErrForbidden) {
			return echo.NewHTTPError(http.StatusForbidden, err.Error())
		}
		// The file as a whole cannot be read (no header, a column missing): say why.
		return h.renderWith(c, fc, http.StatusUnprocessableEntity, func(v *views.CasefindingView) {
			v.Error = fh.Filename + ": " + strings.TrimPrefix(err.Error(), "casefinding: ")
		})
	}
	return h.renderWith(c, fc, http.StatusOK, func(v *views.CasefindingView) {
		s := &views.CasefindingImport{FileName: fh.Filename, Read: sum.Read, Added: sum.Added, Already: sum.Already, SetAside: sum.SetAside,
			Ignored: strings.Join(sum.Ignored, ", ")}
		for i, e := range sum.Errors {
			if i == casefindingErrorsShown {
				s.MoreErrors = len(sum.Errors) - i
				break
			}
			s.Errors = append(s.Errors, e.Error())
		}
		v.Import = s
	})
}

func (h *casefindingHandler) renderWith(c echo.Context, fc facilityChoice, status int, fill func(*views.CasefindingView)) error {
	v, err := h.view(c, fc, filterOf(c, fc.id, "source_filter"))
	if err != nil {
		return err
	}
	fill(&v)
	if hx.Is(c.Request().Header.Get(string(hx.Request))) {
		return render(c, status, views.SuspenseList(v))
	}
	return render(c, status, views.Casefinding(v))
}

// decide takes a decision on the records chosen, or on the one whose button was pressed
// (do = "ACTION ID:VERSION"). One abstract started from a plain form opens its case.
func (h *casefindingHandler) decide(c echo.Context) error {
	if !canStart(currentUser(c)) {
		return echo.NewHTTPError(http.StatusForbidden, "Only registrars decide on possible cases.")
	}
	fc, err := h.facility(c)
	if err != nil {
		return err
	}
	action, one, _ := strings.Cut(strings.TrimSpace(c.FormValue("do")), " ")
	refs := []string{one}
	if one == "" {
		form, _ := c.FormParams()
		refs = form["ref"]
	}
	ch := casefinding.Choice{Action: action, Reason: c.FormValue("reason"), Note: c.FormValue("note")}
	problem := ""
	// The patient picker names the patient to add to; without one, each record's matched patient.
	if s := strings.TrimSpace(c.FormValue("patient")); s != "" && action == casefinding.DecideAddToPatient {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			problem = fmt.Sprintf("Patient: %q is not a patient number.", s)
		}
		ch.PatientID = uint(n)
	}
	for _, r := range refs {
		id, ver, ok := strings.Cut(r, ":")
		n, err1 := strconv.ParseUint(id, 10, 32)
		v, err2 := strconv.ParseInt(ver, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			problem = "A possible case chosen is not one of the list: reload it."
			break
		}
		ch.Refs = append(ch.Refs, casefinding.Ref{ID: uint(n), Version: v})
	}
	for field, dst := range map[string]*uint{"duplicate_of": &ch.DuplicateOf, "duplicate_of_case": &ch.DuplicateOfTumor} {
		if s := strings.TrimSpace(strings.TrimPrefix(c.FormValue(field), "#")); s != "" && action == casefinding.DecideDuplicate {
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				problem = fmt.Sprintf("Duplicate of: %q is not a number.", s)
				break
			}
			*dst = uint(n)
		}
	}
	var out *casefinding.Outcome
	if problem == "" {
		out, err = h.service.Decide(c.Request().Context(), casefindingActor(c), ch)
		var p *casefinding.Problem
		switch {
		case errors.As(err, &p):
			problem = p.Message
		case errors.Is(err, casefinding.ErrForbidden):
			return echo.NewHTTPError(http.StatusForbidden, err.Error())
		case err != nil:
			return err
		}
	}
	isHX := hx.Is(c.Request().Header.Get(string(hx.Request)))
	if out != nil && !isHX && len(ch.Refs) == 1 && len(out.Tumors) == 1 {
		for _, t := range out.Tumors {
			return c.Redirect(http.StatusSeeOther, suspenseCaseURL(t))
		}
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	}
	return h.renderWith(c, fc, status, func(v *views.CasefindingView) {
		o := &views.CasefindingOutcome{Problem: problem}
		if out != nil {
			o.Message = plural.Count(len(out.Decided), "possible case") + " decided."
			for _, r := range ch.Refs {
				if t, ok := out.Tumors[r.ID]; ok {
					o.Cases = append(o.Cases, views.Link{URL: suspenseCaseURL(t), Label: "Case " + idString(t) + " started from #" + idString(r.ID)})
				}
				if why, ok := out.Refused[r.ID]; ok {
					o.Refused = append(o.Refused, "#"+idString(r.ID)+": "+why)
				}
			}
		}
		v.Outcome = o
	})
}
