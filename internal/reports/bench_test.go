package reports_test

import (
	"context"
	"fmt"
	"runtime"
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

// benchSeed is how many tumors the benchmark stores through the store's import (synthetic,
// internal/synth, 60 items each, every promoted column written as a save writes it); the rest
// of benchTumors are copies of their tumor rows made in the database, a statement doubling the
// table, so that the fill takes seconds and not minutes (a report reads no item and no
// patient, only columns of tumors).
const benchSeed = 5_000

// fillBench stores benchTumors tumors in one facility, with the report items spread over their
// codes in a few statements, once per dialect.
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
	for made := 0; made < benchSeed; {
		var pats []naaccr.Patient
		for len(pats) < 1000 && made < benchSeed {
			var p naaccr.Patient
			gen.Next(&p)
			p.Tumors = p.Tumors[:min(len(p.Tumors), benchSeed-made)]
			made += len(p.Tumors)
			pats = append(pats, p)
		}
		if _, err := s.ImportPatients(ctx, f.ID, "approved", pats, nil); err != nil {
			b.Fatal(err)
		}
	}
	copyTumors(b, s, benchTumors)
	for _, q := range []string{
		"UPDATE tumors SET sex = CASE WHEN id % 7 < 3 THEN '1' ELSE '2' END, summary_stage_2018 = CASE id % 5 WHEN 0 THEN '1' WHEN 1 THEN '2' WHEN 2 THEN '7' WHEN 3 THEN '9' ELSE '0' END, " +
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
	settle(b, s, d)
	b.Logf("%s: %d tumors stored in %v", d, benchTumors, time.Since(start).Round(time.Millisecond))
	return s, f.ID
}

// copyTumors doubles the tumors (every column, the ids moved past the largest) until there are
// n or more, then deletes the newest past n. The copies share the patients of the originals:
// a report reads tumors alone (sex is the tumor's copy of its patient's).
func copyTumors(b *testing.B, s *store.Store, n int) {
	b.Helper()
	ctx := context.Background()
	rows, err := s.DB().QueryContext(ctx, "SELECT * FROM tumors WHERE 1 = 0")
	if err != nil {
		b.Fatal(err)
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		b.Fatal(err)
	}
	var copied []string
	for _, c := range cols {
		if c != "id" {
			copied = append(copied, c)
		}
	}
	list := strings.Join(copied, ", ")
	for {
		var maxID, have int
		if err := s.DB().QueryRowContext(ctx, "SELECT MAX(id), COUNT(*) FROM tumors").Scan(&maxID, &have); err != nil {
			b.Fatal(err)
		}
		q := fmt.Sprintf("INSERT INTO tumors (id, %s) SELECT id + %d, %s FROM tumors", list, maxID, list)
		if have >= n {
			q = fmt.Sprintf("DELETE FROM tumors WHERE id > (SELECT id FROM (SELECT id FROM tumors ORDER BY id LIMIT 1 OFFSET %d) x)", n-1)
		}
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			b.Fatalf("copy tumors: %s: %v", q, err)
		}
		if have >= n {
			return
		}
	}
}

// settle brings MySQL to the steady state of a database in use: the copies and updates left a
// delete-marked entry beside most live ones, which InnoDB purges in the background, and its
// statistics follow a bulk change by themselves; OPTIMIZE (a rebuild and ANALYZE) does both
// before the timing starts. SQLite gets no ANALYZE, as a cara database never has one (as in
// internal/store's worklist benchmark).
func settle(b *testing.B, s *store.Store, d store.Dialect) {
	b.Helper()
	if d != store.DialectMySQL {
		return
	}
	if _, err := s.DB().ExecContext(context.Background(), "OPTIMIZE TABLE tumors, patients"); err != nil {
		b.Fatalf("optimize: %v", err)
	}
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

// BenchmarkXLSX100kRows streams tables of 10,000 and 100,000 rows of 12 columns (target: 100,000
// in < 10 s, memory flat: live-heap-MB, the live heap above the table's own while the workbook is
// written, the same for both sizes).
func BenchmarkXLSX100kRows(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 300_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) { benchXLSX(b, n) })
	}
}

func benchXLSX(b *testing.B, rows int) {
	tab := &reports.Table{Title: "Cases", RowTitle: "Case"}
	for i := range 11 {
		tab.Columns = append(tab.Columns, reports.Column{Key: fmt.Sprint(i), Label: fmt.Sprintf("Item %d", i), Kind: reports.Count})
	}
	for i := range rows {
		r := reports.Row{Key: fmt.Sprint(i), Label: fmt.Sprintf("Case %06d", i), Values: make([]int64, 11), Known: make([]bool, 11)}
		for j := range r.Values {
			r.Values[j], r.Known[j] = int64(i*j), true
		}
		tab.Rows = append(tab.Rows, r)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w := &heapWatch{base: ms.HeapAlloc}
	for b.Loop() {
		if err := tab.WriteXLSX(w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.peak-min(w.peak, w.base))/(1<<20), "live-heap-MB")
	b.ReportMetric(float64(w.written)/float64(b.N)/(1<<20), "file-MB")
}

// heapWatch discards what is written and, every 256 KiB written, collects the garbage and samples
// the live heap: excelize's stream writer keeps up to 16 MB of sheet in memory before it spills
// to a temporary file, and the workbook is zipped out at the end, so the peak is while it writes.
type heapWatch struct {
	base, peak    uint64
	written, next int64
}

func (h *heapWatch) Write(p []byte) (int, error) {
	h.written += int64(len(p))
	if h.written >= h.next {
		h.next = h.written + 256<<10
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.peak = max(h.peak, ms.HeapAlloc)
	}
	return len(p), nil
}
