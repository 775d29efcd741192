package web_test

import (
	"github.com/cara-registry/cara/internal/cputime"
	"net/http"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// BenchmarkSectionSave measures the server time of one section save over htmx (the browser's
// path: load the case in scope, check the fields, run the edits, store with the audit, answer
// with the form), through the real router and middleware, on SQLite and MariaDB, and reports the
// 95th percentile. Each save changes a text item, so that every one writes.
func BenchmarkSectionSave(b *testing.B) {
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		b.Run(string(d), func(b *testing.B) {
			s := storetest.New(b, d)
			f := newFixture(b, s)
			c := f.signIn(b, registrarA)
			page := c.openCase(b, f.caseA, "text")
			var times []time.Duration
			b.ResetTimer()
			cpu := cputime.Process()
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				p := c.save(b, page, map[string]string{"textDxProcPe": "Examined, save " + strconv.Itoa(i)}, "HX-Request", "true")
				times = append(times, time.Since(start))
				if p.status != http.StatusOK || p.testid("saved").Length() != 1 {
					b.Fatalf("status %d, no saved message\n%s", p.status, excerpt(p.body))
				}
				page = p // the fragment is the form with the new versions
			}
			// The process's CPU time (the client's parsing included): steadier than the wall clock on a
			// shared machine.
			b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/1000/float64(max(len(times), 1)), "cpu-ms/op")
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			if len(times) > 0 {
				b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
			}
		})
	}
}
