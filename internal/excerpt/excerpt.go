// Package excerpt shortens the input a message quotes: a value of any length (a 50 MB form
// field, a file's item value, a command-line argument) is quoted by its first Max bytes, an
// ellipsis and its length, so that a message stays a few hundred characters and an attacker
// cannot make cara build, store and send megabytes of error text. It imports only the standard
// library, so that any package of cara can use it.
package excerpt

import (
	"strconv"
	"unicode/utf8"
)

// Max is the most bytes of a value a message quotes.
const Max = 120

// Head is the start of s that a message quotes: s itself when it is at most Max bytes, else
// its first Max bytes or fewer, cut before a UTF-8 sequence rather than inside one; cut says
// whether s was shortened.
func Head(s string) (head string, cut bool) { return HeadN(s, Max) }

// HeadN is Head with a limit of n bytes, for a part that quotes less or more than Max.
func HeadN(s string, n int) (head string, cut bool) {
	if len(s) <= n {
		return s, false
	}
	i := n
	// Step back to the start of the sequence byte n belongs to (at most utf8.UTFMax-1 bytes).
	for j := 0; j < utf8.UTFMax && i > 0 && !utf8.RuneStart(s[i]); j++ {
		i--
	}
	return s[:i], true
}

// Quote is s in Go's double quotes (strconv.Quote), shortened past Max bytes with an ellipsis
// and the length: "AAAA…" (50,000,000 bytes). Short values come out as %q writes them.
func Quote(s string) string {
	h, cut := Head(s)
	if !cut {
		return strconv.Quote(s)
	}
	q := strconv.Quote(h)
	return q[:len(q)-1] + "…\" " + Size(len(s))
}

// Curly is s in typographic quotes for a sentence a person reads on a page, shortened past
// Max bytes: “AAAA…” (50,000 bytes).
func Curly(s string) string {
	h, cut := Head(s)
	if !cut {
		return "“" + s + "”"
	}
	return "“" + h + "…” " + Size(len(s))
}

// Clip is s as it is, shortened past Max bytes: AAAA… (50,000,000 bytes). It is for values a
// message writes without quotes.
func Clip(s string) string {
	h, cut := Head(s)
	if !cut {
		return s
	}
	return h + "… " + Size(len(s))
}

// Size is a length in bytes with a comma between thousands, in parentheses: (50,000,000 bytes).
func Size(n int) string {
	s := strconv.Itoa(n)
	out := make([]byte, 0, len(s)+len(s)/3+8)
	out = append(out, '(')
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(append(out, " bytes)"...))
}
