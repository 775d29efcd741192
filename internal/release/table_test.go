package release

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/reports"
)

// reportTable builds a count report's table as internal/reports makes it: a total column, then
// a block of sex columns and a block of stage columns, each block adding up to the total, and
// a total row.
func reportTable(sex, stage [][]int64) *reports.Table {
	t := &reports.Table{Report: "primary-site", Columns: []reports.Column{{Key: "total", Label: "Total", Kind: reports.Count}}}
	for i := range sex[0] {
		t.Columns = append(t.Columns, reports.Column{Key: fmt.Sprint("sex:", i), Label: fmt.Sprint(i), Group: "Sex", Kind: reports.Count})
	}
	for i := range stage[0] {
		t.Columns = append(t.Columns, reports.Column{Key: fmt.Sprint("ss:", i), Label: fmt.Sprint(i), Group: "Stage", Kind: reports.Count})
	}
	total := reports.Row{Key: "total", Label: "Total", Values: make([]int64, len(t.Columns)), Known: make([]bool, len(t.Columns))}
	for r := range sex {
		row := reports.Row{Key: fmt.Sprint(r), Label: fmt.Sprint("Group ", r)}
		var n int64
		for _, v := range sex[r] {
			n += v
		}
		row.Values = append(append([]int64{n}, sex[r]...), stage[r]...)
		for i, v := range row.Values {
			row.Known = append(row.Known, true)
			total.Values[i] += v
		}
		t.Rows = append(t.Rows, row)
	}
	for i := range total.Known {
		total.Known[i] = true
	}
	t.Total = &total
	return t
}

// recoverTable plays the reader of a released table who knows that each block of a row adds
// up to the row's total and each column to its total: a relation with exactly one value not
// shown gives that value away, which may give away another. It returns the values recovered.
func recoverTable(t *reports.Table) [][2]int {
	rows := append(append([]reports.Row(nil), t.Rows...), *t.Total)
	known := make([][]bool, len(rows))
	for r := range rows {
		known[r] = append([]bool(nil), rows[r].Known...)
	}
	var relations [][][2]int
	for r := range rows {
		for _, g := range []string{"Sex", "Stage"} {
			rel := [][2]int{{r, 0}}
			for c, col := range t.Columns {
				if col.Group == g {
					rel = append(rel, [2]int{r, c})
				}
			}
			relations = append(relations, rel)
		}
	}
	for c := range t.Columns {
		var rel [][2]int
		for r := range rows {
			rel = append(rel, [2]int{r, c})
		}
		relations = append(relations, rel)
	}
	var got [][2]int
	for progress := true; progress; {
		progress = false
		for _, rel := range relations {
			var unknown [][2]int
			for _, p := range rel {
				if !known[p[0]][p[1]] {
					unknown = append(unknown, p)
				}
			}
			if len(unknown) == 1 && len(rel) > 1 {
				known[unknown[0][0]][unknown[0][1]] = true
				got = append(got, unknown[0])
				progress = true
			}
		}
	}
	return got
}

func TestSuppressedReportTableCannotBeUndoneBySubtraction(t *testing.T) {
	rnd := rand.New(rand.NewSource(19))
	cases := []struct {
		name       string
		sex, stage [][]int64
	}{
		// One small cell in each block: alone it would be the row's total minus the other.
		{"one small cell", [][]int64{{40, 5}, {30, 30}, {25, 26}}, [][]int64{{20, 20, 5}, {20, 20, 20}, {17, 17, 17}}},
		{"a small row", [][]int64{{3, 4}, {50, 60}}, [][]int64{{2, 2, 3}, {40, 40, 30}}},
	}
	for i := range 200 {
		nr := 1 + rnd.Intn(6)
		sex, stage := make([][]int64, nr), make([][]int64, nr)
		for r := range nr {
			a, b := int64(rnd.Intn(30)), int64(rnd.Intn(30))
			sex[r] = []int64{a, b}
			x := int64(rnd.Intn(int(a+b) + 1))
			y := int64(rnd.Intn(int(a+b-x) + 1))
			stage[r] = []int64{x, y, a + b - x - y}
		}
		cases = append(cases, struct {
			name       string
			sex, stage [][]int64
		}{fmt.Sprint("random ", i), sex, stage})
	}
	for _, tc := range cases {
		in := reportTable(tc.sex, tc.stage)
		out, err := SuppressTable(in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		rowsIn := append(append([]reports.Row(nil), in.Rows...), *in.Total)
		rowsOut := append(append([]reports.Row(nil), out.Rows...), *out.Total)
		for r := range rowsIn {
			for c, v := range rowsIn[r].Values {
				o := rowsOut[r]
				if v >= 1 && v <= SmallCell && (o.Known[c] || o.Text[c] != "<11") {
					t.Errorf("%s: row %d column %d: count %d shown as %q", tc.name, r, c, v, o.Cell(c))
				}
				if o.Known[c] && o.Values[c] != v {
					t.Errorf("%s: row %d column %d: %d shown for %d", tc.name, r, c, o.Values[c], v)
				}
				if !o.Known[c] && o.Values[c] != 0 {
					t.Errorf("%s: row %d column %d: a suppressed count keeps its number", tc.name, r, c)
				}
			}
		}
		if got := recoverTable(out); len(got) > 0 {
			t.Errorf("%s: suppressed values %v recovered by subtraction", tc.name, got)
		}
	}
	if in := (reportTable([][]int64{{1, 0}}, [][]int64{{1, 0, 0}})); true {
		in.Rows[0].Values[0] = -1
		if _, err := SuppressTable(in); err == nil {
			t.Error("a negative count was suppressed, not refused")
		}
	}
}

func TestSuppressedReportTableDownloadsShowNoSmallCount(t *testing.T) {
	out, err := SuppressTable(reportTable([][]int64{{40, 5}, {30, 30}}, [][]int64{{20, 20, 5}, {20, 20, 20}}))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := out.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if !strings.Contains(lines[1], ",<11") {
		t.Errorf("row with a small count: %q", lines[1])
	}
	for _, l := range lines[1:] {
		for _, f := range strings.Split(l, ",")[1:] {
			if f == "5" {
				t.Errorf("a count of 5 shown: %q", l)
			}
		}
	}
	interval := &reports.Table{Report: "timeliness", Columns: []reports.Column{{Key: "total", Kind: reports.Count}, {Key: "median", Kind: reports.Days}},
		Total: &reports.Row{Values: []int64{1, 2}, Known: []bool{true, true}}}
	if _, err := SuppressTable(interval); err == nil || !strings.Contains(err.Error(), "not a count") {
		t.Errorf("an interval table: %v, want it refused", err)
	}
}
