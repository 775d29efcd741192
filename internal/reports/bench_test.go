package reports_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/reports"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/synth"
)

// benchTumors is the size of the benchmark's facility.
const benchTumors = 100_000

// fillBench stores benchTumors synthetic tumors (internal/synth, 60 items each) in one facility,
// with the report items spread over their codes in a few statements, once per dialect.
func fillBench(b *testing.B, d store.Dialect) (*store.Store, uint) {
	b.Helper()
	ctx := context.Background()
	s := storetest.New(b, d)
	start := time.Now()
	f := &store.Facility{Code: "BIG", Name: "Big"}
	if err := s.CreateFacility(ctx, f); err != nil {
		b.Fatal(err)
	}
	gen, err := synth.NewGenerator(synth.Options{Patients: synth.MaxPatients, Seed: 1, ItemsPerTumor: 60})
	if err != nil {
		b.Fatal(err)
	}
	for made := 0; made < benchTumors; {
		var pats []naaccr.Patient
		for len(pats) < 1000 && made < benchTumors {
			var p naaccr.Patient
			gen.Next(&p)
			p.Tumors = p.Tumors[:min(len(p.Tumors), benchTumors-made)]
			made += len(p.Tumors)
			pats = append(pats, p)
		}
		if _, err := s.ImportPatients(ctx, f.ID, "approved", pats, nil); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{
		"UPDATE patients SET sex = CASE WHEN id % 2 = 0 THEN '1' ELSE '2' END",
		"UPDATE tumors SET summary_stage_2018 = CASE id % 5 WHEN 0 THEN '1' WHEN 1 THEN '2' WHEN 2 THEN '7' WHEN 3 THEN '9' ELSE '0' END, " +
			"class_of_case = CASE WHEN id % 4 = 0 THEN '32' ELSE '14' END, age_at_diagnosis = '0' || (20 + id % 70), county_at_dx = '0' || (10 + id % 40), " +
			"rx_surgery = CASE WHEN id % 3 = 0 THEN '22' ELSE '00' END, rx_chemo = CASE WHEN id % 2 = 0 THEN '01' ELSE '00' END",
	} {
		if d == store.DialectMySQL {
			q = mysqlConcat(q)
		}
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	b.Logf("%s: %d tumors stored in %v", d, benchTumors, time.Since(start).Round(time.Millisecond))
	return s, f.ID
}

func mysqlConcat(q string) string {
	for _, p := range [][2]string{{"'0' || (20 + id % 70)", "CONCAT('0', 20 + id % 70)"}, {"'0' || (10 + id % 40)", "CONCAT('0', 10 + id % 40)"}} {
		q = strings.ReplaceAll(q, p[0], p[1])
	}
	return q
}

// BenchmarkReport runs each report over the facility of 100,000 tumors (target: < 500 ms each).
func BenchmarkReport(b *testing.B) {
	cat := catalog(b)
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		b.Run(string(d), func(b *testing.B) {
			s, fac := fillBench(b, d)
			svc := reports.New(cat, s)
			p := reports.Params{Scope: store.FacilityScope(fac), Facility: fac, FromYear: 2018, ToYear: 2025}
			for _, name := range cat.Names() {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						tab, err := svc.Run(context.Background(), name, p)
						if err != nil {
							b.Fatal(err)
						}
						if len(tab.Rows) == 0 {
							b.Fatal("no rows")
						}
					}
				})
			}
		})
	}
}

// BenchmarkXLSX100kRows streams a table of 100,000 rows of 12 columns (target: < 10 s, memory
// flat: see B/op against the file's size).
func BenchmarkXLSX100kRows(b *testing.B) {
	tab := &reports.Table{Title: "Cases", RowTitle: "Case"}
	for i := range 11 {
		tab.Columns = append(tab.Columns, reports.Column{Key: fmt.Sprint(i), Label: fmt.Sprintf("Item %d", i), Kind: reports.Count})
	}
	for i := range 100_000 {
		r := reports.Row{Key: fmt.Sprint(i), Label: fmt.Sprintf("Case %06d", i), Values: make([]int64, 11), Known: make([]bool, 11)}
		for j := range r.Values {
			r.Values[j], r.Known[j] = int64(i*j), true
		}
		tab.Rows = append(tab.Rows, r)
	}
	for b.Loop() {
		if err := tab.WriteXLSX(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
