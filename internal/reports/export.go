package reports

import (
	"fmt"
	"io"
	"iter"
	"strconv"

	"github.com/cara-registry/cara/internal/csvsafe"
	"github.com/cara-registry/cara/internal/xlsx"
)

// ParamRows are the parameters of a table as label/value pairs, for the downloads.
func (t *Table) ParamRows() [][2]string {
	year := func(y int) string {
		if y == 0 {
			return "any"
		}
		return strconv.Itoa(y)
	}
	class, status := t.Params.Class, t.Params.Status
	if class == "" {
		class = "all"
	}
	if status == "" {
		status = "all"
	}
	fac := t.Params.FacilityLabel
	if fac == "" {
		fac = "All my facilities"
	}
	rows := [][2]string{{"Report", t.Title}, {"Facility", fac}, {"Diagnosis year from", year(t.Params.FromYear)},
		{"Diagnosis year to", year(t.Params.ToYear)}, {"Class of case", class}, {"Status", status}}
	if t.Suppressed {
		rows = append(rows, [2]string{"Small-cell suppression", "counts of 1 to 10 shown as <11, complementary cells as *"})
	}
	return rows
}

// header is the table's header row: the row title, then each column with its block.
func (t *Table) header() []string {
	h := []string{t.RowTitle}
	for _, c := range t.Columns {
		if c.Group != "" {
			h = append(h, c.Group+": "+c.Label)
		} else {
			h = append(h, c.Label)
		}
	}
	return h
}

// allRows yields the rows and then the total, without copying them: a case listing may have
// hundreds of thousands of rows, and the downloads stream them.
func (t *Table) allRows() iter.Seq2[int, *Row] {
	return func(yield func(int, *Row) bool) {
		for i := range t.Rows {
			if !yield(i, &t.Rows[i]) {
				return
			}
		}
		if t.Total != nil {
			yield(len(t.Rows), t.Total)
		}
	}
}

// WriteCSV writes the table as CSV: a header row, a row per table row and the total; a value
// that cannot be computed is blank, a suppressed one its text. Labels go through csvsafe, so that no cell runs as a formula.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(t.header()); err != nil {
		return fmt.Errorf("reports: csv: %w", err)
	}
	for _, r := range t.allRows() {
		rec := []string{r.Label}
		for i := range r.Values {
			rec = append(rec, r.Cell(i))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("reports: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("reports: csv: %w", err)
	}
	return nil
}

// Sheet names of the XLSX downloads.
const (
	SheetReport     = "Report"
	SheetParameters = "Parameters"
)

// WriteXLSX writes the table as an XLSX workbook: the table on the first sheet (header row in
// bold, numbers as numeric cells, the header and label column frozen), the parameters on the
// second, streamed (internal/xlsx): memory stays flat whatever the number of rows.
func (t *Table) WriteXLSX(w io.Writer) error {
	x, err := xlsx.New(w, xlsx.Sheet{Name: SheetReport, Freeze: xlsx.Freeze{Rows: 1, Cols: 1}}, xlsx.Sheet{Name: SheetParameters})
	if err != nil {
		return fmt.Errorf("reports: xlsx: %w", err)
	}
	if err := x.NextSheet(); err != nil {
		return fmt.Errorf("reports: xlsx: %w", err)
	}
	var row []xlsx.Cell
	for _, h := range t.header() {
		row = append(row, xlsx.Bold(xlsx.Str(h)))
	}
	if err := x.WriteRow(row...); err != nil {
		return fmt.Errorf("reports: xlsx: %w", err)
	}
	for _, r := range t.allRows() {
		row = append(row[:0], xlsx.Str(r.Label))
		for j, v := range r.Values {
			switch {
			case r.Known[j]:
				row = append(row, xlsx.Num(v))
			case r.Cell(j) != "":
				row = append(row, xlsx.Str(r.Cell(j))) // a suppressed count's "<11" or "*"
			default:
				row = append(row, xlsx.Cell{})
			}
		}
		if err := x.WriteRow(row...); err != nil {
			return fmt.Errorf("reports: xlsx: %w", err)
		}
	}
	if err := x.NextSheet(); err != nil {
		return fmt.Errorf("reports: xlsx: %w", err)
	}
	for _, p := range t.ParamRows() {
		if err := x.WriteRow(xlsx.Str(p[0]), xlsx.Str(p[1])); err != nil {
			return fmt.Errorf("reports: xlsx: %w", err)
		}
	}
	if err := x.Close(); err != nil {
		return fmt.Errorf("reports: xlsx: %w", err)
	}
	return nil
}
