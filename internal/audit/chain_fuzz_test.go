package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// decodeNetstrings splits an encoding back into its fields; that it can is what makes Encode
// injective.
func decodeNetstrings(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, ':')
		if i < 0 {
			t.Fatalf("no length in %q", b)
		}
		n, err := strconv.Atoi(string(b[:i]))
		if err != nil || n < 0 || i+1+n >= len(b) || b[i+1+n] != ',' {
			t.Fatalf("bad netstring at %q", b)
		}
		out = append(out, string(b[i+1:i+1+n]))
		b = b[i+2+n:]
	}
	return out
}

// FuzzEncodeIsInjective checks that an encoding gives back the event's fields (so two events
// with different contents never share one), that moving text from one field to the next changes
// the encoding, and that two details share a canonical form only when they are the same JSON
// value or the same text.
func FuzzEncodeIsInjective(f *testing.F) {
	f.Add(uint64(1), int64(0), uint64(0), "login.failure", "user", "jdoe", "{}", "192.0.2.1", Genesis, uint8(3), "{ }")
	f.Add(uint64(7), int64(1793611800120000000), uint64(3), "case.update", "tumor", "42",
		`{"changes":[{"item":"x","old":"1","new":"2"}]}`, "", "ab", uint8(200), `{"n":1e1}`)
	f.Add(uint64(1<<63), int64(-1), uint64(1), "", "", "", "not json", "1:x,", "", uint8(0), `{"n":10}`)
	f.Fuzz(func(t *testing.T, id uint64, nanos int64, user uint64, action, entity, entityID, details, remote, prev string, shift uint8, other string) {
		e := Event{ID: id, At: time.Unix(0, nanos), Action: action, Entity: entity, EntityID: entityID,
			Details: details, RemoteAddr: remote, PrevHash: prev}
		userField := ""
		if user > 0 {
			e.UserID = &user
			userField = strconv.FormatUint(user, 10)
		}
		want := []string{encodingVersion, strconv.FormatUint(id, 10), e.At.UTC().Format(time.RFC3339Nano), userField,
			action, entity, entityID, canonicalDetails(details), remote, prev}
		if got := decodeNetstrings(t, Encode(e)); !reflect.DeepEqual(got, want) {
			t.Fatalf("fields %q, want %q", got, want)
		}

		// Move the first k bytes of one string field to the end of the one before it.
		fields := []*string{&e.Action, &e.Entity, &e.EntityID, &e.Details, &e.RemoteAddr, &e.PrevHash}
		i := 1 + int(shift)%(len(fields)-1)
		if k := int(shift) % (len(*fields[i]) + 1); k > 0 {
			moved := e
			mf := []*string{&moved.Action, &moved.Entity, &moved.EntityID, &moved.Details, &moved.RemoteAddr, &moved.PrevHash}
			*mf[i-1] += (*fields[i])[:k]
			*mf[i] = (*fields[i])[k:]
			if bytes.Equal(Encode(moved), Encode(e)) {
				t.Fatalf("moving %q from field %d to field %d left the encoding as it was", (*fields[i])[:k], i, i-1)
			}
		}

		// Two details share a canonical form only when they are equal JSON values or equal texts.
		if canonicalDetails(details) == canonicalDetails(other) && details != other {
			var a, b any
			if json.Unmarshal([]byte(details), &a) != nil || json.Unmarshal([]byte(other), &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("details %q and %q share the canonical form %q", details, other, canonicalDetails(details))
			}
		}
	})
}
