package ehr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
)

// SenderStore is what managing senders needs of the database.
type SenderStore interface {
	AddEHRSender(ctx context.Context, snd *store.EHRSender, e store.AuditEntry) error
	EHRSenders(ctx context.Context, facilityID uint) ([]store.EHRSender, error)
	RevokeEHRSender(ctx context.Context, id uint, e store.AuditEntry) error
}

// Senders manages the senders allowed to send reports: on the MLLP listener (the token in
// MSH-8) and on the FHIR endpoint (the token as bearer token). `cara ehr sender` and the
// administration pages both go through it.
type Senders struct{ store SenderStore }

// NewSenders makes the sender service.
func NewSenders(st SenderStore) *Senders { return &Senders{store: st} }

// maxSenderName is the longest name a sender is given (VARCHAR(100) on MySQL).
const maxSenderName = 100

// ErrNoSender is revoking a sender that does not exist or is revoked already.
var ErrNoSender = errors.New("no active sender")

// SenderProblem is a sender that cannot be added as asked: which field and why.
type SenderProblem struct{ Field, Message string }

func (p *SenderProblem) Error() string { return p.Field + ": " + p.Message }

// Add registers a sender of a facility and returns it with its token, which is shown this once:
// only its hash is kept.
func (s *Senders) Add(ctx context.Context, by store.Actor, facilityID uint, name string) (store.EHRSender, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case facilityID == 0:
		return store.EHRSender{}, "", &SenderProblem{"facility", "choose the facility whose suspense list the sender's reports join"}
	case name == "":
		return store.EHRSender{}, "", &SenderProblem{"name", "say who the sender is, such as the lab's or the EHR interface's name"}
	case utf8.RuneCountInString(name) > maxSenderName:
		return store.EHRSender{}, "", &SenderProblem{"name", fmt.Sprintf("at most %d characters", maxSenderName)}
	}
	tok, err := NewToken()
	if err != nil {
		return store.EHRSender{}, "", err
	}
	snd := store.EHRSender{FacilityID: facilityID, Name: name, TokenHash: auth.HashToken(tok)}
	err = s.store.AddEHRSender(ctx, &snd, store.AuditEntry{UserID: by.UserID, RemoteAddr: by.RemoteAddr,
		Action: audit.EHRSenderAdd, Entity: "ehr_sender", Details: map[string]any{"facility": facilityID, "name": name}})
	if err != nil {
		return store.EHRSender{}, "", err
	}
	return snd, tok, nil
}

// List is the senders of a facility, or of all (facilityID 0), oldest first.
func (s *Senders) List(ctx context.Context, facilityID uint) ([]store.EHRSender, error) {
	return s.store.EHRSenders(ctx, facilityID)
}

// Revoke ends a sender's token at once: its next message or bundle is refused.
func (s *Senders) Revoke(ctx context.Context, by store.Actor, id uint) error {
	err := s.store.RevokeEHRSender(ctx, id, store.AuditEntry{UserID: by.UserID, RemoteAddr: by.RemoteAddr,
		Action: audit.EHRSenderRevoke, Entity: "ehr_sender"})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w #%d", ErrNoSender, id)
	}
	return err
}
