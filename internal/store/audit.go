package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// AuditEntry is what a caller records; the store stamps the time and chains it (see audit).
// Action is one of the audit package's action names.
type AuditEntry struct {
	UserID     *uint
	Action     string
	Entity     string
	EntityID   string
	Details    any // encoded as JSON
	RemoteAddr string
}

// maxEntityID is the width of audit_events.entity_id (VARCHAR(64) on MySQL).
const maxEntityID = 64

// clampEntityID fits an entity id (a file path, a username typed at login) into the column, so
// that a long one cannot make the audit, and the action it records, fail on MySQL. A long id keeps
// its end, where a file name is, after "...". Invalid UTF-8, which MySQL refuses, becomes U+FFFD.
// Writes and look-ups clamp alike, so they still match.
func clampEntityID(id string) string {
	id = strings.ToValidUTF8(id, "\uFFFD")
	if utf8.RuneCountInString(id) <= maxEntityID {
		return id
	}
	r := []rune(id)
	return "..." + string(r[len(r)-(maxEntityID-3):])
}

// Audit appends one event to the audit trail, in a transaction of its own.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return s.retryTx(ctx, "audit "+e.Action, func(tx *gorm.DB) error {
		return s.audit(tx, e)
	})
}

// audit appends one event to the hash chain of the audit trail (see internal/audit). tx must be
// a transaction: the caller's, when the event records a change made in it (SaveCase), so that
// the change and its event commit or roll back together.
//
// Appends take turns on the one row of audit_chain, the chain's head (last id and hash), in
// three statements:
//  1. The head is read under its lock, held to the commit (Dialect.lockChainHead: a locking read
//     on MySQL, UPDATE … RETURNING on SQLite, where it takes the database's write lock). A
//     concurrent append waits here and then reads the head this one left, so each event chains
//     to the true last one.
//  2. The event is inserted with the next id, the last hash as prev_hash, and its own hash under
//     the store's audit key.
//  3. The head takes the new event's id and hash.
//
// The store numbers events itself rather than by AUTO_INCREMENT, because the hash covers the id
// and because a rolled-back transaction would leave a gap in MySQL's numbering that verify must
// read as a deleted event; here a rollback undoes the head's update too.
//
// Nothing updates or deletes an event: the store has no method for it and triggers refuse it.
// Call audit last in a transaction, after its other writes: the head's lock is the one every
// append takes, so holding it no longer than needed keeps writers moving, and taking it after
// any other lock keeps one order of locks (no deadlock).
func (s *Store) audit(tx *gorm.DB, e AuditEntry) error {
	if s.key == nil {
		return fmt.Errorf("store: audit %s: the store was opened without an audit key", e.Action)
	}
	return s.appendAudit(tx, e, s.key.Link)
}

// appendAudit is audit with the hash of link: the key's, but for tests that make a trail from
// before the key.
func (s *Store) appendAudit(tx *gorm.DB, e AuditEntry, link func(audit.Head, audit.Event) audit.Event) error {
	details := "{}"
	if e.Details != nil {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("store: audit %s: encode details: %w", e.Action, err)
		}
		details = string(b)
	}
	head, err := s.dialect.lockChainHead(tx)
	if err != nil {
		return fmt.Errorf("store: audit %s: lock the chain: %w", e.Action, err)
	}
	ev := link(head, audit.Event{
		At: s.now(), UserID: uint64Ptr(e.UserID), Action: strings.ToValidUTF8(e.Action, "\uFFFD"),
		Entity: strings.ToValidUTF8(e.Entity, "\uFFFD"), EntityID: clampEntityID(e.EntityID), Details: details,
		RemoteAddr: strings.ToValidUTF8(e.RemoteAddr, "\uFFFD"),
	})
	row := AuditEvent{
		ID: uint(ev.ID), At: ev.At, UserID: e.UserID, Action: ev.Action, Entity: ev.Entity, EntityID: ev.EntityID,
		Details: ev.Details, RemoteAddr: ev.RemoteAddr, PrevHash: ev.PrevHash, Hash: ev.Hash,
	}
	if err := tx.Create(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			// The id is the head's plus one, read under the head's lock: on a Galera cluster another
			// node's append, applied here after the read, took it (that write set aborts this
			// transaction too, but the insert may meet its row first).
			return fmt.Errorf("store: audit %s: event #%d: %w", e.Action, ev.ID, errChainMoved)
		}
		return fmt.Errorf("store: audit %s: %w", e.Action, err)
	}
	if err := tx.Exec("UPDATE audit_chain SET last_id = ?, last_hash = ? WHERE id = 1", ev.ID, ev.Hash).Error; err != nil {
		return fmt.Errorf("store: audit %s: move the chain head: %w", e.Action, err)
	}
	return nil
}

func uint64Ptr(u *uint) *uint64 {
	if u == nil {
		return nil
	}
	v := uint64(*u)
	return &v
}

// AuditChainHead returns the id and hash of the last event appended, as the chain's head keeps them.
func (s *Store) AuditChainHead(ctx context.Context) (audit.Head, error) {
	var h audit.Head
	err := s.db.WithContext(ctx).Raw("SELECT last_id, last_hash FROM audit_chain WHERE id = 1").Row().Scan(&h.LastID, &h.LastHash)
	if err != nil {
		return h, fmt.Errorf("store: audit chain head: %w", err)
	}
	return h, nil
}

// AuditSeal returns where the audit key took over the chain (see audit.Seal).
func (s *Store) AuditSeal(ctx context.Context) (audit.Seal, error) {
	var seal audit.Seal
	err := s.db.WithContext(ctx).Raw("SELECT keyed_from, key_seal FROM audit_chain WHERE id = 1").Row().Scan(&seal.KeyedFrom, &seal.MAC)
	if err != nil {
		return seal, fmt.Errorf("store: audit seal: %w", err)
	}
	return seal, nil
}

// ErrAuditKey is a store's audit key that is not the one its trail was sealed with.
var ErrAuditKey = errors.New("the audit key is not the one this database's audit trail was sealed with")

// SealAuditChain writes the audit key's seal (audit.Key.Seal) of where the key took over the
// chain, when it is not written yet: on a new database before the first event, on one from
// before the key after its last event (migration 00010 recorded which). It returns the seal.
//
// Concurrent processes migrating with the same key write the same seal; the head's row lock
// makes them take turns, and the later one finds the seal written. A process with another key
// finds it written too, and CheckAuditKey refuses that key.
func (s *Store) SealAuditChain(ctx context.Context) (audit.Seal, error) {
	if s.key == nil {
		return audit.Seal{}, fmt.Errorf("store: seal the audit chain: the store was opened without an audit key")
	}
	var seal audit.Seal
	// Every command that opens the store seals (audit verify too): on a Galera cluster its lock
	// of the head loses to appends on other nodes, and it runs again.
	err := s.retryTx(ctx, "seal the audit chain", func(tx *gorm.DB) error {
		seal = audit.Seal{}
		if err := tx.Exec("UPDATE audit_chain SET key_seal = key_seal WHERE id = 1").Error; err != nil {
			return fmt.Errorf("lock the chain: %w", err)
		}
		if err := tx.Raw("SELECT keyed_from, key_seal FROM audit_chain WHERE id = 1").Row().Scan(&seal.KeyedFrom, &seal.MAC); err != nil {
			return fmt.Errorf("read the chain: %w", err)
		}
		if seal.MAC != "" {
			return nil
		}
		if seal.KeyedFrom == 0 {
			return fmt.Errorf("audit_chain.keyed_from is 0, which no migration writes")
		}
		prev, err := auditHashBefore(tx, seal.KeyedFrom)
		if err != nil {
			return err
		}
		seal.MAC = s.key.Seal(seal.KeyedFrom, prev)
		return tx.Exec("UPDATE audit_chain SET key_seal = ? WHERE id = 1", seal.MAC).Error
	})
	if err != nil {
		return seal, fmt.Errorf("store: seal the audit chain: %w", err)
	}
	return seal, nil
}

// auditHashBefore is the hash of the event before id: Genesis for the first.
func auditHashBefore(tx *gorm.DB, id uint64) (string, error) {
	if id <= 1 {
		return audit.Genesis, nil
	}
	var hash string
	err := tx.Raw("SELECT hash FROM audit_events WHERE id = ?", id-1).Row().Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("event #%d, the last before the key took over, is missing", id-1)
	}
	if err != nil {
		return "", fmt.Errorf("read event #%d: %w", id-1, err)
	}
	return hash, nil
}

// CheckAuditKey refuses (ErrAuditKey) a store whose audit key is not the one its chain was
// sealed with, so that a process given another installation's key, or a new one by mistake,
// does not append events that break the chain. It does not verify the trail: cara audit verify
// does.
func (s *Store) CheckAuditKey(ctx context.Context) error {
	if s.key == nil {
		return fmt.Errorf("store: check the audit key: the store was opened without one")
	}
	seal, err := s.AuditSeal(ctx)
	if err != nil {
		return err
	}
	prev, err := auditHashBefore(s.db.WithContext(ctx), seal.KeyedFrom)
	if err != nil {
		return fmt.Errorf("store: check the audit key: %w", err)
	}
	if seal.MAC == "" || s.key.Seal(seal.KeyedFrom, prev) != seal.MAC {
		return fmt.Errorf("store: %w (run cara audit verify to see where the trail breaks)", ErrAuditKey)
	}
	return nil
}

// AuditChain returns up to limit events with an id above after, in id order, for audit.Verify.
func (s *Store) AuditChain(ctx context.Context, after uint64, limit int) ([]audit.Event, error) {
	var rows []AuditEvent
	if err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: audit chain after %d: %w", after, err)
	}
	evs := make([]audit.Event, len(rows))
	for i, r := range rows {
		evs[i] = audit.Event{
			ID: uint64(r.ID), At: r.At, UserID: uint64Ptr(r.UserID), Action: r.Action, Entity: r.Entity,
			EntityID: r.EntityID, Details: r.Details, RemoteAddr: r.RemoteAddr, PrevHash: r.PrevHash, Hash: r.Hash,
		}
	}
	return evs, nil
}

// AuditEvents returns the newest events first, at most limit, for an entity (or all when entity
// is empty).
func (s *Store) AuditEvents(ctx context.Context, entity, entityID string, limit int) ([]AuditEvent, error) {
	q := s.db.WithContext(ctx).Order("id DESC").Limit(limit)
	if entity != "" {
		q = q.Where("entity = ? AND entity_id = ?", entity, clampEntityID(entityID))
	}
	var evs []AuditEvent
	if err := q.Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("store: audit events: %w", err)
	}
	return evs, nil
}

// CountAudit counts events of one action on one entity since a time; login throttling uses it,
// so the limit holds across every cara process that shares the database.
func (s *Store) CountAudit(ctx context.Context, action, entity, entityID string, since time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&AuditEvent{}).
		Where("entity = ? AND entity_id = ? AND action = ? AND at > ?", entity, clampEntityID(entityID), action, since.UTC()).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("store: count audit %s: %w", action, err)
	}
	return n, nil
}

// AuditDetails returns the details (JSON) of every event of one action on one entity, oldest
// first: the decisions an action records, such as the values a registrar chose to keep.
func (s *Store) AuditDetails(ctx context.Context, action, entity, entityID string) ([]string, error) {
	var details []string
	err := s.db.WithContext(ctx).Model(&AuditEvent{}).
		Where("entity = ? AND entity_id = ? AND action = ?", entity, clampEntityID(entityID), action).
		Order("id").Pluck("details", &details).Error
	if err != nil {
		return nil, fmt.Errorf("store: audit details %s: %w", action, err)
	}
	return details, nil
}
