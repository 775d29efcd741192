package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// items is the "All items" view of a case: every item of the form's record type that the case
// holds a value for, or, with ?q=, every item that matches the query by name words, NAACCR
// number or naaccrId, whether on the form or not. Each row says where the item sits on the form.
// An htmx request (the search box, as the user types) gets the table only.
func (h *caseFormHandler) items(c echo.Context) error {
	su := currentUser(c)
	cs, err := h.caseInScope(c)
	if err != nil {
		return err
	}
	id := cs.Tumor.ID
	ctx := c.Request().Context()
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > 100 {
		q = q[:100]
	}
	if err := h.store.Audit(ctx, store.AuditEntry{
		UserID: &su.User.ID, Action: audit.CaseView, Entity: "tumor", EntityID: fmt.Sprint(id),
		Details: map[string]string{"section": "items"}, RemoteAddr: c.RealIP(),
	}); err != nil {
		return err
	}
	v := h.itemsView(cs, q)
	if hx.Is(c.Request().Header.Get(string(hx.Request))) {
		return render(c, http.StatusOK, views.ItemsResults(v))
	}
	name := patientName(cs.Patient.NameLast, cs.Patient.NameFirst)
	v.Page = pageOf(c, "All items · "+name)
	v.Head = views.CaseHeadView{
		PatientName: name, MRN: cs.Tumor.MedicalRecordNumber, Summary: h.summary(cs),
		StatusLabel: abstract.Status(cs.Tumor.Status).Label(), Sections: h.sectionTabs(cs, nil),
		ItemsURL: v.URL, ItemsActive: true,
	}
	return render(c, http.StatusOK, views.ItemsPage(v))
}

// itemsView lists the case's items: those with a value when q is empty, else those q matches.
func (h *caseFormHandler) itemsView(cs *casework.Case, q string) views.ItemsView {
	base := "/cases/" + strconv.FormatUint(uint64(cs.Tumor.ID), 10)
	v := views.ItemsView{URL: views.ItemsURL(cs.Tumor.ID), Query: q}
	m := parseItemQuery(q)
	var exact []views.ItemRow // rows whose number or naaccrId is the query: listed first
	for _, def := range h.form.Dictionary.Items {
		if def.Parent == naaccr.ParentRoot || (h.form.RecordType != "" && !def.InRecordType(h.form.RecordType)) {
			continue
		}
		v.Total++
		val := valueOf(cs, def)
		if val != "" {
			v.Valued++
		}
		label := def.Name
		fl, onForm := h.form.Field(def.ID)
		if onForm {
			label = fl.Label
		}
		if (q == "" && val == "") || (q != "" && !m.matches(def, label)) {
			continue
		}
		row := views.ItemRow{ID: def.ID, Number: def.Number, Name: label, Level: string(def.Parent), Value: val}
		if sec, ok := h.form.SectionOf(def.ID); ok {
			row.Section, row.SectionURL = sec.Title, base+"?section="+sec.ID+"#f-"+def.ID
		} else {
			row.NotOnForm, _ = h.form.NotOnForm(def.ID)
		}
		if l, ok := h.codes.ForItem(def.ID); ok && val != "" {
			row.CodeLabel = l.Label(val)
		}
		if m.exact(def) {
			exact = append(exact, row)
		} else {
			v.Rows = append(v.Rows, row)
		}
	}
	byNumber := func(a, b views.ItemRow) int { return cmp.Compare(a.Number, b.Number) }
	slices.SortFunc(exact, byNumber)
	slices.SortFunc(v.Rows, byNumber)
	v.Rows = append(exact, v.Rows...)
	return v
}

// itemQuery is what a person typed to find an item: a NAACCR number ("400"), a naaccrId
// ("primarySite"), or words of the item's name in any order ("date diag").
type itemQuery struct {
	raw    string // lower case
	number int    // 0 unless the query is a number
	words  []string
}

func parseItemQuery(q string) itemQuery {
	iq := itemQuery{raw: strings.ToLower(q)}
	if n, err := strconv.Atoi(q); err == nil && n > 0 {
		iq.number = n
	}
	iq.words = strings.FieldsFunc(iq.raw, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '-' || r == ',' || r == '/' || r == '#' || r == '[' || r == ']'
	})
	return iq
}

// exact reports whether the query is the item's number or naaccrId.
func (iq itemQuery) exact(def *naaccr.ItemDef) bool {
	return iq.number == def.Number || iq.raw == strings.ToLower(def.ID)
}

// matches reports whether the query finds the item: its number or naaccrId, or every word in its
// name, its label on the form or its naaccrId.
func (iq itemQuery) matches(def *naaccr.ItemDef, label string) bool {
	if iq.exact(def) {
		return true
	}
	if len(iq.words) == 0 {
		return false
	}
	hay := strings.ToLower(def.Name + " " + label + " " + def.ID)
	for _, w := range iq.words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}
