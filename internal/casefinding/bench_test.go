package casefinding_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

var benchLast = []string{"Hale", "Ortiz", "Nakamura", "Brown", "Okafor", "Smith", "Garcia", "Nguyen", "Kowalski", "Haddad", "Jensen", "Rossi"}
var benchFirst = []string{"Anne", "Luis", "Emi", "Tom", "Ada", "John", "Maria", "Linh", "Piotr", "Samir", "Karen", "Luca"}
var benchCodes = []string{"C50.912", "C34.90", "C61", "C18.7", "C44.311", "Z85.3", "J18.9", "D06.9", "C92.00", "Z51.11", "I10", "D05.11"}

// casefindingFile is a casefinding file of n rows whose MRNs are those of the registry's
// patients for one row in three (so matching finds them) and new ones otherwise; tag makes its
// rows new to a list that holds an earlier file's.
func casefindingFile(n, patients int, tag string, rng *rand.Rand) []byte {
	var b bytes.Buffer
	b.WriteString("mrn,last_name,first_name,date_of_birth,sex,encounter_date,icd10cm_codes,source,text\n")
	for i := range n {
		p := rng.IntN(patients)
		mrn := fmt.Sprintf("%d", 100000+p)
		if i%3 != 0 {
			mrn = fmt.Sprintf("N%d", 500000+i)
			p = rng.IntN(patients * 4) // names and birth dates of others, some shared
		}
		codes := benchCodes[rng.IntN(len(benchCodes))]
		if rng.IntN(4) == 0 {
			codes += ";" + benchCodes[rng.IntN(len(benchCodes))]
		}
		fmt.Fprintf(&b, "%s,%s,%s,%d%02d%02d,%s,2026%02d%02d,%s,disease index,%s %d\n", mrn, benchLast[p%len(benchLast)],
			benchFirst[(p/7)%len(benchFirst)], 1930+p%60, 1+p%12, 1+p%28, []string{"M", "F"}[p%2], 1+i%10, 1+i%28, codes, tag, i)
	}
	return b.Bytes()
}

// BenchmarkImport50000 imports a 50,000-row casefinding file, screened and matched against a
// registry of 10,000 patients, into SQLite. Target: at least 5,000 rows/s.
func BenchmarkImport50000(b *testing.B) {
	const rows, patients = 50_000, 10_000
	s := storetest.New(b, store.DialectSQLite)
	ctx := context.Background()
	fac := &store.Facility{Code: "BENCH", Name: "Bench"}
	if err := s.CreateFacility(ctx, fac); err != nil {
		b.Fatal(err)
	}
	var pats []naaccr.Patient
	for p := range patients {
		pats = append(pats, naaccr.Patient{
			Items: map[string]string{"patientIdNumber": fmt.Sprintf("%08d", p+1), "nameLast": benchLast[p%len(benchLast)],
				"nameFirst": benchFirst[(p/7)%len(benchFirst)], "dateOfBirth": fmt.Sprintf("%d%02d%02d", 1930+p%60, 1+p%12, 1+p%28),
				"sexAssignedAtBirth": []string{"1", "2"}[p%2]},
			Tumors: []naaccr.Tumor{{Items: map[string]string{"medicalRecordNumber": fmt.Sprintf("%d", 100000+p), "sequenceNumberHospital": "00",
				"primarySite": []string{"C509", "C349", "C619", "C187"}[p%4], "dateOfDiagnosis": "20250101"}}},
		})
		if len(pats) == 1000 {
			if _, err := s.ImportPatients(ctx, fac.ID, "approved", pats, nil); err != nil {
				b.Fatal(err)
			}
			pats = pats[:0]
		}
	}
	svc := casefinding.New(s, loadLists(b), nil, func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) })
	a := casefinding.Actor{Scope: store.AllFacilities}
	rng := rand.New(rand.NewPCG(1, 2))
	var elapsed time.Duration
	n := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		file := casefindingFile(rows, patients, fmt.Sprintf("run%d", i), rng)
		b.StartTimer()
		start := time.Now()
		sum, err := svc.Import(ctx, a, fac.ID, bytes.NewReader(file), "bench.csv", "other")
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Added != rows || len(sum.Errors) != 0 {
			b.Fatalf("added %d of %d, %d errors (%v)", sum.Added, rows, len(sum.Errors), sum.Errors[:min(3, len(sum.Errors))])
		}
		n++
	}
	b.ReportMetric(float64(rows*n)/elapsed.Seconds(), "rows/s")
}
