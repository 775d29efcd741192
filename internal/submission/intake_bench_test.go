package submission_test

import (
	"bufio"
	"context"
	"github.com/cara-registry/cara/internal/cputime"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/synth"
)

// generateFile writes a synthetic file of about 1.3 tumors per patient into dir.
func generateFile(b *testing.B, dir string, patients int, seed int64) string {
	b.Helper()
	path := filepath.Join(dir, "intake.xml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	if _, err := synth.Generate(context.Background(), w, synth.Options{Patients: patients, Seed: seed, TextItems: true}); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path
}

// peakHeap samples the live heap until stop is closed and returns the largest value seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// BenchmarkIntake100k checks a generated file of about 100,000 tumors (150 items each) end to
// end as the background job does, with one edit worker, on SQLite: parse, edits, duplicate
// look-ups, stored failures (capped) and report counts. It reports tumors/s and the peak heap.
func BenchmarkIntake100k(b *testing.B) { benchIntake(b, 76_000) }

// BenchmarkIntake10k is the same on a tenth of the file: the peak heap should be the same.
func BenchmarkIntake10k(b *testing.B) { benchIntake(b, 7_600) }

func benchIntake(b *testing.B, patients int) {
	if testing.Short() {
		patients = 2_000
	}
	path := generateFile(b, b.TempDir(), patients, 7)
	b.ResetTimer() // the file's generation is not the intake's time
	total := 0
	var peak uint64
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := storetest.New(b, store.DialectSQLite)
		fac := newFacility(b, s, "BENCH")
		in := queue(b, s, fac.ID, path)
		k := newIntaker(b, s)
		k.ProgressEvery, k.Workers = 0, 1
		runtime.GC()
		stop := make(chan struct{})
		heap := peakHeap(stop)
		cpu0 := cputime.Process()
		b.StartTimer()
		runQueued(b, k)
		b.StopTimer()
		cpu += cputime.Process() - cpu0
		close(stop)
		peak = max(peak, <-heap)
		got := loadIntake(b, s, in.ID)
		if got.State != store.IntakeDone {
			b.Fatalf("state %s: %s", got.State, got.Error)
		}
		total += got.Tumors
		b.Logf("%d patients, %d tumors: %d error and %d warning failures, %d stored, %d acceptable, %d duplicates",
			got.Patients, got.Tumors, got.EditErrors, got.EditWarnings, got.FailuresStored, got.AcceptableTumors, got.Duplicates)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tumors/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-µs/tumor")
}

// BenchmarkEditsOnly100k is the plain batch edit run (cara edits run's RunReader, one worker)
// over the same file as BenchmarkIntake100k: the speed the intake is to reach, measured in the
// same conditions.
func BenchmarkEditsOnly100k(b *testing.B) { benchEditsOnly(b, 76_000) }

// BenchmarkEditsOnly10k is the same on the file of BenchmarkIntake10k.
func BenchmarkEditsOnly10k(b *testing.B) { benchEditsOnly(b, 7_600) }

func benchEditsOnly(b *testing.B, patients int) {
	if testing.Short() {
		patients = 2_000
	}
	path := generateFile(b, b.TempDir(), patients, 7)
	set, err := editSet()
	if err != nil {
		b.Fatal(err)
	}
	reg, err := registry()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	tumors := 0
	runtime.GC()
	stop := make(chan struct{})
	heap := peakHeap(stop)
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		rd, err := naaccr.NewReader(f, naaccr.ReaderOptions{Registry: reg})
		if err != nil {
			b.Fatal(err)
		}
		err = set.RunReader(context.Background(), rd, edits.BatchOptions{Workers: 1}, func(pr *edits.PatientResult) error {
			tumors += len(pr.Patient.Tumors)
			return nil
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cputime.Process() - cpu0
	close(stop)
	b.ReportMetric(float64(tumors)/b.Elapsed().Seconds(), "tumors/s")
	b.ReportMetric(float64(<-heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(cpu.Microseconds())/float64(tumors), "cpu-µs/tumor")
}

// BenchmarkWorklistDuringIntakes measures the worklist query (the page's one query) while two
// large intakes run side by side on the same SQLite store, and reports its p95 in milliseconds.
func BenchmarkWorklistDuringIntakes(b *testing.B) {
	patients := 20_000
	if testing.Short() {
		patients = 1_000
	}
	dir := b.TempDir()
	p1 := generateFile(b, dir, patients, 1)
	p2 := filepath.Join(dir, "second.xml")
	if err := os.Rename(generateFile(b, b.TempDir(), patients, 2), p2); err != nil {
		b.Fatal(err)
	}
	s := storetest.New(b, store.DialectSQLite)
	fac := newFacility(b, s, "BENCH")
	ctx := context.Background()
	// Cases to list: accept a small file first.
	small := generateFile(b, b.TempDir(), 500, 3)
	k := newIntaker(b, s)
	k.ProgressEvery = 0
	seed := queue(b, s, fac.ID, small)
	runQueued(b, k)
	if _, err := k.Accept(ctx, seed.ID, store.AllFacilities, nil, ""); err != nil {
		b.Fatal(err)
	}
	queue(b, s, fac.ID, p1)
	queue(b, s, fac.ID, p2)
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&submission.Runner{Intaker: k, Workers: 2}).Run(runCtx)
	}()
	time.Sleep(200 * time.Millisecond) // both jobs under way
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(fac.ID), Limit: 50}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	slices.Sort(lat)
	p95 := lat[len(lat)*95/100]
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkAccept100k imports the acceptable records of a checked file of about 100,000 tumors
// (about 40% of them pass) into an empty store, on SQLite and on MySQL, as the accept button
// does. tumors/s counts the file's tumors (all are read and checked again); created/s the
// tumors stored.
func BenchmarkAccept100k(b *testing.B) {
	patients := 76_000
	if testing.Short() {
		patients = 2_000
	}
	path := generateFile(b, b.TempDir(), patients, 7)
	ctx := context.Background()
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		b.Run(string(d), func(b *testing.B) {
			total, created := 0, 0
			var peak uint64
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := storetest.New(b, d)
				fac := newFacility(b, s, "BENCH")
				in := queue(b, s, fac.ID, path)
				k := newIntaker(b, s)
				k.ProgressEvery, k.Workers, k.BatchSize = 0, 1, 0
				runQueued(b, k)
				runtime.GC()
				stop := make(chan struct{})
				heap := peakHeap(stop)
				cpu0 := cputime.Process()
				b.StartTimer()
				res, err := k.Accept(ctx, in.ID, store.AllFacilities, nil, "")
				b.StopTimer()
				cpu += cputime.Process() - cpu0
				close(stop)
				peak = max(peak, <-heap)
				if err != nil {
					b.Fatal(err)
				}
				got := loadIntake(b, s, in.ID)
				total += got.Tumors
				created += res.TumorsCreated
				b.Logf("%s", res.Summary())
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tumors/s")
			b.ReportMetric(float64(created)/b.Elapsed().Seconds(), "created/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-µs/tumor")
		})
	}
}
