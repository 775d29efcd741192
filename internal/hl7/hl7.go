// Package hl7 reads and writes HL7 version 2 messages in their pipe-delimited (ER7) form, and
// frames them for MLLP.
//
// It is cara's own parser: no Go HL7 v2 module fit (see the README's EHR intake section). A
// message is read whole into segments, fields, repetitions, components and subcomponents, with
// the delimiters its MSH-1 and MSH-2 declare, and every value is unescaped once, here; Encode
// writes it back with the same delimiters, escaping what needs it.
package hl7

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Delimiters are a message's separators and escape character, from MSH-1 and MSH-2.
type Delimiters struct {
	Field, Component, Repetition, Escape, Subcomponent byte
	// Truncation is the fifth encoding character of HL7 2.7 and later ("#"), 0 when absent; it is
	// kept so the message is written back as it came, and otherwise has no meaning here.
	Truncation byte
}

// Default are the delimiters nearly every sender uses: |^~\&.
var Default = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// encoding is MSH-2 as written.
func (d Delimiters) encoding() string {
	b := []byte{d.Component, d.Repetition, d.Escape, d.Subcomponent}
	if d.Truncation != 0 {
		b = append(b, d.Truncation)
	}
	return string(b)
}

// Message is a parsed message: its delimiters and its segments in order.
type Message struct {
	Delimiters Delimiters
	Segments   []Segment
}

// Segment is one segment. Fields[n] is field n (SEG-n) for n >= 1; Fields[0] is empty. For MSH,
// Fields[1] holds the field separator and Fields[2] the encoding characters, as text.
type Segment struct {
	Name   string
	Fields []Field
}

// Field is a field's repetitions; an empty field has none.
type Field []Repetition

// Repetition is one occurrence of a field: its components.
type Repetition []Component

// Component is a component's subcomponents, unescaped.
type Component []string

// ParseError says where a message is wrong: the segment (its 1-based position and name) and
// the field, when known, and why.
type ParseError struct {
	Segment int    // 1-based position in the message; 0 for the message as a whole
	Name    string // segment name, when read
	Field   int    // 0 when the segment as a whole is wrong
	Reason  string
}

func (e *ParseError) Error() string {
	switch {
	case e.Segment == 0:
		return "hl7: " + e.Reason
	case e.Field == 0:
		return fmt.Sprintf("hl7: segment %d (%s): %s", e.Segment, orUnknown(e.Name), e.Reason)
	}
	return fmt.Sprintf("hl7: segment %d, %s-%d: %s", e.Segment, orUnknown(e.Name), e.Field, e.Reason)
}

func orUnknown(s string) string {
	if s == "" {
		return "unnamed"
	}
	return s
}

// Limits a message is read within: a larger one is refused, not read into memory without end.
const (
	MaxSegments = 10000
	MaxFields   = 1000 // per segment
)

// Parse reads one message. Segments end with CR, LF or CR LF (senders differ); blank lines
// are skipped. The first segment must be MSH, with a field separator and four (or five)
// distinct encoding characters.
func Parse(data []byte) (*Message, error) {
	data = bytes.TrimLeft(data, "\r\n\t ")
	if len(data) < 8 || string(data[:3]) != "MSH" {
		return nil, &ParseError{Reason: "the message does not start with an MSH segment"}
	}
	d, err := delimitersOf(data)
	if err != nil {
		return nil, err
	}
	m := &Message{Delimiters: d}
	n := 0
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		line := data
		if i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		n++
		if n > MaxSegments {
			return nil, &ParseError{Reason: fmt.Sprintf("more than %d segments", MaxSegments)}
		}
		seg, err := parseSegment(line, d, n)
		if err != nil {
			return nil, err
		}
		m.Segments = append(m.Segments, seg)
	}
	return m, nil
}

func delimitersOf(data []byte) (Delimiters, error) {
	d := Delimiters{Field: data[3]}
	bad := func(reason string) (Delimiters, error) {
		return Delimiters{}, &ParseError{Segment: 1, Name: "MSH", Field: 2, Reason: reason}
	}
	if !isDelimiter(d.Field) {
		return Delimiters{}, &ParseError{Segment: 1, Name: "MSH", Field: 1, Reason: fmt.Sprintf("field separator %q is a letter, digit, space or line end", d.Field)}
	}
	end := bytes.IndexAny(data[4:], string([]byte{d.Field, '\r', '\n'}))
	if end < 0 {
		end = len(data) - 4
	}
	enc := data[4 : 4+end]
	if len(enc) != 4 && len(enc) != 5 {
		return bad(fmt.Sprintf("encoding characters %q: want 4 (component, repetition, escape, subcomponent), or 5 with truncation", enc))
	}
	d.Component, d.Repetition, d.Escape, d.Subcomponent = enc[0], enc[1], enc[2], enc[3]
	if len(enc) == 5 {
		d.Truncation = enc[4]
	}
	seen := map[byte]bool{d.Field: true}
	for _, c := range enc {
		if !isDelimiter(c) {
			return bad(fmt.Sprintf("encoding character %q is a letter, digit, space or line end", c))
		}
		if seen[c] {
			return bad(fmt.Sprintf("encoding character %q is used twice", c))
		}
		seen[c] = true
	}
	return d, nil
}

func isDelimiter(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return false
	case c == ' ', c == '\r', c == '\n', c == '\t', c < 0x20, c >= 0x7f:
		return false
	}
	return true
}

func validName(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func parseSegment(line []byte, d Delimiters, n int) (Segment, error) {
	parts := bytes.Split(line, []byte{d.Field})
	name := string(parts[0])
	if !validName(name) {
		return Segment{}, &ParseError{Segment: n, Reason: fmt.Sprintf("segment name %q: want three capital letters or digits", clip(name))}
	}
	if len(parts) > MaxFields+1 {
		return Segment{}, &ParseError{Segment: n, Name: name, Reason: fmt.Sprintf("more than %d fields", MaxFields)}
	}
	seg := Segment{Name: name}
	if name == "MSH" && n > 1 {
		return Segment{}, &ParseError{Segment: n, Name: "MSH", Reason: "a second MSH segment: one message at a time (batches are split before parsing)"}
	}
	if name == "MSH" {
		// MSH-1 is the separator itself and MSH-2 the encoding characters: neither is split.
		seg.Fields = make([]Field, 0, len(parts)+1)
		seg.Fields = append(seg.Fields, nil, text(string(d.Field)), text(string(parts[1])))
		parts = parts[2:]
	} else {
		seg.Fields = make([]Field, 1, len(parts))
		parts = parts[1:]
	}
	for _, p := range parts {
		seg.Fields = append(seg.Fields, parseField(p, d))
	}
	return seg, nil
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

func text(s string) Field { return Field{Repetition{Component{s}}} }

func parseField(p []byte, d Delimiters) Field {
	if len(p) == 0 {
		return nil
	}
	reps := bytes.Split(p, []byte{d.Repetition})
	f := make(Field, len(reps))
	for i, r := range reps {
		comps := bytes.Split(r, []byte{d.Component})
		rep := make(Repetition, len(comps))
		for j, c := range comps {
			subs := bytes.Split(c, []byte{d.Subcomponent})
			comp := make(Component, len(subs))
			for k, s := range subs {
				comp[k] = Unescape(s, d)
			}
			rep[j] = comp
		}
		f[i] = rep
	}
	if len(f) == 1 && len(f[0]) == 1 && len(f[0][0]) == 1 && f[0][0][0] == "" {
		return nil // only an escape that decodes to nothing (\H\): an empty field, as written back
	}
	return f
}

// Unescape decodes the escape sequences of one value: \F\ \S\ \T\ \R\ \E\ stand for the
// delimiters, \Xhh..\ for bytes given in hexadecimal, \.br\ for a line break; \H\ and \N\
// (highlighting on and off) are dropped. Any other sequence, and an escape character without its
// closing one, stays as written: the text is kept rather than guessed at.
func Unescape(s []byte, d Delimiters) string {
	if bytes.IndexByte(s, d.Escape) < 0 {
		return string(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != d.Escape {
			b.WriteByte(c)
			continue
		}
		j := bytes.IndexByte(s[i+1:], d.Escape)
		if j < 0 {
			b.Write(s[i:])
			break
		}
		seq := s[i+1 : i+1+j]
		if out, ok := unescapeOne(seq, d); ok {
			b.WriteString(out)
			i += j + 1
			continue
		}
		b.WriteByte(c) // not a sequence cara knows: the escape character is kept as text
	}
	return b.String()
}

func unescapeOne(seq []byte, d Delimiters) (string, bool) {
	switch string(seq) {
	case "F":
		return string(d.Field), true
	case "S":
		return string(d.Component), true
	case "T":
		return string(d.Subcomponent), true
	case "R":
		return string(d.Repetition), true
	case "E":
		return string(d.Escape), true
	case ".br":
		return "\n", true
	case "H", "N":
		return "", true
	}
	if len(seq) >= 3 && seq[0] == 'X' && len(seq)%2 == 1 {
		out := make([]byte, 0, len(seq)/2)
		for k := 1; k < len(seq); k += 2 {
			v, err := strconv.ParseUint(string(seq[k:k+2]), 16, 8)
			if err != nil {
				return "", false
			}
			out = append(out, byte(v))
		}
		return string(out), true
	}
	return "", false
}

// Escape encodes a value for a message with delimiters d: each delimiter and the escape
// character by its sequence, a line feed as \.br\, a carriage return and other control bytes as
// \Xhh\ (a raw CR would end the segment).
func Escape(s string, d Delimiters) string {
	need := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == d.Field || c == d.Component || c == d.Repetition || c == d.Escape || c == d.Subcomponent || c < 0x20 {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	e := string(d.Escape)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == d.Field:
			b.WriteString(e + "F" + e)
		case c == d.Component:
			b.WriteString(e + "S" + e)
		case c == d.Repetition:
			b.WriteString(e + "R" + e)
		case c == d.Escape:
			b.WriteString(e + "E" + e)
		case c == d.Subcomponent:
			b.WriteString(e + "T" + e)
		case c == '\n':
			b.WriteString(e + ".br" + e)
		case c < 0x20:
			fmt.Fprintf(&b, "%sX%02X%s", e, c, e)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Encode writes the message with its delimiters, segments ended by CR as the standard says.
func (m *Message) Encode() []byte {
	d := m.Delimiters
	var b bytes.Buffer
	for _, seg := range m.Segments {
		b.WriteString(seg.Name)
		start := 1
		if seg.Name == "MSH" {
			b.WriteByte(d.Field)
			b.WriteString(d.encoding())
			start = 3
		}
		for n := start; n < len(seg.Fields); n++ {
			b.WriteByte(d.Field)
			for i, rep := range seg.Fields[n] {
				if i > 0 {
					b.WriteByte(d.Repetition)
				}
				for j, comp := range rep {
					if j > 0 {
						b.WriteByte(d.Component)
					}
					for k, sub := range comp {
						if k > 0 {
							b.WriteByte(d.Subcomponent)
						}
						b.WriteString(Escape(sub, d))
					}
				}
			}
		}
		b.WriteByte('\r')
	}
	return b.Bytes()
}

// Field returns field n of the segment (nil when absent).
func (s *Segment) Field(n int) Field {
	if n <= 0 || n >= len(s.Fields) {
		return nil
	}
	return s.Fields[n]
}

// Get returns the value of field n, component c, subcomponent sub (all 1-based) of the field's
// first repetition; "" when absent.
func (s *Segment) Get(n, c, sub int) string { return s.Field(n).First().Get(c, sub) }

// Text returns field n's first repetition's first component as text: the field when it is a
// plain value.
func (s *Segment) Text(n int) string { return s.Get(n, 1, 1) }

// First returns the field's first repetition (nil when the field is empty).
func (f Field) First() Repetition {
	if len(f) == 0 {
		return nil
	}
	return f[0]
}

// Get returns component c, subcomponent sub (1-based) of a repetition; "" when absent.
func (r Repetition) Get(c, sub int) string {
	if c <= 0 || c > len(r) || sub <= 0 || sub > len(r[c-1]) {
		return ""
	}
	return r[c-1][sub-1]
}

// Segment returns the first segment with the name, and whether there is one.
func (m *Message) Segment(name string) (*Segment, bool) {
	for i := range m.Segments {
		if m.Segments[i].Name == name {
			return &m.Segments[i], true
		}
	}
	return nil, false
}

// Type returns MSH-9 as "ORU^R01" (message code and trigger event).
func (m *Message) Type() string {
	msh, ok := m.Segment("MSH")
	if !ok {
		return ""
	}
	code, event := msh.Get(9, 1, 1), msh.Get(9, 2, 1)
	if event == "" {
		return code
	}
	return code + "^" + event
}

// ControlID returns MSH-10, the sender's id of the message.
func (m *Message) ControlID() string {
	msh, _ := m.Segment("MSH")
	if msh == nil {
		return ""
	}
	return msh.Text(10)
}
