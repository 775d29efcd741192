// Package hx names the htmx request and response headers cara uses.
package hx

// Header is an htmx HTTP header name.
type Header string

// The htmx headers cara reads or writes.
const (
	Request  Header = "HX-Request"  // "true" on every request htmx makes
	Redirect Header = "HX-Redirect" // tells htmx to load another page
	Retarget Header = "HX-Retarget"
	Target   Header = "HX-Target" // the id of the element a request's answer replaces
	// HistoryRestore is "true" when htmx reloads a page for its history (a whole page is wanted).
	HistoryRestore Header = "HX-History-Restore-Request"
)

// Is reports whether a request came from htmx, given its HX-Request header value.
func Is(headerValue string) bool { return headerValue == "true" }
