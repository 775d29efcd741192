package naaccr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stricterThanEncodingXML lists what the scanner refuses on purpose although encoding/xml
// accepts it: a NAACCR file must be a single, namespace-correct document without a DTD.
var stricterThanEncodingXML = []string{
	"appears twice",               // duplicate attributes (a well-formedness error encoding/xml misses)
	"is not declared",             // unbound namespace prefixes
	"empty URI",                   // xmlns:p=""
	"DOCTYPE",                     // no DTDs
	"expected a comment or CDATA", // other <! declarations
	"second root",                 // exactly one root element
	"root element",                // text outside the root, or no root
	"']]>'",                       // ]]> in text
	"not a valid element name",    // names: encoding/xml follows older XML name tables
	"expected an attribute name",
	"not a valid attribute name", // namespace well-formedness of attribute names
	"processing instruction",     // PI targets
	"XML declaration",
	"XML version",
	"not supported", // encodings other than UTF-8
	"CDATA section outside",
	"nested more than",
	"expected a space before an attribute", // XML requires it; encoding/xml does not
	"in a comment",                         // characters in comments: encoding/xml does not check them
}

// scanTokens tokenizes data with the scanner into a canonical text form.
func scanTokens(data []byte) (string, error) {
	s := newXMLScanner(bytes.NewReader(data))
	var out strings.Builder
	var text []byte
	flush := func() {
		if len(text) > 0 {
			fmt.Fprintf(&out, "T%q\n", text)
			text = text[:0]
		}
	}
	for {
		if err := s.next(); err != nil {
			return out.String(), err
		}
		switch s.kind {
		case tokText:
			text = append(text, s.text...)
		case tokStart:
			flush()
			fmt.Fprintf(&out, "S{%s}%s", s.space, s.local)
			for _, a := range s.attrs {
				if string(a.prefix) == "xmlns" || (len(a.prefix) == 0 && string(a.local) == "xmlns") {
					continue
				}
				fmt.Fprintf(&out, " {%s}%s=%q", a.space, a.local, normSpace(string(a.value)))
			}
			out.WriteString("\n")
		case tokEnd:
			flush()
			fmt.Fprintf(&out, "E{%s}%s\n", s.space, s.local)
		case tokEOF:
			flush()
			return out.String(), nil
		}
	}
}

// stdTokens tokenizes data with encoding/xml into the same form.
func stdTokens(data []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var out strings.Builder
	var text []byte
	depth := 0
	flush := func() {
		if len(text) > 0 {
			fmt.Fprintf(&out, "T%q\n", text)
			text = text[:0]
		}
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			flush()
			return out.String(), nil
		}
		if err != nil {
			return out.String(), err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if depth > 0 {
				text = append(text, t...)
			}
		case xml.StartElement:
			flush()
			depth++
			fmt.Fprintf(&out, "S{%s}%s", normSpace(t.Name.Space), t.Name.Local)
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				space := normSpace(a.Name.Space)
				fmt.Fprintf(&out, " {%s}%s=%q", space, a.Name.Local, normSpace(a.Value))
			}
			out.WriteString("\n")
		case xml.EndElement:
			flush()
			depth--
			fmt.Fprintf(&out, "E{%s}%s\n", normSpace(t.Name.Space), t.Name.Local)
		}
	}
}

// normSpace makes attribute values (and the namespace URIs declared in them) comparable: XML
// turns whitespace characters in attribute values into spaces, encoding/xml keeps them.
func normSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func seedCorpus(f *testing.F) {
	paths, _ := filepath.Glob("../../testdata/naaccr/conformance/*/*.xml")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<a x="1" y='2'>t&amp;<![CDATA[c]]><!-- c --><b/></a>`))
	f.Add([]byte("<a>\r\n&#x41;&#66;é</a>"))
}

// FuzzScannerMatchesEncodingXML keeps the fast scanner honest: whatever encoding/xml refuses, the
// scanner refuses; what both accept gives the same elements, attributes and text; and the
// scanner refuses more only for the reasons listed in stricterThanEncodingXML.
func FuzzScannerMatchesEncodingXML(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			return // encoding/xml does not skip a byte order mark
		}
		got, gotErr := scanTokens(data)
		want, wantErr := stdTokens(data)
		switch {
		case wantErr != nil && gotErr == nil:
			t.Fatalf("scanner accepts what encoding/xml refuses (%v):\n%q", wantErr, data)
		case gotErr != nil && wantErr == nil:
			for _, s := range stricterThanEncodingXML {
				if strings.Contains(gotErr.Error(), s) {
					return
				}
			}
			t.Fatalf("scanner refuses what encoding/xml accepts: %v\n%q", gotErr, data)
		case gotErr == nil && got != want:
			t.Fatalf("tokens differ for %q:\nscanner:\n%s\nencoding/xml:\n%s", data, got, want)
		}
		if gotErr != nil {
			var xe *xmlError
			if !errors.As(gotErr, &xe) || xe.line < 1 || xe.col < 1 {
				t.Fatalf("error without a position: %v", gotErr)
			}
		}
	})
}
