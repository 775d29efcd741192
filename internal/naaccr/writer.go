package naaccr

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Header is what a file says before its first Patient.
type Header struct {
	RecordType        string    // "A", "M", "C" or "I"
	TimeGenerated     time.Time // written as RFC3339 in timeGenerated; zero => attribute omitted (keeps output deterministic)
	UserDictionaryURI string    // optional; written as given when UserDictionaries is empty
	// UserDictionaries are written in userDictionaryUri, and their items may be written.
	UserDictionaries []*Dictionary
	RootItems        map[string]string // items with parentXmlElement NaaccrData, e.g. registryId
	// OnlyRecordType leaves out, without an error, the items that are not part of RecordType
	// (an I, C or M file carries only its record type's items); otherwise every item is written.
	OnlyRecordType bool
	// Namespaces are declared on NaaccrData, and Attributes (in those namespaces) written on it:
	// the extensions of a file read (FileInfo.Namespaces and Attributes), carried over.
	Namespaces []NamespaceDecl
	Attributes []Attribute
	// Extensions are written after the root items; each must be one well-formed element of a
	// namespace other than NAACCR's, needing no declarations but Namespaces (as the reader keeps
	// them). Patient.Extensions and Tumor.Extensions are checked likewise.
	Extensions []Extension
}

// Writer streams a NAACCR XML 1.8 data file: NewWriter writes the root element and its items,
// WritePatient one Patient at a time, Close the end of the root element.
//
// Items are written in dictionary order, one element per line, indented by four spaces per
// level; items with an empty value are left out. The same input always gives the same bytes.
// A patient with an item the dictionary does not know, an item at the wrong level, a value
// longer than the item's length (counted in characters) or a value with control characters is
// rejected with an error naming the item, and nothing of it is written: the file stays well
// formed and the caller may go on with the next patient. Data types are not checked here; that
// is the edits' business.
//
// The Writer writes UTF-8 and does no compression: for a .xml.gz file, wrap the destination in a
// gzip.Writer and close it after the Writer. A Writer is not safe for concurrent use.
type Writer struct {
	bw   *bufio.Writer
	dict *Dictionary

	// levels maps a naaccrId to its level and its position among that level's items.
	levels map[string]itemSlot
	// patientItems and tumorItems are the items of a level in dictionary order; patientVals and
	// tumorVals are scratch slots, by the same position, that put a record's values in order.
	patientItems, tumorItems []*ItemDef
	patientVals, tumorVals   []string

	buf        []byte          // the patient being built, reused
	namespaces []NamespaceDecl // declared on the root, for checking extensions
	patients   int             // patients written or rejected so far, for error messages
	// items counts the Item elements written; inPatient those of the patient being built.
	items, inPatient int64
	err              error // sticky write error
	closed           bool
}

type itemSlot struct {
	def  *ItemDef
	pos  int  // index in the level's item list
	skip bool // not of the file's record type (Header.OnlyRecordType): left out
}

// Indentation of the elements at each depth.
const (
	indent1 = "    "
	indent2 = "        "
	indent3 = "            "
)

// NewWriter writes the XML declaration and the NaaccrData start element with its attributes and
// root-level items (h.RootItems) to w, and returns a Writer for the patients. Output is buffered:
// nothing is guaranteed to reach w before Close.
func NewWriter(w io.Writer, dict *Dictionary, h Header) (*Writer, error) {
	if dict == nil {
		return nil, errors.New("naaccr: new writer: no dictionary")
	}
	switch h.RecordType {
	case "A", "M", "C", "I":
	default:
		return nil, fmt.Errorf("naaccr: new writer: record type %q, want A, M, C or I", clip(h.RecordType))
	}
	schema, err := NewSchema(dict, h.UserDictionaries...)
	if err != nil {
		return nil, fmt.Errorf("naaccr: new writer: %w", err)
	}
	if len(h.UserDictionaries) > 0 {
		uris := make([]string, len(h.UserDictionaries))
		for i, u := range h.UserDictionaries {
			uris[i] = u.URI
		}
		h.UserDictionaryURI = strings.Join(uris, " ")
	}
	if err := checkRootExtensions(h); err != nil {
		return nil, fmt.Errorf("naaccr: new writer: %w", err)
	}
	wr := &Writer{
		bw:         bufio.NewWriterSize(w, 64<<10),
		dict:       dict,
		levels:     make(map[string]itemSlot, len(schema.Items())),
		namespaces: h.Namespaces,
	}
	var rootItems []*ItemDef
	for _, it := range schema.Items() {
		if h.OnlyRecordType && !it.InRecordType(h.RecordType) {
			wr.levels[it.ID] = itemSlot{def: it, skip: true}
			continue
		}
		switch it.Parent {
		case ParentRoot:
			wr.levels[it.ID] = itemSlot{def: it, pos: len(rootItems)}
			rootItems = append(rootItems, it)
		case ParentPatient:
			wr.levels[it.ID] = itemSlot{def: it, pos: len(wr.patientItems)}
			wr.patientItems = append(wr.patientItems, it)
		case ParentTumor:
			wr.levels[it.ID] = itemSlot{def: it, pos: len(wr.tumorItems)}
			wr.tumorItems = append(wr.tumorItems, it)
		}
	}
	wr.patientVals = make([]string, len(wr.patientItems))
	wr.tumorVals = make([]string, len(wr.tumorItems))

	b := make([]byte, 0, 4096)
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<NaaccrData xmlns="`+Namespace+`" baseDictionaryUri="`...)
	b = appendEscaped(b, dict.URI, true)
	b = append(b, `" recordType="`...)
	b = append(b, h.RecordType...)
	b = append(b, `" specificationVersion="`...)
	b = appendEscaped(b, dict.SpecificationVersion, true)
	b = append(b, '"')
	if !h.TimeGenerated.IsZero() {
		b = append(b, ` timeGenerated="`...)
		b = h.TimeGenerated.AppendFormat(b, time.RFC3339)
		b = append(b, '"')
	}
	if h.UserDictionaryURI != "" {
		b = append(b, ` userDictionaryUri="`...)
		b = appendEscaped(b, h.UserDictionaryURI, true)
		b = append(b, '"')
	}
	for _, ns := range h.Namespaces {
		b = append(b, ` xmlns:`...)
		b = append(b, ns.Prefix...)
		b = append(b, `="`...)
		b = appendEscaped(b, ns.URI, true)
		b = append(b, '"')
	}
	for _, a := range h.Attributes {
		b = append(b, ' ')
		b = append(b, a.Prefix...)
		b = append(b, ':')
		b = append(b, a.Local...)
		b = append(b, `="`...)
		b = appendEscaped(b, a.Value, true)
		b = append(b, '"')
	}
	b = append(b, ">\n"...)
	rootVals := make([]string, len(rootItems))
	b, err = wr.appendItems(b, h.RootItems, ParentRoot, rootItems, rootVals, indent1)
	if err != nil {
		return nil, fmt.Errorf("naaccr: new writer: root items: %w", err)
	}
	if b, err = wr.appendExtensions(b, h.Extensions, indent1); err != nil {
		return nil, fmt.Errorf("naaccr: new writer: root: %w", err)
	}
	if _, err := wr.bw.Write(b); err != nil {
		return nil, fmt.Errorf("naaccr: new writer: %w", err)
	}
	wr.buf = b[:0]
	return wr, nil
}

// ItemsWritten is the number of Item elements of the patients written so far (a rejected patient's
// count for nothing).
func (w *Writer) ItemsWritten() int64 { return w.items }

// WritePatient writes one Patient element with its items, then each of its Tumor elements with
// theirs. A patient with a bad item is not written at all; the error names the patient (its
// 1-based position among the patients given to this Writer, and its patientIdNumber if it has
// one), the tumor (1-based) if the item is a tumor's, and the item.
func (w *Writer) WritePatient(p *Patient) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("naaccr: write patient: writer is closed")
	}
	w.patients++
	if p == nil {
		return fmt.Errorf("naaccr: write patient %d: nil patient", w.patients)
	}
	w.inPatient = 0
	b := append(w.buf[:0], indent1+"<Patient>\n"...)
	b, err := w.appendItems(b, p.Items, ParentPatient, w.patientItems, w.patientVals, indent2)
	if err == nil {
		b, err = w.appendExtensions(b, p.Extensions, indent2)
	}
	if err != nil {
		return w.patientError(p, 0, err)
	}
	for i := range p.Tumors {
		b = append(b, indent2+"<Tumor>\n"...)
		b, err = w.appendItems(b, p.Tumors[i].Items, ParentTumor, w.tumorItems, w.tumorVals, indent3)
		if err == nil {
			b, err = w.appendExtensions(b, p.Tumors[i].Extensions, indent3)
		}
		if err != nil {
			return w.patientError(p, i+1, err)
		}
		b = append(b, indent2+"</Tumor>\n"...)
	}
	b = append(b, indent1+"</Patient>\n"...)
	w.buf = b
	if _, err := w.bw.Write(b); err != nil {
		w.err = fmt.Errorf("naaccr: write patient %d: %w", w.patients, err)
		return w.err
	}
	w.items += w.inPatient
	return nil
}

func (w *Writer) patientError(p *Patient, tumor int, err error) error {
	who := fmt.Sprintf("patient %d", w.patients)
	if id := p.Items["patientIdNumber"]; id != "" {
		who += fmt.Sprintf(" (patientIdNumber %q)", clip(id))
	}
	if tumor > 0 {
		who += fmt.Sprintf(", tumor %d", tumor)
	}
	return fmt.Errorf("naaccr: write %s: %w", who, err)
}

// Close writes the end of the NaaccrData element and flushes the buffer. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.closed || w.err != nil {
		return w.err
	}
	w.closed = true
	if _, err := w.bw.WriteString("</NaaccrData>\n"); err != nil {
		w.err = fmt.Errorf("naaccr: close writer: %w", err)
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("naaccr: close writer: %w", err)
		return w.err
	}
	return nil
}

// appendItems appends the non-empty items of one record, at level lvl, in dictionary order. The
// values are first put in vals (by position in defs, so no sorting is needed), then appended and
// the slots cleared again. Errors are deterministic: a stray item is reported by the smallest
// naaccrId, a bad value by the first item in dictionary order.
func (w *Writer) appendItems(b []byte, items map[string]string, lvl Parent, defs []*ItemDef, vals []string, ind string) ([]byte, error) {
	if len(items) == 0 {
		return b, nil
	}
	var stray []string
	for id, v := range items {
		s, ok := w.levels[id]
		if !ok || s.def.Parent != lvl {
			stray = append(stray, id)
			continue
		}
		if s.skip {
			continue
		}
		vals[s.pos] = v
	}
	if stray != nil {
		clear(vals)
		slices.Sort(stray)
		id := stray[0]
		if s, ok := w.levels[id]; ok {
			return b, fmt.Errorf("item %q belongs to %s, not %s", id, s.def.Parent, lvl)
		}
		return b, fmt.Errorf("item %q is not in dictionary %s", clip(id), w.dict.URI)
	}
	for i, v := range vals {
		if v == "" {
			continue
		}
		vals[i] = ""
		def := defs[i]
		if err := checkValue(def, v); err != nil {
			clear(vals)
			return b, fmt.Errorf("item %q: %w", def.ID, err)
		}
		w.inPatient++
		b = append(b, ind...)
		b = append(b, `<Item naaccrId="`...)
		b = append(b, def.ID...)
		b = append(b, `">`...)
		b = appendEscaped(b, v, false)
		b = append(b, "</Item>\n"...)
	}
	return b, nil
}

// appendExtensions appends extension elements, each on a line of its own, after checking that
// it is one well-formed element of another namespace.
func (w *Writer) appendExtensions(b []byte, exts []Extension, ind string) ([]byte, error) {
	for i, e := range exts {
		if err := checkExtension(e.XML, w.namespaces); err != nil {
			return b, fmt.Errorf("extension %d: %w", i+1, err)
		}
		b = append(b, ind...)
		b = append(b, e.XML...)
		b = append(b, '\n')
	}
	return b, nil
}

// checkExtension checks that x is one element, in a namespace of its own, that is well formed
// within a root element declaring the NAACCR namespace as the default and ns.
func checkExtension(x string, ns []NamespaceDecl) error {
	var doc strings.Builder
	doc.WriteString(`<NaaccrData xmlns="` + Namespace + `"`)
	for _, d := range ns {
		doc.WriteString(` xmlns:` + d.Prefix + `="`)
		doc.Write(appendEscaped(nil, d.URI, true))
		doc.WriteString(`"`)
	}
	doc.WriteString(">")
	doc.WriteString(x)
	doc.WriteString("</NaaccrData>")
	sc := newXMLScanner(strings.NewReader(doc.String()))
	elements := 0
	for {
		if err := sc.next(); err != nil {
			var xe *xmlError
			if errors.As(err, &xe) {
				return errors.New(xe.msg)
			}
			return err
		}
		switch {
		case sc.kind == tokEOF:
			if elements != 1 {
				return fmt.Errorf("it holds %d elements, not one", elements)
			}
			return nil
		case sc.kind == tokStart && len(sc.open) == 2:
			elements++
			if sc.space == Namespace || sc.space == "" {
				return fmt.Errorf("element <%s> is not in a namespace of its own", clipBytes(sc.openName(1)))
			}
		case sc.kind == tokText && len(sc.open) == 1:
			if len(trimSpace(sc.text)) > 0 {
				return errors.New("text outside its element")
			}
		}
	}
}

// checkRootExtensions checks the root's namespace declarations and attributes: prefixes that
// are names of their own, declared once, and attributes in declared namespaces other than NAACCR's.
func checkRootExtensions(h Header) error {
	uris := map[string]string{}
	for _, d := range h.Namespaces {
		if !isName([]byte(d.Prefix)) || strings.Contains(d.Prefix, ":") || equalFoldASCII(d.Prefix[:min(3, len(d.Prefix))], "xml") {
			return fmt.Errorf("namespace prefix %q cannot be declared", clip(d.Prefix))
		}
		if _, dup := uris[d.Prefix]; dup || d.URI == "" {
			return fmt.Errorf("namespace prefix %q is declared twice or with an empty URI", clip(d.Prefix))
		}
		uris[d.Prefix] = d.URI
	}
	seen := map[string]bool{}
	for _, a := range h.Attributes {
		uri, ok := uris[a.Prefix]
		switch {
		case !ok:
			return fmt.Errorf("root attribute %s:%s: namespace prefix not declared", clip(a.Prefix), clip(a.Local))
		case uri == Namespace:
			return fmt.Errorf("root attribute %s:%s is in the NAACCR namespace", clip(a.Prefix), clip(a.Local))
		case !isName([]byte(a.Local)) || strings.Contains(a.Local, ":"):
			return fmt.Errorf("root attribute name %q is not an XML name", clip(a.Local))
		case seen[uri+" "+a.Local]:
			return fmt.Errorf("root attribute %s:%s is given twice", clip(a.Prefix), clip(a.Local))
		case !isXMLText(a.Value):
			return fmt.Errorf("root attribute %s:%s: a character XML does not allow, or invalid UTF-8", clip(a.Prefix), clip(a.Local))
		}
		seen[uri+" "+a.Local] = true
	}
	return nil
}

// isXMLText reports whether s is UTF-8 made of characters XML allows (all that a reader can have
// read from an attribute).
func isXMLText(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !isXMLChar(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// checkValue checks what the writer guarantees of a value: no control characters, and no more
// characters than the item's length.
func checkValue(def *ItemDef, v string) error {
	if HasControlChars(v) {
		return errors.New("control characters or invalid UTF-8 are not allowed")
	}
	if len(v) > def.Length && !def.AllowUnlimitedText { // bytes ≥ runes: only then count runes
		if n := utf8.RuneCountInString(v); n > def.Length {
			return fmt.Errorf("value has %d characters, the item's length is %d", n, def.Length)
		}
	}
	return nil
}

// appendEscaped appends s escaped for XML character data, or for a double-quoted attribute value
// if attr. Carriage returns are always written as character references so that XML's line-end
// normalisation does not change the value; in attributes so are tabs and line feeds.
func appendEscaped(b []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\n':
			if !attr {
				continue
			}
			esc = "&#xA;"
		case '\t':
			if !attr {
				continue
			}
			esc = "&#x9;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}
