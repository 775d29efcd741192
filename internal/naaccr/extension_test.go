package naaccr_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
)

// readKeeping reads a file with KeepExtensions.
func readKeeping(t *testing.T, reg *naaccr.Registry, data []byte, relaxed bool) (*naaccr.FileInfo, []naaccr.Patient) {
	t.Helper()
	r, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg, Relaxed: relaxed, KeepExtensions: true})
	if err != nil {
		t.Fatal(err)
	}
	var pats []naaccr.Patient
	for {
		var p naaccr.Patient
		err := r.Next(&p)
		if errors.Is(err, io.EOF) {
			return r.Info(), pats
		}
		if err != nil {
			t.Fatal(err)
		}
		pats = append(pats, p)
	}
}

const outerTag = "<other:MyOuterTag>\n        <other:MyInnerTag>Something</other:MyInnerTag>\n    </other:MyOuterTag>"

func TestReaderKeepsExtensionsAndRootAttributesWhenAsked(t *testing.T) {
	reg := testRegistry(t)
	read := func(name string) (*naaccr.FileInfo, []naaccr.Patient) {
		data, err := os.ReadFile("../../testdata/naaccr/conformance/valid/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return readKeeping(t, reg, data, false)
	}
	other := []naaccr.NamespaceDecl{{Prefix: "other", URI: "http://whatever.org"}}

	info, pats := read("valid_user-extensions-1.xml")
	if !reflect.DeepEqual(info.Namespaces, other) || len(info.Extensions) != 1 || info.Extensions[0].XML != outerTag || len(pats[0].Extensions) != 0 {
		t.Errorf("root extension: namespaces %v, extensions %q", info.Namespaces, info.Extensions)
	}
	_, pats = read("valid_user-extensions-2.xml")
	if len(pats[0].Extensions) != 1 || !strings.HasPrefix(pats[0].Extensions[0].XML, "<other:MyOuterTag>") || len(pats[0].Tumors[0].Extensions) != 0 {
		t.Errorf("patient extension: %q", pats[0].Extensions)
	}
	_, pats = read("valid_user-extensions-3.xml")
	if len(pats[0].Tumors[0].Extensions) != 1 || !strings.HasSuffix(pats[0].Tumors[0].Extensions[0].XML, "</other:MyOuterTag>") {
		t.Errorf("tumor extension: %q", pats[0].Tumors[0].Extensions)
	}
	info, _ = read("valid_user-attributes-1.xml")
	if want := []naaccr.Attribute{{Prefix: "other", Local: "otherAttribute", Value: "XXX"}}; !reflect.DeepEqual(info.Attributes, want) || len(info.NotKept) != 0 {
		t.Errorf("root attributes %v, not kept %v; want %v", info.Attributes, info.NotKept, want)
	}
}

func TestReaderGivesAKeptExtensionTheNamespacesOfItsPatient(t *testing.T) {
	reg := testRegistry(t)
	doc := fileHead + `<Patient xmlns:p="urn:p"><p:Ext a="1"><p:In/></p:Ext><q:Own xmlns:q="urn:q" xmlns:p="urn:p2"/></Patient>
<Patient><n:Tumor xmlns:n="http://naaccr.org/naaccrxml" xmlns="urn:default"><Ext/></n:Tumor></Patient></NaaccrData>`
	_, pats := readKeeping(t, reg, []byte(doc), false)
	got := []string{pats[0].Extensions[0].XML, pats[0].Extensions[1].XML, pats[1].Tumors[0].Extensions[0].XML}
	want := []string{`<p:Ext xmlns:p="urn:p" a="1"><p:In/></p:Ext>`, `<q:Own xmlns:q="urn:q" xmlns:p="urn:p2"/>`, `<Ext xmlns="urn:default" xmlns:n="http://naaccr.org/naaccrxml"/>`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kept %q\nwant %q", got, want)
	}
}

func TestReaderCountsWhatItCannotKeep(t *testing.T) {
	reg := testRegistry(t)
	big := strings.Repeat("x", naaccr.MaxExtensionBytes+1)
	doc := strings.Replace(fileHead, `specificationVersion="1.8"`, `specificationVersion="1.8" loose="1" u:attr="2" xmlns:o="urn:o"`, 1) +
		`<Patient><o:Big>` + big + `</o:Big><o:Loose><u:x/></o:Loose><o:Fine/></Patient></NaaccrData>`
	info, pats := readKeeping(t, reg, []byte(doc), true)
	want := map[string]int{
		"root attribute loose (it has no namespace)":                                       1,
		"root attribute u:attr (its namespace prefix is not declared)":                     1,
		"extension element <o:Big> in <Patient>: it is larger than 1048576 bytes":          1,
		"extension element <o:Loose> in <Patient>: it uses an undeclared namespace prefix": 1,
	}
	if !reflect.DeepEqual(info.NotKept, want) {
		t.Errorf("not kept %v\nwant %v", info.NotKept, want)
	}
	if len(pats) != 1 || len(pats[0].Extensions) != 1 || pats[0].Extensions[0].XML != "<o:Fine/>" {
		t.Errorf("kept %+v", pats)
	}
}

func TestWriterCarriesRootAttributesAndExtensions(t *testing.T) {
	reg := testRegistry(t)
	dict, _ := reg.Lookup(naaccr.BaseDictionaryURI("260"))
	h := naaccr.Header{
		RecordType: "I",
		Namespaces: []naaccr.NamespaceDecl{{Prefix: "other", URI: "http://whatever.org"}},
		Attributes: []naaccr.Attribute{{Prefix: "other", Local: "otherAttribute", Value: `a "b" & c`}},
		Extensions: []naaccr.Extension{{XML: outerTag}},
	}
	var buf bytes.Buffer
	w, err := naaccr.NewWriter(&buf, dict, h)
	if err != nil {
		t.Fatal(err)
	}
	p := naaccr.Patient{
		Items:      map[string]string{"patientIdNumber": "00000001"},
		Extensions: []naaccr.Extension{{XML: `<p:Ext xmlns:p="urn:p" a="1"><p:In/></p:Ext>`}},
		Tumors:     []naaccr.Tumor{{Items: map[string]string{"primarySite": "C509"}, Extensions: []naaccr.Extension{{XML: `<other:T/>`}}}},
	}
	if err := w.WritePatient(&p); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	info, pats := readKeeping(t, reg, buf.Bytes(), false)
	if !reflect.DeepEqual(info.Namespaces, h.Namespaces) || !reflect.DeepEqual(info.Attributes, h.Attributes) || !reflect.DeepEqual(info.Extensions, h.Extensions) {
		t.Errorf("read back namespaces %v, attributes %v, extensions %v\n%s", info.Namespaces, info.Attributes, info.Extensions, buf.String())
	}
	if len(pats) != 1 || !reflect.DeepEqual(pats[0].Extensions, p.Extensions) || !reflect.DeepEqual(pats[0].Tumors[0].Extensions, p.Tumors[0].Extensions) {
		t.Errorf("read back %+v\n%s", pats, buf.String())
	}
}

func TestWriterRefusesExtensionsThatWouldBreakTheFile(t *testing.T) {
	reg := testRegistry(t)
	dict, _ := reg.Lookup(naaccr.BaseDictionaryURI("260"))
	ns := []naaccr.NamespaceDecl{{Prefix: "o", URI: "urn:o"}}
	tests := []struct {
		name string
		h    naaccr.Header
		ext  string // a patient's extension, when not empty
		want string
	}{
		{"not well formed", naaccr.Header{Namespaces: ns}, `<o:a><o:b></o:a>`, "does not match"},
		{"two elements", naaccr.Header{Namespaces: ns}, `<o:a/><o:b/>`, "2 elements"},
		{"text", naaccr.Header{Namespaces: ns}, `text<o:a/>`, "text outside"},
		{"NAACCR namespace", naaccr.Header{Namespaces: ns}, `<Item naaccrId="x">1</Item>`, "not in a namespace of its own"},
		{"undeclared prefix", naaccr.Header{}, `<o:a/>`, "not declared"},
		{"end of the root", naaccr.Header{Namespaces: ns}, `<o:a/></NaaccrData><NaaccrData>`, ""},
		{"attribute without its namespace", naaccr.Header{Attributes: []naaccr.Attribute{{Prefix: "o", Local: "a", Value: "1"}}}, "", "not declared"},
		{"attribute in the NAACCR namespace", naaccr.Header{Namespaces: []naaccr.NamespaceDecl{{Prefix: "n", URI: naaccr.Namespace}}, Attributes: []naaccr.Attribute{{Prefix: "n", Local: "a"}}}, "", "NAACCR namespace"},
		{"prefix xmlns", naaccr.Header{Namespaces: []naaccr.NamespaceDecl{{Prefix: "xmlns", URI: "urn:x"}}}, "", "cannot be declared"},
		{"bad prefix", naaccr.Header{Namespaces: []naaccr.NamespaceDecl{{Prefix: `a="1"`, URI: "urn:x"}}}, "", "cannot be declared"},
		{"bad attribute name", naaccr.Header{Namespaces: ns, Attributes: []naaccr.Attribute{{Prefix: "o", Local: `a="1" b`}}}, "", "not an XML name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.h.RecordType = "A"
			var buf bytes.Buffer
			w, err := naaccr.NewWriter(&buf, dict, tc.h)
			if err == nil && tc.ext != "" {
				err = w.WritePatient(&naaccr.Patient{Extensions: []naaccr.Extension{{XML: tc.ext}}})
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// FuzzKeptExtensionsRoundTrip: whatever a reader keeps (root namespaces, attributes and
// extension elements), the writer accepts and a reader reads back the same.
func FuzzKeptExtensionsRoundTrip(f *testing.F) {
	for _, name := range []string{"valid_user-attributes-1.xml", "valid_user-extensions-1.xml", "valid_user-extensions-2.xml", "valid_user-extensions-3.xml", "valid_namespace-with-prefix-1.xml"} {
		if b, err := os.ReadFile("../../testdata/naaccr/conformance/valid/" + name); err == nil {
			f.Add(b, false)
		}
	}
	f.Add([]byte(fileHead+`<Patient xmlns:p="urn:p"><p:Ext a="1&amp;"><p:In><![CDATA[x]]></p:In><!-- c --></p:Ext></Patient><Patient><n:Tumor xmlns:n="http://naaccr.org/naaccrxml" xmlns="urn:d"><Ext/></n:Tumor></Patient></NaaccrData>`), false)
	f.Add([]byte(`<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" xmlns:o="urn:o" o:a="&#x7F;"><o:E><x/></o:E><Patient><o:F u:v="1"/></Patient></NaaccrData>`), true)
	reg := testRegistry(f)
	dict, _ := reg.Lookup(naaccr.BaseDictionaryURI("260"))
	f.Fuzz(func(t *testing.T, data []byte, relaxed bool) {
		r, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg, Relaxed: relaxed, KeepExtensions: true})
		if err != nil {
			return
		}
		var pats []naaccr.Patient
		for {
			var p naaccr.Patient
			if err := r.Next(&p); err != nil {
				if !errors.Is(err, io.EOF) {
					return
				}
				break
			}
			kept := naaccr.Patient{Extensions: p.Extensions}
			for _, tu := range p.Tumors {
				kept.Tumors = append(kept.Tumors, naaccr.Tumor{Extensions: tu.Extensions})
			}
			pats = append(pats, kept)
		}
		info := r.Info()
		h := naaccr.Header{RecordType: "A", Namespaces: info.Namespaces, Attributes: info.Attributes, Extensions: info.Extensions}
		var buf bytes.Buffer
		w, err := naaccr.NewWriter(&buf, dict, h)
		if err != nil {
			t.Fatalf("the writer refuses what the reader kept: %v", err)
		}
		for i := range pats {
			if err := w.WritePatient(&pats[i]); err != nil {
				t.Fatalf("the writer refuses what the reader kept: %v", err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		info2, pats2 := readKeeping(t, reg, buf.Bytes(), false)
		if !reflect.DeepEqual(info2.Attributes, info.Attributes) || len(info2.Extensions) != len(info.Extensions) || len(pats2) != len(pats) {
			t.Fatalf("read back attributes %v extensions %d patients %d; wrote %v, %d, %d", info2.Attributes, len(info2.Extensions), len(pats2), info.Attributes, len(info.Extensions), len(pats))
		}
		for i := range pats {
			if len(pats2[i].Extensions) != len(pats[i].Extensions) || len(pats2[i].Tumors) != len(pats[i].Tumors) {
				t.Fatalf("patient %d read back with %d extensions, written with %d", i+1, len(pats2[i].Extensions), len(pats[i].Extensions))
			}
		}
	})
}
