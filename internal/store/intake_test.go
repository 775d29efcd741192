package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestIntakeScopeClaimRequeueAndRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := &store.Facility{Code: "A", Name: "A"}
		b := &store.Facility{Code: "B", Name: "B", IDNumber: "0000000042"}
		for _, f := range []*store.Facility{a, b} {
			if err := s.CreateFacility(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		in := &store.Intake{FacilityID: a.ID, FileName: "a.xml", StoredPath: "/x/a.xml", SHA256: "00", CreatedAt: storetest.Clock}
		if err := s.CreateIntake(ctx, in); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Intake(ctx, in.ID, store.FacilityScope(b.ID)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("B sees A's intake: %v", err)
		}
		if rows, _ := s.Intakes(ctx, store.Scope{}, 10); len(rows) != 0 {
			t.Errorf("the zero scope sees %d intakes", len(rows))
		}
		got, err := s.ClaimIntake(ctx)
		if err != nil || got.ID != in.ID || got.State != store.IntakeRunning || got.HeartbeatAt == nil {
			t.Fatalf("claim: %+v, %v", got, err)
		}
		if _, err := s.ClaimIntake(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second claim: %v, want ErrNotFound", err)
		}
		if n, _ := s.RequeueStaleIntakes(ctx, storetest.Clock); n != 0 {
			t.Errorf("a fresh heartbeat was requeued")
		}
		if n, _ := s.RequeueStaleIntakes(ctx, storetest.Clock.Add(time.Minute)); n != 1 {
			t.Errorf("requeued %d stale intakes, want 1", n)
		}
		again, err := s.ClaimIntake(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.ClaimedBy == "" || again.ClaimedBy == got.ClaimedBy {
			t.Errorf("claims %q and %q: want two claims of their own", got.ClaimedBy, again.ClaimedBy)
		}
		if err := s.FailIntake(ctx, in.ID, got.ClaimedBy, "the first worker's late word"); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("fail under the first claim: %v, want ErrLeaseLost", err)
		}
		if err := s.RetryIntake(ctx, in.ID, store.AllFacilities); !errors.Is(err, store.ErrConflict) {
			t.Errorf("retry of a running intake: %v, want ErrConflict", err)
		}
		if err := s.FailIntake(ctx, in.ID, again.ClaimedBy, "file gone"); err != nil {
			t.Fatal(err)
		}
		if err := s.RetryIntake(ctx, in.ID, store.FacilityScope(b.ID)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("B retries A's intake: %v, want ErrNotFound", err)
		}
		if err := s.RetryIntake(ctx, in.ID, store.FacilityScope(a.ID)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Intake(ctx, in.ID, store.AllFacilities); got.State != store.IntakeQueued || got.Error != "" {
			t.Errorf("after retry: %s %q", got.State, got.Error)
		}
		f, err := s.FacilityByIDNumber(ctx, "0000000042")
		if err != nil || f.ID != b.ID {
			t.Errorf("facility by id number: %v, %v", f, err)
		}
		if f, err := s.FacilityByIDNumber(ctx, "A"); err != nil || f.ID != a.ID {
			t.Errorf("facility by code: %v, %v", f, err)
		}
	})
}
