package naaccr

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	dict260     *Dictionary
	dict260Err  error
	dict260Once sync.Once
)

func loadDict260(tb testing.TB) *Dictionary {
	tb.Helper()
	dict260Once.Do(func() {
		dict260, dict260Err = LoadBaseDictionary(os.DirFS("../../schemas"), "260")
	})
	if dict260Err != nil {
		tb.Fatal(dict260Err)
	}
	return dict260
}

// writeFile writes the patients with a fresh Writer and returns the output.
func writeFile(t *testing.T, h Header, patients ...*Patient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, loadDict260(t), h)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range patients {
		if err := w.WritePatient(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Decoded form of a data file, for checking what the writer wrote.
type xmlDataItem struct {
	ID    string `xml:"naaccrId,attr"`
	Value string `xml:",chardata"`
}

type xmlDataTumor struct {
	Items []xmlDataItem `xml:"Item"`
}

type xmlDataPatient struct {
	Items  []xmlDataItem  `xml:"Item"`
	Tumors []xmlDataTumor `xml:"Tumor"`
}

type xmlData struct {
	XMLName              xml.Name         `xml:"http://naaccr.org/naaccrxml NaaccrData"`
	BaseDictionaryURI    string           `xml:"baseDictionaryUri,attr"`
	UserDictionaryURI    string           `xml:"userDictionaryUri,attr"`
	RecordType           string           `xml:"recordType,attr"`
	SpecificationVersion string           `xml:"specificationVersion,attr"`
	TimeGenerated        string           `xml:"timeGenerated,attr"`
	Items                []xmlDataItem    `xml:"Item"`
	Patients             []xmlDataPatient `xml:"Patient"`
}

func decodeFile(t *testing.T, b []byte) xmlData {
	t.Helper()
	var d xmlData
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, b)
	}
	return d
}

func TestWriterHeaderHasRootElementAndAttributes(t *testing.T) {
	tests := []struct {
		name   string
		header Header
		want   []string // substrings of the NaaccrData start tag
		absent []string
	}{
		{
			name:   "minimal",
			header: Header{RecordType: "A"},
			want: []string{
				`xmlns="http://naaccr.org/naaccrxml"`,
				`baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml"`,
				`recordType="A"`,
				`specificationVersion="1.8"`,
			},
			absent: []string{"timeGenerated", "userDictionaryUri"},
		},
		{
			name: "time and user dictionary",
			header: Header{
				RecordType:        "I",
				TimeGenerated:     time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
				UserDictionaryURI: "http://example.org/dict?a=1&b=2",
			},
			want: []string{
				`recordType="I"`,
				`timeGenerated="2026-03-04T05:06:07Z"`,
				`userDictionaryUri="http://example.org/dict?a=1&amp;b=2"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(writeFile(t, tt.header))
			const decl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
			if !strings.HasPrefix(out, decl+"<NaaccrData ") {
				t.Fatalf("output does not start with the declaration and NaaccrData:\n%s", out)
			}
			startTag, _, _ := strings.Cut(strings.TrimPrefix(out, decl), ">")
			for _, s := range tt.want {
				if !strings.Contains(startTag, s) {
					t.Errorf("start tag %s lacks %s", startTag, s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(startTag, s) {
					t.Errorf("start tag %s has %s", startTag, s)
				}
			}
			if !strings.HasSuffix(out, "\n</NaaccrData>\n") {
				t.Errorf("output does not end with </NaaccrData> and a newline:\n%s", out)
			}
			d := decodeFile(t, []byte(out))
			if d.RecordType != tt.header.RecordType || d.SpecificationVersion != "1.8" ||
				d.UserDictionaryURI != tt.header.UserDictionaryURI {
				t.Errorf("decoded header %+v does not match %+v", d, tt.header)
			}
		})
	}
}

func TestWriterWritesSmallFileExactly(t *testing.T) {
	out := writeFile(t,
		Header{RecordType: "I", RootItems: map[string]string{"registryId": "0000000001"}},
		&Patient{
			Items: map[string]string{"patientIdNumber": "00000001", "nameLast": ""},
			Tumors: []Tumor{
				{Items: map[string]string{"primarySite": "C123", "sequenceNumberCentral": "00"}},
				{},
			},
		},
		&Patient{},
	)
	want := `<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="I" specificationVersion="1.8">
    <Item naaccrId="registryId">0000000001</Item>
    <Patient>
        <Item naaccrId="patientIdNumber">00000001</Item>
        <Tumor>
            <Item naaccrId="primarySite">C123</Item>
            <Item naaccrId="sequenceNumberCentral">00</Item>
        </Tumor>
        <Tumor>
        </Tumor>
    </Patient>
    <Patient>
    </Patient>
</NaaccrData>
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestWriterOutputParsesWithExpectedValues(t *testing.T) {
	patients := []*Patient{
		{
			Items: map[string]string{"patientIdNumber": "00000001", "nameLast": "Müller", "sexAssignedAtBirth": "2"},
			Tumors: []Tumor{
				{Items: map[string]string{"primarySite": "C509", "dateOfDiagnosis": "20250115"}},
				{Items: map[string]string{"primarySite": "C180", "textRemarks": "line one\nline two\r\nline three\ttab"}},
			},
		},
		{Items: map[string]string{"patientIdNumber": "00000002"}},
	}
	out := writeFile(t, Header{RecordType: "A", RootItems: map[string]string{"registryId": "0000000001"}}, patients...)
	d := decodeFile(t, out)
	if len(d.Items) != 1 || d.Items[0] != (xmlDataItem{"registryId", "0000000001"}) {
		t.Errorf("root items = %v", d.Items)
	}
	if len(d.Patients) != len(patients) {
		t.Fatalf("%d patients decoded, want %d", len(d.Patients), len(patients))
	}
	for i, p := range patients {
		got := d.Patients[i]
		checkItems(t, "patient", got.Items, p.Items)
		if len(got.Tumors) != len(p.Tumors) {
			t.Fatalf("patient %d: %d tumors decoded, want %d", i+1, len(got.Tumors), len(p.Tumors))
		}
		for j, tu := range p.Tumors {
			checkItems(t, "tumor", got.Tumors[j].Items, tu.Items)
		}
	}
}

func checkItems(t *testing.T, what string, got []xmlDataItem, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d items decoded, want %d: %v", what, len(got), len(want), got)
	}
	for _, it := range got {
		if w, ok := want[it.ID]; !ok || w != it.Value {
			t.Errorf("%s item %s = %q, want %q", what, it.ID, it.Value, w)
		}
	}
}

func TestWriterWritesItemsInDictionaryOrder(t *testing.T) {
	dict := loadDict260(t)
	tumorItems := dict.ItemsAt(ParentTumor)
	items := make(map[string]string)
	var wantOrder []string
	for i, it := range tumorItems {
		if i%7 != 0 {
			continue
		}
		items[it.ID] = "1"
		wantOrder = append(wantOrder, it.ID)
	}
	// Build the same map in different insertion orders; the output must not change.
	var first []byte
	for round := 0; round < 5; round++ {
		m := make(map[string]string, len(items))
		for i := range wantOrder {
			id := wantOrder[(i*(round+3))%len(wantOrder)]
			m[id] = items[id]
		}
		for _, id := range wantOrder { // fill what the stride missed
			m[id] = items[id]
		}
		out := writeFile(t, Header{RecordType: "A"}, &Patient{Tumors: []Tumor{{Items: m}}})
		if first == nil {
			first = out
			d := decodeFile(t, out)
			var got []string
			for _, it := range d.Patients[0].Tumors[0].Items {
				got = append(got, it.ID)
			}
			if strings.Join(got, ",") != strings.Join(wantOrder, ",") {
				t.Fatalf("items in order\n%v\nwant dictionary order\n%v", got, wantOrder)
			}
		} else if !bytes.Equal(out, first) {
			t.Fatalf("round %d: output differs from round 0", round)
		}
	}
}

func TestWriterEscapesValuesSoTheyRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"markup characters", `a<b & c>d`},
		{"entity look-alike", `&amp; &lt;`},
		{"quotes", `say "hi" it's`},
		{"end of CDATA", `]]>`},
		{"carriage return", "a\r\nb\rc"},
		{"non-ASCII", "Ærø ñ 漢字"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := writeFile(t, Header{RecordType: "A"},
				&Patient{Tumors: []Tumor{{Items: map[string]string{"textRemarks": tt.value}}}})
			d := decodeFile(t, out)
			if got := d.Patients[0].Tumors[0].Items[0].Value; got != tt.value {
				t.Errorf("value %q came back as %q\n%s", tt.value, got, out)
			}
		})
	}
}

func TestWriterRejectsBadItems(t *testing.T) {
	tests := []struct {
		name    string
		patient *Patient
		want    []string // substrings of the error
	}{
		{
			name:    "unknown patient item",
			patient: &Patient{Items: map[string]string{"patientIdNumber": "00000042", "noSuchItem": "1"}},
			want:    []string{`"noSuchItem"`, "patient 1", `"00000042"`, "not in dictionary"},
		},
		{
			name:    "unknown tumor item",
			patient: &Patient{Tumors: []Tumor{{}, {Items: map[string]string{"bogus": "1"}}}},
			want:    []string{`"bogus"`, "patient 1", "tumor 2"},
		},
		{
			name:    "tumor item at patient level",
			patient: &Patient{Items: map[string]string{"primarySite": "C509"}},
			want:    []string{`"primarySite"`, "belongs to Tumor, not Patient"},
		},
		{
			name:    "patient item at tumor level",
			patient: &Patient{Tumors: []Tumor{{Items: map[string]string{"nameLast": "Doe"}}}},
			want:    []string{`"nameLast"`, "tumor 1", "belongs to Patient, not Tumor"},
		},
		{
			name:    "root item at patient level",
			patient: &Patient{Items: map[string]string{"registryId": "0000000001"}},
			want:    []string{`"registryId"`, "belongs to NaaccrData"},
		},
		{
			name:    "value too long",
			patient: &Patient{Tumors: []Tumor{{Items: map[string]string{"primarySite": "C5090"}}}},
			want:    []string{`"primarySite"`, "tumor 1", "5 characters", "length is 4"},
		},
		{
			name:    "multi-byte value too long",
			patient: &Patient{Items: map[string]string{"patientIdNumber": "ééééééééé"}},
			want:    []string{`"patientIdNumber"`, "9 characters"},
		},
		{
			name:    "control character",
			patient: &Patient{Tumors: []Tumor{{Items: map[string]string{"textRemarks": "bell\x07"}}}},
			want:    []string{`"textRemarks"`, "control characters"},
		},
		{
			name:    "invalid UTF-8",
			patient: &Patient{Items: map[string]string{"nameLast": "M\xfcller"}},
			want:    []string{`"nameLast"`, "invalid UTF-8"},
		},
		{
			name:    "several strays report the smallest id",
			patient: &Patient{Items: map[string]string{"zzz": "1", "aaa": "1", "primarySite": "C509"}},
			want:    []string{`"aaa"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := &Patient{Items: map[string]string{"patientIdNumber": "00000001"}}
			var buf bytes.Buffer
			w, err := NewWriter(&buf, loadDict260(t), Header{RecordType: "A"})
			if err != nil {
				t.Fatal(err)
			}
			err = w.WritePatient(tt.patient)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %s", err, s)
				}
			}
			// The bad patient leaves no trace and the writer goes on.
			if err := w.WritePatient(good); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if want := writeFile(t, Header{RecordType: "A"}, good); !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output after a rejected patient\n%s\nwant\n%s", buf.Bytes(), want)
			}
		})
	}
}

func TestNewWriterRejectsBadHeader(t *testing.T) {
	tests := []struct {
		name   string
		header Header
		want   string
	}{
		{"unknown record type", Header{RecordType: "X"}, `record type "X"`},
		{"missing record type", Header{}, `record type ""`},
		{"unknown root item", Header{RecordType: "A", RootItems: map[string]string{"nope": "1"}}, `"nope"`},
		{"patient item at root", Header{RecordType: "A", RootItems: map[string]string{"nameLast": "x"}}, `"nameLast"`},
		{"root value too long", Header{RecordType: "A", RootItems: map[string]string{"registryId": "12345678901"}}, `"registryId"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWriter(io.Discard, loadDict260(t), tt.header)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one mentioning %s", err, tt.want)
			}
		})
	}
}

func TestWriterGivesSameBytesForSameInput(t *testing.T) {
	mk := func() []*Patient {
		return []*Patient{
			{
				Items: map[string]string{"patientIdNumber": "00000001", "nameLast": "Doe", "nameFirst": "Jane", "sexAssignedAtBirth": "2"},
				Tumors: []Tumor{
					{Items: map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "laterality": "1"}},
					{Items: map[string]string{"primarySite": "C180", "textRemarks": "a & b"}},
				},
			},
		}
	}
	h := Header{RecordType: "A", TimeGenerated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600)),
		RootItems: map[string]string{"registryId": "0000000001", "registryType": "1"}}
	a := writeFile(t, h, mk()...)
	b := writeFile(t, h, mk()...)
	if !bytes.Equal(a, b) {
		t.Errorf("two writes differ:\n%s\n---\n%s", a, b)
	}
}

func TestWriterCloseDoesNotCloseUnderlyingWriterAndRefusesMorePatients(t *testing.T) {
	var dst closeTracker
	w, err := NewWriter(&dst, loadDict260(t), Header{RecordType: "A"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if dst.closed {
		t.Error("Close closed the underlying writer")
	}
	if err := w.WritePatient(&Patient{}); err == nil {
		t.Error("WritePatient after Close gave no error")
	}
	if !strings.HasSuffix(dst.String(), "</NaaccrData>\n") {
		t.Errorf("output not flushed: %q", dst.String())
	}
}

type closeTracker struct {
	bytes.Buffer
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func BenchmarkWriter(b *testing.B) {
	dict := loadDict260(b)
	const nPatients = 10000
	tumorItems := dict.ItemsAt(ParentTumor)
	patientItems := dict.ItemsAt(ParentPatient)
	value := func(it *ItemDef) string {
		return strings.Repeat("1", min(it.Length, 8))
	}
	tumor := Tumor{Items: make(map[string]string)}
	for _, it := range tumorItems[:100] {
		tumor.Items[it.ID] = value(it)
	}
	patient := &Patient{Items: make(map[string]string), Tumors: []Tumor{tumor}}
	for _, it := range patientItems[:20] {
		patient.Items[it.ID] = value(it)
	}
	run := func(dst io.Writer) {
		w, err := NewWriter(dst, dict, Header{RecordType: "A"})
		if err != nil {
			b.Fatal(err)
		}
		for range nPatients {
			if err := w.WritePatient(patient); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	var n countingWriter
	run(&n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		run(io.Discard)
	}
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

func TestWriterCountsTheItemsItWrote(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, loadDict260(t), Header{RecordType: "I", OnlyRecordType: true})
	if err != nil {
		t.Fatal(err)
	}
	good := &Patient{Items: map[string]string{"patientIdNumber": "00000001", "nameLast": "ROE"},
		Tumors: []Tumor{{Items: map[string]string{"primarySite": "C509", "dateOfDiagnosis": "", "histologicTypeIcdO3": "8500"}}}}
	bad := &Patient{Items: map[string]string{"patientIdNumber": "00000002", "notAnItem": "x"}}
	if err := w.WritePatient(good); err != nil {
		t.Fatal(err)
	}
	if err := w.WritePatient(bad); err == nil {
		t.Fatal("a patient with an unknown item was written")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The blank date is not written, nor is the rejected patient; an incidence record leaves out
	// the name, which is in confidential records only.
	if got, want := w.ItemsWritten(), int64(bytes.Count(buf.Bytes(), []byte("<Item "))); got != want || got != 3 {
		t.Errorf("ItemsWritten %d, file has %d <Item> elements, want 3", got, want)
	}
}
