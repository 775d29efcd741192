package release

import (
	"fmt"
	"io"

	"github.com/cara-registry/cara/internal/csvsafe"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/xlsx"
)

// extractWriter writes the patients of an extract, items already reduced by the policy.
type extractWriter interface {
	write(p *naaccr.Patient) error
	close() error
}

type xmlExtract struct{ w *naaccr.Writer }

// newXMLExtract writes NAACCR XML of a record type; only the items present are written, and
// with OnlyRecordType an item outside an I record is left out rather than refused.
func newXMLExtract(w io.Writer, dict *naaccr.Dictionary, recordType string) (*xmlExtract, error) {
	nw, err := naaccr.NewWriter(w, dict, naaccr.Header{RecordType: recordType, OnlyRecordType: recordType != "A"})
	if err != nil {
		return nil, err
	}
	return &xmlExtract{w: nw}, nil
}

func (x *xmlExtract) write(p *naaccr.Patient) error { return x.w.WritePatient(p) }
func (x *xmlExtract) close() error                  { return x.w.Close() }

// columns are the picked items of patient and tumor level, in dictionary order: a flat file has
// one row per tumor, its patient's items repeated.
func columns(dict *naaccr.Dictionary, items []string) []*naaccr.ItemDef {
	var out []*naaccr.ItemDef
	for _, id := range items {
		if it, ok := dict.Item(id); ok && it.Parent != naaccr.ParentRoot {
			out = append(out, it)
		}
	}
	return out
}

func rowOf(cols []*naaccr.ItemDef, p *naaccr.Patient, t *naaccr.Tumor) []string {
	row := make([]string, len(cols))
	for i, c := range cols {
		if c.Parent == naaccr.ParentPatient {
			row[i] = p.Items[c.ID]
		} else {
			row[i] = t.Items[c.ID]
		}
	}
	return row
}

type csvExtract struct {
	w    *csvsafe.Writer
	cols []*naaccr.ItemDef
}

func newCSVExtract(w io.Writer, dict *naaccr.Dictionary, items []string) (*csvExtract, error) {
	x := &csvExtract{w: csvsafe.NewWriter(w), cols: columns(dict, items)}
	head := make([]string, len(x.cols))
	for i, c := range x.cols {
		head[i] = c.ID
	}
	return x, x.w.Write(head)
}

func (x *csvExtract) write(p *naaccr.Patient) error {
	for i := range p.Tumors {
		if err := x.w.Write(rowOf(x.cols, p, &p.Tumors[i])); err != nil {
			return err
		}
	}
	return nil
}

func (x *csvExtract) close() error {
	x.w.Flush()
	return x.w.Error()
}

// xlsxExtract streams rows (internal/xlsx: memory stays flat) into one sheet, with the items'
// names as the header row, frozen, and codes kept as text (a code such as 0400 is not a number).
type xlsxExtract struct {
	x    *xlsx.Writer
	cols []*naaccr.ItemDef
	row  []xlsx.Cell
}

func newXLSXExtract(w io.Writer, dict *naaccr.Dictionary, items []string) (*xlsxExtract, error) {
	xw, err := xlsx.New(w, xlsx.Sheet{Name: "Extract", Freeze: xlsx.Freeze{Rows: 1}})
	if err != nil {
		return nil, err
	}
	if err := xw.NextSheet(); err != nil {
		return nil, err
	}
	x := &xlsxExtract{x: xw, cols: columns(dict, items)}
	for _, c := range x.cols {
		x.row = append(x.row, xlsx.Bold(xlsx.Str(fmt.Sprintf("%s (%d)", c.Name, c.Number))))
	}
	if err := xw.WriteRow(x.row...); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *xlsxExtract) write(p *naaccr.Patient) error {
	for i := range p.Tumors {
		x.row = x.row[:0]
		for _, v := range rowOf(x.cols, p, &p.Tumors[i]) {
			c := xlsx.Cell{}
			if v != "" {
				c = xlsx.Str(v)
			}
			x.row = append(x.row, c)
		}
		if err := x.x.WriteRow(x.row...); err != nil {
			return err
		}
	}
	return nil
}

func (x *xlsxExtract) close() error { return x.x.Close() }
