package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/schemas"
	"github.com/cara-registry/cara/views"
)

// submissionStore is what the submissions pages need of the store.
type submissionStore interface {
	submission.BatchStore // the batches' writer's
	Facilities(ctx context.Context) ([]store.Facility, error)
	CountPending(ctx context.Context, f store.PendingFilter) (regular, correction int64, err error)
	Submissions(ctx context.Context, sc store.Scope, facilityID uint, limit int) ([]store.SubmissionSummary, error)
	SubmissionByID(ctx context.Context, id uint, sc store.Scope) (*store.SubmissionSummary, error)
	SubmissionCases(ctx context.Context, id uint, sc store.Scope, limit int) ([]store.SubmissionCase, error)
}

// submissionHandler creates submission batches for the state registry and serves their files.
type submissionHandler struct {
	store   Store
	batcher *submission.Batcher
	dir     string
	log     *slog.Logger
	err     error // why batches cannot be made (formats not loaded), shown instead of the pages
}

func newSubmissionHandler(s Store, set *edits.Set, dir string, now func() time.Time, log *slog.Logger) *submissionHandler {
	h := &submissionHandler{store: s, dir: dir, log: log}
	formats, err := submission.LoadFormats(schemas.FS)
	if err != nil {
		log.Error("submissions are unavailable", "err", err)
		h.err = err
	}
	h.batcher = &submission.Batcher{Store: s, Edits: set, Formats: formats, Dir: dir, Now: now}
	return h
}

// historyLimit is how many batches the page lists.
const historyLimit = 200

// mayUseSubmissions: registrars, reviewers and administrators, each within their facilities.
func mayUseSubmissions(su *store.SessionUser) bool {
	switch auth.Role(su.User.Role) {
	case auth.RoleRegistrar, auth.RoleReviewer, auth.RoleAdmin:
		return true
	}
	return false
}

func (h *submissionHandler) ready(c echo.Context) error {
	if !mayUseSubmissions(currentUser(c)) {
		return echo.NewHTTPError(http.StatusForbidden, "Your role cannot make or download submission batches.")
	}
	if h.err != nil {
		return fmt.Errorf("web: submissions: %w", h.err)
	}
	return nil
}

// offered lists the facilities the user may make batches for.
func (h *submissionHandler) offered(c echo.Context) ([]store.Facility, error) {
	return facilitiesOf(c, h.store)
}

// index shows the create form (for the facility in ?facility=, else the user's home facility)
// and the history.
func (h *submissionHandler) index(c echo.Context) error {
	if err := h.ready(c); err != nil {
		return err
	}
	form := views.SubmissionForm{FacilityID: c.QueryParam("facility"), Range: "all", Version: submission.BatchVersions[0], RecordType: "A"}
	v, err := h.page(c, form)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Submissions(v))
}

// page builds the submissions page for a form.
func (h *submissionHandler) page(c echo.Context, form views.SubmissionForm) (views.SubmissionsView, error) {
	ctx := c.Request().Context()
	su := currentUser(c)
	v := views.SubmissionsView{Page: pageOf(c, "Submissions"), Form: form, Versions: submission.BatchVersions,
		RecordTypes: []views.Option{{Code: "A", Label: "A: full case abstract"}, {Code: "I", Label: "I: incidence"},
			{Code: "C", Label: "C: confidential"}, {Code: "M", Label: "M: modified"}}}
	facs, err := h.offered(c)
	if err != nil {
		return v, err
	}
	chosen := facilityIn(facs, form.FacilityID)
	if chosen == nil && su.Facility != nil {
		chosen = facilityIn(facs, strconv.FormatUint(uint64(su.Facility.ID), 10))
	}
	if chosen == nil && len(facs) > 0 {
		chosen = &facs[0]
	}
	for _, f := range facs {
		v.Facilities = append(v.Facilities, views.Option{Code: strconv.FormatUint(uint64(f.ID), 10), Label: f.Name + " (" + f.Code + ")"})
	}
	sc := scopeOf(su)
	if chosen != nil {
		v.Form.FacilityID = strconv.FormatUint(uint64(chosen.ID), 10)
		if v.Pending, v.Corrections, err = h.store.CountPending(ctx, store.PendingFilter{FacilityID: chosen.ID, Scope: sc}); err != nil {
			return v, err
		}
	}
	rows, err := h.store.Submissions(ctx, sc, 0, historyLimit)
	if err != nil {
		return v, err
	}
	for _, r := range rows {
		v.History = append(v.History, submissionRow(r))
	}
	return v, nil
}

func facilityIn(fs []store.Facility, id string) *store.Facility {
	for i := range fs {
		if strconv.FormatUint(uint64(fs[i].ID), 10) == id {
			return &fs[i]
		}
	}
	return nil
}

func submissionRow(r store.SubmissionSummary) views.SubmissionRow {
	by := r.CreatedByName
	if by == "" {
		by = "command line"
	}
	id := strconv.FormatUint(uint64(r.ID), 10)
	return views.SubmissionRow{
		ID: r.ID, URL: "/submissions/" + id, DownloadURL: "/submissions/" + id + "/download", FileName: r.FileName,
		Facility: r.FacilityName + " (" + r.FacilityCode + ")", Kind: r.Kind, CreatedBy: by,
		CreatedAt: r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), Version: r.NaaccrVersion, RecordType: r.RecordType,
		Patients: r.PatientCount, Tumors: r.TumorCount, Items: r.ItemCount, Held: r.HeldCount, Warnings: r.WarningCount,
		SHA256: r.SHA256, Size: byteSize(r.SizeBytes),
	}
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// batchForm reads the create form into the batch's options; a refusal (a missing choice) is
// rendered and returned as done.
func (h *submissionHandler) batchForm(c echo.Context) (form views.SubmissionForm, fac *store.Facility, opt submission.BatchOptions, done error) {
	su := currentUser(c)
	form = views.SubmissionForm{
		FacilityID: c.FormValue("facility"), Range: c.FormValue("range"),
		From: strings.TrimSpace(c.FormValue("from")), To: strings.TrimSpace(c.FormValue("to")),
		Version: c.FormValue("version"), RecordType: c.FormValue("record_type"),
		Gzip: c.FormValue("gzip") != "", Correction: c.FormValue("correction") != "",
	}
	facs, err := h.offered(c)
	if err != nil {
		return form, nil, opt, err
	}
	if strings.TrimSpace(form.FacilityID) == "" {
		return form, nil, opt, h.refuse(c, form, http.StatusUnprocessableEntity, "Choose the facility whose cases to submit.", nil)
	}
	fac = facilityIn(facs, form.FacilityID)
	if fac == nil {
		return form, nil, opt, echo.NewHTTPError(http.StatusNotFound, "No such facility among yours.")
	}
	opt = submission.BatchOptions{
		FacilityID: fac.ID, Scope: scopeOf(su), Version: form.Version, RecordType: form.RecordType,
		Gzip: form.Gzip, Correction: form.Correction, UserID: &su.User.ID, RemoteAddr: c.RealIP(),
	}
	if form.Range == "range" {
		opt.From, opt.To = form.From, form.To
		if opt.From == "" && opt.To == "" {
			return form, nil, opt, h.refuse(c, form, http.StatusUnprocessableEntity, "Give the first or the last date of diagnosis of the range (CCYYMMDD), or choose all pending cases.", nil)
		}
	}
	return form, fac, opt, nil
}

// preview runs the pre-flight without writing anything and shows what the batch would send and
// hold back, with a confirmation that creates exactly that batch. When nothing could be sent,
// the page says why and lists the cases held back, as a refused batch did.
func (h *submissionHandler) preview(c echo.Context) error {
	if err := h.ready(c); err != nil {
		return err
	}
	form, fac, opt, done := h.batchForm(c)
	if fac == nil {
		return done
	}
	return h.showPreview(c, form, fac, opt, http.StatusOK, "")
}

// showPreview runs the preview of opt and renders it; msg (with status) says why a
// confirmation made no batch.
func (h *submissionHandler) showPreview(c echo.Context, form views.SubmissionForm, fac *store.Facility, opt submission.BatchOptions, status int, msg string) error {
	res, err := h.batcher.Preview(c.Request().Context(), opt)
	switch {
	case err != nil && isOptionError(err):
		return h.refuse(c, form, http.StatusUnprocessableEntity, "No batch can be created: "+strings.TrimPrefix(err.Error(), "submission: ")+".", nil)
	case err != nil:
		return err
	}
	if res.Tumors == 0 {
		reason := fmt.Sprintf("No batch can be created: %s has no approved case to send in this selection.", fac.Name)
		if res.HeldCount > 0 {
			reason = fmt.Sprintf("No batch can be created: all %s of %s fail error-severity edits and are held back. Correct them and try again.", plural.CountOf(res.HeldCount, "pending case", "pending cases"), fac.Name)
		}
		if msg != "" {
			reason = msg + " " + reason
		}
		return h.refuse(c, form, http.StatusUnprocessableEntity, reason, caseRows(res.Held))
	}
	v, err := h.page(c, form)
	if err != nil {
		return err
	}
	v.Error = msg
	v.Preview = &views.SubmissionPreview{Facility: fac.Name + " (" + fac.Code + ")", Patients: res.Patients, Tumors: res.Tumors,
		HeldCount: res.HeldCount, WarnedCount: res.WarnedCount, Held: caseRows(res.Held), Cases: res.Cases}
	return render(c, status, views.Submissions(v))
}

// create writes the batch the user confirmed after its preview, synchronously (a hospital's
// batch takes seconds), then shows it. Without a preview's cases it shows the preview instead:
// no file is written unconfirmed. When the cases changed since the preview, nothing is written
// and the page shows the new preview to confirm again.
func (h *submissionHandler) create(c echo.Context) error {
	if err := h.ready(c); err != nil {
		return err
	}
	form, fac, opt, done := h.batchForm(c)
	if fac == nil {
		return done
	}
	opt.Expect = c.FormValue("cases")
	if opt.Expect == "" {
		return h.showPreview(c, form, fac, opt, http.StatusOK, "")
	}
	res, err := h.batcher.Create(c.Request().Context(), opt)
	switch {
	case errors.Is(err, submission.ErrPreviewChanged):
		previewed, _, _ := strings.Cut(opt.Expect, "-")
		now := "?"
		if res != nil {
			now, _, _ = strings.Cut(res.Cases, "-")
		}
		msg := fmt.Sprintf("No batch was created: the pending cases of %s changed since the preview (%s then, %s now, or one of them was changed). Check the new preview below and confirm again.", fac.Name, casesWord(previewed), casesWord(now))
		return h.showPreview(c, form, fac, opt, http.StatusConflict, msg)
	case errors.Is(err, submission.ErrNothingToSubmit):
		msg := fmt.Sprintf("No batch was created: %s has no approved case to send in this selection.", fac.Name)
		if res != nil && res.HeldCount > 0 {
			msg = fmt.Sprintf("No batch was created: every pending case of %s (%s) fails error-severity edits and is held back. Correct them and try again.", fac.Name, plural.Count(res.HeldCount, "case"))
		}
		var held []views.SubmissionCaseRow
		if res != nil {
			held = caseRows(res.Held)
		}
		return h.refuse(c, form, http.StatusUnprocessableEntity, msg, held)
	case errors.Is(err, store.ErrConflict):
		return h.refuse(c, form, http.StatusConflict, "No batch was created: "+strings.TrimPrefix(err.Error(), "submission: store: ")+".", nil)
	case err != nil && isOptionError(err):
		return h.refuse(c, form, http.StatusUnprocessableEntity, "No batch was created: "+strings.TrimPrefix(err.Error(), "submission: ")+".", nil)
	case err != nil:
		return err
	}
	if res.AuditPending != nil {
		// The batch stands; its event is written at the next batch or hourly.
		h.log.Warn("batch recorded without its audit event yet", "submission", res.Submission.ID, "err", res.AuditPending)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/submissions/%d?created=1", res.Submission.ID))
}

// isOptionError reports a batch refused for its options (version, record type, dates).
func isOptionError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "NAACCR version") || strings.Contains(s, "record type") || strings.Contains(s, "diagnosis date")
}

func (h *submissionHandler) refuse(c echo.Context, form views.SubmissionForm, status int, msg string, held []views.SubmissionCaseRow) error {
	v, err := h.page(c, form)
	if err != nil {
		return err
	}
	v.Error, v.Held = msg, held
	return render(c, status, views.Submissions(v))
}

func caseRows(cs []submission.CaseFailures) []views.SubmissionCaseRow {
	out := make([]views.SubmissionCaseRow, 0, len(cs))
	for _, cf := range cs {
		out = append(out, views.SubmissionCaseRow{TumorID: cf.TumorID, URL: fmt.Sprintf("/cases/%d", cf.TumorID),
			Name: cf.Name, MRN: cf.MRN, Failures: failureRows(cf.Failures)})
	}
	return out
}

func failureRows(fs []submission.Failure) []views.SubmissionFailure {
	out := make([]views.SubmissionFailure, len(fs))
	for i, f := range fs {
		out[i] = views.SubmissionFailure{Edit: f.Edit, Severity: f.Severity, Message: f.Message}
	}
	return out
}

// batch loads the batch of the :id path parameter; another facility's is 404.
func (h *submissionHandler) batch(c echo.Context) (*store.SubmissionSummary, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	sub, err := h.store.SubmissionByID(c.Request().Context(), uint(n), scopeOf(currentUser(c)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such submission batch.")
	}
	return sub, err
}

// detailCases bounds the held and warned cases the batch page lists.
const detailCases = 1000

// show is one batch: counts, checksum, the cases held back and those sent with warnings.
func (h *submissionHandler) show(c echo.Context) error {
	if err := h.ready(c); err != nil {
		return err
	}
	sub, err := h.batch(c)
	if err != nil {
		return err
	}
	cases, err := h.store.SubmissionCases(c.Request().Context(), sub.ID, scopeOf(currentUser(c)), detailCases)
	if err != nil {
		return err
	}
	v := views.SubmissionDetailView{Page: pageOf(c, sub.FileName), Batch: submissionRow(*sub), Created: c.QueryParam("created") != "",
		Range: "all pending cases"}
	if sub.DateFrom != "" || sub.DateTo != "" {
		v.Range = fmt.Sprintf("diagnosed %s to %s", orDash(sub.DateFrom), orDash(sub.DateTo))
	}
	if sub.Kind == store.SubmissionCorrection {
		v.Range = "correction: " + v.Range
	}
	if r := sub.TranslationReport; r != nil {
		// The report's first line counts; a line follows for each item not carried over.
		v.Translation, v.Lost = *r, strings.Contains(*r, "\n")
	}
	for _, sc := range cases {
		fs, err := submission.DecodeFailures(sc.Failures)
		if err != nil {
			return err
		}
		row := views.SubmissionCaseRow{TumorID: sc.TumorID, URL: fmt.Sprintf("/cases/%d", sc.TumorID),
			Name: sc.NameLast + ", " + sc.NameFirst, MRN: sc.MedicalRecordNumber, Failures: failureRows(fs)}
		if sc.Held {
			v.Held = append(v.Held, row)
		} else {
			v.Warned = append(v.Warned, row)
		}
	}
	return render(c, http.StatusOK, views.SubmissionDetail(v))
}

func orDash(s string) string {
	if s == "" {
		return "…"
	}
	return s
}

// download serves the batch file, the exact bytes written, after checking them against the
// recorded SHA-256. A file that is missing or does not match is refused (and audited): the
// registry must never get a file other than the one recorded.
func (h *submissionHandler) download(c echo.Context) error {
	if err := h.ready(c); err != nil {
		return err
	}
	sub, err := h.batch(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	su := currentUser(c)
	path := filepath.Join(h.dir, filepath.Clean("/" + sub.StoragePath)[1:])
	entry := store.AuditEntry{UserID: &su.User.ID, Action: audit.SubmissionDownload, Entity: "submission",
		EntityID: strconv.FormatUint(uint64(sub.ID), 10), RemoteAddr: c.RealIP()}
	sum, size, err := submission.FileSHA256(path)
	if err != nil || sum != sub.SHA256 || size != sub.SizeBytes {
		reason := "the file's checksum does not match the one recorded"
		if err != nil {
			reason = "the file cannot be read"
			if errors.Is(err, os.ErrNotExist) {
				reason = "the file is missing"
			}
		}
		entry.Details = map[string]any{"file": sub.FileName, "refused": reason}
		if aerr := h.store.Audit(ctx, entry); aerr != nil {
			return aerr
		}
		// The page says why (the error handler would hide a 500's message); the log has the path.
		h.log.Error("submission download refused", "submission", sub.ID, "path", path, "reason", reason, "err", err)
		return render(c, http.StatusInternalServerError, views.ErrorPage(views.ErrorView{
			Page: pageOf(c, "Download refused"), Status: http.StatusInternalServerError, Heading: "Download refused",
			Message: fmt.Sprintf("Batch %s cannot be downloaded: %s. Nothing was sent; tell your administrator.", sub.FileName, reason),
		}))
	}
	entry.Details = map[string]any{"file": sub.FileName, "sha256": sub.SHA256}
	if err := h.store.Audit(ctx, entry); err != nil {
		return err
	}
	ctype := "application/xml"
	if sub.Gzip {
		ctype = "application/gzip"
	}
	c.Response().Header().Set("X-Content-SHA256", sub.SHA256)
	c.Response().Header().Set(echo.HeaderContentType, ctype)
	return c.Attachment(path, sub.FileName)
}

// casesWord is a count of cases taken from a preview's digest ("3" → "3 cases"); one that is not
// a number is left as it is.
func casesWord(n string) string {
	if i, err := strconv.Atoi(n); err == nil {
		return plural.Count(i, "case")
	}
	return n
}
