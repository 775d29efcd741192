package followup_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/followup"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// benchTumors is the size of the benchmark's facility.
const benchTumors = 100_000

// fillFollowUp stores a facility of n tumors (one or two a patient) with dates of last contact
// spread over 2015-2026, a fifth of the patients dead, and the classes of case of a hospital
// registry, and returns its id.
func fillFollowUp(b testing.TB, s *store.Store, n int) uint {
	b.Helper()
	ctx := context.Background()
	fac := &store.Facility{Code: "BIG", Name: "Big"}
	if err := s.CreateFacility(ctx, fac); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	classes := []string{"10", "14", "14", "00", "20", "22", "32", "43"}
	sites := []string{"C509", "C341", "C619", "C180", "C189", "C739", "C445", "C530"}
	physicians := []string{"11111111", "22222222", "33333333", "44444444"}
	for made, pid := 0, 0; made < n; {
		var pats []naaccr.Patient
		for len(pats) < 1000 && made < n {
			pid++
			dlc := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(12*365)).Format("20060102")
			vital := "1"
			if r.IntN(5) == 0 {
				vital = "0"
			}
			p := naaccr.Patient{Items: map[string]string{"patientIdNumber": fmt.Sprintf("%08d", pid), "nameLast": fmt.Sprintf("Name%d", pid),
				"nameFirst": "Pat", "dateOfBirth": "19500101", "vitalStatus": vital, "dateOfLastContact": dlc,
				"addrCurrentCity": "Springfield", "addrCurrentState": "IL"}}
			for j := range 1 + r.IntN(2) {
				if made >= n {
					break
				}
				made++
				p.Tumors = append(p.Tumors, naaccr.Tumor{Items: map[string]string{
					"sequenceNumberHospital": fmt.Sprintf("%02d", j), "dateOfDiagnosis": "20180105", "classOfCase": classes[r.IntN(len(classes))],
					"primarySite": sites[r.IntN(len(sites))], "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3",
					"physicianFollowUp": physicians[r.IntN(len(physicians))], "nextFollowUpSource": "1",
					"followUpContactName": "Contact", "followUpContactCity": "Springfield", "medicalRecordNumber": fmt.Sprintf("M%07d", pid),
				}})
			}
			pats = append(pats, p)
		}
		if _, err := s.ImportPatients(ctx, fac.ID, "submitted", pats, nil); err != nil {
			b.Fatal(err)
		}
	}
	return fac.ID
}

// BenchmarkDueList is the due list of a facility of 100,000 tumors on SQLite: the count and the
// first page of 100, with the audit event (the target is under 50 ms).
func BenchmarkDueList(b *testing.B) {
	s := storetest.New(b, store.DialectSQLite)
	fac := fillFollowUp(b, s, benchTumors)
	svc := followup.New(s, nil, nil, nil, followup.Options{Now: func() time.Time { return today }})
	a := followup.Actor{Role: auth.RoleRegistrar, Scope: store.FacilityScope(fac)}
	for _, q := range []struct {
		name string
		q    followup.DueQuery
	}{
		{"all", followup.DueQuery{Scope: a.Scope, Limit: 100}},
		{"month", followup.DueQuery{Scope: a.Scope, Month: "202603", Limit: 100}},
		{"physician", followup.DueQuery{Scope: a.Scope, Physician: "22222222", Limit: 100}},
	} {
		b.Run(q.name, func(b *testing.B) {
			var total int64
			for b.Loop() {
				list, err := svc.Due(context.Background(), a, q.q)
				if err != nil {
					b.Fatal(err)
				}
				total = list.Total
			}
			b.ReportMetric(float64(total), "due")
		})
	}
}
