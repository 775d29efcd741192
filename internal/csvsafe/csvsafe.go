// Package csvsafe writes CSV files that a spreadsheet opens as text. A cell that starts with =, +,
// -, @, a tab or a carriage return is read by Excel and LibreOffice as a formula, so a value from a
// record (a name, an item value in an uploaded file) could run one on the reader's machine ("CSV
// injection"); such a cell gets a leading apostrophe, which spreadsheets show as text.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// Cell returns s as a cell a spreadsheet does not read as a formula.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer whose every cell goes through Cell.
type Writer struct {
	*csv.Writer
	row []string
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record, each cell made safe.
func (w *Writer) Write(record []string) error {
	w.row = w.row[:0]
	for _, s := range record {
		w.row = append(w.row, Cell(s))
	}
	return w.Writer.Write(w.row)
}
