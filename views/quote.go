package views

import "github.com/cara-registry/cara/internal/excerpt"

// Quoted is what a person typed, in quotes for a sentence, shortened past excerpt.Max bytes:
// “AAAA…” (50,000 bytes). A query string can be a megabyte long.
func Quoted(s string) string { return excerpt.Curly(s) }
