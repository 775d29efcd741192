package xlsx_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cara-registry/cara/internal/xlsx"
)

// TestWorkbookReadsBackInASpreadsheetReader writes two sheets and opens them with excelize, a
// reader of the whole format: values, types, the bold header, frozen panes, escaping.
func TestWorkbookReadsBackInASpreadsheetReader(t *testing.T) {
	var buf bytes.Buffer
	w, err := xlsx.New(&buf, xlsx.Sheet{Name: "Report", Freeze: xlsx.Freeze{Rows: 1, Cols: 1}}, xlsx.Sheet{Name: "Parameters"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.NextSheet(); err != nil {
		t.Fatal(err)
	}
	rows := [][]xlsx.Cell{
		{xlsx.Bold(xlsx.Str("Site group")), xlsx.Bold(xlsx.Str("Total")), xlsx.Bold(xlsx.Str("<11 & \"more\""))},
		{xlsx.Str("=Breast"), xlsx.Num(12), {}},
		{xlsx.Str("ctl\x01 and bad \xff byte"), xlsx.Num(-3), xlsx.Str("0400")},
	}
	for _, r := range rows {
		if err := w.WriteRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.NextSheet(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRow(xlsx.Str("From"), xlsx.Str("2024")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Report,Parameters" {
		t.Errorf("sheets %q", got)
	}
	got, err := f.GetRows("Report")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Site group", "Total", `<11 & "more"`}, {"=Breast", "12"}, {"ctl\uFFFD and bad \uFFFD byte", "-3", "0400"}}
	if len(got) != len(want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d %q, want %q", i+1, got[i], want[i])
		}
	}
	for cell, typ := range map[string]excelize.CellType{"B2": excelize.CellTypeNumber, "A2": excelize.CellTypeInlineString, "C3": excelize.CellTypeInlineString} {
		if got, _ := f.GetCellType("Report", cell); got != typ && !(typ == excelize.CellTypeNumber && got == excelize.CellTypeUnset) {
			t.Errorf("%s type %v, want %v", cell, got, typ)
		}
	}
	if formula, _ := f.GetCellFormula("Report", "A2"); formula != "" {
		t.Errorf("a label became a formula: %q", formula)
	}
	style, _ := f.GetCellStyle("Report", "A1")
	if st, err := f.GetStyle(style); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header style %+v (%v), want bold", st, err)
	}
	if plain, _ := f.GetCellStyle("Report", "A2"); plain == style {
		t.Error("a body cell has the header's style")
	}
	panes, err := f.GetPanes("Report")
	if err != nil || !panes.Freeze || panes.XSplit != 1 || panes.YSplit != 1 || panes.TopLeftCell != "B2" {
		t.Errorf("panes %+v (%v), want the first row and column frozen", panes, err)
	}
	if p, _ := f.GetRows("Parameters"); len(p) != 1 || p[0][1] != "2024" {
		t.Errorf("parameters %q", p)
	}
}

func TestWriterRefusesWhatASpreadsheetCannotHold(t *testing.T) {
	for _, name := range []string{"", "a/b", "[x]", strings.Repeat("n", 32)} {
		if _, err := xlsx.New(&bytes.Buffer{}, xlsx.Sheet{Name: name}); err == nil || !strings.Contains(err.Error(), "sheet name") {
			t.Errorf("sheet %q: %v, want refused naming the sheet name", name, err)
		}
	}
	w, err := xlsx.New(&bytes.Buffer{}, xlsx.Sheet{Name: "One"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRow(xlsx.Str("x")); err == nil {
		t.Error("a row before NextSheet was taken")
	}
	if err := w.NextSheet(); err != nil {
		t.Fatal(err)
	}
	if err := w.NextSheet(); err == nil || !strings.Contains(err.Error(), `no sheet after "One"`) {
		t.Errorf("a second sheet of one: %v", err)
	}
}

// TestUnwrittenSheetsAreEmptyAndColumnsPastZName checks Close's empty sheets and the names of
// columns past Z.
func TestUnwrittenSheetsAreEmptyAndColumnsPastZName(t *testing.T) {
	var buf bytes.Buffer
	w, err := xlsx.New(&buf, xlsx.Sheet{Name: "A"}, xlsx.Sheet{Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.NextSheet(); err != nil {
		t.Fatal(err)
	}
	cells := make([]xlsx.Cell, 30)
	cells[26], cells[29] = xlsx.Num(27), xlsx.Num(30)
	if err := w.WriteRow(cells...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for cell, want := range map[string]string{"AA1": "27", "AD1": "30", "Z1": ""} {
		if got, _ := f.GetCellValue("A", cell); got != want {
			t.Errorf("%s = %q, want %q", cell, got, want)
		}
	}
	if rows, err := f.GetRows("B"); err != nil || len(rows) != 0 {
		t.Errorf("sheet B %q (%v), want empty", rows, err)
	}
}
