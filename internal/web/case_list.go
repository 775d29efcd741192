package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

type caseHandler struct {
	store   Store
	form    *abstract.Form
	fields  *edits.FieldChecker
	edits   *edits.Set
	codes   *codes.Tables
	schemas *abstract.SchemaSelector
}

// list shows the worklist of the user's facility (every facility for an administrator).
func (h *caseHandler) list(c echo.Context) error {
	su := currentUser(c)
	f := store.WorklistFilter{
		Scope:  scopeOf(su),
		Status: c.QueryParam("status"),
		Search: strings.TrimSpace(c.QueryParam("q")),
	}
	rows, err := h.store.Worklist(c.Request().Context(), f)
	if err != nil {
		return err
	}
	v := views.WorklistView{Page: pageOf(c, "Worklist"), Search: f.Search, Status: f.Status}
	sites, _ := h.codes.ForItem("primarySite")
	for _, r := range rows {
		row := views.WorklistRow{
			TumorID:     r.TumorID,
			URL:         "/cases/" + strconv.FormatUint(uint64(r.TumorID), 10),
			PatientName: patientName(r.NameLast, r.NameFirst),
			MRN:         r.MedicalRecordNumber,
			Site:        r.PrimarySite,
			DxDate:      showDate(r.DateOfDiagnosis),
			Status:      r.Status,
			StatusLabel: views.StatusLabel(r.Status),
			EditErrors:  r.EditErrors,
		}
		if sites != nil {
			row.SiteLabel = sites.Label(r.PrimarySite)
		}
		v.Rows = append(v.Rows, row)
	}
	return render(c, http.StatusOK, views.Worklist(v))
}

func patientName(last, first string) string {
	switch {
	case last == "" && first == "":
		return "(no name)"
	case first == "":
		return last
	case last == "":
		return first
	}
	return last + ", " + first
}

// showDate writes a NAACCR date as people read it: 20250314 → 2025-03-14, 202503 → 2025-03.
func showDate(d string) string {
	switch len(d) {
	case 8:
		return d[0:4] + "-" + d[4:6] + "-" + d[6:8]
	case 6:
		return d[0:4] + "-" + d[4:6]
	}
	return d
}
