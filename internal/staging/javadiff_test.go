package staging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cara-registry/cara/schemas"
)

// TestDifferentialAgainstTheJavaLibrary stages random records with this engine and with the
// staging library's Java reference (imsweb staging-client-java) and reports how often they agree.
// It runs only when CARA_STAGING_DIFF names the reference's driver command (see
// testdata/javadiff/build.sh); CARA_STAGING_DIFF_N sets the number of records (3000).
func TestDifferentialAgainstTheJavaLibrary(t *testing.T) {
	cmdline := os.Getenv("CARA_STAGING_DIFF")
	if cmdline == "" {
		t.Skip("CARA_STAGING_DIFF is not set (testdata/javadiff/build.sh builds the Java reference)")
	}
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("CARA_STAGING_DIFF_N")); err == nil && v > 0 {
		n = v
	}
	d := eod(t)
	zipFile, err := os.CreateTemp(t.TempDir(), "eod-*.zip")
	if err != nil {
		t.Fatal(err)
	}
	b, err := schemas.FS.ReadFile(DataDir + "/" + d.File)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zipFile.Write(b); err != nil {
		t.Fatal(err)
	}
	zipFile.Close()

	ids := slices.Sorted(maps.Keys(d.Schemas))
	rng := rand.New(rand.NewPCG(16, 2026))
	next := func() int { return rng.IntN(256) }
	var records []map[string]string // by naaccrId
	var lines bytes.Buffer
	lookups := 0 // the first records are selection lookups
	// A third of the records are selection lookups: keys drawn from every selection table's cells
	// at random, so that schema selection is compared on sites, histologies and discriminators that
	// select nothing, or more than one schema.
	for len(records) < n/3 {
		m := map[string]string{}
		inputs := map[string]string{}
		for _, k := range d.selectionKeys {
			v := ""
			switch k {
			case KeySite, KeyHist:
				t := d.Tables[d.Schemas[ids[rng.IntN(len(ids))]].SelectionTable]
				row := &t.Rows[rng.IntN(len(t.Rows))]
				for _, in := range row.Inputs {
					if in.Key == k && len(in.Cell.Ranges) > 0 {
						r := in.Cell.Ranges[rng.IntN(len(in.Cell.Ranges))]
						v = []string{r.Low, r.High}[rng.IntN(2)]
					}
				}
			case KeyYearDx:
				if rng.IntN(4) > 0 {
					v = strconv.Itoa(2017 + rng.IntN(11))
				}
			default:
				if rng.IntN(3) > 0 {
					v = strconv.Itoa(rng.IntN(10))
				}
			}
			if v != "" {
				m[d.ItemOf(k)] = v
				inputs[k] = v
			}
		}
		line, err := json.Marshal(inputs)
		if err != nil {
			t.Fatal(err)
		}
		lines.WriteByte('L')
		lines.Write(line)
		lines.WriteByte('\n')
		records = append(records, m)
		lookups++
	}
	for len(records) < n {
		s := d.Schemas[ids[rng.IntN(len(ids))]]
		items := map[string]string{}
		for _, in := range s.Inputs {
			if in.Key == KeySite || in.Key == KeyHist || slices.Contains(s.Discriminators, in.Key) {
				continue
			}
			v := fuzzValue(d, in, next)
			if in.Key == KeyYearDx {
				v = strconv.Itoa(2017 + rng.IntN(11)) // 2017-2027: some out of the schema's years
			}
			items[in.NAACCRXMLID] = printable(v)
		}
		m, ok := selectionRecord(d, s, items)
		if !ok {
			continue
		}
		// The library reads what is supplied; a blank item is not supplied, so it takes the default.
		inputs := map[string]string{}
		for _, in := range s.Inputs {
			if v := strings.TrimSpace(m[in.NAACCRXMLID]); v != "" {
				inputs[in.Key] = v
			}
		}
		line, err := json.Marshal(inputs)
		if err != nil {
			t.Fatal(err)
		}
		lines.Write(line)
		lines.WriteByte('\n')
		records = append(records, m)
	}

	args := strings.Fields(cmdline)
	cmd := exec.Command(args[0], append(args[1:], zipFile.Name())...)
	cmd.Stdin = &lines
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", cmdline, err)
	}
	type javaResult struct {
		Schema    string            `json:"schema"`
		Result    string            `json:"result"`
		Outputs   map[string]string `json:"outputs"`
		Errors    []string          `json:"errors"`
		Exception string            `json:"exception"`
		Lookup    []string          `json:"lookup"`
	}
	statusOf := map[string]Status{"STAGED": Staged, "FAILED_INVALID_INPUT": FailedInput, "FAILED_INVALID_YEAR_DX": InvalidYear,
		"FAILED_NO_MATCHING_SCHEMA": NoSchema, "FAILED_MULITPLE_MATCHING_SCHEMAS": NeedsInput, "FAILED_MISSING_SITE_OR_HISTOLOGY": NeedsInput}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	agree, staged, known, i := 0, 0, 0, 0
	disagreements := map[string]int{}
	for ; sc.Scan(); i++ {
		var j javaResult
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if i < lookups {
			switch why := compareLookup(d, records[i], j.Lookup); why {
			case "":
				agree++
			case "known":
				known++
			default:
				if disagreements["lookup"] < 5 {
					t.Logf("lookup %d (%v): %s", i+1, records[i], why)
				}
				disagreements["lookup"]++
			}
			continue
		}
		r := d.Stage(recordOf(records[i]), 2026)
		goSchema := ""
		if r.Schema != nil {
			goSchema = r.Schema.ID
		}
		var why string
		switch {
		case j.Exception != "":
			why = "java exception " + j.Exception
		case goSchema != j.Schema:
			why = fmt.Sprintf("schema %q vs %q", goSchema, j.Schema)
		case r.Status != statusOf[j.Result]:
			why = fmt.Sprintf("status %s vs %s", r.Status, j.Result)
		case r.Status == Staged && !maps.Equal(r.Outputs, j.Outputs):
			why = "outputs"
		// The library reports no error with an invalid year; this engine names the input.
		case (r.Status == Staged || r.Status == FailedInput) && !slices.Equal(errorTypes(r.Errors), javaErrorTypes(j.Errors)):
			why = fmt.Sprintf("errors %v vs %v", errorTypes(r.Errors), javaErrorTypes(j.Errors))
		}
		if r.Status == Staged {
			staged++
		}
		if why == "" {
			agree++
			continue
		}
		kind, _, _ := strings.Cut(why, " ")
		if disagreements[kind] < 5 {
			t.Logf("record %d (%v): %s\n  go:   %s %v %v\n  java: %s %v %v", i+1, records[i], why, r.Status, r.Outputs, r.Errors, j.Result, j.Outputs, j.Errors)
		}
		disagreements[kind]++
	}
	if i != len(records) {
		t.Fatalf("the reference answered %d of %d records", i, len(records))
	}
	t.Logf("agreement: %d of %d records (%d lookups, %d staged), %.2f%%; %d lookups differ as designed (a blank key the library leaves open); disagreements by kind: %v",
		agree, len(records), lookups, staged, 100*float64(agree)/float64(len(records)), known, disagreements)
	if agree+known != len(records) {
		t.Errorf("%d records disagree with the Java reference", len(records)-agree-known)
	}
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}

// errorTypes lists the errors as type:table, sorted, as javaErrorTypes does.
func errorTypes(errs []Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, string(e.Type)+":"+e.Table)
	}
	slices.Sort(out)
	return out
}

func javaErrorTypes(errs []string) []string {
	var out []string
	for _, e := range errs {
		parts := strings.SplitN(e, ":", 3)
		table := parts[2]
		if table == "null" {
			table = ""
		}
		out = append(out, strings.ToLower(parts[0])+":"+table)
	}
	slices.Sort(out)
	return out
}

// compareLookup compares Select with the library's schema lookup: "" when they agree, "known" for
// the deliberate difference, else what differs. The library matches only the keys supplied, so a
// blank key is left open: a blank behavior that one schema's row needs (a lymphoma of the brain is
// /3) selects that schema, and a blank year of diagnosis selects both versions of lung. Select
// asks for a blank key that decides (NeedsInput) and takes a blank year as the current one, as the
// tables' "9999," cells do.
func compareLookup(d *DataSet, m map[string]string, java []string) string {
	sel := d.Select(d.SelectionValues(recordOf(m)), d.Context(2026))
	var candidates []string
	for _, s := range sel.Candidates {
		candidates = append(candidates, s.ID)
	}
	switch {
	case sel.Schema != nil && slices.Equal(java, []string{sel.Schema.ID}):
		return ""
	case sel.Schema == nil && len(java) == 0 && len(sel.Needs) == 0:
		return ""
	case sel.Schema == nil && len(sel.Needs) > 0 && len(java) > 1 && slices.Equal(java, candidates):
		return "" // both leave it open between the same schemas
	case sel.Schema != nil && m["dateOfDiagnosis"] == "" && slices.Contains(java, sel.Schema.ID):
		return "known"
	case sel.Schema == nil && len(sel.Needs) > 0 && len(java) >= 1 && slices.Equal(java, candidates):
		return "known"
	}
	got := "none"
	if sel.Schema != nil {
		got = sel.Schema.ID
	}
	return fmt.Sprintf("Select %s (needs %v, candidates %v), the library %v", got, sel.Needs, candidates, java)
}
