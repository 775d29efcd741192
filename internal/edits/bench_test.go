package edits_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/synth"
)

// Speed figures of the edits (README): run with the reference file of gen_naaccr.py in
// CARA_BENCH_REF, or on a synthetic file of the same shape without it.

var (
	refOnce sync.Once
	refData []byte
	refErr  error
)

func benchFile(b *testing.B) []byte {
	refOnce.Do(func() {
		if p := os.Getenv("CARA_BENCH_REF"); p != "" {
			refData, refErr = os.ReadFile(p)
			return
		}
		var buf bytes.Buffer
		_, refErr = synth.Generate(context.Background(), &buf, synth.Options{Patients: 20000, Seed: 26, TextItems: true})
		refData = buf.Bytes()
	})
	if refErr != nil {
		b.Fatal(refErr)
	}
	return refData
}

func benchRegistry(b *testing.B) *naaccr.Registry {
	reg, err := naaccr.LoadRegistry(os.DirFS("../../schemas"))
	if err != nil {
		b.Fatal(err)
	}
	return reg
}

// BenchmarkBatchEndToEnd: read the file, run the field and inter-field edits, count the results
// (target: 10,000 tumors/s on one core; more with workers).
func BenchmarkBatchEndToEnd(b *testing.B) {
	data := benchFile(b)
	set := loadSet(b)
	reg := benchRegistry(b)
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "1-worker", 2: "2-workers"}[workers], func(b *testing.B) {
			tumors := 0
			for i := 0; i < b.N; i++ {
				rd, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg})
				if err != nil {
					b.Fatal(err)
				}
				err = set.RunReader(context.Background(), rd, edits.BatchOptions{Workers: workers}, func(pr *edits.PatientResult) error {
					tumors += len(pr.Patient.Tumors)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tumors)/b.Elapsed().Seconds(), "tumors/s")
		})
	}
}

// BenchmarkEvaluate: the edits alone on tumors already in memory, one core (target: 30,000
// tumors/s for the full set, the staging edits included).
func BenchmarkEvaluate(b *testing.B) { benchEvaluate(b, loadSet(b)) }

// BenchmarkEvaluateWithoutStaging: the same without the staging edits, to see what staging costs
// (the engine's Stage, once per tumor).
func BenchmarkEvaluateWithoutStaging(b *testing.B) {
	dict, tables := loadDeps(b)
	set, err := edits.Load(os.DirFS("../../schemas"), dict, tables, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchEvaluate(b, set)
}

func benchEvaluate(b *testing.B, set *edits.Set) {
	data := benchFile(b)
	rd, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: benchRegistry(b)})
	if err != nil {
		b.Fatal(err)
	}
	var pats []naaccr.Patient
	tumors := 0
	for len(pats) < 5000 {
		var p naaccr.Patient
		if err := rd.Next(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			b.Fatal(err)
		}
		pats = append(pats, p)
		tumors += len(p.Tumors)
	}
	r := set.NewRunner()
	var out []edits.Result
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range pats {
			out, err = r.Patient(&pats[j], out[:0])
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(tumors*b.N)/b.Elapsed().Seconds(), "tumors/s")
}

// BenchmarkInlineTumor: one tumor through the full set, as a save does (target: under 2 ms).
func BenchmarkInlineTumor(b *testing.B) {
	set := loadSet(b)
	r := set.NewRunner()
	patient := map[string]string{"dateOfBirth": "19580312", "sexAssignedAtBirth": "2", "dateOfLastContact": "20260110", "vitalStatus": "1"}
	tumor := map[string]string{"dateOfDiagnosis": "20250105", "primarySite": "C504", "laterality": "1", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "diagnosticConfirmation": "1", "classOfCase": "10", "sequenceNumberHospital": "00"}
	p := naaccr.Patient{Items: patient, Tumors: []naaccr.Tumor{{Items: tumor}}}
	var out []edits.Result
	var err error
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err = r.Patient(&p, out[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
