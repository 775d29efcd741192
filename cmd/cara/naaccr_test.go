package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// naaccrEnv is the environment of the naaccr commands, which use no database.
var naaccrEnv = env{Now: func() time.Time { return testNow }}

// Paths of the repository's fixtures, from this package's folder.
const (
	conformanceDir  = "../../testdata/naaccr/conformance"
	exampleUserDict = "../../schemas/dictionaries/example-user-dictionary.xml"
	base260         = "http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml"
	base250         = "http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml"
)

// naaccrDoc is a NAACCR XML file of the given base dictionary and root attributes (extra, such
// as a userDictionaryUri) holding the given elements.
func naaccrDoc(baseURI, extra string, body ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData baseDictionaryUri="` + baseURI + `" recordType="A" specificationVersion="1.8"` + extra + ` xmlns="http://naaccr.org/naaccrxml">
` + strings.Join(body, "") + "</NaaccrData>\n"
}

// xmlPatient is a Patient element: its items (naaccrId, value pairs) and tumors.
func xmlPatient(items []string, tumors ...[]string) string {
	var b strings.Builder
	b.WriteString("  <Patient>\n")
	writeItems(&b, "    ", items)
	for _, t := range tumors {
		b.WriteString("    <Tumor>\n")
		writeItems(&b, "      ", t)
		b.WriteString("    </Tumor>\n")
	}
	b.WriteString("  </Patient>\n")
	return b.String()
}

func writeItems(b *strings.Builder, indent string, kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(b, "%s<Item naaccrId=%q>%s</Item>\n", indent, kv[i], kv[i+1])
	}
}

// writeFile writes content to name in a new temporary folder and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// positionOf is the 1-based line and byte column where the nth (1-based) occurrence of sub
// starts in doc.
func positionOf(t *testing.T, doc, sub string, nth int) (line, col int) {
	t.Helper()
	at := -1
	for range nth {
		i := strings.Index(doc[at+1:], sub)
		if i < 0 {
			t.Fatalf("%q occurs fewer than %d times", sub, nth)
		}
		at += 1 + i
	}
	start := strings.LastIndex(doc[:at], "\n") + 1
	return strings.Count(doc[:at], "\n") + 1, at - start + 1
}

// validDoc has two patients and three tumors, with nothing wrong.
var validDoc = naaccrDoc(base260, "",
	xmlPatient([]string{"patientIdNumber", "00000001", "sexAssignedAtBirth", "2"},
		[]string{"sequenceNumberHospital", "01", "primarySite", "C509", "dateOfDiagnosis", "20230115"},
		[]string{"sequenceNumberHospital", "02", "primarySite", "C341", "dateOfDiagnosis", "20240601"}),
	xmlPatient([]string{"patientIdNumber", "00000002", "sexAssignedAtBirth", "1"},
		[]string{"sequenceNumberHospital", "00", "primarySite", "C180", "dateOfDiagnosis", "202203"}),
)

// problemDoc has an unknown item in patient 1 and a bad date in patient 2's tumor.
var problemDoc = naaccrDoc(base260, "",
	xmlPatient([]string{"patientIdNumber", "00000001", "notAnItem", "x"},
		[]string{"sequenceNumberHospital", "00", "primarySite", "C509"}),
	xmlPatient([]string{"patientIdNumber", "00000002"},
		[]string{"sequenceNumberHospital", "01", "dateOfDiagnosis", "20231345"},
		[]string{"sequenceNumberHospital", "02", "dateOfDiagnosis", "20231231"}),
)

func TestNaaccrValidateSummarisesAValidFile(t *testing.T) {
	path := writeFile(t, "good.xml", validDoc)
	out, err := runCmd(t, naaccrEnv, "", "naaccr", "validate", path)
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	if want := path + ": valid: 2 patients, 3 tumors\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestNaaccrValidateListsDataProblemsWithTheirPlace(t *testing.T) {
	path := writeFile(t, "bad.xml", problemDoc)
	out, err := runCmd(t, naaccrEnv, "", "naaccr", "validate", path)
	if !errors.Is(err, errProblems) {
		t.Fatalf("err = %v, want errProblems\n%s", err, out)
	}
	l1, c1 := positionOf(t, problemDoc, `<Item naaccrId="notAnItem"`, 1)
	l2, c2 := positionOf(t, problemDoc, `<Item naaccrId="dateOfDiagnosis"`, 1)
	want := []struct{ prefix, inMessage string }{
		{fmt.Sprintf("%s:line %d, column %d, patient 1, item notAnItem: ", path, l1, c1), `unknown item "notAnItem"`},
		{fmt.Sprintf("%s:line %d, column %d, patient 2, tumor 1, item dateOfDiagnosis: ", path, l2, c2), "month 13 does not exist"},
		{path + ": 2 problems in 2 patients, 3 tumors", ""},
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w.prefix) || !strings.Contains(lines[i], w.inMessage) {
			t.Errorf("line %d = %q\nwant it to start %q and say %q", i+1, lines[i], w.prefix, w.inMessage)
		}
	}
}

// With workers, validate reports the same problems in the same order as on one goroutine: the
// file has a problem in every patient, comments that make the reader parse some patients itself,
// and ends in a structural error.
func TestNaaccrValidateWithWorkersKeepsTheOrder(t *testing.T) {
	var pats []string
	for i := 1; i <= 300; i++ {
		if i%37 == 0 {
			pats = append(pats, "<!-- parsed by the splitter -->\n")
		}
		pats = append(pats, xmlPatient([]string{"patientIdNumber", fmt.Sprintf("%08d", i)},
			[]string{"sequenceNumberHospital", "00", "dateOfDiagnosis", fmt.Sprintf("2023%02d01", 13+i%20)}))
	}
	doc := naaccrDoc(base260, "", strings.Join(pats, "")+"  <Patient><Bogus/></Patient>\n")
	path := writeFile(t, "many.xml", doc)
	one, err1 := runCmd(t, naaccrEnv, "", "naaccr", "validate", "--workers", "1", path)
	if !errors.Is(err1, errProblems) {
		t.Fatalf("one worker: err = %v", err1)
	}
	lines := strings.Split(strings.TrimSuffix(one, "\n"), "\n")
	if len(lines) != 302 || !strings.Contains(lines[0], "patient 1,") || !strings.Contains(lines[299], "patient 300,") ||
		!strings.Contains(lines[300], "patient 301") || !strings.Contains(lines[301], "NOT VALID: stopped after 300 patients") {
		t.Fatalf("one worker: %d lines, want 300 problems, the structural error and the summary:\n%s", len(lines), one)
	}
	for _, w := range []string{"2", "3"} {
		out, err := runCmd(t, naaccrEnv, "", "naaccr", "validate", "--workers", w, path)
		if !errors.Is(err, errProblems) || out != one {
			t.Errorf("--workers %s: err = %v, output differs from one worker's:\n%s", w, err, out)
		}
	}
}

func TestNaaccrValidateJSONGivesOneObjectPerProblemAndPerFile(t *testing.T) {
	bad := writeFile(t, "bad.xml", problemDoc)
	broken := filepath.Join(conformanceDir, "invalid", "invalid_bad-tag-1.xml")
	good := writeFile(t, "good.xml", validDoc)
	out, err := runCmd(t, naaccrEnv, "", "naaccr", "validate", "--format", "json", bad, broken, good)
	if !errors.Is(err, errProblems) || !strings.Contains(err.Error(), "2 of 3 file(s)") {
		t.Fatalf("err = %v, want errProblems for 2 of 3 files", err)
	}
	type line struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
		Patient  int    `json:"patient"`
		Tumor    int    `json:"tumor"`
		Item     string `json:"item"`
		Value    string `json:"value"`
		Message  string `json:"message"`
		Fatal    bool   `json:"fatal"`
		Summary  bool   `json:"summary"`
		Valid    bool   `json:"valid"`
		Patients int    `json:"patients"`
		Tumors   int    `json:"tumors"`
		Problems int    `json:"problems"`
	}
	var got []line
	for i, s := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var l line
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %d is not a JSON problem or summary: %v\n%s", i+1, err, s)
		}
		got = append(got, l)
	}
	l1, c1 := positionOf(t, problemDoc, `<Item naaccrId="notAnItem"`, 1)
	l2, c2 := positionOf(t, problemDoc, `<Item naaccrId="dateOfDiagnosis"`, 1)
	want := []line{
		{File: bad, Line: l1, Column: c1, Patient: 1, Item: "notAnItem", Value: "x"},
		{File: bad, Line: l2, Column: c2, Patient: 2, Tumor: 1, Item: "dateOfDiagnosis", Value: "20231345"},
		{File: bad, Summary: true, Patients: 2, Tumors: 3, Problems: 2},
		{File: broken, Line: 5, Column: 1, Fatal: true},
		{File: broken, Summary: true},
		{File: good, Summary: true, Valid: true, Patients: 2, Tumors: 3},
	}
	if len(got) != len(want) {
		t.Fatalf("%d JSON lines, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		g := got[i]
		if g.Summary == (g.Message != "") {
			t.Errorf("line %d: summary %v with message %q; a problem has a message, a summary none", i+1, g.Summary, g.Message)
		}
		g.Message = ""
		if g != want[i] {
			t.Errorf("line %d = %+v\nwant       %+v", i+1, g, want[i])
		}
	}
	if !strings.Contains(got[3].Message, "NaaccrDat") {
		t.Errorf("structural error %q does not name the bad root element", got[3].Message)
	}
}

func TestNaaccrValidateRefusesBadArguments(t *testing.T) {
	good := writeFile(t, "good.xml", validDoc)
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		want      string
	}{
		{"no file", []string{"naaccr", "validate"}, true, "name one or more files"},
		{"bad format", []string{"naaccr", "validate", "--format", "xml", good}, true, `--format "xml"`},
		{"bad workers", []string{"naaccr", "validate", "--workers", "-1", good}, true, "--workers -1"},
		{"unknown flag", []string{"naaccr", "validate", "--bogus", good}, true, "bogus"},
		{"missing user dictionary", []string{"naaccr", "validate", "--user-dictionary", "no/such/dict.xml", good}, false, "no/such/dict.xml"},
		{"missing file", []string{"naaccr", "validate", "no/such/file.xml"}, false, "no/such/file.xml"},
		{"no verb", []string{"naaccr"}, true, "validate, stats, convert or generate"},
		{"unknown verb", []string{"naaccr", "check"}, true, `"check"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, naaccrEnv, "", tt.args...)
			if err == nil || errors.Is(err, errUsage) != tt.wantUsage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v (output %q); want a usage error %v naming %q", err, out, tt.wantUsage, tt.want)
			}
		})
	}
}

func TestNaaccrValidateKnowsTheItemsOfAUserDictionary(t *testing.T) {
	doc := naaccrDoc(base260, ` userDictionaryUri="http://mycompany.org/my-very-own-naaccr-dictionary.xml"`,
		xmlPatient([]string{"patientIdNumber", "00000001", "myVariable2", "B"},
			[]string{"sequenceNumberHospital", "00", "myVariable1", "A"}))
	path := writeFile(t, "user.xml", doc)

	out, err := runCmd(t, naaccrEnv, "", "naaccr", "validate", path)
	if !errors.Is(err, errProblems) || !strings.Contains(out, `item myVariable1: unknown item "myVariable1"`) || !strings.Contains(out, "not loaded") {
		t.Errorf("without the dictionary: err = %v, output:\n%s\nwant myVariable1 unknown, its dictionary not loaded", err, out)
	}
	out, err = runCmd(t, naaccrEnv, "", "naaccr", "validate", "--user-dictionary", exampleUserDict, path)
	if err != nil || out != path+": valid: 1 patients, 1 tumors\n" {
		t.Errorf("with --user-dictionary: err = %v, output %q; want valid", err, out)
	}
}

func TestNaaccrStatsCountsPatientsTumorsAndTopSites(t *testing.T) {
	doc := naaccrDoc(base260, "",
		xmlPatient([]string{"patientIdNumber", "00000001"},
			[]string{"sequenceNumberHospital", "01", "primarySite", "C509"},
			[]string{"sequenceNumberHospital", "02", "primarySite", "C341"}),
		xmlPatient([]string{"patientIdNumber", "00000002"},
			[]string{"sequenceNumberHospital", "00", "primarySite", "C509"}),
		xmlPatient([]string{"patientIdNumber", "00000003"},
			[]string{"sequenceNumberHospital", "00", "primarySite", "C180"}),
		xmlPatient([]string{"patientIdNumber", "00000004"},
			[]string{"sequenceNumberHospital", "00", "primarySite", "C509"}),
	)
	path := writeFile(t, "stats.xml", doc)
	out, err := runCmd(t, naaccrEnv, "", "naaccr", "stats", "--top", "2", path)
	if err != nil {
		t.Fatalf("stats: %v\n%s", err, out)
	}
	fields := map[string]string{}
	var sites [][]string
	inSites := false
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if inSites {
			sites = append(sites, strings.Fields(l))
			continue
		}
		if l == "top primary sites:" {
			inSites = true
			continue
		}
		k, v, _ := strings.Cut(l, ":")
		fields[k] = strings.TrimSpace(v)
	}
	want := map[string]string{
		"patients":       "4",
		"tumors":         "5",
		"NAACCR version": "260 (" + base260 + ")",
		"record type":    "A",
		"specification":  "1.8",
	}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("%s: %q, want %q\n%s", k, fields[k], v, out)
		}
	}
	if !strings.HasPrefix(fields["problems"], "0 ") {
		t.Errorf("problems: %q, want 0", fields["problems"])
	}
	// C509 first; of the sites with one tumor, C180 before C341; --top 2 stops there.
	wantSites := [][]string{{"C509", "3", "60.0%"}, {"C180", "1", "20.0%"}}
	if fmt.Sprint(sites) != fmt.Sprint(wantSites) {
		t.Errorf("top sites %v, want %v", sites, wantSites)
	}
}

func TestNaaccrStatsRefusesBadArguments(t *testing.T) {
	good := writeFile(t, "good.xml", validDoc)
	for _, args := range [][]string{{"naaccr", "stats"}, {"naaccr", "stats", good, good}, {"naaccr", "stats", "--top", "x", good}} {
		if _, err := runCmd(t, naaccrEnv, "", args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

// convertDoc is a NAACCR 26 file with a value that NAACCR 25 has no item for.
var convertDoc = naaccrDoc(base260, "",
	"  <Item naaccrId=\"naaccrRecordVersion\">260</Item>\n",
	xmlPatient([]string{"patientIdNumber", "00000001", "sexAssignedAtBirth", "2", "nameLast", "DOE"},
		[]string{"sequenceNumberHospital", "00", "primarySite", "C509", "residualCancerBurdenClass", "1"}),
	xmlPatient([]string{"patientIdNumber", "00000002", "sexAssignedAtBirth", "1"},
		[]string{"sequenceNumberHospital", "00", "primarySite", "C341"}),
)

// fileItems reads back the root items and the patient and tumor items of a file, by naaccrId.
type fileItems struct {
	BaseURI  string       `xml:"baseDictionaryUri,attr"`
	Items    []exportItem `xml:"Item"`
	Patients []struct {
		Items  []exportItem `xml:"Item"`
		Tumors []struct {
			Items []exportItem `xml:"Item"`
		} `xml:"Tumor"`
	} `xml:"Patient"`
}

type exportItem struct {
	ID    string `xml:"naaccrId,attr"`
	Value string `xml:",chardata"`
}

func items(list []exportItem) map[string]string {
	m := map[string]string{}
	for _, it := range list {
		m[it.ID] = it.Value
	}
	return m
}

func readItems(t *testing.T, path string) fileItems {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readNAACCR(t, bytes.NewReader(b)) // well-formed
	var f fileItems
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNaaccrConvertTo250AndBackCarriesSexAndReportsWhatIsLost(t *testing.T) {
	in := writeFile(t, "in.xml", convertDoc)
	dir := t.TempDir()
	out250, out260 := filepath.Join(dir, "v250.xml"), filepath.Join(dir, "v260.xml")

	out, err := runCmd(t, naaccrEnv, "", "naaccr", "convert", "--to", "250", in, out250)
	if err != nil {
		t.Fatalf("convert to 250: %v\n%s", err, out)
	}
	for _, want := range []string{
		"wrote " + out250 + ": 2 patients, 2 tumors, NAACCR 260 → 250",
		"1 not",
		"residualCancerBurdenClass: 1 not carried over (not defined in NAACCR 250)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("convert said:\n%s\nwant it to say %q", out, want)
		}
	}
	f := readItems(t, out250)
	b, _ := os.ReadFile(out250)
	root, patients, tumors := readNAACCR(t, bytes.NewReader(b))
	if attr(root, "baseDictionaryUri") != base250 || attr(root, "timeGenerated") != "2026-11-20T10:00:00Z" || patients != 2 || tumors != 2 {
		t.Errorf("v250 file: root %v, %d patients, %d tumors", root.Attr, patients, tumors)
	}
	if got := items(f.Items)["naaccrRecordVersion"]; got != "250" {
		t.Errorf("naaccrRecordVersion %q, want 250", got)
	}
	for i, sex := range []string{"2", "1"} {
		p := items(f.Patients[i].Items)
		if p["sex"] != sex || p["sexAssignedAtBirth"] != "" {
			t.Errorf("patient %d of the v250 file: %v, want sex %s", i+1, p, sex)
		}
	}
	if tu := items(f.Patients[0].Tumors[0].Items); tu["residualCancerBurdenClass"] != "" || tu["primarySite"] != "C509" {
		t.Errorf("tumor 1 of the v250 file: %v", tu)
	}

	out, err = runCmd(t, naaccrEnv, "", "naaccr", "convert", "--to", "260", out250, out260)
	if err != nil || !strings.Contains(out, "NAACCR 250 → 260") || !strings.Contains(out, ", 0 not") {
		t.Fatalf("convert back to 260: %v\n%s", err, out)
	}
	f = readItems(t, out260)
	if f.BaseURI != base260 || items(f.Items)["naaccrRecordVersion"] != "260" {
		t.Errorf("v260 file: dictionary %s, root items %v", f.BaseURI, f.Items)
	}
	for i, sex := range []string{"2", "1"} {
		p := items(f.Patients[i].Items)
		if p["sexAssignedAtBirth"] != sex || p["sex"] != "" {
			t.Errorf("patient %d of the v260 file: %v, want sexAssignedAtBirth %s", i+1, p, sex)
		}
	}
}

func TestNaaccrConvertLeavesNoFileWhenItFails(t *testing.T) {
	lossless := writeFile(t, "lossless.xml", naaccrDoc(base260, "",
		xmlPatient([]string{"patientIdNumber", "00000001", "sexAssignedAtBirth", "2"}, []string{"sequenceNumberHospital", "00"})))
	lossy := writeFile(t, "lossy.xml", convertDoc)
	broken := writeFile(t, "broken.xml", naaccrDoc(base260, "",
		xmlPatient([]string{"patientIdNumber", "00000001"}, []string{"sequenceNumberHospital", "00"}),
		"  <Patient>\n    <Bogus/>\n  </Patient>\n"))
	headerless := filepath.Join(conformanceDir, "invalid", "invalid_missing-required-attribute-1.xml")
	tests := []struct {
		name      string
		flags     []string
		in        string // empty: no input or output named
		wantErr   string // empty: success
		wantUsage bool
	}{
		{"strict and nothing lost", []string{"--strict", "--to", "250"}, lossless, "", false},
		{"strict and a value lost", []string{"--strict", "--to", "250"}, lossy, "1 values cannot be carried into version 250", false},
		{"unknown version", []string{"--to", "999"}, lossless, `--to "999"`, true},
		{"no version", nil, lossless, `--to ""`, true},
		{"structural error after the first patient", []string{"--to", "250"}, broken, "Bogus", false},
		{"structural error in the header", []string{"--to", "250"}, headerless, "lacks the required attribute", false},
		{"no files named", []string{"--to", "250"}, "", "name the input and the output", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			outPath := filepath.Join(dir, "out.xml")
			args := append([]string{"naaccr", "convert"}, tt.flags...)
			if tt.in != "" {
				args = append(args, tt.in, outPath)
			}
			out, err := runCmd(t, naaccrEnv, "", args...)
			entries, _ := os.ReadDir(dir)
			if tt.wantErr == "" {
				if err != nil || len(entries) != 1 {
					t.Fatalf("err = %v, %d files; want the output file only\n%s", err, len(entries), out)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, errUsage) != tt.wantUsage {
				t.Errorf("err = %v; want it to say %q (usage error: %v)", err, tt.wantErr, tt.wantUsage)
			}
			if len(entries) != 0 {
				t.Errorf("a failed conversion left %v behind", entries)
			}
		})
	}
}

func TestNaaccrValidateLoadsAUserDictionaryNamedBesideTheFile(t *testing.T) {
	dict, err := os.ReadFile(exampleUserDict)
	if err != nil {
		t.Fatal(err)
	}
	doc := naaccrDoc(base260, ` userDictionaryUri="state-items.xml"`,
		xmlPatient([]string{"patientIdNumber", "00000001", "myVariable2", "B"}))
	path := writeFile(t, "data.xml", doc)
	out, err := runCmd(t, naaccrEnv, "", "naaccr", "validate", path)
	if !errors.Is(err, errProblems) || !strings.Contains(out, "not loaded: state-items.xml") {
		t.Fatalf("without the file beside it: err = %v, output:\n%s", err, out)
	}
	renamed := strings.Replace(string(dict), "http://mycompany.org/my-very-own-naaccr-dictionary.xml", "state-items.xml", 1)
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "state-items.xml"), []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, naaccrEnv, "", "naaccr", "validate", path)
	if err != nil || !strings.Contains(out, "valid: 1 patients") {
		t.Fatalf("with the dictionary beside the file: err = %v, output:\n%s", err, out)
	}
}

func TestNaaccrConvertCarriesRootAttributesAndExtensionElements(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"valid_user-attributes-1.xml", "valid_user-extensions-1.xml", "valid_user-extensions-2.xml", "valid_user-extensions-3.xml"} {
		t.Run(name, func(t *testing.T) {
			in := filepath.Join(conformanceDir, "valid", name)
			out := filepath.Join(dir, name)
			said, err := runCmd(t, naaccrEnv, "", "naaccr", "convert", "--strict", "--to", "260", in, out)
			if err != nil {
				t.Fatalf("convert: %v\n%s", err, said)
			}
			b, _ := os.ReadFile(out)
			root, patients, tumors := readNAACCR(t, bytes.NewReader(b))
			if patients != 1 || tumors != 1 {
				t.Errorf("%d patients, %d tumors", patients, tumors)
			}
			if name == "valid_user-attributes-1.xml" {
				if attr(root, "otherAttribute") != "XXX" || !strings.Contains(said, "1 root attributes and 0 extension elements carried over as they are, 0 not") {
					t.Errorf("root attribute not carried over: %v\n%s", root.Attr, said)
				}
				return
			}
			if !strings.Contains(string(b), "<other:MyInnerTag>Something</other:MyInnerTag>") || !strings.Contains(said, "0 root attributes and 1 extension elements carried over as they are, 0 not") {
				t.Errorf("extension not carried over:\n%s\nconvert said:\n%s", b, said)
			}
		})
	}
}

func TestNaaccrConvertListsWhatItCannotCarryOver(t *testing.T) {
	in := filepath.Join(conformanceDir, "invalid_relaxed", "invalid_user-attribute-missing-namespace-1.xml")
	dir := t.TempDir()
	said, err := runCmd(t, naaccrEnv, "", "naaccr", "convert", "--relaxed", "--to", "260", in, filepath.Join(dir, "out.xml"))
	if err != nil || !strings.Contains(said, "0 root attributes and 0 extension elements carried over as they are, 1 not") ||
		!strings.Contains(said, "root attribute otherAttribute (it has no namespace): 1 not carried over") {
		t.Errorf("convert: %v; said:\n%s", err, said)
	}
	_, err = runCmd(t, naaccrEnv, "", "naaccr", "convert", "--relaxed", "--strict", "--to", "260", in, filepath.Join(dir, "strict.xml"))
	if err == nil || !strings.Contains(err.Error(), "root attribute otherAttribute (it has no namespace)") {
		t.Errorf("strict convert: %v, want it to fail naming the attribute", err)
	}
}
