package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/csvsafe"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// auditPageSize is the number of events a page of the audit log shows.
const auditPageSize = 50

// auditCSVBatch is the number of events the CSV download reads at a time.
const auditCSVBatch = 1000

// auditFilterOf reads the audit log's filters from the query string; a filter that cannot be read
// is named in the message and left out.
func auditFilterOf(c echo.Context) (views.AuditQuery, store.AuditFilter, string) {
	q := views.AuditQuery{
		User:   auth.NormalizeUsername(c.QueryParam("user")),
		Case:   strings.TrimSpace(c.QueryParam("case")),
		Action: strings.TrimSpace(c.QueryParam("action")),
		From:   strings.TrimSpace(c.QueryParam("from")),
		To:     strings.TrimSpace(c.QueryParam("to")),
	}
	f := store.AuditFilter{Username: q.User, Action: q.Action, Limit: auditPageSize}
	var problems []string
	if q.Case != "" {
		n, err := strconv.ParseUint(q.Case, 10, 32)
		if err != nil || n == 0 {
			problems = append(problems, "Case: a case id is a number, got "+quoteValue(q.Case)+".")
		} else {
			f.TumorID = uint(n)
		}
	}
	if q.From != "" {
		t, err := time.Parse(time.DateOnly, q.From)
		if err != nil {
			problems = append(problems, "From: a date is CCYY-MM-DD, got "+quoteValue(q.From)+".")
		} else {
			f.From = t
		}
	}
	if q.To != "" {
		t, err := time.Parse(time.DateOnly, q.To)
		if err != nil {
			problems = append(problems, "To: a date is CCYY-MM-DD, got "+quoteValue(q.To)+".")
		} else {
			f.To = t.AddDate(0, 0, 1) // the whole day
		}
	}
	if n, err := strconv.ParseUint(c.QueryParam("before"), 10, 64); err == nil {
		f.Before = uint(n)
	}
	return q, f, strings.Join(problems, " ")
}

// auditQueryString is the filter (and a page) as a query string, for paging and the download.
func auditQueryString(q views.AuditQuery, before uint) string {
	v := url.Values{}
	for _, kv := range [][2]string{{"user", q.User}, {"case", q.Case}, {"action", q.Action}, {"from", q.From}, {"to", q.To}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if before != 0 {
		v.Set("before", strconv.FormatUint(uint64(before), 10))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// auditLog shows one page of the audit trail, newest first.
func (h *adminHandler) auditLog(c echo.Context) error {
	q, f, problem := auditFilterOf(c)
	page, err := h.store.SearchAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	v := views.AuditLogView{Page: pageOf(c, "Audit log"), Query: q, Error: problem,
		CSVURL: "/admin/audit.csv" + auditQueryString(q, 0)}
	actions := audit.Actions
	if q.Action != "" && !slices.Contains(actions, q.Action) {
		actions = append(slices.Clone(actions), q.Action)
	}
	for _, a := range actions {
		v.Actions = append(v.Actions, views.Option{Code: a, Label: audit.Label(a)})
	}
	if f.Before != 0 {
		v.NewestURL = "/admin/audit" + auditQueryString(q, 0)
	}
	if page.Next != 0 {
		v.OlderURL = "/admin/audit" + auditQueryString(q, page.Next)
	}
	for i := range page.Events {
		v.Rows = append(v.Rows, auditRowView(&page.Events[i]))
	}
	return render(c, http.StatusOK, views.AuditLog(v))
}

func auditRowView(e *store.AuditRow) views.AuditRowView {
	r := views.AuditRowView{
		ID: strconv.FormatUint(uint64(e.ID), 10), At: e.At.UTC().Format("2006-01-02 15:04:05"),
		User: e.Username, Action: e.Action, ActionLabel: audit.Label(e.Action), Entity: e.Entity, EntityID: e.EntityID, RemoteAddr: e.RemoteAddr,
		Details: detailsView(e.Details, nil),
	}
	if r.User == "" && e.UserID != nil {
		r.User = "#" + strconv.FormatUint(uint64(*e.UserID), 10)
	}
	switch e.Entity {
	case "tumor":
		r.EntityURL = "/cases/" + e.EntityID + "/history"
	case "facility":
		r.EntityURL = "/admin/facilities/" + e.EntityID
	}
	return r
}

// detailsView makes an event's details readable: its "changes" (items of a case, fields of a user
// or facility) as old → new, its comment, and its other keys. label names an item, when given.
func detailsView(raw string, label func(naaccrID string) string) views.DetailsView {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return views.DetailsView{Raw: raw}
	}
	var d views.DetailsView
	if ch, ok := m["changes"]; ok {
		var changes []struct {
			Level string          `json:"level"`
			Item  string          `json:"item"`
			Field string          `json:"field"`
			Old   json.RawMessage `json:"old"`
			New   json.RawMessage `json:"new"`
		}
		if err := json.Unmarshal(ch, &changes); err == nil {
			delete(m, "changes")
			for _, c := range changes {
				name := c.Field
				if c.Item != "" {
					name = c.Item
					if label != nil {
						name = label(c.Item)
					}
				}
				d.Changes = append(d.Changes, views.DetailChange{Name: name, Old: jsonText(c.Old), New: jsonText(c.New)})
			}
		}
	}
	if cm, ok := m["comment"]; ok {
		var s string
		if json.Unmarshal(cm, &s) == nil {
			delete(m, "comment")
			d.Comment = s
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d.Fields = append(d.Fields, views.DetailField{Key: audit.DetailLabel(k), Value: detailValue(k, jsonText(m[k]), label)})
	}
	return d
}

// detailValue shows a detail's value in words where its key says what it is: an item by its name,
// a workflow step and a status by their labels.
func detailValue(key, value string, label func(naaccrID string) string) string {
	switch key {
	case "item":
		if label != nil && value != "" {
			return label(value)
		}
	case "action":
		return abstract.Action(value).Label()
	case "from", "to":
		return abstract.Status(value).Label()
	}
	return value
}

// jsonText shows a JSON value: a string as itself, null as nothing, anything else as compact JSON.
func jsonText(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var x any
	if json.Unmarshal(v, &x) == nil {
		if b, err := json.Marshal(x); err == nil {
			return string(b)
		}
	}
	return string(v)
}

// auditCSV streams every event the filters select as CSV, oldest first, read in batches and
// written as they come. The download itself is audited first, so that even an interrupted one
// is on the trail.
func (h *adminHandler) auditCSV(c echo.Context) error {
	_, f, problem := auditFilterOf(c)
	if problem != "" {
		return echo.NewHTTPError(http.StatusBadRequest, problem)
	}
	ctx := c.Request().Context()
	su := currentUser(c)
	details := map[string]string{}
	for _, k := range []string{"user", "case", "action", "from", "to"} {
		if v := c.QueryParam(k); v != "" {
			details[k] = v
		}
	}
	if err := h.store.Audit(ctx, store.AuditEntry{UserID: &su.User.ID, Action: audit.AuditExport, Entity: "audit",
		Details: details, RemoteAddr: c.RealIP()}); err != nil {
		return err
	}
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.Header().Set(echo.HeaderContentDisposition, `attachment; filename="cara-audit.csv"`)
	resp.Header().Set("Cache-Control", "no-store")
	resp.WriteHeader(http.StatusOK)
	w := csvsafe.NewWriter(resp)
	if err := w.Write([]string{"id", "at", "user_id", "username", "action", "entity", "entity_id", "details", "remote_addr", "prev_hash", "hash"}); err != nil {
		return err
	}
	n := 0
	err := h.store.EachAuditEvent(ctx, f, auditCSVBatch, func(e *store.AuditRow) error {
		user := ""
		if e.UserID != nil {
			user = strconv.FormatUint(uint64(*e.UserID), 10)
		}
		if err := w.Write([]string{
			strconv.FormatUint(uint64(e.ID), 10), e.At.UTC().Format(time.RFC3339Nano), user, e.Username,
			e.Action, e.Entity, e.EntityID, e.Details, e.RemoteAddr, e.PrevHash, e.Hash,
		}); err != nil {
			return err
		}
		if n++; n%auditCSVBatch == 0 {
			w.Flush()
			resp.Flush()
		}
		return w.Error()
	})
	w.Flush()
	if err != nil {
		return fmt.Errorf("web: audit csv: %w", err)
	}
	return w.Error()
}
