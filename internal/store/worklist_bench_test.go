package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/synth"
)

// benchTumors is how many tumors the worklist benchmark's big facility holds.
const benchTumors = 100_000

// worklistBench is a store filled for the worklist benchmark: one facility with benchTumors
// synthetic tumors (internal/synth: 150 items each, text included; one to three a patient),
// diagnosed 2018-2025, spread over the statuses and five registrars, with edit errors on some;
// and a small second facility.
type worklistBench struct {
	store      *store.Store
	big, small uint
	registrar  uint // one of the big facility's registrars
}

func newWorklistBench(b *testing.B, d store.Dialect) *worklistBench {
	return fillWorklistBench(b, storetest.New(b, d))
}

func fillWorklistBench(b testing.TB, s *store.Store) *worklistBench {
	b.Helper()
	ctx := context.Background()
	d := s.Dialect()
	wb := &worklistBench{store: s}
	start := time.Now()
	big := &store.Facility{Code: "BIG", Name: "Big"}
	small := &store.Facility{Code: "SMALL", Name: "Small"}
	for _, f := range []*store.Facility{big, small} {
		if err := s.CreateFacility(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	wb.big, wb.small = big.ID, small.ID
	var users []uint
	for i := range 5 {
		u := &store.User{Username: fmt.Sprintf("reg%d", i), DisplayName: fmt.Sprintf("Registrar %d", i), PasswordHash: "x", Role: "registrar", FacilityID: &big.ID}
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		users = append(users, u.ID)
	}
	wb.registrar = users[0]

	// Synthetic abstracts of a realistic size: 150 items a tumor, with three text items.
	gen, err := synth.NewGenerator(synth.Options{Patients: synth.MaxPatients, Seed: 1, TextItems: true})
	if err != nil {
		b.Fatal(err)
	}
	statuses := []string{"draft", "draft", "in_review", "returned", "approved", "submitted"}
	fill := func(facility uint, tumors int) {
		const batch = 1000 // patients a transaction
		for made, n := 0, 0; made < tumors; n++ {
			var pats []naaccr.Patient
			for len(pats) < batch && made < tumors {
				var p naaccr.Patient
				gen.Next(&p)
				p.Tumors = p.Tumors[:min(len(p.Tumors), tumors-made)]
				made += len(p.Tumors)
				pats = append(pats, p)
			}
			if _, err := s.ImportPatients(ctx, facility, statuses[n%len(statuses)], pats, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	fill(big.ID, benchTumors)
	fill(small.ID, 500)

	// Spread assignments, edit errors and change times over the cases, in a few statements.
	exec := func(q string, args ...any) {
		if _, err := s.DB().ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	for i, u := range users {
		exec("UPDATE tumors SET assigned_to = ? WHERE id % 6 = ?", u, i)
	}
	exec("UPDATE tumors SET edit_errors = 1 + id % 3 WHERE id % 7 = 0")
	if d == store.DialectSQLite {
		// As the store writes times; no ANALYZE, as a cara database never has one.
		exec("UPDATE tumors SET updated_at = strftime('%Y-%m-%d %H:%M:%S+00:00', '2025-01-01', '+' || (id * 7919 % 500000) || ' minutes')")
	} else {
		exec("UPDATE tumors SET updated_at = TIMESTAMPADD(MINUTE, id * 7919 % 500000, '2025-01-01')")
		// The updates above left a delete-marked entry beside every live one in most indexes,
		// which InnoDB purges in the background over the next minutes, and its statistics
		// follow a bulk change by themselves too. OPTIMIZE (for InnoDB a rebuild and ANALYZE)
		// brings about that steady state before the timing starts.
		exec("OPTIMIZE TABLE tumors, patients")
	}
	b.Logf("%s: %d tumors stored in %v", d, benchTumors+500, time.Since(start).Round(time.Millisecond))
	return wb
}

// BenchmarkWorklistPage times one worklist page (count and page of 50 rows, as the web page asks
// for it) with 100,000 tumors in the database, for a few typical filters and sorts.
func BenchmarkWorklistPage(b *testing.B) {
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		b.Run(string(d), func(b *testing.B) {
			wb := newWorklistBench(b, d)
			big := store.FacilityScope(wb.big)
			reg := wb.registrar
			breast := []store.SiteRange{{From: "C500", To: "C509"}}
			for _, q := range []struct {
				name string
				f    store.WorklistFilter
			}{
				{"default", store.WorklistFilter{Scope: big}},
				{"drafts-breast-2024-by-dx", store.WorklistFilter{Scope: big, Status: "draft", Sites: breast, DiagnosisYear: 2024, Sort: store.SortDiagnosis, Desc: true}},
				{"mine-with-errors-by-name", store.WorklistFilter{Scope: big, AssignedTo: &reg, WithEditErrors: true, Sort: store.SortName}},
				{"by-name-page-1000", store.WorklistFilter{Scope: big, Sort: store.SortName, Offset: 999 * 50}},
				{"by-mrn-desc", store.WorklistFilter{Scope: big, Sort: store.SortMRN, Desc: true}},
				{"by-site", store.WorklistFilter{Scope: big, Sort: store.SortSite}},
				{"by-status", store.WorklistFilter{Scope: big, Sort: store.SortStatus}},
				{"search-name", store.WorklistFilter{Scope: big, Search: "Smi"}},
				{"search-name-by-name", store.WorklistFilter{Scope: big, Search: "Smith, J", Sort: store.SortName}},
				{"search-mrn", store.WorklistFilter{Scope: big, Search: "MR1234"}},
				{"search-accession-approved", store.WorklistFilter{Scope: big, Search: "2024", Status: "approved"}},
				{"year-2023-last-page", store.WorklistFilter{Scope: big, DiagnosisYear: 2023, Offset: 12800}},
				{"admin-default", store.WorklistFilter{Scope: store.AllFacilities}},
				{"admin-in-review-by-updated", store.WorklistFilter{Scope: store.AllFacilities, Status: "in_review"}},
				{"small-facility", store.WorklistFilter{Scope: store.FacilityScope(wb.small), Sort: store.SortName}},
			} {
				q.f.Limit = 50
				b.Run(q.name, func(b *testing.B) {
					ctx := context.Background()
					var total int64
					for b.Loop() {
						rows, n, err := wb.store.WorklistPage(ctx, q.f)
						if err != nil {
							b.Fatal(err)
						}
						if n > 0 && len(rows) == 0 && int64(q.f.Offset) < n {
							b.Fatalf("%d cases but an empty page", n)
						}
						total = n
					}
					b.ReportMetric(float64(total), "cases")
				})
			}
		})
	}
}
