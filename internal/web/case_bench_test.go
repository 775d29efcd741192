package web_test

import (
	"github.com/cara-registry/cara/internal/cputime"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// BenchmarkCasePage measures the server time of a case page, every section in turn, through the
// real router and middleware (session look-up, facility scope, audit event, edits, rendering),
// on SQLite, and reports the 95th percentile (target: under 20 ms).
func BenchmarkCasePage(b *testing.B) {
	s := storetest.New(b, store.DialectSQLite)
	f := newFixture(b, s)
	c := f.signIn(b, registrarA)
	cat, err := loadCatalog()
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	for _, sec := range cat.form.Sections {
		paths = append(paths, casePath(f.caseA)+"?section="+sec.ID)
	}
	var times []time.Duration
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		p := c.get(b, paths[i%len(paths)])
		times = append(times, time.Since(start))
		if p.status != http.StatusOK {
			b.Fatalf("status %d", p.status)
		}
	}
	// The process's CPU time (the client's parsing included): steadier than the wall clock on a
	// shared machine.
	b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/1000/float64(max(len(times), 1)), "cpu-ms/op")
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if len(times) > 0 {
		b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	}
}
