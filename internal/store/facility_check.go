package store

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/excerpt"
)

// The widths of the facilities columns (migrations 00001 and 00004).
const (
	maxFacilityCode = 32
	maxFacilityName = 200
)

// FacilityProblem is one field of a facility that breaks a rule.
type FacilityProblem struct {
	Field   string // the form field and column: code, name, npi, id_number
	Message string // names the field and the rule, e.g. "Code: letters, digits, - and _ only; got “a b”."
}

// CheckFacility checks a facility's fields as entered (the web form trims them first; the
// command line takes them as typed), so that every way of adding or changing a facility keeps
// the same rules: the code goes into file names, URLs and comma-separated command-line lists,
// and the numbers into submission files.
func CheckFacility(f Facility) []FacilityProblem {
	var ps []FacilityProblem
	add := func(field, msg string) { ps = append(ps, FacilityProblem{Field: field, Message: msg}) }
	switch {
	case f.Code == "":
		add("code", "Code: required.")
	case utf8.RuneCountInString(f.Code) > maxFacilityCode:
		add("code", "Code: up to 32 characters; got "+strconv.Itoa(utf8.RuneCountInString(f.Code))+".")
	case strings.TrimFunc(f.Code, isCodeChar) != "":
		add("code", "Code: letters (A–Z), digits, - and _ only; got "+excerpt.Curly(f.Code)+".")
	}
	switch {
	case strings.TrimSpace(f.Name) == "":
		add("name", "Name: required.")
	case utf8.RuneCountInString(f.Name) > maxFacilityName:
		add("name", "Name: up to 200 characters; got "+strconv.Itoa(utf8.RuneCountInString(f.Name))+".")
	}
	if f.NPI != "" && !tenDigits(f.NPI) {
		add("npi", "NPI: a National Provider Identifier has exactly 10 digits; got "+excerpt.Curly(f.NPI)+".")
	}
	if f.IDNumber != "" && !tenDigits(f.IDNumber) {
		add("id_number", "ID number (Reporting Facility [540]): exactly 10 digits, or empty; got "+excerpt.Curly(f.IDNumber)+".")
	}
	return ps
}

func isCodeChar(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

func tenDigits(s string) bool {
	return len(s) == 10 && strings.Trim(s, "0123456789") == ""
}
