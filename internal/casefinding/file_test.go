package casefinding_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/casefinding"
)

var today = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

const header = "mrn,last_name,first_name,date_of_birth,sex,encounter_date,icd10cm_codes\n"

func TestParseFileRefusesAFileItCannotRead(t *testing.T) {
	l := loadLists(t)
	cases := []struct{ name, body, err string }{
		{"empty", "", "empty"},
		{"missing columns", "mrn,last_name\n1,A\n", "no column first_name, date_of_birth, sex, encounter_date, icd10cm_codes"},
		{"column twice", "mrn,MRN,last_name\n", "named twice"},
	}
	for _, c := range cases {
		_, err := l.ParseFile(strings.NewReader(c.body), "other", today)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.err)
		}
	}
	if _, err := l.ParseFile(strings.NewReader(header), "nowhere", today); err == nil || !strings.Contains(err.Error(), "unknown source") {
		t.Errorf("unknown default source: %v", err)
	}
}

// TestParseFileNamesEachBadValue: each bad row is refused with its row, column, value and reason;
// the good rows around it are kept.
func TestParseFileNamesEachBadValue(t *testing.T) {
	l := loadLists(t)
	cases := []struct{ name, row, want string }{
		{"no mrn", ",Hale,Anne,19550304,F,20260901,C50.9", "column mrn: \"\": required"},
		{"long mrn", "1234567890123456,Hale,Anne,19550304,F,20260901,C50.9", "up to 15 characters; got 16"},
		{"no last name", "1,,Anne,19550304,F,20260901,C50.9", "column last_name"},
		{"bad dob", "1,Hale,Anne,19551304,F,20260901,C50.9", "column date_of_birth: \"19551304\": not a date"},
		{"future encounter", "1,Hale,Anne,19550304,F,20270101,C50.9", "column encounter_date: \"20270101\": after today"},
		{"encounter before birth", "1,Hale,Anne,19550304,F,19500101,C50.9", "before the date of birth"},
		{"no encounter", "1,Hale,Anne,19550304,F,,C50.9", "column encounter_date: \"\": required"},
		{"bad sex", "1,Hale,Anne,19550304,Q,20260901,C50.9", "column sex: \"Q\""},
		{"bad code", "1,Hale,Anne,19550304,F,20260901,C50.9;5O.1", "column icd10cm_codes: \"C50.9;5O.1\": \"5O.1\" is not an ICD-10-CM code"},
		{"field count", "1,Hale,Anne,19550304,F,20260901", "row 3: 6 fields, the header has 7"},
		{"control character", "1,Hale\x01,Anne,19550304,F,20260901,C50.9", "control character"},
		{"bad quote", "1,Ha\"le,Anne,19550304,F,20260901,C50.9", "not CSV"},
	}
	good := "9,Good,Row,19600101,M,20260101,C61\n"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := l.ParseFile(strings.NewReader(header+good+c.row+"\n"+good), "other", today)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Error(), c.want) {
				t.Fatalf("errors %v, want one with %q", p.Errors, c.want)
			}
			if !strings.HasPrefix(p.Errors[0].Error(), "row 3") {
				t.Errorf("error %q is not of row 3", p.Errors[0])
			}
			if len(p.Rows) != 2 || p.Read != 3 {
				t.Errorf("kept %d rows of %d read, want 2 of 3", len(p.Rows), p.Read)
			}
		})
	}
}

func TestParseFileNormalizes(t *testing.T) {
	l := loadLists(t)
	body := "\ufeffMRN,Last Name,first_name,date_of_birth,sex,encounter_date,icd10cm_codes,Text,Source\n" +
		" 007 , hale ,Anne,3/4/1955,female,2026-09-01,c50911; C50911 ;z853,  path  says  IDC ,Pathology report\n\n"
	p, err := l.ParseFile(strings.NewReader(body), "disease_index", today)
	if err != nil || len(p.Rows) != 1 || len(p.Errors) != 0 {
		t.Fatalf("%+v %v", p, err)
	}
	r := p.Rows[0]
	if r.MRN != "007" || r.NameLast != "hale" || r.DateOfBirth != "19550304" || r.Sex != "2" || r.FirstContact != "20260901" ||
		strings.Join(r.Codes, ";") != "C50.911;Z85.3" || r.Source != "pathology" || r.Text != "path  says  IDC" {
		t.Errorf("row %+v", r)
	}
	// The key ignores the order of codes and the case of names, not the values.
	a := casefinding.Row{MRN: "1", NameLast: "Hale", Codes: []string{"C61", "Z85.3"}, FirstContact: "20260101", Source: "other"}
	b := a
	b.NameLast, b.Codes = "HALE", []string{"Z85.3", "C61"}
	c := a
	c.FirstContact = "20260102"
	if a.Key() != b.Key() || a.Key() == c.Key() {
		t.Errorf("keys %s %s %s: want the first two equal and the third apart", a.Key(), b.Key(), c.Key())
	}
}

// FuzzParseFile: whatever the bytes, the parser returns rows or errors without panicking, and
// every row it keeps is normalized as it promises.
func FuzzParseFile(f *testing.F) {
	f.Add(header + "1,Hale,Anne,19550304,F,20260901,C50.9\n")
	f.Add(sampleFile)
	f.Add(header + "1,\"Ha\"\"le\",Anne,,,2026-09-01,\n")
	f.Add("mrn\n")
	f.Add(header + "1,Hale,Anne,19550304,F,20260901,C50.9;;C61;D47.Z1;c44.13\n,\n")
	l := loadLists(f)
	f.Fuzz(func(t *testing.T, body string) {
		p, err := l.ParseFile(strings.NewReader(body), "other", today)
		if err != nil {
			return
		}
		if len(p.Rows) > p.Read || (len(p.Rows) < p.Read && len(p.Errors) == 0) {
			t.Fatalf("%d rows kept and %d errors of %d read: a row lost without a reason", len(p.Rows), len(p.Errors), p.Read)
		}
		for _, r := range p.Rows {
			if r.MRN == "" || r.NameLast == "" || len(r.FirstContact) != 8 || (r.DateOfBirth != "" && len(r.DateOfBirth) != 8) {
				t.Fatalf("row not normalized: %+v", r)
			}
			for _, c := range r.Codes {
				if n, err := casefinding.NormalizeCode(c); err != nil || n != c {
					t.Fatalf("code %q kept not normalized", c)
				}
			}
			_ = l.Rules.Record(r.Codes)
			_ = r.Key()
		}
	})
}
