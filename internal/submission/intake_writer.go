package submission

import (
	"context"

	"github.com/cara-registry/cara/internal/store"
)

// intakeWrite is one batch of database work of a run.
type intakeWrite struct {
	failures []store.IntakeFailure
	facility uint
	dupIDs   []string
	dupKeys  []string
	dupOK    []bool
	progress *store.IntakeCounts // nil: no progress write
}

// intakeWriter does a run's database work in a goroutine of its own: failing records, duplicate
// look-ups and progress. Its first error cancels the run.
type intakeWriter struct {
	ctx        context.Context
	st         IntakeStore
	id         uint
	claim      string // the run's claim of the intake
	jobs       chan intakeWrite
	done       chan struct{}
	cancel     context.CancelCauseFunc
	err        error // set before done is closed
	duplicates int   // likewise
	existing   int   // of them, the tumors without errors (accept would find them stored); likewise
}

// writerQueue is how many batches may wait for the writer.
const writerQueue = 4

func startIntakeWriter(ctx context.Context, st IntakeStore, id uint, claim string, cancel context.CancelCauseFunc) *intakeWriter {
	w := &intakeWriter{ctx: ctx, st: st, id: id, claim: claim, jobs: make(chan intakeWrite, writerQueue), done: make(chan struct{}), cancel: cancel}
	go w.run()
	return w
}

func (w *intakeWriter) run() {
	defer close(w.done)
	for job := range w.jobs {
		if w.err != nil {
			continue // drain: the run is being cancelled
		}
		if err := w.write(job); err != nil {
			w.err = err
			w.cancel(err)
		}
	}
}

func (w *intakeWriter) write(job intakeWrite) error {
	if err := w.st.AddIntakeFailures(w.ctx, w.claim, job.failures); err != nil {
		return err
	}
	n, ok, err := countDuplicates(w.ctx, w.st, job.facility, job.dupIDs, job.dupKeys, job.dupOK)
	if err != nil {
		return err
	}
	w.duplicates += n
	w.existing += ok
	if job.progress != nil {
		job.progress.Duplicates, job.progress.ReceivedTumors = w.duplicates, w.existing
		return w.st.IntakeProgress(w.ctx, w.id, w.claim, *job.progress)
	}
	return nil
}

// send queues a batch; it fails when the run was cancelled (by the writer's error or the caller).
func (w *intakeWriter) send(job intakeWrite) error {
	select {
	case w.jobs <- job:
		return nil
	case <-w.ctx.Done():
		return context.Cause(w.ctx)
	}
}

// close waits for the queued work and returns the writer's error.
func (w *intakeWriter) close() error {
	close(w.jobs)
	<-w.done
	return w.err
}
