package submission_test

import (
	"context"
	"os"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/schemas"
)

// BenchmarkImport imports a generated file of about 100,000 tumors (150 items each) into an
// empty store and reports tumors per second, on SQLite and on MySQL. The file is generated to
// disk before the timer starts: generating it through a pipe while importing (as this did until
// issue 20) timed the generator too, on the same cores.
func BenchmarkImport(b *testing.B) { benchmarkImport(b, false) }

// BenchmarkImportWithoutSecondaryIndexes is BenchmarkImport on a schema whose patients and
// tumors keep only the indexes the import reads by (and those MySQL's foreign keys need): the
// difference to BenchmarkImport is what the worklist's, the batches' and the follow-up's
// secondary indexes cost a bulk load.
func BenchmarkImportWithoutSecondaryIndexes(b *testing.B) { benchmarkImport(b, true) }

func benchmarkImport(b *testing.B, dropIndexes bool) {
	patients := 76_000 // about 100,000 tumors
	if testing.Short() {
		patients = 2_000
	}
	reg, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		b.Fatal(err)
	}
	path := generateFile(b, b.TempDir(), patients, 7)
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		b.Run(string(d), func(b *testing.B) {
			total := 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := storetest.New(b, d)
				if dropIndexes {
					dropSecondaryIndexes(b, s)
				}
				f := &store.Facility{Code: "BENCH", Name: "Bench"}
				if err := s.CreateFacility(context.Background(), f); err != nil {
					b.Fatal(err)
				}
				file, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				rd, err := naaccr.NewReader(file, naaccr.ReaderOptions{Registry: reg})
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
				file.Close()
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tumors/s")
			b.ReportMetric(float64(total)/float64(b.N), "tumors/op")
		})
	}
}

// dropSecondaryIndexes drops the indexes of patients and tumors but the ones the import looks
// its batch up by; MySQL refuses to drop those its foreign keys need, which stay.
func dropSecondaryIndexes(b *testing.B, s *store.Store) {
	b.Helper()
	ctx := context.Background()
	keep := map[string]bool{"idx_patients_facility_pid": true, "idx_tumors_patient_seq": true}
	var q string
	if s.Dialect() == store.DialectSQLite {
		q = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('patients', 'tumors') AND sql IS NOT NULL"
	} else {
		q = "SELECT DISTINCT index_name, table_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name IN ('patients', 'tumors') AND index_name <> 'PRIMARY'"
	}
	rows, err := s.DB().QueryContext(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	var names, tables []string
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			b.Fatal(err)
		}
		if !keep[n] {
			names, tables = append(names, n), append(tables, t)
		}
	}
	rows.Close()
	dropped := 0
	for i, n := range names {
		stmt := "DROP INDEX " + n
		if s.Dialect() == store.DialectMySQL {
			stmt += " ON " + tables[i]
		}
		if _, err := s.DB().ExecContext(ctx, stmt); err == nil {
			dropped++
		}
	}
	b.Logf("dropped %d of %d secondary indexes of patients and tumors", dropped, len(names))
}
