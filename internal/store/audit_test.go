package store_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// verifyAudit checks the store's trail and returns what audit.Verify found.
func verifyAudit(t *testing.T, s *store.Store) audit.Result {
	t.Helper()
	res, err := audit.Verify(context.Background(), s, storetest.AuditKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// wantIntact fails the test unless the trail is an unbroken chain of n events.
func wantIntact(t *testing.T, s *store.Store, n int64) {
	t.Helper()
	if res := verifyAudit(t, s); res.Break != nil || res.Events != n {
		t.Fatalf("Verify: %d events, break %+v; want %d events intact", res.Events, res.Break, n)
	}
}

// appendEvents appends n events of their own, numbered from 1 in EntityID.
func appendEvents(t *testing.T, s *store.Store, n int) {
	t.Helper()
	for i := range n {
		if err := s.Audit(context.Background(), store.AuditEntry{Action: audit.CaseView, Entity: "tumor",
			EntityID: fmt.Sprint(i + 1), Details: map[string]int{"n": i + 1}, RemoteAddr: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
}

// asAttacker runs statements through a raw connection after dropping the triggers that make
// audit_events append-only, as someone with the right to change the schema could. The chain is
// what shows the change then.
func asAttacker(t *testing.T, s *store.Store, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range append([]string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"}, stmts...) {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAuditTrailOfAnEmptyDatabaseIsIntact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		wantIntact(t, s, 0)
		head, err := s.AuditChainHead(context.Background())
		if err != nil || head != (audit.Head{LastHash: audit.Genesis}) {
			t.Errorf("head of an empty trail = %+v, %v", head, err)
		}
	})
}

func TestAuditEventsChainInOrderOfAppending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		appendEvents(t, s, 3)
		wantIntact(t, s, 3)
		evs, err := s.AuditChain(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		prev := audit.Genesis
		for i, e := range evs {
			if e.ID != uint64(i+1) || e.PrevHash != prev || len(e.Hash) != 64 || e.Hash != storetest.AuditKey.Sum(e) {
				t.Errorf("event %d = %+v; want id %d chained to %s", i, e, i+1, prev)
			}
			prev = e.Hash
		}
		head, err := s.AuditChainHead(ctx)
		if err != nil || head != (audit.Head{LastID: 3, LastHash: prev}) {
			t.Errorf("head = %+v, %v; want #3 %s", head, err, prev)
		}
	})
}

func TestAuditChainStaysIntactUnderConcurrentAppendsAndSaves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		const writers, each = 6, 15
		var tumors []uint
		for i := range writers {
			_, ids := addPatient(t, s, f.ID, map[string]string{"nameLast": fmt.Sprint("P", i)}, "draft",
				map[string]string{"primarySite": "C500"})
			tumors = append(tumors, ids[0])
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*writers*each)
		for w := range writers {
			wg.Go(func() { // plain appends, as logins and case views make
				for i := range each {
					errs <- s.Audit(ctx, store.AuditEntry{Action: audit.CaseView, Entity: "tumor",
						EntityID: fmt.Sprint(w, "-", i), Details: map[string]int{"writer": w, "i": i}})
				}
			})
			wg.Go(func() { // appends inside SaveCase's transaction
				for i := range each {
					c, err := s.LoadCase(ctx, tumors[w], store.FacilityScope(f.ID))
					if err != nil {
						errs <- err
						continue
					}
					items := maps.Clone(c.Tumor.Items)
					items["grade"] = fmt.Sprint(i % 9)
					items["laterality"] = fmt.Sprint(i)
					_, _, err = s.SaveCase(ctx, store.CaseSave{TumorID: tumors[w], Scope: store.FacilityScope(f.ID),
						PatientVersion: c.Patient.Version, TumorVersion: c.Tumor.Version,
						PatientItems: c.Patient.Items, TumorItems: items})
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		wantIntact(t, s, 2*writers*each)
	})
}

func TestSaveCaseEventChainsBetweenOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		_, tumors := addPatient(t, s, f.ID, map[string]string{"nameLast": "Doe"}, "draft", map[string]string{"primarySite": "C509"})
		appendEvents(t, s, 1)
		c, err := s.LoadCase(ctx, tumors[0], store.FacilityScope(f.ID))
		if err != nil {
			t.Fatal(err)
		}
		items := maps.Clone(c.Tumor.Items)
		items["primarySite"] = "C501"
		if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: tumors[0], Scope: store.FacilityScope(f.ID),
			PatientVersion: c.Patient.Version, TumorVersion: c.Tumor.Version, PatientItems: c.Patient.Items, TumorItems: items,
			Comment: "checked the path report"}); err != nil {
			t.Fatal(err)
		}
		appendEvents(t, s, 1)
		wantIntact(t, s, 3)
		evs, err := s.AuditChain(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if evs[1].Action != audit.CaseUpdate || evs[1].PrevHash != evs[0].Hash || evs[2].PrevHash != evs[1].Hash {
			t.Errorf("events %+v; want case.update second, chained to its neighbours", evs)
		}
	})
}

func TestARolledBackAppendLeavesNoGap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		appendEvents(t, s, 1)
		if err := s.AuditRolledBack(ctx, store.AuditEntry{Action: audit.CaseUpdate}); err != nil {
			t.Fatal(err)
		}
		appendEvents(t, s, 1)
		wantIntact(t, s, 2)
	})
}

func TestAuditEventsCannotBeChangedOrDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		appendEvents(t, s, 2)
		for _, q := range []string{
			`UPDATE audit_events SET details = '{"n":9}' WHERE id = 1`,
			`UPDATE audit_events SET hash = '' WHERE id = 2`,
			`DELETE FROM audit_events WHERE id = 2`,
			`DELETE FROM audit_events`,
		} {
			_, err := s.DB().ExecContext(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want it refused as append-only", q, err)
			}
		}
		wantIntact(t, s, 2)
	})
}

func TestVerifyNamesTheEventAnAttackerChanged(t *testing.T) {
	tests := []struct {
		name    string
		stmts   []string
		breakAt uint64
		action  string // of the event named; "" when it is missing
		reason  string
	}{
		{"details changed", []string{`UPDATE audit_events SET details = '{"n":30}' WHERE id = 3`},
			3, audit.CaseView, "does not match its content"},
		{"user set", []string{`UPDATE audit_events SET user_id = 7 WHERE id = 2`},
			2, audit.CaseView, "does not match its content"},
		{"action changed", []string{`UPDATE audit_events SET action = 'logout' WHERE id = 4`},
			4, audit.Logout, "does not match its content"},
		{"hash replaced by another event's", []string{
			`UPDATE audit_events SET hash = (SELECT h FROM (SELECT hash AS h FROM audit_events WHERE id = 1) x) WHERE id = 3`},
			3, audit.CaseView, "does not match its content"},
		{"a middle event deleted", []string{`DELETE FROM audit_events WHERE id = 3`},
			4, audit.CaseView, "event #3 before it is missing"},
		{"the first event deleted", []string{`DELETE FROM audit_events WHERE id = 1`},
			2, audit.CaseView, "event #1 before it is missing"},
		{"the last event deleted", []string{`DELETE FROM audit_events WHERE id = 5`},
			5, "", "events after #4 were deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				appendEvents(t, s, 5)
				wantIntact(t, s, 5)
				asAttacker(t, s, tt.stmts...)
				b := verifyAudit(t, s).Break
				if b == nil {
					t.Fatal("Verify found the changed trail intact")
				}
				action := ""
				if b.Event != nil {
					action = b.Event.Action
				}
				if b.ID != tt.breakAt || action != tt.action || !strings.Contains(b.Reason, tt.reason) {
					t.Errorf("break at #%d (%q): %s; want #%d (%q): %s", b.ID, action, b.Reason, tt.breakAt, tt.action, tt.reason)
				}
			})
		})
	}
}
