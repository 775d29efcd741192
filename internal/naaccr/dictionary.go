// Package naaccr models NAACCR data dictionaries and the NAACCR XML exchange format.
// It knows nothing of HTTP or the database.
package naaccr

import (
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Namespace is the XML namespace of NAACCR XML data files and dictionaries.
const Namespace = "http://naaccr.org/naaccrxml"

// DataType is an item's NAACCR data type; an item without one is text.
type DataType string

// The data types of the NAACCR XML specification 1.8.
const (
	TypeText    DataType = "text"
	TypeDigits  DataType = "digits"  // 0-9 only
	TypeNumeric DataType = "numeric" // digits with an optional decimal part, no sign
	TypeAlpha   DataType = "alpha"   // upper-case A-Z only
	TypeMixed   DataType = "mixed"   // upper-case A-Z and 0-9
	TypeDate    DataType = "date"    // CCYYMMDD, or partial CCYYMM or CCYY
	// TypeDateTime is an ISO 8601 date and time (xs:dateTime), e.g. 2026-03-15T10:20:30-05:00.
	TypeDateTime DataType = "dateTime"
)

// Parent is the XML element an item belongs to.
type Parent string

// The three levels an item can live at.
const (
	ParentRoot    Parent = "NaaccrData"
	ParentPatient Parent = "Patient"
	ParentTumor   Parent = "Tumor"
)

// ItemDef is one item of a dictionary.
type ItemDef struct {
	ID          string // naaccrId, e.g. "primarySite"
	Number      int    // naaccrNum, e.g. 400
	Name        string // naaccrName, e.g. "Primary Site"
	Length      int
	RecordTypes []string // of "A", "M", "C", "I"
	Parent      Parent
	DataType    DataType
	Padding     string // "leftZero", "rightBlank", ... or empty
	Trim        string // "all" (default) or "none"
}

// InRecordType reports whether the item is part of the given record type (A, M, C or I).
func (d *ItemDef) InRecordType(rt string) bool {
	for _, r := range d.RecordTypes {
		if r == rt {
			return true
		}
	}
	return false
}

// Dictionary is a loaded NAACCR dictionary; Items keeps the dictionary's order, which is the
// order items are written in.
type Dictionary struct {
	URI                  string
	NaaccrVersion        string
	SpecificationVersion string
	Description          string
	Items                []*ItemDef
	byID                 map[string]*ItemDef
	byNumber             map[int]*ItemDef
}

// Item returns the definition of the item with the given naaccrId.
func (d *Dictionary) Item(id string) (*ItemDef, bool) {
	it, ok := d.byID[id]
	return it, ok
}

// ItemByNumber returns the definition of the item with the given NAACCR number.
func (d *Dictionary) ItemByNumber(n int) (*ItemDef, bool) {
	it, ok := d.byNumber[n]
	return it, ok
}

// ItemsAt returns the items of one level, in dictionary order.
func (d *Dictionary) ItemsAt(p Parent) []*ItemDef {
	var out []*ItemDef
	for _, it := range d.Items {
		if it.Parent == p {
			out = append(out, it)
		}
	}
	return out
}

type xmlDictionary struct {
	XMLName              xml.Name     `xml:"NaaccrDictionary"`
	DictionaryURI        string       `xml:"dictionaryUri,attr"`
	NaaccrVersion        string       `xml:"naaccrVersion,attr"`
	SpecificationVersion string       `xml:"specificationVersion,attr"`
	Description          string       `xml:"description,attr"`
	Items                []xmlItemDef `xml:"ItemDefs>ItemDef"`
}

type xmlItemDef struct {
	ID          string `xml:"naaccrId,attr"`
	Number      int    `xml:"naaccrNum,attr"`
	Name        string `xml:"naaccrName,attr"`
	Length      int    `xml:"length,attr"`
	RecordTypes string `xml:"recordTypes,attr"`
	Parent      string `xml:"parentXmlElement,attr"`
	DataType    string `xml:"dataType,attr"`
	Padding     string `xml:"padding,attr"`
	Trim        string `xml:"trim,attr"`
}

// ParseDictionary reads a NAACCR dictionary XML document and checks it: unique ids and numbers,
// known data types and parent elements, positive lengths.
func ParseDictionary(r io.Reader) (*Dictionary, error) {
	var x xmlDictionary
	if err := xml.NewDecoder(r).Decode(&x); err != nil {
		return nil, fmt.Errorf("naaccr: parse dictionary: %w", err)
	}
	if x.XMLName.Space != Namespace {
		return nil, fmt.Errorf("naaccr: parse dictionary: namespace %q, want %q", x.XMLName.Space, Namespace)
	}
	if x.DictionaryURI == "" {
		return nil, fmt.Errorf("naaccr: parse dictionary: missing dictionaryUri")
	}
	d := &Dictionary{
		URI:                  x.DictionaryURI,
		NaaccrVersion:        x.NaaccrVersion,
		SpecificationVersion: x.SpecificationVersion,
		Description:          x.Description,
		byID:                 make(map[string]*ItemDef, len(x.Items)),
		byNumber:             make(map[int]*ItemDef, len(x.Items)),
	}
	for i, xi := range x.Items {
		it, err := xi.toItemDef()
		if err != nil {
			return nil, fmt.Errorf("naaccr: dictionary %s: item %d (%q): %w", d.URI, i+1, xi.ID, err)
		}
		if _, dup := d.byID[it.ID]; dup {
			return nil, fmt.Errorf("naaccr: dictionary %s: duplicate naaccrId %q", d.URI, it.ID)
		}
		if prev, dup := d.byNumber[it.Number]; dup {
			return nil, fmt.Errorf("naaccr: dictionary %s: naaccrNum %d used by %q and %q", d.URI, it.Number, prev.ID, it.ID)
		}
		d.byID[it.ID] = it
		d.byNumber[it.Number] = it
		d.Items = append(d.Items, it)
	}
	return d, nil
}

func (xi xmlItemDef) toItemDef() (*ItemDef, error) {
	if xi.ID == "" {
		return nil, fmt.Errorf("missing naaccrId")
	}
	if xi.Number <= 0 {
		return nil, fmt.Errorf("naaccrNum must be a positive number")
	}
	if xi.Length <= 0 {
		return nil, fmt.Errorf("length must be a positive number")
	}
	dt := DataType(xi.DataType)
	switch dt {
	case "":
		dt = TypeText
	case TypeText, TypeDigits, TypeNumeric, TypeAlpha, TypeMixed, TypeDate, TypeDateTime:
	default:
		return nil, fmt.Errorf("unknown dataType %q", xi.DataType)
	}
	p := Parent(xi.Parent)
	switch p {
	case ParentRoot, ParentPatient, ParentTumor:
	default:
		return nil, fmt.Errorf("unknown parentXmlElement %q", xi.Parent)
	}
	var rts []string
	for _, rt := range strings.Split(xi.RecordTypes, ",") {
		rt = strings.TrimSpace(rt)
		switch rt {
		case "A", "M", "C", "I":
			rts = append(rts, rt)
		case "":
		default:
			return nil, fmt.Errorf("unknown record type %q", rt)
		}
	}
	trim := xi.Trim
	if trim == "" {
		trim = "all"
	}
	return &ItemDef{
		ID: xi.ID, Number: xi.Number, Name: xi.Name, Length: xi.Length,
		RecordTypes: rts, Parent: p, DataType: dt, Padding: xi.Padding, Trim: trim,
	}, nil
}

// BaseDictionaryURI returns the URI of the base dictionary of a NAACCR version ("240", "250", "260").
func BaseDictionaryURI(version string) string {
	return "http://naaccr.org/naaccrxml/naaccr-dictionary-" + version + ".xml"
}

// CurrentVersion is the NAACCR version cara abstracts in.
const CurrentVersion = "260"

// LoadBaseDictionary loads the base dictionary of a NAACCR version from the schemas file system
// (the file dictionaries/naaccr-dictionary-VERSION.xml).
func LoadBaseDictionary(fsys fs.FS, version string) (*Dictionary, error) {
	f, err := fsys.Open("dictionaries/naaccr-dictionary-" + version + ".xml")
	if err != nil {
		return nil, fmt.Errorf("naaccr: base dictionary %s: %w", version, err)
	}
	defer f.Close()
	return ParseDictionary(f)
}
