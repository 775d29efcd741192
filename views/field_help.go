package views

import "unicode/utf8"

// ariaCurrent marks the tab of the page shown.
func ariaCurrent(active bool) string {
	if active {
		return "page"
	}
	return "false"
}

// charCount counts characters as NAACCR lengths do (runes, not bytes).
func charCount(s string) int { return utf8.RuneCountInString(s) }

// dataTypeLabel says what a NAACCR data type accepts.
func dataTypeLabel(t string) string {
	switch t {
	case "digits":
		return "digits 0-9"
	case "numeric":
		return "number"
	case "alpha":
		return "letters A-Z"
	case "mixed":
		return "letters A-Z and digits"
	case "date":
		return "date"
	case "dateTime":
		return "date and time"
	case "", "text":
		return "text"
	}
	return t
}

// shorten cuts a long value (a text item) for a table cell.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// textRows sizes a text area to its item: a line or two for a title, more for a narrative.
func textRows(length int) string {
	if length <= 100 {
		return "2"
	}
	return "5"
}
