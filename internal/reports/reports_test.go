package reports_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/reports"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

func service(t testing.TB, s *store.Store) *reports.Service {
	t.Helper()
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := reports.Load(schemas.FS, tables)
	if err != nil {
		t.Fatal(err)
	}
	return reports.New(cat, s)
}

// cases are the hand-built set the counts are checked against.
var cases = []struct {
	sex, site, hist, class, ss, year, age, contact, done, rx string
}{
	{"2", "C504", "8500", "10", "1", "2024", "055", "20240105", "20240301", "20240120"},
	{"2", "C509", "8500", "14", "2", "2024", "067", "20240210", "20241001", "20240215"},
	{"1", "C341", "8140", "14", "7", "2024", "072", "20240301", "20240330", ""},
	{"2", "C341", "8070", "32", "", "2023", "091", "20230601", "", ""},
	{"1", "C619", "8140", "20", "1", "2023", "064", "20230110", "20230201", "20230130"},
	{"1", "C504", "8500", "10", "3", "2025", "048", "20250110", "20250120", "20250101"},
}

func load(t *testing.T, s *store.Store) *store.Facility {
	ctx := context.Background()
	fac := &store.Facility{Code: "RPT", Name: "Report General"}
	if err := s.CreateFacility(ctx, fac); err != nil {
		t.Fatal(err)
	}
	var pats []naaccr.Patient
	for i, c := range cases {
		pats = append(pats, naaccr.Patient{Items: map[string]string{"patientIdNumber": fmt.Sprintf("%08d", i+1), "nameLast": "Case",
			"nameFirst": fmt.Sprint(i), "dateOfBirth": "19500101", "sexAssignedAtBirth": c.sex},
			Tumors: []naaccr.Tumor{{Items: map[string]string{"primarySite": c.site, "histologicTypeIcdO3": c.hist, "behaviorCodeIcdO3": "3",
				"classOfCase": c.class, "summaryStage2018": c.ss, "dateOfDiagnosis": c.year + "0101", "ageAtDiagnosis": c.age,
				"dateOf1stContact": c.contact, "dateCaseCompletedCoc": c.done, "date1stCrsRxCoc": c.rx}}}})
	}
	if _, err := s.ImportPatients(ctx, fac.ID, "approved", pats, nil); err != nil {
		t.Fatal(err)
	}
	return fac
}

func cell(t *testing.T, tb *reports.Table, row, col string) int64 {
	t.Helper()
	c := tb.ColumnIndex(col)
	if c < 0 {
		t.Fatalf("%s: no column %s", tb.Report, col)
	}
	if row == "total" {
		return tb.Total.Values[c]
	}
	for _, r := range tb.Rows {
		if r.Key == row {
			return r.Values[c]
		}
	}
	return 0
}

func TestReportsCountTheCasesInTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		fac := load(t, s)
		svc := service(t, s)
		ctx := context.Background()
		p := reports.Params{Scope: store.FacilityScope(fac.ID)}

		site, err := svc.Run(ctx, "primary-site", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			row, col string
			want     int64
		}{
			{"breast", "total", 3}, {"breast", "sex:2", 2}, {"breast", "sex:1", 1},
			{"lung", "total", 2}, {"lung", "class_group:analytic", 1}, {"lung", "class_group:nonanalytic", 1},
			{"prostate", "ss2018:1", 1}, {"total", "total", 6},
		} {
			if got := cell(t, site, tt.row, tt.col); got != tt.want {
				t.Errorf("primary site table %s × %s = %d, want %d", tt.row, tt.col, got, tt.want)
			}
		}

		p.FromYear, p.ToYear, p.Class = 2024, 2024, "analytic"
		trend, err := svc.Run(ctx, "trend", p)
		if err != nil {
			t.Fatal(err)
		}
		if got := cell(t, trend, "total", "total"); got != 3 {
			t.Errorf("2024 analytic cases %d, want 3", got)
		}

		p = reports.Params{Scope: store.FacilityScope(fac.ID)}
		age, err := svc.Run(ctx, "age-sex", p)
		if err != nil {
			t.Fatal(err)
		}
		if got := cell(t, age, "90+", "total"); got != 1 {
			t.Errorf("aged 90+ %d, want 1", got)
		}

		tl, err := svc.Run(ctx, "timeliness", p)
		if err != nil {
			t.Fatal(err)
		}
		// 2024: 56, 234 and 29 days: median 56.
		if got := cell(t, tl, "2024", "median"); got != 56 {
			t.Errorf("2024 median days to completion %d, want 56", got)
		}
		if got := cell(t, tl, "2023", "missing"); got != 1 {
			t.Errorf("2023 cases without a completion date %d, want 1", got)
		}

		other := reports.Params{Scope: store.FacilityScope(fac.ID + 1)}
		if tb, err := svc.Run(ctx, "primary-site", other); err != nil || cell(t, tb, "total", "total") != 0 {
			t.Errorf("another facility's scope sees %v cases (%v)", tb, err)
		}
	})
}

func TestReportParametersAreCheckedByName(t *testing.T) {
	svc := service(t, nil)
	for _, tt := range []struct {
		p     reports.Params
		param string
	}{
		{reports.Params{FromYear: 1800}, "from"},
		{reports.Params{FromYear: 2024, ToYear: 2020}, "to"},
		{reports.Params{Class: "some"}, "class"},
		{reports.Params{Status: "lost"}, "status"},
		{reports.Params{Scope: store.FacilityScope(1), Facility: 2}, "facility"},
	} {
		_, err := svc.Run(context.Background(), "primary-site", tt.p)
		var pe *reports.ParamError
		if !errors.As(err, &pe) || pe.Param != tt.param {
			t.Errorf("%+v: %v, want a problem with %s", tt.p, err, tt.param)
		}
	}
	if _, err := svc.Run(context.Background(), "nope", reports.Params{}); !errors.Is(err, reports.ErrUnknownReport) {
		t.Errorf("unknown report: %v", err)
	}
}

func TestQuartilesInterpolateBetweenRanks(t *testing.T) {
	for _, tt := range []struct {
		hist map[int64]int64
		want [3]float64
	}{
		{map[int64]int64{10: 1}, [3]float64{10, 10, 10}},
		{map[int64]int64{1: 1, 2: 1, 3: 1, 4: 1}, [3]float64{1.75, 2.5, 3.25}},
		{map[int64]int64{5: 3, 100: 1}, [3]float64{5, 5, 28.75}},
	} {
		if got := reports.Quartiles(tt.hist); got != tt.want {
			t.Errorf("Quartiles(%v) = %v, want %v", tt.hist, got, tt.want)
		}
	}
}
