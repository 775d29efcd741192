package naaccr_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/cputime"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/synth"
)

// The speed figures of the README are measured on the reference file of
// ../shared/bench/gen_naaccr.py (20,000 patients, 24,983 tumors, 278 MB):
//
//	python3 ../shared/bench/gen_naaccr.py ../shared/naaccr/dictionaries/naaccr-dictionary-260.xml 20000 /tmp/ref.xml
//	CARA_BENCH_REF=/tmp/ref.xml make bench
//
// Without CARA_BENCH_REF the benchmarks use a file of the same shape made by internal/synth.

var (
	benchFileOnce sync.Once
	benchFile     []byte
	benchFileErr  error
)

func referenceFile(b *testing.B) []byte {
	benchFileOnce.Do(func() {
		if path := os.Getenv("CARA_BENCH_REF"); path != "" {
			benchFile, benchFileErr = os.ReadFile(path)
			return
		}
		var buf bytes.Buffer
		_, benchFileErr = synth.Generate(context.Background(), &buf, synth.Options{Patients: 20000, Seed: 26, TextItems: true})
		benchFile = buf.Bytes()
	})
	if benchFileErr != nil {
		b.Fatal(benchFileErr)
	}
	return benchFile
}

// BenchmarkRead reads the reference file with full validation, values kept (target: 250 MB/s
// or more). The read benchmarks also report the process's CPU time per read (cpu-ms/op), the
// figure to quote on a machine shared with other jobs.
func BenchmarkRead(b *testing.B) {
	benchReadWith(b, naaccr.ReaderOptions{})
}

// BenchmarkReadWriteCopy reads the reference file and writes a copy to disk (target: < 2.5 s).
func BenchmarkReadWriteCopy(b *testing.B) {
	data := referenceFile(b)
	reg := testRegistry(b)
	out := filepath.Join(b.TempDir(), "copy.xml")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu := cputime.Process()
	defer func() { b.ReportMetric(float64((cputime.Process()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op") }()
	for i := 0; i < b.N; i++ {
		f, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		rd, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg})
		if err != nil {
			b.Fatal(err)
		}
		info := rd.Info()
		w, err := naaccr.NewWriter(f, info.Schema.Base, naaccr.Header{RecordType: info.RecordType, RootItems: info.RootItems, UserDictionaries: info.Schema.User})
		if err != nil {
			b.Fatal(err)
		}
		var p naaccr.Patient
		for {
			err := rd.Next(&p)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if err := w.WritePatient(&p); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadHeap streams generated files of 10,000 and 1,000,000 tumors through the reader
// (generator → pipe → reader, so nothing is held whole) and reports the peak live heap of the
// process while reading (target: under 32 MiB, the same for both sizes). The figure is the live
// heap after a collection forced every 500 patients (/gc/heap/live:bytes) above the live heap just before reading: what
// other benchmarks left in memory (referenceFile holds the reference file in a package variable)
// does not count, nor does the garbage the collector lets grow in proportion to it.
func BenchmarkReadHeap(b *testing.B) {
	for _, tc := range []struct {
		name     string
		patients int
	}{
		{"10k-tumors", 7_650},
		{"1M-tumors", 765_000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			reg := testRegistry(b)
			for i := 0; i < b.N; i++ {
				pr, pw := io.Pipe()
				go func() {
					_, err := synth.Generate(context.Background(), pw, synth.Options{Patients: tc.patients, Seed: 1, TextItems: true})
					pw.CloseWithError(err)
				}()
				sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
				runtime.GC()
				metrics.Read(sample)
				base := sample[0].Value.Uint64()
				peak := base
				rd, err := naaccr.NewReader(pr, naaccr.ReaderOptions{Registry: reg})
				if err != nil {
					b.Fatal(err)
				}
				var p naaccr.Patient
				tumors := 0
				for n := 0; ; n++ {
					err := rd.Next(&p)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					tumors += len(p.Tumors)
					if n%500 == 0 {
						// A collection here makes the live figure current whatever the
						// pacer's headroom; the held reference file has no pointers, so
						// it costs little to mark.
						runtime.GC()
						metrics.Read(sample)
						peak = max(peak, sample[0].Value.Uint64())
					}
				}
				b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(tumors), "tumors")
			}
		})
	}
}

// BenchmarkEncodingXMLTokens is the yardstick for the choice of tokenizer: encoding/xml only
// tokenizing the same file, with no NAACCR validation and no values kept.
func BenchmarkEncodingXMLTokens(b *testing.B) {
	data := referenceFile(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkReadCheckOnly reads the reference file as `cara naaccr validate` does: every value
// checked, none kept.
func BenchmarkReadCheckOnly(b *testing.B) {
	benchReadWith(b, naaccr.ReaderOptions{CheckOnly: true})
}

// BenchmarkReadWorkers reads the reference file with full validation, values kept, with the
// patients parsed on 2 workers (the figure for 2 cores).
func BenchmarkReadWorkers(b *testing.B) {
	benchReadWith(b, naaccr.ReaderOptions{Workers: 2})
}

func benchReadWith(b *testing.B, opt naaccr.ReaderOptions) {
	data := referenceFile(b)
	opt.Registry = testRegistry(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; i < b.N; i++ {
		rd, err := naaccr.NewReader(bytes.NewReader(data), opt)
		if err != nil {
			b.Fatal(err)
		}
		var p naaccr.Patient
		tumors, problems := 0, 0
		for {
			err := rd.Next(&p)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			tumors += len(p.Tumors)
			problems += len(rd.Problems())
		}
		b.ReportMetric(float64(tumors), "tumors/op")
		b.ReportMetric(float64(problems), "problems/op")
	}
	b.ReportMetric(float64((cputime.Process()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}
