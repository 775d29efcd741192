package submission_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/synth"
)

// BenchmarkBatchMySQL writes a submission batch of about 100,000 approved tumors (150 items
// each) from MySQL: pre-flight edits, the file, and the transaction that records the batch and
// marks every case submitted. The store is filled once (about a minute); each iteration puts the
// cases back to approved first. It reports tumors/s and the peak heap seen while a batch ran.
func BenchmarkBatchMySQL(b *testing.B) {
	patients := 76_000 // about 100,000 tumors
	if testing.Short() {
		patients = 2_000
	}
	ctx := context.Background()
	s := storetest.New(b, store.DialectMySQL)
	deps, err := loadBatchDeps()
	if err != nil {
		b.Fatal(err)
	}
	fac := &store.Facility{Code: "BENCH", Name: "Bench", IDNumber: "0000000001"}
	if err := s.CreateFacility(ctx, fac); err != nil {
		b.Fatal(err)
	}
	gen, err := synth.NewGenerator(synth.Options{Patients: patients, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]naaccr.Patient, 0, 500)
	flush := func() {
		if _, err := s.ImportPatients(ctx, fac.ID, "approved", chunk); err != nil {
			b.Fatal(err)
		}
		chunk = chunk[:0]
	}
	for {
		var p naaccr.Patient
		if !gen.Next(&p) {
			break
		}
		if chunk = append(chunk, p); len(chunk) == cap(chunk) {
			flush()
		}
	}
	if len(chunk) > 0 {
		flush()
	}
	ts := &timedStore{Store: s}
	bt := &submission.Batcher{Store: ts, Edits: deps.edits, Formats: deps.formats, Dir: b.TempDir(),
		Now: func() time.Time { return storetest.Clock }}
	opt := submission.BatchOptions{FacilityID: fac.ID, Scope: store.AllFacilities}

	var sent, held int
	var peak atomic.Uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, q := range []string{"DELETE FROM submission_tumors", "DELETE FROM submissions",
			"UPDATE tumors SET status = 'approved' WHERE status = 'submitted'"} {
			if _, err := s.DB().ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		done := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
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
		if err != nil {
			b.Fatal(err)
		}
		sent += res.Tumors
		held += res.HeldCount
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "tumors/s")
	b.ReportMetric(float64(sent)/float64(b.N), "tumors/op")
	b.ReportMetric(float64(held)/float64(b.N), "held/op")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(ts.record.Seconds()/float64(b.N), "record-s/op")
}

// timedStore measures the transaction that records a batch, apart from reading and writing.
type timedStore struct {
	*store.Store
	record time.Duration
}

func (t *timedStore) RecordSubmission(ctx context.Context, in store.NewSubmission, place func(string) error) (*store.Submission, error) {
	start := time.Now()
	defer func() { t.record += time.Since(start) }()
	return t.Store.RecordSubmission(ctx, in, place)
}
