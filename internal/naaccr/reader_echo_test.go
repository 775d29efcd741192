package naaccr_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
)

// maxMessage is the longest message a problem may have whatever the input: messages quote at
// most a few hundred characters of it.
const maxMessage = 1000

func TestReaderMessagesQuoteHugeInputShortly(t *testing.T) {
	reg := testRegistry(t)
	big := strings.Repeat("A", 1<<20)
	root := `<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8"`
	tests := []struct{ name, doc string }{
		{"attribute name without a value", root + ` ` + big + `></NaaccrData>`},
		{"root attribute outside NAACCR XML", root + ` ` + big + `="1"></NaaccrData>`},
		{"attribute with an undeclared prefix", root + ` p:` + big + `="1"></NaaccrData>`},
		{"duplicate attribute", root + ` ` + big + `="1" ` + big + `="2"></NaaccrData>`},
		{"root element name", `<` + big + `/>`},
		{"element name in a patient", root + `><Patient><` + big + `/></Patient></NaaccrData>`},
		{"end tag that does not match", root + `><Patient></` + big + `></NaaccrData>`},
		{"unclosed element", root + `><` + big + ` xmlns="urn:x">`},
		{"record type value", strings.Replace(root, `recordType="A"`, `recordType="`+big+`"`, 1) + `></NaaccrData>`},
		{"base dictionary value", strings.Replace(root, `naaccr-dictionary-260.xml`, big, 1) + `></NaaccrData>`},
		{"namespace value", strings.Replace(root, `xmlns="http://naaccr.org/naaccrxml"`, `xmlns="`+big+`"`, 1) + `></NaaccrData>`},
		{"item attribute", root + `><Patient><Item naaccrId="race1" ` + big + `="1">01</Item></Patient></NaaccrData>`},
		{"patient attribute", root + `><Patient ` + big + `="1"/></NaaccrData>`},
		{"text in a patient", root + `><Patient>` + big + `</Patient></NaaccrData>`},
		{"encoding", `<?xml version="1.0" encoding="` + big + `"?>` + root + `/>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := readAll(t, reg, []byte(tc.doc), false)
			if err == nil {
				t.Fatal("read without error")
			}
			if n := len(err.Error()); n > maxMessage {
				t.Errorf("message of %d bytes: %.200s…", n, err.Error())
			}
		})
	}
}

func TestReaderDataProblemsQuoteHugeInputShortly(t *testing.T) {
	reg := testRegistry(t)
	big := strings.Repeat("A", 1<<20)
	tests := []struct{ name, body string }{
		{"unknown item id", `<Patient><Item naaccrId="` + big + `">1</Item></Patient>`},
		{"naaccrNum", `<Patient><Item naaccrId="race1" naaccrNum="` + big + `">01</Item></Patient>`},
		{"unknown item value", `<Patient><Item naaccrId="noSuchItem">` + big + `</Item></Patient>`},
		{"too long value", `<Patient><Item naaccrId="nameLast">` + big + `</Item></Patient>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, probs, err := readAll(t, reg, []byte(fileHead+tc.body+"</NaaccrData>"), false)
			if err != nil || len(probs) == 0 {
				t.Fatalf("err %v, problems %d", err, len(probs))
			}
			for _, p := range probs {
				if n := len(p.Error()) + len(p.Value) + len(p.Item); n > maxMessage {
					t.Errorf("problem of %d bytes: %.200s…", n, p.Error())
				}
			}
		})
	}
	head := strings.Replace(fileHead, `specificationVersion="1.8"`, `specificationVersion="1.8" timeGenerated="`+big+`"`, 1)
	_, _, probs, err := readAll(t, reg, []byte(head+"</NaaccrData>"), false)
	if err != nil || len(probs) != 1 || len(probs[0].Error())+len(probs[0].Value) > maxMessage {
		t.Errorf("timeGenerated of 1 MB: err %v, %d problems", err, len(probs))
	}
}

// TestReaderRefusesA50MBAttributeNameWithAShortMessage is the probe's case: a 50 MB attribute
// name made a 100 MB message. The message is short now, and reading the file allocates about
// what holding the name takes (the scanner's buffer), not several times more.
func TestReaderRefusesA50MBAttributeNameWithAShortMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 50 MB")
	}
	reg := testRegistry(t)
	doc := []byte(`<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" ` +
		strings.Repeat("A", 50<<20) + `></NaaccrData>`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := naaccr.NewReader(bytes.NewReader(doc), naaccr.ReaderOptions{Registry: reg})
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("read without error")
	}
	if n := len(err.Error()); n > maxMessage {
		t.Errorf("message of %d bytes", n)
	}
	// The scanner's buffer doubles up to 64 MB to hold the name: about 128 MB in all.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("reading a %d MB file allocated %d MB; message of %d bytes", len(doc)>>20, alloc>>20, len(err.Error()))
	if alloc > 3*uint64(len(doc)) {
		t.Errorf("reading allocated %d MB for a %d MB file", alloc>>20, len(doc)>>20)
	}
}

func TestParseDictionaryMessagesQuoteHugeInputShortly(t *testing.T) {
	big := strings.Repeat("A", 1<<20)
	item := func(attrs string) string {
		return `<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml" dictionaryUri="urn:x" specificationVersion="1.8"><ItemDefs>` +
			`<ItemDef ` + attrs + `/></ItemDefs></NaaccrDictionary>`
	}
	tests := []struct{ name, doc string }{
		{"naaccrId", item(`naaccrId="a` + big + `" naaccrNum="10001" length="1" parentXmlElement="Patient"`)},
		{"length", item(`naaccrId="a" naaccrNum="10001" length="` + big + `" parentXmlElement="Patient"`)},
		{"dataType", item(`naaccrId="a" naaccrNum="10001" length="1" parentXmlElement="Patient" dataType="` + big + `"`)},
		{"dictionaryUri", strings.Replace(item(`naaccrId="a" naaccrNum="1" length="1" parentXmlElement="Nowhere"`), "urn:x", big, 1)},
		{"XML syntax", `<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml"><` + big + `></NaaccrDictionary>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := naaccr.ParseDictionary(strings.NewReader(tc.doc))
			if err == nil {
				t.Fatal("parsed without error")
			}
			if n := len(err.Error()); n > maxMessage {
				t.Errorf("message of %d bytes: %.200s…", n, err.Error())
			}
		})
	}
}
