package edits_test

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
)

var (
	fixtureOnce sync.Once
	dict        *naaccr.Dictionary
	tables      *codes.Tables
	fixtureErr  error
)

// newChecker returns a fresh checker over the real v26 dictionary and code tables.
func newChecker(t *testing.T) (*edits.FieldChecker, *naaccr.Dictionary) {
	t.Helper()
	fixtureOnce.Do(func() {
		schemas := os.DirFS("../../schemas")
		if dict, fixtureErr = naaccr.LoadBaseDictionary(schemas, "260"); fixtureErr != nil {
			return
		}
		tables, fixtureErr = codes.Load(schemas)
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	fc, err := edits.NewFieldChecker(tables)
	if err != nil {
		t.Fatal(err)
	}
	return fc, dict
}

type checkCase struct {
	name   string
	item   string
	value  string
	editID string   // "" when the value is valid
	msg    []string // substrings of the message
}

var checkCases = []checkCase{
	{name: "impossible month", item: "dateOfDiagnosis", value: "20251345",
		editID: "field." + edits.RuleDataType, msg: []string{"Date of Diagnosis [390]", `"20251345"`, "data type date", "month 13 does not exist"}},
	{name: "impossible day", item: "dateOfBirth", value: "20250230",
		editID: "field." + edits.RuleDataType, msg: []string{"Date of Birth [240]", "day 30 does not exist"}},
	{name: "letters in a digits item", item: "accessionNumberHosp", value: "12AB",
		editID: "field." + edits.RuleDataType, msg: []string{"Accession Number--Hosp [550]", `"12AB"`, "data type digits", "only the digits 0-9"}},
	{name: "too long", item: "nameLast", value: strings.Repeat("A", 41),
		editID: "field." + edits.RuleLength, msg: []string{"Name--Last [2230]", "41 characters entered", "at most 40"}},
	{name: "length is checked before the code list", item: "laterality", value: "12",
		editID: "field." + edits.RuleLength, msg: []string{"Laterality [410]", "2 characters entered", "at most 1"}},
	{name: "code not in a short list spells out the codes", item: "laterality", value: "7",
		editID: "field." + edits.RuleCode, msg: []string{"Laterality [410]", `"7"`, "not an allowed code (allowed: 0, 1, 2, 3, 4, 5, 9)"}},
	{name: "code not in a long list names the list", item: "race1", value: "1",
		editID: "field." + edits.RuleCode, msg: []string{"Race 1 [160]", `"1" is not in the code list race`}},
	{name: "unknown topography code", item: "primarySite", value: "C999",
		editID: "field." + edits.RuleCode, msg: []string{"Primary Site [400]", `"C999"`, "list " + codes.SchemeTopography}},
	{name: "lower-case topography is not normalized here", item: "primarySite", value: "c509",
		editID: "field." + edits.RuleCode, msg: []string{"Primary Site [400]"}},
	{name: "lower case in an alpha item fails its type before its list", item: "addrAtDxState", value: "ny",
		editID: "field." + edits.RuleDataType, msg: []string{"Addr at DX--State [80]", "data type alpha", "upper-case letters"}},
	{name: "upper-case state not in the list", item: "addrAtDxState", value: "QQ",
		editID: "field." + edits.RuleCode, msg: []string{"Addr at DX--State [80]", "list state"}},
	{name: "control character in text", item: "nameLast", value: "Doe\x07",
		editID: "field." + edits.RuleDataType, msg: []string{"Name--Last [2230]", "control characters"}},
	{name: "date and time without seconds", item: "pathDateSpecCollect1", value: "2026-03-15T10:20",
		editID: "field." + edits.RuleDataType, msg: []string{"Path Date Spec Collect 1 [7320]", "data type dateTime"}},

	{name: "full date", item: "dateOfDiagnosis", value: "20250315"},
	{name: "leap day", item: "dateOfDiagnosis", value: "20240229"},
	{name: "year only", item: "dateOfDiagnosis", value: "2025"},
	{name: "year and month", item: "dateOfDiagnosis", value: "202503"},
	{name: "blank date", item: "dateOfDiagnosis", value: ""},
	{name: "blank coded item", item: "laterality", value: ""},
	{name: "blank digits item", item: "accessionNumberHosp", value: ""},
	{name: "listed code", item: "laterality", value: "9"},
	{name: "listed race", item: "race1", value: "01"},
	{name: "listed topography", item: "primarySite", value: "C509"},
	{name: "listed histology", item: "histologicTypeIcdO3", value: "8500"},
	{name: "listed state", item: "addrAtDxState", value: "NY"},
	{name: "digits", item: "accessionNumberHosp", value: "202500001"},
	{name: "text at full length", item: "nameLast", value: strings.Repeat("A", 40)},
	{name: "length counts characters, not bytes", item: "nameLast", value: strings.Repeat("é", 40)},
	{name: "free text with punctuation", item: "nameLast", value: "O'Brien-Smith"},
	{name: "date and time", item: "pathDateSpecCollect1", value: "2026-03-15T10:20:30-05:00"},
}

func TestFieldCheckerCheck(t *testing.T) {
	fc, d := newChecker(t)
	for _, tt := range checkCases {
		t.Run(tt.name, func(t *testing.T) {
			def, ok := d.Item(tt.item)
			if !ok {
				t.Fatalf("no item %s", tt.item)
			}
			assertCheck(t, fc.Check(def, tt.value), tt)
		})
	}
}

func assertCheck(t *testing.T, r *edits.Result, tt checkCase) {
	t.Helper()
	if tt.editID == "" {
		if r != nil {
			t.Errorf("Check(%s, %q) = %+v, want nil", tt.item, tt.value, r)
		}
		return
	}
	if r == nil {
		t.Errorf("Check(%s, %q) = nil, want %s", tt.item, tt.value, tt.editID)
		return
	}
	if r.EditID != tt.editID || r.Severity != edits.SeverityError || len(r.Items) != 1 || r.Items[0] != tt.item {
		t.Errorf("Check(%s, %q) = %+v, want edit %s, severity error, items [%s]", tt.item, tt.value, r, tt.editID, tt.item)
	}
	for _, m := range tt.msg {
		if !strings.Contains(r.Message, m) {
			t.Errorf("message %q does not contain %q", r.Message, m)
		}
	}
}

// TestFieldCheckerIsSafeForConcurrentUse runs every case from several goroutines on a fresh
// checker, so its per-item tag cache is filled concurrently; run it with -race.
func TestFieldCheckerIsSafeForConcurrentUse(t *testing.T) {
	fc, d := newChecker(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range checkCases {
				tt := checkCases[(i+g)%len(checkCases)]
				def, _ := d.Item(tt.item)
				r := fc.Check(def, tt.value)
				if (r == nil) != (tt.editID == "") || (r != nil && r.EditID != tt.editID) {
					t.Errorf("goroutine %d: Check(%s, %q) = %+v, want edit %q", g, tt.item, tt.value, r, tt.editID)
				}
			}
		}()
	}
	wg.Wait()
}

func TestFieldCheckQuotesALongBadValueShortened(t *testing.T) {
	fc, d := newChecker(t)
	def, ok := d.Item("ehrReporting") // a text item of 4000 characters
	if !ok {
		t.Fatal("no item ehrReporting")
	}
	value := strings.Repeat("\x01", 3999) // control characters: four times as long quoted
	for name, r := range map[string]*edits.Result{"Check": fc.Check(def, value), "Fast": fc.Fast(def, value)} {
		if r == nil {
			t.Fatalf("%s passed control characters", name)
		}
		if len(r.Message) > 700 || !strings.Contains(r.Message, `…" (3,999 bytes) is not valid for data type`) {
			t.Errorf("%s: message of %d bytes: %.300q", name, len(r.Message), r.Message)
		}
	}
}
