package naaccr

import (
	"strconv"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/excerpt"
)

// maxQuoted is how many bytes of an input string (a name, a value, an attribute, text) a message
// quotes. A hostile file can hold names and values of many megabytes; echoing them whole made
// messages of that size, held in memory and written to logs and pages.
const maxQuoted = 100

// maxQuotedMessage bounds a message of another part (a dictionary loader's error, a list of
// URIs) that is quoted within a message.
const maxQuotedMessage = 400

// clip returns s as a message may quote it: whole when short, else its first maxQuoted bytes (cut
// at a character boundary), "…" and its length.
func clip(s string) string { return clipN(s, maxQuoted) }

// clipN is clip with a limit of n bytes.
func clipN(s string, n int) string {
	h, cut := excerpt.HeadN(s, n)
	if !cut {
		return s
	}
	return h + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// clipBytes is clip for a byte slice, copying no more than it quotes.
func clipBytes(b []byte) string {
	if len(b) <= maxQuoted {
		return string(b)
	}
	h, _ := excerpt.HeadN(string(b[:maxQuoted+utf8.UTFMax]), maxQuoted)
	return h + "… (" + strconv.Itoa(len(b)) + " bytes)"
}

// clippedError is an error of another package (encoding/xml) whose message may quote its input
// whole: its message is clipped, and it still unwraps to the error.
type clippedError struct {
	prefix string
	err    error
}

func (e *clippedError) Error() string { return e.prefix + clipN(e.err.Error(), maxQuotedMessage) }
func (e *clippedError) Unwrap() error { return e.err }
