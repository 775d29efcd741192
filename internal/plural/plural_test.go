package plural_test

import (
	"testing"

	"github.com/cara-registry/cara/internal/plural"
)

func TestCountAgreesWithTheNumber(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{plural.Count(0, "case"), "0 cases"},
		{plural.Count(1, "case"), "1 case"},
		{plural.Count(int64(2), "tumor"), "2 tumors"},
		{plural.Count(-1, "day"), "-1 days"},
		{plural.CountOf(1, "person", "people"), "1 person"},
		{plural.CountOf(3, "person", "people"), "3 people"},
		{plural.Of(1, "needs", "need"), "needs"},
		{plural.Of(4, "needs", "need"), "need"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
