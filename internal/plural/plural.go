// Package plural says how many of a thing there are in words a person reads: "1 case", "3 cases",
// never "1 cases" or "case(s)". Every count shown on a page or in a message goes through it.
package plural

import "strconv"

// Count is n and its noun, which takes an s unless n is one: Count(1, "case") is "1 case".
// Every noun cara counts forms its plural with an s; one that does not needs CountOf.
func Count[N ~int | ~int64](n N, noun string) string {
	return CountOf(n, noun, noun+"s")
}

// CountOf is n and the noun's form for it: CountOf(2, "person", "people") is "2 people".
func CountOf[N ~int | ~int64](n N, one, many string) string {
	return strconv.FormatInt(int64(n), 10) + " " + Of(n, one, many)
}

// Of is the word that agrees with n: Of(n, "needs", "need"), Of(n, "is", "are").
func Of[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
