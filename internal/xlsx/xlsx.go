// Package xlsx writes Office Open XML workbooks (ECMA-376) row by row, straight into a zip stream:
// memory stays flat whatever the number of rows. It writes what cara's downloads need and nothing
// more: sheets of inline strings and numbers, a bold header style and frozen panes.
//
// excelize, which reads and writes every part of the format, assembles the whole zip in memory
// before it writes it out (File.WriteTo): 53 MB of live heap for a 300,000-row report, growing with
// the rows. Its reader stays in the tests, which open what this package writes.
package xlsx

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Cell is one value of a row: a string (shown as typed, never a formula), a number, or blank.
type Cell struct {
	Kind   Kind
	Text   string
	Number int64
	Bold   bool
}

// Kind is what a cell holds.
type Kind uint8

const (
	Blank Kind = iota
	String
	Number
)

// Str is a string cell; Num a number cell.
func Str(s string) Cell    { return Cell{Kind: String, Text: s} }
func Num(n int64) Cell     { return Cell{Kind: Number, Number: n} }
func Bold(c Cell) Cell     { c.Bold = true; return c }
func (c Cell) blank() bool { return c.Kind == Blank }

// Freeze is how many top rows and left columns of a sheet stay in place when it scrolls.
type Freeze struct{ Rows, Cols int }

// Sheet names a sheet of the workbook and its frozen panes.
type Sheet struct {
	Name   string
	Freeze Freeze
}

// A Writer writes a workbook's sheets in the order New was given them: NextSheet starts each,
// WriteRow adds its rows, Close ends the workbook.
type Writer struct {
	zw     *zip.Writer
	sheets []Sheet
	cur    int // index of the sheet being written; -1 before the first
	bw     *bufio.Writer
	row    int
	buf    []byte
}

// MaxRows is the most rows a sheet may have (Excel's limit).
const MaxRows = 1 << 20

// maxSheetName is Excel's limit on a sheet's name.
const maxSheetName = 31

// New starts a workbook of the given sheets on w.
func New(w io.Writer, sheets ...Sheet) (*Writer, error) {
	if len(sheets) == 0 {
		return nil, errors.New("xlsx: a workbook needs a sheet")
	}
	for _, s := range sheets {
		if s.Name == "" || utf8.RuneCountInString(s.Name) > maxSheetName || strings.ContainsAny(s.Name, `[]:*?/\`) {
			return nil, fmt.Errorf("xlsx: sheet name %q: 1 to 31 characters, none of []:*?/\\", s.Name)
		}
	}
	x := &Writer{zw: zip.NewWriter(w), sheets: sheets, cur: -1}
	var ct, wb, rels strings.Builder
	ct.WriteString(xml + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`)
	wb.WriteString(xml + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`)
	rels.WriteString(xml + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i, s := range sheets {
		n := strconv.Itoa(i + 1)
		ct.WriteString(`<Override PartName="/xl/worksheets/sheet` + n + `.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
		wb.WriteString(`<sheet name="` + escape(s.Name) + `" sheetId="` + n + `" r:id="rId` + n + `"/>`)
		rels.WriteString(`<Relationship Id="rId` + n + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet` + n + `.xml"/>`)
	}
	ct.WriteString(`</Types>`)
	wb.WriteString(`</sheets></workbook>`)
	rels.WriteString(`<Relationship Id="rId` + strconv.Itoa(len(sheets)+1) + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`)
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", ct.String()},
		{"_rels/.rels", xml + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", wb.String()},
		{"xl/_rels/workbook.xml.rels", rels.String()},
		{"xl/styles.xml", styles},
	} {
		if err := x.part(part.name, part.body); err != nil {
			return nil, err
		}
	}
	return x, nil
}

const xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// styles has two cell formats: 0 plain, 1 bold.
const styles = xml + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

func (x *Writer) part(name, body string) error {
	w, err := x.zw.Create(name)
	if err == nil {
		_, err = io.WriteString(w, body)
	}
	if err != nil {
		return fmt.Errorf("xlsx: %s: %w", name, err)
	}
	return nil
}

// NextSheet ends the sheet being written, if any, and starts the next one of New's list.
func (x *Writer) NextSheet() error {
	if err := x.endSheet(); err != nil {
		return err
	}
	if x.cur+1 >= len(x.sheets) {
		return fmt.Errorf("xlsx: no sheet after %q", x.sheets[x.cur].Name)
	}
	x.cur++
	w, err := x.zw.Create("xl/worksheets/sheet" + strconv.Itoa(x.cur+1) + ".xml")
	if err != nil {
		return fmt.Errorf("xlsx: sheet %q: %w", x.sheets[x.cur].Name, err)
	}
	x.bw, x.row = bufio.NewWriterSize(w, 64<<10), 0
	x.bw.WriteString(xml + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	if f := x.sheets[x.cur].Freeze; f.Rows > 0 || f.Cols > 0 {
		top := cellName(f.Cols, f.Rows+1)
		pane := map[[2]bool]string{{true, true}: "bottomRight", {true, false}: "bottomLeft", {false, true}: "topRight"}[[2]bool{f.Rows > 0, f.Cols > 0}]
		x.bw.WriteString(`<sheetViews><sheetView workbookViewId="0"><pane`)
		if f.Cols > 0 {
			x.bw.WriteString(` xSplit="` + strconv.Itoa(f.Cols) + `"`)
		}
		if f.Rows > 0 {
			x.bw.WriteString(` ySplit="` + strconv.Itoa(f.Rows) + `"`)
		}
		x.bw.WriteString(` topLeftCell="` + top + `" activePane="` + pane + `" state="frozen"/></sheetView></sheetViews>`)
	}
	_, err = x.bw.WriteString(`<sheetData>`)
	return err
}

// WriteRow adds a row to the sheet being written.
func (x *Writer) WriteRow(cells ...Cell) error {
	if x.bw == nil {
		return errors.New("xlsx: a row before NextSheet")
	}
	if x.row >= MaxRows {
		return fmt.Errorf("xlsx: sheet %q: more than %d rows, the most a spreadsheet program opens", x.sheets[x.cur].Name, MaxRows)
	}
	x.row++
	b := append(x.buf[:0], `<row r="`...)
	b = strconv.AppendInt(b, int64(x.row), 10)
	b = append(b, `">`...)
	for i, c := range cells {
		if c.blank() && !c.Bold {
			continue
		}
		b = append(b, `<c r="`...)
		b = appendCellName(b, i, x.row)
		b = append(b, '"')
		if c.Bold {
			b = append(b, ` s="1"`...)
		}
		switch c.Kind {
		case Number:
			b = append(b, `><v>`...)
			b = strconv.AppendInt(b, c.Number, 10)
			b = append(b, `</v></c>`...)
		case String:
			b = append(b, ` t="inlineStr"><is><t xml:space="preserve">`...)
			b = appendEscaped(b, c.Text)
			b = append(b, `</t></is></c>`...)
		default:
			b = append(b, `/>`...)
		}
	}
	b = append(b, `</row>`...)
	x.buf = b
	if _, err := x.bw.Write(b); err != nil {
		return fmt.Errorf("xlsx: sheet %q row %d: %w", x.sheets[x.cur].Name, x.row, err)
	}
	return nil
}

func (x *Writer) endSheet() error {
	if x.bw == nil {
		return nil
	}
	x.bw.WriteString(`</sheetData></worksheet>`)
	err := x.bw.Flush()
	x.bw = nil
	if err != nil {
		return fmt.Errorf("xlsx: sheet %q: %w", x.sheets[x.cur].Name, err)
	}
	return nil
}

// Close ends the workbook: sheets not started are written empty.
func (x *Writer) Close() error {
	for x.cur+1 < len(x.sheets) {
		if err := x.NextSheet(); err != nil {
			return err
		}
	}
	if err := x.endSheet(); err != nil {
		return err
	}
	if err := x.zw.Close(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// cellName is the A1 name of column col (0-based) in row row (1-based).
func cellName(col, row int) string { return string(appendCellName(nil, col, row)) }

func appendCellName(b []byte, col, row int) []byte {
	var letters [4]byte // 3 letters reach column 18,278, past Excel's 16,384
	i := len(letters)
	for n := col + 1; n > 0 && i > 0; n = (n - 1) / 26 {
		i--
		letters[i] = byte('A' + (n-1)%26)
	}
	b = append(b, letters[i:]...)
	return strconv.AppendInt(b, int64(row), 10)
}

func escape(s string) string { return string(appendEscaped(nil, s)) }

// appendEscaped appends s as XML text. Characters XML 1.0 cannot hold (most control characters,
// invalid UTF-8) become U+FFFD, so that a stray byte in a value cannot make the file unreadable.
func appendEscaped(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"':
			b = append(b, "&quot;"...)
		case r == '\t' || r == '\n' || r == '\r':
			b = append(b, byte(r))
		case r < 0x20 || r == utf8.RuneError || (r >= 0xFFFE && r <= 0xFFFF):
			b = utf8.AppendRune(b, utf8.RuneError)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}
