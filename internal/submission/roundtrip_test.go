package submission_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/demo"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

// TestBatchToIntakeRoundTrip sends a hospital's approved cases as a submission batch and takes the
// batch file in at a state registry (another database): the intake finds no structural error and
// no edit error, accepts every tumor, and every item of every patient and tumor arrives with the
// value the hospital stored. It runs for a plain and a gzip batch on both databases.
func TestBatchToIntakeRoundTrip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		name := "plain"
		if gz {
			name = "gzip"
		}
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, hospital *store.Store) {
				roundTrip(t, hospital, gz)
			})
		})
	}
}

func roundTrip(t *testing.T, hospital *store.Store, gz bool) {
	ctx := context.Background()
	env := newBatchEnv(t, hospital, 0)
	pats, err := demo.Patients(schemas.FS, nil, 11, 12, storetest.Clock)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]naaccr.Patient{} // by patient id number
	tumors := 0
	for _, p := range pats {
		for _, tu := range p.Tumors {
			tu.Items["reportingFacility"] = env.fac.IDNumber
		}
		row, err := hospital.CreatePatient(ctx, env.fac.ID, p, string(abstract.StatusApproved))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := hospital.LoadPatient(ctx, row.ID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		trs, err := hospital.PatientTumors(ctx, row.ID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		sp := naaccr.Patient{Items: maps.Clone(stored.Patient.Items)}
		for _, tr := range trs {
			sp.Tumors = append(sp.Tumors, naaccr.Tumor{Items: maps.Clone(tr.Items)})
		}
		sent[sp.Items["patientIdNumber"]] = sp
		tumors += len(sp.Tumors)
	}
	opt := env.opts()
	opt.Gzip = gz
	res, err := env.b.Create(ctx, opt)
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	if res.HeldCount != 0 || res.Tumors != tumors || res.Submission == nil {
		t.Fatalf("batch sent %d of %d tumors, held %d: %+v", res.Tumors, tumors, res.HeldCount, res.Held)
	}

	// The registry: its own database, where the hospital is a facility with the same id number.
	registry := storetest.New(t, hospital.Dialect())
	sender := &store.Facility{Code: "HOSP", Name: "General Hospital", IDNumber: env.fac.IDNumber}
	if err := registry.CreateFacility(ctx, sender); err != nil {
		t.Fatal(err)
	}
	uploads := newFacility(t, registry, "REG")
	file := filepath.Join(env.dir, res.Submission.FileName)
	upload := filepath.Join(t.TempDir(), res.Submission.FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(upload, data, 0o600); err != nil {
		t.Fatal(err)
	}
	in := queue(t, registry, uploads.ID, upload)
	k := newIntaker(t, registry)
	runQueued(t, k)
	got := loadIntake(t, registry, in.ID)
	if got.State != store.IntakeDone || got.StructuralErrors != 0 || got.EditErrors != 0 {
		t.Fatalf("intake: state %s (%s), structural errors %d, edit errors %d; want done with none", got.State, got.Error, got.StructuralErrors, got.EditErrors)
	}
	if got.Patients != len(sent) || got.Tumors != tumors || got.NaaccrVersion != "260" {
		t.Fatalf("intake read %d patients, %d tumors, v%s; want %d, %d, v260", got.Patients, got.Tumors, got.NaaccrVersion, len(sent), tumors)
	}
	acc, err := k.Accept(ctx, in.ID, store.AllFacilities, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if acc.FacilityID != sender.ID || acc.TumorsCreated != tumors {
		t.Fatalf("accept: %+v; want %d tumors under facility %d", acc, tumors, sender.ID)
	}

	// Every value arrives unchanged: the registry's received cases hold exactly the hospital's items.
	seen := 0
	err = registry.EachPatient(ctx, store.PatientFilter{Scope: store.FacilityScope(sender.ID)}, 50, func(p *store.Patient, ts []store.Tumor) error {
		want, ok := sent[p.Items["patientIdNumber"]]
		if !ok {
			t.Errorf("patient %s was received but not sent", p.Items["patientIdNumber"])
			return nil
		}
		seen++
		diffItems(t, "patient "+p.Items["patientIdNumber"], want.Items, p.Items)
		if len(ts) != len(want.Tumors) {
			t.Errorf("patient %s: %d tumors received, %d sent", p.Items["patientIdNumber"], len(ts), len(want.Tumors))
			return nil
		}
		for i, tr := range ts {
			if tr.Status != string(abstract.StatusReceived) {
				t.Errorf("patient %s tumor %d: status %s, want received", p.Items["patientIdNumber"], i, tr.Status)
			}
			diffItems(t, "patient "+p.Items["patientIdNumber"]+" tumor "+tr.SequenceNumber, want.Tumors[i].Items, tr.Items)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(sent) {
		t.Errorf("%d patients received, %d sent", seen, len(sent))
	}
}

// diffItems reports every item whose value differs, is lost or is added.
func diffItems(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q after the round trip, %q before", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok && v != "" {
			t.Errorf("%s: %s = %q appeared in the round trip", what, k, v)
		}
	}
}
