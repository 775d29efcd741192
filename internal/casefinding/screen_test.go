package casefinding_test

import (
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/schemas"
)

func loadLists(t testing.TB) *casefinding.Lists {
	t.Helper()
	l, err := casefinding.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCodeTakesTheFirstMatchingRule screens single codes against the embedded list: the narrow
// rows before the wide ones decide.
func TestCodeTakesTheFirstMatchingRule(t *testing.T) {
	rules := loadLists(t).Rules
	cases := []struct {
		code, pattern string
		want          casefinding.Decision
	}{
		{"C50.911", "C45-C96", casefinding.Reportable},
		{"C00.0", "C00-C43", casefinding.Reportable},
		{"C43.9", "C00-C43", casefinding.Reportable},
		{"C4A.9", "C4A", casefinding.Reportable},
		{"C44.00", "C44.00", casefinding.Reportable},
		{"C44.01", "C44*", casefinding.NotReportable}, // C44.00 covers codes under it, not C44.01
		{"C44.131", "C44.13*", casefinding.Reportable},
		{"C44.311", "C44*", casefinding.NotReportable},
		{"D06.9", "D06*", casefinding.NotReportable},
		{"D07.5", "D07.5", casefinding.NotReportable},
		{"D07.39", "D07*", casefinding.Reportable},
		{"D47.Z1", "D47.Z*", casefinding.Reportable},
		{"Z85.3", "Z85*", casefinding.Review},
		{"Z51.11", "Z51.1*", casefinding.Review},
		{"R87.614", "R87.614", casefinding.Review},
		{"J18.9", "(none)", casefinding.NotReportable},
		{"D49.5", "(none)", casefinding.NotReportable},
	}
	for _, c := range cases {
		got := rules.Code(c.code)
		if got.Pattern != c.pattern || got.Decision != c.want {
			t.Errorf("Code(%s) = %s %s, want %s %s", c.code, got.Pattern, got.Decision, c.pattern, c.want)
		}
	}
}

// TestRecordIsReportableWhenAnyCodeIs: several codes decide by the strongest, and the rule that
// decided is the one of that code.
func TestRecordIsReportableWhenAnyCodeIs(t *testing.T) {
	rules := loadLists(t).Rules
	cases := []struct {
		name     string
		codes    []string
		want     casefinding.Decision
		pattern  string
		deciding string
	}{
		{"one reportable among others", []string{"J18.9", "Z85.3", "C34.90"}, casefinding.Reportable, "C00-C43", "C34.90"},
		{"review beats not reportable", []string{"C44.311", "Z85.3"}, casefinding.Review, "Z85*", "Z85.3"},
		{"not reportable only", []string{"C44.311", "D06.9"}, casefinding.NotReportable, "C44*", "C44.311"},
		{"no codes is reviewed", nil, casefinding.Review, "(no codes)", ""},
		{"first of equals keeps its rule", []string{"C61", "C50.911"}, casefinding.Reportable, "C45-C96", "C61"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rules.Record(c.codes)
			if got.Decision != c.want || got.Rule.Pattern != c.pattern || got.Code != c.deciding {
				t.Errorf("Record(%v) = %s by %s on %q, want %s by %s on %q", c.codes, got.Decision, got.Rule.Pattern, got.Code, c.want, c.pattern, c.deciding)
			}
		})
	}
}

func TestNormalizeCode(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"c50.911", "C50.911", ""},
		{"C50911", "C50.911", ""},
		{" C61 ", "C61", ""},
		{"D47.Z1", "D47.Z1", ""},
		{"C50.9.1", "", "dot"},
		{"50.9", "", "not an ICD-10-CM code"},
		{"C50.91111", "", "not an ICD-10-CM code"},
		{"", "", "not an ICD-10-CM code"},
		{"C50-9", "", "not an ICD-10-CM code"},
	}
	for _, c := range cases {
		got, err := casefinding.NormalizeCode(c.in)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q, error with %q", c.in, got, err, c.want, c.err)
		}
	}
}

func TestParseRulesRefusesBadRows(t *testing.T) {
	cases := []struct{ name, body, err string }{
		{"bad decision", "C00,maybe,x,\n", "row 2: decision"},
		{"reversed range", "C43-C00,reportable,x,\n", "row 2: pattern"},
		{"short prefix", "C*,reportable,x,\n", "row 2: pattern"},
		{"no rules", "", "no rules"},
	}
	for _, c := range cases {
		_, err := casefinding.ParseRules(strings.NewReader("pattern,decision,label,note\n" + c.body))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.err)
		}
	}
}

func TestSourcesAreFoundByKeyLabelOrAlias(t *testing.T) {
	l := loadLists(t)
	cases := []struct{ name, key, code string }{
		{"disease_index", "disease_index", "22"},
		{"Pathology report", "pathology", "20"},
		{"PATH", "pathology", "20"},
		{"radiation therapy", "radiation", "23"},
		{"chemo", "chemotherapy", "25"},
		{"physician-office", "physician_office", "30"},
		{"other", "other", "29"},
	}
	for _, c := range cases {
		s, ok := l.SourceOf(c.name)
		if !ok || s.Key != c.key || s.Code != c.code {
			t.Errorf("SourceOf(%q) = %+v, %v; want %s (%s)", c.name, s, ok, c.key, c.code)
		}
	}
	if _, ok := l.SourceOf("fax"); ok {
		t.Error("SourceOf(fax) found a source")
	}
	if _, ok := l.Reason("other"); !ok || len(l.Reasons) < 5 {
		t.Errorf("reasons %v lack other", l.Reasons)
	}
}
