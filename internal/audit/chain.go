package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// Genesis is the prev_hash of the first event of a trail.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Event is one stored audit event as the hash chain sees it.
type Event struct {
	ID         uint64
	At         time.Time
	UserID     *uint64
	Action     string
	Entity     string
	EntityID   string
	Details    string // JSON text
	RemoteAddr string
	PrevHash   string // Hash of the event before; Genesis for the first
	Hash       string // hex HMAC-SHA-256 of Encode(event) under the key (Key.Sum), which covers PrevHash; plain SHA-256 (Sum) before the key
}

// Head is the end of a chain: the last event's id and hash (0 and Genesis for an empty trail).
type Head struct {
	LastID   uint64
	LastHash string
}

// encodingVersion starts every encoding, so that a later change of the encoding cannot be
// mistaken for this one.
const encodingVersion = "cara-audit-v1"

// Encode is the canonical encoding of an event that its hash covers: its id, time, user, action,
// entity, entity id, details, remote address and PrevHash (not Hash), in that order, each as a
// netstring (length, ':', bytes, ','), so that no two different events share an encoding however
// their texts are split.
//
//   - The time is in UTC, RFC 3339 with as many fractional digits as needed.
//   - A missing user is an empty field; a user id is never empty.
//   - Details that are valid JSON are encoded as the JSON value, re-encoded canonically (object keys
//     sorted, no spaces, numbers as float64), prefixed 'j': MySQL's JSON column keeps the value,
//     not the text (it reorders keys and respaces), so the hash must not depend on the text.
//     Anything else (a tampered row) is the text itself, prefixed 'r'.
func Encode(e Event) []byte {
	b := make([]byte, 0, 128+len(e.Details)+len(e.EntityID))
	b = appendField(b, encodingVersion)
	b = appendField(b, strconv.FormatUint(e.ID, 10))
	b = appendField(b, e.At.UTC().Format(time.RFC3339Nano))
	user := ""
	if e.UserID != nil {
		user = strconv.FormatUint(*e.UserID, 10)
	}
	b = appendField(b, user)
	b = appendField(b, e.Action)
	b = appendField(b, e.Entity)
	b = appendField(b, e.EntityID)
	b = appendField(b, canonicalDetails(e.Details))
	b = appendField(b, e.RemoteAddr)
	b = appendField(b, e.PrevHash)
	return b
}

func appendField(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, ',')
}

// canonicalDetails is 'j' and the canonical JSON of details, or 'r' and the text when it is not
// JSON.
func canonicalDetails(details string) string {
	var v any
	if err := json.Unmarshal([]byte(details), &v); err == nil {
		if c, err := json.Marshal(v); err == nil {
			return "j" + string(c)
		}
	}
	return "r" + details
}

// Sum is the hex SHA-256 of Encode(e): the hash an event from before the key must carry.
func Sum(e Event) string {
	h := sha256.Sum256(Encode(e))
	return hex.EncodeToString(h[:])
}

// Link makes e the event that follows head in a trail from before the key: it takes the next id
// and head's hash as its PrevHash, its time in UTC to the microsecond (what both databases keep),
// and its own Hash, the plain Sum. The store appends with Key.Link.
func Link(head Head, e Event) Event {
	return link(head, e, Sum)
}

func link(head Head, e Event, sum func(Event) string) Event {
	e.ID = head.LastID + 1
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.PrevHash = head.LastHash
	e.Hash = sum(e)
	return e
}
