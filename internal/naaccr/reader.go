package naaccr

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/excerpt"
)

// ReaderOptions set up a Reader.
type ReaderOptions struct {
	// Registry resolves the file's baseDictionaryUri and userDictionaryUri. Required.
	Registry *Registry
	// Relaxed accepts what the specification calls recoverable: elements without the NAACCR
	// namespace, and root attributes that are not in a namespace of their own.
	Relaxed bool
	// LoadUserDictionary, when set, is asked for a user dictionary the file names and the
	// registry does not have (for example a file:// URI beside the file). It returns nil, nil
	// when it cannot find one; the dictionary's items are then reported as unknown.
	LoadUserDictionary func(uri string) (*Dictionary, error)
	// KeepExtensions keeps the elements of other namespaces (FileInfo.Extensions,
	// Patient.Extensions, Tumor.Extensions) instead of skipping them, for a conversion to carry
	// them over. One larger than MaxExtensionBytes is skipped and counted in FileInfo.NotKept.
	KeepExtensions bool
	// CheckOnly checks every item as a read that keeps them does, but keeps no value:
	// Patient.Items and Tumor.Items stay empty (the tumors are there, for counting). A value that
	// is only checked is never copied out of the read buffer.
	CheckOnly bool
	// Workers, when more than 1, parses patients on that many goroutines besides the one that
	// splits the file, and Next hands them out in file order, with the same problems, positions
	// and errors (reader_parallel.go). Call Close when the file is not read to the end. Not with
	// KeepExtensions (which gathers what it keeps as the file is read): such a reader reads on
	// the caller's goroutine.
	Workers int
}

// MaxExtensionBytes is the largest extension element a reader keeps: an extension is held in
// memory whole, with its patient.
const MaxExtensionBytes = 1 << 20

// FileInfo is what a file says before its first Patient.
type FileInfo struct {
	BaseDictionaryURI    string
	UserDictionaryURIs   []string
	RecordType           string
	SpecificationVersion string
	TimeGenerated        string
	RootItems            map[string]string
	// MissingUserDictionaries are user dictionaries the file names that are not loaded.
	MissingUserDictionaries []string
	Schema                  *Schema
	// Namespaces are the prefixed namespace declarations of the NaaccrData element, and
	// Attributes its attributes in namespaces of their own, in the file's order.
	Namespaces []NamespaceDecl
	Attributes []Attribute
	// Extensions are the elements of other namespaces among the root items, kept with
	// ReaderOptions.KeepExtensions.
	Extensions []Extension
	// NotKept counts, by description, what the reader read past and does not hand on: root
	// attributes that a relaxed read ignores and, with KeepExtensions, extensions it could not
	// keep. It grows while the file is read; it is complete after the last patient.
	NotKept map[string]int
}

// Problem is one thing wrong in a file, with where it is. Line and Column are 1-based (columns
// count bytes); Patient and Tumor are 1-based indexes, 0 outside a patient or tumor.
type Problem struct {
	Line, Column int
	Patient      int
	Tumor        int
	Item         string
	Value        string
	Message      string
	// Code says what kind of problem it is, for programs (one of the Problem* constants; empty
	// for structural errors).
	Code string
}

// The kinds of data problems.
const (
	ProblemUnknownItem   = "unknownItem"
	ProblemWrongLevel    = "wrongLevel"
	ProblemDuplicate     = "duplicateItem"
	ProblemTooLong       = "tooLong"
	ProblemDataType      = "dataType"
	ProblemPadding       = "padding"
	ProblemNaaccrNum     = "naaccrNum"
	ProblemTimeGenerated = "timeGenerated"
	// ProblemRecordType is an item that the file's record type does not carry (a name in an
	// incidence file).
	ProblemRecordType = "recordType"
	// ProblemOtherVersion is an item the file's base dictionary does not have and another NAACCR
	// version does: added after it, or retired before it.
	ProblemOtherVersion = "otherVersion"
)

// recordTypeNames say what each record type is, for messages.
var recordTypeNames = map[string]string{
	"A": "full case abstract", "M": "modified", "C": "confidential", "I": "incidence",
}

func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d, column %d", p.Line, p.Column)
	if p.Patient > 0 {
		fmt.Fprintf(&b, ", patient %d", p.Patient)
	}
	if p.Tumor > 0 {
		fmt.Fprintf(&b, ", tumor %d", p.Tumor)
	}
	if p.Item != "" {
		fmt.Fprintf(&b, ", item %s", p.Item)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// Reader streams a NAACCR XML file one Patient at a time. Structural errors (not XML, not NAACCR
// XML, unknown base dictionary, misplaced elements) stop it: Next returns them as a *Problem.
// Data errors (unknown items, items at the wrong level, duplicates, values too long or of the
// wrong type) do not: they are collected per patient and returned by Problems, so one bad value
// does not hide the rest of the file.
type Reader struct {
	sc       *xmlScanner
	opt      ReaderOptions
	info     FileInfo
	schema   *Schema
	problems []Problem
	patients int
	pending  bool // a Patient start tag has been read and not yet parsed
	done     bool
	err      error
	value    []byte  // an Item's text, gathered across text tokens
	seen     itemSet // items of the current record (root, patient or tumor), by schema position
	// patientSeen keeps the patient's items while one of its tumors is read.
	patientSeen []uint64
	level       Parent
	tumor       int
	rtBit       uint8 // the file's record type, as a schemaItem.types bit
	// par is set when patients are parsed on several goroutines (reader_parallel.go).
	par *parallelReader
	// noFastPath makes every element go through the scanner's tokens (tests compare the paths);
	// plainItems counts the items the fast path read.
	noFastPath bool
	plainItems int
}

// NewReader reads the file's header up to its first Patient. Gzip input is recognised by its
// magic bytes and decompressed on the fly.
func NewReader(r io.Reader, opt ReaderOptions) (*Reader, error) {
	return newReader(r, opt, false)
}

func newReader(r io.Reader, opt ReaderOptions, noFastPath bool) (*Reader, error) {
	if opt.Registry == nil {
		return nil, errors.New("naaccr: NewReader: no dictionary registry")
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Problem{Line: 1, Column: 1, Message: "the file looks gzip-compressed but cannot be decompressed: " + err.Error()}
		}
		r = zr
	} else {
		r = br
	}
	rd := &Reader{sc: newXMLScanner(r), opt: opt, noFastPath: noFastPath}
	rd.sc.unboundOK = opt.Relaxed
	if err := rd.header(); err != nil {
		return nil, err
	}
	if parallelOK(opt) && !rd.done {
		rd.startParallel(opt.Workers)
	}
	return rd, nil
}

// Info returns the file's header.
func (r *Reader) Info() *FileInfo { return &r.info }

// Problems returns the data problems of the patient read by the last call to Next (after
// NewReader: those of the header and root items). The slice is reused by the next call.
func (r *Reader) Problems() []Problem { return r.problems }

// Next reads the next patient into p, reusing p's maps: copy what must outlive the next call.
// It returns io.EOF after the last patient.
func (r *Reader) Next(p *Patient) error {
	r.problems = r.problems[:0]
	if r.err != nil {
		return r.err
	}
	if r.done {
		return io.EOF
	}
	if r.par != nil {
		return r.nextParallel(p)
	}
	if !r.pending {
		if err := r.seekPatient(); err != nil {
			return r.fail(err)
		}
		if r.done {
			return io.EOF
		}
	}
	r.pending = false
	r.patients++
	if err := r.patient(p); err != nil {
		return r.fail(err)
	}
	return nil
}

// fail makes an error sticky and gives it a position.
func (r *Reader) fail(err error) error {
	var xe *xmlError
	var pr *Problem
	switch {
	case errors.As(err, &pr):
	case errors.As(err, &xe):
		pr = &Problem{Line: xe.line, Column: xe.col, Message: xe.msg}
	default:
		line, col := r.sc.position(r.sc.pos)
		pr = &Problem{Line: line, Column: col, Message: err.Error()}
	}
	if pr.Patient == 0 && r.level != ParentRoot && r.level != "" {
		pr.Patient = r.patients
		if r.level == ParentTumor {
			pr.Tumor = r.tumor
		}
	}
	r.err = pr
	return pr
}

// structural returns a structural error at the current token.
func (r *Reader) structural(format string, args ...any) error {
	line, col := r.sc.position(r.sc.tokOffset)
	pr := &Problem{Line: line, Column: col, Message: fmt.Sprintf(format, args...)}
	if r.level == ParentPatient || r.level == ParentTumor {
		pr.Patient = r.patients
	}
	if r.level == ParentTumor {
		pr.Tumor = r.tumor
	}
	return pr
}

// isNAACCR reports whether the current element is in the NAACCR namespace (or, relaxed, in none).
func (r *Reader) isNAACCR() bool {
	return r.sc.space == Namespace || (r.opt.Relaxed && r.sc.space == "")
}

// elementName is the current element's name as written, clipped, for messages.
func (r *Reader) elementName() string { return clipBytes(r.sc.local) }

func (r *Reader) header() error {
	sc := r.sc
	if err := sc.next(); err != nil {
		return r.fail(err)
	}
	if sc.kind != tokStart {
		return r.fail(r.structural("the file has no root element"))
	}
	if string(sc.local) != "NaaccrData" {
		return r.fail(r.structural("the root element is <%s>; a NAACCR XML file starts with <NaaccrData>", clipBytes(sc.local)))
	}
	if sc.space != Namespace {
		if !r.opt.Relaxed {
			if sc.space == "" {
				return r.fail(r.structural("<NaaccrData> is not in the NAACCR namespace: add xmlns=\"%s\" (a relaxed read accepts this)", Namespace))
			}
			return r.fail(r.structural("<NaaccrData> is in namespace %q, not %q", clip(sc.space), Namespace))
		}
		if sc.space != "" {
			return r.fail(r.structural("<NaaccrData> is in namespace %q, not %q", clip(sc.space), Namespace))
		}
	}
	r.level = ParentRoot
	var haveBase, haveRT, haveSpec bool
	for _, a := range sc.attrs {
		switch {
		case string(a.prefix) == "xmlns":
			if string(a.local) != "xml" { // built in, never to be declared again
				r.info.Namespaces = append(r.info.Namespaces, NamespaceDecl{Prefix: string(a.local), URI: string(a.value)})
			}
		case len(a.prefix) == 0 && string(a.local) == "xmlns":
			// The default namespace: NAACCR's, or relaxed none.
		case len(a.prefix) > 0 && a.bound && a.space != Namespace:
			// An attribute in a namespace of its own: an extension the specification allows.
			r.info.Attributes = append(r.info.Attributes, Attribute{Prefix: string(a.prefix), Local: string(a.local), Value: string(a.value)})
		case len(a.prefix) > 0 && !a.bound:
			if !r.opt.Relaxed {
				return r.fail(r.structural("root attribute %s:%s uses an undeclared namespace prefix (a relaxed read ignores it)", clipBytes(a.prefix), clipBytes(a.local)))
			}
			r.notKept(fmt.Sprintf("root attribute %s:%s (its namespace prefix is not declared)", clipBytes(a.prefix), clipBytes(a.local)))
		default:
			v := string(a.value)
			switch string(a.local) {
			case "baseDictionaryUri":
				r.info.BaseDictionaryURI, haveBase = v, true
			case "userDictionaryUri":
				r.info.UserDictionaryURIs = strings.Fields(v)
			case "recordType":
				r.info.RecordType, haveRT = v, true
			case "specificationVersion":
				r.info.SpecificationVersion, haveSpec = v, true
			case "timeGenerated":
				r.info.TimeGenerated = v
			default:
				if !r.opt.Relaxed {
					return r.fail(r.structural("root attribute %q is not part of NAACCR XML; a user attribute needs a namespace of its own (a relaxed read ignores it)", clipBytes(a.local)))
				}
				r.notKept(fmt.Sprintf("root attribute %s (it has no namespace)", clipBytes(a.local)))
			}
		}
	}
	switch {
	case !haveBase:
		return r.fail(r.structural("<NaaccrData> lacks the required attribute baseDictionaryUri"))
	case !haveRT:
		return r.fail(r.structural("<NaaccrData> lacks the required attribute recordType"))
	case !haveSpec:
		return r.fail(r.structural("<NaaccrData> lacks the required attribute specificationVersion"))
	}
	switch r.info.RecordType {
	case "A", "M", "C", "I":
	default:
		return r.fail(r.structural("recordType %q is not one of A, M, C, I", clip(r.info.RecordType)))
	}
	if !knownSpecVersion(r.info.SpecificationVersion) {
		return r.fail(r.structural("specificationVersion %q is not a NAACCR XML specification version (1.0 to 1.8)", clip(r.info.SpecificationVersion)))
	}
	// Versions are "1.0" to "1.8": string order is version order.
	if n := len(r.info.UserDictionaryURIs); n > 1 && r.info.SpecificationVersion < "1.2" {
		return r.fail(r.structural("userDictionaryUri names %d user dictionaries; specification %s allows one (several, separated by spaces, are allowed from specification 1.2)", n, r.info.SpecificationVersion))
	}
	r.rtBit = recordTypeBit(r.info.RecordType)
	base, ok := r.opt.Registry.Lookup(r.info.BaseDictionaryURI)
	if !ok {
		return r.fail(r.structural("base dictionary %q is not supported (cara reads NAACCR versions %s)", clip(r.info.BaseDictionaryURI), strings.Join(BaseVersions, ", ")))
	}
	var users []*Dictionary
	for _, u := range r.info.UserDictionaryURIs {
		d, ok := r.opt.Registry.Lookup(u)
		if !ok && r.opt.LoadUserDictionary != nil {
			loaded, err := r.opt.LoadUserDictionary(u)
			if err != nil {
				return r.fail(r.structural("user dictionary %q: %s", clip(u), clipN(err.Error(), maxQuotedMessage)))
			}
			if loaded != nil {
				if loaded.URI != u {
					return r.fail(r.structural("user dictionary %q declares dictionaryUri %q", clip(u), clip(loaded.URI)))
				}
				d, ok = loaded, true
			}
		}
		switch {
		case !ok:
			// Not an error in itself: items of that dictionary are reported as unknown.
			r.info.MissingUserDictionaries = append(r.info.MissingUserDictionaries, u)
		case d != base:
			users = append(users, d)
		}
	}
	schema, err := NewSchema(base, users...)
	if err != nil {
		return r.fail(r.structural("%s", clipN(err.Error(), maxQuotedMessage)))
	}
	r.schema, r.info.Schema = schema, schema
	if r.info.TimeGenerated != "" && !IsDateTime(r.info.TimeGenerated) {
		r.dataProblem(ProblemTimeGenerated, "", clip(r.info.TimeGenerated), "timeGenerated is not an xsd:dateTime such as 2026-03-15T10:20:30Z (two-digit hours, minutes and seconds; fractions and a time zone optional)")
	}
	r.info.RootItems = map[string]string{}
	r.seen.reset(len(schema.order))
	if r.sc.pendingEnd {
		// <NaaccrData .../>: no items, no patients.
		if err := sc.next(); err != nil {
			return r.fail(err)
		}
		return r.finish()
	}
	if err := r.seekPatient(); err != nil {
		return r.fail(err)
	}
	return nil
}

func knownSpecVersion(v string) bool {
	switch v {
	case "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8":
		return true
	}
	return false
}

// seekPatient reads root-level content up to the next Patient start tag (pending) or the end
// of the root element (done). Root items are allowed only before the first patient.
func (r *Reader) seekPatient() error {
	sc := r.sc
	r.level = ParentRoot
	for {
		if r.patients == 0 && r.tryPlainItem(r.info.RootItems, ParentRoot) {
			continue
		}
		if err := sc.next(); err != nil {
			return err
		}
		switch sc.kind {
		case tokText:
			if err := r.onlySpace(); err != nil {
				return err
			}
		case tokEnd:
			return r.finish()
		case tokStart:
			if !r.isNAACCR() {
				if err := r.extension(&r.info.Extensions); err != nil {
					return err
				}
				continue
			}
			switch string(sc.local) {
			case "Patient":
				if err := r.noAttributes(); err != nil {
					return err
				}
				r.pending = true
				return nil
			case "Item":
				if r.patients > 0 {
					return r.structural("a root-level <Item> after a <Patient>; root items come first")
				}
				if err := r.item(r.info.RootItems, ParentRoot); err != nil {
					return err
				}
			default:
				return r.structural("unexpected element <%s> in <NaaccrData> (expected Item or Patient; an extension needs a namespace of its own)", r.elementName())
			}
		}
	}
}

// finish reads past the root's end tag to the end of the file.
func (r *Reader) finish() error {
	if err := r.sc.next(); err != nil {
		return err
	}
	if r.sc.kind != tokEOF {
		return r.structural("content after </NaaccrData>")
	}
	r.done = true
	return nil
}

// extension skips an element in another namespace, or with KeepExtensions appends it to keep.
// Elements without a namespace are not extensions: the specification requires extensions to be
// in a namespace of their own.
func (r *Reader) extension(keep *[]Extension) error {
	sc := r.sc
	if sc.space == "" {
		return r.structural("element <%s> has no namespace; an extension needs a namespace of its own", r.elementName())
	}
	if !r.opt.KeepExtensions {
		if sc.pendingEnd {
			return sc.next()
		}
		return sc.skipElement()
	}
	// The element is kept as written, from its start tag (marked, so that the buffer keeps it)
	// to its end tag, with the namespace declarations it takes from its Patient or Tumor.
	name := clipBytes(sc.openName(len(sc.open) - 1))
	decls := r.inheritedNamespaces()
	qlen := len(sc.openName(len(sc.open) - 1))
	sc.mark = sc.tokOffset
	defer func() { sc.mark = -1 }()
	why := ""
	if sc.unbound {
		why = "it uses an undeclared namespace prefix"
	}
	if !sc.pendingEnd {
		depth := len(sc.open)
		for {
			if err := sc.next(); err != nil {
				return err
			}
			if sc.kind == tokEOF {
				return sc.errAt(sc.pos, "unexpected end of file")
			}
			if sc.unbound && why == "" {
				why = "it uses an undeclared namespace prefix"
			}
			if why == "" && sc.mark >= 0 && sc.pos-sc.mark > MaxExtensionBytes {
				why = fmt.Sprintf("it is larger than %d bytes", MaxExtensionBytes)
				sc.mark = -1 // let the buffer go
			}
			if sc.kind == tokEnd && len(sc.open) < depth {
				break
			}
		}
	}
	if why == "" {
		raw := sc.buf[sc.mark:sc.pos]
		var b []byte
		b = append(b, raw[:1+qlen]...)
		b = append(b, decls...)
		b = append(b, raw[1+qlen:]...)
		*keep = append(*keep, Extension{XML: string(b)})
	} else {
		r.notKept(fmt.Sprintf("extension element <%s> in <%s>: %s", name, r.level, why))
	}
	if sc.pendingEnd {
		return sc.next()
	}
	return nil
}

// inheritedNamespaces returns the namespace declarations, as attributes to add to the start tag
// of the current element, that it takes from its ancestors and that a file written by Writer
// (with the default namespace NAACCR's and the prefixes of FileInfo.Namespaces on its root)
// would not give it: those of a Patient or Tumor, and a default namespace other than NAACCR's.
func (r *Reader) inheritedNamespaces() []byte {
	sc := r.sc
	top := sc.open[len(sc.open)-1]
	root := sc.open[0]
	end := len(sc.bindings)
	if len(sc.open) > 1 {
		end = sc.open[1].bindings // the root's declarations end where its child's begin
	}
	// What the written root declares.
	written := map[string]string{"": Namespace, "xml": xmlNamespaceURI}
	for _, b := range sc.bindings[root.bindings:end] {
		if b.prefix != "" {
			written[b.prefix] = b.uri
		}
	}
	// What the element inherits: the last declaration of each prefix before its own.
	inherited := map[string]string{}
	var order []string
	for _, b := range sc.bindings[:top.bindings] {
		if _, seen := inherited[b.prefix]; !seen {
			order = append(order, b.prefix)
		}
		inherited[b.prefix] = b.uri
	}
	if _, ok := inherited[""]; !ok {
		inherited[""], order = "", append(order, "")
	}
	own := map[string]bool{}
	for _, b := range sc.bindings[top.bindings:] {
		own[b.prefix] = true
	}
	var out []byte
	for _, p := range order {
		uri := inherited[p]
		if own[p] || written[p] == uri {
			continue
		}
		if p == "" {
			out = append(out, ` xmlns="`...)
		} else {
			out = append(out, ` xmlns:`...)
			out = append(out, p...)
			out = append(out, `="`...)
		}
		out = appendEscaped(out, uri, true)
		out = append(out, '"')
	}
	return out
}

// notKept counts something the reader does not hand on.
func (r *Reader) notKept(what string) {
	if r.info.NotKept == nil {
		r.info.NotKept = map[string]int{}
	}
	r.info.NotKept[what]++
}

func (r *Reader) onlySpace() error {
	for _, c := range r.sc.text {
		if !isSpace(c) {
			return r.structural("text %q is not allowed here; values go inside <Item> elements", truncateBytes(r.sc.text, 40))
		}
	}
	return nil
}

func (r *Reader) noAttributes() error {
	for _, a := range r.sc.attrs {
		if string(a.prefix) == "xmlns" || (len(a.prefix) == 0 && string(a.local) == "xmlns") {
			continue
		}
		return r.structural("<%s> has attribute %q; NAACCR XML allows user attributes only on <NaaccrData>", r.elementName(), clipBytes(a.local))
	}
	return nil
}

func (r *Reader) patient(p *Patient) error {
	sc := r.sc
	if p.Items == nil {
		p.Items = make(map[string]string, 64)
	} else {
		clear(p.Items)
	}
	p.Tumors = p.Tumors[:0]
	p.Extensions = p.Extensions[:0]
	r.level, r.tumor = ParentPatient, 0
	r.seen.clear()
	if sc.pendingEnd {
		return sc.next()
	}
	for {
		if r.tryPlainItem(p.Items, ParentPatient) {
			continue
		}
		if err := sc.next(); err != nil {
			return err
		}
		switch sc.kind {
		case tokText:
			if err := r.onlySpace(); err != nil {
				return err
			}
		case tokEnd:
			r.level = ParentRoot
			return nil
		case tokStart:
			if !r.isNAACCR() {
				if err := r.extension(&p.Extensions); err != nil {
					return err
				}
				continue
			}
			switch string(sc.local) {
			case "Item":
				if err := r.item(p.Items, ParentPatient); err != nil {
					return err
				}
			case "Tumor":
				if err := r.noAttributes(); err != nil {
					return err
				}
				r.tumor++
				t := r.nextTumor(p)
				// A tumor's items are tracked apart from its patient's: save the patient's set.
				r.patientSeen = append(r.patientSeen[:0], r.seen.set...)
				r.seen.clear()
				err := r.tumorItems(t)
				r.seen.set = append(r.seen.set[:0], r.patientSeen...)
				if err != nil {
					return err
				}
			default:
				return r.structural("unexpected element <%s> in <Patient> (expected Item or Tumor; an extension needs a namespace of its own)", r.elementName())
			}
		}
	}
}

// nextTumor appends a tumor to p, reusing a map left from an earlier patient when there is one.
func (r *Reader) nextTumor(p *Patient) *Tumor {
	if len(p.Tumors) < cap(p.Tumors) {
		p.Tumors = p.Tumors[:len(p.Tumors)+1]
		t := &p.Tumors[len(p.Tumors)-1]
		if t.Items == nil {
			t.Items = make(map[string]string, 160)
		} else {
			clear(t.Items)
		}
		t.Extensions = t.Extensions[:0]
		return t
	}
	p.Tumors = append(p.Tumors, Tumor{Items: make(map[string]string, 160)})
	return &p.Tumors[len(p.Tumors)-1]
}

func (r *Reader) tumorItems(t *Tumor) error {
	sc := r.sc
	r.level = ParentTumor
	defer func() { r.level = ParentPatient }()
	if sc.pendingEnd {
		return sc.next()
	}
	for {
		if r.tryPlainItem(t.Items, ParentTumor) {
			continue
		}
		if err := sc.next(); err != nil {
			return err
		}
		switch sc.kind {
		case tokText:
			if err := r.onlySpace(); err != nil {
				return err
			}
		case tokEnd:
			return nil
		case tokStart:
			if !r.isNAACCR() {
				if err := r.extension(&t.Extensions); err != nil {
					return err
				}
				continue
			}
			if string(sc.local) != "Item" {
				return r.structural("unexpected element <%s> in <Tumor> (expected Item; an extension needs a namespace of its own)", r.elementName())
			}
			if err := r.item(t.Items, ParentTumor); err != nil {
				return err
			}
		}
	}
}

// item reads one <Item> into items and checks its value against the schema.
func (r *Reader) item(items map[string]string, level Parent) error {
	sc := r.sc
	// The item's position is worked out only if it has a problem; until then the scanner keeps
	// its start tag in the buffer.
	sc.mark = sc.tokOffset
	defer func() { sc.mark = -1 }()
	var id, num []byte
	haveID := false
	for _, a := range sc.attrs {
		switch {
		case string(a.prefix) == "xmlns" || (len(a.prefix) == 0 && string(a.local) == "xmlns"):
		case len(a.prefix) == 0 && string(a.local) == "naaccrId":
			id, haveID = a.value, true
		case len(a.prefix) == 0 && string(a.local) == "naaccrNum":
			num = a.value
		default:
			return r.structural("<Item> has attribute %q; only naaccrId and naaccrNum are allowed", clipBytes(a.local))
		}
	}
	if !haveID || len(id) == 0 {
		return r.structural("<Item> without a naaccrId attribute")
	}
	entry, known, idStr := r.lookupItem(id)
	if len(num) > 0 {
		if n, err := strconv.Atoi(string(num)); err != nil || (known && n != entry.def.Number) {
			r.problemAt(sc.mark, ProblemNaaccrNum, idStr, clipBytes(num), fmt.Sprintf("naaccrNum %s does not match item %s", clipBytes(num), idStr))
		}
	}
	// Gather the value: text, CDATA and comments until the end tag.
	r.value = r.value[:0]
	if sc.pendingEnd {
		if err := sc.next(); err != nil {
			return err
		}
	} else {
		for done := false; !done; {
			if err := sc.next(); err != nil {
				return err
			}
			switch sc.kind {
			case tokText:
				r.value = append(r.value, sc.text...)
			case tokEnd:
				done = true
			case tokStart:
				return r.structural("<Item naaccrId=%q> contains element <%s>; an item holds only a value", idStr, r.elementName())
			}
		}
	}
	r.keepItem(items, level, sc.mark, entry, known, idStr, r.value)
	return nil
}

// tryPlainItem reads the next element if it is a plain Item (xmlScanner.plainItem) of the
// NAACCR namespace, as item reads it from its tokens; it reports whether it did.
func (r *Reader) tryPlainItem(items map[string]string, level Parent) bool {
	sc := r.sc
	if r.noFastPath {
		return false
	}
	sc.skipSpaceBeforeTag()
	n, idEnd, valEnd := sc.plainItem()
	if n == 0 {
		return false
	}
	at := sc.pos
	b := sc.buf[at : at+n]
	id := b[len(plainItemStart):idEnd]
	entry, known := r.schema.lookupPlain(id)
	var idStr string
	switch {
	case known:
		idStr = entry.def.ID
	case !plainID(id):
		return false // an id that needs resolving, or a naaccrId the slot table does not hold
	default:
		if _, inMap := r.schema.items[string(id)]; inMap {
			return false
		}
		idStr = clipBytes(id)
	}
	if space := sc.defaultSpace(); space != Namespace && !(r.opt.Relaxed && space == "") {
		return false
	}
	r.keepItem(items, level, at, entry, known, idStr, b[idEnd+2:valEnd])
	sc.skipPlain(n)
	r.plainItems++
	return true
}

// lookupItem finds an item's definition by the bytes of its naaccrId. idStr is the name to use
// in messages and as the key of the items map: the dictionary's string for a known item (no
// allocation), the id clipped for an unknown one (it may be megabytes long).
func (r *Reader) lookupItem(id []byte) (entry schemaItem, known bool, idStr string) {
	entry, known = r.schema.items[string(id)] // no allocation for the lookup
	if known {
		return entry, true, entry.def.ID
	}
	return entry, false, clipBytes(id)
}

// keepItem checks an item's value (raw, as read, untrimmed) against the schema and, unless the
// reader only checks, keeps it in items. at is the buffer offset of its start tag.
func (r *Reader) keepItem(items map[string]string, level Parent, at int, entry schemaItem, known bool, idStr string, raw []byte) {
	def := entry.def
	if !known || def.Trim != "none" {
		raw = trimSpace(raw)
	}
	if !known {
		if msg := r.otherVersion(idStr); msg != "" {
			r.problemAt(at, ProblemOtherVersion, idStr, truncateBytes(raw, 60), msg)
			return
		}
		r.problemAt(at, ProblemUnknownItem, idStr, truncateBytes(raw, 60), fmt.Sprintf("unknown item %q: it is not in %s%s", idStr, r.schema.Base.URI, r.userDictNote()))
		return
	}
	if len(raw) == 0 {
		return
	}
	if def.Parent != level {
		r.problemAt(at, ProblemWrongLevel, idStr, truncateBytes(raw, 60), fmt.Sprintf("item %s belongs in <%s>, not in <%s>", idStr, def.Parent, level))
		return
	}
	if r.seen.has(entry.pos) {
		r.problemAt(at, ProblemDuplicate, idStr, truncateBytes(raw, 60), fmt.Sprintf("item %s appears more than once; the first value is kept", idStr))
		return
	}
	r.seen.add(entry.pos)
	if !r.opt.CheckOnly {
		items[idStr] = string(raw)
	}
	if entry.types&r.rtBit == 0 {
		// Kept, like any other bad value, so that nothing is lost; the problem says what is wrong.
		r.problemAt(at, ProblemRecordType, idStr, truncateBytes(raw, 60), fmt.Sprintf("item %s [%d] is not part of record type %s (%s) files; it belongs to record types %s",
			idStr, def.Number, r.info.RecordType, recordTypeNames[r.info.RecordType], strings.Join(def.RecordTypes, ", ")))
	}
	r.checkValue(at, def, raw)
}

// otherVersion names the NAACCR version that has an item the file's base dictionary does not:
// the nearest later one (the item was added after the file's version), else the nearest earlier
// one (it was retired). It returns "" when no base dictionary of the registry has the item.
func (r *Reader) otherVersion(id string) string {
	base := r.schema.Base.NaaccrVersion
	at := slices.Index(BaseVersions, base)
	if at < 0 {
		return ""
	}
	has := func(v string) bool {
		d, ok := r.opt.Registry.Lookup(BaseDictionaryURI(v))
		if !ok {
			return false
		}
		_, ok = d.Item(id)
		return ok
	}
	for _, v := range BaseVersions[at+1:] {
		if has(v) {
			return fmt.Sprintf("item %s is not in NAACCR %s; it was added in %s (the file's baseDictionaryUri names %s)", id, base, v, base)
		}
	}
	for i := at - 1; i >= 0; i-- {
		if v := BaseVersions[i]; has(v) {
			return fmt.Sprintf("item %s is not in NAACCR %s; it was retired after %s, the last version that has it", id, base, v)
		}
	}
	return ""
}

// checkValue reports a value that breaks its item's length, data type or padding. It works on
// the bytes read: a value that is only checked is never made a string.
func (r *Reader) checkValue(at int, def *ItemDef, v []byte) {
	if len(v) > def.Length && !def.AllowUnlimitedText {
		if n := utf8.RuneCount(v); n > def.Length {
			r.problemAt(at, ProblemTooLong, def.ID, truncateBytes(v, 60), fmt.Sprintf("value has %d characters; %s [%d] holds at most %d", n, def.Name, def.Number, def.Length))
		}
	}
	if err := checkTypeBytes(def.DataType, v); err != nil {
		r.problemAt(at, ProblemDataType, def.ID, truncateBytes(v, 60), fmt.Sprintf("%s [%d] is of type %s: %v", def.Name, def.Number, def.DataType, err))
		return
	}
	if def.Padding == "leftZero" && len(v) < def.Length && isDigits(v) {
		r.problemAt(at, ProblemPadding, def.ID, string(v), fmt.Sprintf("%s [%d] must be zero-padded on the left to %d characters", def.Name, def.Number, def.Length))
	}
}

func (r *Reader) userDictNote() string {
	if len(r.info.MissingUserDictionaries) > 0 {
		uris := make([]string, len(r.info.MissingUserDictionaries))
		for i, u := range r.info.MissingUserDictionaries {
			uris[i] = clip(u)
		}
		return " nor in a loaded user dictionary (not loaded: " + clipN(strings.Join(uris, ", "), maxQuotedMessage) + ")"
	}
	if len(r.schema.User) == 0 {
		return " (and the file names no user dictionary)"
	}
	uris := make([]string, len(r.schema.User))
	for i, u := range r.schema.User {
		uris[i] = clip(u.URI)
	}
	return " nor in " + clipN(strings.Join(uris, ", "), maxQuotedMessage)
}

// problemAt records a data problem of the token at buffer offset at.
func (r *Reader) problemAt(at int, code, item, value, msg string) {
	line, col := r.sc.position(at)
	p := Problem{Line: line, Column: col, Item: item, Value: value, Message: msg, Code: code}
	if r.level == ParentPatient || r.level == ParentTumor {
		p.Patient = r.patients
	}
	if r.level == ParentTumor {
		p.Tumor = r.tumor
	}
	r.problems = append(r.problems, p)
}

// dataProblem records a problem at the current token.
func (r *Reader) dataProblem(code, item, value, msg string) {
	r.problemAt(r.sc.tokOffset, code, item, value, msg)
}

func truncate(s string, n int) string {
	if h, cut := excerpt.HeadN(s, n); cut {
		return h + "…"
	}
	return s
}

// truncateBytes is truncate for a byte slice, copying no more than it keeps.
func truncateBytes(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}

// itemSet is a set of schema positions.
type itemSet struct {
	set []uint64
}

func (s *itemSet) reset(n int)    { s.set = make([]uint64, (n+63)/64) }
func (s *itemSet) clear()         { clear(s.set) }
func (s *itemSet) has(i int) bool { return s.set[i>>6]&(1<<(uint(i)&63)) != 0 }
func (s *itemSet) add(i int)      { s.set[i>>6] |= 1 << (uint(i) & 63) }

// trimSpace removes XML whitespace from both ends.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
