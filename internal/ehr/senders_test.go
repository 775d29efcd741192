package ehr

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
)

type fakeSenders struct {
	added   []store.EHRSender
	events  []store.AuditEntry
	revoked map[uint]bool
}

func (f *fakeSenders) AddEHRSender(_ context.Context, snd *store.EHRSender, e store.AuditEntry) error {
	snd.ID = uint(len(f.added) + 1)
	f.added = append(f.added, *snd)
	f.events = append(f.events, e)
	return nil
}

func (f *fakeSenders) EHRSenders(context.Context, uint) ([]store.EHRSender, error) {
	return f.added, nil
}

func (f *fakeSenders) RevokeEHRSender(_ context.Context, id uint, e store.AuditEntry) error {
	if int(id) > len(f.added) || f.revoked[id] {
		return store.ErrNotFound
	}
	f.revoked[id] = true
	f.events = append(f.events, e)
	return nil
}

func TestSendersAddChecksTheFormAndKeepsOnlyTheTokensHash(t *testing.T) {
	uid := uint(7)
	by := store.Actor{UserID: &uid, RemoteAddr: "127.0.0.1"}
	tests := []struct {
		name, give string
		facility   uint
		field      string // "" for added
	}{
		{"added", "  State lab  ", 1, ""},
		{"no facility", "State lab", 0, "facility"},
		{"no name", " \t", 1, "name"},
		{"name too long", strings.Repeat("é", maxSenderName+1), 1, "name"},
		{"longest name", strings.Repeat("é", maxSenderName), 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSenders{revoked: map[uint]bool{}}
			snd, tok, err := NewSenders(f).Add(context.Background(), by, tt.facility, tt.give)
			if tt.field != "" {
				var p *SenderProblem
				if !errors.As(err, &p) || p.Field != tt.field {
					t.Fatalf("Add = %v, want a problem with %s", err, tt.field)
				}
				if len(f.added) != 0 {
					t.Fatalf("a refused sender was stored: %+v", f.added)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if snd.Name != strings.TrimSpace(tt.give) || snd.TokenHash != auth.HashToken(tok) || strings.Contains(snd.TokenHash, tok) {
				t.Fatalf("sender %+v with token %q: want the trimmed name and only the token's hash", snd, tok)
			}
			if e := f.events[0]; e.Action != audit.EHRSenderAdd || e.UserID == nil || *e.UserID != uid || e.RemoteAddr != "127.0.0.1" {
				t.Fatalf("audit event %+v: want ehr.sender_add by user 7", e)
			}
		})
	}
}

func TestSendersRevokeOnceThenSaysNoActiveSender(t *testing.T) {
	f := &fakeSenders{revoked: map[uint]bool{}}
	s := NewSenders(f)
	if _, _, err := s.Add(context.Background(), store.Actor{}, 1, "Lab"); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(context.Background(), store.Actor{}, 1); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint{1, 9} {
		if err := s.Revoke(context.Background(), store.Actor{}, id); !errors.Is(err, ErrNoSender) {
			t.Fatalf("Revoke(%d) = %v, want ErrNoSender", id, err)
		}
	}
}
