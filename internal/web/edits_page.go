package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// openStatuses are the statuses of the cases still being worked on: the Edits page counts over
// them unless asked for others, so that it shows what can still be corrected, and a registry's
// many received or submitted cases are read only when asked for.
var openStatuses = []string{string(abstract.StatusDraft), string(abstract.StatusInReview), string(abstract.StatusReturned)}

// editListHandler is the Edits page: every edit with how many cases fail it.
type editListHandler struct {
	store interface {
		EachPatient(ctx context.Context, f store.PatientFilter, batchSize int, fn func(p *store.Patient, tumors []store.Tumor) error) error
	}
	edits *edits.Set
}

// editList shows every edit with how many of the user's cases fail it now: the cases in progress,
// every case (status=all) or those of one status.
func (h *editListHandler) editList(c echo.Context) error {
	su := currentUser(c)
	failing := map[string]int{}
	cases := 0
	r := h.edits.NewRunner()
	var out []edits.Result
	status, statuses := c.QueryParam("status"), openStatuses
	switch st, err := abstract.ParseStatus(status); {
	case status == "all":
		statuses = nil
	case err == nil:
		statuses = []string{string(st)}
	default:
		status = ""
	}
	err := h.store.EachPatient(c.Request().Context(), store.PatientFilter{Scope: scopeOf(su), Statuses: statuses}, 500, func(sp *store.Patient, ts []store.Tumor) error {
		p := naaccr.Patient{Items: sp.Items}
		for _, t := range ts {
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: t.Items})
		}
		var err error
		if out, err = r.Patient(&p, out[:0]); err != nil {
			return err
		}
		cases += len(ts)
		seen := map[string]bool{}
		for _, res := range out {
			key := res.EditID + "/" + strconv.Itoa(res.Tumor)
			if !seen[key] {
				seen[key] = true
				failing[res.EditID]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	v := views.EditsPageView{Page: pageOf(c, "Edits"), Cases: cases, Status: status,
		Statuses: []views.Option{{Code: "", Label: "In progress (draft, in review, returned)"}, {Code: "all", Label: "Any status"}}}
	for _, st := range abstract.Statuses {
		v.Statuses = append(v.Statuses, views.Option{Code: string(st), Label: st.Label()})
	}
	for _, e := range h.edits.Edits {
		v.Rows = append(v.Rows, views.EditRow{
			ID: e.ID, Name: e.Name, Description: e.Description, Severity: string(e.Severity), Level: string(e.Level),
			Items: e.Items, Override: e.Override, Failing: failing[e.ID],
		})
	}
	return render(c, http.StatusOK, views.EditsPage(v))
}
