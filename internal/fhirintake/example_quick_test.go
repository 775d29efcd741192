package fhirintake

import (
	"os"
	"testing"
	"time"
)

func TestQuickBreast(t *testing.T) {
	m := testMapping(t)
	raw, _ := os.ReadFile("testdata/breast.json")
	r := m.Map(raw, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	for _, s := range r.Suggestions {
		t.Logf("%d %s=%s  %s  %s", s.Item, s.ID, s.Value, s.Path, s.From)
	}
	t.Logf("%+v", r.Issues)
	t.Logf("codes %v fc %s key %s", r.Codes, r.FirstContact, r.Key)
}
