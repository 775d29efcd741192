package store_test

import (
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

func TestCheckFacilityNamesTheFieldAndTheRule(t *testing.T) {
	ok := store.Facility{Code: "F-1_a", Name: "General", NPI: "1234567893", IDNumber: "0012345678"}
	for _, tc := range []struct {
		name  string
		set   func(f *store.Facility)
		field string // empty: no problem
		want  string
	}{
		{"all fields good", func(*store.Facility) {}, "", ""},
		{"no NPI or id number", func(f *store.Facility) { f.NPI, f.IDNumber = "", "" }, "", ""},
		{"32-character code", func(f *store.Facility) { f.Code = strings.Repeat("A", 32) }, "", ""},
		{"no code", func(f *store.Facility) { f.Code = "" }, "code", "Code: required"},
		{"33-character code", func(f *store.Facility) { f.Code = strings.Repeat("A", 33) }, "code", "Code: up to 32 characters; got 33"},
		{"space in code", func(f *store.Facility) { f.Code = "F 1" }, "code", "Code: letters (A–Z), digits, - and _ only; got “F 1”"},
		{"comma in code", func(f *store.Facility) { f.Code = "F1,F2" }, "code", "letters (A–Z), digits, - and _ only"},
		{"slash in code", func(f *store.Facility) { f.Code = "../F1" }, "code", "letters (A–Z), digits, - and _ only"},
		{"accented letter in code", func(f *store.Facility) { f.Code = "Hôpital" }, "code", "letters (A–Z), digits, - and _ only"},
		{"blank name", func(f *store.Facility) { f.Name = "  " }, "name", "Name: required"},
		{"long name", func(f *store.Facility) { f.Name = strings.Repeat("n", 201) }, "name", "Name: up to 200 characters"},
		{"short NPI", func(f *store.Facility) { f.NPI = "12345" }, "npi", "NPI: a National Provider Identifier has exactly 10 digits; got “12345”"},
		{"letters in NPI", func(f *store.Facility) { f.NPI = "12345678AB" }, "npi", "exactly 10 digits"},
		{"short id number", func(f *store.Facility) { f.IDNumber = "12345" }, "id_number", "ID number (Reporting Facility [540]): exactly 10 digits, or empty; got “12345”"},
		{"long id number", func(f *store.Facility) { f.IDNumber = "12345678901" }, "id_number", "exactly 10 digits"},
		{"letters in id number", func(f *store.Facility) { f.IDNumber = "00123456AB" }, "id_number", "exactly 10 digits"},
		{"space in id number", func(f *store.Facility) { f.IDNumber = " 012345678" }, "id_number", "exactly 10 digits"},
		{"long value quoted short", func(f *store.Facility) { f.NPI = strings.Repeat("9", 5000) }, "npi", `…” (5,000 bytes)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := ok
			tc.set(&f)
			ps := store.CheckFacility(f)
			if tc.field == "" {
				if len(ps) != 0 {
					t.Fatalf("problems %+v, want none", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Field != tc.field || !strings.Contains(ps[0].Message, tc.want) {
				t.Fatalf("problems %+v, want one for %s with %q", ps, tc.field, tc.want)
			}
			if len(ps[0].Message) > 300 {
				t.Errorf("message of %d bytes", len(ps[0].Message))
			}
		})
	}
}

func TestCheckFacilityReportsEveryBadField(t *testing.T) {
	ps := store.CheckFacility(store.Facility{Code: "a b", NPI: "1", IDNumber: "x"})
	var fields []string
	for _, p := range ps {
		fields = append(fields, p.Field)
	}
	if got := strings.Join(fields, " "); got != "code name npi id_number" {
		t.Errorf("fields %q, want code name npi id_number", got)
	}
}
