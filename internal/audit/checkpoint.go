package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Checkpoint is a signed statement of a trail's head, kept outside the database. The keyed chain
// shows any change to the events, but not the last events cut off with the head moved back, nor
// the trail rebuilt with the key by whoever holds it; a checkpoint kept elsewhere shows both: its
// event must still be in the trail with the hash it had.
type Checkpoint struct {
	LastID    uint64    // the last event of the trail when the checkpoint was made (0: empty)
	LastHash  string    // its hash (Genesis for an empty trail)
	Events    int64     // the events in the trail then: LastID, as the ids run without gaps
	KeyedFrom uint64    // where the key took over the trail (Seal.KeyedFrom)
	EventAt   time.Time // the time of the last event (zero for an empty trail)
	Made      time.Time // when the checkpoint was made
}

// checkpointMagic is the first line of a checkpoint file; its version changes with the format.
const checkpointMagic = "cara audit checkpoint v1"

// The lines of a checkpoint, in their order; the signature line comes last and covers the bytes
// of every line before it.
var checkpointFields = []string{"last-event", "last-hash", "events", "keyed-from", "event-time", "made", "public-key"}

// MakeCheckpoint is the checkpoint, made at made, of the trail src that Verify found intact (res);
// it reads the last event for its time.
func MakeCheckpoint(ctx context.Context, src Source, res Result, made time.Time) (Checkpoint, error) {
	if res.Break != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint: the trail is broken at event #%d", res.Break.ID)
	}
	c := Checkpoint{LastID: res.Head.LastID, LastHash: res.Head.LastHash, Events: res.Events, KeyedFrom: res.KeyedFrom,
		Made: made.UTC().Truncate(time.Second)}
	if res.Head.LastID == 0 {
		return c, nil
	}
	evs, err := src.AuditChain(ctx, res.Head.LastID-1, 1)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
	}
	if len(evs) == 0 || evs[0].ID != res.Head.LastID || evs[0].Hash != res.Head.LastHash {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint: event #%d changed since it was verified", res.Head.LastID)
	}
	c.EventAt = evs[0].At.UTC()
	return c, nil
}

// Sign writes c as a checkpoint file signed with k's ed25519 key: one "name: value" line each,
// readable by a person, and a last line with the signature of the bytes before it. The public key
// is written too, so that an auditor can check the signature with any ed25519 tool
// (openssl pkeyutl -verify -rawin); she must compare it with the one she holds, not trust it.
func (k *Key) Sign(c Checkpoint) []byte {
	var b bytes.Buffer
	eventAt := ""
	if !c.EventAt.IsZero() {
		eventAt = c.EventAt.UTC().Format(time.RFC3339Nano)
	}
	values := []string{strconv.FormatUint(c.LastID, 10), c.LastHash, strconv.FormatInt(c.Events, 10),
		strconv.FormatUint(c.KeyedFrom, 10), eventAt, c.Made.UTC().Format(time.RFC3339),
		base64.StdEncoding.EncodeToString(k.PublicKey())}
	b.WriteString(checkpointMagic + "\n")
	for i, name := range checkpointFields {
		fmt.Fprintf(&b, "%s: %s\n", name, values[i])
	}
	sig := ed25519.Sign(k.sign, b.Bytes())
	fmt.Fprintf(&b, "signature: %s\n", base64.StdEncoding.EncodeToString(sig))
	return b.Bytes()
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// OpenCheckpoint reads a checkpoint file and checks that k signed it: that it names k's public
// key and that its signature is k's for the lines before it. The error says which line is wrong.
func (k *Key) OpenCheckpoint(file []byte) (Checkpoint, error) {
	var c Checkpoint
	text := string(file)
	if !strings.HasPrefix(text, checkpointMagic+"\n") {
		return c, fmt.Errorf("not a cara audit checkpoint: the first line is not %q", checkpointMagic)
	}
	lines := strings.SplitAfter(text, "\n")
	// The magic line, the fields, the signature and the empty string after the last newline.
	if want := len(checkpointFields) + 3; len(lines) != want || lines[len(lines)-1] != "" {
		return c, fmt.Errorf("a checkpoint has %d lines ending with a newline, this one %d", want-1, strings.Count(text, "\n"))
	}
	values := make([]string, len(checkpointFields))
	for i, name := range checkpointFields {
		line := strings.TrimSuffix(lines[i+1], "\n")
		v, ok := strings.CutPrefix(line, name+": ")
		if !ok {
			return c, fmt.Errorf("line %d: want %q, got %q", i+2, name+": ...", quote(line))
		}
		values[i] = v
	}
	sigLine := strings.TrimSuffix(lines[len(lines)-2], "\n")
	sigText, ok := strings.CutPrefix(sigLine, "signature: ")
	if !ok {
		return c, fmt.Errorf("line %d: want %q, got %q", len(lines)-1, "signature: ...", quote(sigLine))
	}
	pub, err := base64.StdEncoding.DecodeString(values[6])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return c, fmt.Errorf("public-key: %q is not an ed25519 public key in base64", quote(values[6]))
	}
	if !bytes.Equal(pub, k.PublicKey()) {
		return c, fmt.Errorf("it was signed with another key (public key %s), not this installation's (%s)",
			values[6], base64.StdEncoding.EncodeToString(k.PublicKey()))
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return c, fmt.Errorf("signature: %q is not an ed25519 signature in base64", quote(sigText))
	}
	signed := text[:len(text)-len(sigLine)-1]
	if !ed25519.Verify(k.PublicKey(), []byte(signed), sig) {
		return c, fmt.Errorf("its signature does not match its lines: the checkpoint was changed after it was signed")
	}

	// Signed by the key, so written by cara; the values are still checked, to fail clearly.
	if c.LastID, err = strconv.ParseUint(values[0], 10, 64); err != nil {
		return c, fmt.Errorf("last-event: %q is not an event id", quote(values[0]))
	}
	if c.LastHash = values[1]; !hexHash.MatchString(c.LastHash) {
		return c, fmt.Errorf("last-hash: %q is not a hash (64 hex digits)", quote(values[1]))
	}
	if c.Events, err = strconv.ParseInt(values[2], 10, 64); err != nil || c.Events < 0 || uint64(c.Events) != c.LastID {
		return c, fmt.Errorf("events: %q is not the number of events up to event #%d", quote(values[2]), c.LastID)
	}
	if c.KeyedFrom, err = strconv.ParseUint(values[3], 10, 64); err != nil || c.KeyedFrom == 0 {
		return c, fmt.Errorf("keyed-from: %q is not an event id", quote(values[3]))
	}
	if values[4] != "" {
		if c.EventAt, err = time.Parse(time.RFC3339Nano, values[4]); err != nil {
			return c, fmt.Errorf("event-time: %q is not an RFC 3339 time", quote(values[4]))
		}
	}
	if c.Made, err = time.Parse(time.RFC3339, values[5]); err != nil {
		return c, fmt.Errorf("made: %q is not an RFC 3339 time", quote(values[5]))
	}
	return c, nil
}

// quote shortens what a message quotes from a file.
func quote(s string) string {
	const most = 100
	if len(s) > most {
		return s[:most] + "..."
	}
	return s
}

// MatchCheckpoint checks a trail that Verify found intact (res) against a checkpoint made of it
// earlier: the checkpoint's event must still be there with the hash it had, and the key must have
// taken over at the same event. It returns what does not match, or "" when it all does; the error
// is for failing to read.
func MatchCheckpoint(ctx context.Context, src Source, res Result, c Checkpoint) (string, error) {
	if res.Break != nil {
		return "", fmt.Errorf("audit: match checkpoint: the trail is broken at event #%d", res.Break.ID)
	}
	if c.KeyedFrom != res.KeyedFrom {
		return fmt.Sprintf("the checkpoint records the key taking over at event #%d, the trail at event #%d: the seal was made again", c.KeyedFrom, res.KeyedFrom), nil
	}
	if c.LastID > res.Head.LastID {
		return fmt.Sprintf("the checkpoint records event #%d, but the trail ends at event #%d: the events after #%d were deleted",
			c.LastID, res.Head.LastID, res.Head.LastID), nil
	}
	if c.LastID == 0 {
		return "", nil
	}
	evs, err := src.AuditChain(ctx, c.LastID-1, 1)
	if err != nil {
		return "", fmt.Errorf("audit: match checkpoint: %w", err)
	}
	if len(evs) == 0 || evs[0].ID != c.LastID {
		return fmt.Sprintf("event #%d of the checkpoint is missing from the trail", c.LastID), nil
	}
	if evs[0].Hash != c.LastHash {
		return fmt.Sprintf("event #%d has the hash %s, but the checkpoint recorded %s: the trail was rebuilt since", c.LastID, evs[0].Hash, c.LastHash), nil
	}
	return "", nil
}
