package main

import (
	"context"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

// demoTumor is what the demo tests look at in one demo tumor.
type demoTumor struct {
	patient, sequence, status string
	items                     int
	text                      bool     // has a text item (textDxProcPath and the like)
	errors                    []string // ids of the failing error-severity edits
}

// demoTumors loads the demo into a fresh SQLite database and runs the edit set over every tumor.
func demoTumors(t *testing.T) []demoTumor {
	t.Helper()
	e := testEnv(t, store.DialectSQLite)
	if out, err := runCmd(t, e, "", "demo"); err != nil {
		t.Fatalf("demo: %q, %v", out, err)
	}
	ctx := context.Background()
	s, err := openStore(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
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

// The demo's tumors are full abstracts (about 150 items, with text) that pass the edit set:
// no tumor has a failing error-severity edit, so every case can go through the workflow.
func TestDemoTumorsAreFullAbstractsThatPassTheEditSet(t *testing.T) {
	tumors := demoTumors(t)
	if len(tumors) < 30 {
		t.Fatalf("%d demo tumors, want 30+", len(tumors))
	}
	for _, dt := range tumors {
		if dt.items < 120 {
			t.Errorf("tumor %s/%s has %d items, want 120+ (a full abstract)", dt.patient, dt.sequence, dt.items)
		}
		if !dt.text {
			t.Errorf("tumor %s/%s has no text item", dt.patient, dt.sequence)
		}
		if len(dt.errors) != 0 {
			t.Errorf("tumor %s/%s (%s) fails error edits %v, want none", dt.patient, dt.sequence, dt.status, dt.errors)
		}
	}
}
