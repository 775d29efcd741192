package ratelimit

import (
	"testing"
	"time"
)

func TestKeyedLimitsEachKeyOnItsOwnAndForgetsIdleKeys(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	k := New(2, 3, time.Minute)
	k.now = func() time.Time { return now }
	allow := func(key string) bool {
		ok, err := k.Allow(key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for i := range 3 {
		if !allow("a") {
			t.Fatalf("event %d of the burst of 3 refused", i+1)
		}
	}
	if allow("a") {
		t.Fatal("a fourth event at once was allowed: the burst is 3")
	}
	if !allow("b") {
		t.Fatal("another key was limited by the first")
	}
	now = now.Add(500 * time.Millisecond) // one token at 2 a second
	if !allow("a") || allow("a") {
		t.Fatal("after half a second one more event, not two, should be allowed")
	}
	now = now.Add(2 * time.Minute)
	allow("c") // sweeps
	if _, ok := k.buckets["a"]; ok {
		t.Fatal("a key idle for longer than expires was kept")
	}
}
