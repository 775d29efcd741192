// Package staging runs the SEER EOD public staging algorithm from its published data: the schemas
// and tables of schemas/staging/*.zip. The algorithm stays data; this package only knows how to
// load it, match table rows and select a schema.
package staging

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// DataDir is the folder of schemas.FS that holds the staging release: exactly one zip, as
// published. Updating the release is replacing the zip; its version is read from its data.
const DataDir = "staging"

// Column types of a table's definition.
const (
	ColumnInput       = "INPUT"
	ColumnEndpoint    = "ENDPOINT"
	ColumnDescription = "DESCRIPTION"
)

// Endpoint types: what a matched row says to do.
const (
	EndpointValue = "VALUE"
	EndpointJump  = "JUMP"
	EndpointMatch = "MATCH"
	EndpointError = "ERROR"
	EndpointStop  = "STOP"
)

// DataSet is one loaded staging release: every schema and table, by id.
type DataSet struct {
	Algorithm string
	Version   string
	File      string // the zip's name, for reports
	Schemas   map[string]*Schema
	Tables    map[string]*Table
	// schemaOrder keeps selection deterministic: schemas are tried in id order.
	schemaOrder []string
	// itemOf is the naaccrId each input key is read from, as the schemas name it.
	itemOf map[string]string
	// selectionKeys are the input keys of every selection table.
	selectionKeys []string
	// outputItems are the naaccrIds any schema derives, so a tumor that loses its schema loses
	// the values too.
	outputItems []string
	// allSelectionRows are the rows of every selection table, bySite those whose site cell holds
	// a site (nil when the valid sites are not single codes).
	allSelectionRows []selectionRow
	bySite           map[string][]selectionRow
}

// Schema is one staging schema: its inputs with their validation tables, outputs and mappings.
type Schema struct {
	ID             string    `json:"id"`
	Algorithm      string    `json:"algorithm"`
	Version        string    `json:"version"`
	Name           string    `json:"name"`
	Title          string    `json:"title"`
	Subtitle       string    `json:"subtitle"`
	Notes          string    `json:"notes"`
	SelectionTable string    `json:"schema_selection_table"`
	Discriminators []string  `json:"schema_discriminators"`
	Inputs         []Input   `json:"inputs"`
	Outputs        []Output  `json:"outputs"`
	Mappings       []Mapping `json:"mappings"`
	InvolvedTables []string  `json:"involved_tables"`
	OnInvalidInput string    `json:"on_invalid_input"`
	LastModified   string    `json:"last_modified"`
}

// Input is one schema input, read from the NAACCR item NAACCRXMLID and checked against Table.
type Input struct {
	Key            string     `json:"key"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	NAACCRItem     int        `json:"naaccr_item"`
	NAACCRXMLID    string     `json:"naaccr_xml_id"`
	Table          string     `json:"table"`
	Default        *string    `json:"default"`
	UsedForStaging bool       `json:"used_for_staging"`
	FailOnInvalid  bool       `json:"fail_on_invalid"`
	Metadata       []Metadata `json:"metadata"`

	table *Table // Table resolved at load
}

// Metadata tags an input (SEER_REQUIRED from 2021, SSDI, ...).
type Metadata struct {
	Name  string `json:"name"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Output is one value the schema derives, written to the NAACCR item NAACCRXMLID when it has one.
type Output struct {
	Key         string     `json:"key"`
	Name        string     `json:"name"`
	NAACCRItem  int        `json:"naaccr_item"`
	NAACCRXMLID string     `json:"naaccr_xml_id"`
	Table       string     `json:"table"`
	Default     *string    `json:"default"`
	Metadata    []Metadata `json:"metadata"`
}

// Mapping is a named chain of table lookups (for example Summary Stage 2018).
type Mapping struct {
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Tables []TablePath `json:"tables"`
}

// TablePath is one step of a mapping: the table, the keys it reads and the keys it writes, and an
// optional renaming of its outputs.
type TablePath struct {
	ID            string       `json:"id"`
	Inputs        []string     `json:"inputs"`
	Outputs       []string     `json:"outputs"`
	OutputMapping []KeyMapping `json:"output_mapping"`
}

// KeyMapping renames a table's output key From to the schema's key To.
type KeyMapping struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Table is one decision table: its columns and its rows, parsed for matching.
type Table struct {
	ID          string     `json:"id"`
	Algorithm   string     `json:"algorithm"`
	Version     string     `json:"version"`
	Name        string     `json:"name"`
	Title       string     `json:"title"`
	Subtitle    string     `json:"subtitle"`
	Description string     `json:"description"`
	Notes       string     `json:"notes"`
	Footnotes   string     `json:"footnotes"`
	Definition  []Column   `json:"definition"`
	ExtraInput  []string   `json:"extra_input"`
	RawRows     [][]string `json:"rows"`

	// Rows is RawRows parsed: one cell a column, input cells as ranges, endpoint cells split.
	Rows []Row `json:"-"`
	// inputKeys are the keys of the INPUT columns in order; every row's Inputs follow it.
	inputKeys []string
	// exact indexes the rows of a table of one input column by the values they list one by one;
	// rangeRows are its rows of ranges, "*" or references, tried in order (nil for other tables).
	exact     map[string]int
	rangeRows []int
}

// Column is one column of a table's definition.
type Column struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// Row is a parsed table row.
type Row struct {
	// Inputs holds, for each INPUT column in order, the values the cell accepts.
	Inputs []RowInput
	// Endpoints holds, for each ENDPOINT column, what the row yields.
	Endpoints []Endpoint
}

// RowInput is one INPUT cell of a row with the key of its column.
type RowInput struct {
	Key  string
	Cell Cell
}

// Endpoint is what a matched row yields for one ENDPOINT column.
type Endpoint struct {
	Key   string // the column key, e.g. ss2018_t or result
	Type  string // VALUE, JUMP, MATCH or ERROR
	Value string // the value, the table to jump to or the error message
}

// Load reads the staging release, the one zip in DataDir of fsys (schemas.FS in cara).
func Load(fsys fs.FS) (*DataSet, error) {
	zips, err := fs.Glob(fsys, path.Join(DataDir, "*.zip"))
	if err != nil {
		return nil, fmt.Errorf("staging: %w", err)
	}
	if len(zips) != 1 {
		return nil, fmt.Errorf("staging: %s/ must hold exactly one staging release zip, it holds %d %v", DataDir, len(zips), zips)
	}
	b, err := fs.ReadFile(fsys, zips[0])
	if err != nil {
		return nil, fmt.Errorf("staging: read %s: %w", zips[0], err)
	}
	d, err := LoadZip(b)
	if err != nil {
		return nil, fmt.Errorf("staging: %s: %w", zips[0], err)
	}
	d.File = path.Base(zips[0])
	return d, nil
}

// LoadZip reads a staging release from the bytes of its zip, as published.
func LoadZip(b []byte) (*DataSet, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("open zip: %w", err)
	}
	d := &DataSet{Schemas: map[string]*Schema{}, Tables: map[string]*Table{}}
	for _, f := range zr.File {
		dir, name := path.Split(f.Name)
		if path.Ext(name) != ".json" || (dir != "schemas/" && dir != "tables/") {
			continue
		}
		data, err := readZipFile(f)
		if err != nil {
			return nil, err
		}
		if dir == "schemas/" {
			s := &Schema{}
			if err := json.Unmarshal(data, s); err != nil {
				return nil, fmt.Errorf("schema %s: %w", f.Name, err)
			}
			if s.ID == "" {
				return nil, fmt.Errorf("schema %s: no id", f.Name)
			}
			d.Schemas[s.ID] = s
			d.noteVersion(s.Algorithm, s.Version)
			continue
		}
		t := &Table{}
		if err := json.Unmarshal(data, t); err != nil {
			return nil, fmt.Errorf("table %s: %w", f.Name, err)
		}
		if err := t.parse(); err != nil {
			return nil, fmt.Errorf("table %s: %w", f.Name, err)
		}
		d.Tables[t.ID] = t
		d.noteVersion(t.Algorithm, t.Version)
	}
	if len(d.Schemas) == 0 || len(d.Tables) == 0 {
		return nil, fmt.Errorf("no schemas or tables (found %d schemas, %d tables)", len(d.Schemas), len(d.Tables))
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	for id := range d.Schemas {
		d.schemaOrder = append(d.schemaOrder, id)
	}
	sort.Strings(d.schemaOrder)
	d.index()
	return d, nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name, err)
	}
	return data, nil
}

func (d *DataSet) noteVersion(alg, ver string) {
	if d.Algorithm == "" {
		d.Algorithm, d.Version = alg, ver
	}
}

// check makes sure every table a schema names is in the data, so a lookup never meets a missing
// table at run time.
func (d *DataSet) check() error {
	for _, s := range d.Schemas {
		if s.SelectionTable != "" && d.Tables[s.SelectionTable] == nil {
			return fmt.Errorf("schema %s: selection table %s is missing", s.ID, s.SelectionTable)
		}
		for i, in := range s.Inputs {
			if in.Table != "" && d.Tables[in.Table] == nil {
				return fmt.Errorf("schema %s: input %s: table %s is missing", s.ID, in.Key, in.Table)
			}
			s.Inputs[i].table = d.Tables[in.Table]
		}
		for _, m := range s.Mappings {
			for _, tp := range m.Tables {
				if d.Tables[tp.ID] == nil {
					return fmt.Errorf("schema %s: mapping %s: table %s is missing", s.ID, m.ID, tp.ID)
				}
			}
		}
	}
	for _, t := range d.Tables {
		for _, r := range t.Rows {
			for _, e := range r.Endpoints {
				if e.Type == EndpointJump && d.Tables[e.Value] == nil {
					return fmt.Errorf("table %s: column %s: jump to missing table %s", t.ID, e.Key, e.Value)
				}
			}
		}
	}
	return nil
}

// parse turns the raw rows into matchable rows.
func (t *Table) parse() error {
	if t.ID == "" {
		return fmt.Errorf("no id")
	}
	for i, c := range t.Definition {
		switch c.Type {
		case ColumnInput, ColumnEndpoint, ColumnDescription:
		default:
			return fmt.Errorf("table %s: column %d (%s): unknown type %q", t.ID, i+1, c.Key, c.Type)
		}
	}
	for _, c := range t.Definition {
		if c.Type == ColumnInput {
			t.inputKeys = append(t.inputKeys, c.Key)
		}
	}
	t.Rows = make([]Row, 0, len(t.RawRows))
	for ri, raw := range t.RawRows {
		if len(raw) != len(t.Definition) {
			return fmt.Errorf("table %s: row %d has %d cells, the definition %d columns", t.ID, ri+1, len(raw), len(t.Definition))
		}
		var row Row
		for ci, c := range t.Definition {
			switch c.Type {
			case ColumnInput:
				row.Inputs = append(row.Inputs, RowInput{Key: c.Key, Cell: ParseCell(raw[ci])})
			case ColumnEndpoint:
				e, err := parseEndpoint(c.Key, raw[ci])
				if err != nil {
					return fmt.Errorf("table %s: row %d: column %s: %w", t.ID, ri+1, c.Key, err)
				}
				row.Endpoints = append(row.Endpoints, e)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	t.indexOne()
	return nil
}

func parseEndpoint(key, s string) (Endpoint, error) {
	s = strings.TrimSpace(s)
	if s == EndpointMatch || s == EndpointStop {
		return Endpoint{Key: key, Type: s}, nil
	}
	typ, val, ok := strings.Cut(s, ":")
	if !ok {
		return Endpoint{}, fmt.Errorf("endpoint %q: want VALUE:x, JUMP:table, MATCH, STOP or ERROR:message", s)
	}
	switch typ {
	case EndpointValue, EndpointError, EndpointMatch, EndpointStop:
		return Endpoint{Key: key, Type: typ, Value: strings.TrimSpace(val)}, nil
	case EndpointJump:
		if strings.TrimSpace(val) == "" {
			return Endpoint{}, fmt.Errorf("endpoint %q: jump without a table", s)
		}
		return Endpoint{Key: key, Type: typ, Value: strings.TrimSpace(val)}, nil
	}
	return Endpoint{}, fmt.Errorf("endpoint %q: unknown type %q", s, typ)
}

// index notes, once, what staging a record needs: the item of every input key, the keys the
// selection tables read and the items the schemas derive.
func (d *DataSet) index() {
	d.itemOf = map[string]string{}
	keys, outs := map[string]bool{}, map[string]bool{}
	for _, id := range d.schemaOrder {
		s := d.Schemas[id]
		for _, in := range s.Inputs {
			if _, ok := d.itemOf[in.Key]; !ok && in.NAACCRXMLID != "" {
				d.itemOf[in.Key] = in.NAACCRXMLID
			}
		}
		for _, o := range s.Outputs {
			if o.NAACCRXMLID != "" && !outs[o.NAACCRXMLID] {
				outs[o.NAACCRXMLID] = true
				d.outputItems = append(d.outputItems, o.NAACCRXMLID)
			}
		}
		if t := d.Tables[s.SelectionTable]; t != nil {
			for _, c := range t.Definition {
				if c.Type == ColumnInput && !keys[c.Key] {
					keys[c.Key] = true
					d.selectionKeys = append(d.selectionKeys, c.Key)
				}
			}
		}
	}
	sort.Strings(d.outputItems)
	d.indexSelection()
}

// ItemOf returns the naaccrId an input key is read from ("primarySite" for site), "" if none.
func (d *DataSet) ItemOf(key string) string { return d.itemOf[key] }
