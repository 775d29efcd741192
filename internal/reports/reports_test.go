package reports_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/reports"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

func catalog(t testing.TB) *reports.Catalog {
	t.Helper()
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	c, err := reports.Load(schemas.FS, tables)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSiteGroupsFollowTheFirstMatchingRule(t *testing.T) {
	sg := catalog(t).Sites
	for _, tc := range []struct{ site, hist, want string }{
		{"C500", "8500", "breast"},
		{"C509", "8500", "breast"},
		{"C510", "8070", "other-female-genital"},
		{"C340", "8140", "lung"},
		{"C349", "8041", "lung"},
		{"C340", "9680", "nhl"},          // a lymphoma of the lung is a lymphoma
		{"C384", "9050", "mesothelioma"}, // histology before site
		{"C440", "8720", "melanoma"},
		{"C440", "8090", "other-skin"},
		{"C619", "8140", "prostate"},
		{"C199", "8140", "rectum"},
		{"C189", "8140", "colon"},
		{"C260", "8140", "colon"},
		{"C379", "8580", "other-endocrine"},
		{"C809", "8000", "unknown-primary"},
		{"C760", "8000", "other"},
		{"", "", "other"},
		{"C42", "9800", "leukemia"},
	} {
		if got := sg.Group(tc.site, tc.hist); got != tc.want {
			t.Errorf("%s/%s: %q, want %q", tc.site, tc.hist, got, tc.want)
		}
	}
}

func TestParseSiteGroupsRejectsBadRows(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		{"header", "a,b,c,d\n", "header"},
		{"bad site", "group,label,sites,histologies\nx,X,C5000,\n", "topography"},
		{"backwards", "group,label,sites,histologies\nx,X,C509-C500,\n", "backwards"},
		{"bad histology", "group,label,sites,histologies\nx,X,,1234\n", "histology"},
		{"after catch-all", "group,label,sites,histologies\nall,All,,\nx,X,C500,\n", "match none"},
		{"two labels", "group,label,sites,histologies\nx,X,C500,\nx,Y,C501,\n", "labelled"},
	} {
		_, err := reports.ParseSiteGroups(strings.NewReader(tc.csv), "t.csv")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestQuartilesInterpolateBetweenRanks(t *testing.T) {
	q := reports.Quartiles(map[int64]int64{10: 1, 20: 1, 30: 1, 40: 1})
	if q != [3]float64{17.5, 25, 32.5} {
		t.Errorf("quartiles %v", q)
	}
	q = reports.Quartiles(map[int64]int64{5: 3})
	if q != [3]float64{5, 5, 5} {
		t.Errorf("quartiles %v", q)
	}
}

type tumor map[string]string

// fixture stores hand-built cases: facility A has 2 breast (female, analytic), 1 lung (the second patient's,
// non-analytic) and 1 breast of 2019; facility B has 1 lung.
func fixture(t *testing.T, s *store.Store) (a, b uint) {
	t.Helper()
	ctx := context.Background()
	fa, fb := &store.Facility{Code: "A", Name: "A"}, &store.Facility{Code: "B", Name: "B"}
	for _, f := range []*store.Facility{fa, fb} {
		if err := s.CreateFacility(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	add := func(f uint, sex string, tumors ...tumor) {
		p := naaccr.Patient{Items: map[string]string{"sexAssignedAtBirth": sex, "nameLast": "X"}}
		for _, tm := range tumors {
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: tm})
		}
		if _, err := s.CreatePatient(ctx, f, p, "draft"); err != nil {
			t.Fatal(err)
		}
	}
	add(fa.ID, "2", tumor{"primarySite": "C504", "histologicTypeIcdO3": "8500", "dateOfDiagnosis": "20240110", "classOfCase": "14",
		"summaryStage2018": "1", "derivedSummaryStage2018": "3", "ageAtDiagnosis": "055", "date1stCrsRxCoc": "20240120", "rxSummSurgPrimSite": "22", "rxSummChemo": "01"})
	add(fa.ID, "2", tumor{"primarySite": "C509", "histologicTypeIcdO3": "8500", "dateOfDiagnosis": "20240301", "classOfCase": "10",
		"derivedSummaryStage2018": "7", "ageAtDiagnosis": "091", "date1stCrsRxCoc": "20240331", "rxSummSurgPrimSite": "00"},
		tumor{"primarySite": "C341", "histologicTypeIcdO3": "8140", "dateOfDiagnosis": "2024", "classOfCase": "32", "ageAtDiagnosis": "999"})
	add(fa.ID, "1", tumor{"primarySite": "C500", "histologicTypeIcdO3": "8500", "dateOfDiagnosis": "20190505", "classOfCase": "14"})
	add(fb.ID, "1", tumor{"primarySite": "C340", "histologicTypeIcdO3": "8140", "dateOfDiagnosis": "20240505", "classOfCase": "14"})
	return fa.ID, fb.ID
}

func value(t *testing.T, tab *reports.Table, row, col string) int64 {
	t.Helper()
	c := tab.ColumnIndex(col)
	if c < 0 {
		t.Fatalf("no column %q", col)
	}
	for _, r := range tab.Rows {
		if r.Key == row {
			return r.Values[c]
		}
	}
	if row == "total" && tab.Total != nil {
		return tab.Total.Values[c]
	}
	return 0
}

func TestReportsCountTheHandBuiltCases(t *testing.T) {
	cat := catalog(t)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := fixture(t, s)
		svc := reports.New(cat, s)
		ctx := context.Background()
		scope := store.FacilitiesScope([]uint{a, b})
		p := reports.Params{Scope: scope, Facility: a, FromYear: 2024, ToYear: 2024}
		tab, err := svc.Run(ctx, "primary-site", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			row, col string
			want     int64
		}{
			{"breast", "total", 2}, {"breast", "sex:2", 2}, {"breast", "sex:1", 0},
			// Summary Stage 2018 is the coded one (1, not the derived 3), else the derived one (7).
			{"breast", "class_group:analytic", 2}, {"breast", "ss2018:1", 1}, {"breast", "ss2018:7", 1}, {"breast", "ss2018:3", 0},
			{"lung", "total", 1}, {"lung", "class_group:nonanalytic", 1}, {"lung", "sex:2", 1},
			{"total", "total", 3},
		} {
			if got := value(t, tab, tc.row, tc.col); got != tc.want {
				t.Errorf("primary site %s × %s: %d, want %d", tc.row, tc.col, got, tc.want)
			}
		}
		// All facilities, analytic only, every year.
		tab, err = svc.Run(ctx, "primary-site", reports.Params{Scope: scope, Class: "analytic"})
		if err != nil {
			t.Fatal(err)
		}
		if got := value(t, tab, "breast", "total"); got != 3 {
			t.Errorf("analytic breast in both facilities: %d, want 3", got)
		}
		if got := value(t, tab, "lung", "total"); got != 1 {
			t.Errorf("analytic lung in both facilities: %d, want 1", got)
		}
		tab, err = svc.Run(ctx, "age-sex", p)
		if err != nil {
			t.Fatal(err)
		}
		if value(t, tab, "50-59", "sex:2") != 1 || value(t, tab, "90+", "sex:2") != 1 || value(t, tab, "unknown", "sex:2") != 1 {
			t.Errorf("age groups: %+v", tab.Rows)
		}
		tab, err = svc.Run(ctx, "time-to-treatment", p)
		if err != nil {
			t.Fatal(err)
		}
		if value(t, tab, "breast", "median") != 20 || value(t, tab, "breast", "known") != 2 || value(t, tab, "lung", "missing") != 1 {
			t.Errorf("time to treatment: %+v", tab.Rows)
		}
		tab, err = svc.Run(ctx, "treatment", p)
		if err != nil {
			t.Fatal(err)
		}
		if value(t, tab, "breast", "treatment:SC") != 1 || value(t, tab, "breast", "treatment:") != 1 {
			t.Errorf("treatment: %+v %+v", tab.Columns, tab.Rows)
		}
		tab, err = svc.Run(ctx, "trend", reports.Params{Scope: scope, Facility: a})
		if err != nil {
			t.Fatal(err)
		}
		if value(t, tab, "breast", "year:2019") != 1 || value(t, tab, "breast", "year:2024") != 2 {
			t.Errorf("trend: %+v", tab.Rows)
		}
		// Every report runs.
		for _, name := range cat.Names() {
			if _, err := svc.Run(ctx, name, p); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestRunNamesTheParameterAtFault(t *testing.T) {
	svc := reports.New(catalog(t), nil)
	scope := store.FacilityScope(1)
	for _, tc := range []struct {
		p     reports.Params
		param string
	}{
		{reports.Params{Scope: scope, FromYear: 1800}, "from"},
		{reports.Params{Scope: scope, FromYear: 2024, ToYear: 2020}, "to"},
		{reports.Params{Scope: scope, Class: "both"}, "class"},
		{reports.Params{Scope: scope, Status: "done"}, "status"},
		{reports.Params{Scope: scope, Facility: 2}, "facility"},
	} {
		_, err := svc.Run(context.Background(), "primary-site", tc.p)
		var pe *reports.ParamError
		if !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%+v: %v, want an error of %s", tc.p, err, tc.param)
		}
	}
	if _, err := svc.Run(context.Background(), "nope", reports.Params{Scope: scope}); !errors.Is(err, reports.ErrUnknownReport) {
		t.Errorf("unknown report: %v", err)
	}
}

func TestXLSXReadsBackWithNumbersAndParameters(t *testing.T) {
	tab := &reports.Table{Title: "T", RowTitle: "Site group",
		Columns: []reports.Column{{Key: "total", Label: "Total", Kind: reports.Count}, {Key: "median", Label: "Median days", Kind: reports.Days}},
		Rows:    []reports.Row{{Key: "breast", Label: "=Breast", Values: []int64{12, 0}, Known: []bool{true, false}}},
		Params:  reports.Params{FromYear: 2024}}
	var buf bytes.Buffer
	if err := tab.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(reports.SheetReport)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "Site group" || rows[1][0] != "=Breast" || rows[1][1] != "12" {
		t.Errorf("rows %q", rows)
	}
	if typ, _ := f.GetCellType(reports.SheetReport, "B2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("B2 type %v, want a number", typ)
	}
	if formula, _ := f.GetCellFormula(reports.SheetReport, "A2"); formula != "" {
		t.Errorf("a label became a formula: %q", formula)
	}
	params, _ := f.GetRows(reports.SheetParameters)
	if len(params) < 3 || params[2][1] != "2024" {
		t.Errorf("parameters %q", params)
	}
	var csvBuf bytes.Buffer
	if err := tab.WriteCSV(&csvBuf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csvBuf.String(), "'=Breast,12,\n") {
		t.Errorf("csv %q", csvBuf.String())
	}
}

func TestASavedCaseIsCountedByItsNewItems(t *testing.T) {
	cat := catalog(t)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, _ := fixture(t, s)
		scope := store.FacilityScope(a)
		var id uint
		if err := s.DB().QueryRowContext(ctx, "SELECT id FROM tumors WHERE primary_site = 'C504'").Scan(&id); err != nil {
			t.Fatal(err)
		}
		c, err := s.LoadCase(ctx, id, scope)
		if err != nil {
			t.Fatal(err)
		}
		ti := map[string]string{}
		for k, v := range c.Tumor.Items {
			ti[k] = v
		}
		ti["summaryStage2018"] = "4"
		pi := map[string]string{}
		for k, v := range c.Patient.Items {
			pi[k] = v
		}
		pi["sexAssignedAtBirth"] = "1"
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: id, Scope: scope, PatientVersion: c.Patient.Version,
			TumorVersion: c.Tumor.Version, PatientItems: pi, TumorItems: ti}); err != nil {
			t.Fatal(err)
		}
		tab, err := reports.New(cat, s).Run(ctx, "primary-site", reports.Params{Scope: scope, FromYear: 2024, ToYear: 2024})
		if err != nil {
			t.Fatal(err)
		}
		if value(t, tab, "breast", "ss2018:4") != 1 || value(t, tab, "breast", "ss2018:1") != 0 || value(t, tab, "breast", "sex:1") != 1 {
			t.Errorf("after the save: %+v %+v", tab.Columns, tab.Rows)
		}
	})
}
