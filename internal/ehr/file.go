package ehr

import (
	"context"
	"fmt"
	"strings"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/excerpt"
)

// MaxFileBytes bounds a file of messages read into memory (`cara ehr import` and the upload).
const MaxFileBytes = 512 << 20

// FileResult is what became of one message of a file, and where it was in the file.
type FileResult struct {
	Result
	N    int // 1, 2, ... in the file
	Line int // the line its MSH segment starts on
}

// Describe says what became of the message as the registrar reads it: "message 2 (line 5,
// control id "A2"): error: PID-7: ...".
func (r FileResult) Describe() string {
	id := r.ControlID
	if id == "" {
		id = "?"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "message %d (line %d, control id %s): %s", r.N, r.Line, excerpt.Quote(id), r.Outcome)
	switch r.Outcome {
	case Accepted:
		fmt.Fprintf(&b, ", possible case #%d (%s)", r.SuspenseID, casefinding.MatchLabel(r.MatchKind))
	case Duplicate:
		fmt.Fprintf(&b, ", stored before as report #%d", r.ReportID)
	default:
		fmt.Fprintf(&b, ": %s", r.Reason())
	}
	return b.String()
}

// Refused says whether the message was not taken in (an error or a rejection).
func (r FileResult) Refused() bool { return r.Outcome == Error || r.Outcome == Rejected }

// ReceiveFile takes in every message of a file (one or many, CR, LF or CRLF segment ends;
// FHS/BHS batch envelopes are skipped), each on its own: a refused message does not stop the
// others. in.Raw is the whole file; each message is received with in's facility, user and
// channel. A file without an MSH segment gives no result.
func (s *Service) ReceiveFile(ctx context.Context, in Input) []FileResult {
	msgs, lines := Split(in.Raw)
	out := make([]FileResult, 0, len(msgs))
	for i, m := range msgs {
		one := in
		one.Raw = m
		out = append(out, FileResult{Result: s.Receive(ctx, one), N: i + 1, Line: lines[i]})
	}
	return out
}

// FileSummary counts a file's results: "3 messages: 2 accepted, 0 duplicate, 1 error, 0 rejected".
func FileSummary(rs []FileResult) string {
	plain := make([]Result, len(rs))
	for i := range rs {
		plain[i] = rs[i].Result
	}
	return Summary(plain)
}
