package hl7

import (
	"strconv"
	"time"
)

// Acknowledgment codes of MSA-1 (HL7 table 0008, original mode).
const (
	AA = "AA" // accepted
	AE = "AE" // error: the message was read but not taken in, for the reason given
	AR = "AR" // rejected: not a message cara takes (its type, its framing, its version)
)

// Error codes of ERR-3 (HL7 table 0357) cara answers with.
const (
	ErrSegmentSequence    = "100"
	ErrRequiredField      = "101"
	ErrDataType           = "102"
	ErrTableValue         = "103"
	ErrUnsupportedMessage = "200"
	ErrUnsupportedEvent   = "201"
	ErrUnsupportedVersion = "203"
	ErrApplication        = "207"
)

var errCodeText = map[string]string{
	ErrSegmentSequence: "Segment sequence error", ErrRequiredField: "Required field missing", ErrDataType: "Data type error",
	ErrTableValue: "Table value not found", ErrUnsupportedMessage: "Unsupported message type",
	ErrUnsupportedEvent: "Unsupported event code", ErrUnsupportedVersion: "Unsupported version id",
	ErrApplication: "Application internal error",
}

// AckError is what went wrong, for the ERR segment: where (segment name, its position, the
// field; zero when not known), the table 0357 code, and the reason in words.
type AckError struct {
	Segment  string
	Sequence int
	Field    int
	Code     string
	Reason   string
}

// Ack builds the acknowledgment (ACK, HL7 2.5.1 original mode) of a message: MSH addressed back
// to the sender, MSA with the code, the message's control id and the text, and, for AE and AR,
// an ERR segment with where and why. in may be nil when the message could not be read at all;
// the ACK then names no control id. controlID is the ACK's own MSH-10.
func Ack(in *Message, code, text string, e *AckError, controlID string, now time.Time) []byte {
	d := Default
	var sendApp, sendFac, recvApp, recvFac Field
	inID := ""
	if in != nil {
		d = in.Delimiters
		if msh, ok := in.Segment("MSH"); ok {
			sendApp, sendFac, recvApp, recvFac = msh.Field(3), msh.Field(4), msh.Field(5), msh.Field(6)
			inID = msh.Text(10)
		}
	}
	msh := Segment{Name: "MSH", Fields: []Field{nil, text1(string(d.Field)), text1(d.encoding()),
		recvApp, recvFac, sendApp, sendFac, text1(now.UTC().Format("20060102150405") + "+0000"), nil,
		{Repetition{{"ACK"}, {"R01"}, {"ACK"}}}, text1(controlID), text1("P"), text1("2.5.1")}}
	msa := Segment{Name: "MSA", Fields: []Field{nil, text1(code), text1(inID), text1(text)}}
	m := &Message{Delimiters: d, Segments: []Segment{msh, msa}}
	if e != nil {
		loc := Repetition{{e.Segment}, {""}, {""}}
		if e.Sequence > 0 {
			loc[1] = Component{strconv.Itoa(e.Sequence)}
		}
		if e.Field > 0 {
			loc[2] = Component{strconv.Itoa(e.Field)}
		}
		c := e.Code
		if c == "" {
			c = ErrApplication
		}
		if e.Segment == "" {
			loc = nil
		}
		errSeg := Segment{Name: "ERR", Fields: []Field{nil, nil, fieldOf(loc), {Repetition{{c}, {errCodeText[c]}, {"HL70357"}}},
			text1("E"), nil, nil, nil, text1(e.Reason)}}
		m.Segments = append(m.Segments, errSeg)
	}
	return m.Encode()
}

func text1(s string) Field {
	if s == "" {
		return nil
	}
	return text(s)
}

func fieldOf(r Repetition) Field {
	if r == nil {
		return nil
	}
	return Field{r}
}
