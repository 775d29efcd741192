package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// AddIntakeFailures writes its rows in multi-row statements of a fixed size: a count that is
// no multiple of it, values longer than their columns and odd characters all come back, in
// order.
func TestAddIntakeFailuresStoresEveryRowInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := &store.Facility{Code: "A", Name: "A"}
		if err := s.CreateFacility(ctx, f); err != nil {
			t.Fatal(err)
		}
		in := &store.Intake{FacilityID: f.ID, FileName: "f.xml", StoredPath: "/x", SHA256: strings.Repeat("0", 64),
			State: store.IntakeRunning, ClaimedBy: "w1"}
		if err := s.CreateIntake(ctx, in); err != nil {
			t.Fatal(err)
		}
		const n = 1234
		fs := make([]store.IntakeFailure, n)
		for i := range fs {
			fs[i] = store.IntakeFailure{IntakeID: in.ID, PatientIndex: i, TumorIndex: i%3 - 1, PatientIDNumber: "P" + strings.Repeat("9", i%40),
				TumorSequence: "01", EditID: "edit.x", Severity: "error", Item: "primarySite", Message: "it's \"wrong\" — é"}
		}
		fs[7].Message = strings.Repeat("m", 2500)
		if err := s.AddIntakeFailures(ctx, "w1", fs); err != nil {
			t.Fatal(err)
		}
		i := 0
		err := s.EachIntakeFailure(ctx, in.ID, func(got *store.IntakeFailure) error {
			want := fs[i]
			if got.PatientIndex != i || got.TumorIndex != want.TumorIndex || got.EditID != "edit.x" || got.Severity != "error" || got.Item != "primarySite" {
				t.Errorf("row %d: %+v", i, got)
			}
			if wantID := want.PatientIDNumber[:min(len(want.PatientIDNumber), 32)]; got.PatientIDNumber != wantID {
				t.Errorf("row %d: patient id %q, want %q (cut to its column)", i, got.PatientIDNumber, wantID)
			}
			switch {
			case i == 7 && got.Message != strings.Repeat("m", 2000):
				t.Errorf("long message stored as %d characters, want 2000", len(got.Message))
			case i != 7 && got.Message != want.Message:
				t.Errorf("row %d: message %q", i, got.Message)
			}
			i++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if i != n {
			t.Errorf("%d rows read back, want %d", i, n)
		}
	})
}
