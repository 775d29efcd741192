package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// The items codec: a NAACCR item map as the JSON object an items column holds (patients.items,
// tumor_items.items). Value writes it; Scan (GORM's reads) and decodeItems (the batch readers'
// hand-scanned rows) read it, through the one decoder.

// Items is a NAACCR item map (naaccrId → value) stored as a JSON object.
type Items map[string]string

// Value encodes the items as a JSON object with sorted keys (so equal items give equal text); a
// nil map is stored as {}. It is written by hand because encoding/json's reflection was a third
// of the time of a bulk import.
func (it Items) Value() (driver.Value, error) {
	if len(it) == 0 {
		return "{}", nil
	}
	keys := make([]string, 0, len(it))
	size := 2
	for k, v := range it {
		keys = append(keys, k)
		size += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, it[k])
	}
	b = append(b, '}')
	return string(b), nil
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\\ufffd"...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript; escape them like encoding/json.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Scan decodes the JSON object read from the database, with the same decoder the batch readers
// use on the driver's buffer (decodeItems).
func (it *Items) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*it = Items{}
		return nil
	default:
		return fmt.Errorf("store: items column holds %T", src)
	}
	m, err := decodeItems(b, Items{})
	if err != nil {
		return err
	}
	*it = m
	return nil
}

// decodeItems decodes an items column into m, which must be empty: a JSON object of strings, as
// Items.Value writes it. The keys and values without escapes are slices of one string made of the
// whole text (one allocation for them all). Anything it does not expect is left to encoding/json
// (in a map of its own).
func decodeItems(b []byte, m Items) (Items, error) {
	if len(b) == 0 {
		return Items{}, nil
	}
	if !utf8.Valid(b) {
		return decodeItemsSlow(b) // encoding/json puts U+FFFD for invalid UTF-8
	}
	s := string(b)
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return decodeItemsSlow(b)
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return m, nil
	}
	for {
		k, j, ok := jsonString(s, i)
		if !ok {
			return decodeItemsSlow(b)
		}
		j = skipSpace(s, j)
		if j >= len(s) || s[j] != ':' {
			return decodeItemsSlow(b)
		}
		v, j2, ok := jsonString(s, skipSpace(s, j+1))
		if !ok {
			return decodeItemsSlow(b)
		}
		m[k] = v
		i = skipSpace(s, j2)
		if i >= len(s) {
			return decodeItemsSlow(b)
		}
		if s[i] == '}' {
			if skipSpace(s, i+1) != len(s) {
				return decodeItemsSlow(b)
			}
			return m, nil
		}
		if s[i] != ',' {
			return decodeItemsSlow(b)
		}
		i = skipSpace(s, i+1)
	}
}

// decodeItemsSlow is encoding/json's reading of an items column, for what decodeItems does not expect.
func decodeItemsSlow(b []byte) (Items, error) {
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("store: decode items: %w", err)
	}
	return m, nil
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// jsonString reads the JSON string at s[i:], returning it and the index after it. A string
// without escapes is a slice of s; one with escapes is left to encoding/json.
func jsonString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	start := i + 1
	for j := start; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '"':
			return s[start:j], j + 1, true
		case c == '\\':
			// Find the end of the string, then let encoding/json unescape it.
			k := j
			for k < len(s) {
				if s[k] == '\\' {
					k += 2
					continue
				}
				if s[k] == '"' {
					break
				}
				k++
			}
			if k >= len(s) {
				return "", i, false
			}
			var out string
			if err := json.Unmarshal([]byte(s[i:k+1]), &out); err != nil {
				return "", i, false
			}
			return out, k + 1, true
		case c < 0x20:
			return "", i, false
		}
	}
	return "", i, false
}
