package identity

import (
	"math"
	"testing"
)

func TestSoundexCodesNamesAsAmericanSoundex(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Robert", "R163"}, {"Rupert", "R163"}, {"Rubin", "R150"},
		{"Ashcraft", "A261"}, // H does not separate S and C
		{"Tymczak", "T522"},  // the vowel between C and K separates them
		{"Pfister", "P236"},  // P and F share a code as first letter and next
		{"Honeyman", "H555"},
		{"O'Brien", "O165"}, {"o brien", "O165"},
		{"Lee", "L000"}, {"", ""}, {"123", ""},
	}
	for _, tt := range tests {
		if got := Soundex(tt.name); got != tt.want {
			t.Errorf("Soundex(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestJaroWinklerScoresSimilarNames(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"MARTHA", "MARHTA", 0.961}, {"DWAYNE", "DUANE", 0.840}, {"DIXON", "DICKSONX", 0.813},
		{"SMITH", "SMITH", 1}, {"", "SMITH", 0}, {"ABC", "XYZ", 0},
	}
	for _, tt := range tests {
		if got := JaroWinkler(tt.a, tt.b); math.Abs(got-tt.want) > 0.001 {
			t.Errorf("JaroWinkler(%q, %q) = %.3f, want %.3f", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseDateReadsTheLayoutsOfHospitalLists(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"20260315", "20260315", true}, {"2026-03-15", "20260315", true}, {"03/15/2026", "20260315", true},
		{"3/5/2026", "20260305", true}, {" 20260315 ", "20260315", true},
		{"20260230", "", false}, {"15/03/2026", "", false}, {"18490101", "", false}, {"", "", false}, {"2026", "", false},
	}
	for _, tt := range tests {
		if got, ok := ParseDate(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseDate(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseSexGivesTheCodeOfSexAssignedAtBirth(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"M", "1", true}, {"male", "1", true}, {"1", "1", true}, {"F", "2", true}, {"Female", "2", true},
		{"u", "9", true}, {"9", "9", true}, {"", "", true}, {"X", "", false},
	}
	for _, tt := range tests {
		if got, ok := ParseSex(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseSex(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
