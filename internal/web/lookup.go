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

// histologyItem is the item whose look-up is narrowed by the behavior code.
const histologyItem = "histologicTypeIcdO3"

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
// behaviorCodeIcdO3) when one is given. An item without a code list is not found.
func (h *lookupHandler) search(c echo.Context) error {
	item := c.Param("item")
	list, ok := h.codes.ForItem(item)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	q := c.QueryParam("q")
	if q == "" {
		q = c.QueryParam(item)
	}
	q = strings.TrimSpace(q)
	if item == histologyItem {
		b := c.QueryParam("behavior")
		if b == "" {
			b = c.QueryParam("behaviorCodeIcdO3")
		}
		if b = strings.TrimSpace(b); b != "" {
			// A behavior the morphology table never lists (a typing slip) narrows nothing.
			if bl := h.codes.HistologyForBehavior(b); len(bl.Codes) > 0 {
				list = bl
			}
		}
	}
	v := views.LookupView{Item: item, Query: q}
	for _, m := range list.Search(q, lookupLimit) {
		v.Options = append(v.Options, views.Option{Code: m.Code.Code, Label: m.Code.Label})
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=300")
	return render(c, http.StatusOK, views.LookupResults(v))
}
