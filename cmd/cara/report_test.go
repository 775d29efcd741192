package main

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestReportWritesTheDemoPrimarySiteTableAndNamesBadFlags(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runCmd(t, e, "", "demo"); err != nil {
			t.Fatalf("demo: %q, %v", out, err)
		}
		out, err := runCmd(t, e, "", "report", "primary-site", "--format", "csv", "--out", "ps.csv")
		if err != nil || !strings.Contains(out, "report primary-site:") {
			t.Fatalf("report: %q, %v", out, err)
		}
		b, err := os.ReadFile("ps.csv")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "Site group,Total,Sex: Male,") || !strings.Contains(string(b), "\nTotal,") {
			t.Errorf("csv:\n%s", b)
		}
		// Suppressed for release: the demo's counts are small, so none of 1 to 10 is left.
		if out, err := runCmd(t, e, "", "report", "primary-site", "--suppress", "--out", "sup.csv"); err != nil {
			t.Fatalf("report --suppress: %q, %v", out, err)
		}
		sup, err := os.ReadFile("sup.csv")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(sup), "<11") || regexp.MustCompile(`,(10|[1-9])(,|\n)`).Match(sup) {
			t.Errorf("suppressed csv:\n%s", sup)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"report", "timeliness", "--suppress", "--out", "x.csv"}, "--suppress: this report gives days"},
			{[]string{"report", "primary-site", "--from", "2025", "--to", "2020", "--out", "x.csv"}, "--to: year 2020 is before"},
			{[]string{"report", "primary-site", "--format", "pdf", "--out", "x.csv"}, "--format must be csv, xlsx or html"},
			{[]string{"report", "primary-site"}, "--out is required"},
			{[]string{"report", "nope", "--out", "x.csv"}, "no such report"},
			{[]string{"report", "primary-site", "--class", "both", "--out", "x.csv"}, "--class:"},
		} {
			out, err := runCmd(t, e, "", tc.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(out+err.Error(), tc.want) {
				t.Errorf("%v: %q, %v; want a usage error with %q", tc.args, out, err, tc.want)
			}
		}
		if _, err := os.Stat("x.csv"); err == nil {
			t.Error("a failed run left its file")
		}
	})
}
