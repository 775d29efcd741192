package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestLoginThrottlesCountEachKeyAndStartOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := storetest.Clock
		addr := store.ThrottleKey{RemoteAddr: "192.0.2.7"}
		pair := store.ThrottleKey{Username: "alice", RemoteAddr: "192.0.2.7"}
		acct := store.ThrottleKey{Username: "alice"}
		other := store.ThrottleKey{Username: "bob", RemoteAddr: "192.0.2.7"}
		failures := func(t *testing.T) map[store.ThrottleKey]int {
			t.Helper()
			rows, err := s.LoginThrottles(ctx, []store.ThrottleKey{addr, pair, acct, other})
			if err != nil {
				t.Fatal(err)
			}
			got := map[store.ThrottleKey]int{}
			for _, r := range rows {
				got[store.ThrottleKey{Username: r.Username, RemoteAddr: r.RemoteAddr}] = r.Failures
			}
			return got
		}
		for i := range 3 {
			if err := s.RecordLoginFailure(ctx, []store.ThrottleKey{addr, pair, acct}, now.Add(time.Duration(i)*time.Second), now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RecordLoginFailure(ctx, []store.ThrottleKey{addr, other}, now.Add(3*time.Second), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := failures(t); got[addr] != 4 || got[pair] != 3 || got[acct] != 3 || got[other] != 1 {
			t.Errorf("failures %v, want address 4, alice from it 3, alice 3, bob 1", got)
		}
		rows, err := s.LoginThrottles(ctx, []store.ThrottleKey{addr})
		if err != nil || len(rows) != 1 || !rows[0].LastFailureAt.Equal(now.Add(3*time.Second)) {
			t.Errorf("address row %+v, %v; want the last failure at +3s", rows, err)
		}

		// A failure long after the last one starts the count over.
		later := now.Add(2 * time.Hour)
		if err := s.RecordLoginFailure(ctx, []store.ThrottleKey{pair}, later, later.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := failures(t); got[pair] != 1 || got[acct] != 3 {
			t.Errorf("after a quiet hour: failures %v, want alice from the address 1, alice 3", got)
		}

		// A successful sign-in clears its own key only.
		if err := s.ClearLoginThrottle(ctx, pair); err != nil {
			t.Fatal(err)
		}
		if got := failures(t); got[pair] != 0 || got[addr] != 4 || got[acct] != 3 {
			t.Errorf("after clearing alice's key: %v", got)
		}

		// Pruning removes the rows with no failure since.
		n, err := s.DeleteStaleLoginThrottles(ctx, now.Add(2500*time.Millisecond))
		if err != nil || n != 1 {
			t.Errorf("DeleteStaleLoginThrottles = %d, %v; want 1 (alice over every address)", n, err)
		}
		if got := failures(t); got[acct] != 0 || got[addr] != 4 || got[other] != 1 {
			t.Errorf("after pruning: %v", got)
		}
	})
}

func TestClearAccountThrottlesIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := storetest.Clock
		f := addFacility(t, s, "F")
		alice := &store.User{Username: "alice", PasswordHash: "x", Role: "registrar", FacilityID: &f.ID}
		admin := &store.User{Username: "admin", PasswordHash: "x", Role: "admin"}
		for _, u := range []*store.User{alice, admin} {
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		keys := []store.ThrottleKey{{RemoteAddr: "192.0.2.7"}, {Username: "alice", RemoteAddr: "192.0.2.7"}, {Username: "alice"},
			{Username: "alice", RemoteAddr: "198.51.100.1"}, {Username: "bob"}}
		if err := s.RecordLoginFailure(ctx, keys, now, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		rows, err := s.AccountThrottles(ctx, "alice")
		if err != nil || len(rows) != 3 {
			t.Fatalf("AccountThrottles(alice) = %d rows, %v; want 3", len(rows), err)
		}
		n, err := s.ClearAccountThrottles(ctx, alice.ID, store.Actor{UserID: &admin.ID, RemoteAddr: "127.0.0.1"})
		if err != nil || n != 3 {
			t.Fatalf("ClearAccountThrottles = %d, %v; want 3", n, err)
		}
		left, err := s.LoginThrottles(ctx, keys)
		if err != nil || len(left) != 2 {
			t.Errorf("rows left %+v, %v; want the address's and bob's", left, err)
		}
		evs, err := s.AuditEvents(ctx, "user", "alice", 10)
		if err != nil || len(evs) == 0 || evs[0].Action != audit.LoginThrottleClear || evs[0].UserID == nil || *evs[0].UserID != admin.ID {
			t.Errorf("audit events %+v, %v; want login.throttle_clear by the admin", evs, err)
		}
		if _, err := s.ClearAccountThrottles(ctx, 9999, store.Actor{UserID: &admin.ID}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("clear for no such user: %v, want ErrNotFound", err)
		}
	})
}

func TestLoginPresessionsExpire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := storetest.Clock
		for _, p := range []*store.LoginPresession{
			{TokenHash: tokenHash("live"), CSRFToken: "csrf-live", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: tokenHash("old"), CSRFToken: "csrf-old", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
		} {
			if err := s.CreateLoginPresession(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		p, err := s.LoginPresessionByTokenHash(ctx, tokenHash("live"), now)
		if err != nil || p.CSRFToken != "csrf-live" {
			t.Errorf("live pre-session: %+v, %v", p, err)
		}
		for _, tok := range []string{"old", "made-up"} {
			if _, err := s.LoginPresessionByTokenHash(ctx, tokenHash(tok), now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("pre-session %s: %v, want ErrNotFound", tok, err)
			}
		}
		if n, err := s.DeleteExpiredLoginPresessions(ctx, now); err != nil || n != 1 {
			t.Errorf("DeleteExpiredLoginPresessions = %d, %v; want 1", n, err)
		}
		if err := s.DeleteLoginPresession(ctx, tokenHash("live")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LoginPresessionByTokenHash(ctx, tokenHash("live"), now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted pre-session: %v, want ErrNotFound", err)
		}
	})
}
