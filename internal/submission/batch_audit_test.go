package submission_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
)

// refuseBatchEvents makes the database refuse the audit event of a batch (a trigger), as a
// database lost between a batch's commit and its event would; the returned func lifts it.
func refuseBatchEvents(t *testing.T, s *store.Store) func() {
	t.Helper()
	create := `CREATE TRIGGER test_refuse_batch_event BEFORE INSERT ON audit_events FOR EACH ROW BEGIN
		IF NEW.action = 'submission.create' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'test refuses batch events'; END IF; END`
	if s.Dialect() == store.DialectSQLite {
		create = `CREATE TRIGGER test_refuse_batch_event BEFORE INSERT ON audit_events
			WHEN NEW.action = 'submission.create' BEGIN SELECT RAISE(ABORT, 'test refuses batch events'); END`
	}
	db := s.DB()
	if _, err := db.ExecContext(context.Background(), create); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := db.ExecContext(context.Background(), "DROP TRIGGER test_refuse_batch_event"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBatchWhoseAuditEventFailsStandsAndTheNextBatchWritesIt: on MySQL a batch commits its cases
// first and its audit event after (the chain's head held through a large batch's transaction
// lost to every other node's write on a Galera cluster). When the event cannot be written the
// batch stands, file and cases, marked pending; verify says so; the next batch writes the event,
// once, from the row and its links, with the user and address of the batch. On SQLite the batch
// and its event are one transaction: nothing of the batch stays.
func TestBatchWhoseAuditEventFailsStandsAndTheNextBatchWritesIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newBatchEnv(t, s, 3)
		opt := e.opts()
		opt.RemoteAddr = "192.0.2.7"
		before, err := s.AuditChainHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lift := refuseBatchEvents(t, s)
		res, err := e.b.Create(ctx, opt)

		if s.Dialect() == store.DialectSQLite {
			lift()
			if err == nil || !strings.Contains(err.Error(), "test refuses batch events") {
				t.Fatalf("batch with its event refused: %v, want the refusal", err)
			}
			if names := e.files(t); len(names) != 0 {
				t.Errorf("a batch not recorded left files: %v", names)
			}
			for _, id := range e.tumors {
				if got := e.status(t, id); got != "approved" {
					t.Errorf("case %d is %s after a batch not recorded, want approved", id, got)
				}
			}
			return
		}

		if err != nil || res.Submission == nil || res.AuditPending == nil || !errors.Is(res.AuditPending, store.ErrAuditPending) {
			lift()
			t.Fatalf("batch with its event refused: %v (result %+v), want the batch recorded, its event pending", err, res)
		}
		sub := res.Submission
		if !sub.AuditPending || !strings.Contains(res.AuditPending.Error(), sub.FileName) {
			t.Errorf("pending batch row %+v, reason %q: want it marked and named", sub, res.AuditPending)
		}
		if names := e.files(t); len(names) != 1 || names[0] != sub.FileName {
			t.Errorf("submission directory %v, want the batch's file %s kept", names, sub.FileName)
		}
		for _, id := range e.tumors {
			if got := e.status(t, id); got != "submitted" {
				t.Errorf("case %d is %s in a recorded batch, want submitted", id, got)
			}
		}
		_, bad, err := s.VerifySubmissions(ctx)
		if err != nil || len(bad) != 1 || bad[0].SubmissionID != sub.ID || !strings.Contains(bad[0].Reason, "not yet written") {
			t.Errorf("verify with the event pending: %+v (%v), want the batch named as pending", bad, err)
		}
		// Still refused: the next batch's attempt fails, the batch stays pending, the batch goes on.
		if _, err := e.b.Create(ctx, opt); !errors.Is(err, submission.ErrNothingToSubmit) {
			t.Errorf("next batch while events are refused: %v, want nothing to submit", err)
		}
		lift()
		// The next batch writes the event first (here it has nothing to send), and two other
		// processes' sweeps try at the same moment: one of them writes it, once.
		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Add(3)
		go func() {
			defer wg.Done()
			if _, err := e.b.Create(ctx, opt); !errors.Is(err, submission.ErrNothingToSubmit) {
				errs[0] = fmt.Errorf("next batch: %v, want nothing to submit", err)
			}
		}()
		for i := 1; i < 3; i++ {
			go func() {
				defer wg.Done()
				_, errs[i] = s.FinishPendingSubmissions(ctx)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Error(err)
		}
		evs, err := s.AuditEvents(ctx, "submission", fmt.Sprint(sub.ID), 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("events of the batch %+v (%v), want one", evs, err)
		}
		ev := evs[0]
		if ev.Action != audit.SubmissionCreate || ev.RemoteAddr != "192.0.2.7" || ev.UserID == nil || *ev.UserID != e.userID ||
			!strings.Contains(ev.Details, `"cases":3`) || !strings.Contains(ev.Details, sub.FileName) {
			t.Errorf("the batch's event %+v: want submission.create by the user from 192.0.2.7, 3 cases, the file", ev)
		}
		if n, err := s.FinishPendingSubmissions(ctx); err != nil || n != 0 {
			t.Errorf("finish again: %d written (%v), want none", n, err)
		}
		after, err := s.AuditChainHead(ctx)
		if err != nil || after.LastID != before.LastID+1 {
			t.Errorf("audit head moved from %d to %d (%v), want the batch's one event", before.LastID, after.LastID, err)
		}
		if checked, bad, err := s.VerifySubmissions(ctx); err != nil || checked != 1 || len(bad) != 0 {
			t.Errorf("verify batches: %d checked, %+v (%v); want 1, none", checked, bad, err)
		}
		if v, err := audit.Verify(ctx, s, storetest.AuditKey, nil); err != nil || v.Break != nil {
			t.Errorf("audit chain: %+v (%v)", v.Break, err)
		}
	})
}
