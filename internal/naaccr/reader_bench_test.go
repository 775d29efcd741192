package naaccr_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
)

// BenchmarkReadReferenceFile reads the reference file of ../shared/bench/gen_naaccr.py with full
// validation. Make it with
//
//	python3 ../shared/bench/gen_naaccr.py ../shared/naaccr/dictionaries/naaccr-dictionary-260.xml 20000 /tmp/ref.xml
//
// and point CARA_BENCH_REF at it; the benchmark is skipped without it.
func BenchmarkReadReferenceFile(b *testing.B) {
	path := os.Getenv("CARA_BENCH_REF")
	if path == "" {
		b.Skip("set CARA_BENCH_REF to the reference file made by gen_naaccr.py")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	reg := testRegistry(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg})
		if err != nil {
			b.Fatal(err)
		}
		var p naaccr.Patient
		tumors, problems := 0, 0
		for {
			err := r.Next(&p)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			tumors += len(p.Tumors)
			problems += len(r.Problems())
		}
		b.ReportMetric(float64(tumors), "tumors/op")
		b.ReportMetric(float64(problems), "problems/op")
	}
}
