package naaccr

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

const fastHead = `<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8">
`

// readAll reads a whole file and returns everything the reader said, as comparable values: the
// header, each patient with its problems, and the error that stopped it.
type readResult struct {
	Header   any
	Problems [][]Problem
	Patients []Patient
	Err      string
	NotKept  map[string]int
}

func readAllWith(t testing.TB, reg *Registry, r io.Reader, opt ReaderOptions, noFast bool) readResult {
	t.Helper()
	opt.Registry = reg
	var res readResult
	rd, err := newReaderForTest(r, opt, noFast)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	info := rd.Info()
	res.Header = fmt.Sprintf("%s|%v|%s|%s|%s|%v|%v|%v|%v", info.BaseDictionaryURI, info.UserDictionaryURIs, info.RecordType,
		info.SpecificationVersion, info.TimeGenerated, info.RootItems, info.Namespaces, info.Attributes, info.Extensions)
	res.Problems = append(res.Problems, append([]Problem(nil), rd.Problems()...))
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("the reader does not advance")
		}
		var p Patient
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Err = err.Error()
			break
		}
		res.Patients = append(res.Patients, p)
		res.Problems = append(res.Problems, append([]Problem(nil), rd.Problems()...))
	}
	res.NotKept = rd.Info().NotKept
	return res
}

func newReaderForTest(r io.Reader, opt ReaderOptions, noFast bool) (*Reader, error) {
	if !noFast {
		return NewReader(r, opt)
	}
	return newReader(r, opt, true)
}

// fastPathSeeds are files that exercise what the fast path takes and what it must leave.
func fastPathSeeds() []string {
	item := func(id, v string) string { return `<Item naaccrId="` + id + `">` + v + `</Item>` }
	return []string{
		fastHead + `<Item naaccrId="registryId">0000012345</Item><Patient>` + item("patientIdNumber", "00000001") + item("nameLast", "MÜLLER") +
			`<Tumor>` + item("primarySite", "C509") + item("dateOfDiagnosis", "20250230") + item("textRemarks", "a\tb\nc") + `</Tumor></Patient></NaaccrData>`,
		// References, CDATA, comments, carriage returns, ']]>' and stray characters.
		fastHead + `<Patient>` + item("nameLast", "O&apos;BRIEN") + item("nameFirst", "<![CDATA[ANN]]>") + item("nameMiddle", "A<!-- x -->B") +
			item("textRemarks", "a\r\nb") + item("nameAlias", "x]]>y") + item("nameMaiden", "x]y") + `</Patient></NaaccrData>`,
		// Unknown items, wrong levels, duplicates, empty values, spaces, naaccrNum, bad types.
		fastHead + `<Patient>` + item("noSuchItem", "1") + item("primarySite", "C509") + item("nameLast", "A") + item("nameLast", "B") +
			item("nameFirst", "") + item("nameSuffix", "  JR  ") + `<Item naaccrId="race1" naaccrNum="160">01</Item>` + item("race2", "1") +
			`<Item  naaccrId="race3">01</Item><Item naaccrId='race4'>01</Item><Item naaccrId="race5" >01</Item><Item naaccrId="sex"/>` +
			item("dateOfBirth", "1990") + item("ageAtDiagnosis", "x") + `<Tumor>` + item("sequenceNumberCentral", "1") + `</Tumor></Patient></NaaccrData>`,
		// Namespaces: another default namespace, prefixed NAACCR elements, extensions.
		fastHead + `<Patient xmlns:o="urn:other">` + item("nameLast", "A") + `<o:x>` + item("nameFirst", "B") + `</o:x>` +
			`<Tumor xmlns="urn:other">` + item("primarySite", "C509") + `</Tumor></Patient></NaaccrData>`,
		strings.Replace(fastHead, ` xmlns="http://naaccr.org/naaccrxml"`, ``, 1) + `<Patient>` + item("nameLast", "A") + `</Patient></NaaccrData>`,
		fastHead + `<Patient>` + item("nameLast", "A") + `</Patient>` + item("registryId", "1") + `</NaaccrData>`,
		fastHead + `<Patient>` + item("nameLast", "A") + ` x ` + item("nameFirst", "B") + `</Patient></NaaccrData>`,
		fastHead + `<Patient>` + item("nameLast", "A") + "\x01" + `</Patient></NaaccrData>`,
		fastHead + `<Patient>` + item("nameLast", "A\x7f") + item("nameFirst", "\xff") + `</Patient></NaaccrData>`,
		fastHead + `<Patient>` + item("nameLast", "A") + `<Item naaccrId="nameFirst">B</Itemx></Patient></NaaccrData>`,
		fastHead + `<Patient>` + item("nameLast", "A") + `<Item naaccrId="nameFirst">B`,
		fastHead + "<Patient>\r\n    " + item("nameLast", "A") + "\r\n</Patient>\r\n</NaaccrData>\r\n",
	}
}

// FuzzReaderFastPathMatchesTokens: the fast path for plain Item elements gives the same patients,
// problems (with their positions) and errors as reading every element from the scanner's tokens,
// whether the input arrives whole or a byte at a time (items split across reads); a check-only
// read reports the same problems.
func FuzzReaderFastPathMatchesTokens(f *testing.F) {
	for _, s := range fastPathSeeds() {
		f.Add([]byte(s), false)
	}
	paths, _ := filepath.Glob("../../testdata/naaccr/conformance/*/*.xml")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, false)
			f.Add(b, true)
		}
	}
	reg := testRegistryInternal(f)
	f.Fuzz(func(t *testing.T, data []byte, relaxed bool) {
		opt := ReaderOptions{Relaxed: relaxed, KeepExtensions: len(data)%2 == 0}
		slow := readAllWith(t, reg, bytes.NewReader(data), opt, true)
		fast := readAllWith(t, reg, bytes.NewReader(data), opt, false)
		if !reflect.DeepEqual(slow, fast) {
			t.Fatalf("fast path differs:\ntokens: %+v\nfast:   %+v", slow, fast)
		}
		oneByte := readAllWith(t, reg, iotest.OneByteReader(bytes.NewReader(data)), opt, false)
		if !reflect.DeepEqual(slow, oneByte) {
			t.Fatalf("fast path a byte at a time differs:\ntokens: %+v\nfast:   %+v", slow, oneByte)
		}
		opt.CheckOnly = true
		check := readAllWith(t, reg, bytes.NewReader(data), opt, false)
		if !reflect.DeepEqual(slow.Problems, check.Problems) || slow.Err != check.Err || len(slow.Patients) != len(check.Patients) {
			t.Fatalf("check-only read differs:\nfull:  %+v\ncheck: %+v", slow, check)
		}
		for i, p := range check.Patients {
			if len(p.Items) > 0 || len(p.Tumors) != len(slow.Patients[i].Tumors) {
				t.Fatalf("check-only patient %d: %d items, %d tumors (want none, %d)", i+1, len(p.Items), len(p.Tumors), len(slow.Patients[i].Tumors))
			}
		}
	})
}

// TestReaderFastPathTakesPlainItems makes sure the fast path is taken at all (a test of equality
// alone would pass if it never were), and that the seeds read the same both ways.
func TestReaderFastPathTakesPlainItems(t *testing.T) {
	reg := testRegistryInternal(t)
	for i, s := range fastPathSeeds() {
		slow := readAllWith(t, reg, strings.NewReader(s), ReaderOptions{}, true)
		fast := readAllWith(t, reg, strings.NewReader(s), ReaderOptions{}, false)
		if !reflect.DeepEqual(slow, fast) {
			t.Errorf("seed %d: fast path differs:\ntokens: %+v\nfast:   %+v", i, slow, fast)
		}
	}
	rd, err := NewReader(strings.NewReader(fastPathSeeds()[0]), ReaderOptions{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	var p Patient
	if err := rd.Next(&p); err != nil {
		t.Fatal(err)
	}
	if rd.plainItems != 6 {
		t.Errorf("plain items read by the fast path: %d, want 6", rd.plainItems)
	}
	if p.Items["nameLast"] != "MÜLLER" || p.Tumors[0].Items["textRemarks"] != "a\tb\nc" {
		t.Errorf("values: %q %q", p.Items["nameLast"], p.Tumors[0].Items["textRemarks"])
	}
}

func testRegistryInternal(t testing.TB) *Registry {
	t.Helper()
	reg, err := LoadRegistry(os.DirFS("../../schemas"))
	if err != nil {
		t.Fatal(err)
	}
	user, err := LoadDictionaryFile("../../schemas/dictionaries/example-user-dictionary.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(user); err != nil {
		t.Fatal(err)
	}
	return reg
}
