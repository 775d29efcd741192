package ehr

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/cara-registry/cara/internal/auth"
	"strconv"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/store"
)

// Store is what the intake needs of the database.
type Store interface {
	AddEHRReport(ctx context.Context, rep *store.EHRReport, rec *store.SuspenseRecord, sugg []store.EHRSuggestion, e store.AuditEntry) (bool, error)
	EHRSenderByToken(ctx context.Context, hash string) (*store.EHRSender, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Casefinding screens and matches a possible case (casefinding.Service is one).
type Casefinding interface {
	Prepare(ctx context.Context, facilityID uint, row *casefinding.Row, key string) (store.SuspenseRecord, error)
}

// Service takes pathology messages in.
type Service struct {
	store  Store
	cf     Casefinding
	mapper *Mapper
	now    func() time.Time
	ids    hl7.IDs
	limit  Limiter
}

// Limiter says whether a sender (a key) may send one more message now (ratelimit.Keyed is one).
type Limiter interface {
	Allow(key string) (bool, error)
	Rate() float64
}

// Limit makes the service refuse, with AE, a message over the limiter's rate from its sender:
// the sender token of MSH-8 when there is one, else the remote address. Only messages that came
// from the network (Input.RemoteAddr set) are limited; a file is not.
func (s *Service) Limit(l Limiter) { s.limit = l }

// New makes the intake service.
func New(st Store, cf Casefinding, mapper *Mapper, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, cf: cf, mapper: mapper, now: now}
}

// Outcomes of a message received.
const (
	Accepted  = "accepted"
	Duplicate = "duplicate" // the sender's control id was received before: stored once
	Error     = "error"     // read, not taken in: AE
	Rejected  = "rejected"  // not a message cara takes: AR
)

// Input is one message received and from where.
type Input struct {
	// FacilityID is whose suspense list the report joins; 0 when the sender names itself by
	// its token in MSH-8 (the MLLP listener without a fixed facility), which must then be the
	// token of a sender not revoked.
	FacilityID uint
	Raw        []byte
	RemoteAddr string // the MLLP peer, or "" for a file
	UserID     *uint
	Via        string // "mllp", "file"
}

// Result is what became of a message.
type Result struct {
	Outcome    string
	ControlID  string
	ReportID   uint
	SuspenseID uint
	MatchKind  string
	Problem    *Problem // for Error and Rejected
	message    *hl7.Message
}

// Reason says why a message was not taken in ("" when it was).
func (r *Result) Reason() string {
	if r.Problem == nil {
		return ""
	}
	return r.Problem.Detail.Reason
}

// maxText is how much of a report's text the suspense record holds (a MySQL TEXT column holds
// 64 KB, four bytes a character at worst); the whole report is kept in the raw message.
const maxText = 16000

// Receive reads, maps and stores one message. It never fails as a call: what went wrong is the
// result's outcome and problem, for the ACK and the import's summary; a database that fails is
// an error (AE, application error) like any other, and the message can be sent again.
func (s *Service) Receive(ctx context.Context, in Input) Result {
	res := s.receive(ctx, in)
	if res.Outcome != Accepted {
		// A refused message is audited with why, not stored: it is not a report; a duplicate is
		// audited as received again. (An accepted one is audited with the report it became.)
		_ = s.store.Audit(ctx, store.AuditEntry{UserID: in.UserID, Action: audit.EHRReceive, Entity: "ehr_message",
			EntityID: clip(res.ControlID), RemoteAddr: in.RemoteAddr, Details: map[string]any{
				"facility": in.FacilityID, "via": in.Via, "outcome": res.Outcome, "reason": res.Reason(), "sha256": sum(in.Raw), "bytes": len(in.Raw),
			}})
	}
	return res
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (s *Service) receive(ctx context.Context, in Input) Result {
	received := sum(in.Raw)
	msg, err := hl7.Parse(in.Raw)
	if err != nil {
		pe, _ := err.(*hl7.ParseError)
		p := &Problem{Ack: hl7.AR, Detail: hl7.AckError{Code: hl7.ErrApplication, Reason: strings.TrimPrefix(err.Error(), "hl7: ")}}
		if pe != nil && pe.Segment > 0 {
			p.Ack, p.Detail.Segment, p.Detail.Sequence, p.Detail.Field = hl7.AE, pe.Name, pe.Segment, pe.Field
			p.Detail.Code = hl7.ErrSegmentSequence
			if pe.Field > 0 {
				p.Detail.Code = hl7.ErrDataType
			}
		}
		return Result{Outcome: outcomeOf(p), Problem: p}
	}
	res := Result{ControlID: msg.ControlID(), message: msg}
	if p := s.throttled(msg, in); p != nil {
		res.Outcome, res.Problem = Error, p
		return res
	}
	if in.FacilityID == 0 {
		fac, p, err := s.sender(ctx, msg)
		if err != nil {
			return s.failed(res, err)
		}
		if p != nil {
			res.Outcome, res.Problem = Rejected, p
			return res
		}
		in.FacilityID = fac
		in.Raw = redactSecurity(in.Raw, msg.Delimiters.Field)
	}
	rep, p := s.mapper.Map(msg)
	if p != nil {
		res.Outcome, res.Problem = outcomeOf(p), p
		return res
	}
	row := &casefinding.Row{MRN: rep.MRN, NameLast: rep.NameLast, NameFirst: rep.NameFirst, DateOfBirth: rep.DateOfBirth,
		Sex: rep.Sex, FirstContact: firstNonEmpty(rep.CollectedAt, rep.MessageDate, s.now().UTC().Format("20060102")),
		Source: "pathology", Text: clipText(rep.Text(), maxText)}
	key := sum([]byte("hl7v2\x1f" + rep.Sender + "\x1f" + rep.ControlID))
	rec, err := s.cf.Prepare(ctx, in.FacilityID, row, key)
	if err != nil {
		return s.failed(res, err)
	}
	rec.ImportedBy = in.UserID
	stored := &store.EHRReport{FacilityID: in.FacilityID, Format: "hl7v2", Sender: clip255(rep.Sender), ControlID: clip255(rep.ControlID),
		MessageType: rep.MessageType, SHA256: received, Raw: bytes.Clone(in.Raw), Accession: clip255(rep.Accession),
		CollectedAt: rep.CollectedAt, OrderingProvider: clip255(rep.OrderingProvider), RemoteAddr: in.RemoteAddr}
	sugg := make([]store.EHRSuggestion, len(rep.Suggestions))
	for i, g := range rep.Suggestions {
		sugg[i] = store.EHRSuggestion{NaaccrID: g.Item, Value: clip255(g.Value), Source: clip255(g.Source), SourceText: clipText(g.SourceText, 2000)}
	}
	dup, err := s.store.AddEHRReport(ctx, stored, &rec, sugg, store.AuditEntry{UserID: in.UserID, Action: audit.EHRReceive,
		Entity: "ehr_report", RemoteAddr: in.RemoteAddr, Details: map[string]any{
			"facility": in.FacilityID, "via": in.Via, "outcome": Accepted, "control_id": rep.ControlID, "sender": rep.Sender,
			"sha256": stored.SHA256, "bytes": len(in.Raw), "suggestions": len(sugg),
		}})
	if err != nil {
		return s.failed(res, err)
	}
	res.ReportID = stored.ID
	if dup {
		res.Outcome = Duplicate
		return res
	}
	res.Outcome, res.SuspenseID, res.MatchKind = Accepted, rec.ID, rec.MatchKind
	return res
}

// throttled is the problem of a message over its sender's rate, or nil.
func (s *Service) throttled(msg *hl7.Message, in Input) *Problem {
	if s.limit == nil || in.RemoteAddr == "" {
		return nil
	}
	key := "addr:" + in.RemoteAddr
	if msh, ok := msg.Segment("MSH"); ok && msh.Text(8) != "" {
		key = "token:" + auth.HashToken(msh.Text(8))
	}
	if ok, _ := s.limit.Allow(key); ok {
		return nil
	}
	return problem(hl7.AE, "", 0, 0, hl7.ErrApplication,
		"rate limit: more than %g messages a second from this sender; nothing was stored, send it again in a moment", s.limit.Rate())
}

// sender is the facility of the token in MSH-8.
func (s *Service) sender(ctx context.Context, msg *hl7.Message) (uint, *Problem, error) {
	msh, _ := msg.Segment("MSH")
	tok := msh.Text(8)
	if tok == "" {
		return 0, problem(hl7.AR, "MSH", 1, 8, hl7.ErrApplication, "no sender token: this listener takes messages from registered senders only"), nil
	}
	snd, err := s.store.EHRSenderByToken(ctx, auth.HashToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		return 0, problem(hl7.AR, "MSH", 1, 8, hl7.ErrApplication, "unknown or revoked sender token"), nil
	}
	if err != nil {
		return 0, nil, err
	}
	return snd.FacilityID, nil, nil
}

// NewToken makes a sender token.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("ehr: sender token: %w", err)
	}
	return "cara-mllp-" + base64.RawURLEncoding.EncodeToString(b), nil
}

// redactSecurity blanks MSH-8 (the sender token) in the message kept: the token is a secret,
// stored only as its hash; the SHA-256 kept is of the message as received.
func redactSecurity(raw []byte, fs byte) []byte {
	end := bytes.IndexAny(raw, "\r\n")
	if end < 0 {
		end = len(raw)
	}
	parts := bytes.Split(raw[:end], []byte{fs})
	if len(parts) < 8 || len(parts[7]) == 0 {
		return raw
	}
	parts[7] = []byte("REDACTED")
	out := bytes.Join(parts, []byte{fs})
	return append(out, raw[end:]...)
}

func (s *Service) failed(res Result, err error) Result {
	res.Outcome = Error
	res.Problem = &Problem{Ack: hl7.AE, Detail: hl7.AckError{Code: hl7.ErrApplication,
		Reason: "the report could not be stored; send it again later (" + err.Error() + ")"}}
	return res
}

func outcomeOf(p *Problem) string {
	if p.Ack == hl7.AR {
		return Rejected
	}
	return Error
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func clip255(s string) string { return clipText(s, 255) }

// Ack is the acknowledgment of a message's result: AA for accepted and duplicate (the sender
// must not send it again), AE or AR with the reason.
func (s *Service) Ack(r Result) []byte {
	now := s.now()
	switch r.Outcome {
	case Accepted:
		return hl7.Ack(r.message, hl7.AA, "", nil, s.ids.Next(now), now)
	case Duplicate:
		return hl7.Ack(r.message, hl7.AA, "duplicate: control id "+r.ControlID+" was received before and is stored once", nil, s.ids.Next(now), now)
	}
	code := hl7.AE
	if r.Problem != nil {
		code = r.Problem.Ack
	}
	var d *hl7.AckError
	if r.Problem != nil {
		d = &r.Problem.Detail
	}
	return hl7.Ack(r.message, code, r.Reason(), d, s.ids.Next(now), now)
}

// Split cuts a file of messages into messages: each starts at an MSH segment; batch and file
// header and trailer segments (FHS, BHS, BTS, FTS) are left out. Segment ends may be CR, LF or
// both. The line of each message's MSH (1-based) is returned with it.
func Split(data []byte) (msgs [][]byte, lines []int) {
	var cur []byte
	curLine, line := 0, 0
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		seg := data
		if i >= 0 {
			crlf := data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n'
			seg, data = data[:i], data[i+1:]
			if crlf {
				data = data[1:]
			}
		} else {
			data = nil
		}
		line++
		if len(bytes.TrimSpace(seg)) == 0 {
			continue
		}
		name := string(seg[:min(3, len(seg))])
		switch name {
		case "FHS", "BHS", "BTS", "FTS":
			continue
		case "MSH":
			if cur != nil {
				msgs, lines = append(msgs, cur), append(lines, curLine)
			}
			cur, curLine = nil, line
		}
		if cur == nil && name != "MSH" {
			// Text before the first MSH is a message of its own, which will be refused for it.
			curLine = line
		}
		cur = append(cur, seg...)
		cur = append(cur, '\r')
	}
	if cur != nil {
		msgs, lines = append(msgs, cur), append(lines, curLine)
	}
	return msgs, lines
}

// Summary counts the results of a file.
func Summary(rs []Result) string {
	n := map[string]int{}
	for _, r := range rs {
		n[r.Outcome]++
	}
	return strconv.Itoa(len(rs)) + " messages: " + fmt.Sprintf("%d accepted, %d duplicate, %d error, %d rejected",
		n[Accepted], n[Duplicate], n[Error], n[Rejected])
}
