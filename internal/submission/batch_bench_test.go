package submission_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/synth"
)

// BenchmarkBatchMySQL writes a submission batch of about 100,000 approved tumors (150 items
// each) from MySQL: pre-flight edits, the file, and the transaction that records the batch and
// marks every case submitted.
//
// The cases are what a registry would approve: synthetic patients whose tumors pass the edit set,
// plus about 1% of tumors with error failures (held back), as slips past approval would be.
// CARA_BENCH_TUMORS sets the number of tumors (default 100,000; 2,000 with -short).
//
// The fill takes a few minutes, so it is kept in a database of its own (cara_bench_batch_N)
// and reused by the next run; CARA_BENCH_REFILL=1 makes it again. Before each iteration, outside
// the timer, the cases are put back to approved and the earlier batches removed.
//
// It reports tumors/s (sent), seconds per batch, the peak heap in use while a batch ran, and
// the time of each phase (see submission.BatchTiming).
func BenchmarkBatchMySQL(b *testing.B) {
	target := 100_000
	if testing.Short() {
		target = 2_000
	}
	if v := os.Getenv("CARA_BENCH_TUMORS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("CARA_BENCH_TUMORS=%q: want a positive number", v)
		}
		target = n
	}
	ctx := context.Background()
	deps, err := loadBatchDeps()
	if err != nil {
		b.Fatal(err)
	}
	s, fac := benchStore(b, ctx, target, deps.edits)
	dir := b.TempDir()
	bt := &submission.Batcher{Store: s, Edits: deps.edits, Formats: deps.formats, Dir: dir,
		Now: func() time.Time { return storetest.Clock }}
	opt := submission.BatchOptions{FacilityID: fac.ID, Scope: store.AllFacilities}

	var sent, held, warned int
	var peak, peakLive atomic.Uint64
	var timing submission.BatchTiming
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		resetBench(b, ctx, s, fac.ID)
		runtime.GC()
		done := make(chan struct{})
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			var ms runtime.MemStats
			live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				// The heap marked live by the last GC: what the batch holds, without the
				// garbage that waits for the next one.
				metrics.Read(live)
				if v := live[0].Value.Uint64(); v > peakLive.Load() {
					peakLive.Store(v)
				}
				select {
				case <-done:
					return
				case <-t.C:
				}
			}
		}()
		b.StartTimer()
		res, err := bt.Create(ctx, opt)
		b.StopTimer()
		close(done)
		<-stopped
		if err != nil {
			b.Fatal(err)
		}
		// The kernel writes the file's gigabyte to disk after the batch; the next iteration must
		// not pay for it.
		if f, err := os.Open(filepath.Join(dir, res.Submission.FileName)); err == nil {
			f.Sync()
			f.Close()
		}
		sent += res.Tumors
		held += res.HeldCount
		warned += res.WarnedCount
		timing.Add(res.Timing)
		// The bulk audit events must chain like any others.
		if v, err := audit.Verify(ctx, s, storetest.AuditKey, nil); err != nil || v.Break != nil {
			b.Fatalf("audit chain after the batch: %+v (%v)", v, err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "tumors/s")
	b.ReportMetric(b.Elapsed().Seconds()/n, "s/batch")
	b.ReportMetric(float64(sent)/n, "tumors/op")
	b.ReportMetric(float64(held)/n, "held/op")
	b.ReportMetric(float64(warned)/n, "warned/op")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakLive.Load())/(1<<20), "peak-live-MB")
	b.ReportMetric(timing.Read.Seconds()/n, "read-s")
	b.ReportMetric(timing.Edits.Seconds()/n, "edits-s")
	b.ReportMetric(timing.Write.Seconds()/n, "write-s")
	b.ReportMetric(timing.Record.Seconds()/n, "record-s")
	b.Logf("tumors %d, held %d, load: %s", sent/b.N, held/b.N, loadAvg())
}

// benchStore opens the benchmark's database of target tumors, filling it when it does not hold
// them yet (or CARA_BENCH_REFILL=1).
func benchStore(b *testing.B, ctx context.Context, target int, set *edits.Set) (*store.Store, *store.Facility) {
	base := os.Getenv("CARA_TEST_MYSQL_DSN")
	if base == "" {
		base = storetest.DefaultMySQLDSN
	}
	cfg, err := mysqldriver.ParseDSN(base)
	if err != nil {
		b.Fatalf("CARA_TEST_MYSQL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		b.Skipf("MySQL at %s is not reachable: %v", cfg.Addr, err)
	}
	name := fmt.Sprintf("cara_bench_batch_%d", target)
	if os.Getenv("CARA_BENCH_REFILL") == "1" {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		b.Fatal(err)
	}
	cfg.DBName = name
	s, err := store.Open(ctx, store.Config{MySQLDSN: cfg.FormatDSN(), Now: func() time.Time { return storetest.Clock }, AuditKey: storetest.AuditKey})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var fac store.Facility
	var count int
	err = s.DB().QueryRowContext(ctx, "SELECT id FROM facilities WHERE code = 'BENCH'").Scan(&fac.ID)
	if err == nil {
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM tumors WHERE facility_id = ? AND status IN ('approved', 'submitted')", fac.ID).Scan(&count); err != nil {
			b.Fatal(err)
		}
		if count >= target {
			b.Logf("reusing %s: %d tumors", name, count)
			return s, &fac
		}
		b.Fatalf("%s holds %d of %d tumors (an interrupted fill?): run with CARA_BENCH_REFILL=1", name, count, target)
	}
	if err != sql.ErrNoRows {
		b.Fatal(err)
	}
	start := time.Now()
	fac = store.Facility{Code: "BENCH", Name: "Bench", IDNumber: "0000000001"}
	if err := s.CreateFacility(ctx, &fac); err != nil {
		b.Fatal(err)
	}
	gen, err := synth.NewGenerator(synth.Options{Patients: synth.MaxPatients, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	runner := set.NewRunner()
	chunk := make([]naaccr.Patient, 0, 500)
	flush := func() {
		if _, err := s.ImportPatients(ctx, fac.ID, "approved", chunk, nil); err != nil {
			b.Fatal(err)
		}
		chunk = chunk[:0]
	}
	var (
		results        []edits.Result
		kept, held, in int
	)
	for kept < target {
		var p naaccr.Patient
		if !gen.Next(&p) {
			break
		}
		in++
		if results, err = runner.Patient(&p, results[:0]); err != nil {
			b.Fatal(err)
		}
		failing := false
		for _, r := range results {
			failing = failing || r.Severity == edits.SeverityError
		}
		// Keep every clean patient, and failing ones while they make up under 1% of the tumors.
		if failing {
			if (held+len(p.Tumors))*100 > target {
				continue
			}
			held += len(p.Tumors)
		}
		kept += len(p.Tumors)
		if chunk = append(chunk, p); len(chunk) == cap(chunk) {
			flush()
		}
	}
	if len(chunk) > 0 {
		flush()
	}
	b.Logf("filled %s in %s: %d tumors (%d failing the edits) of %d patients generated", name, time.Since(start).Round(time.Second), kept, held, in)
	return s, &fac
}

// resetBench puts the facility's cases back to approved and removes the earlier batches, so that
// every iteration sends the same cases.
func resetBench(b *testing.B, ctx context.Context, s *store.Store, facilityID uint) {
	for _, q := range []string{"DELETE FROM submission_tumors", "DELETE FROM submissions",
		"UPDATE tumors SET status = 'approved' WHERE status = 'submitted' AND facility_id = ?"} {
		var args []any
		if len(q) > 7 && q[:6] == "UPDATE" {
			args = append(args, facilityID)
		}
		if _, err := s.DB().ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	// InnoDB purges the old versions of the rows just changed and writes the changed pages to disk
	// in the background; a batch timed while it does would pay for the reset (and the last
	// iteration) too. Wait for both, a minute at most.
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(200 * time.Millisecond) {
		var history, name string
		var dirty int64
		err := s.DB().QueryRowContext(ctx, "SELECT count FROM information_schema.INNODB_METRICS WHERE name = 'trx_rseg_history_len'").Scan(&history)
		if err == nil {
			err = s.DB().QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'").Scan(&name, &dirty)
		}
		if n, _ := strconv.Atoi(history); err != nil || (n < 1000 && dirty < 200) {
			break
		}
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return string(b[:len(b)-1])
}
