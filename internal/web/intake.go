package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/tempfile"
	"github.com/cara-registry/cara/schemas"
	"github.com/cara-registry/cara/views"
)

// DefaultIntakeMaxBytes is the upload limit when none is configured: 2 GiB.
const DefaultIntakeMaxBytes int64 = 2 << 30

// IntakeConfig sets up the intake of uploaded submission files.
type IntakeConfig struct {
	Dir      string // where uploads are kept; data/intake when empty
	MaxBytes int64  // largest upload; DefaultIntakeMaxBytes when 0
	// MaxUnpackedBytes is the most an uploaded gzip file may unpack to, for the Intaker made
	// when none is given (a given one has its own); ten times MaxBytes when 0.
	MaxUnpackedBytes int64
	// Intaker checks and accepts files; when nil one is made on the server's store and edits.
	Intaker *submission.Intaker
	// Wake tells the background runner a file was queued; nil leaves it to its polling.
	Wake func()
}

// intakeStore is what the intake pages need of the database.
type intakeStore interface {
	CreateIntake(ctx context.Context, in *store.Intake) error
	Intake(ctx context.Context, id uint, sc store.Scope) (*store.Intake, error)
	Intakes(ctx context.Context, sc store.Scope, limit int) ([]store.Intake, error)
	RetryIntake(ctx context.Context, id uint, sc store.Scope) error
	IntakeFailures(ctx context.Context, q store.IntakeFailureQuery) ([]store.IntakeFailure, int64, error)
	IntakeEditCounts(ctx context.Context, id uint) ([]store.IntakeEditCount, error)
	FacilityByID(ctx context.Context, id uint) (*store.Facility, error)
	Facilities(ctx context.Context) ([]store.Facility, error)
	UserByID(ctx context.Context, id uint) (*store.UserRow, error)
}

type intakeHandler struct {
	store   Store
	cfg     IntakeConfig
	intaker *submission.Intaker
	now     func() time.Time
	log     *slog.Logger
}

func newIntakeHandler(d Deps) *intakeHandler {
	cfg := d.Intake
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join("data", "intake")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultIntakeMaxBytes
	}
	if cfg.MaxUnpackedBytes <= 0 {
		cfg.MaxUnpackedBytes = 10 * cfg.MaxBytes
	}
	h := &intakeHandler{store: d.Store, cfg: cfg, intaker: cfg.Intaker, now: d.Now, log: d.Logger}
	if h.intaker == nil {
		if is, ok := d.Store.(submission.IntakeStore); ok {
			reg, err := naaccr.LoadRegistry(schemas.FS)
			if err != nil {
				d.Logger.Error("intake: load dictionaries", "err", err)
			}
			h.intaker = &submission.Intaker{Store: is, Edits: d.Edits, Registry: reg, MaxUnpackedBytes: cfg.MaxUnpackedBytes, Now: d.Now}
		}
	}
	// The page states the limit the checks apply.
	if h.intaker != nil {
		h.cfg.MaxUnpackedBytes = cmp.Or(h.intaker.MaxUnpackedBytes, submission.DefaultIntakeMaxUnpackedBytes)
	}
	return h
}

// intakeBodyLimited says whether a request is an upload, which has its own, larger limit than
// the server's 2 MB for every other request.
func intakeBodyLimited(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/intake"
}

func intakePath(id uint) string { return "/intake/" + strconv.FormatUint(uint64(id), 10) }

// formatSize writes a byte count for people.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// facilityChoices are the facilities a user may upload for: their own, or every one for an
// administrator.
func (h *intakeHandler) facilityChoices(c echo.Context) ([]store.Facility, error) {
	return facilitiesOf(c, h.store)
}

func (h *intakeHandler) list(c echo.Context) error {
	return h.renderList(c, http.StatusOK, "")
}

func (h *intakeHandler) renderList(c echo.Context, status int, msg string) error {
	ctx := c.Request().Context()
	su := currentUser(c)
	facs, err := h.facilityChoices(c)
	if err != nil {
		return err
	}
	names := map[uint]string{}
	v := views.IntakeListView{Page: pageOf(c, "Intake"), MaxSize: formatSize(h.cfg.MaxBytes),
		MaxUnpacked: formatSize(h.cfg.MaxUnpackedBytes), Error: msg}
	for _, f := range facs {
		names[f.ID] = f.Name
		v.Facilities = append(v.Facilities, views.IntakeFacility{ID: f.ID, Name: f.Name, Selected: su.User.FacilityID != nil && *su.User.FacilityID == f.ID})
	}
	rows, err := h.store.Intakes(ctx, scopeOf(su), 200)
	if err != nil {
		return err
	}
	for _, r := range rows {
		name := names[r.FacilityID]
		if name == "" {
			name = "facility " + strconv.FormatUint(uint64(r.FacilityID), 10)
		}
		v.Rows = append(v.Rows, views.IntakeRow{ID: r.ID, URL: intakePath(r.ID), FileName: r.FileName, Facility: name,
			Uploaded: r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), State: r.State, Patients: r.Patients, Tumors: r.Tumors,
			Errors: r.EditErrors + r.StructuralErrors})
	}
	return render(c, status, views.IntakeList(v))
}

// upload streams a multipart upload to a file in the intake folder, hashing it as it goes, and
// queues it. The form's fields come before the file (the form puts them first), so the CSRF token
// and the facility are known before a byte of the file is stored; nothing of the file is held in
// memory. The route is not behind checkCSRF, which would parse (buffer) the whole form: it checks
// the token itself.
func (h *intakeHandler) upload(c echo.Context) error {
	ctx := c.Request().Context()
	su := currentUser(c)
	req := c.Request()
	if req.ContentLength > h.cfg.MaxBytes+1<<20 {
		return h.tooLarge(c, req.ContentLength)
	}
	// A large file takes longer than the server's read timeout for ordinary requests.
	_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(2 * time.Hour))
	token := req.Header.Get(csrfHeader)
	mr, err := req.MultipartReader()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The upload is not a file form (multipart/form-data): choose a file and press Upload.")
	}
	facilityField := ""
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return h.renderList(c, http.StatusBadRequest, "No file was uploaded: choose a NAACCR XML file (.xml or .xml.gz).")
		}
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "The upload was cut off ("+err.Error()+"): try again.")
		}
		switch part.FormName() {
		case csrfField, "facility":
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			if part.FormName() == csrfField {
				token = string(b)
			} else {
				facilityField = string(b)
			}
			continue
		case "file":
		default:
			continue
		}
		if !auth.TokensEqual(token, su.Session.CSRFToken) {
			return echo.NewHTTPError(http.StatusForbidden, "The form has expired or did not come from cara. Reload the page and try again.")
		}
		facility, err := h.uploadFacility(c, facilityField)
		if err != nil {
			return err
		}
		name := filepath.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
		if name == "" || name == "." || name == "/" {
			return h.renderList(c, http.StatusBadRequest, "No file was uploaded: choose a NAACCR XML file (.xml or .xml.gz).")
		}
		in, err := h.store1(ctx, part, name, facility, su.User.ID)
		if errors.Is(err, errTooLarge) {
			return h.tooLarge(c, -1)
		}
		if err != nil {
			return err
		}
		if err := h.store.Audit(ctx, store.AuditEntry{UserID: &su.User.ID, Action: audit.IntakeUpload, Entity: "intake",
			EntityID: strconv.FormatUint(uint64(in.ID), 10), Details: map[string]any{"file": in.FileName, "bytes": in.SizeBytes, "sha256": in.SHA256, "facility": in.FacilityID},
			RemoteAddr: c.RealIP()}); err != nil {
			return err
		}
		if h.cfg.Wake != nil {
			h.cfg.Wake()
		}
		return c.Redirect(http.StatusSeeOther, intakePath(in.ID))
	}
}

var errTooLarge = errors.New("upload too large")

func (h *intakeHandler) tooLarge(c echo.Context, size int64) error {
	msg := fmt.Sprintf("The file is larger than the upload limit of %s: split it, or compress it with gzip (.xml.gz), and upload it again.", formatSize(h.cfg.MaxBytes))
	if size > 0 {
		msg = fmt.Sprintf("The file (%s) is larger than the upload limit of %s: split it, or compress it with gzip (.xml.gz), and upload it again.", formatSize(size), formatSize(h.cfg.MaxBytes))
	}
	// The rest of the body is not read: the connection is closed after the answer.
	c.Response().Header().Set("Connection", "close")
	return h.renderList(c, http.StatusRequestEntityTooLarge, msg)
}

// uploadFacility is the facility the form names, which must be one the user works for.
func (h *intakeHandler) uploadFacility(c echo.Context, field string) (uint, error) {
	su := currentUser(c)
	if field == "" {
		if su.User.FacilityID != nil {
			return *su.User.FacilityID, nil
		}
		return 0, echo.NewHTTPError(http.StatusBadRequest, "Facility: choose the facility the file comes from.")
	}
	id, err := strconv.ParseUint(field, 10, 64)
	if err != nil || !scopeOf(su).Contains(uint(id)) {
		return 0, echo.NewHTTPError(http.StatusForbidden, "Facility: you do not work for facility "+excerpt.Clip(field)+".")
	}
	if _, err := h.store.FacilityByID(c.Request().Context(), uint(id)); err != nil {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "Facility: there is no facility "+excerpt.Clip(field)+".")
	}
	return uint(id), nil
}

// store1 copies the file part to the intake folder under a random name and creates its intake.
// The copy is written to a temporary (readable by cara's user only, removed by a later upload
// when the process was killed mid-way, see tempfile) and takes its name only when complete: a
// partial file (too large, cut off) is deleted.
func (h *intakeHandler) store1(ctx context.Context, part *multipart.Part, name string, facility, userID uint) (*store.Intake, error) {
	if err := tempfile.MkdirAll(h.cfg.Dir); err != nil {
		return nil, fmt.Errorf("web: intake folder: %w", err)
	}
	f, err := tempfile.Create(h.cfg.Dir, "upload")
	if err != nil {
		return nil, fmt.Errorf("web: store upload %s: %w", name, err)
	}
	defer f.Remove()
	sum := sha256.New()
	n, err := copyLimited(io.MultiWriter(f, sum), part, h.cfg.MaxBytes)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, err
		}
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The upload of "+excerpt.Clip(name)+" was cut off: try again.")
	}
	rnd := make([]byte, 12)
	_, _ = rand.Read(rnd)
	path := filepath.Join(h.cfg.Dir, hex.EncodeToString(rnd)+".upload")
	if err := f.Rename(path); err != nil {
		return nil, fmt.Errorf("web: store upload %s: %w", name, err)
	}
	in := &store.Intake{FacilityID: facility, UploadedBy: &userID, CreatedAt: h.now().UTC(), FileName: name, StoredPath: path,
		SizeBytes: n, SHA256: hexSum(sum), State: store.IntakeQueued}
	// The file is on disk: record it even if the browser goes away now, or the file is lost.
	if err := h.store.CreateIntake(context.WithoutCancel(ctx), in); err != nil {
		os.Remove(path)
		return nil, err
	}
	return in, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// copyLimited copies at most limit bytes; more is errTooLarge.
func copyLimited(dst io.Writer, src io.Reader, limit int64) (int64, error) {
	n, err := io.Copy(dst, io.LimitReader(src, limit+1))
	if err != nil {
		return n, err
	}
	if n > limit {
		return n, errTooLarge
	}
	return n, nil
}

// intake loads the intake of the :id in the user's scope; another facility's is a 404.
func (h *intakeHandler) intake(c echo.Context) (*store.Intake, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "There is no intake "+excerpt.Clip(c.Param("id"))+".")
	}
	in, err := h.store.Intake(c.Request().Context(), uint(id), scopeOf(currentUser(c)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "There is no intake "+excerpt.Clip(c.Param("id"))+" that you may see.")
	}
	return in, err
}

func progressOf(in *store.Intake) views.IntakeProgressView {
	return views.IntakeProgressView{ID: in.ID, ProgressURL: intakePath(in.ID) + "/progress?poll=1", State: in.State,
		Running: in.State == store.IntakeQueued || in.State == store.IntakeRunning, Records: in.RecordsProcessed,
		Finished: in.State == store.IntakeDone || in.State == store.IntakeAccepted,
		Patients: in.Patients, Errors: in.EditErrors + in.StructuralErrors, Warnings: in.EditWarnings, Error: in.Error}
}

func (h *intakeHandler) progress(c echo.Context) error {
	in, err := h.intake(c)
	if err != nil {
		return err
	}
	v := progressOf(in)
	if !v.Running && c.QueryParam("poll") != "" {
		// It finished while the page polled: reload it for the report.
		c.Response().Header().Set("HX-Refresh", "true")
	}
	return render(c, http.StatusOK, views.IntakeProgress(v))
}

func (h *intakeHandler) show(c echo.Context) error {
	in, err := h.intake(c)
	if err != nil {
		return err
	}
	return h.renderReport(c, in, "")
}

func (h *intakeHandler) facilityName(ctx context.Context, id uint) string {
	f, err := h.store.FacilityByID(ctx, id)
	if err != nil {
		return "facility " + strconv.FormatUint(uint64(id), 10)
	}
	return f.Name
}

// acceptedBy says who accepted an intake and when.
func (h *intakeHandler) acceptedBy(ctx context.Context, in *store.Intake) string {
	who := "the command line"
	if in.AcceptedBy != nil {
		who = "user " + strconv.FormatUint(uint64(*in.AcceptedBy), 10)
		if u, err := h.store.UserByID(ctx, *in.AcceptedBy); err == nil {
			who = cmp.Or(u.User.DisplayName, u.User.Username)
		}
	}
	if in.AcceptedAt != nil {
		who += " on " + in.AcceptedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return who
}

func (h *intakeHandler) renderReport(c echo.Context, in *store.Intake, msg string) error {
	ctx := c.Request().Context()
	path := intakePath(in.ID)
	v := views.IntakeView{Page: pageOf(c, "Intake of "+in.FileName), ID: in.ID, FileName: in.FileName,
		Facility: h.facilityName(ctx, in.FacilityID), Uploaded: in.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
		SizeBytes: formatSize(in.SizeBytes), SHA256: in.SHA256, Progress: progressOf(in),
		Done:          in.State == store.IntakeDone || in.State == store.IntakeAccepted,
		NaaccrVersion: in.NaaccrVersion, RecordType: in.RecordType, Patients: in.Patients, Tumors: in.Tumors,
		FacilitiesSeen: strings.Trim(strings.ReplaceAll(in.FacilitiesSeen, `"`, ""), "[]"), StructuralErrors: in.StructuralErrors,
		EditErrors: in.EditErrors, EditWarnings: in.EditWarnings, Duplicates: in.Duplicates, AcceptableTumors: in.AcceptableTumors,
		FailuresStored: in.FailuresStored, MaxFailures: submission.MaxIntakeFailures,
		FailuresCapped: in.EditErrors+in.EditWarnings+in.StructuralErrors > in.FailuresStored,
		CanRetry:       in.State == store.IntakeFailed, Message: msg,
		FailuresURL: path + "/failures", CSVURL: path + "/report.csv", HTMLURL: path + "/report.html",
		AcceptURL: path + "/accept", RetryURL: path + "/retry"}
	if in.SendingFacilityID != nil {
		v.SendingFacility = h.facilityName(ctx, *in.SendingFacilityID)
	}
	// The check counted the tumors without errors that are stored already: accept would find
	// them and import nothing of them, so they are not offered.
	v.Importable = max(in.AcceptableTumors-in.ReceivedTumors, 0)
	v.CanAccept = in.State == store.IntakeDone && in.StructuralErrors == 0 && v.Importable > 0
	switch {
	case in.State == store.IntakeAccepted:
		v.Accepted = submission.AcceptResult{TumorsCreated: in.AcceptedTumors, TumorsExisting: in.ExistingTumors, TumorsSkipped: in.SkippedTumors}.Summary()
		v.AcceptedBy = h.acceptedBy(ctx, in)
	case in.State == store.IntakeDone && in.StructuralErrors > 0:
		v.NothingToImport = "Nothing can be imported: the file has structural errors. Correct it and upload it again."
	case in.State == store.IntakeDone && in.AcceptableTumors == 0:
		v.NothingToImport = "Nothing to import: no tumor of the file is free of error-severity failures."
	case in.State == store.IntakeDone && v.Importable == 0:
		v.NothingToImport = fmt.Sprintf("Nothing to import: all %s without errors %s already received.", plural.Count(in.AcceptableTumors, "tumor"), plural.Of(in.AcceptableTumors, "was", "were"))
	}
	if v.Done {
		counts, err := h.store.IntakeEditCounts(ctx, in.ID)
		if err != nil {
			return err
		}
		v.Chart = views.Chart{Title: "Failures per edit", Unit: "failures", TestID: "intake-chart"}
		for i, ec := range counts {
			q := url.Values{"edit": {ec.EditID}, "severity": {ec.Severity}}
			v.EditCounts = append(v.EditCounts, views.IntakeEditCountRow{EditID: ec.EditID, Name: h.editName(ec.EditID), Severity: ec.Severity,
				Count: ec.Count, URL: path + "/failures?" + q.Encode()})
			if i < 20 {
				v.Chart.Bars = append(v.Chart.Bars, views.Bar{Label: ec.EditID, Value: float64(ec.Count)})
			}
		}
	}
	return render(c, http.StatusOK, views.IntakeReport(v))
}

// editName is an edit as the intake pages name it (edits.Set.Name: field checks included).
func (h *intakeHandler) editName(id string) string {
	if h.intaker == nil {
		return id
	}
	return h.intaker.Edits.Name(id)
}

const intakeFailuresPerPage = 100

func (h *intakeHandler) failures(c echo.Context) error {
	in, err := h.intake(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	q := store.IntakeFailureQuery{IntakeID: in.ID, EditID: c.QueryParam("edit"), Severity: c.QueryParam("severity"),
		Offset: (page - 1) * intakeFailuresPerPage, Limit: intakeFailuresPerPage}
	rows, total, err := h.store.IntakeFailures(ctx, q)
	if err != nil {
		return err
	}
	counts, err := h.store.IntakeEditCounts(ctx, in.ID)
	if err != nil {
		return err
	}
	v := views.IntakeFailuresView{Page: pageOf(c, "Failing records of "+in.FileName), ID: in.ID, ReportURL: intakePath(in.ID),
		FileName: in.FileName, Edit: q.EditID, Severity: q.Severity, Total: total, From: min(q.Offset+1, int(total)), To: q.Offset + len(rows)}
	seen := map[string]bool{}
	for _, ec := range counts {
		if !seen[ec.EditID] {
			seen[ec.EditID] = true
			v.Edits = append(v.Edits, views.Option{Code: ec.EditID, Label: h.editName(ec.EditID)})
		}
	}
	for _, r := range rows {
		tumor := "patient"
		if r.TumorIndex >= 0 {
			tumor = strconv.Itoa(r.TumorIndex)
		}
		v.Rows = append(v.Rows, views.IntakeFailureRow{Patient: r.PatientIndex, Tumor: tumor, PatientIDNumber: r.PatientIDNumber,
			Sequence: r.TumorSequence, Edit: r.EditID, EditName: h.editName(r.EditID), Severity: r.Severity, Item: r.Item, Message: r.Message})
	}
	link := func(p int) string {
		vals := url.Values{"page": {strconv.Itoa(p)}}
		if q.EditID != "" {
			vals.Set("edit", q.EditID)
		}
		if q.Severity != "" {
			vals.Set("severity", q.Severity)
		}
		return intakePath(in.ID) + "/failures?" + vals.Encode()
	}
	if page > 1 {
		v.Prev = link(page - 1)
	}
	if int64(q.Offset+len(rows)) < total {
		v.Next = link(page + 1)
	}
	return render(c, http.StatusOK, views.IntakeFailures(v))
}

// report downloads the report as CSV (the failing records) or HTML (the batch edit report).
func (h *intakeHandler) report(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		in, err := h.intake(c)
		if err != nil {
			return err
		}
		if in.State != store.IntakeDone && in.State != store.IntakeAccepted {
			return echo.NewHTTPError(http.StatusConflict, "The report of "+in.FileName+" is not ready: the file is "+in.State+".")
		}
		if h.intaker == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "Intake reports are not available on this server.")
		}
		su := currentUser(c)
		if err := h.store.Audit(c.Request().Context(), store.AuditEntry{UserID: &su.User.ID, Action: audit.IntakeDownload, Entity: "intake",
			EntityID: strconv.FormatUint(uint64(in.ID), 10), Details: map[string]any{"format": format, "file": in.FileName}, RemoteAddr: c.RealIP()}); err != nil {
			return err
		}
		base := strings.TrimSuffix(strings.TrimSuffix(in.FileName, ".gz"), ".xml")
		ctype := "text/csv; charset=utf-8"
		if format == "html" {
			ctype = "text/html; charset=utf-8"
		}
		w := c.Response()
		w.Header().Set(echo.HeaderContentType, ctype)
		w.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", "intake-"+strconv.FormatUint(uint64(in.ID), 10)+"-"+sanitizeFileName(base)+"."+format))
		w.WriteHeader(http.StatusOK)
		if err := h.intaker.WriteReport(c.Request().Context(), w, in, format); err != nil {
			h.log.Error("intake: write report", "intake", in.ID, "err", err)
		}
		return nil
	}
}

// sanitizeFileName keeps letters, digits, dot, dash and underscore of a file name.
func sanitizeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}

func (h *intakeHandler) retry(c echo.Context) error {
	in, err := h.intake(c)
	if err != nil {
		return err
	}
	err = h.store.RetryIntake(c.Request().Context(), in.ID, scopeOf(currentUser(c)))
	if errors.Is(err, store.ErrConflict) {
		return echo.NewHTTPError(http.StatusConflict, "The intake of "+in.FileName+" is "+in.State+", not failed: there is nothing to retry.")
	}
	if err != nil {
		return err
	}
	if h.cfg.Wake != nil {
		h.cfg.Wake()
	}
	return c.Redirect(http.StatusSeeOther, intakePath(in.ID))
}

// accept imports the file's records without errors. It runs in the request: a batch of
// patients per transaction, so a request cut short leaves whole patients and accepting again
// completes it.
func (h *intakeHandler) accept(c echo.Context) error {
	in, err := h.intake(c)
	if err != nil {
		return err
	}
	if h.intaker == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "Accepting intakes is not available on this server.")
	}
	su := currentUser(c)
	res, err := h.intaker.Accept(c.Request().Context(), in.ID, scopeOf(su), &su.User.ID, c.RealIP())
	if errors.Is(err, submission.ErrNotAcceptable) {
		return echo.NewHTTPError(http.StatusConflict, "Cannot accept "+in.FileName+": "+strings.TrimSuffix(err.Error(), ": "+submission.ErrNotAcceptable.Error())+".")
	}
	if err != nil {
		return err
	}
	h.log.Info("intake accepted", "intake", in.ID, "result", res.Summary())
	return c.Redirect(http.StatusSeeOther, intakePath(in.ID))
}
