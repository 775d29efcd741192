package hl7_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/hl7"
)

func join(segs ...string) []byte { return []byte(strings.Join(segs, "\r") + "\r") }

const msh = `MSH|^~\&|LAB|LABFAC^12D3456789^CLIA|CARA|REG|20260115120000||ORU^R01^ORU_R01|MSG001|P|2.5.1`

func TestParseReadsEscapesRepetitionsComponentsAndSubcomponents(t *testing.T) {
	m, err := hl7.Parse(join(msh,
		`PID|1||MRN1^^^HOSP^MR~SSN9^^^SSA^SS||DOE^JANE^Q~SMITH^JANE^^^^^M||19600102|F|||1 MAIN ST^APT 2^SPRINGFIELD^IL^62701`,
		`OBX|1|TX|22637-3^Final diagnosis^LN||Left breast \T\ axilla\F\ margin\S\ clear \R\ see \E\ note\.br\line two \X41\\X4243\ \H\bold\N\ \Zunknown\ half\`,
		`OBX|2|CE|x^y&z&w^L`,
		`ZPT|1|custom^segment`))
	if err != nil {
		t.Fatal(err)
	}
	pid := m.Segments[1]
	tests := []struct{ name, got, want string }{
		{"type", m.Type(), "ORU^R01"},
		{"control id", m.ControlID(), "MSG001"},
		{"sending facility CLIA", m.Segments[0].Get(4, 2, 1), "12D3456789"},
		{"MRN", pid.Get(3, 1, 1), "MRN1"},
		{"MRN type", pid.Get(3, 5, 1), "MR"},
		{"second identifier", pid.Field(3)[1].Get(1, 1), "SSN9"},
		{"maiden name", pid.Field(5)[1].Get(7, 1), "M"},
		{"city", pid.Get(11, 3, 1), "SPRINGFIELD"},
		{"absent", pid.Get(40, 1, 1), ""},
		{"escapes", m.Segments[2].Text(5), "Left breast & axilla| margin^ clear ~ see \\ note\nline two ABC bold \\Zunknown\\ half\\"},
		{"subcomponent", m.Segments[3].Get(3, 2, 3), "w"},
		{"Z-segment", m.Segments[4].Get(2, 2, 1), "segment"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if got := len(pid.Field(3)); got != 2 {
		t.Errorf("PID-3 repetitions: got %d, want 2", got)
	}
}

func TestParseUsesTheDelimitersOfMSH(t *testing.T) {
	m, err := hl7.Parse([]byte("MSH#*!/%#LAB#F#R#X#20260101##ORU*R01#ID9#P#2.5.1\nOBX#1#TX#a*b%c!d#x/F/y/S/z/T/w/R/v/E/u\n"))
	if err != nil {
		t.Fatal(err)
	}
	obx := m.Segments[1]
	if got := obx.Get(3, 2, 2); got != "c" {
		t.Errorf("subcomponent with %% delimiter: got %q", got)
	}
	if got := obx.Field(3)[1].Get(1, 1); got != "d" {
		t.Errorf("repetition with ! delimiter: got %q", got)
	}
	if got := obx.Text(4); got != "x#y*z%w!v/u" {
		t.Errorf("escapes with / escape character: got %q", got)
	}
	if m.Type() != "ORU^R01" {
		t.Errorf("type %q", m.Type())
	}
	again, err := hl7.Parse(m.Encode())
	if err != nil || !reflect.DeepEqual(again, m) {
		t.Errorf("encode with custom delimiters did not read back: %v", err)
	}
}

func TestParseAcceptsLineEndsOfEveryKind(t *testing.T) {
	for _, sep := range []string{"\r", "\n", "\r\n"} {
		m, err := hl7.Parse([]byte(msh + sep + "PID|1||X" + sep + sep + "OBX|1" + sep))
		if err != nil || len(m.Segments) != 3 {
			t.Errorf("segments ended by %q: %v, %d segments", sep, err, len(m.Segments))
		}
	}
}

func TestParseRefusesBrokenMessagesSayingWhere(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "does not start with an MSH"},
		{"not MSH", "PID|1|2|3|4|5", "does not start with an MSH"},
		{"letter separator", "MSHA^~\\&A", "MSH-1"},
		{"short encoding", "MSH|^~|LAB", "MSH-2: encoding characters"},
		{"repeated encoding", "MSH|^^\\&|LAB", "used twice"},
		{"bad segment name", msh + "\rpid|1", "segment 2 (unnamed): segment name \"pid\""},
		{"second MSH", msh + "\r" + msh, "segment 2 (MSH): a second MSH"},
	}
	for _, tt := range tests {
		_, err := hl7.Parse([]byte(tt.in))
		var pe *hl7.ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want a ParseError with %q", tt.name, err, tt.want)
		}
	}
}

func TestEscapeRoundTrips(t *testing.T) {
	for _, s := range []string{"a|b^c~d\\e&f", "line\nbreak", "cr\rhere", "tab\t", "plain"} {
		enc := hl7.Escape(s, hl7.Default)
		if strings.ContainsAny(enc, "|^~&\r\n") {
			t.Errorf("Escape(%q) = %q still holds a delimiter", s, enc)
		}
		if got := hl7.Unescape([]byte(enc), hl7.Default); got != s {
			t.Errorf("Unescape(Escape(%q)) = %q", s, got)
		}
	}
}

func TestAckNamesTheMessageAndTheError(t *testing.T) {
	in, err := hl7.Parse(join(msh))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	ack, err := hl7.Parse(hl7.Ack(in, hl7.AE, "PID-7: not a date", &hl7.AckError{Segment: "PID", Sequence: 1, Field: 7,
		Code: hl7.ErrDataType, Reason: "PID-7: not a date"}, "A1", now))
	if err != nil {
		t.Fatal(err)
	}
	mshA, _ := ack.Segment("MSH")
	msa, _ := ack.Segment("MSA")
	errS, ok := ack.Segment("ERR")
	if !ok {
		t.Fatal("no ERR segment")
	}
	for _, c := range []struct{ name, got, want string }{
		{"MSH-3 (was receiving application)", mshA.Text(3), "CARA"},
		{"MSH-5 (was sending application)", mshA.Text(5), "LAB"},
		{"MSH-6 CLIA", mshA.Get(6, 2, 1), "12D3456789"},
		{"MSH-9", ack.Type(), "ACK^R01"},
		{"MSH-12", mshA.Text(12), "2.5.1"},
		{"MSA-1", msa.Text(1), "AE"},
		{"MSA-2", msa.Text(2), "MSG001"},
		{"MSA-3", msa.Text(3), "PID-7: not a date"},
		{"ERR-2", errS.Get(2, 1, 1) + "/" + errS.Get(2, 2, 1) + "/" + errS.Get(2, 3, 1), "PID/1/7"},
		{"ERR-3", errS.Get(3, 1, 1) + " " + errS.Get(3, 3, 1), "102 HL70357"},
		{"ERR-4", errS.Text(4), "E"},
		{"ERR-8", errS.Text(8), "PID-7: not a date"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		max     int
		want    []string
		wantErr string
	}{
		{"two frames", "\x0bA\x1c\r\n\x0bB\x1c\r", 0, []string{"A", "B"}, ""},
		{"junk before start", "xx\x0bA\x1c\r", 0, nil, "before the start block"},
		{"no end", "\x0bABC", 0, nil, "ended inside a message"},
		{"no CR after end", "\x0bA\x1cX", 0, nil, "not a carriage return"},
		{"too large", "\x0b" + strings.Repeat("A", 100) + "\x1c\r", 50, nil, "larger than 50 bytes"},
		{"start inside", "\x0bA\x0bB\x1c\r", 0, nil, "start block 0x0B inside"},
	}
	for _, tt := range tests {
		r := bufio.NewReaderSize(strings.NewReader(tt.in), 16)
		var got []string
		var err error
		for {
			var b []byte
			b, err = hl7.ReadFrame(r, tt.max)
			if err != nil {
				break
			}
			got = append(got, string(b))
		}
		if tt.wantErr == "" {
			if err != io.EOF || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: got %q, %v", tt.name, got, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(join(msh, `PID|1||MRN1^^^HOSP^MR~X||DOE^JANE||19600102|F`, `OBX|1|TX|22637-3^Final^LN||a\T\b\F\c\.br\d\X41\`))
	f.Add([]byte("MSH#*!/%#A\nZZZ#a*b!c%d/E/"))
	f.Add([]byte("MSH|^~\\&#|\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parse(data)
		if err != nil {
			return
		}
		enc := m.Encode()
		m2, err := hl7.Parse(enc)
		if err != nil {
			t.Fatalf("encoded message does not parse: %v\n%q", err, enc)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("parse→encode→parse changed the message:\n%q\n%q", data, enc)
		}
		if enc2 := m2.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%q\n%q", enc, enc2)
		}
	})
}
