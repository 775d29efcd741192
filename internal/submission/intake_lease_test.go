package submission_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
)

// stallingStore stops a worker at its first write of one kind ("failures" or "finish") until
// released: a process cut off from the database, or paused, for longer than its lease.
type stallingStore struct {
	*store.Store
	at       string
	once     sync.Once
	stalled  chan struct{} // closed when the worker reached the write
	release  chan struct{} // closed to let it go on
	mu       sync.Mutex
	outcomes []error // of the stalled worker's writes after it was released
}

func (s *stallingStore) stall(kind string) {
	if kind != s.at {
		return
	}
	s.once.Do(func() {
		close(s.stalled)
		<-s.release
	})
}

func (s *stallingStore) note(err error) error {
	select {
	case <-s.release:
	default:
		return err // a write before the stall
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes = append(s.outcomes, err)
	return err
}

func (s *stallingStore) AddIntakeFailures(ctx context.Context, claim string, fs []store.IntakeFailure) error {
	if len(fs) == 0 {
		return s.Store.AddIntakeFailures(ctx, claim, fs)
	}
	s.stall("failures")
	return s.note(s.Store.AddIntakeFailures(ctx, claim, fs))
}

func (s *stallingStore) FinishIntake(ctx context.Context, id uint, claim string, r store.IntakeResult) error {
	s.stall("finish")
	return s.note(s.Store.FinishIntake(ctx, id, claim, r))
}

// Two workers on one database, as two cara processes: the first claims a job and stalls past
// its lease; the second requeues the job as stale, runs it to the end; the first, released,
// finds its claim taken over (store.ErrLeaseLost) and writes nothing more. The job is finished
// once, by the second, with its failures once.
func TestIntakeTakenOverFromAStalledWorkerIsFinishedOnce(t *testing.T) {
	for _, at := range []string{"failures", "finish"} {
		t.Run(at, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				ctx := context.Background()
				fac := newFacility(t, s, "F1")
				path := filepath.Join(t.TempDir(), "sub.xml")
				writeSynthetic(t, path, 20, func(i int, p *naaccr.Patient) {
					if i%4 == 0 {
						breakSite(p, 0)
					}
				})
				in := queue(t, s, fac.ID, path)

				slow := &stallingStore{Store: s, at: at, stalled: make(chan struct{}), release: make(chan struct{})}
				ka := newIntaker(t, s)
				ka.Store = slow
				done := make(chan error, 1)
				go func() { done <- (&submission.Runner{Intaker: ka}).RunOnce(ctx) }()
				select {
				case <-slow.stalled:
				case err := <-done:
					t.Fatalf("the first worker ended without stalling: %v", err)
				case <-time.After(30 * time.Second):
					t.Fatal("the first worker never reached its write")
				}
				first := loadIntake(t, s, in.ID)
				if first.State != store.IntakeRunning || first.ClaimedBy == "" {
					t.Fatalf("while stalled: state %s, claim %q; want running under a claim", first.State, first.ClaimedBy)
				}

				// The second process's clock is 3 minutes on: the first one's heartbeat is stale.
				kb := newIntaker(t, s)
				kb.Now = func() time.Time { return storetest.Clock.Add(3 * time.Minute) }
				runQueued(t, kb)
				second := loadIntake(t, s, in.ID)
				if second.State != store.IntakeDone || second.ClaimedBy == first.ClaimedBy {
					t.Fatalf("after the takeover: state %s (%s), claim %q (the first's %q); want done under a new claim",
						second.State, second.Error, second.ClaimedBy, first.ClaimedBy)
				}

				close(slow.release)
				if err := <-done; err != nil {
					t.Fatalf("the first worker: %v; a job taken over is not an error of its runner", err)
				}
				for _, err := range slow.outcomes {
					if !errors.Is(err, store.ErrLeaseLost) {
						t.Errorf("the first worker's write after the takeover: %v, want ErrLeaseLost", err)
					}
				}
				if len(slow.outcomes) == 0 {
					t.Error("the first worker wrote nothing after its release: the test saw no fenced write")
				}
				final := loadIntake(t, s, in.ID)
				if final.State != store.IntakeDone || final.ClaimedBy != second.ClaimedBy || final.FinishedAt == nil ||
					final.Patients != 20 || final.FailuresStored != second.FailuresStored {
					t.Errorf("at the end: %+v; want the second worker's finished run", final)
				}
				_, total, err := s.IntakeFailures(ctx, store.IntakeFailureQuery{IntakeID: in.ID, Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				if int(total) != final.FailuresStored || total == 0 {
					t.Errorf("%d failures stored, the intake says %d: the stalled worker's writes landed", total, final.FailuresStored)
				}
			})
		})
	}
}
