package fhirintake

import (
	"os"
	"testing"
)

// BenchmarkMapBundle maps the example bundle (a patient, a primary breast cancer, stage, ER,
// surgery, chemotherapy, hormone therapy): bundles/s on one core is the figure.
func BenchmarkMapBundle(b *testing.B) {
	m := testMapping(b)
	raw, err := os.ReadFile("testdata/breast.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if r := m.Map(raw, today); len(r.Suggestions) == 0 {
			b.Fatal("nothing suggested")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bundles/s")
}
