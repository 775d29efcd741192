package audit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/audit"
)

var made = time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)

// checkpointOf verifies m and signs the checkpoint of its head.
func checkpointOf(t *testing.T, m *memTrail) []byte {
	t.Helper()
	ctx := context.Background()
	res, err := audit.Verify(ctx, m, testKey, nil)
	if err != nil || res.Break != nil {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	c, err := audit.MakeCheckpoint(ctx, m, res, made)
	if err != nil {
		t.Fatal(err)
	}
	return testKey.Sign(c)
}

func TestCheckpointSignsTheHeadAndOpensAgain(t *testing.T) {
	m := olderTrail(2, 3)
	file := checkpointOf(t, m)
	if !bytes.HasPrefix(file, []byte("cara audit checkpoint v1\nlast-event: 5\nlast-hash: "+m.head.LastHash+"\nevents: 5\nkeyed-from: 3\n")) {
		t.Errorf("checkpoint file:\n%s", file)
	}
	c, err := testKey.OpenCheckpoint(file)
	if err != nil {
		t.Fatal(err)
	}
	want := audit.Checkpoint{LastID: 5, LastHash: m.head.LastHash, Events: 5, KeyedFrom: 3, EventAt: m.event(5).At, Made: made}
	if c != want {
		t.Errorf("opened %+v, want %+v", c, want)
	}
}

func TestCheckpointOfAnEmptyTrail(t *testing.T) {
	c, err := testKey.OpenCheckpoint(checkpointOf(t, trail(0)))
	if err != nil || c.LastID != 0 || c.LastHash != audit.Genesis || !c.EventAt.IsZero() {
		t.Errorf("opened %+v, %v", c, err)
	}
}

func TestATamperedCheckpointDoesNotOpen(t *testing.T) {
	file := string(checkpointOf(t, trail(5)))
	tests := []struct {
		name   string
		edit   func(string) string
		reason string
	}{
		{"event id lowered", func(s string) string { return strings.Replace(s, "last-event: 5\n", "last-event: 4\n", 1) },
			"signature does not match"},
		{"a line added", func(s string) string { return strings.Replace(s, "events: 5\n", "events: 5\nnote: x\n", 1) },
			"lines"},
		{"signature changed", func(s string) string {
			i := strings.Index(s, "signature: ") + len("signature: ")
			b := []byte(s)
			b[i] ^= 1
			return string(b)
		}, "signature"},
		{"signature line missing", func(s string) string { return s[:strings.Index(s, "signature: ")] }, "lines"},
		{"not a checkpoint", func(string) string { return "hello\n" }, "not a cara audit checkpoint"},
		{"fields reordered", func(s string) string {
			return strings.Replace(strings.Replace(s, "events: 5\n", "EV\n", 1), "keyed-from: 1\n", "events: 5\n", 1)
		}, "line 4"},
		{"signed with another key", func(string) string {
			c, err := testKey.OpenCheckpoint([]byte(file))
			if err != nil {
				t.Fatal(err)
			}
			return string(otherKey.Sign(c))
		}, "signed with another key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testKey.OpenCheckpoint([]byte(tt.edit(file)))
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %v, want it to say %q", err, tt.reason)
			}
		})
	}
}

func TestMatchCheckpointFindsWhatChangedSinceIt(t *testing.T) {
	tests := []struct {
		name   string
		after  func(m *memTrail) // what happens to the trail after the checkpoint
		reason string            // "" matches
	}{
		{"nothing", func(*memTrail) {}, ""},
		{"events appended", func(m *memTrail) { m.append(audit.Logout); m.append(audit.Logout) }, ""},
		{"the last events cut off and the head moved back", func(m *memTrail) {
			m.drop(5)
			m.drop(4)
			m.head = audit.Head{LastID: 3, LastHash: m.event(3).Hash}
		}, "the trail ends at event #3: the events after #3 were deleted"},
		{"cut off, then as many appended again", func(m *memTrail) {
			m.drop(5)
			m.drop(4)
			m.head = audit.Head{LastID: 3, LastHash: m.event(3).Hash}
			m.append(audit.Logout)
			m.append(audit.Logout)
		}, "event #5 has the hash"},
		{"rebuilt with the key", func(m *memTrail) {
			m.event(2).Details = `{"n":7}`
			prev := m.event(1).Hash
			for id := uint64(2); id <= 5; id++ {
				e := m.event(id)
				e.PrevHash = prev
				e.Hash = testKey.Sum(*e)
				prev = e.Hash
			}
			m.head.LastHash = prev
		}, "the trail was rebuilt since"},
		{"recomputed without the key, then sealed again by cara after the last event", func(m *memTrail) {
			// keyed_from moved on and the seal cleared: the next cara process seals anew.
			recomputePlain(m, 1)
			m.seal = audit.Seal{KeyedFrom: 6, MAC: testKey.Seal(6, m.head.LastHash)}
		}, "the key taking over at event #1, the trail at event #6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			m := trail(5)
			c, err := testKey.OpenCheckpoint(checkpointOf(t, m))
			if err != nil {
				t.Fatal(err)
			}
			tt.after(m)
			res, err := audit.Verify(ctx, m, testKey, nil)
			if err != nil || res.Break != nil {
				t.Fatalf("Verify after: %+v, %v; want the trail to pass without the checkpoint", res.Break, err)
			}
			problem, err := audit.MatchCheckpoint(ctx, m, res, c)
			if err != nil {
				t.Fatal(err)
			}
			if (tt.reason == "") != (problem == "") || !strings.Contains(problem, tt.reason) {
				t.Errorf("problem %q, want %q", problem, tt.reason)
			}
		})
	}
}

// FuzzOpenCheckpoint checks that any file either fails to open with an error or is one the key
// signed, whose values sign again to the same bytes.
func FuzzOpenCheckpoint(f *testing.F) {
	m := trail(3)
	res, _ := audit.Verify(context.Background(), m, testKey, nil)
	c, _ := audit.MakeCheckpoint(context.Background(), m, res, made)
	f.Add(testKey.Sign(c))
	f.Add(testKey.Sign(audit.Checkpoint{LastHash: audit.Genesis, KeyedFrom: 1, Made: made}))
	f.Add([]byte("cara audit checkpoint v1\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, file []byte) {
		c, err := testKey.OpenCheckpoint(file)
		if err != nil {
			if len(err.Error()) > 600 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if again := testKey.Sign(c); !bytes.Equal(again, file) {
			t.Fatalf("opened %+v from\n%q\nwhich signs to\n%q", c, file, again)
		}
	})
}
