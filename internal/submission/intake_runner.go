package submission

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cara-registry/cara/internal/store"
)

// Runner processes queued intakes in the background: a few workers, each taking the oldest
// queued intake. Jobs live in the database, so a restarted process (or another one) picks up
// what a stopped one left: a running intake whose heartbeat is older than StaleAfter is queued
// again and processed from the start. The heartbeat renews the job's lease (its claim): a
// worker that finds its claim taken over (store.ErrLeaseLost: it was too slow, or cut off from
// the database, and another process requeued the job) stops, and its writes after that land
// nowhere, so a job is finished by exactly one worker.
type Runner struct {
	Intaker    *Intaker
	Workers    int           // jobs at once; 1 when 0
	Poll       time.Duration // how often an idle worker looks for work; 2s when 0
	Heartbeat  time.Duration // how often a running job says it is alive; 20s when 0
	StaleAfter time.Duration // a running job silent this long is taken over; 2 minutes when 0
	Log        *slog.Logger

	once sync.Once
	wake chan struct{}
}

func (r *Runner) init() {
	r.once.Do(func() {
		r.wake = make(chan struct{}, 1)
		if r.Workers <= 0 {
			r.Workers = 1
		}
		if r.Poll <= 0 {
			r.Poll = 2 * time.Second
		}
		if r.Heartbeat <= 0 {
			r.Heartbeat = 20 * time.Second
		}
		if r.StaleAfter <= 0 {
			r.StaleAfter = 2 * time.Minute
		}
		if r.Log == nil {
			r.Log = slog.Default()
		}
	})
}

// Wake tells an idle worker that a job was queued.
func (r *Runner) Wake() {
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is cancelled; a job cut short by that is queued again.
func (r *Runner) Run(ctx context.Context) {
	r.init()
	var wg sync.WaitGroup
	for range r.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx)
		}()
	}
	wg.Wait()
}

// RunOnce requeues stale jobs and processes queued ones until none is left; for tests and the
// command line.
func (r *Runner) RunOnce(ctx context.Context) error {
	r.init()
	if _, err := r.Intaker.Store.RequeueStaleIntakes(ctx, r.Intaker.now().Add(-r.StaleAfter)); err != nil {
		return err
	}
	for {
		ok, err := r.step(ctx)
		if err != nil || !ok {
			return err
		}
	}
}

func (r *Runner) work(ctx context.Context) {
	lastSweep := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastSweep) > r.StaleAfter/2 {
			lastSweep = time.Now()
			if n, err := r.Intaker.Store.RequeueStaleIntakes(ctx, r.Intaker.now().Add(-r.StaleAfter)); err != nil {
				r.Log.Error("intake: requeue stale jobs", "err", err)
			} else if n > 0 {
				r.Log.Info("intake: requeued jobs left running", "count", n)
			}
		}
		ok, err := r.step(ctx)
		if err != nil && ctx.Err() == nil {
			r.Log.Error("intake: job", "err", err)
		}
		if ok {
			continue
		}
		t := time.NewTimer(r.Poll)
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// step claims and processes one job; it reports whether there was one.
func (r *Runner) step(ctx context.Context) (bool, error) {
	in, err := r.Intaker.Store.ClaimIntake(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	jobCtx, cancel := context.WithCancelCause(ctx)
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		t := time.NewTicker(r.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-jobCtx.Done():
				return
			case <-t.C:
				err := r.Intaker.Store.TouchIntake(jobCtx, in.ID, in.ClaimedBy)
				if errors.Is(err, store.ErrLeaseLost) {
					cancel(err)
					return
				}
				if err != nil && jobCtx.Err() == nil {
					r.Log.Error("intake: heartbeat", "intake", in.ID, "err", err)
				}
			}
		}
	}()
	err = r.Intaker.Process(jobCtx, in)
	lost := errors.Is(context.Cause(jobCtx), store.ErrLeaseLost)
	cancel(nil)
	<-beat
	if lost || errors.Is(err, store.ErrLeaseLost) {
		// Another process runs it now; nothing of this run is left to undo.
		r.Log.Warn("intake: job taken over by another process", "intake", in.ID, "claim", in.ClaimedBy)
		return true, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down: put it back for the next start, with a context of its own.
			back, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer done()
			if rerr := r.Intaker.Store.RequeueIntake(back, in.ID, in.ClaimedBy); rerr != nil {
				r.Log.Error("intake: requeue on shutdown", "intake", in.ID, "err", rerr)
			}
			return true, err
		}
		back, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer done()
		if ferr := r.Intaker.Store.FailIntake(back, in.ID, in.ClaimedBy, "checking the file stopped: "+err.Error()); ferr != nil {
			r.Log.Error("intake: mark failed", "intake", in.ID, "err", ferr)
		}
		return true, err
	}
	return true, nil
}
