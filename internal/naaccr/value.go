package naaccr

import (
	"fmt"
	"unicode/utf8"
)

// text is what the value checks take: the exported functions take strings, and the reader checks
// a value on the bytes it read, before (or without) making a string of it.
type text interface{ ~string | ~[]byte }

// IsDigits reports whether s is made of the digits 0-9 only.
func IsDigits(s string) bool { return isDigits(s) }

func isDigits[T text](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsNumeric reports whether s is a NAACCR numeric value: digits with an optional decimal part.
func IsNumeric(s string) bool { return isNumeric(s) }

func isNumeric[T text](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return isDigits(s[:i]) && isDigits(s[i+1:])
		}
	}
	return isDigits(s)
}

// IsAlpha reports whether s is made of upper-case letters A-Z only.
func IsAlpha(s string) bool { return isAlpha(s) }

func isAlpha[T text](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// IsMixed reports whether s is made of upper-case letters A-Z and digits only.
func IsMixed(s string) bool { return isMixed(s) }

func isMixed[T text](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// IsDate reports whether s is a NAACCR date: CCYYMMDD, or the partial forms CCYYMM and CCYY that
// NAACCR allows when the day or month is unknown. The year must be 1850-2099 and the date must
// exist on the calendar (no 20250230).
func IsDate(s string) bool {
	_, err := ParseDate(s)
	return err == nil
}

// Date is a possibly partial NAACCR date; Month and Day are 0 when unknown.
type Date struct {
	Year, Month, Day int
}

// ParseDate parses a NAACCR date (CCYYMMDD, CCYYMM or CCYY) and says what is wrong with a bad one.
func ParseDate(s string) (Date, error) { return parseDate(s) }

func parseDate[T text](s T) (Date, error) {
	if len(s) != 4 && len(s) != 6 && len(s) != 8 {
		return Date{}, fmt.Errorf("a date has 8 digits (CCYYMMDD), or 6 (CCYYMM) or 4 (CCYY) when the day or month is unknown")
	}
	if !isDigits(s) {
		return Date{}, fmt.Errorf("a date has digits only")
	}
	d := Date{Year: atoi(s[0:4])}
	if d.Year < 1850 || d.Year > 2099 {
		return Date{}, fmt.Errorf("year %d is out of range", d.Year)
	}
	if len(s) >= 6 {
		d.Month = atoi(s[4:6])
		if d.Month < 1 || d.Month > 12 {
			return Date{}, fmt.Errorf("month %s does not exist", string(s[4:6]))
		}
	}
	if len(s) == 8 {
		d.Day = atoi(s[6:8])
		if d.Day < 1 || d.Day > DaysIn(d.Year, d.Month) {
			return Date{}, fmt.Errorf("day %s does not exist in %04d-%02d", string(s[6:8]), d.Year, d.Month)
		}
	}
	return d, nil
}

// IsDateTime reports whether s is an xsd:dateTime, to the letter of XML Schema:
// [-]CCYY-MM-DDThh:mm:ss, every field with its full number of digits (a one-digit hour is not
// one), optional fractional seconds, and an optional time zone (Z or ±hh:mm, at most ±14:00).
// Years may have more than four digits (without a leading zero) but not be 0000; the day must
// exist in its month; 24:00:00 is allowed as the end of a day. time.Parse is not used: it takes
// one-digit hours and cannot hold all of this.
func IsDateTime(s string) bool { return isDateTime(s) }

func isDateTime[T text](s T) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	y := 0
	for y < len(s) && s[y] >= '0' && s[y] <= '9' {
		y++
	}
	if y < 4 || (y > 4 && s[0] == '0') || y > 18 {
		return false
	}
	year := atoi(s[:y])
	if year == 0 {
		return false
	}
	s = s[y:]
	// -MM-DDThh:mm:ss: fixed positions.
	if len(s) < 15 || s[0] != '-' || s[3] != '-' || s[6] != 'T' || s[9] != ':' || s[12] != ':' {
		return false
	}
	for _, i := range [...]int{1, 2, 4, 5, 7, 8, 10, 11, 13, 14} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	month, day := atoi(s[1:3]), atoi(s[4:6])
	hour, minute, sec := atoi(s[7:9]), atoi(s[10:12]), atoi(s[13:15])
	if month < 1 || month > 12 || day < 1 || day > DaysIn(year, month) || minute > 59 || sec > 59 {
		return false
	}
	s = s[15:]
	fracZero := true
	if len(s) > 0 && s[0] == '.' {
		n := 1
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			if s[n] != '0' {
				fracZero = false
			}
			n++
		}
		if n == 1 {
			return false
		}
		s = s[n:]
	}
	if hour > 24 || (hour == 24 && (minute != 0 || sec != 0 || !fracZero)) {
		return false
	}
	switch {
	case len(s) == 0 || (len(s) == 1 && s[0] == 'Z'):
		return true
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' && isDigits(s[1:3]) && isDigits(s[4:6]):
		zh, zm := atoi(s[1:3]), atoi(s[4:6])
		return zm <= 59 && (zh < 14 || (zh == 14 && zm == 0))
	}
	return false
}

// DaysIn is the number of days of a month of the proleptic Gregorian calendar.
func DaysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// HasControlChars reports whether s holds a character that NAACCR XML does not allow in a value:
// C0 control characters other than tab, line feed and carriage return, or invalid UTF-8.
func HasControlChars(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return hasControlASCII(s)
}

// hasControlBytes is HasControlChars for bytes.
func hasControlBytes(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	return hasControlASCII(b)
}

// hasControlASCII looks for the control characters of HasControlChars in valid UTF-8: they are
// all single bytes, and no byte of a multi-byte sequence is below 0x80.
func hasControlASCII[T text](s T) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return true
		}
	}
	return false
}

// CheckType says whether value fits data type t; it returns nil or the reason it does not.
func CheckType(t DataType, value string) error { return checkType(t, value, HasControlChars) }

// checkTypeBytes is CheckType for the bytes of a value, which it does not copy.
func checkTypeBytes(t DataType, value []byte) error { return checkType(t, value, hasControlBytes) }

func checkType[T text](t DataType, value T, hasControl func(T) bool) error {
	switch t {
	case TypeDigits:
		if !isDigits(value) {
			return fmt.Errorf("only the digits 0-9 are allowed")
		}
	case TypeNumeric:
		if !isNumeric(value) {
			return fmt.Errorf("a number is expected (digits, with an optional decimal point)")
		}
	case TypeAlpha:
		if !isAlpha(value) {
			return fmt.Errorf("only upper-case letters A-Z are allowed")
		}
	case TypeMixed:
		if !isMixed(value) {
			return fmt.Errorf("only upper-case letters A-Z and digits 0-9 are allowed")
		}
	case TypeDate:
		if _, err := parseDate(value); err != nil {
			return err
		}
	case TypeDateTime:
		if !isDateTime(value) {
			return fmt.Errorf("a date and time is expected as CCYY-MM-DDThh:mm:ss, optionally with fractions and a time zone")
		}
	default:
		// The other types admit only ASCII letters and digits, checked above.
	}
	if (t == TypeText || t == TypeDateTime || t == "") && hasControl(value) {
		return fmt.Errorf("control characters are not allowed")
	}
	return nil
}

func atoi[T text](s T) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
