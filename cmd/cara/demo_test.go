package main

import (
	"context"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/schemas"
)

// demoTumor is what the demo tests look at in one demo tumor.
type demoTumor struct {
	patient, sequence, status string
	items                     int
	text                      bool           // has a text item (textDxProcPath and the like)
	sections                  map[string]int // items filled, by form section
	errors                    []string       // ids of the failing error-severity edits
}

// demoTumors loads the demo into a fresh SQLite database and runs the edit set over every tumor.
func demoTumors(t *testing.T) []demoTumor {
	t.Helper()
	e := testEnv(t, store.DialectSQLite)
	if out, err := runDemo(t, e); err != nil {
		t.Fatalf("demo: %q, %v", out, err)
	}
	ctx := context.Background()
	a, err := newApp(ctx, e, "demo test", withStore|withCatalog)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	s, cat := a.store, &a.cat
	f, err := s.FacilityByCode(ctx, demoFacilityCode)
	if err != nil {
		t.Fatal(err)
	}
	r := cat.Edits.NewRunner()
	var out []demoTumor
	err = s.EachPatient(ctx, store.PatientFilter{Scope: store.FacilityScope(f.ID)}, 100, func(sp *store.Patient, ts []store.Tumor) error {
		p := naaccr.Patient{Items: sp.Items}
		for _, st := range ts {
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: st.Items})
		}
		res, err := r.Patient(&p, nil)
		if err != nil {
			return err
		}
		for i, st := range ts {
			dt := demoTumor{patient: sp.PatientIDNumber, sequence: st.SequenceNumber, status: st.Status, items: len(st.Items)}
			for id := range st.Items {
				dt.text = dt.text || strings.HasPrefix(id, "text")
			}
			dt.sections = map[string]int{}
			for _, sec := range cat.Form.Sections {
				dt.sections[sec.ID] += 0 // a section with nothing is counted too
				for _, fl := range sec.Fields {
					if st.Items[fl.Def.ID] != "" || sp.Items[fl.Def.ID] != "" {
						dt.sections[sec.ID]++
					}
				}
			}
			for _, x := range res {
				if x.Severity == edits.SeverityError && (x.Tumor < 0 || x.Tumor == i) {
					dt.errors = append(dt.errors, x.EditID)
				}
			}
			out = append(out, dt)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The demo's tumors are full abstracts (about 100-115 items, with text, something in every section
// of the form but no edit override; of the site-specific items only those of the tumor's schema)
// that pass the edit set: no tumor has a failing
// error-severity edit, so every case can go through the workflow.
func TestDemoTumorsAreFullAbstractsThatPassTheEditSet(t *testing.T) {
	tumors := demoTumors(t)
	if len(tumors) < 30 {
		t.Fatalf("%d demo tumors, want 30+", len(tumors))
	}
	for _, dt := range tumors {
		if dt.items < 95 {
			t.Errorf("tumor %s/%s has %d items, want 95+ (a full abstract)", dt.patient, dt.sequence, dt.items)
		}
		if !dt.text {
			t.Errorf("tumor %s/%s has no text item", dt.patient, dt.sequence)
		}
		for sec, n := range dt.sections {
			switch {
			case sec == demoOverridesSection && n > 0:
				t.Errorf("tumor %s/%s has %d edit overrides set, want none", dt.patient, dt.sequence, n)
			case sec != demoOverridesSection && n == 0:
				t.Errorf("tumor %s/%s has nothing in form section %s", dt.patient, dt.sequence, sec)
			}
		}
		if len(dt.errors) != 0 {
			t.Errorf("tumor %s/%s (%s) fails error edits %v, want none", dt.patient, dt.sequence, dt.status, dt.errors)
		}
	}
}

// The demo's registry (SCR) has a user and, in its intake, the demo hospital's batch, checked:
// every tumor new to the registry, none a duplicate. Accepting it, as the intake page does for
// the registry user, files the tumors as the registry's own received cases; the hospital keeps
// its own. The hospital also keeps approved cases for a new user's batch, and a second demo
// changes nothing.
func TestDemoRegistryIntakeHoldsTheHospitalBatchReadyToAccept(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	out, err := runCmd(t, e, "", "demo") // not runDemo: the intake file it checks is stored by its absolute path
	if err != nil || !strings.Contains(out, "registry SCR: user registry") {
		t.Fatalf("demo: %q, %v", out, err)
	}
	if out, err := runCmd(t, e, "", "demo"); err != nil || !strings.Contains(out, "nothing changed") {
		t.Fatalf("second demo: %q, %v; want nothing changed", out, err)
	}
	ctx := context.Background()
	a, err := newApp(ctx, e, "demo test", withStore|withCatalog)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	s, cat := a.store, &a.cat
	hospital, err := s.FacilityByCode(ctx, demoFacilityCode)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := s.FacilityByCode(ctx, demoRegistryCode)
	if err != nil {
		t.Fatalf("registry facility: %v", err)
	}
	u, err := s.UserByUsername(ctx, demoRegistryUser)
	if err != nil || u.FacilityID == nil || *u.FacilityID != reg.ID || u.Role != string(auth.RoleReviewer) {
		t.Fatalf("registry user %+v, %v; want a reviewer of %s", u, err, demoRegistryCode)
	}
	if err := auth.CheckPassword(u.PasswordHash, demoPassword); err != nil {
		t.Errorf("registry user's password is not %q: %v", demoPassword, err)
	}
	subs, err := s.Submissions(ctx, store.FacilityScope(hospital.ID), hospital.ID, 10)
	if err != nil || len(subs) != 1 || subs[0].TumorCount == 0 {
		t.Fatalf("hospital batches %+v, %v; want one with tumors", subs, err)
	}
	sent := subs[0].TumorCount
	if n := countStatus(t, s, hospital.ID, "approved"); n == 0 {
		t.Errorf("the batch took every approved case; want some left for a new user's batch")
	}
	if n := countStatus(t, s, hospital.ID, "submitted"); n != sent {
		t.Errorf("hospital has %d submitted cases, the batch %d", n, sent)
	}

	ins, err := s.Intakes(ctx, store.FacilityScope(reg.ID), 10)
	if err != nil || len(ins) != 1 {
		t.Fatalf("registry intakes %+v, %v; want one", ins, err)
	}
	in := ins[0]
	if in.State != store.IntakeDone || in.SendingFacilityID != nil || in.Tumors != sent || in.AcceptableTumors != sent || in.Duplicates != 0 {
		t.Fatalf("registry intake: state %s, sending facility %v, %d tumors, %d acceptable, %d duplicates; want done, none, %d, %d, 0",
			in.State, in.SendingFacilityID, in.Tumors, in.AcceptableTumors, in.Duplicates, sent, sent)
	}
	if in.FileName != subs[0].FileName || in.SHA256 != subs[0].SHA256 {
		t.Errorf("intake holds %s (%s), the batch is %s (%s)", in.FileName, in.SHA256, subs[0].FileName, subs[0].SHA256)
	}

	registry, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	k := &submission.Intaker{Store: s, Edits: cat.Edits, Registry: registry, Now: e.Now}
	res, err := k.Accept(ctx, in.ID, store.FacilityScope(reg.ID), &u.ID, "")
	if err != nil {
		t.Fatalf("accept as the registry: %v", err)
	}
	if res.FacilityID != reg.ID || res.TumorsCreated != sent || res.TumorsExisting != 0 {
		t.Errorf("accept: %+v; want %d tumors created under the registry (%d)", res, sent, reg.ID)
	}
	if n := countStatus(t, s, reg.ID, "received"); n != sent {
		t.Errorf("registry has %d received cases, want %d", n, sent)
	}
	if n := countStatus(t, s, hospital.ID, "submitted"); n != sent {
		t.Errorf("after the accept the hospital has %d submitted cases, want %d", n, sent)
	}
}

func countStatus(t *testing.T, s *store.Store, facility uint, status string) int {
	t.Helper()
	n := 0
	err := s.EachPatient(context.Background(), store.PatientFilter{Scope: store.FacilityScope(facility)}, 100, func(_ *store.Patient, ts []store.Tumor) error {
		for _, tm := range ts {
			if tm.Status == status {
				n++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The demo shows casefinding and follow-up at work: its facility's suspense list has possible
// cases waiting, and its due list cases to follow up.
func TestDemoHasASuspenseListAndFollowUpDueCases(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if out, err := runDemo(t, e); err != nil {
		t.Fatalf("demo: %q, %v", out, err)
	}
	list, err := runCmd(t, e, "", "casefinding", "list", "--facility", demoFacilityCode, "--status", "waiting", "--format", "csv")
	if err != nil {
		t.Fatalf("casefinding list: %q, %v", list, err)
	}
	if n := strings.Count(strings.TrimSpace(list), "\n"); n < 5 {
		t.Errorf("the demo's suspense list has %d waiting, want 5 or more:\n%s", n, list)
	}
	due, err := runCmd(t, e, "", "followup", "due", "--facility", demoFacilityCode, "--format", "csv")
	if err != nil {
		t.Fatalf("followup due: %q, %v", due, err)
	}
	if n := strings.Count(strings.TrimSpace(due), "\n"); n < 3 {
		t.Errorf("the demo's due list has %d cases, want 3 or more:\n%s", n, due)
	}
}
