package views

import (
	"bytes"
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func renderSelect(t *testing.T, s SelectView) *goquery.Selection {
	t.Helper()
	var buf bytes.Buffer
	if err := Select(s).Render(context.Background(), &buf); err != nil {
		t.Fatalf("render select: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse select: %v", err)
	}
	sel := doc.Find("select")
	if sel.Length() != 1 {
		t.Fatalf("want one select, got %d: %s", sel.Length(), buf.String())
	}
	return sel
}

func TestSelectCarriesItsAttributesAndMarksTheChosenOption(t *testing.T) {
	sel := renderSelect(t, SelectView{
		ID: "f-x", Name: "x", TestID: "x-select", Required: true, AriaLabel: "X", AriaDescribedBy: "h-x",
		Options: []Option{{Code: "1", Label: "One"}, {Code: "2", Label: "Two"}}, Selected: "2",
		Blank: true, BlankLabel: "Any",
	})
	for attr, want := range map[string]string{"id": "f-x", "name": "x", "data-testid": "x-select", "aria-label": "X", "aria-describedby": "h-x"} {
		if got, _ := sel.Attr(attr); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
	if _, ok := sel.Attr("required"); !ok {
		t.Error("required missing")
	}
	opts := sel.Find("option")
	if opts.Length() != 3 || opts.First().Text() != "Any" || opts.First().AttrOr("value", "x") != "" {
		t.Fatalf("options = %d, first %q: want the blank first, then two", opts.Length(), opts.First().Text())
	}
	if got := sel.Find("option[selected]"); got.Length() != 1 || got.AttrOr("value", "") != "2" {
		t.Errorf("selected option = %q (%d), want 2", got.AttrOr("value", ""), got.Length())
	}
}

func TestSelectLeavesOutAttributesItIsNotGiven(t *testing.T) {
	sel := renderSelect(t, SelectView{Name: "mode", Options: sampleModes, Selected: sampleMode("")})
	for _, attr := range []string{"id", "data-testid", "aria-label", "aria-describedby", "required"} {
		if _, ok := sel.Attr(attr); ok {
			t.Errorf("%s present, want none", attr)
		}
	}
	if n := sel.Find("option").Length(); n != 2 {
		t.Errorf("options = %d, want 2 (no blank)", n)
	}
	if got := sel.Find("option[selected]").AttrOr("value", ""); got != "percent" {
		t.Errorf("selected = %q, want percent", got)
	}
}

func TestSelectKeepsAnInvalidCodedValueAndShowsCodes(t *testing.T) {
	sel := renderSelect(t, SelectView{Name: "x", Options: []Option{{Code: "1", Label: "Left"}}, Selected: "7",
		Blank: true, ShowCode: true, KeepInvalid: true})
	opts := sel.Find("option")
	if opts.Length() != 3 {
		t.Fatalf("options = %d, want blank, 1 and the kept 7", opts.Length())
	}
	if got := opts.Eq(1).Text(); got != "1 · Left" {
		t.Errorf("coded option reads %q, want 1 · Left", got)
	}
	if got := sel.Find("option[selected]"); got.AttrOr("value", "") != "7" || got.Text() != "7 · not a valid code" {
		t.Errorf("kept option = %q %q", got.AttrOr("value", ""), got.Text())
	}
}
