package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// caseFormStore is what the case form needs of the database beyond the case service: the
// history tab, and the audit of the items page and the history.
type caseFormStore interface {
	Audit(ctx context.Context, e store.AuditEntry) error
	CaseHistory(ctx context.Context, tumorID uint, sc store.Scope) (*store.CaseHistory, error)
	StatusHistory(ctx context.Context, tumorID uint, sc store.Scope) ([]store.StatusChange, error)
	Usernames(ctx context.Context, ids []uint) (map[uint]string, error)
}

// history is a case's history tab: each save with its item changes (old → new) and override
// comment, each workflow step with its reason, and who opened the case how often. Anyone who may
// open the case may see it; another facility's case is a 404. It shows PHI, so it is audited as a
// view of the case.
func (h *caseFormHandler) history(c echo.Context) error {
	su := currentUser(c)
	cs, err := h.caseInScope(c)
	if err != nil {
		return err
	}
	id := cs.Tumor.ID
	ctx := c.Request().Context()
	sc := scopeOf(su)
	hist, err := h.store.CaseHistory(ctx, id, sc)
	if err != nil {
		return err
	}
	steps, err := h.store.StatusHistory(ctx, id, sc)
	if err != nil {
		return err
	}
	var ids []uint
	for _, st := range steps {
		if st.UserID != nil {
			ids = append(ids, *st.UserID)
		}
	}
	names, err := h.store.Usernames(ctx, ids)
	if err != nil {
		return err
	}
	if err := h.store.Audit(ctx, store.AuditEntry{
		UserID: &su.User.ID, Action: audit.CaseView, Entity: "tumor", EntityID: fmt.Sprint(id),
		Details: map[string]string{"section": "history"}, RemoteAddr: c.RealIP(),
	}); err != nil {
		return err
	}

	name := patientName(cs.Patient.NameLast, cs.Patient.NameFirst)
	v := views.CaseHistoryView{
		Page: pageOf(c, "History · "+name),
		Head: views.CaseHeadView{
			PatientName: name, MRN: cs.Tumor.MedicalRecordNumber, Summary: h.summary(cs),
			StatusLabel: abstract.Status(cs.Tumor.Status).Label(), Sections: h.sectionTabs(cs, nil),
			ItemsURL: views.ItemsURL(id), HistoryActive: true,
		},
		Truncated: hist.Truncated,
		AuditURL:  "/admin/audit?case=" + idString(id),
	}
	for i := range hist.Events {
		e := &hist.Events[i]
		v.Entries = append(v.Entries, views.HistoryEntry{
			At: e.At.UTC().Format("2006-01-02 15:04:05"), User: e.Username,
			Action: historyAction(e), Details: detailsView(e.Details, h.itemLabel),
		})
	}
	for i := len(steps) - 1; i >= 0; i-- { // newest first, as the changes
		st := steps[i]
		row := views.HistoryStatus{
			At: st.At.UTC().Format("2006-01-02 15:04:05"), Action: abstract.Action(st.Action).Label(),
			From: abstract.Status(st.FromStatus).Label(), To: abstract.Status(st.ToStatus).Label(), Reason: st.Reason,
			Errors: st.EditErrors, Warnings: st.EditWarnings,
		}
		if st.UserID != nil {
			row.User = names[*st.UserID]
		}
		v.Statuses = append(v.Statuses, row)
	}
	for _, w := range hist.Views {
		v.ViewCount += w.Count
		v.Views = append(v.Views, views.HistoryViews{User: w.Username, Count: w.Count, Last: w.Last.UTC().Format("2006-01-02 15:04:05")})
	}
	return render(c, http.StatusOK, views.CaseHistory(v))
}

// historyAction says what an event did to the case, in words.
func historyAction(e *store.AuditRow) string {
	if e.Action == audit.CaseStatus {
		var d struct {
			Action string `json:"action"`
		}
		if json.Unmarshal([]byte(e.Details), &d) == nil && d.Action != "" {
			return abstract.Action(d.Action).Label()
		}
	}
	return audit.Label(e.Action)
}

// itemLabel names an item as the form does, with its NAACCR number: "Primary Site [400]".
func (h *caseFormHandler) itemLabel(naaccrID string) string {
	if f, ok := h.form.Field(naaccrID); ok {
		return f.Label + " [" + strconv.Itoa(f.Def.Number) + "]"
	}
	if h.form.Dictionary != nil {
		if def, ok := h.form.Dictionary.Item(naaccrID); ok {
			return def.Name + " [" + strconv.Itoa(def.Number) + "]"
		}
	}
	return naaccrID
}
