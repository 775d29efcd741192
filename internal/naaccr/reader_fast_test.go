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
	defer rd.Close()
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

// manyPatients makes a file of n patients from the seeds' kinds of content, with something odd
// (a comment, CDATA, an extension, a nested Patient, a data problem) in some of them.
func manyPatients(n int, odd func(i int) string) string {
	var b strings.Builder
	b.WriteString(fastHead)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    <Patient>\n        <Item naaccrId=\"patientIdNumber\">%08d</Item>\n%s        <Tumor>\n            <Item naaccrId=\"primarySite\">C509</Item>\n        </Tumor>\n    </Patient>\n", i, odd(i))
	}
	b.WriteString("</NaaccrData>\n")
	return b.String()
}

func parallelSeeds() []string {
	odd := []string{
		"", "<!-- </Patient> -->", "<Item naaccrId=\"nameLast\"><![CDATA[</Patient>]]></Item>", "<?pi </Patient>?>",
		`<o:x xmlns:o="urn:o"><Patient></Patient></o:x>`, `<Item naaccrId="dateOfBirth">19991399</Item>`, `<Item naaccrId="nameLast">A&amp;B</Item>`,
		`<o:x xmlns:o="urn:o"></Patient>`, `<Item naaccrId="nameLast" x="</Patient>">A</Item>`, "\r\n", `<Item naaccrId="nameLast">A</Item><Item naaccrId="nameLast">B</Item>`,
	}
	var seeds []string
	for k, o := range odd {
		seeds = append(seeds, manyPatients(12, func(i int) string {
			if i == 5 || (k%2 == 0 && i == 9) {
				return o + "\n"
			}
			return ""
		}))
	}
	seeds = append(seeds, manyPatients(3, func(int) string { return "" })+"<Patient>", fastHead+"<Patient/><Patient></Patient><n:Patient xmlns:n=\"http://naaccr.org/naaccrxml\"></n:Patient></NaaccrData>")
	return seeds
}

// FuzzParallelReaderMatchesOne: a reader with workers gives the same patients, problems (with
// their positions) and errors, in the same order, as one reading on the caller's goroutine,
// whether the input arrives whole or a byte at a time.
func FuzzParallelReaderMatchesOne(f *testing.F) {
	for _, s := range append(parallelSeeds(), fastPathSeeds()...) {
		f.Add([]byte(s), false)
	}
	paths, _ := filepath.Glob("../../testdata/naaccr/conformance/*/*.xml")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, len(b)%2 == 0)
		}
	}
	reg := testRegistryInternal(f)
	f.Fuzz(func(t *testing.T, data []byte, relaxed bool) {
		opt := ReaderOptions{Relaxed: relaxed, CheckOnly: len(data)%3 == 0}
		one := readAllWith(t, reg, bytes.NewReader(data), opt, false)
		opt.Workers = 3
		par := readAllWith(t, reg, bytes.NewReader(data), opt, false)
		if !reflect.DeepEqual(one, par) {
			t.Fatalf("with workers:\none:     %+v\nworkers: %+v", one, par)
		}
		par = readAllWith(t, reg, iotest.OneByteReader(bytes.NewReader(data)), opt, false)
		if !reflect.DeepEqual(one, par) {
			t.Fatalf("with workers, a byte at a time:\none:     %+v\nworkers: %+v", one, par)
		}
	})
}

// TestParallelReaderSplitsPatientsOff makes sure the workers get patients at all, and that a
// reader closed half-way stops.
func TestParallelReaderSplitsPatientsOff(t *testing.T) {
	reg := testRegistryInternal(t)
	file := manyPatients(200, func(i int) string {
		if i%50 == 7 {
			return "<!-- a comment: this one is parsed by the splitter -->\n"
		}
		return ""
	})
	rd, err := NewReader(strings.NewReader(file), ReaderOptions{Registry: reg, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rd.par == nil {
		t.Fatal("no workers started")
	}
	var p Patient
	for i := 0; i < 200; i++ {
		if err := rd.Next(&p); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%08d", i); p.Items["patientIdNumber"] != want || len(p.Tumors) != 1 {
			t.Fatalf("patient %d: %v, %d tumors", i+1, p.Items, len(p.Tumors))
		}
	}
	if err := rd.Next(&p); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last patient: %v", err)
	}
	if n := rd.par.splitOff.Load(); n != 196 {
		t.Errorf("%d patients went to the workers, want 196 (all but the 4 with a comment)", n)
	}
	rd, err = NewReader(strings.NewReader(file), ReaderOptions{Registry: reg, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.Next(&p); err != nil {
		t.Fatal(err)
	}
	rd.Close()
	if err := rd.Next(&p); err == nil {
		t.Fatal("Next after Close gave a patient")
	}
}
