package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/fhirintake"
	"github.com/cara-registry/cara/schemas"
	"github.com/cara-registry/cara/views"
)

// reportsUploadPath takes a file of electronic reports from a signed-in registrar.
const reportsUploadPath = "/casefinding/reports"

// reportsBodyLimit bounds the upload: a day's pathology messages of a large lab are a few MB.
const (
	reportsBodyLimit = "64M"
	reportsMaxBytes  = 64 << 20
)

// reportLinesShown is how many messages' outcomes the page lists.
const reportLinesShown = 200

func reportsBodyLimited(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == reportsUploadPath
}

// reportsHandler takes in a file of electronic reports uploaded on the suspense list page:
// HL7 v2 pathology messages through the same service as `cara ehr import` and the MLLP
// listener, or a FHIR bundle through the same service as the FHIR endpoint.
type reportsHandler struct {
	cf   *casefindingHandler
	hl7  *ehr.Service
	fhir *fhirintake.Service
}

func newReportsHandler(d Deps, cf *casefindingHandler, fh *fhirHandler) *reportsHandler {
	return &reportsHandler{cf: cf, hl7: ehr.New(d.Store, cf.service, hl7Mapper(d), d.Now), fhir: fh.service}
}

// hl7Mapper reads pathology messages with the embedded mapping and the server's code tables.
func hl7Mapper(d Deps) *ehr.Mapper {
	m, err := ehr.LoadMapping(schemas.FS)
	if err != nil {
		panic(err) // the mapping is embedded: only a broken build lacks it
	}
	tables := d.Codes
	if tables == nil {
		if tables, err = codes.Load(schemas.FS); err != nil {
			panic(err)
		}
	}
	return ehr.NewMapper(m, tables)
}

func newSources(d Deps) *ehr.Sources { return ehr.NewSources(d.Store, hl7Mapper(d)) }

// isFHIR says whether a file is JSON (a FHIR bundle) rather than HL7 v2 text: HL7 starts with
// MSH (or a batch header), JSON with "{" after any byte order mark and white space.
func isFHIR(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

func (h *reportsHandler) upload(c echo.Context) error {
	if !canStart(currentUser(c)) {
		return echo.NewHTTPError(http.StatusForbidden, "Only registrars take in electronic reports.")
	}
	fc, err := h.cf.facility(c)
	if err != nil {
		return err
	}
	refuse := func(msg string) error {
		return h.cf.renderWith(c, fc, http.StatusUnprocessableEntity, func(v *views.CasefindingView) { v.Error = msg })
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return refuse("Choose a file of electronic reports: HL7 v2 pathology messages, or a FHIR R4 bundle.")
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("web: reports upload: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, reportsMaxBytes+1))
	f.Close()
	if err != nil {
		return fmt.Errorf("web: reports upload: %w", err)
	}
	switch {
	case len(data) > reportsMaxBytes:
		return refuse(fmt.Sprintf("%s: larger than %d MiB; split it, or send the messages over MLLP.", fh.Filename, reportsMaxBytes>>20))
	case len(bytes.TrimSpace(data)) == 0:
		return refuse(fh.Filename + ": the file is empty.")
	}
	a := casefindingActor(c)
	sum := &views.CasefindingReports{FileName: fh.Filename}
	taken := false // a message or the bundle was stored, now or before
	if isFHIR(data) {
		sum.Kind = "FHIR R4"
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // JSON has no byte order mark (RFC 8259)
		rc, err := h.fhir.Receive(c.Request().Context(), a, fc.id, data, fh.Filename)
		switch {
		case errors.Is(err, fhirintake.ErrNotFound):
			return echo.NewHTTPError(http.StatusNotFound, "There is no such facility among yours.")
		case errors.Is(err, fhirintake.ErrForbidden):
			return echo.NewHTTPError(http.StatusForbidden, "Only registrars take in electronic reports.")
		case err != nil:
			return err
		}
		taken = !rc.Refused()
		line := views.ReportLine{Text: "bundle: " + rc.Note(), Refused: rc.Refused()}
		if rc.Refused() {
			line.Text = "bundle refused: " + issueText(rc.Result.Issues)
			sum.Summary = "1 bundle: refused"
		} else if rc.Added {
			sum.Summary = "1 bundle: added"
		} else {
			sum.Summary = "1 bundle: received before"
		}
		sum.Lines = append(sum.Lines, line)
		for _, is := range rc.Result.Issues {
			if is.Severity != fhirintake.SeverityError {
				sum.Lines = append(sum.Lines, views.ReportLine{Text: "warning: " + is.Path + ": " + is.Reason})
			}
		}
	} else {
		sum.Kind = "HL7 v2"
		uid := a.UserID
		rs := h.hl7.ReceiveFile(c.Request().Context(), ehr.Input{FacilityID: fc.id, Raw: data, RemoteAddr: c.RealIP(), UserID: uid, Via: "upload"})
		if len(rs) == 0 {
			return refuse(fh.Filename + ": no HL7 message in the file (no MSH segment). A FHIR bundle is a JSON file starting with {.")
		}
		sum.Summary = ehr.FileSummary(rs)
		for i, r := range rs {
			if i == reportLinesShown {
				sum.More = len(rs) - i
				break
			}
			sum.Lines = append(sum.Lines, views.ReportLine{Text: r.Describe(), Refused: r.Refused()})
		}
		for _, r := range rs {
			taken = taken || !r.Refused()
		}
	}
	status := http.StatusOK
	if !taken {
		status = http.StatusUnprocessableEntity // nothing was taken in
	}
	return h.cf.renderWith(c, fc, status, func(v *views.CasefindingView) { v.Reports = sum })
}

func issueText(is fhirintake.Issues) string {
	var parts []string
	for _, i := range is {
		if i.Severity == fhirintake.SeverityError {
			parts = append(parts, strings.TrimPrefix(i.Path+": ", ": ")+i.Reason)
		}
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, "; ")
}
