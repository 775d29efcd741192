// Package identity holds what matching a person across lists needs: names as compared, their
// Soundex and Jaro–Winkler similarity, and the dates and sexes of a list as hospitals and states
// write them. Casefinding and death clearance both match people to the registry's patients.
package identity

import (
	"strings"
	"time"
	"unicode"
)

// ParseDate reads CCYYMMDD, CCYY-MM-DD or MM/DD/CCYY (M/D/CCYY too) as CCYYMMDD; the date must exist.
func ParseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"20060102", "2006-01-02", "01/02/2006", "1/2/2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1850 {
			return t.Format("20060102"), true
		}
	}
	return "", false
}

// ParseSex reads the sex column as the code of Sex Assigned at Birth [225]: blank stays blank.
func ParseSex(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", true
	case "m", "male", "1":
		return "1", true
	case "f", "female", "2":
		return "2", true
	case "u", "unknown", "9":
		return "9", true
	}
	return "", false
}

// NormName is a name as compared: upper case letters only (O'Brien, OBRIEN and O BRIEN agree).
func NormName(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z') {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if unicode.IsLetter(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Soundex is the American Soundex code of a name (letters only count, in any case), "" for a
// name without letters: names spelled differently (Smith, Smyth) share it.
func Soundex(name string) string {
	s := NormName(name)
	if s == "" {
		return ""
	}
	code := func(r byte) byte {
		switch r {
		case 'B', 'F', 'P', 'V':
			return '1'
		case 'C', 'G', 'J', 'K', 'Q', 'S', 'X', 'Z':
			return '2'
		case 'D', 'T':
			return '3'
		case 'L':
			return '4'
		case 'M', 'N':
			return '5'
		case 'R':
			return '6'
		case 'H', 'W':
			return 'h'
		}
		return '0' // vowels, and letters beyond A–Z
	}
	out := []byte{s[0]}
	last := code(s[0])
	for i := 1; i < len(s) && len(out) < 4; i++ {
		c := code(s[i])
		switch {
		case c == 'h': // H and W do not separate letters of the same code
		case c == '0':
			last = '0'
		case c != last:
			out = append(out, c)
			last = c
		}
	}
	for len(out) < 4 {
		out = append(out, '0')
	}
	return string(out)
}

// JaroWinkler is the Jaro–Winkler similarity of two strings, 0 to 1.
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	ra, rb := []rune(a), []rune(b)
	la, lb := len(ra), len(rb)
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	window = max(window, 0)
	ma, mb := make([]bool, la), make([]bool, lb)
	matches := 0
	for i := range ra {
		lo, hi := max(0, i-window), min(lb-1, i+window)
		for j := lo; j <= hi; j++ {
			if !mb[j] && ra[i] == rb[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans, j := 0, 0
	for i := range ra {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if ra[i] != rb[j] {
			trans++
		}
		j++
	}
	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans)/2)/m) / 3
	prefix := 0
	for prefix < min(4, la, lb) && ra[prefix] == rb[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}
