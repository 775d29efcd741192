package edits_test

import (
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
)

// The helper functions of the edit language, each tried through a small edit set of its own, so
// that these tests do not depend on the edits of schemas/edits, which change.

var (
	depsOnce   sync.Once
	depsDict   *naaccr.Dictionary
	depsTables *codes.Tables
)

// cachedDeps loads the real dictionary and code lists once for the tests of this file.
func cachedDeps(t *testing.T) (*naaccr.Dictionary, *codes.Tables) {
	t.Helper()
	depsOnce.Do(func() { depsDict, depsTables = loadDeps(t) })
	if depsDict == nil || depsTables == nil {
		t.Fatal("dictionary or code tables did not load")
	}
	return depsDict, depsTables
}

// siteHistTable is a look-up table of two columns: ranges, a * for any value, a comment line
// and plain values.
const siteHistTable = `site,histology
# lung: carcinomas only
C340-C349,8000-8799
C509,*
C619,8140
`

// loadTestSet compiles the YAML of one rule file (with the test table) against the real
// dictionary and code lists.
func loadTestSet(t *testing.T, yamlSrc string) *edits.Set {
	t.Helper()
	dict, tables := cachedDeps(t)
	fsys := fstest.MapFS{
		"edits/test.yaml":                 {Data: []byte(yamlSrc)},
		"edits/tables/site_histology.csv": {Data: []byte(siteHistTable)},
	}
	set, err := edits.Load(fsys, dict, tables, nil)
	if err != nil {
		t.Fatalf("load:\n%s\n%v", yamlSrc, err)
	}
	return set
}

// oneEdit is the YAML of a single edit E reading items, with the given check.
func oneEdit(items, check string) string {
	return "edits:\n  - id: E\n    name: test\n    severity: error\n    items: [" + items + "]\n" +
		"    check: '" + strings.ReplaceAll(check, "'", "''") + "'\n    message: failed\n"
}

// holds runs a check expression on a tumor and its patient and reports whether it held.
func holds(t *testing.T, items, check string, patient, tumor map[string]string) bool {
	t.Helper()
	set := loadTestSet(t, oneEdit(items, check))
	res, err := set.NewRunner().Tumor(patient, tumor, 0, nil)
	if err != nil {
		t.Fatalf("%s: %v", check, err)
	}
	for _, r := range res {
		if r.EditID == "E" {
			return false
		}
	}
	return true
}

type exprCase struct {
	expr string
	want bool
}

// checkExprs runs expressions that read no item (only literals) and compares their value.
func checkExprs(t *testing.T, cases []exprCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			if got := holds(t, "dateOfBirth", tc.expr, nil, nil); got != tc.want {
				t.Errorf("%s = %v, want %v", tc.expr, got, tc.want)
			}
		})
	}
}

func TestDateBeforeAndAfterCompareOnlyThePartsBothDatesKnow(t *testing.T) {
	checkExprs(t, []exprCase{
		{`dateBefore("20250611", "20250612")`, true},
		{`dateBefore("20250612", "20250612")`, false},
		{`dateBefore("20250613", "20250612")`, false},
		{`dateBefore("20241231", "20250101")`, true},
		// A partial date is neither before nor after a full date of the same year (or month).
		{`dateBefore("2025", "20250612")`, false},
		{`dateBefore("20250612", "2025")`, false},
		{`dateAfter("2025", "20250612")`, false},
		{`dateAfter("20250612", "2025")`, false},
		{`dateBefore("202506", "20250612")`, false},
		{`dateAfter("202506", "20250612")`, false},
		// ... but is when the parts it knows differ.
		{`dateBefore("2024", "20250612")`, true},
		{`dateBefore("202505", "20250612")`, true},
		{`dateAfter("202507", "20250612")`, true},
		{`dateAfter("2026", "202512")`, true},
		{`dateAfter("20250613", "20250612")`, true},
		{`dateAfter("20250612", "20250612")`, false},
		{`dateAfter("20250611", "20250612")`, false},
		// Blank or impossible dates are neither.
		{`dateBefore("", "20250612")`, false},
		{`dateAfter("", "20250612")`, false},
		{`dateBefore("20251345", "20260101")`, false},
		{`dateAfter("20260101", "2025x")`, false},
	})
}

func TestYearsBetweenCountsCompletedYears(t *testing.T) {
	checkExprs(t, []exprCase{
		{`yearsBetween("19600510", "20250509") == 64`, true}, // the day before the birthday
		{`yearsBetween("19600510", "20250510") == 65`, true}, // on the birthday
		{`yearsBetween("19600510", "20250511") == 65`, true},
		{`yearsBetween("19600510", "20250401") == 64`, true}, // an earlier month
		{`yearsBetween("19600229", "20250228") == 64`, true},
		{`yearsBetween("19600229", "20250301") == 65`, true},
		{`yearsBetween("20250101", "20250101") == 0`, true},
		// Partial dates: the parts both know.
		{`yearsBetween("1960", "20250101") == 65`, true},
		{`yearsBetween("196005", "20250401") == 64`, true},
		{`yearsBetween("196005", "2025") == 65`, true},
		// Unknown, impossible or reversed dates: -1.
		{`yearsBetween("", "20250101") == -1`, true},
		{`yearsBetween("19600510", "") == -1`, true},
		{`yearsBetween("19601345", "20250101") == -1`, true},
		{`yearsBetween("20250102", "20250101") == -1`, true},
		{`yearsBetween("2026", "2025") == -1`, true},
	})
}

func TestYearMonthAndValidDateReadPartialDates(t *testing.T) {
	checkExprs(t, []exprCase{
		{`year("20250612") == 2025`, true},
		{`year("2025") == 2025`, true},
		{`year("") == 0`, true},
		{`month("20250612") == 6`, true},
		{`month("2025") == 0`, true},
		{`validDate("2025")`, true},
		{`validDate("202506")`, true},
		{`validDate("20250631")`, false},
		{`validDate("")`, false},
	})
}

func TestInRangeMatchesRangesAndListsOfCodes(t *testing.T) {
	checkExprs(t, []exprCase{
		{`inRange("C341", "C340-C349")`, true},
		{`inRange("C340", "C340-C349")`, true},
		{`inRange("C349", "C340-C349")`, true},
		{`inRange("C350", "C340-C349")`, false},
		{`inRange("C339", "C340-C349")`, false},
		{`inRange("C384", "C340-C349,C384")`, true},
		{`inRange("C384", "C340-C349, C384")`, true},
		{`inRange("C385", "C340-C349,C384")`, false},
		{`inRange("8500", "8000-8799,9590-9992")`, true},
		{`inRange("9600", "8000-8799,9590-9992")`, true},
		{`inRange("8800", "8000-8799,9590-9992")`, false},
		// A value of another length than the range ends is not in the range.
		{`inRange("C34", "C340-C349")`, false},
		{`inRange("", "C340-C349")`, false},
	})
}

func TestInListAcceptsAnyOfItsValues(t *testing.T) {
	checkExprs(t, []exprCase{
		{`inList("2", "1", "2", "3")`, true},
		{`inList("4", "1", "2", "3")`, false},
		{`inList("", "1")`, false},
		{`inList(" 2 ", "2")`, true},
	})
}

func TestInTableLooksUpCSVTablesAndFallsBackToCodeLists(t *testing.T) {
	checkExprs(t, []exprCase{
		{`inTable("site_histology", "C341", "8140")`, true},
		{`inTable("site_histology", "C349", "8799")`, true},
		{`inTable("site_histology", "C341", "9000")`, false}, // lung, not a carcinoma
		{`inTable("site_histology", "C509", "9999")`, true},  // * matches any histology
		{`inTable("site_histology", "C619", "8140")`, true},
		{`inTable("site_histology", "C619", "8141")`, false},
		{`inTable("site_histology", "C700", "8140")`, false},
		// One value looks at the first column only.
		{`inTable("site_histology", "C619")`, true},
		{`inTable("site_histology", "C700")`, false},
		// The comment line is not a row.
		{`inTable("site_histology", "# lung: carcinomas only")`, false},
		// A name that is not a table is a code list of schemas/codes.
		{`inTable("behavior", "3")`, true},
		{`inTable("behavior", "2")`, true},
		{`inTable("behavior", "5")`, false},
		{`inTable("behavior", "")`, false},
	})
}

func TestInTableWithAnUnknownTableOrTooManyValuesIsARunError(t *testing.T) {
	for _, tc := range []struct{ check, want string }{
		{`inTable("no_such_table", "1")`, `no table "no_such_table"`},
		{`inTable("site_histology", "C341", "8140", "3")`, "has 2 columns, 3 values given"},
		{`inTable("behavior", "3", "4")`, `no table "behavior"`},
	} {
		t.Run(tc.check, func(t *testing.T) {
			set := loadTestSet(t, oneEdit("dateOfBirth", tc.check))
			_, err := set.NewRunner().Tumor(nil, nil, 0, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "E") {
				t.Fatalf("err = %v, want one naming edit E and saying %q", err, tc.want)
			}
		})
	}
}

func TestNumReadsDigitsAndGivesMinusOneForAnythingElse(t *testing.T) {
	checkExprs(t, []exprCase{
		{`num("0042") == 42`, true},
		{`num("0") == 0`, true},
		{`num(" 7 ") == 7`, true},
		{`num("999999999") == 999999999`, true},
		{`num("") == -1`, true},
		{`num("4a") == -1`, true},
		{`num("-4") == -1`, true},
		{`num("1.5") == -1`, true},
		{`num("1234567890") == -1`, true}, // too long to be a count
	})
}

func TestBlankIsTrueForMissingEmptyAndSpaceOnlyValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tumor map[string]string
		want  bool
	}{
		{"missing", map[string]string{}, true},
		{"empty", map[string]string{"primarySite": ""}, true},
		{"spaces", map[string]string{"primarySite": "   "}, true},
		{"value", map[string]string{"primarySite": "C341"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := holds(t, "primarySite", "blank(primarySite)", nil, tc.tumor); got != tc.want {
				t.Errorf("blank(primarySite) with %v = %v, want %v", tc.tumor, got, tc.want)
			}
		})
	}
}

func TestItemsComeFromTheTumorThenThePatient(t *testing.T) {
	patient := map[string]string{"dateOfBirth": "19600510"}
	tumor := map[string]string{"dateOfDiagnosis": "20250101"}
	if !holds(t, "dateOfBirth, dateOfDiagnosis", `dateBefore(dateOfBirth, dateOfDiagnosis)`, patient, tumor) {
		t.Errorf("an edit reading a patient item and a tumor item did not see both")
	}
	if !holds(t, "dateOfBirth, dateOfDiagnosis", `yearsBetween(dateOfBirth, dateOfDiagnosis) == 64`, patient, tumor) {
		t.Errorf("yearsBetween over items is not 64")
	}
}

func TestMessageFillsItemValuesAndSaysBlankForMissingOnes(t *testing.T) {
	set := loadTestSet(t, `edits:
  - id: SiteLat
    name: site and laterality
    severity: warning
    items: [primarySite, laterality, dateOfBirth]
    check: "false"
    message: "Site {primarySite}, laterality {laterality}, born {dateOfBirth}: {primarySite}."
`)
	patient := map[string]string{"dateOfBirth": "19600510", "primarySite": "C999"}
	tumor := map[string]string{"primarySite": "C341"}
	res, err := set.NewRunner().Tumor(patient, tumor, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("results %+v, want one", res)
	}
	want := "Site C341, laterality (blank), born 19600510: C341."
	if r := res[0]; r.Message != want || r.EditID != "SiteLat" || r.Severity != edits.SeverityWarning || r.Tumor != 2 ||
		strings.Join(r.Items, " ") != "primarySite laterality dateOfBirth" {
		t.Errorf("result %+v\nwant message %q, warning, tumor 2 and the edit's items", r, want)
	}
}

func TestMessageNamingAnUnknownItemStopsTheLoad(t *testing.T) {
	dict, tables := cachedDeps(t)
	src := strings.Replace(oneEdit("primarySite", "true"), "message: failed", "message: 'site {primarySit}'", 1)
	_, err := edits.Load(fstest.MapFS{"edits/test.yaml": {Data: []byte(src)}}, dict, tables, nil)
	if err == nil || !strings.Contains(err.Error(), "{primarySit}") || !strings.Contains(err.Error(), "test.yaml") {
		t.Fatalf("err = %v, want the file and the unknown placeholder", err)
	}
}

func TestOverrideItemSetTo1SilencesTheEdit(t *testing.T) {
	set := loadTestSet(t, `edits:
  - id: SiteLat
    name: site and laterality
    severity: error
    items: [primarySite, laterality]
    check: "!(primarySite == \"C341\" && laterality == \"0\")"
    message: "Site {primarySite} needs a side."
    override: overRideSiteLatMorph
`)
	for _, tc := range []struct {
		name     string
		override string
		fails    bool
	}{
		{"no override", "", true},
		{"override 0", "0", true},
		{"override 1", "1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tumor := map[string]string{"primarySite": "C341", "laterality": "0"}
			if tc.override != "" {
				tumor["overRideSiteLatMorph"] = tc.override
			}
			res, err := set.NewRunner().Tumor(nil, tumor, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res) == 1; got != tc.fails {
				t.Fatalf("results %+v; want failing %v", res, tc.fails)
			}
			if tc.fails && res[0].Override != "overRideSiteLatMorph" {
				t.Errorf("result names override %q, want overRideSiteLatMorph", res[0].Override)
			}
		})
	}
}

func TestWhenFalseSkipsTheEdit(t *testing.T) {
	set := loadTestSet(t, `edits:
  - id: SiteRequired
    name: site required from 2018
    severity: error
    items: [dateOfDiagnosis, primarySite]
    when: year(dateOfDiagnosis) >= 2018
    check: "!blank(primarySite)"
    message: "Primary site is blank."
`)
	for _, tc := range []struct {
		dx    string
		fails bool
	}{
		{"20171231", false}, // when is false: skipped although the check would fail
		{"2017", false},
		{"", false},
		{"20180101", true},
		{"2025", true},
	} {
		t.Run("dx "+tc.dx, func(t *testing.T) {
			res, err := set.NewRunner().Tumor(nil, map[string]string{"dateOfDiagnosis": tc.dx}, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res) == 1; got != tc.fails {
				t.Errorf("results %+v; want failing %v", res, tc.fails)
			}
		})
	}
}

func TestPatientLevelEditSeesAllTumors(t *testing.T) {
	set := loadTestSet(t, `edits:
  - id: OneOnlyPrimary
    name: one 00 per patient
    severity: error
    level: patient
    items: [sequenceNumberHospital, patientIdNumber]
    check: 'count(tumors, {.sequenceNumberHospital == "00"}) <= 1'
    message: "Patient {patientIdNumber} has more than one tumor with sequence number 00."
`)
	patient := func(seqs ...string) *naaccr.Patient {
		p := &naaccr.Patient{Items: map[string]string{"patientIdNumber": "00000042"}}
		for _, s := range seqs {
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: map[string]string{"sequenceNumberHospital": s}})
		}
		return p
	}
	for _, tc := range []struct {
		name  string
		seqs  []string
		fails bool
	}{
		{"no tumor", nil, false},
		{"one 00", []string{"00"}, false},
		{"01 and 02", []string{"01", "02"}, false},
		{"two 00", []string{"00", "00"}, true},
		{"00, 01, 00", []string{"00", "01", "00"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := set.NewRunner()
			res, err := r.Patient(patient(tc.seqs...), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res) == 1; got != tc.fails {
				t.Fatalf("results %+v; want failing %v", res, tc.fails)
			}
			if tc.fails {
				want := "Patient 00000042 has more than one tumor with sequence number 00."
				if res[0].Tumor != -1 || res[0].Message != want {
					t.Errorf("result %+v; want tumor -1 (the patient) and message %q", res[0], want)
				}
			}
			// A tumor-level run does not run patient-level edits, even after a patient run.
			res, err = r.Tumor(map[string]string{}, map[string]string{"sequenceNumberHospital": "00"}, 0, nil)
			if err != nil || len(res) != 0 {
				t.Errorf("Tumor ran a patient-level edit: %+v, %v", res, err)
			}
		})
	}
}

func TestPatientRunReportsFieldChecksWithTheirTumor(t *testing.T) {
	set := loadTestSet(t, oneEdit("dateOfBirth", "true"))
	p := &naaccr.Patient{
		Items: map[string]string{"dateOfBirth": "19601345"},
		Tumors: []naaccr.Tumor{
			{Items: map[string]string{"primarySite": "C341"}},
			{Items: map[string]string{"behaviorCodeIcdO3": "5"}},
		},
	}
	res, err := set.NewRunner().Patient(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range res {
		got[r.Items[0]+" "+r.EditID] = r.Tumor
	}
	want := map[string]int{"dateOfBirth field.naaccr_type": -1, "behaviorCodeIcdO3 field.naaccr_code": 1}
	if len(got) != len(want) {
		t.Fatalf("results %+v, want %v", res, want)
	}
	for k, v := range want {
		if tu, ok := got[k]; !ok || tu != v {
			t.Errorf("%s: tumor %d (found %v), want %d", k, tu, ok, v)
		}
	}
}

// A report must say the same thing every time it is run on the same data.
func TestPatientRunGivesResultsInTheSameOrderEveryTime(t *testing.T) {
	set := loadTestSet(t, oneEdit("dateOfBirth", "true"))
	p := &naaccr.Patient{
		Items: map[string]string{"dateOfBirth": "19601345", "sexAssignedAtBirth": "X", "race1": "ZZ", "dateOfLastContact": "2025x"},
		Tumors: []naaccr.Tumor{{Items: map[string]string{
			"behaviorCodeIcdO3": "5", "laterality": "8", "primarySite": "C999", "dateOfDiagnosis": "20259999",
			"classOfCase": "99", "textDxProcPath": strings.Repeat("x", 5000),
		}}},
	}
	r := set.NewRunner()
	first, err := r.Patient(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 6 {
		t.Fatalf("only %d results: %+v", len(first), first)
	}
	key := func(res []edits.Result) string {
		var b strings.Builder
		for _, x := range res {
			b.WriteString(x.EditID + ":" + strings.Join(x.Items, ",") + " ")
		}
		return b.String()
	}
	for range 20 {
		again, err := r.Patient(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key(again) != key(first) {
			t.Fatalf("results in another order:\n%s\n%s", key(first), key(again))
		}
	}
}

func TestPadZeroPadsDigitsOnly(t *testing.T) {
	checkExprs(t, []exprCase{
		{`pad("5", 3) == "005"`, true},
		{`pad(" 5 ", 3) == "005"`, true},
		{`pad("123", 3) == "123"`, true},
		{`pad("1234", 3) == "1234"`, true},
		{`pad("", 3) == ""`, true},
		{`pad("A1", 3) == "A1"`, true},
	})
}

func TestTodayReadsTheSetsClock(t *testing.T) {
	set := loadTestSet(t, `edits:
  - id: NotInFuture
    name: diagnosis not in the future
    severity: error
    items: [dateOfDiagnosis]
    check: "!dateAfter(dateOfDiagnosis, today())"
    message: "Diagnosed {dateOfDiagnosis}, after today."
`)
	set.SetClock(func() time.Time { return time.Date(2026, 3, 15, 23, 0, 0, 0, time.UTC) })
	for _, tc := range []struct {
		dx    string
		fails bool
	}{
		{"20260315", false},
		{"20260316", true},
		{"202603", false},
		{"202604", true},
		{"2027", true},
	} {
		res, err := set.NewRunner().Tumor(nil, map[string]string{"dateOfDiagnosis": tc.dx}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res) == 1; got != tc.fails {
			t.Errorf("diagnosis %s with today 20260315: results %+v, want failing %v", tc.dx, res, tc.fails)
		}
	}
}

func TestMessageQuotesAHugeValueShortened(t *testing.T) {
	set := loadTestSet(t, `edits:
  - id: Site
    name: site
    severity: error
    items: [primarySite]
    check: "false"
    message: "Site {primarySite} is not a topography code."
`)
	huge := strings.Repeat("A", 50_000_000) // a 50 MB value in an uploaded file
	res, err := set.NewRunner().Tumor(nil, map[string]string{"primarySite": huge}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("results %+v, want one", len(res))
	}
	msg := res[0].Message
	if len(msg) > 300 || !strings.Contains(msg, "AAAA… (50,000,000 bytes) is not a topography code.") {
		t.Errorf("message of %d bytes: %.300q", len(msg), msg)
	}
}
