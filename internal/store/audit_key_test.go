package store_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/migrations"
)

// recomputeWithoutKey is what someone who can change the database but has no key can do: drop
// the triggers, change event id's details, and rebuild every hash from it on with plain SHA-256,
// moving the head, so that the chain links up again.
func recomputeWithoutKey(t *testing.T, s *store.Store, id uint64, details string) {
	t.Helper()
	ctx := context.Background()
	asAttacker(t, s)
	evs, err := s.AuditChain(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	prev := audit.Genesis
	for _, e := range evs {
		if e.ID == id {
			e.Details = details
		}
		if e.ID >= id {
			e.PrevHash = prev
			e.Hash = audit.Sum(e)
			if _, err := s.DB().ExecContext(ctx, "UPDATE audit_events SET details = ?, prev_hash = ?, hash = ? WHERE id = ?",
				e.Details, e.PrevHash, e.Hash, e.ID); err != nil {
				t.Fatal(err)
			}
		}
		prev = e.Hash
	}
	if _, err := s.DB().ExecContext(ctx, "UPDATE audit_chain SET last_hash = ? WHERE id = 1", prev); err != nil {
		t.Fatal(err)
	}
}

func TestAuditEventsCarryTheKeysHash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		appendEvents(t, s, 2)
		evs, err := s.AuditChain(context.Background(), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Hash != storetest.AuditKey.Sum(e) || e.Hash == audit.Sum(e) {
				t.Errorf("event #%d hash %s; want the key's HMAC, not the plain SHA-256", e.ID, e.Hash)
			}
		}
		seal, err := s.AuditSeal(context.Background())
		if err != nil || seal != (audit.Seal{KeyedFrom: 1, MAC: storetest.AuditKey.Seal(1, audit.Genesis)}) {
			t.Errorf("seal %+v, %v; want the key's, from event #1", seal, err)
		}
	})
}

func TestAChainRecomputedWithoutTheKeyFailsVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		appendEvents(t, s, 5)
		wantIntact(t, s, 5)
		recomputeWithoutKey(t, s, 3, `{"n":30}`)
		// The plain chain links up: without the key, verify would pass.
		evs, _ := s.AuditChain(context.Background(), 0, 10)
		if evs[2].Hash != audit.Sum(evs[2]) || evs[3].PrevHash != evs[2].Hash {
			t.Fatal("the attack did not rebuild the chain")
		}
		b := verifyAudit(t, s).Break
		if b == nil || b.ID != 3 || b.Event == nil || !strings.Contains(b.Reason, "recomputed without the key") {
			t.Fatalf("break %+v; want event #3 named as recomputed without the key", b)
		}
	})
}

func TestVerifyWithAnotherKeyFailsAtTheSeal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		appendEvents(t, s, 2)
		res, err := audit.Verify(context.Background(), s, storetest.OtherAuditKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b := res.Break; b == nil || !b.Seal || b.ID != 1 || !strings.Contains(b.Reason, "not this key's") {
			t.Fatalf("break %+v; want the seal not this key's", b)
		}
	})
}

func TestCheckAuditKeyRefusesAnotherKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		appendEvents(t, s, 1)
		if err := s.CheckAuditKey(ctx); err != nil {
			t.Fatalf("the store's own key: %v", err)
		}
		other := s.WithAuditKey(storetest.OtherAuditKey)
		// Migrating with another key leaves the seal as it was, and the check refuses the key.
		if _, err := other.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := other.CheckAuditKey(ctx); !errors.Is(err, store.ErrAuditKey) {
			t.Errorf("another key: err = %v, want ErrAuditKey", err)
		}
		wantIntact(t, s, 1)
	})
}

func TestAStoreWithoutAKeyRefusesToAppend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		err := s.WithAuditKey(nil).Audit(context.Background(), store.AuditEntry{Action: audit.Logout})
		if err == nil || !strings.Contains(err.Error(), "without an audit key") {
			t.Errorf("err = %v, want the append refused", err)
		}
		wantIntact(t, s, 0)
	})
}

// beforeTheKey takes a store's database back to before migration 00010, appends older events
// with plain hashes as cara did then, and migrates it forward again with the key.
func beforeTheKey(t *testing.T, s *store.Store, older int) {
	t.Helper()
	ctx := context.Background()
	gd := goose.DialectSQLite3
	if s.Dialect() == store.DialectMySQL {
		gd = goose.DialectMySQL
	}
	sub, err := fs.Sub(migrations.FS, string(s.Dialect()))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := goose.NewProvider(gd, s.DB(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prov.DownTo(ctx, 9); err != nil {
		t.Fatalf("down to before 00010: %v", err)
	}
	for range older {
		if err := s.AuditBeforeKey(ctx, store.AuditEntry{Action: audit.LoginSuccess, Entity: "user", EntityID: "jdoe"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAnOlderTrailIsSealedByTheKeyAndStillVerified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		beforeTheKey(t, s, 3)
		appendEvents(t, s, 2)
		res := verifyAudit(t, s)
		if res.Break != nil || res.Events != 5 || res.KeyedFrom != 4 {
			t.Fatalf("Verify = %+v; want 5 events intact, keyed from #4", res)
		}
		evs, _ := s.AuditChain(ctx, 0, 10)
		if evs[2].Hash != audit.Sum(evs[2]) || evs[3].Hash != storetest.AuditKey.Sum(evs[3]) || evs[3].PrevHash != evs[2].Hash {
			t.Errorf("events %+v; want #3 plain, #4 keyed and chained to it", evs[2:4])
		}
		if err := s.CheckAuditKey(ctx); err != nil {
			t.Errorf("CheckAuditKey: %v", err)
		}
	})
}

func TestAChangedOlderEventFailsVerifyEvenWithItsChainRecomputed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		beforeTheKey(t, s, 3)
		// The older events only, their plain chain rebuilt; the keyed events after them are left
		// as they are, since their hashes cannot be rebuilt without the key.
		asAttacker(t, s)
		ctx := context.Background()
		evs, _ := s.AuditChain(ctx, 0, 10)
		prev := audit.Genesis
		for _, e := range evs {
			if e.ID == 2 {
				e.RemoteAddr = "198.51.100.9"
			}
			e.PrevHash = prev
			e.Hash = audit.Sum(e)
			if _, err := s.DB().ExecContext(ctx, "UPDATE audit_events SET remote_addr = ?, prev_hash = ?, hash = ? WHERE id = ?",
				e.RemoteAddr, e.PrevHash, e.Hash, e.ID); err != nil {
				t.Fatal(err)
			}
			prev = e.Hash
		}
		if _, err := s.DB().ExecContext(ctx, "UPDATE audit_chain SET last_hash = ? WHERE id = 1", prev); err != nil {
			t.Fatal(err)
		}
		b := verifyAudit(t, s).Break
		if b == nil || !b.Seal || b.ID != 4 {
			t.Fatalf("break %+v; want the seal before event #4", b)
		}
	})
}

func TestMovingWhereTheKeyTookOverFailsVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		appendEvents(t, s, 3)
		recomputeWithoutKey(t, s, 1, `{"n":1}`)
		// Every event passed off as older than the key.
		if _, err := s.DB().ExecContext(context.Background(), "UPDATE audit_chain SET keyed_from = 4 WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		b := verifyAudit(t, s).Break
		if b == nil || !b.Seal || b.ID != 4 || !strings.Contains(b.Reason, "not this key's") {
			t.Fatalf("break %+v; want the seal before event #4 not this key's", b)
		}
	})
}
