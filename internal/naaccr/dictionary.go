// Package naaccr models NAACCR data dictionaries and the NAACCR XML exchange format.
// It knows nothing of HTTP or the database.
package naaccr

import (
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
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
	Padding     string // "leftZero", "rightBlank", "leftBlank", "rightZero", or empty for none
	Trim        string // "all" (default) or "none"
	// AllowUnlimitedText says the item may hold values longer than Length.
	AllowUnlimitedText bool
}

// InRecordType reports whether the item is part of the given record type (A, M, C or I). An
// item without recordTypes (the attribute is optional, and user dictionaries often leave it
// out) is part of every record type, as the reference library reads it.
func (d *ItemDef) InRecordType(rt string) bool {
	if len(d.RecordTypes) == 0 {
		return rt == "A" || rt == "M" || rt == "C" || rt == "I"
	}
	for _, r := range d.RecordTypes {
		if r == rt {
			return true
		}
	}
	return false
}

// Dictionary is a loaded NAACCR dictionary; Items keeps the dictionary's order, which is the
// order items are written in. A base dictionary is one of NAACCR's (see IsBase); any other is a
// user dictionary.
type Dictionary struct {
	URI                  string
	NaaccrVersion        string // required of base dictionaries, optional for user dictionaries
	SpecificationVersion string // "1.0" to "1.8"; "1.0" when the document does not say
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

// xmlItemDef holds the attributes as written, so that a bad number is reported with its item.
// startColumn is accepted and ignored: it placed items in the retired fixed-width format, and
// specification 1.7 stopped using it.
type xmlItemDef struct {
	ID                 string `xml:"naaccrId,attr"`
	Number             string `xml:"naaccrNum,attr"`
	Name               string `xml:"naaccrName,attr"`
	Length             string `xml:"length,attr"`
	RecordTypes        string `xml:"recordTypes,attr"`
	Parent             string `xml:"parentXmlElement,attr"`
	DataType           string `xml:"dataType,attr"`
	Padding            string `xml:"padding,attr"`
	Trim               string `xml:"trim,attr"`
	AllowUnlimitedText string `xml:"allowUnlimitedText,attr"`
}

// SpecificationVersions are the versions of the NAACCR XML specification a dictionary may
// follow, oldest first.
var SpecificationVersions = []string{"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8"}

// MaxIDLength is the longest naaccrId the specification allows.
const MaxIDLength = 50

// ParseDictionary reads a NAACCR dictionary XML document and checks it against the NAACCR XML
// specification: a dictionaryUri and a known specificationVersion; for a base dictionary a
// naaccrVersion that agrees with its URI; unique, well-formed naaccrIds (a letter, then letters
// and digits, at most 50 characters); unique positive naaccrNums, in 9500-99999 for user
// dictionaries of specification 1.0-1.2; positive lengths; known data types, parent elements,
// record types, padding and trim values; allowUnlimitedText a boolean. Errors name the
// dictionary, the item and the problem.
func ParseDictionary(r io.Reader) (*Dictionary, error) {
	var x xmlDictionary
	if err := xml.NewDecoder(r).Decode(&x); err != nil {
		return nil, &clippedError{prefix: "naaccr: parse dictionary: ", err: err}
	}
	d, err := x.header()
	if err != nil {
		return nil, err
	}
	for i, xi := range x.Items {
		it, err := xi.toItemDef()
		if err == nil && !d.IsBase() {
			err = checkUserNumber(d.SpecificationVersion, it.Number)
		}
		if err != nil {
			return nil, fmt.Errorf("naaccr: dictionary %s: item %d (%q): %w", clip(d.URI), i+1, clip(xi.ID), err)
		}
		if _, dup := d.byID[it.ID]; dup {
			return nil, fmt.Errorf("naaccr: dictionary %s: duplicate naaccrId %q", clip(d.URI), it.ID)
		}
		if prev, dup := d.byNumber[it.Number]; dup {
			return nil, fmt.Errorf("naaccr: dictionary %s: naaccrNum %d used by %q and %q", clip(d.URI), it.Number, prev.ID, it.ID)
		}
		d.byID[it.ID] = it
		d.byNumber[it.Number] = it
		d.Items = append(d.Items, it)
	}
	return d, nil
}

// header checks the dictionary's own attributes and makes the Dictionary, without items.
func (x *xmlDictionary) header() (*Dictionary, error) {
	if x.XMLName.Space != Namespace {
		return nil, fmt.Errorf("naaccr: parse dictionary: namespace %q, want %q", clip(x.XMLName.Space), Namespace)
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
	if d.SpecificationVersion == "" {
		d.SpecificationVersion = "1.0" // the default of the older schemas (1.4 still had it)
	}
	if !slices.Contains(SpecificationVersions, d.SpecificationVersion) {
		return nil, fmt.Errorf("naaccr: dictionary %s: specificationVersion %q is not one of %s to %s",
			clip(d.URI), clip(x.SpecificationVersion), SpecificationVersions[0], SpecificationVersions[len(SpecificationVersions)-1])
	}
	if err := d.checkVersion(); err != nil {
		return nil, fmt.Errorf("naaccr: dictionary %s: %w", clip(d.URI), err)
	}
	return d, nil
}

func (xi xmlItemDef) toItemDef() (*ItemDef, error) {
	if err := checkID(xi.ID); err != nil {
		return nil, err
	}
	num, err := positive("naaccrNum", xi.Number)
	if err != nil {
		return nil, err
	}
	length, err := positive("length", xi.Length)
	if err != nil {
		return nil, err
	}
	dt := DataType(xi.DataType)
	switch dt {
	case "":
		dt = TypeText
	case TypeText, TypeDigits, TypeNumeric, TypeAlpha, TypeMixed, TypeDate, TypeDateTime:
	default:
		return nil, fmt.Errorf("unknown dataType %q", clip(xi.DataType))
	}
	p := Parent(xi.Parent)
	switch p {
	case ParentRoot, ParentPatient, ParentTumor:
	default:
		return nil, fmt.Errorf("unknown parentXmlElement %q", clip(xi.Parent))
	}
	rts, err := recordTypes(xi.RecordTypes)
	if err != nil {
		return nil, err
	}
	padding, trim, err := paddingAndTrim(xi.Padding, xi.Trim)
	if err != nil {
		return nil, err
	}
	unlimited, err := boolAttr("allowUnlimitedText", xi.AllowUnlimitedText)
	if err != nil {
		return nil, err
	}
	return &ItemDef{
		ID: xi.ID, Number: num, Name: xi.Name, Length: length,
		RecordTypes: rts, Parent: p, DataType: dt, Padding: padding, Trim: trim,
		AllowUnlimitedText: unlimited,
	}, nil
}

// checkID says whether id is a well-formed naaccrId: an ASCII letter, then letters and digits,
// at most MaxIDLength characters.
func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("missing naaccrId")
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("naaccrId %q has %d characters, at most %d are allowed", clip(id), len(id), MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return fmt.Errorf("naaccrId %q must be a letter followed by letters and digits", clip(id))
		}
	}
	return nil
}

// positive parses a required attribute that must be a positive integer.
func positive(name, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive number, got %q", name, clip(s))
	}
	return n, nil
}

func recordTypes(s string) ([]string, error) {
	var rts []string
	for _, rt := range strings.Split(s, ",") {
		rt = strings.TrimSpace(rt)
		switch rt {
		case "A", "M", "C", "I":
			rts = append(rts, rt)
		case "":
		default:
			return nil, fmt.Errorf("unknown record type %q", clip(rt))
		}
	}
	return rts, nil
}

// paddingAndTrim checks the padding and trim attributes. Padding "none" (the default of
// specification 1.8) is kept as empty; trim defaults to "all".
func paddingAndTrim(padding, trim string) (string, string, error) {
	switch padding {
	case "none":
		padding = ""
	case "", "rightBlank", "leftBlank", "rightZero", "leftZero":
	default:
		return "", "", fmt.Errorf("unknown padding %q (want rightBlank, leftBlank, rightZero, leftZero or none)", clip(padding))
	}
	switch trim {
	case "":
		trim = "all"
	case "all", "none":
	default:
		return "", "", fmt.Errorf("unknown trim %q (want all or none)", clip(trim))
	}
	return padding, trim, nil
}

// boolAttr parses an optional xsd:boolean attribute.
func boolAttr(name, s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, fmt.Errorf("%s must be true or false, got %q", name, clip(s))
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
	d, err := ParseDictionary(f)
	if err != nil {
		return nil, err
	}
	if !d.IsBase() || d.NaaccrVersion != version {
		return nil, fmt.Errorf("naaccr: base dictionary %s: file holds %s (naaccrVersion %q)", version, d.URI, d.NaaccrVersion)
	}
	return d, nil
}
