package casefinding_test

import (
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/store"
)

func TestMatchScoresAndSaysWhy(t *testing.T) {
	pats := []store.MatchPatient{
		{ID: 1, PatientIDNumber: "00000001", NameLast: "Hale", NameFirst: "Anne", DateOfBirth: "19550304", Sex: "2",
			Tumors: []store.MatchTumor{{ID: 10, MRN: "100200", PrimarySite: "C504", DateOfDiagnosis: "20240105", Status: "approved"}}},
		{ID: 2, PatientIDNumber: "00000002", NameLast: "Okafor", NameFirst: "Ada", DateOfBirth: "19491212", Sex: "2",
			Tumors: []store.MatchTumor{{ID: 20, MRN: "300400", PrimarySite: "C421", Histology: "9863", Status: "draft"}}},
		{ID: 3, PatientIDNumber: "00000003", NameLast: "Smith", NameFirst: "John", DateOfBirth: "19700101", Sex: "1"},
	}
	ix := casefinding.NewIndex(pats)
	cases := []struct {
		name    string
		row     casefinding.Row
		kind    string
		patient uint
		tumor   uint
		reason  string
	}{
		{"same patient, same site", casefinding.Row{MRN: "100200", NameLast: "HALE", NameFirst: "Anne", DateOfBirth: "19550304", Sex: "2", Codes: []string{"C50.912"}},
			casefinding.MatchAlreadyAbstracted, 1, 10, "code C50.912 is at its site C50"},
		{"same patient, other site", casefinding.Row{MRN: "100200", NameLast: "Hale", NameFirst: "Anne", DateOfBirth: "19550304", Codes: []string{"C18.7"}},
			casefinding.MatchKnownPatient, 1, 0, "a new primary?"},
		{"leading zeros of the MRN and a typo in the name", casefinding.Row{MRN: "00100200", NameLast: "Hail", NameFirst: "Ann", DateOfBirth: "19550304", Codes: []string{"C18.7"}},
			casefinding.MatchKnownPatient, 1, 0, "last name Hail is like Hale (+2)"},
		{"no MRN, name and date of birth", casefinding.Row{MRN: "999", NameLast: "Smith", NameFirst: "John", DateOfBirth: "19700101", Sex: "1", Codes: []string{"C61"}},
			casefinding.MatchKnownPatient, 3, 0, "the patient has no tumor yet"},
		{"a leukemia of a leukemia patient", casefinding.Row{MRN: "300400", NameLast: "Okafor", NameFirst: "Ada", DateOfBirth: "19491212", Codes: []string{"C92.00"}},
			casefinding.MatchAlreadyAbstracted, 2, 20, "hematopoietic"},
		{"a near first name and no sex: only possibly", casefinding.Row{MRN: "777", NameLast: "Smith", NameFirst: "Jon", DateOfBirth: "19700101", Codes: []string{"C61"}},
			casefinding.MatchKnownPatient, 3, 0, "possibly patient 00000003"},
		{"same name, another person", casefinding.Row{MRN: "888", NameLast: "Smith", NameFirst: "Jane", DateOfBirth: "19881230", Sex: "2", Codes: []string{"C61"}},
			casefinding.MatchNewPatient, 0, 0, "not patient 00000003"},
		{"nobody like them", casefinding.Row{MRN: "1", NameLast: "Zed", NameFirst: "Q", DateOfBirth: "20000101", Codes: []string{"C61"}},
			casefinding.MatchNewPatient, 0, 0, "no patient of the facility"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := ix.Match(&c.row)
			why := strings.Join(m.Reasons, " | ")
			if m.Kind != c.kind || m.PatientID != c.patient || m.TumorID != c.tumor {
				t.Errorf("match %s patient %d tumor %d (score %d: %s), want %s %d %d", m.Kind, m.PatientID, m.TumorID, m.Score, why, c.kind, c.patient, c.tumor)
			}
			if !strings.Contains(why, c.reason) {
				t.Errorf("reasons %q lack %q", why, c.reason)
			}
		})
	}
}
