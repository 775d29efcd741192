package csvsafe_test

import (
	"bytes"
	"testing"

	"github.com/cara-registry/cara/internal/csvsafe"
)

func TestCellsThatASpreadsheetWouldRunBecomeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Smith", "Smith"},
		{"C509", "C509"},
		{"12", "12"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tTab", "'\tTab"},
		{"\rCR", "'\rCR"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := csvsafe.Cell(tt.in); got != tt.want {
			t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriterMakesEveryCellSafe(t *testing.T) {
	var b bytes.Buffer
	w := csvsafe.NewWriter(&b)
	if err := w.Write([]string{"1", "=cmd|' /C calc'!A0", "Doe, Jane"}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "1,'=cmd|' /C calc'!A0,\"Doe, Jane\"\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}
