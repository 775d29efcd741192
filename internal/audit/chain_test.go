package audit

import (
	"strings"
	"testing"
	"time"
)

func ptr(u uint64) *uint64 { return &u }

var sample = Event{
	ID: 7, At: time.Date(2026, 11, 2, 9, 30, 0, 120000000, time.UTC), UserID: ptr(3),
	Action: CaseUpdate, Entity: "tumor", EntityID: "42",
	Details:    `{"changes":[{"level":"tumor","item":"primarySite","old":"C509","new":"C501"}]}`,
	RemoteAddr: "192.0.2.7", PrevHash: strings.Repeat("ab", 32),
}

func TestEncodeWritesEachFieldAsANetstringInOrder(t *testing.T) {
	want := "13:cara-audit-v1," + "1:7," + "23:2026-11-02T09:30:00.12Z," + "1:3," + "11:case.update," + "5:tumor," + "2:42," +
		`79:j{"changes":[{"item":"primarySite","level":"tumor","new":"C501","old":"C509"}]},` + "9:192.0.2.7," +
		"64:" + strings.Repeat("ab", 32) + ","
	if got := string(Encode(sample)); got != want {
		t.Errorf("Encode =\n%s\nwant\n%s", got, want)
	}
}

func TestSumIsPinned(t *testing.T) {
	// A change of this hash breaks every stored trail: change the encoding's version instead.
	const want = "95b58a02247337cea8e8b5322f9057696ee27cd4a71368c6bf144373d9be52e2"
	if got := Sum(sample); got != want {
		t.Errorf("Sum(sample) = %s, want %s", got, want)
	}
}

func TestSumChangesWithEveryFieldButNotWithTheFormOfTheSameContent(t *testing.T) {
	tests := []struct {
		name string
		edit func(e *Event)
		same bool
	}{
		{"id", func(e *Event) { e.ID++ }, false},
		{"time", func(e *Event) { e.At = e.At.Add(time.Microsecond) }, false},
		{"user", func(e *Event) { e.UserID = ptr(4) }, false},
		{"no user", func(e *Event) { e.UserID = nil }, false},
		{"user 0 is not no user", func(e *Event) { e.UserID = ptr(0) }, false},
		{"action", func(e *Event) { e.Action = CaseView }, false},
		{"entity", func(e *Event) { e.Entity = "patient" }, false},
		{"entity id", func(e *Event) { e.EntityID = "43" }, false},
		{"details value", func(e *Event) { e.Details = strings.Replace(e.Details, "C501", "C502", 1) }, false},
		{"details not JSON", func(e *Event) { e.Details = e.Details[1:] }, false},
		{"remote address", func(e *Event) { e.RemoteAddr = "192.0.2.8" }, false},
		{"prev hash", func(e *Event) { e.PrevHash = Genesis }, false},
		{"moved boundary", func(e *Event) { e.Entity, e.EntityID = "tumor4", "2" }, false},
		{"the hash itself is not covered", func(e *Event) { e.Hash = "x" }, true},
		{"same instant in another zone", func(e *Event) { e.At = e.At.In(time.FixedZone("EST", -5*3600)) }, true},
		{"details respaced and reordered as MySQL's JSON column does", func(e *Event) {
			e.Details = `{"changes": [{"new": "C501", "old": "C509", "item": "primarySite", "level": "tumor"}]}`
		}, true},
		{"a number written otherwise", func(e *Event) { e.Details = `{"n": 1.0e1}` }, false},
	}
	base := Sum(sample)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sample
			tt.edit(&e)
			if same := Sum(e) == base; same != tt.same {
				t.Errorf("same hash = %v, want %v", same, tt.same)
			}
		})
	}
	a, b := sample, sample
	a.Details, b.Details = `{"n": 10}`, `{"n":1.0e1}`
	if Sum(a) != Sum(b) {
		t.Errorf("10 and 1.0e1 are the same JSON number but hash differently")
	}
}

func TestLinkChainsToTheHead(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	first := Link(Head{LastHash: Genesis}, Event{At: at, Action: Logout})
	if first.ID != 1 || first.PrevHash != Genesis || first.Hash != Sum(first) || len(first.Hash) != 64 {
		t.Errorf("first = %+v", first)
	}
	if want := at.UTC().Truncate(time.Microsecond); !first.At.Equal(want) || first.At.Location() != time.UTC {
		t.Errorf("first.At = %v, want %v in UTC", first.At, want)
	}
	second := Link(Head{LastID: first.ID, LastHash: first.Hash}, Event{At: at, Action: Logout})
	if second.ID != 2 || second.PrevHash != first.Hash || second.Hash == first.Hash {
		t.Errorf("second = %+v", second)
	}
}
