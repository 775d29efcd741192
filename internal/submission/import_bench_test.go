package submission_test

import (
	"context"
	"io"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/synth"
	"github.com/cara-registry/cara/schemas"
)

// BenchmarkImport imports a generated file of about 100,000 tumors (150 items each) into an
// empty store and reports tumors per second, on SQLite and on MySQL. The file streams from the
// generator through a pipe, as a file on disk would.
func BenchmarkImport(b *testing.B) {
	patients := 76_000 // about 100,000 tumors
	if testing.Short() {
		patients = 2_000
	}
	reg, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		b.Run(string(d), func(b *testing.B) {
			total := 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := storetest.New(b, d)
				f := &store.Facility{Code: "BENCH", Name: "Bench"}
				if err := s.CreateFacility(context.Background(), f); err != nil {
					b.Fatal(err)
				}
				pr, pw := io.Pipe()
				go func() {
					_, err := synth.Generate(context.Background(), pw, synth.Options{Patients: patients, Seed: 7, TextItems: true})
					pw.CloseWithError(err)
				}()
				rd, err := naaccr.NewReader(pr, naaccr.ReaderOptions{Registry: reg})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				st, err := submission.Import(context.Background(), rd, s, submission.ImportOptions{FacilityID: f.ID, Status: "draft", BatchSize: 500})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if st.RejectedCount > 0 {
					b.Fatalf("%d patients rejected: %+v", st.RejectedCount, st.Rejected[0])
				}
				total += st.TumorsCreated
				pr.Close()
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tumors/s")
			b.ReportMetric(float64(total)/float64(b.N), "tumors/op")
		})
	}
}
