package naaccr

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// xmlScanner is a streaming XML tokenizer for the documents NAACCR XML uses: elements,
// attributes, namespaces, character data with entity and character references, CDATA sections,
// comments and processing instructions. DOCTYPE declarations are refused (NAACCR files have none,
// and refusing them rules out entity expansion attacks). It checks well-formedness as it goes
// (matching tags, names, attribute syntax, unique attributes, legal characters, bound namespace
// prefixes) and works inside one buffer, so a token costs no allocation; the slices it hands out
// are valid until the next call to next.
//
// It exists because encoding/xml is several times too slow for registry-sized files; a
// differential fuzz test keeps it in step with encoding/xml on what is well-formed.
type xmlScanner struct {
	src    io.Reader
	srcErr error
	buf    []byte
	pos    int // next unread byte in buf
	end    int // end of the data in buf
	eof    bool

	// Position bookkeeping: base is the file offset of buf[0]; lines are counted up to counted.
	base      int64
	counted   int
	line      int
	lineStart int64

	// The current token.
	kind      tokenKind
	space     string // namespace URI of a start or end tag
	local     []byte // local name of a start or end tag
	attrs     []xmlAttr
	text      []byte // character data, references resolved
	tokOffset int    // buffer offset where the token starts
	// mark, when not negative, is a buffer offset that fill keeps in the buffer, so that the
	// position of a token can be worked out after later tokens were read (see position).
	mark int

	// Open elements: names (qualified, as written) in one arena; namespace bindings in scope.
	names      []byte
	open       []openElem
	bindings   []nsBinding
	pendingEnd bool // a self-closing tag: the end tag comes next
	// unbound says the start tag's element or an attribute uses an undeclared prefix (possible
	// only with unboundOK).
	unbound  bool
	rootDone bool
	rootSeen bool
	started  bool // the first byte has been looked at (for the XML declaration and BOM)

	scratch     []byte // resolved character data and attribute values
	unboundOK   bool   // relaxed: an unbound prefix resolves to no namespace instead of failing
	maxTokenLen int
}

type tokenKind uint8

const (
	tokNone tokenKind = iota
	tokStart
	tokEnd
	tokText
	tokEOF
)

type xmlAttr struct {
	prefix []byte
	local  []byte
	space  string // resolved namespace; "" for an unprefixed attribute
	value  []byte
	bound  bool // the prefix (if any) is declared
}

type openElem struct {
	nameStart, nameEnd int // qualified name in names
	bindings           int // len(bindings) before this element's declarations
}

type nsBinding struct {
	prefix string
	uri    string
}

// xmlError is a well-formedness error at a position.
type xmlError struct {
	line, col int
	msg       string
}

func (e *xmlError) Error() string { return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg) }

const (
	initialBufSize    = 256 << 10
	defaultMaxToken   = 64 << 20
	xmlnsURI          = "http://www.w3.org/2000/xmlns/"
	xmlNamespaceURI   = "http://www.w3.org/XML/1998/namespace"
	maxCharRefDigits  = 10
	maxElementNesting = 10000
)

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{
		src:         r,
		buf:         make([]byte, initialBufSize),
		line:        1,
		maxTokenLen: defaultMaxToken,
		mark:        -1,
		bindings:    []nsBinding{{prefix: "xml", uri: xmlNamespaceURI}},
	}
}

// position returns the line and column (1-based; columns count bytes) of a buffer offset. Lines
// are counted lazily, so offsets must be asked for in increasing order and must still be in the
// buffer: the reader marks an Item's start tag while it reads the item.
func (s *xmlScanner) position(off int) (int, int) {
	if off > s.counted {
		seg := s.buf[s.counted:off]
		if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
			s.line += n
			s.lineStart = s.base + int64(s.counted+bytes.LastIndexByte(seg, '\n')+1)
		}
		s.counted = off
	}
	return s.line, int(s.base+int64(off)-s.lineStart) + 1
}

func (s *xmlScanner) errAt(off int, format string, args ...any) error {
	line, col := s.position(off)
	return &xmlError{line: line, col: col, msg: fmt.Sprintf(format, args...)}
}

// fill reads more input, keeping buf[keep:]; offsets before keep are no longer valid and offsets
// after it move down by keep (the caller works with offsets relative to pos, which becomes 0).
func (s *xmlScanner) fill() (bool, error) {
	if s.eof {
		if s.srcErr != nil {
			// Said again: whoever reads on meets the error where it is (the parallel reader's
			// splitter may have met it first, looking ahead).
			return false, fmt.Errorf("read: %w", s.srcErr)
		}
		return false, nil
	}
	// Keep what is unread, and the marked token (whose position may still be asked for).
	keep := s.pos
	if s.mark >= 0 && s.mark < keep {
		keep = s.mark
	}
	if keep > 0 {
		s.position(keep) // count the lines of what is about to be dropped
		n := copy(s.buf, s.buf[keep:s.end])
		s.base += int64(keep)
		s.counted -= keep
		s.tokOffset -= keep
		if s.mark >= 0 {
			s.mark -= keep
		}
		s.end = n
		s.pos -= keep
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= s.maxTokenLen {
			return false, s.errAt(s.pos, "a single value or tag is longer than %d bytes", s.maxTokenLen)
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.src.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.srcErr = err
				return n > 0, fmt.Errorf("read: %w", err)
			}
			return n > 0, nil
		}
		if n > 0 {
			return true, nil
		}
	}
}

// avail makes sure at least n bytes from pos are in the buffer, reading more if needed.
func (s *xmlScanner) avail(n int) (bool, error) {
	for s.end-s.pos < n {
		ok, err := s.fill()
		if err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// indexFrom finds delim at or after pos+from, reading more input as needed; it returns the index
// relative to pos, or -1 at the end of input.
func (s *xmlScanner) indexFrom(from int, delim []byte) (int, error) {
	for {
		if s.pos+from <= s.end {
			if i := bytes.Index(s.buf[s.pos+from:s.end], delim); i >= 0 {
				return from + i, nil
			}
		}
		// Keep looking after what was searched, minus an overlap for a split delimiter.
		from = max(from, s.end-s.pos-len(delim)+1)
		ok, err := s.fill()
		if err != nil {
			return -1, err
		}
		if !ok {
			return -1, nil
		}
	}
}

// next reads the next token. Character data is returned only inside the root element;
// whitespace outside it is skipped and anything else there is an error.
func (s *xmlScanner) next() error {
	s.text = nil
	s.attrs = s.attrs[:0]
	s.unbound = false
	if s.pendingEnd {
		s.pendingEnd = false
		s.kind = tokEnd
		s.popElement()
		return nil
	}
	for {
		ok, err := s.avail(1)
		if err != nil {
			return err
		}
		if !ok {
			return s.atEOF()
		}
		if !s.started {
			s.started = true
			if err := s.prolog(); err != nil {
				return err
			}
			continue
		}
		s.tokOffset = s.pos
		if s.buf[s.pos] != '<' {
			if len(s.open) == 0 {
				if err := s.skipOutsideText(); err != nil {
					return err
				}
				continue
			}
			return s.charData()
		}
		ok, err = s.avail(2)
		if err != nil {
			return err
		}
		if !ok {
			return s.errAt(s.pos, "unexpected end of file after <")
		}
		switch s.buf[s.pos+1] {
		case '/':
			return s.endTag()
		case '?':
			if err := s.procInst(); err != nil {
				return err
			}
		case '!':
			isText, err := s.bang()
			if err != nil {
				return err
			}
			if isText {
				s.kind = tokText
				return nil
			}
		default:
			return s.startTag()
		}
	}
}

func (s *xmlScanner) atEOF() error {
	if len(s.open) > 0 {
		return s.errAt(s.pos, "unexpected end of file: element <%s> is not closed", clipBytes(s.openName(len(s.open)-1)))
	}
	if !s.rootSeen {
		return s.errAt(s.pos, "the file has no root element; it is empty or not XML")
	}
	s.kind = tokEOF
	return nil
}

// prolog skips a UTF-8 byte order mark and checks an XML declaration if there is one.
func (s *xmlScanner) prolog() error {
	if ok, err := s.avail(3); err != nil {
		return err
	} else if ok && bytes.HasPrefix(s.buf[s.pos:s.end], []byte("\xef\xbb\xbf")) {
		s.pos += 3
		s.counted = s.pos
		s.lineStart = int64(s.pos)
	}
	ok, err := s.avail(6)
	if err != nil {
		return err
	}
	if !ok || !bytes.HasPrefix(s.buf[s.pos:s.end], []byte("<?xml")) || !isSpace(s.buf[s.pos+5]) {
		return nil
	}
	// Errors are reported at s.pos, the construct's start until it is read whole: an offset
	// kept in a variable would be stale after fill moved the buffer.
	i, err := s.indexFrom(2, []byte("?>"))
	if err != nil {
		return err
	}
	if i < 0 {
		return s.errAt(s.pos, "unterminated XML declaration")
	}
	decl := s.buf[s.pos+5 : s.pos+i]
	if enc := declAttr(decl, "encoding"); enc != "" && !equalFoldASCII(enc, "UTF-8") && !equalFoldASCII(enc, "UTF8") {
		return s.errAt(s.pos, "encoding %q is not supported: NAACCR XML files are UTF-8", clip(enc))
	}
	if v := declAttr(decl, "version"); v != "1.0" {
		return s.errAt(s.pos, "XML version %q is not supported (want 1.0)", clip(v))
	}
	s.pos += i + 2
	return nil
}

// declAttr reads a pseudo-attribute of the XML declaration.
func declAttr(decl []byte, name string) string {
	i := bytes.Index(decl, []byte(name))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len(name):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	j := bytes.IndexByte(rest[1:], q)
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}

func equalFoldASCII(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }

func (s *xmlScanner) skipOutsideText() error {
	for {
		i := bytes.IndexByte(s.buf[s.pos:s.end], '<')
		seg := s.buf[s.pos:s.end]
		if i >= 0 {
			seg = seg[:i]
		}
		for k, c := range seg {
			if !isSpace(c) {
				what := "before the root element"
				if s.rootDone {
					what = "after the root element"
				}
				return s.errAt(s.pos+k, "text %s; the file is not a NAACCR XML document", what)
			}
		}
		s.pos += len(seg)
		if i >= 0 {
			return nil
		}
		ok, err := s.fill()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
	}
}

// charData reads text up to the next '<', resolving references.
func (s *xmlScanner) charData() error {
	i, err := s.indexFrom(0, []byte{'<'})
	if err != nil {
		return err
	}
	if i < 0 {
		return s.atEOF()
	}
	raw := s.buf[s.pos : s.pos+i]
	text, err := s.resolve(raw, s.pos, false, s.scratch[:0])
	if err != nil {
		return err
	}
	if len(raw) > 0 && len(text) > 0 && &text[0] != &raw[0] {
		s.scratch = text[:0] // text was resolved into scratch: keep its grown capacity
	}
	s.text = text
	s.pos += i
	s.kind = tokText
	return nil
}

// resolve checks raw character data and resolves its references. Clean data (the usual case)
// is returned as it is, without copying; otherwise the result is appended to dst. In attribute
// values '<' is an error and whitespace characters become spaces.
func (s *xmlScanner) resolve(raw []byte, off int, attr bool, dst []byte) ([]byte, error) {
	table := &specialInText
	if attr {
		table = &specialInAttr
	}
	clean := true
	for _, c := range raw {
		if table[c] {
			clean = false
			break
		}
	}
	if clean {
		return raw, nil
	}
	out := dst
	for k := 0; k < len(raw); {
		c := raw[k]
		switch {
		case c == '&':
			r, n, err := s.reference(raw[k:], off+k)
			if err != nil {
				return nil, err
			}
			out = utf8.AppendRune(out, r)
			k += n
		case c == '<':
			return nil, s.errAt(off+k, "'<' is not allowed in an attribute value")
		case c == '\r':
			// XML line-end handling: CR LF and lone CR become LF.
			if attr {
				out = append(out, ' ')
			} else {
				out = append(out, '\n')
			}
			k++
			if k < len(raw) && raw[k] == '\n' {
				k++
			}
		case c == '\n' || c == '\t':
			if attr {
				out = append(out, ' ')
			} else {
				out = append(out, c)
			}
			k++
		case c < 0x20:
			return nil, s.errAt(off+k, "control character 0x%02X is not allowed in XML", c)
		case c == ']' && !attr && bytes.HasPrefix(raw[k:], []byte("]]>")):
			return nil, s.errAt(off+k, "']]>' is not allowed in text")
		case c >= 0x80:
			r, n := utf8.DecodeRune(raw[k:])
			if r == utf8.RuneError && n == 1 {
				return nil, s.errAt(off+k, "invalid UTF-8")
			}
			if !isXMLChar(r) {
				return nil, s.errAt(off+k, "character U+%04X is not allowed in XML", r)
			}
			out = append(out, raw[k:k+n]...)
			k += n
		default:
			out = append(out, c)
			k++
		}
	}
	return out, nil
}

// reference resolves an entity or character reference at the start of b.
func (s *xmlScanner) reference(b []byte, off int) (rune, int, error) {
	semi := bytes.IndexByte(b, ';')
	if semi < 0 || semi > maxCharRefDigits+3 {
		return 0, 0, s.errAt(off, "'&' must start a reference such as &amp; (write & as &amp;)")
	}
	name := b[1:semi]
	switch string(name) {
	case "lt":
		return '<', semi + 1, nil
	case "gt":
		return '>', semi + 1, nil
	case "amp":
		return '&', semi + 1, nil
	case "apos":
		return '\'', semi + 1, nil
	case "quot":
		return '"', semi + 1, nil
	}
	if len(name) >= 2 && name[0] == '#' {
		var (
			n   uint64
			err error
		)
		if name[1] == 'x' {
			if len(name) < 3 {
				err = strconv.ErrSyntax
			} else {
				n, err = strconv.ParseUint(string(name[2:]), 16, 32)
			}
		} else {
			n, err = strconv.ParseUint(string(name[1:]), 10, 32)
		}
		if err == nil && n <= unicode.MaxRune && isXMLChar(rune(n)) {
			return rune(n), semi + 1, nil
		}
		return 0, 0, s.errAt(off, "character reference &%s; is not a legal XML character", name)
	}
	return 0, 0, s.errAt(off, "unknown entity &%s; (only &lt; &gt; &amp; &apos; &quot; and character references are allowed)", name)
}

// specialInText marks the bytes that character data cannot take as they are: references,
// carriage returns, other control characters, and non-ASCII bytes (checked as UTF-8). Tabs and
// line feeds pass, so indentation between elements takes the fast path.
var specialInText = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = (c < 0x20 && c != '\t' && c != '\n') || c >= 0x80 || c == '&' || c == ']' || c == '<'
	}
	return t
}()

// specialInAttr is specialInText for attribute values, where tabs and line feeds become spaces.
var specialInAttr = func() (t [256]bool) {
	t = specialInText
	t['\t'], t['\n'] = true, true
	return t
}()

// nameByte marks the ASCII bytes allowed in an XML name after its first character.
var nameByte = func() (t [256]bool) {
	for c := 0; c < 128; c++ {
		t[c] = c == '_' || c == ':' || c == '-' || c == '.' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
	}
	return t
}()

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// procInst skips a processing instruction; an XML declaration anywhere but the start is an error.
func (s *xmlScanner) procInst() error {
	// Errors are reported at s.pos, the construct's start until it is read whole: an offset
	// kept in a variable would be stale after fill moved the buffer.
	i, err := s.indexFrom(2, []byte("?>"))
	if err != nil {
		return err
	}
	if i < 0 {
		return s.errAt(s.pos, "unterminated processing instruction")
	}
	target := s.buf[s.pos+2 : s.pos+i]
	if j := bytes.IndexAny(target, " \t\r\n"); j >= 0 {
		target = target[:j]
	}
	if len(target) == 0 || !isName(target) {
		return s.errAt(s.pos, "processing instruction without a valid target")
	}
	if equalFoldASCII(string(target), "xml") {
		return s.errAt(s.pos, "the XML declaration must come first in the file")
	}
	s.pos += i + 2
	return nil
}

// bang handles <!-- comments -->, <![CDATA[ ]]> (returned as text) and refuses <!DOCTYPE.
func (s *xmlScanner) bang() (isText bool, err error) {
	// Errors are reported at s.pos, the construct's start until it is read whole: an offset
	// kept in a variable would be stale after fill moved the buffer.
	ok, err := s.avail(4)
	if err != nil {
		return false, err
	}
	if ok && bytes.HasPrefix(s.buf[s.pos:s.end], []byte("<!--")) {
		i, err := s.indexFrom(4, []byte("--"))
		if err != nil {
			return false, err
		}
		if i < 0 {
			return false, s.errAt(s.pos, "unterminated comment")
		}
		if ok, err := s.avail(i + 3); err != nil {
			return false, err
		} else if !ok || s.buf[s.pos+i+2] != '>' {
			return false, s.errAt(s.pos, "'--' is not allowed inside a comment")
		}
		if err := s.checkChars(s.buf[s.pos+4:s.pos+i], s.pos+4, "a comment"); err != nil {
			return false, err
		}
		s.pos += i + 3
		return false, nil
	}
	ok, err = s.avail(9)
	if err != nil {
		return false, err
	}
	if ok && bytes.HasPrefix(s.buf[s.pos:s.end], []byte("<![CDATA[")) {
		if len(s.open) == 0 {
			return false, s.errAt(s.pos, "CDATA section outside the root element")
		}
		i, err := s.indexFrom(9, []byte("]]>"))
		if err != nil {
			return false, err
		}
		if i < 0 {
			return false, s.errAt(s.pos, "unterminated CDATA section")
		}
		raw := s.buf[s.pos+9 : s.pos+i]
		if err := s.checkChars(raw, s.pos+9, "a CDATA section"); err != nil {
			return false, err
		}
		s.text = raw
		if bytes.IndexByte(raw, '\r') >= 0 {
			t := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
			s.text = bytes.ReplaceAll(t, []byte("\r"), []byte("\n"))
		}
		s.pos += i + 3
		return true, nil
	}
	if ok && bytes.HasPrefix(s.buf[s.pos:s.end], []byte("<!DOCTYPE")) {
		return false, s.errAt(s.pos, "DOCTYPE declarations are not allowed in NAACCR XML")
	}
	return false, s.errAt(s.pos, "unexpected '<!': expected a comment or CDATA section")
}

// checkChars checks that raw is UTF-8 made of legal XML characters; where says what raw is.
func (s *xmlScanner) checkChars(raw []byte, off int, where string) error {
	for k := 0; k < len(raw); {
		c := raw[k]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return s.errAt(off+k, "control character 0x%02X is not allowed in %s", c, where)
			}
			k++
			continue
		}
		r, n := utf8.DecodeRune(raw[k:])
		if r == utf8.RuneError && n == 1 {
			return s.errAt(off+k, "invalid UTF-8 in %s", where)
		}
		if !isXMLChar(r) {
			return s.errAt(off+k, "character U+%04X is not allowed in %s", r, where)
		}
		k += n
	}
	return nil
}

// tagEnd finds the '>' that closes the tag starting at pos, skipping quoted attribute values.
func (s *xmlScanner) tagEnd() (int, error) {
	// Fast path: the first '>' closes the tag when no quote before it is left open. With double
	// quotes only, that is when their number is even.
	if j := bytes.IndexByte(s.buf[s.pos+1:s.end], '>'); j >= 0 {
		seg := s.buf[s.pos+1 : s.pos+1+j]
		if bytes.IndexByte(seg, '\'') < 0 && bytes.IndexByte(seg, '<') < 0 && bytes.Count(seg, []byte{'"'})%2 == 0 {
			return j + 1, nil
		}
	}
	var quote byte
	i := 1
	for {
		for ; s.pos+i < s.end; i++ {
			c := s.buf[s.pos+i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				} else if c == '<' {
					return -1, s.errAt(s.pos+i, "'<' is not allowed in an attribute value")
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '>':
				return i, nil
			case c == '<':
				return -1, s.errAt(s.tokOffset, "tag is not closed with '>'")
			}
		}
		ok, err := s.fill()
		if err != nil {
			return -1, err
		}
		if !ok {
			return -1, s.errAt(s.tokOffset, "unexpected end of file inside a tag")
		}
	}
}

func (s *xmlScanner) startTag() error {
	if s.rootDone {
		return s.errAt(s.pos, "a second root element; a NAACCR XML file has exactly one NaaccrData element")
	}
	n, err := s.tagEnd()
	if err != nil {
		return err
	}
	tag := s.buf[s.pos+1 : s.pos+n]
	selfClose := len(tag) > 0 && tag[len(tag)-1] == '/'
	if selfClose {
		tag = tag[:len(tag)-1]
	}
	off := s.pos + 1
	k := nameLen(tag)
	if k == 0 {
		return s.errAt(off, "expected an element name after '<'")
	}
	qname := tag[:k]
	if !isName(qname) {
		return s.errAt(off, "%q is not a valid element name", clipBytes(qname))
	}
	rest := tag[k:]
	restOff := off + k
	if len(s.open) >= maxElementNesting {
		return s.errAt(off, "elements are nested more than %d deep", maxElementNesting)
	}
	elem := openElem{bindings: len(s.bindings)}
	// Attributes.
	for {
		sp := 0
		for sp < len(rest) && isSpace(rest[sp]) {
			sp++
		}
		if sp == len(rest) {
			break
		}
		if sp == 0 {
			return s.errAt(restOff, "expected a space before an attribute")
		}
		rest, restOff = rest[sp:], restOff+sp
		an := nameLen(rest)
		if an == 0 || !isName(rest[:an]) {
			return s.errAt(restOff, "expected an attribute name")
		}
		name := rest[:an]
		// Names are quoted clipped: a name may be megabytes long.
		j := an
		for j < len(rest) && isSpace(rest[j]) {
			j++
		}
		if j == len(rest) || rest[j] != '=' {
			return s.errAt(restOff, "attribute %s has no value (write %s=\"...\")", clipBytes(name), clipBytes(name))
		}
		j++
		for j < len(rest) && isSpace(rest[j]) {
			j++
		}
		if j == len(rest) || (rest[j] != '"' && rest[j] != '\'') {
			return s.errAt(restOff, "the value of attribute %s must be quoted", clipBytes(name))
		}
		q := rest[j]
		vEnd := bytes.IndexByte(rest[j+1:], q)
		if vEnd < 0 {
			return s.errAt(restOff, "the value of attribute %s is not closed", clipBytes(name))
		}
		rawVal := rest[j+1 : j+1+vEnd]
		valOff := restOff + j + 1
		a := xmlAttr{local: name}
		if c := bytes.IndexByte(name, ':'); c >= 0 {
			a.prefix, a.local = name[:c], name[c+1:]
			if c == 0 || len(a.local) == 0 || bytes.IndexByte(a.local, ':') >= 0 {
				return s.errAt(restOff, "%q is not a valid attribute name (namespace prefix and name must not be empty)", clipBytes(name))
			}
		}
		for _, prev := range s.attrs {
			if bytes.Equal(prev.prefix, a.prefix) && bytes.Equal(prev.local, a.local) {
				return s.errAt(restOff, "attribute %s appears twice", clipBytes(name))
			}
		}
		// A value with references gets its own slice (rare); a clean one stays in the buffer.
		if a.value, err = s.resolve(rawVal, valOff, true, nil); err != nil {
			return err
		}
		s.attrs = append(s.attrs, a)
		rest, restOff = rest[j+1+vEnd+1:], restOff+j+1+vEnd+1
	}
	// Namespace declarations come into scope before names are resolved.
	for _, a := range s.attrs {
		switch {
		case len(a.prefix) == 0 && string(a.local) == "xmlns":
			s.bindings = append(s.bindings, nsBinding{prefix: "", uri: string(a.value)})
		case string(a.prefix) == "xmlns":
			if len(a.value) == 0 {
				return s.errAt(off, "namespace prefix %s is declared with an empty URI", clipBytes(a.local))
			}
			s.bindings = append(s.bindings, nsBinding{prefix: string(a.local), uri: string(a.value)})
		}
	}
	for i := range s.attrs {
		a := &s.attrs[i]
		switch {
		case len(a.prefix) == 0:
			a.bound = true
		case string(a.prefix) == "xmlns":
			a.space, a.bound = xmlnsURI, true
		default:
			a.space, a.bound = s.lookup(a.prefix)
			if !a.bound && !s.unboundOK {
				return s.errAt(off, "namespace prefix %s of attribute %s:%s is not declared", clipBytes(a.prefix), clipBytes(a.prefix), clipBytes(a.local))
			}
			s.unbound = s.unbound || !a.bound
		}
	}
	prefix, local := []byte(nil), qname
	if c := bytes.IndexByte(qname, ':'); c >= 0 {
		prefix, local = qname[:c], qname[c+1:]
		if len(prefix) == 0 || len(local) == 0 || bytes.IndexByte(local, ':') >= 0 {
			return s.errAt(off, "%q is not a valid element name", clipBytes(qname))
		}
	}
	space, bound := s.lookup(prefix)
	if !bound && len(prefix) > 0 && !s.unboundOK {
		return s.errAt(off, "namespace prefix %s of element <%s> is not declared", clipBytes(prefix), clipBytes(qname))
	}
	s.unbound = s.unbound || !bound
	elem.nameStart = len(s.names)
	s.names = append(s.names, qname...)
	elem.nameEnd = len(s.names)
	s.open = append(s.open, elem)
	s.rootSeen = true
	s.kind = tokStart
	s.space = space
	s.local = s.names[elem.nameEnd-len(local) : elem.nameEnd]
	s.pos += n + 1
	s.pendingEnd = selfClose
	return nil
}

// lookup resolves a namespace prefix ("" for the default namespace).
func (s *xmlScanner) lookup(prefix []byte) (string, bool) {
	for i := len(s.bindings) - 1; i >= 0; i-- {
		if s.bindings[i].prefix == string(prefix) {
			return s.bindings[i].uri, true
		}
	}
	return "", len(prefix) == 0
}

func (s *xmlScanner) endTag() error {
	n, err := s.tagEnd()
	if err != nil {
		return err
	}
	tag := s.buf[s.pos+2 : s.pos+n]
	k := nameLen(tag)
	name := tag[:k]
	for _, c := range tag[k:] {
		if !isSpace(c) {
			return s.errAt(s.pos, "unexpected characters in end tag </%s>", clipBytes(name))
		}
	}
	if len(s.open) == 0 {
		return s.errAt(s.pos, "end tag </%s> without a start tag", clipBytes(name))
	}
	if top := s.openName(len(s.open) - 1); !bytes.Equal(name, top) {
		return s.errAt(s.pos, "end tag </%s> does not match <%s>", clipBytes(name), clipBytes(top))
	}
	s.pos += n + 1
	s.kind = tokEnd
	top := s.open[len(s.open)-1]
	s.local = s.names[top.nameStart:top.nameEnd]
	if c := bytes.IndexByte(s.local, ':'); c >= 0 {
		s.space, _ = s.lookup(s.local[:c])
		s.local = s.local[c+1:]
	} else {
		s.space, _ = s.lookup(nil)
	}
	s.popElement()
	return nil
}

func (s *xmlScanner) popElement() {
	top := s.open[len(s.open)-1]
	s.open = s.open[:len(s.open)-1]
	s.bindings = s.bindings[:top.bindings]
	s.names = s.names[:top.nameStart]
	if len(s.open) == 0 {
		s.rootDone = true
	}
}

func (s *xmlScanner) openName(i int) []byte {
	return s.names[s.open[i].nameStart:s.open[i].nameEnd]
}

// skipElement skips the content of the element just started, up to and including its end tag.
func (s *xmlScanner) skipElement() error {
	depth := len(s.open)
	for {
		if err := s.next(); err != nil {
			return err
		}
		if s.kind == tokEnd && len(s.open) < depth {
			return nil
		}
		if s.kind == tokEOF {
			return s.errAt(s.pos, "unexpected end of file")
		}
	}
}

// nameLen returns the length of the name at the start of b (up to a space, '/', '=' or '>').
func nameLen(b []byte) int {
	for i, c := range b {
		if isSpace(c) || c == '/' || c == '=' || c == '>' {
			return i
		}
	}
	return len(b)
}

// isName reports whether b is an XML name (with an optional namespace prefix).
func isName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if c := b[0]; c < utf8.RuneSelf && c != '-' && c != '.' && (c < '0' || c > '9') {
		ascii := true
		for _, c := range b {
			if !nameByte[c] {
				ascii = false
				break
			}
		}
		if ascii {
			return true
		}
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			ok := c == '_' || c == ':' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
			if i > 0 {
				ok = ok || c == '-' || c == '.' || (c >= '0' && c <= '9')
			}
			if !ok {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		ok := unicode.IsLetter(r) || r == '_'
		if i > 0 {
			ok = ok || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || r == 0xB7
		}
		if !ok {
			return false
		}
		i += n
	}
	return true
}

// The fast path. Nearly every element of a NAACCR file is an Item written plainly, on a line of
// its own: <Item naaccrId="ID">value</Item>, with an ID of ASCII letters and digits and a value
// with no reference, CDATA, comment or carriage return. plainItem recognises such an element at
// pos, whole in the buffer, without going through the token machinery; the reader then treats it
// exactly as the tokens of start tag, text and end tag (a differential fuzz test holds the two
// paths to the same results). Anything else, or an item the buffer holds only in part, takes the
// general path.
const plainItemStart = `<Item naaccrId="`

// plainItem returns the length of a plain Item element at pos and where its naaccrId and value
// end (relative to pos; the id starts at len(plainItemStart), the value at idEnd+2); n is 0 when
// the element is not one. It changes nothing. The naaccrId is not checked here: the reader takes
// the fast path only for an id it finds in its schema (all of ASCII letters and digits, so
// needing no resolving), and with plainID for an unknown one. The element's namespace is the
// default namespace in scope (defaultSpace).
func (s *xmlScanner) plainItem() (n, idEnd, valEnd int) {
	if s.pendingEnd || len(s.open) == 0 || len(s.open) >= maxElementNesting {
		return 0, 0, 0
	}
	b := s.buf[s.pos:s.end]
	if len(b) < len(plainItemStart)+len(`x"></Item>`) || string(b[:len(plainItemStart)]) != plainItemStart {
		return 0, 0, 0
	}
	i := bytes.IndexByte(b[len(plainItemStart):], '"')
	if i <= 0 {
		return 0, 0, 0
	}
	i += len(plainItemStart)
	if i+1 >= len(b) || b[i+1] != '>' {
		return 0, 0, 0
	}
	idEnd = i
	j := i + 2
	for j < len(b) {
		c := b[j]
		if c < utf8.RuneSelf {
			if !specialInText[c] {
				j++
				continue
			}
			if c == '<' {
				break
			}
			return 0, 0, 0 // a reference, ']', a carriage return or a control character
		}
		r, size := utf8.DecodeRune(b[j:])
		if (r == utf8.RuneError && size == 1) || !isXMLChar(r) {
			return 0, 0, 0 // the general path says what is wrong (or reads a split character)
		}
		j += size
	}
	if len(b)-j < len("</Item>") || string(b[j:j+len("</Item>")]) != "</Item>" {
		return 0, 0, 0
	}
	return j + len("</Item>"), idEnd, j
}

// plainID reports whether a naaccrId is made of plainIDByte bytes only: as an attribute value it
// needs no resolving, and it is a name the fast path may quote.
func plainID(id []byte) bool {
	for _, c := range id {
		if !plainIDByte[c] {
			return false
		}
	}
	return true
}

// skipPlain moves past a plain Item element of length n (from plainItem), leaving the scanner as
// after its end tag; tokOffset is the element's start.
func (s *xmlScanner) skipPlain(n int) {
	s.tokOffset = s.pos
	s.pos += n
	s.kind = tokEnd
	s.text = nil
	s.attrs = s.attrs[:0]
	s.unbound = false
}

// defaultSpace is the default namespace in scope.
func (s *xmlScanner) defaultSpace() string {
	space, _ := s.lookup(nil)
	return space
}

// skipSpaceBeforeTag moves past whitespace when a tag follows it in the buffer: the text token it
// would make holds only space, which is all the reader checks of text between elements. Anything
// else is left to the general path, so that errors keep their positions.
func (s *xmlScanner) skipSpaceBeforeTag() {
	if s.pendingEnd || len(s.open) == 0 {
		return
	}
	k := s.pos
	for k < s.end && isSpace(s.buf[k]) {
		k++
		// Indentation goes eight spaces at a time.
		for s.end-k >= 8 && binary.LittleEndian.Uint64(s.buf[k:]) == 0x2020202020202020 {
			k += 8
		}
	}
	if k < s.end && s.buf[k] == '<' {
		s.pos = k
	}
}

// plainIDByte marks the bytes of a naaccrId the fast path takes: ASCII letters, digits and '_'
// (every naaccrId of the dictionaries is of letters and digits). Each is a name byte and none
// needs resolving in an attribute value.
var plainIDByte = func() (t [256]bool) {
	for c := 0; c < 128; c++ {
		t[c] = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
	}
	return t
}()
