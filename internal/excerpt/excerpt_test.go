package excerpt

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuoteShortensLongValuesWithTheirLength(t *testing.T) {
	long := strings.Repeat("A", 50_000_000)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short", "C999", `"C999"`},
		{"empty", "", `""`},
		{"control characters", "a\x00b", `"a\x00b"`},
		{"exactly Max", strings.Repeat("b", Max), strconv.Quote(strings.Repeat("b", Max))},
		{"50 MB", long, `"` + strings.Repeat("A", Max) + `…" (50,000,000 bytes)`},
		{"multi-byte at the cut", strings.Repeat("x", Max-1) + "é" + strings.Repeat("y", 10), `"` + strings.Repeat("x", Max-1) + `…" (131 bytes)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Quote(tc.in); got != tc.want {
				t.Errorf("Quote = %.200q, want %.200q", got, tc.want)
			}
		})
	}
}

func TestClipShortensWithoutQuoting(t *testing.T) {
	if got := Clip("C619"); got != "C619" {
		t.Errorf("Clip(short) = %q", got)
	}
	got := Clip(strings.Repeat("é", 1000))
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "… (2,000 bytes)") || len(got) > Max+30 {
		t.Errorf("Clip(long) = %q", got)
	}
}

func TestSizeGroupsThousands(t *testing.T) {
	for n, want := range map[int]string{0: "(0 bytes)", 999: "(999 bytes)", 1000: "(1,000 bytes)", 1234567: "(1,234,567 bytes)"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzQuoteIsShortAndValid(f *testing.F) {
	f.Add("C619")
	f.Add(strings.Repeat("\xff", 500))
	f.Add(strings.Repeat("日本", 200))
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		if len(q) > 4*Max+40 {
			t.Errorf("Quote of %d bytes is %d bytes long", len(s), len(q))
		}
		if !utf8.ValidString(q) {
			t.Errorf("Quote gives invalid UTF-8: %q", q)
		}
		if len(s) <= Max && q != strconv.Quote(s) {
			t.Errorf("short value quoted as %s, want %s", q, strconv.Quote(s))
		}
	})
}

func TestCurlyQuotesForAPageAndShortensLongValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"C 1", "“C 1”"},
		{"", "“”"},
		{strings.Repeat("9", 5000), "“" + strings.Repeat("9", Max) + "…” (5,000 bytes)"},
	} {
		if got := Curly(tc.in); got != tc.want {
			t.Errorf("Curly(%.20q) = %.200q, want %.200q", tc.in, got, tc.want)
		}
	}
}
