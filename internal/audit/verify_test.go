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
	maxLimit  int
	reads     int
	appendAt  int // at this read, after reading, append one event (a writer racing Verify)
	failAfter int // fail reads after this many, when > 0
}

func (m *memTrail) append(action string) {
	e := audit.Link(m.head, audit.Event{At: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(len(m.events)) * time.Second),
		Action: action, Entity: "tumor", EntityID: fmt.Sprint(len(m.events)), Details: `{"n":1}`})
	m.events = append(m.events, e)
	m.head = audit.Head{LastID: e.ID, LastHash: e.Hash}
}

func (m *memTrail) AuditChainHead(context.Context) (audit.Head, error) { return m.head, nil }

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

func trail(n int) *memTrail {
	m := &memTrail{head: audit.Head{LastHash: audit.Genesis}}
	for range n {
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
		{name: "changed and hash recomputed", n: 5, tamper: func(m *memTrail) {
			e := m.event(3)
			e.Details = `{"n":2}`
			e.Hash = audit.Sum(*e)
		}, events: 3, breakAt: 4, named: true, reason: "prev_hash is not the hash of the event before it"},
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
			e.Hash = audit.Sum(*e)
		}, events: 0, breakAt: 1, named: true, reason: "first event"},
		{name: "event added past the head", n: 3, tamper: func(m *memTrail) {
			head := m.head
			m.append(audit.Export)
			m.head = head
		}, events: 4, breakAt: 4, named: true, reason: "not appended by cara"},
		{name: "last event replaced, chain recomputed", n: 3, tamper: func(m *memTrail) {
			e := m.event(3)
			e.Details = `{"n":3}`
			e.Hash = audit.Sum(*e)
		}, events: 3, breakAt: 3, named: true, reason: "not the one the chain head recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := trail(tt.n)
			tt.tamper(m)
			res, err := audit.Verify(context.Background(), m, nil)
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
	res, err := audit.Verify(context.Background(), m, func(n int64) { progress = append(progress, n) })
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
	res, err := audit.Verify(context.Background(), m, nil)
	if err != nil || res.Break != nil || res.Events != 4 {
		t.Fatalf("Verify = %+v, %v; want 4 events intact", res, err)
	}
}

func TestVerifyReturnsReadErrors(t *testing.T) {
	m := trail(3)
	m.failAfter = 1
	if _, err := audit.Verify(context.Background(), m, nil); err == nil || !strings.Contains(err.Error(), "connection lost") {
		t.Errorf("err = %v, want the read error", err)
	}
}
