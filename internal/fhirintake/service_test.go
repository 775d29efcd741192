package fhirintake_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/fhirintake"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

func newService(t testing.TB, s *store.Store) *fhirintake.Service {
	t.Helper()
	d, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		t.Fatal(err)
	}
	m, err := fhirintake.LoadMapping(schemas.FS, d)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := casefinding.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := fhirintake.New(s, m, lists, func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestReceivePutsABundleOnTheSuspenseListOnce(t *testing.T) {
	raw, err := os.ReadFile("testdata/breast.json")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := &store.Facility{Code: "FH", Name: "FHIR General"}
		if err := s.CreateFacility(ctx, fac); err != nil {
			t.Fatal(err)
		}
		// A known patient: the bundle's MRN, name and date of birth.
		if _, err := s.CreatePatient(ctx, fac.ID, naaccr.Patient{
			Items:  map[string]string{"nameLast": "Rivera", "nameFirst": "Ana", "dateOfBirth": "19610704", "sexAssignedAtBirth": "2"},
			Tumors: []naaccr.Tumor{{Items: map[string]string{"medicalRecordNumber": "MRN00417", "primarySite": "C180", "sequenceNumberHospital": "00"}}},
		}, "approved"); err != nil {
			t.Fatal(err)
		}
		svc := newService(t, s)
		a := casefinding.Actor{Role: auth.RoleAdmin, Scope: store.FacilityScope(fac.ID)}
		rc, err := svc.Receive(ctx, a, fac.ID, raw, "breast.json")
		if err != nil {
			t.Fatal(err)
		}
		if rc.Refused() || !rc.Added || rc.SuspenseID == 0 {
			t.Fatalf("receipt %+v (issues %v), want a record added", rc, rc.Result.Issues)
		}
		if rc.Screening != "reportable" || rc.MatchKind != casefinding.MatchKnownPatient {
			t.Errorf("screening %s, match %s; want reportable, known patient (a new primary: the known tumor is colon)", rc.Screening, rc.MatchKind)
		}
		recs, _, err := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities, IDs: []uint{rc.SuspenseID}})
		if err != nil || len(recs) != 1 {
			t.Fatalf("record: %v %v", recs, err)
		}
		r := recs[0]
		if r.Source != fhirintake.Source || r.MRN != "MRN00417" || r.Codes != "C50.412" || r.FirstContact != "20260227" || r.MatchPatient == nil {
			t.Errorf("record %+v", r)
		}
		b, err := s.FHIRBundleByKey(ctx, fac.ID, rc.Result.Key)
		if err != nil {
			t.Fatal(err)
		}
		if string(b.Raw) != string(raw) || b.SHA256 != rc.Result.SHA256 || b.Identifier != "urn:oid:1.2.3.4.5|bundle-0001" {
			t.Errorf("bundle kept as %q, sha %s, identifier %s", b.Raw[:min(40, len(b.Raw))], b.SHA256, b.Identifier)
		}
		sugg, err := fhirintake.Suggestions(b)
		if err != nil || len(sugg) != len(rc.Result.Suggestions) {
			t.Fatalf("stored suggestions %d (%v), want %d", len(sugg), err, len(rc.Result.Suggestions))
		}

		// The same bundle again, even re-serialized with other whitespace: its identifier is the key.
		again, err := svc.Receive(ctx, a, fac.ID, append([]byte("\n  "), raw...), "again.json")
		if err != nil {
			t.Fatal(err)
		}
		if again.Added || again.SuspenseID != rc.SuspenseID {
			t.Errorf("again: added %v, record %d; want nothing added and record %d", again.Added, again.SuspenseID, rc.SuspenseID)
		}
		_, total, _ := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities})
		if total != 1 {
			t.Errorf("%d suspense records, want 1", total)
		}

		// Out of scope, and a reviewer.
		if _, err := svc.Receive(ctx, casefinding.Actor{Role: auth.RoleAdmin, Scope: store.FacilityScope(fac.ID + 1)}, fac.ID, raw, "x"); err == nil {
			t.Error("a facility out of scope took the bundle")
		}
		uid := uint(1)
		if _, err := svc.Receive(ctx, casefinding.Actor{UserID: &uid, Role: auth.RoleReviewer, Scope: store.FacilityScope(fac.ID)}, fac.ID, raw, "x"); err == nil {
			t.Error("a reviewer's bundle was taken")
		}
	})
}

// BenchmarkReceive takes distinct bundles (the example, each with its own identifier) into a
// facility's suspense list on SQLite: mapping, screening, matching and the stored bundle.
func BenchmarkReceive(b *testing.B) {
	raw, err := os.ReadFile("testdata/breast.json")
	if err != nil {
		b.Fatal(err)
	}
	s := storetest.New(b, store.DialectSQLite)
	ctx := context.Background()
	fac := &store.Facility{Code: "FH", Name: "FHIR General"}
	if err := s.CreateFacility(ctx, fac); err != nil {
		b.Fatal(err)
	}
	svc := newService(b, s)
	a := casefinding.Actor{Role: auth.RoleAdmin, Scope: store.AllFacilities}
	n := 0
	for b.Loop() {
		n++
		one := bytes.Replace(raw, []byte(`"bundle-0001"`), []byte(`"bundle-`+strconv.Itoa(n)+`"`), 1)
		rc, err := svc.Receive(ctx, a, fac.ID, one, "bench")
		if err != nil || !rc.Added {
			b.Fatalf("bundle %d: %v (added %v)", n, err, rc != nil && rc.Added)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bundles/s")
}

func TestTheSameBundleSentAtOnceIsStoredOnce(t *testing.T) {
	raw, err := os.ReadFile("testdata/breast.json")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := &store.Facility{Code: "FH", Name: "FHIR General"}
		if err := s.CreateFacility(ctx, fac); err != nil {
			t.Fatal(err)
		}
		svc := newService(t, s)
		a := casefinding.Actor{Role: auth.RoleAdmin, Scope: store.AllFacilities}
		const senders = 8
		errs := make(chan error, senders)
		added := make(chan bool, senders)
		for range senders {
			go func() {
				rc, err := svc.Receive(ctx, a, fac.ID, raw, "at once")
				errs <- err
				added <- err == nil && rc.Added
			}()
		}
		n := 0
		for range senders {
			if err := <-errs; err != nil {
				t.Error(err)
			}
			if <-added {
				n++
			}
		}
		if _, total, _ := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities}); total != 1 || n != 1 {
			t.Errorf("%d records, %d receipts saying added; want 1 and 1", total, n)
		}
	})
}

func TestALongNameIsWarnedOfAndStoredShortened(t *testing.T) {
	long := strings.Repeat("Ñ", 150)
	raw := []byte(`{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient",
		"name": [{"family": "` + long + `", "given": ["Ada"]}]}}]}`)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := &store.Facility{Code: "FH", Name: "FHIR General"}
		if err := s.CreateFacility(ctx, fac); err != nil {
			t.Fatal(err)
		}
		rc, err := newService(t, s).Receive(ctx, casefinding.Actor{Role: auth.RoleAdmin, Scope: store.AllFacilities}, fac.ID, raw, "long")
		if err != nil || !rc.Added {
			t.Fatalf("receive: %v %+v", err, rc)
		}
		warned := false
		for _, is := range rc.Result.Issues {
			warned = warned || is.Code == "too-long" && is.Path == "Bundle.entry[0].resource(Patient).name[0].family"
		}
		recs, _, _ := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities})
		if !warned || len(recs) != 1 || recs[0].NameLast != strings.Repeat("Ñ", 100) {
			t.Errorf("warned %v, records %d; want a too-long warning and the name's first 100 characters", warned, len(recs))
		}
	})
}
