package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/views"
)

// lookupLimit is how many codes a look-up offers at most.
const lookupLimit = 15

// histologyItem is the item whose look-up is narrowed by the behavior code and ranked by the
// case's site and sex (sexItem).
const (
	histologyItem = "histologicTypeIcdO3"
	sexItem       = "sexAssignedAtBirth"
)

// CodeTables is what the look-up needs of the code tables.
type CodeTables interface {
	ForItem(naaccrID string) (*codes.List, bool)
	HistologyForBehavior(b string) *codes.List
}

// lookupHandler answers the search-as-you-type look-up of the "code" widget.
type lookupHandler struct {
	codes CodeTables
}

// search finds the codes of an item's list that match the query (?q=, or the item's own form
// field, which htmx sends from the input) and answers with the listbox fragment. Histology is
// searched among the codes that go with the behavior (?behavior=, or the form's
// behaviorCodeIcdO3) when one is given, and ranked for the case's primary site and sex (?site=
// and ?sex=, or the form's primarySite and sexAssignedAtBirth), which marks the histologies never
// seen at that site. An item without a code list is not found.
func (h *lookupHandler) search(c echo.Context) error {
	item := c.Param("item")
	list, ok := h.codes.ForItem(item)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	q := formValue(c, "q", item)
	if item == histologyItem {
		if b := formValue(c, "behavior", "behaviorCodeIcdO3"); b != "" {
			// A behavior the morphology table never lists (a typing slip) narrows nothing.
			if bl := h.codes.HistologyForBehavior(b); len(bl.Codes) > 0 {
				list = bl
			}
		}
	}
	var ctx codes.Context
	if item == histologyItem {
		ctx = codes.Context{Site: formValue(c, "site", primarySiteItem), Sex: formValue(c, "sex", sexItem)}
	}
	v := views.LookupView{Item: item, Query: q, Site: strings.ToUpper(strings.TrimSpace(ctx.Site))}
	for _, m := range list.SearchFor(q, lookupLimit, ctx) {
		v.Options = append(v.Options, views.LookupOption{Code: m.Code.Code, Label: m.Code.Label, Term: m.Term, Unusual: m.Unusual})
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=300")
	return render(c, http.StatusOK, views.LookupResults(v))
}

// formValue is a look-up parameter by its short name, or else by the name of the form field that
// htmx includes, trimmed.
func formValue(c echo.Context, short, field string) string {
	// The form's own field first: it holds what the registrar has just entered.
	v := c.QueryParam(field)
	if strings.TrimSpace(v) == "" {
		v = c.QueryParam(short)
	}
	return strings.TrimSpace(v)
}
