package loadtest

import (
	"strings"
	"testing"
)

// TestLedgerCheckFindsEveryKindOfLostUpdate feeds the check acknowledged saves and final states
// that agree and that do not, one way each.
func TestLedgerCheckFindsEveryKindOfLostUpdate(t *testing.T) {
	before := map[uint]caseState{1: {version: 3, value: "start"}}
	tests := []struct {
		name   string
		acks   []ack
		unsure int
		after  caseState
		want   string // in the one finding; empty for none
	}{
		{"no save leaves the case as it was", nil, 0, caseState{3, "start"}, ""},
		{"a case changed without an acknowledged save", nil, 0, caseState{4, "start"}, "version 4 after 0"},
		{"saves in a chain end at the last", []ack{{3, "a"}, {4, "b"}, {5, "c"}}, 0, caseState{6, "c"}, ""},
		{"the last save's value is missing", []ack{{3, "a"}, {4, "b"}}, 0, caseState{5, "a"}, `is "a", but the last acknowledged save stored "b"`},
		{"an acknowledged save did not land", []ack{{3, "a"}, {4, "b"}}, 0, caseState{4, "b"}, "version 4 after 2"},
		{"two saves acknowledged from one version", []ack{{3, "a"}, {3, "b"}}, 0, caseState{5, "b"}, "two saves acknowledged from version 3"},
		{"a save without an answer may have landed", []ack{{3, "a"}}, 1, caseState{5, "x"}, ""},
		{"a save without an answer may have failed", []ack{{3, "a"}}, 1, caseState{4, "a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedger()
			for _, a := range tt.acks {
				l.saved(1, a.base, a.value)
			}
			for range tt.unsure {
				l.uncertain(1)
			}
			got := l.check(before, map[uint]caseState{1: tt.after})
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("findings %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("findings %q, want one with %q", got, tt.want)
			}
		})
	}
}

// TestRunRefusesAnAddressNotOnLoopback: the load test only drives this machine's servers.
func TestRunRefusesAnAddressNotOnLoopback(t *testing.T) {
	for _, u := range []string{"http://example.org", "http://10.0.0.1:8080", "ftp://127.0.0.1", "127.0.0.1:8080"} {
		if err := checkLoopback(u); err == nil {
			t.Errorf("checkLoopback(%q) = nil, want a refusal", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:24200", "http://localhost:8080", "http://[::1]:8080"} {
		if err := checkLoopback(u); err != nil {
			t.Errorf("checkLoopback(%q) = %v, want nil", u, err)
		}
	}
}
