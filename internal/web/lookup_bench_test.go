package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/schemas"
)

// BenchmarkLookupHandler measures one look-up as the server answers it: routing, the search and
// rendering the listbox (the session check in front of it is one indexed query, measured with the
// other handlers). The target is well under 5 ms a query.
func BenchmarkLookupHandler(b *testing.B) {
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	e.GET("/lookup/:item", (&lookupHandler{codes: tables}).search)
	for _, bc := range []struct{ name, item, query string }{
		{"topography words", "primarySite", "q=breast+upp"},
		{"topography code", "primarySite", "q=C50"},
		{"histology words", "histologicTypeIcdO3", "q=adenocarcinoma"},
		{"histology substring", "histologicTypeIcdO3", "q=carc"},
		{"histology by behavior", "histologicTypeIcdO3", "q=duct&behaviorCodeIcdO3=2"},
		{"state", "addrAtDxState", "q=new"},
		{"histology abbreviation", "histologicTypeIcdO3", "q=IDC"},
		{"histology for a site", "histologicTypeIcdO3", "q=ductal&primarySite=C504&sexAssignedAtBirth=2"},
		{"topography stop words", "primarySite", "q=left+breast+upper"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			target := "/lookup/" + bc.item + "?" + bc.query
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
