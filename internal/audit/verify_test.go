package audit_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/audit"
)

// memTrail is a trail in memory, as a store would keep it: the events and the head.
type memTrail struct {
	events    []audit.Event
	head      audit.Head
	seal      audit.Seal
	plain     bool // append without the key, as before it
	maxLimit  int
	reads     int
	appendAt  int // at this read, after reading, append one event (a writer racing Verify)
	failAfter int // fail reads after this many, when > 0
}

// testKey is the key of the trails here; otherKey is another installation's.
var testKey, otherKey = mustKey("k"), mustKey("o")

func mustKey(fill string) *audit.Key {
	k, err := audit.NewKey([]byte(strings.Repeat(fill, audit.SecretSize)))
	if err != nil {
		panic(err)
	}
	return k
}

func (m *memTrail) append(action string) {
	link := testKey.Link
	if m.plain {
		link = audit.Link
	}
	e := link(m.head, audit.Event{At: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(len(m.events)) * time.Second),
		Action: action, Entity: "tumor", EntityID: fmt.Sprint(len(m.events)), Details: `{"n":1}`})
	m.events = append(m.events, e)
	m.head = audit.Head{LastID: e.ID, LastHash: e.Hash}
}

// sealHere makes the key take over after the events so far, as migration 00010 and the store's
// seal do.
func (m *memTrail) sealHere() {
	m.plain = false
	m.seal = audit.Seal{KeyedFrom: m.head.LastID + 1, MAC: testKey.Seal(m.head.LastID+1, m.head.LastHash)}
}

func (m *memTrail) AuditChainHead(context.Context) (audit.Head, error) { return m.head, nil }

func (m *memTrail) AuditSeal(context.Context) (audit.Seal, error) { return m.seal, nil }

func (m *memTrail) AuditChain(_ context.Context, after uint64, limit int) ([]audit.Event, error) {
	m.reads++
	if m.failAfter > 0 && m.reads > m.failAfter {
		return nil, errors.New("connection lost")
	}
	m.maxLimit = max(m.maxLimit, limit)
	var out []audit.Event
	for _, e := range m.events {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	if m.reads == m.appendAt {
		m.append(audit.CaseView)
	}
	return out, nil
}

// trail is a trail of n events under the key from its start.
func trail(n int) *memTrail {
	return olderTrail(0, n)
}

// olderTrail is a trail of older events from before the key, then keyed ones.
func olderTrail(older, keyed int) *memTrail {
	m := &memTrail{head: audit.Head{LastHash: audit.Genesis}, plain: true}
	for range older {
		m.append(audit.CaseUpdate)
	}
	m.sealHere()
	for range keyed {
		m.append(audit.CaseUpdate)
	}
	return m
}

func (m *memTrail) drop(id uint64) {
	m.events = slices.DeleteFunc(m.events, func(e audit.Event) bool { return e.ID == id })
}

func (m *memTrail) event(id uint64) *audit.Event {
	for i := range m.events {
		if m.events[i].ID == id {
			return &m.events[i]
		}
	}
	panic("no event")
}

func TestVerifyFindsTheFirstEventThatDoesNotFit(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		tamper  func(m *memTrail)
		events  int64  // events checked
		breakAt uint64 // 0: intact
		named   bool   // the break names a stored event
		reason  string
	}{
		{name: "empty trail", n: 0, tamper: func(*memTrail) {}},
		{name: "intact", n: 5, tamper: func(*memTrail) {}, events: 5},
		{name: "details changed", n: 5, tamper: func(m *memTrail) { m.event(3).Details = `{"n":2}` },
			events: 2, breakAt: 3, named: true, reason: "hash does not match its content"},
		{name: "action changed", n: 5, tamper: func(m *memTrail) { m.event(1).Action = audit.Logout },
			events: 0, breakAt: 1, named: true, reason: "hash does not match its content"},
		{name: "changed and hash recomputed with the key", n: 5, tamper: func(m *memTrail) {
			e := m.event(3)
			e.Details = `{"n":2}`
			e.Hash = testKey.Sum(*e)
		}, events: 3, breakAt: 4, named: true, reason: "prev_hash is not the hash of the event before it"},
		{name: "changed and hash recomputed without the key", n: 5, tamper: func(m *memTrail) {
			e := m.event(3)
			e.Details = `{"n":2}`
			e.Hash = audit.Sum(*e)
		}, events: 2, breakAt: 3, named: true, reason: "recomputed without the key"},
		{name: "every hash recomputed without the key", n: 5, tamper: func(m *memTrail) { recomputePlain(m, 1) },
			events: 0, breakAt: 1, named: true, reason: "plain SHA-256 of its content, not the key's"},
		{name: "middle event deleted", n: 5, tamper: func(m *memTrail) { m.drop(3) },
			events: 2, breakAt: 4, named: true, reason: "event #3 before it is missing"},
		{name: "two events deleted", n: 5, tamper: func(m *memTrail) { m.drop(2); m.drop(3) },
			events: 1, breakAt: 4, named: true, reason: "events #2 to #3 before it are missing"},
		{name: "first event deleted", n: 5, tamper: func(m *memTrail) { m.drop(1) },
			events: 0, breakAt: 2, named: true, reason: "event #1 before it is missing"},
		{name: "last event deleted", n: 5, tamper: func(m *memTrail) { m.drop(5) },
			events: 4, breakAt: 5, reason: "events after #4 were deleted"},
		{name: "every event deleted", n: 5, tamper: func(m *memTrail) { m.events = nil },
			events: 0, breakAt: 1, reason: "the trail is empty"},
		{name: "first event does not start a chain", n: 3, tamper: func(m *memTrail) {
			e := m.event(1)
			e.PrevHash = ""
			e.Hash = testKey.Sum(*e)
		}, events: 0, breakAt: 1, named: true, reason: "first event"},
		{name: "event added past the head", n: 3, tamper: func(m *memTrail) {
			head := m.head
			m.append(audit.Export)
			m.head = head
		}, events: 4, breakAt: 4, named: true, reason: "not appended by cara"},
		{name: "last event replaced, chain recomputed with the key", n: 3, tamper: func(m *memTrail) {
			e := m.event(3)
			e.Details = `{"n":3}`
			e.Hash = testKey.Sum(*e)
		}, events: 3, breakAt: 3, named: true, reason: "not the one the chain head recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := trail(tt.n)
			tt.tamper(m)
			res, err := audit.Verify(context.Background(), m, testKey, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Events != tt.events {
				t.Errorf("checked %d events, want %d", res.Events, tt.events)
			}
			if tt.breakAt == 0 {
				if res.Break != nil {
					t.Fatalf("break %+v in an intact trail", res.Break)
				}
				if res.Head != m.head {
					t.Errorf("result head %+v, want %+v", res.Head, m.head)
				}
				return
			}
			b := res.Break
			if b == nil {
				t.Fatalf("no break found")
			}
			if b.ID != tt.breakAt || (b.Event != nil) != tt.named || !strings.Contains(b.Reason, tt.reason) {
				t.Errorf("break at #%d (event %v): %q; want #%d (named %v): %q", b.ID, b.Event, b.Reason, tt.breakAt, tt.named, tt.reason)
			}
			if b.Event != nil && b.Event.ID != b.ID {
				t.Errorf("break names event #%d at #%d", b.Event.ID, b.ID)
			}
		})
	}
}

func TestVerifyReadsInBatchesAndReportsProgress(t *testing.T) {
	m := trail(2500)
	var progress []int64
	res, err := audit.Verify(context.Background(), m, testKey, func(n int64) { progress = append(progress, n) })
	if err != nil || res.Break != nil || res.Events != 2500 {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if m.maxLimit > 1000 {
		t.Errorf("read %d events at once, want batches of at most 1000", m.maxLimit)
	}
	if want := []int64{1000, 2000, 2500}; !slices.Equal(progress, want) {
		t.Errorf("progress %v, want %v", progress, want)
	}
}

func TestVerifyChecksEventsAppendedWhileItRuns(t *testing.T) {
	m := trail(3)
	m.appendAt = 2 // the read that finds the end of the trail: the head read next is ahead of it
	res, err := audit.Verify(context.Background(), m, testKey, nil)
	if err != nil || res.Break != nil || res.Events != 4 {
		t.Fatalf("Verify = %+v, %v; want 4 events intact", res, err)
	}
}

func TestVerifyReturnsReadErrors(t *testing.T) {
	m := trail(3)
	m.failAfter = 1
	if _, err := audit.Verify(context.Background(), m, testKey, nil); err == nil || !strings.Contains(err.Error(), "connection lost") {
		t.Errorf("err = %v, want the read error", err)
	}
}

// recomputePlain rebuilds the chain from event from on with plain hashes, and moves the head, as
// someone who can write the database but has no key can.
func recomputePlain(m *memTrail, from uint64) {
	prev := audit.Genesis
	for i := range m.events {
		e := &m.events[i]
		if e.ID >= from {
			e.PrevHash = prev
			e.Hash = audit.Sum(*e)
		}
		prev = e.Hash
	}
	m.head = audit.Head{LastID: m.events[len(m.events)-1].ID, LastHash: prev}
}

func TestVerifyChecksTheSealOfTheKey(t *testing.T) {
	tests := []struct {
		name      string
		trail     func() *memTrail
		key       *audit.Key
		events    int64
		keyedFrom uint64
		breakAt   uint64 // 0: intact
		seal      bool
		reason    string
	}{
		{name: "keyed from the start", trail: func() *memTrail { return trail(4) }, events: 4, keyedFrom: 1},
		{name: "empty and sealed", trail: func() *memTrail { return trail(0) }, keyedFrom: 1},
		{name: "older events then keyed ones", trail: func() *memTrail { return olderTrail(3, 2) }, events: 5, keyedFrom: 4},
		{name: "older events, none keyed yet", trail: func() *memTrail { return olderTrail(3, 0) }, events: 3, keyedFrom: 4},
		{name: "another key", trail: func() *memTrail { return trail(4) }, key: otherKey,
			keyedFrom: 1, breakAt: 1, seal: true, reason: "not this key's"},
		{name: "another key on an empty trail", trail: func() *memTrail { return trail(0) }, key: otherKey,
			keyedFrom: 1, breakAt: 1, seal: true, reason: "not this key's"},
		{name: "another key, older events", trail: func() *memTrail { return olderTrail(2, 2) }, key: otherKey,
			events: 2, keyedFrom: 3, breakAt: 3, seal: true, reason: "not this key's"},
		{name: "an older event changed, the older chain recomputed", trail: func() *memTrail {
			m := olderTrail(3, 0)
			m.event(2).Details = `{"n":9}`
			recomputePlain(m, 1)
			return m
		}, events: 3, keyedFrom: 4, breakAt: 4, seal: true, reason: "the events before #4 were changed"},
		{name: "the keyed events passed off as older ones", trail: func() *memTrail {
			m := olderTrail(2, 3)
			recomputePlain(m, 3)
			m.seal.KeyedFrom = 6
			return m
		}, events: 5, keyedFrom: 6, breakAt: 6, seal: true, reason: "not this key's"},
		{name: "the seal removed", trail: func() *memTrail {
			m := olderTrail(2, 1)
			m.seal.MAC = ""
			return m
		}, events: 2, keyedFrom: 3, breakAt: 3, seal: true, reason: "no seal"},
		{name: "keyed_from cleared", trail: func() *memTrail {
			m := trail(2)
			m.seal = audit.Seal{}
			return m
		}, breakAt: 1, seal: true, reason: "keyed_from is 0"},
		{name: "older events cut off before the seal", trail: func() *memTrail {
			m := olderTrail(3, 0)
			m.drop(3)
			m.head = audit.Head{LastID: 2, LastHash: m.event(2).Hash}
			return m
		}, events: 2, keyedFrom: 4, breakAt: 3, seal: true, reason: "the trail ends at event #2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == nil {
				key = testKey
			}
			res, err := audit.Verify(context.Background(), tt.trail(), key, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Events != tt.events || res.KeyedFrom != tt.keyedFrom {
				t.Errorf("checked %d events keyed from #%d, want %d from #%d", res.Events, res.KeyedFrom, tt.events, tt.keyedFrom)
			}
			b := res.Break
			if tt.breakAt == 0 {
				if b != nil {
					t.Fatalf("break %+v, want intact", b)
				}
				return
			}
			if b == nil || b.ID != tt.breakAt || b.Seal != tt.seal || !strings.Contains(b.Reason, tt.reason) {
				t.Fatalf("break %+v; want at #%d (seal %v): %q", b, tt.breakAt, tt.seal, tt.reason)
			}
		})
	}
}

func TestVerifyWithoutAKeyIsAnError(t *testing.T) {
	if _, err := audit.Verify(context.Background(), trail(1), nil, nil); err == nil {
		t.Error("Verify with no key: no error")
	}
}
