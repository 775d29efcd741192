package naaccr

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCharacterClassPredicates(t *testing.T) {
	tests := []struct {
		value                         string
		digits, numeric, alpha, mixed bool
	}{
		{value: "", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "0", digits: true, numeric: true, alpha: false, mixed: true},
		{value: "0123456789", digits: true, numeric: true, alpha: false, mixed: true},
		{value: "12.5", digits: false, numeric: true, alpha: false, mixed: false},
		{value: "0.05", digits: false, numeric: true, alpha: false, mixed: false},
		{value: "12.", digits: false, numeric: false, alpha: false, mixed: false},
		{value: ".5", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "1.2.3", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "-1", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "+1", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "1e3", digits: false, numeric: false, alpha: false, mixed: false},
		{value: " 12", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "ABCXYZ", digits: false, numeric: false, alpha: true, mixed: true},
		{value: "NY", digits: false, numeric: false, alpha: true, mixed: true},
		{value: "ny", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "Ny", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "A B", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "C509", digits: false, numeric: false, alpha: false, mixed: true},
		{value: "c509", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "C50-9", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "ÄB", digits: false, numeric: false, alpha: false, mixed: false},
		{value: "１２", digits: false, numeric: false, alpha: false, mixed: false}, // full-width digits
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.value), func(t *testing.T) {
			if got := IsDigits(tt.value); got != tt.digits {
				t.Errorf("IsDigits = %v, want %v", got, tt.digits)
			}
			if got := IsNumeric(tt.value); got != tt.numeric {
				t.Errorf("IsNumeric = %v, want %v", got, tt.numeric)
			}
			if got := IsAlpha(tt.value); got != tt.alpha {
				t.Errorf("IsAlpha = %v, want %v", got, tt.alpha)
			}
			if got := IsMixed(tt.value); got != tt.mixed {
				t.Errorf("IsMixed = %v, want %v", got, tt.mixed)
			}
		})
	}
}

func TestParseDateAcceptsOnlyCalendarDatesAndPartialDates(t *testing.T) {
	tests := []struct {
		value   string
		want    Date
		wantErr string // substring of the error; empty when the date is valid
	}{
		{value: "20240229", want: Date{2024, 2, 29}},
		{value: "20000229", want: Date{2000, 2, 29}},
		{value: "20251231", want: Date{2025, 12, 31}},
		{value: "2025", want: Date{Year: 2025}},
		{value: "202503", want: Date{Year: 2025, Month: 3}},
		{value: "1850", want: Date{Year: 1850}},
		{value: "18500101", want: Date{1850, 1, 1}},
		{value: "20991231", want: Date{2099, 12, 31}},
		{value: "20250230", wantErr: "day 30 does not exist in 2025-02"},
		{value: "19000229", wantErr: "day 29 does not exist in 1900-02"},
		{value: "20250431", wantErr: "day 31 does not exist in 2025-04"},
		{value: "20250100", wantErr: "day 00 does not exist"},
		{value: "20251345", wantErr: "month 13 does not exist"},
		{value: "202513", wantErr: "month 13 does not exist"},
		{value: "202500", wantErr: "month 00 does not exist"},
		{value: "1849", wantErr: "year 1849 is out of range"},
		{value: "2100", wantErr: "year 2100 is out of range"},
		{value: "2025-03", wantErr: "8 digits"},
		{value: "2025-3", wantErr: "digits only"},
		{value: "20250", wantErr: "8 digits"},
		{value: "202503011", wantErr: "8 digits"},
		{value: "", wantErr: "8 digits"},
		{value: "    ", wantErr: "digits only"},
		{value: "2025  ", wantErr: "digits only"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.value), func(t *testing.T) {
			got, err := ParseDate(tt.value)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseDate = %+v, %v; want %+v", got, err, tt.want)
				}
				if !IsDate(tt.value) {
					t.Error("IsDate = false for a valid date")
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseDate = %+v, want an error containing %q", got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if got != (Date{}) {
				t.Errorf("invalid date returned %+v, want the zero Date", got)
			}
			if IsDate(tt.value) {
				t.Error("IsDate = true for an invalid date")
			}
		})
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"20240229", "20250230", "20251345", "202513", "2025", "202503", "1849", "2025-03", "", "00000000", "99999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if d != (Date{}) {
				t.Fatalf("ParseDate(%q) failed but returned %+v", s, d)
			}
			return
		}
		if d.Year < 1850 || d.Year > 2099 {
			t.Fatalf("ParseDate(%q) = %+v: year out of range", s, d)
		}
		var back string
		switch len(s) {
		case 4:
			back = fmt.Sprintf("%04d", d.Year)
			if d.Month != 0 || d.Day != 0 {
				t.Fatalf("ParseDate(%q) = %+v: a year-only date has month and day 0", s, d)
			}
		case 6:
			back = fmt.Sprintf("%04d%02d", d.Year, d.Month)
			if d.Day != 0 {
				t.Fatalf("ParseDate(%q) = %+v: a year-month date has day 0", s, d)
			}
		case 8:
			back = fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day)
			tm := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
			if tm.Year() != d.Year || int(tm.Month()) != d.Month || tm.Day() != d.Day {
				t.Fatalf("ParseDate(%q) = %+v, which is not on the calendar", s, d)
			}
		default:
			t.Fatalf("ParseDate(%q) accepted a value of length %d", s, len(s))
		}
		if back != s {
			t.Fatalf("ParseDate(%q) = %+v, which formats back as %q", s, d, back)
		}
		if d.Month != 0 && (d.Month < 1 || d.Month > 12) {
			t.Fatalf("ParseDate(%q) = %+v: month out of range", s, d)
		}
	})
}

func TestIsDateTimeAcceptsXSDateTime(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"2026-03-15T10:20:30-05:00", true},
		{"2026-03-15T10:20:30+01:00", true},
		{"2026-03-15T10:20:30Z", true},
		{"2026-03-15T10:20:30.123Z", true},
		{"2026-03-15T10:20:30", true},
		{"2026-03-15T10:20:30.5", true},
		{"", false},
		{"2026-03-15", false},
		{"2026-03-15 10:20:30", false},
		{"20260315T102030Z", false},
		{"2026-02-30T10:20:30Z", false},
		{"2026-03-15T25:00:00Z", false},
		{"2026-03-15T10:20Z", false},
		{"2026-03-15T10:20:30+0500", false},
		{"2026-03-15T1:20:30Z", false},
		{"2026-03-15T1:20:30", false},
		{"2026-3-15T10:20:30", false},
		{"2026-03-5T10:20:30", false},
		{"2026-03-15T10:2:30", false},
		{"2026-03-15T10:20:3", false},
		{"2026-03-15T10:20:30.", false},
		{"2026-03-15T10:20:60Z", false},
		{"2026-03-15T10:20:30.123456789012Z", true},
		{"2026-03-15T24:00:00", true},
		{"2026-03-15T24:00:00.000Z", true},
		{"2026-03-15T24:00:01", false},
		{"2026-03-15T10:20:30+14:00", true},
		{"2026-03-15T10:20:30-14:01", false},
		{"2026-03-15T10:20:30+15:00", false},
		{"2026-03-15T10:20:30+05:60", false},
		{"2024-02-29T00:00:00", true},
		{"2025-02-29T00:00:00", false},
		{"12026-03-15T10:20:30Z", true},
		{"02026-03-15T10:20:30Z", false},
		{"0000-03-15T10:20:30Z", false},
		{"-0044-03-15T10:20:30Z", true},
		{"2026-03-15T10:20:30 ", false},
		{"2026-03-15t10:20:30", false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := IsDateTime(tt.value); got != tt.want {
				t.Errorf("IsDateTime(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestHasControlCharsFindsCharactersXMLCannotCarry(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"", false},
		{"Breast, NOS", false},
		{"tab\tline\nreturn\r", false},
		{"Müller-Åström", false},
		{"a\x00b", true},
		{"\x01", true},
		{"bell\x07", true},
		{"esc\x1b[0m", true},
		{"del\x7f", true},
		{"bad \xff utf-8", true},
		{"cut \xc3", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.value), func(t *testing.T) {
			if got := HasControlChars(tt.value); got != tt.want {
				t.Errorf("HasControlChars(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestCheckTypeSaysWhyAValueDoesNotFitItsType(t *testing.T) {
	tests := []struct {
		typ     DataType
		value   string
		wantErr string // substring; empty when the value fits
	}{
		{TypeText, "Breast, NOS", ""},
		{TypeText, "lower case and 123", ""},
		{TypeText, "ctrl\x02", "control characters"},
		{DataType(""), "no type is text", ""},
		{TypeDigits, "0042", ""},
		{TypeDigits, "42a", "only the digits 0-9"},
		{TypeDigits, "4 2", "only the digits 0-9"},
		{TypeNumeric, "12.75", ""},
		{TypeNumeric, "12", ""},
		{TypeNumeric, "-12", "a number is expected"},
		{TypeNumeric, "12,5", "a number is expected"},
		{TypeAlpha, "NY", ""},
		{TypeAlpha, "ny", "upper-case letters A-Z"},
		{TypeAlpha, "N1", "upper-case letters A-Z"},
		{TypeMixed, "A1B2", ""},
		{TypeMixed, "a1", "upper-case letters A-Z and digits"},
		{TypeMixed, "A-1", "upper-case letters A-Z and digits"},
		{TypeDate, "20240229", ""},
		{TypeDate, "202503", ""},
		{TypeDate, "20250230", "day 30 does not exist"},
		{TypeDate, "2025-03-01", "8 digits"},
		{TypeDateTime, "2026-03-15T10:20:30-05:00", ""},
		{TypeDateTime, "2026-03-15", "a date and time is expected"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+"/"+tt.value, func(t *testing.T) {
			err := CheckType(tt.typ, tt.value)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("CheckType(%s, %q) = %v, want nil", tt.typ, tt.value, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckType(%s, %q) = %v, want an error containing %q", tt.typ, tt.value, err, tt.wantErr)
			}
		})
	}
}

// xsdDateTime is the lexical form of xsd:dateTime, as a regular expression; the day of the month
// and the 24:00:00 rule are checked apart.
var xsdDateTime = regexp.MustCompile(`^-?([1-9][0-9]{4,}|[0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?$`)

// FuzzIsDateTime: IsDateTime agrees with the grammar of xsd:dateTime and, for the years time can
// hold, with the calendar.
func FuzzIsDateTime(f *testing.F) {
	for _, s := range []string{"2026-03-15T10:20:30Z", "2026-03-15T1:20:30", "2026-02-29T00:00:00", "2024-02-29T24:00:00.00+14:00", "-12026-03-15T10:20:30.5-05:00", "0000-01-01T00:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := IsDateTime(s)
		if got && !xsdDateTime.MatchString(s) {
			t.Fatalf("IsDateTime(%q) = true, but it is not of the xsd:dateTime form", s)
		}
		if !xsdDateTime.MatchString(s) || len(s) < 19 || s[0] == '-' || s[4] != '-' || strings.HasPrefix(s, "0000") || s[11:13] == "24" {
			return
		}
		// A four-digit year from 0001: time.Parse says whether the day exists.
		_, err := time.Parse("2006-01-02", s[:10])
		if got != (err == nil) {
			t.Fatalf("IsDateTime(%q) = %v, but the calendar says %v", s, got, err)
		}
	})
}
