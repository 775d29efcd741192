package naaccr_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
)

func testRegistry(t testing.TB) *naaccr.Registry {
	t.Helper()
	reg, err := naaccr.LoadRegistry(os.DirFS("../../schemas"))
	if err != nil {
		t.Fatal(err)
	}
	user, err := naaccr.LoadDictionaryFile("../../schemas/dictionaries/example-user-dictionary.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(user); err != nil {
		t.Fatal(err)
	}
	return reg
}

// readAll reads a whole file, returning the patients (copied), the data problems and the first
// fatal error.
func readAll(t testing.TB, reg *naaccr.Registry, data []byte, relaxed bool) (*naaccr.FileInfo, []naaccr.Patient, []naaccr.Problem, error) {
	t.Helper()
	r, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg, Relaxed: relaxed})
	if err != nil {
		return nil, nil, nil, err
	}
	probs := append([]naaccr.Problem(nil), r.Problems()...)
	var pats []naaccr.Patient
	var p naaccr.Patient
	for {
		err := r.Next(&p)
		if errors.Is(err, io.EOF) {
			return r.Info(), pats, probs, nil
		}
		if err != nil {
			return r.Info(), pats, probs, err
		}
		probs = append(probs, r.Problems()...)
		pats = append(pats, clonePatient(p))
	}
}

func clonePatient(p naaccr.Patient) naaccr.Patient {
	c := naaccr.Patient{Items: map[string]string{}}
	for k, v := range p.Items {
		c.Items[k] = v
	}
	for _, t := range p.Tumors {
		ct := naaccr.Tumor{Items: map[string]string{}}
		for k, v := range t.Items {
			ct.Items[k] = v
		}
		c.Tumors = append(c.Tumors, ct)
	}
	return c
}

func conformanceFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("../../testdata/naaccr/conformance", dir, "*.xml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no conformance files in %s: %v", dir, err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func TestReaderAcceptsValidConformanceFiles(t *testing.T) {
	reg := testRegistry(t)
	for name, data := range conformanceFiles(t, "valid") {
		t.Run(name, func(t *testing.T) {
			for _, relaxed := range []bool{false, true} {
				info, pats, probs, err := readAll(t, reg, data, relaxed)
				if err != nil {
					t.Fatalf("relaxed=%v: %v", relaxed, err)
				}
				if len(probs) > 0 {
					t.Errorf("relaxed=%v: problems %v", relaxed, probs)
				}
				if info.BaseDictionaryURI == "" || info.RecordType == "" {
					t.Errorf("header not read: %+v", info)
				}
				if len(pats) > 0 && pats[0].Items["patientIdNumber"] != "00000001" {
					t.Errorf("first patientIdNumber = %q", pats[0].Items["patientIdNumber"])
				}
			}
		})
	}
}

func TestReaderRejectsInvalidConformanceFiles(t *testing.T) {
	reg := testRegistry(t)
	// What each file's error must name.
	want := map[string]string{
		"invalid_bad-attribute-1.xml":                    `<Patient> has attribute "someAttribute"`,
		"invalid_bad-attribute-2.xml":                    `<Tumor> has attribute "someAttribute"`,
		"invalid_bad-tag-1.xml":                          "<NaaccrDat>",
		"invalid_bad-tag-2.xml":                          "<Patien>",
		"invalid_bad-tag-3.xml":                          "<Tumo>",
		"invalid_bad-tag-4.xml":                          "<Ite>",
		"invalid_extension-missing-namespace-1.xml":      "unexpected element <MySpecialData> in <NaaccrData> (expected Item or Patient; an extension needs a namespace of its own)",
		"invalid_garbage-1.xml":                          "not a NAACCR XML document",
		"invalid_missing-required-attribute-1.xml":       "baseDictionaryUri",
		"invalid_namespace-1.xml":                        "attribute xmlns appears twice",
		"invalid_unbalanced-tags-1.xml":                  "<NaaccrData> is not closed",
		"invalid_unbalanced-tags-2.xml":                  "</NaaccrData> does not match <Patient>",
		"invalid_unbalanced-tags-3.xml":                  "</Tumor> does not match <Item>",
		"invalid_default-namespace-missing-1.xml":        "not in the NAACCR namespace",
		"invalid_user-attribute-missing-namespace-1.xml": `"otherAttribute" is not part of NAACCR XML`,
		"invalid_user-attribute-missing-namespace-2.xml": "prefix other of attribute other:otherAttribute is not declared",
	}
	check := func(t *testing.T, name string, data []byte, relaxed bool) {
		_, _, _, err := readAll(t, reg, data, relaxed)
		if err == nil {
			t.Fatalf("relaxed=%v: read without error", relaxed)
		}
		var pr *naaccr.Problem
		if !errors.As(err, &pr) || pr.Line == 0 || pr.Column == 0 {
			t.Errorf("error %v has no position", err)
		}
		if w, ok := want[name]; !ok || !strings.Contains(err.Error(), w) {
			t.Errorf("relaxed=%v: error %q does not name the problem (%q)", relaxed, err, w)
		}
	}
	for name, data := range conformanceFiles(t, "invalid") {
		t.Run(name, func(t *testing.T) {
			check(t, name, data, false)
			check(t, name, data, true)
		})
	}
	for name, data := range conformanceFiles(t, "invalid_relaxed") {
		t.Run(name, func(t *testing.T) {
			check(t, name, data, false)
			if _, pats, probs, err := readAll(t, reg, data, true); err != nil || len(probs) > 0 || len(pats) != 1 {
				t.Errorf("relaxed read: %d patients, problems %v, err %v", len(pats), probs, err)
			}
		})
	}
}

const fileHead = `<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8">
`

func TestReaderReportsDataProblemsWithPositions(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name     string
		body     string
		item     string
		patient  int
		tumor    int
		line     int
		contains string
	}{
		{"unknown item", `<Patient><Item naaccrId="noSuchItem">1</Item></Patient>`, "noSuchItem", 1, 0, 3, "unknown item"},
		{"tumor item under patient", `<Patient><Item naaccrId="primarySite">C509</Item></Patient>`, "primarySite", 1, 0, 3, "belongs in <Tumor>"},
		{"duplicate", `<Patient><Tumor><Item naaccrId="primarySite">C509</Item>` + "\n" + `<Item naaccrId="primarySite">C500</Item></Tumor></Patient>`, "primarySite", 1, 1, 4, "more than once"},
		{"too long", `<Patient><Tumor><Item naaccrId="primarySite">C5099</Item></Tumor></Patient>`, "primarySite", 1, 1, 3, "at most 4"},
		{"digits", `<Patient><Item naaccrId="race1">0A</Item></Patient>`, "race1", 1, 0, 3, "type digits"},
		{"bad date", `<Patient><Tumor/><Tumor><Item naaccrId="dateOfDiagnosis">20251345</Item></Tumor></Patient>`, "dateOfDiagnosis", 1, 2, 3, "month 13"},
		{"leftZero padding", `<Patient><Item naaccrId="patientIdNumber">123</Item></Patient>`, "patientIdNumber", 1, 0, 3, "zero-padded"},
		{"naaccrNum mismatch", `<Patient><Item naaccrId="race1" naaccrNum="161">01</Item></Patient>`, "race1", 1, 0, 3, "naaccrNum 161"},
		{"second patient", `<Patient/>` + "\n\n" + `<Patient><Item naaccrId="alpha">1</Item></Patient>`, "alpha", 2, 0, 5, "unknown item"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(fileHead + tc.body + "\n</NaaccrData>\n")
			_, _, probs, err := readAll(t, reg, data, false)
			if err != nil {
				t.Fatalf("data problem stopped the read: %v", err)
			}
			if len(probs) != 1 {
				t.Fatalf("problems = %v, want one", probs)
			}
			p := probs[0]
			if p.Item != tc.item || p.Patient != tc.patient || p.Tumor != tc.tumor || p.Line != tc.line || p.Column == 0 || !strings.Contains(p.Message, tc.contains) {
				t.Errorf("problem = %+v, want item %s patient %d tumor %d line %d message with %q", p, tc.item, tc.patient, tc.tumor, tc.line, tc.contains)
			}
		})
	}
}

func TestReaderKeepsGoingAfterDataProblems(t *testing.T) {
	reg := testRegistry(t)
	body := `<Patient><Item naaccrId="race1">XX</Item><Tumor><Item naaccrId="primarySite">C509</Item></Tumor></Patient>
<Patient><Item naaccrId="race1">01</Item><Tumor><Item naaccrId="primarySite">C341</Item></Tumor><Tumor><Item naaccrId="primarySite">C180</Item></Tumor></Patient>`
	_, pats, probs, err := readAll(t, reg, []byte(fileHead+body+"</NaaccrData>"), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(pats) != 2 || len(probs) != 1 {
		t.Fatalf("%d patients, problems %v", len(pats), probs)
	}
	if pats[0].Items["race1"] != "XX" {
		t.Errorf("a bad value is kept and reported, not dropped: race1 = %q", pats[0].Items["race1"])
	}
	if got := pats[1].Tumors[1].Items["primarySite"]; got != "C180" || len(pats[1].Tumors) != 2 {
		t.Errorf("second patient = %+v", pats[1])
	}
}

func TestReaderDecodesTextAndReferences(t *testing.T) {
	reg := testRegistry(t)
	body := `<Patient><Tumor>
<Item naaccrId="textRemarks">  a &lt; b &amp; c &#x41;&#66; <!-- note --> é<![CDATA[<raw> & ]]>line1` + "\r\n" + `line2  </Item>
</Tumor></Patient>`
	_, pats, probs, err := readAll(t, reg, []byte(fileHead+body+"</NaaccrData>"), false)
	if err != nil || len(probs) > 0 {
		t.Fatalf("err %v problems %v", err, probs)
	}
	want := "a < b & c AB  é<raw> & line1\nline2"
	if got := pats[0].Tumors[0].Items["textRemarks"]; got != want {
		t.Errorf("textRemarks = %q, want %q", got, want)
	}
}

func TestReaderReadsGzipAndRootItemsAndUserItems(t *testing.T) {
	reg := testRegistry(t)
	doc := `<?xml version="1.0"?>
<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" userDictionaryUri="http://mycompany.org/my-very-own-naaccr-dictionary.xml" recordType="I" specificationVersion="1.8" timeGenerated="2026-01-02T03:04:05Z">
<Item naaccrId="registryId">0000012345</Item>
<Patient><Item naaccrId="myVariable2">X</Item><Tumor><Item naaccrId="myVariable1">Y</Item></Tumor></Patient>
</NaaccrData>`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(doc))
	zw.Close()
	info, pats, probs, err := readAll(t, reg, gz.Bytes(), false)
	if err != nil || len(probs) > 0 {
		t.Fatalf("err %v problems %v", err, probs)
	}
	if info.RootItems["registryId"] != "0000012345" || info.TimeGenerated != "2026-01-02T03:04:05Z" || len(info.Schema.User) != 1 {
		t.Errorf("info = %+v", info)
	}
	if pats[0].Items["myVariable2"] != "X" || pats[0].Tumors[0].Items["myVariable1"] != "Y" {
		t.Errorf("user items not read: %+v", pats[0])
	}
}

func TestReaderReportsItemsOfAnUnloadedUserDictionary(t *testing.T) {
	reg := testRegistry(t)
	doc := strings.Replace(fileHead, `recordType=`, `userDictionaryUri="http://example.org/state.xml" recordType=`, 1) +
		`<Patient><Item naaccrId="stateItem">1</Item></Patient></NaaccrData>`
	info, _, probs, err := readAll(t, reg, []byte(doc), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.MissingUserDictionaries) != 1 || len(probs) != 1 || !strings.Contains(probs[0].Message, "http://example.org/state.xml") {
		t.Errorf("missing %v, problems %v", info.MissingUserDictionaries, probs)
	}
}

func TestReaderRefusesStructuralErrors(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name, doc, want string
	}{
		{"unknown base dictionary", strings.Replace(fileHead, "260", "230", 1) + "</NaaccrData>", "not supported"},
		{"bad record type", strings.Replace(fileHead, `recordType="A"`, `recordType="X"`, 1) + "</NaaccrData>", `recordType "X"`},
		{"item without id", fileHead + `<Patient><Item>1</Item></Patient></NaaccrData>`, "without a naaccrId"},
		{"element in item", fileHead + `<Patient><Item naaccrId="race1"><b/></Item></Patient></NaaccrData>`, "contains element <b>"},
		{"text in patient", fileHead + `<Patient>hello</Patient></NaaccrData>`, `text "hello"`},
		{"root item after patient", fileHead + `<Patient/><Item naaccrId="registryId">1</Item></NaaccrData>`, "root items come first"},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>` + fileHead[strings.Index(fileHead, "<NaaccrData"):] + "</NaaccrData>", "DOCTYPE"},
		{"unknown entity", fileHead + `<Patient><Item naaccrId="nameLast">&bogus;</Item></Patient></NaaccrData>`, "unknown entity"},
		{"control character", fileHead + "<Patient><Item naaccrId=\"nameLast\">a\x01b</Item></Patient></NaaccrData>", "control character"},
		{"second root", fileHead + "</NaaccrData><NaaccrData/>", "second root"},
		{"latin1", `<?xml version="1.0" encoding="ISO-8859-1"?>` + "\n<NaaccrData/>", "UTF-8"},
		{"empty", "", "no root element"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := readAll(t, reg, []byte(tc.doc), false)
			var pr *naaccr.Problem
			if err == nil || !errors.As(err, &pr) || !strings.Contains(err.Error(), tc.want) || pr.Line == 0 {
				t.Fatalf("err = %v, want a positioned error containing %q", err, tc.want)
			}
		})
	}
}
