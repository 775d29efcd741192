package edits_test

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

func loadDeps(t testing.TB) (*naaccr.Dictionary, *codes.Tables) {
	t.Helper()
	fsys := os.DirFS("../../schemas")
	dict, err := naaccr.LoadBaseDictionary(fsys, "260")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := codes.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return dict, tables
}

func loadSet(t testing.TB) *edits.Set {
	t.Helper()
	dict, tables := loadDeps(t)
	set, err := edits.Load(os.DirFS("../../schemas"), dict, tables, loadStaging(t))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

var loadStagingData = sync.OnceValues(func() (*staging.DataSet, error) { return staging.Load(os.DirFS("../../schemas")) })

// loadStaging is the staging data of the embedded release, loaded once for the package's tests.
func loadStaging(t testing.TB) *staging.DataSet {
	t.Helper()
	d, err := loadStagingData()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadRefusesBadRulesWithFileEditAndPosition(t *testing.T) {
	dict, tables := loadDeps(t)
	base := `edits:
  - id: E1
    name: test
    severity: error
    items: [dateOfBirth, dateOfDiagnosis]
    check: %s
    message: "x"
`
	tests := []struct {
		name, check, extra, want string
	}{
		{"syntax", `dateBefore(dateOfBirth,`, "", "bad.yaml:6"},
		{"unknown item", `blank(dateOfBirt)`, "", "unknown name dateOfBirt"},
		{"not boolean", `num(dateOfBirth)`, "", "expected bool"},
		{"unlisted item", `blank(primarySite)`, "", "reads item primarySite, which is not listed in items"},
		{"bad severity", `blank(dateOfBirth)`, "    severity: fatal\n", "severity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, "%s", tc.check, 1)
			if tc.extra != "" {
				src = strings.Replace(src, "    severity: error\n", tc.extra, 1)
			}
			fsys := fstest.MapFS{"edits/bad.yaml": {Data: []byte(src)}}
			_, err := edits.Load(fsys, dict, tables, nil)
			var le *edits.LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "edit E1") {
				t.Fatalf("err = %v, want a LoadError naming bad.yaml, E1 and %q", err, tc.want)
			}
		})
	}
}

func TestRunnerReportsFailingEditsWithTheirItems(t *testing.T) {
	set := loadSet(t)
	r := set.NewRunner()
	patient := map[string]string{"dateOfBirth": "19600510", "dateOfLastContact": "20240101"}
	tumor := map[string]string{"dateOfDiagnosis": "19590101"}
	res, err := r.Tumor(patient, tumor, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got *edits.Result
	for i := range res {
		if res[i].EditID == "DateOfBirthBeforeDiagnosis" {
			got = &res[i]
		}
	}
	if got == nil || got.Severity != edits.SeverityError || !strings.Contains(got.Message, "19590101") || len(got.Items) != 2 {
		t.Fatalf("results = %+v", res)
	}
}

// The batch path must say exactly what the validator path says.
func TestFieldCheckFastAgreesWithCheck(t *testing.T) {
	dict, tables := loadDeps(t)
	fc, err := edits.NewFieldChecker(tables)
	if err != nil {
		t.Fatal(err)
	}
	values := []string{"", "1", "01", "9", "C509", "c509", "20251345", "2025", "ABC", "12AB", strings.Repeat("x", 60), "8500", "é"}
	for _, def := range dict.Items {
		for _, v := range values {
			slow, fast := fc.Check(def, v), fc.Fast(def, v)
			if (slow == nil) != (fast == nil) || (slow != nil && (slow.Message != fast.Message || slow.EditID != fast.EditID)) {
				t.Fatalf("%s %q: Check = %+v, Fast = %+v", def.ID, v, slow, fast)
			}
		}
	}
}

func TestCountByTumorCountsPatientLevelResultsForEveryTumor(t *testing.T) {
	rs := []edits.Result{
		{EditID: "a", Severity: edits.SeverityError, Tumor: 0},
		{EditID: "b", Severity: edits.SeverityWarning, Tumor: 1},
		{EditID: "c", Severity: edits.SeverityWarning, Tumor: 1},
		{EditID: "p", Severity: edits.SeverityError, Tumor: -1},
	}
	got := edits.CountByTumor(rs, 3)
	want := []edits.Counts{{Errors: 2}, {Errors: 1, Warnings: 2}, {Errors: 1}}
	if len(got) != len(want) {
		t.Fatalf("CountByTumor = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("tumor %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := edits.CountByTumor(nil, 0); len(got) != 0 {
		t.Errorf("no tumors: %v", got)
	}
}

// CheckItem, the case service's field check of one value, says what the validator path says.
func TestCheckItemAgreesWithCheck(t *testing.T) {
	dict, tables := loadDeps(t)
	set, err := edits.Load(os.DirFS("../../schemas"), dict, tables, loadStaging(t))
	if err != nil {
		t.Fatal(err)
	}
	values := []string{"", "1", "01", "9", "C509", "c509", "20251345", "2025", "ABC", "12AB", strings.Repeat("x", 60), "8500", "é"}
	for _, def := range dict.Items {
		for _, v := range values {
			slow, item := set.Fields.Check(def, v), set.CheckItem(def.ID, v)
			if (slow == nil) != (item == nil) || (slow != nil && (slow.Message != item.Message || slow.EditID != item.EditID)) {
				t.Fatalf("%s %q: Check = %+v, CheckItem = %+v", def.ID, v, slow, item)
			}
		}
	}
	if r := set.CheckItem("noSuchItem", "x"); r != nil {
		t.Errorf("an item not in the dictionary: %+v", r)
	}
}
