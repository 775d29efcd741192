package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func TestSessionByTokenHashFindsOnlyLiveSessionsOfEnabledUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := storetest.Clock
		f := addFacility(t, s, "F")
		disabledAt := now.Add(-time.Hour)
		users := map[string]*store.User{
			"alice": {Username: "alice", PasswordHash: "x", Role: "registrar", FacilityID: &f.ID},
			"admin": {Username: "admin", PasswordHash: "x", Role: "admin"},
			"gone":  {Username: "gone", PasswordHash: "x", Role: "registrar", FacilityID: &f.ID, DisabledAt: &disabledAt},
		}
		for _, name := range []string{"alice", "admin", "gone"} {
			if err := s.CreateUser(ctx, users[name]); err != nil {
				t.Fatal(err)
			}
		}
		sessions := map[string]*store.Session{}
		for _, sp := range []struct {
			token, user string
			expires     time.Time
		}{
			{"live", "alice", now.Add(time.Hour)},
			{"admin", "admin", now.Add(time.Hour)},
			{"expired", "alice", now.Add(-time.Second)},
			{"disabled", "gone", now.Add(time.Hour)},
		} {
			sess := &store.Session{TokenHash: tokenHash(sp.token), UserID: users[sp.user].ID, CSRFToken: "csrf-" + sp.token,
				CreatedAt: now.Add(-time.Minute), ExpiresAt: sp.expires, LastSeenAt: now.Add(-time.Minute)}
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
			sessions[sp.token] = sess
		}

		tests := []struct {
			name         string
			token        string
			at           time.Time
			wantUser     string // "" when the session must not be found
			wantFacility string
		}{
			{name: "live session", token: "live", at: now, wantUser: "alice", wantFacility: "F"},
			{name: "live session just before expiry", token: "live", at: now.Add(time.Hour - time.Microsecond), wantUser: "alice", wantFacility: "F"},
			{name: "session of a user without facility", token: "admin", at: now, wantUser: "admin"},
			{name: "live session at its expiry", token: "live", at: now.Add(time.Hour)},
			{name: "expired session", token: "expired", at: now},
			{name: "disabled user", token: "disabled", at: now},
			{name: "unknown token", token: "nope", at: now},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				su, err := s.SessionByTokenHash(ctx, tokenHash(tt.token), tt.at)
				if tt.wantUser == "" {
					if !errors.Is(err, store.ErrNotFound) {
						t.Errorf("SessionByTokenHash = %+v, %v; want ErrNotFound", su, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if su.User.Username != tt.wantUser || su.Session.ID != sessions[tt.token].ID || su.Session.CSRFToken != "csrf-"+tt.token {
					t.Errorf("session %+v of user %q, want session %d of %q", su.Session, su.User.Username, sessions[tt.token].ID, tt.wantUser)
				}
				switch {
				case tt.wantFacility == "" && su.Facility != nil:
					t.Errorf("facility %+v, want none", su.Facility)
				case tt.wantFacility != "" && (su.Facility == nil || su.Facility.Code != tt.wantFacility):
					t.Errorf("facility %+v, want %s", su.Facility, tt.wantFacility)
				}
			})
		}

		t.Run("touch moves last seen", func(t *testing.T) {
			seen := now.Add(5 * time.Minute)
			if err := s.TouchSession(ctx, sessions["live"].ID, seen); err != nil {
				t.Fatal(err)
			}
			su, err := s.SessionByTokenHash(ctx, tokenHash("live"), now)
			if err != nil || !su.Session.LastSeenAt.Equal(seen) {
				t.Errorf("last seen %v, %v; want %v", su.Session.LastSeenAt, err, seen)
			}
		})

		t.Run("deleted session is not found", func(t *testing.T) {
			if err := s.DeleteSession(ctx, sessions["live"].ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SessionByTokenHash(ctx, tokenHash("live"), now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("after delete: err = %v, want ErrNotFound", err)
			}
			if _, err := s.SessionByTokenHash(ctx, tokenHash("admin"), now); err != nil {
				t.Errorf("another session went with it: %v", err)
			}
		})

		t.Run("expired sessions are swept", func(t *testing.T) {
			n, err := s.DeleteExpiredSessions(ctx, now)
			if err != nil || n != 1 {
				t.Errorf("DeleteExpiredSessions = %d, %v; want 1 (the expired one)", n, err)
			}
			if _, err := s.SessionByTokenHash(ctx, tokenHash("admin"), now); err != nil {
				t.Errorf("a live session was swept: %v", err)
			}
		})
	})
}
