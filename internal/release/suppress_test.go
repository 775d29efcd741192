package release

import (
	"math/rand"
	"testing"
)

// recover plays the reader who subtracts: with every shown entry known, any line (a row with its
// total, a column with its total) with exactly one unknown entry gives that entry away, which
// may give away another; it returns the suppressed entries so recovered.
func recoverBySubtraction(s Suppressed) [][2]int {
	nr, nc := len(s.Cells)-1, len(s.Cells[0])-1
	known := make([][]bool, nr+1)
	for r := range known {
		known[r] = make([]bool, nc+1)
		for c := range known[r] {
			known[r][c] = !s.Cells[r][c].Suppressed
		}
	}
	var got [][2]int
	line := func(ps [][2]int) {
		var unknown [][2]int
		for _, p := range ps {
			if !known[p[0]][p[1]] {
				unknown = append(unknown, p)
			}
		}
		if len(unknown) == 1 && len(ps) > 1 {
			known[unknown[0][0]][unknown[0][1]] = true
			got = append(got, unknown[0])
		}
	}
	for progress := true; progress; {
		before := len(got)
		for r := 0; r <= nr; r++ {
			var ps [][2]int
			for c := 0; c <= nc; c++ {
				ps = append(ps, [2]int{r, c})
			}
			line(ps)
		}
		for c := 0; c <= nc; c++ {
			var ps [][2]int
			for r := 0; r <= nr; r++ {
				ps = append(ps, [2]int{r, c})
			}
			line(ps)
		}
		progress = len(got) > before
	}
	return got
}

func table(counts [][]int) CountTable {
	t := CountTable{Counts: counts}
	for range counts {
		t.Rows = append(t.Rows, "r")
	}
	if len(counts) > 0 {
		for range counts[0] {
			t.Cols = append(t.Cols, "c")
		}
	}
	return t
}

func TestSuppressCannotBeUndoneBySubtraction(t *testing.T) {
	tests := []struct {
		name   string
		counts [][]int
	}{
		{"one small cell in a row", [][]int{{50, 3, 40}, {60, 70, 80}}},
		{"one small cell in a row and its column", [][]int{{50, 5}, {60, 70}}},
		{"small row total", [][]int{{2, 3, 0}, {60, 70, 80}}},
		{"row of zeros and one small cell", [][]int{{0, 0, 4}, {30, 40, 50}, {30, 40, 50}}},
		{"small cells in a diagonal", [][]int{{1, 50, 50}, {50, 2, 50}, {50, 50, 3}}},
		{"all small", [][]int{{1, 2}, {3, 4}}},
		{"single column", [][]int{{5}, {40}, {40}}},
		{"single row", [][]int{{5, 40, 40}}},
		{"small grand total", [][]int{{1, 0}, {0, 2}}},
		{"nothing small", [][]int{{11, 20}, {30, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Suppress(table(tt.counts))
			if err != nil {
				t.Fatal(err)
			}
			if got := recoverBySubtraction(s); len(got) > 0 {
				t.Fatalf("recovered %v from %v", got, texts(s))
			}
			checkShown(t, s)
		})
	}
}

// checkShown: every count 1..10 is "<11", every shown text is its count, a complementary is "*".
func checkShown(t *testing.T, s Suppressed) {
	t.Helper()
	for r, row := range s.Cells {
		for c, cell := range row {
			switch {
			case cell.Count >= 1 && cell.Count <= SmallCell:
				if cell.Text != "<11" || !cell.Suppressed {
					t.Errorf("cell %d,%d count %d shown %q", r, c, cell.Count, cell.Text)
				}
			case cell.Suppressed:
				if cell.Text != "*" || cell.Primary {
					t.Errorf("cell %d,%d complementary shown %q", r, c, cell.Text)
				}
			default:
				if cell.Text != itoa(cell.Count) {
					t.Errorf("cell %d,%d count %d shown %q", r, c, cell.Count, cell.Text)
				}
			}
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func texts(s Suppressed) [][]string {
	var out [][]string
	for _, row := range s.Cells {
		var l []string
		for _, c := range row {
			l = append(l, c.Text)
		}
		out = append(out, l)
	}
	return out
}

func TestSuppressARowWithExactlyOneSmallCellGetsAComplement(t *testing.T) {
	s, err := Suppress(table([][]int{{50, 3, 40}, {60, 70, 80}}))
	if err != nil {
		t.Fatal(err)
	}
	// Row 0: 3 is primary; the smallest other inner cell of the row (40) is its complement.
	if !s.Cells[0][1].Primary || !s.Cells[0][2].Suppressed || s.Cells[0][2].Text != "*" {
		t.Fatalf("row 0: %v", texts(s)[0])
	}
	// Column 1 and 2 then hold one each: the row below is suppressed in both, so row 1 holds two.
	if !s.Cells[1][1].Suppressed || !s.Cells[1][2].Suppressed {
		t.Fatalf("row 1: %v", texts(s)[1])
	}
	if s.Cells[2][3].Text != "303" {
		t.Fatalf("grand total %q, want 303", s.Cells[2][3].Text)
	}
}

func TestSuppressRandomTablesCannotBeUndone(t *testing.T) {
	rng := rand.New(rand.NewSource(19))
	for i := 0; i < 2000; i++ {
		nr, nc := 1+rng.Intn(5), 1+rng.Intn(5)
		counts := make([][]int, nr)
		for r := range counts {
			counts[r] = make([]int, nc)
			for c := range counts[r] {
				switch rng.Intn(3) {
				case 0:
					counts[r][c] = rng.Intn(11)
				default:
					counts[r][c] = rng.Intn(200)
				}
			}
		}
		s, err := Suppress(table(counts))
		if err != nil {
			t.Fatal(err)
		}
		if got := recoverBySubtraction(s); len(got) > 0 {
			t.Fatalf("table %v: recovered %v from %v", counts, got, texts(s))
		}
		checkShown(t, s)
	}
}

func TestSuppressRefusesMalformedTables(t *testing.T) {
	for _, tt := range []CountTable{
		{Rows: []string{"a", "b"}, Cols: []string{"x"}, Counts: [][]int{{1}}},
		{Rows: []string{"a"}, Cols: []string{"x", "y"}, Counts: [][]int{{1}}},
		{Rows: []string{"a"}, Cols: []string{"x"}, Counts: [][]int{{-1}}},
	} {
		if _, err := Suppress(tt); err == nil {
			t.Errorf("%v: no error", tt)
		}
	}
}
