package staging

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// These tests run the engine on small hand-made releases, written as the published zip is (one JSON
// file a schema or table), so each rule of the algorithm is seen on its own.

// tbl is a hand-made table: columns are "in:key", "out:key" or "desc:key".
type tbl struct {
	id   string
	cols []string
	rows [][]string
}

func (t tbl) json() map[string]any {
	var def []map[string]string
	for _, c := range t.cols {
		kind, key, _ := strings.Cut(c, ":")
		typ := map[string]string{"in": ColumnInput, "out": ColumnEndpoint, "desc": ColumnDescription}[kind]
		def = append(def, map[string]string{"key": key, "name": key, "type": typ})
	}
	rows := t.rows
	if rows == nil {
		rows = [][]string{}
	}
	return map[string]any{"id": t.id, "algorithm": "test", "version": "1.7", "name": t.id, "title": "Table " + t.id, "definition": def, "rows": rows}
}

// release zips schemas and tables as the SEER release does and loads it.
func release(t *testing.T, schemas []*Schema, tables []tbl) *DataSet {
	t.Helper()
	d, err := LoadZip(zipOf(t, schemas, tables))
	if err != nil {
		t.Fatalf("LoadZip: %v", err)
	}
	return d
}

func zipOf(t *testing.T, schemas []*Schema, tables []tbl) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range schemas {
		add("schemas/"+s.ID+".json", s)
	}
	for _, tb := range tables {
		add("tables/"+tb.id+".json", tb.json())
	}
	// Files outside schemas/ and tables/ are not part of the algorithm.
	add("glossary/x.json", map[string]string{"id": "x"})
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ptr(s string) *string { return &s }

// The tables every hand-made schema shares: selection by site C500-C509 and histology 8000-8700,
// and the year of diagnosis as the SEER data checks it.
var baseTables = []tbl{
	{"sel_test", []string{"in:site", "in:hist", "out:result"}, [][]string{{"C500-C509", "8000-8700", "MATCH"}}},
	{"year_tbl", []string{"in:year_dx", "out:result"}, [][]string{{"2018-{{ctx_year_current}},9999", "MATCH"}, {"", "MATCH"}}},
}

// testSchema is a schema selected by baseTables with the inputs year_dx, site, hist and the given
// ones (each read from the item named like its key), the outputs schema id, version and the given
// ones, and one mapping of the given table paths.
func testSchema(inputs []Input, outputs []Output, paths ...TablePath) *Schema {
	s := &Schema{ID: "test", Algorithm: "test", Version: "1.7", Name: "Test", SelectionTable: "sel_test", OnInvalidInput: "CONTINUE",
		Inputs: []Input{
			{Key: KeyYearDx, Name: "Year of Diagnosis", NAACCRItem: 390, NAACCRXMLID: "dateOfDiagnosis", Table: "year_tbl"},
			{Key: KeySite, Name: "Primary Site", NAACCRItem: 400, NAACCRXMLID: "primarySite", UsedForStaging: true},
			{Key: KeyHist, Name: "Histology", NAACCRItem: 522, NAACCRXMLID: "histologicTypeIcdO3", UsedForStaging: true},
		},
		Outputs: []Output{
			{Key: OutputSchemaID, Name: "Schema ID", NAACCRItem: 3800, NAACCRXMLID: "schemaId", Default: ptr("09999")},
			{Key: OutputVersion, Name: "Version", Default: ptr("{{ctx_alg_version}}")},
		},
		Mappings: []Mapping{{ID: "m1", Name: "Mapping", Tables: paths}},
	}
	for i := range inputs {
		if inputs[i].NAACCRXMLID == "" {
			inputs[i].NAACCRXMLID = inputs[i].Key
		}
		if inputs[i].Name == "" {
			inputs[i].Name = "Input " + inputs[i].Key
		}
	}
	for i := range outputs {
		if outputs[i].Name == "" {
			outputs[i].Name = "Output " + outputs[i].Key
		}
	}
	s.Inputs = append(s.Inputs, inputs...)
	s.Outputs = append(s.Outputs, outputs...)
	return s
}

// rec is a breast record (site C504, histology 8500, diagnosed 2024) with the given items.
func rec(items ...string) Record {
	m := map[string]string{"primarySite": "C504", "histologicTypeIcdO3": "8500", "dateOfDiagnosis": "20240115"}
	for i := 0; i+1 < len(items); i += 2 {
		m[items[i]] = items[i+1]
	}
	return func(id string) string { return m[id] }
}

func tpath(id string, in []string, out []string) TablePath {
	return TablePath{ID: id, Inputs: in, Outputs: out}
}

// rangesTable holds the kinds of cells the SEER tables have, one a row.
var rangesTable = tbl{"ranges", []string{"in:v", "out:res", "desc:why"}, [][]string{
	{"C500-C509", "VALUE:string range", "same-length strings compare as strings"},
	{"2,3,", "VALUE:list or blank", "a trailing comma adds the blank value"},
	{"5-10", "VALUE:whole", "numbers of different lengths compare as numbers"},
	{"0.5-1.5", "VALUE:decimal", "a range with a decimal end holds decimals"},
	{"N0(mol-)", "VALUE:one value", "a dash between ends of different lengths is part of a value"},
	{"AA-AZ, BB", "VALUE:letters", "spaces around list elements are dropped"},
	{"*", "VALUE:anything", "* matches every value"},
}}

func TestStageMatchesCellsAsTheStagingLibrary(t *testing.T) {
	s := testSchema([]Input{{Key: "v"}}, []Output{{Key: "res", Default: ptr("dflt")}}, tpath("ranges", []string{"v"}, []string{"res"}))
	d := release(t, []*Schema{s}, append([]tbl{rangesTable}, baseTables...))
	tests := []struct {
		value, want string
		row         int
	}{
		{"C504", "string range", 1},
		{"C500", "string range", 1},
		{"C509", "string range", 1},
		{"C5041", "anything", 7}, // longer than the ends: not in the range
		{"C50", "anything", 7},
		{"C510", "anything", 7},
		{"", "list or blank", 2},
		{"   ", "list or blank", 2}, // items are trimmed: only spaces is blank
		{"3", "list or blank", 2},
		{"4", "anything", 7},
		{"7", "whole", 3},
		{"07", "whole", 3}, // numeric ranges compare numbers, not text
		{"10", "whole", 3},
		{"11", "anything", 7},
		{"7.5", "anything", 7},  // a whole-number range holds no decimal
		{"10.0", "anything", 7}, // not even one that equals a whole number
		{"1.0", "decimal", 4},
		{"1.5", "decimal", 4},
		{"1", "decimal", 4}, // a decimal range holds whole numbers
		{"1.51", "anything", 7},
		{"N0(mol-)", "one value", 5},
		{"N0", "anything", 7},
		{"AK", "letters", 6},
		{"BB", "letters", 6},
		{"BA", "anything", 7},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.value), func(t *testing.T) {
			r := d.Stage(rec("v", tt.value), 2026)
			if r.Status != Staged || len(r.Errors) != 0 {
				t.Fatalf("status %s, errors %v", r.Status, r.Errors)
			}
			if got := r.Output("res"); got != tt.want {
				t.Errorf("res = %q, want %q", got, tt.want)
			}
			if len(r.Path) != 1 || r.Path[0].Table != "ranges" || r.Path[0].Row != tt.row {
				t.Errorf("path = %+v, want row %d of ranges", r.Path, tt.row)
			}
		})
	}
}

func TestStageBlankCellMatchesOnlyBlank(t *testing.T) {
	blank := tbl{"blank", []string{"in:v", "out:res"}, [][]string{{"", "VALUE:blank"}, {"1", "VALUE:one"}}}
	s := testSchema([]Input{{Key: "v"}}, []Output{{Key: "res", Default: ptr("dflt")}}, tpath("blank", []string{"v"}, []string{"res"}))
	d := release(t, []*Schema{s}, append([]tbl{blank}, baseTables...))
	for value, want := range map[string]string{"": "blank", "1": "one", "0": "dflt"} {
		r := d.Stage(rec("v", value), 2026)
		if got := r.Output("res"); got != want {
			t.Errorf("v=%q: res = %q, want %q", value, got, want)
		}
	}
}

func TestStageRowMatchesOnlyWhenEveryInputCellDoes(t *testing.T) {
	two := tbl{"two", []string{"in:a", "in:b", "out:res"}, [][]string{
		{"1", "*", "VALUE:a is 1"},
		{"*", "2", "VALUE:b is 2"},
		{"3", "3", "VALUE:both 3"},
	}}
	s := testSchema([]Input{{Key: "a"}, {Key: "b"}}, []Output{{Key: "res", Default: ptr("dflt")}}, tpath("two", []string{"a", "b"}, []string{"res"}))
	d := release(t, []*Schema{s}, append([]tbl{two}, baseTables...))
	tests := []struct{ a, b, want string }{
		{"1", "2", "a is 1"}, // the first matching row wins
		{"0", "2", "b is 2"},
		{"3", "3", "both 3"},
		{"3", "4", "dflt"},
		{"", "", "dflt"},
	}
	for _, tt := range tests {
		r := d.Stage(rec("a", tt.a, "b", tt.b), 2026)
		if got := r.Output("res"); got != tt.want {
			t.Errorf("a=%q b=%q: res = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}

// jumpTables: j1 jumps on a to j2 (a value) or j3, which jumps back to j1.
var jumpTables = []tbl{
	{"j1", []string{"in:a", "out:res"}, [][]string{{"1", "JUMP:j2"}, {"2", "JUMP:j3"}, {"3", "MATCH"}}},
	{"j2", []string{"in:b", "out:res"}, [][]string{{"*", "VALUE:from j2 with {{b}}"}, {"x", "VALUE:unreachable"}}},
	{"j3", []string{"in:b", "out:res"}, [][]string{{"*", "JUMP:j1"}}},
}

func TestStageFollowsJumpsAndStopsAtALoop(t *testing.T) {
	s := testSchema([]Input{{Key: "a"}, {Key: "b"}}, []Output{{Key: "res", Default: ptr("dflt")}}, tpath("j1", []string{"a", "b"}, []string{"res"}))
	d := release(t, []*Schema{s}, append(slices.Clone(jumpTables), baseTables...))

	r := d.Stage(rec("a", "1", "b", "B"), 2026)
	// "from j2 with {{b}}" is not a whole reference: the text is kept as it is, as the library does.
	if got := r.Output("res"); got != "from j2 with {{b}}" || len(r.Errors) != 0 {
		t.Errorf("a=1: res = %q, errors %v", got, r.Errors)
	}
	if len(r.Path) != 2 || r.Path[0].Table != "j1" || r.Path[0].Row != 1 || r.Path[1].Table != "j2" || r.Path[1].Row != 1 {
		t.Errorf("a=1: path = %+v, want j1 row 1 then j2 row 1", r.Path)
	}
	if !slices.Equal(r.Path[0].Results, []string{"JUMP:j2"}) || !slices.Equal(r.Path[1].Inputs, []string{`b="B"`}) {
		t.Errorf("a=1: steps = %+v", r.Path)
	}

	r = d.Stage(rec("a", "2", "b", "B"), 2026)
	if r.Status != Staged || len(r.Errors) != 1 || r.Errors[0].Type != InfiniteLoop || r.Errors[0].Table != "j1" {
		t.Fatalf("a=2: status %s, errors %+v; want one infinite loop at j1", r.Status, r.Errors)
	}
	if !strings.Contains(r.Errors[0].Message, "j1 → j3") {
		t.Errorf("a=2: message %q does not show the chain", r.Errors[0].Message)
	}
	if got := r.Output("res"); got != "dflt" {
		t.Errorf("a=2: res = %q, want the default", got)
	}

	// MATCH yields nothing: the output keeps its default, and no error.
	r = d.Stage(rec("a", "3"), 2026)
	if got := r.Output("res"); got != "dflt" || len(r.Errors) != 0 || len(r.Path) != 1 || r.Path[0].Row != 3 {
		t.Errorf("a=3: res = %q, errors %v, path %+v", got, r.Errors, r.Path)
	}
}

func TestStageMatchNotFoundLeavesTheOutputsDefault(t *testing.T) {
	t1 := tbl{"t1", []string{"in:a", "out:res"}, [][]string{{"1", "VALUE:one"}}}
	t2 := tbl{"t2", []string{"in:a", "out:res2"}, [][]string{{"*", "VALUE:after"}}}
	s := testSchema([]Input{{Key: "a"}}, []Output{{Key: "res", Default: ptr("dflt")}, {Key: "res2"}},
		tpath("t1", []string{"a"}, []string{"res"}), tpath("t2", []string{"a"}, []string{"res2"}))
	d := release(t, []*Schema{s}, append([]tbl{t1, t2}, baseTables...))
	r := d.Stage(rec("a", "7"), 2026)
	if r.Status != Staged || r.Output("res") != "dflt" {
		t.Fatalf("status %s, res %q; want staged with the default", r.Status, r.Output("res"))
	}
	if len(r.Errors) != 1 || r.Errors[0].Type != MatchNotFound || r.Errors[0].Table != "t1" || !strings.Contains(r.Errors[0].Message, `a="7"`) {
		t.Errorf("errors = %+v, want a match not found in t1 naming a=\"7\"", r.Errors)
	}
	// The walk goes on with the next table.
	if r.Output("res2") != "after" || len(r.Path) != 2 || r.Path[0].Row != 0 {
		t.Errorf("res2 = %q, path %+v", r.Output("res2"), r.Path)
	}
}

func TestStageStopEndsItsMapping(t *testing.T) {
	stop := tbl{"stop", []string{"in:a", "out:res"}, [][]string{{"1", "STOP"}, {"*", "VALUE:went on"}}}
	after := tbl{"after", []string{"in:a", "out:res2"}, [][]string{{"*", "VALUE:after"}}}
	other := tbl{"other", []string{"in:a", "out:res3"}, [][]string{{"*", "VALUE:other mapping"}}}
	s := testSchema([]Input{{Key: "a"}}, []Output{{Key: "res", Default: ptr("d1")}, {Key: "res2", Default: ptr("d2")}, {Key: "res3", Default: ptr("d3")}},
		tpath("stop", []string{"a"}, []string{"res"}), tpath("after", []string{"a"}, []string{"res2"}))
	s.Mappings = append(s.Mappings, Mapping{ID: "m2", Tables: []TablePath{tpath("other", []string{"a"}, []string{"res3"})}})
	d := release(t, []*Schema{s}, append([]tbl{stop, after, other}, baseTables...))

	r := d.Stage(rec("a", "1"), 2026)
	// STOP ends the table paths of its mapping; the schema's other mappings still run, as in the
	// staging library (DecisionEngine.process breaks out of the mapping's paths only).
	if r.Output("res") != "d1" || r.Output("res2") != "d2" || r.Output("res3") != "other mapping" || len(r.Errors) != 0 {
		t.Errorf("a=1: outputs %v, errors %v", r.Outputs, r.Errors)
	}
	if len(r.Path) != 2 || !slices.Equal(r.Path[0].Results, []string{"STOP"}) || r.Path[1].Table != "other" {
		t.Errorf("a=1: path %+v", r.Path)
	}
	r = d.Stage(rec("a", "2"), 2026)
	if r.Output("res") != "went on" || r.Output("res2") != "after" || r.Output("res3") != "other mapping" {
		t.Errorf("a=2: outputs %v", r.Outputs)
	}
}

func TestStageErrorRowsSayWhat(t *testing.T) {
	errs := tbl{"errs", []string{"in:a", "out:res", "out:res2"}, [][]string{
		{"1", "ERROR:Primary tumor 1 is not allowed here", "VALUE:still set"},
		{"2", "ERROR:", "VALUE:two"},
	}}
	s := testSchema([]Input{{Key: "a"}}, []Output{{Key: "res", Default: ptr("dflt")}, {Key: "res2"}}, tpath("errs", []string{"a"}, []string{"res", "res2"}))
	d := release(t, []*Schema{s}, append([]tbl{errs}, baseTables...))
	tests := []struct {
		a, msg, res2 string
	}{
		{"1", "Primary tumor 1 is not allowed here", "still set"},
		// Without a message the error names the table, the column and the values matched.
		{"2", `table errs (Table errs): column res: the row matched for a="2" is an error`, "two"},
	}
	for _, tt := range tests {
		r := d.Stage(rec("a", tt.a), 2026)
		if r.Status != Staged || len(r.Errors) != 1 {
			t.Fatalf("a=%s: status %s, errors %+v", tt.a, r.Status, r.Errors)
		}
		e := r.Errors[0]
		if e.Type != StagingError || e.Key != "res" || e.Table != "errs" || e.Message != tt.msg {
			t.Errorf("a=%s: error %+v, want a staging error on res in errs: %q", tt.a, e, tt.msg)
		}
		// The row's other endpoints still apply; the errored output keeps its default.
		if r.Output("res") != "dflt" || r.Output("res2") != tt.res2 {
			t.Errorf("a=%s: outputs %v", tt.a, r.Outputs)
		}
	}
}

func TestStageValuesReferToKeysAndContext(t *testing.T) {
	refs := tbl{"refs", []string{"in:a", "out:res"}, [][]string{
		{"1", "VALUE:{{b}}"},
		{"2", "VALUE:{{ctx_year_current}}"},
		{"3", "VALUE:{{ctx_alg_version}}"},
		{"4", "VALUE:{{no_such_key}}"},
		{"5", "VALUE:{{res_mid}}"},
		{"6", "VALUE:"},
	}}
	mid := tbl{"mid", []string{"in:a", "out:res_mid"}, [][]string{{"*", "VALUE:intermediate"}}}
	s := testSchema([]Input{{Key: "a"}, {Key: "b"}}, []Output{{Key: "res", Default: ptr("dflt")}},
		tpath("mid", []string{"a"}, []string{"res_mid"}), tpath("refs", []string{"a", "b"}, []string{"res"}))
	d := release(t, []*Schema{s}, append([]tbl{refs, mid}, baseTables...))
	tests := []struct{ a, want string }{
		{"1", "B-VALUE"},
		{"2", "2031"},
		{"3", "1.7"}, // the release's version
		{"4", ""},    // an unknown key is blank, as in the library
		{"5", "intermediate"},
		{"6", ""},
	}
	for _, tt := range tests {
		r := d.Stage(rec("a", tt.a, "b", "B-VALUE"), 2031)
		if got := r.Output("res"); got != tt.want || len(r.Errors) != 0 {
			t.Errorf("a=%s: res = %q, errors %v; want %q", tt.a, got, r.Errors, tt.want)
		}
		if r.Output(OutputVersion) != "1.7" || r.Output(OutputSchemaID) != "09999" {
			t.Errorf("a=%s: version %q, schema id %q", tt.a, r.Output(OutputVersion), r.Output(OutputSchemaID))
		}
		// Intermediate keys are not outputs.
		if _, ok := r.Outputs["res_mid"]; ok {
			t.Errorf("a=%s: intermediate key res_mid among the outputs", tt.a)
		}
	}
	if d.Algorithm != "test" || d.Version != "1.7" {
		t.Errorf("release %s %s, want test 1.7", d.Algorithm, d.Version)
	}
}

func TestStageOutputMappingRenamesATablesOutputs(t *testing.T) {
	grade := tbl{"grade", []string{"in:a", "out:g", "out:other"}, [][]string{{"*", "VALUE:{{a}}", "VALUE:x"}}}
	p := tpath("grade", []string{"a"}, []string{"g_clin", "g_path"})
	p.OutputMapping = []KeyMapping{{From: "g", To: "g_clin"}, {From: "g", To: "g_path"}}
	s := testSchema([]Input{{Key: "a"}}, []Output{{Key: "g", Default: ptr("dg")}, {Key: "g_clin"}, {Key: "g_path"}, {Key: "other"}}, p)
	d := release(t, []*Schema{s}, append([]tbl{grade}, baseTables...))
	r := d.Stage(rec("a", "3"), 2026)
	want := map[string]string{"g": "dg", "g_clin": "3", "g_path": "3", "other": "x"}
	for k, v := range want {
		if r.Output(k) != v {
			t.Errorf("%s = %q, want %q (outputs %v)", k, r.Output(k), v, r.Outputs)
		}
	}
	if !slices.Equal(r.Path[0].Results, []string{"g_clin=3", "g_path=3", "other=x"}) {
		t.Errorf("results %v", r.Path[0].Results)
	}
}

// codes is a one-column table of valid codes for input key.
func codes(id, key string, cells ...string) tbl {
	t := tbl{id: id, cols: []string{"in:" + key, "desc:description"}}
	for _, c := range cells {
		t.rows = append(t.rows, []string{c, "code " + c})
	}
	return t
}

func TestStageFillsInputDefaults(t *testing.T) {
	echo := tbl{"echo", []string{"in:a", "out:res"}, [][]string{{"*", "VALUE:{{a}}"}}}
	s := testSchema([]Input{
		{Key: "a", Default: ptr("9"), Table: "a_codes"},
		{Key: "copy", Default: ptr("{{a}}")},
		{Key: "year_now", Default: ptr("{{ctx_year_current}}")},
		{Key: "none"},
	}, []Output{{Key: "res"}}, tpath("echo", []string{"a"}, []string{"res"}))
	d := release(t, []*Schema{s}, append([]tbl{echo, codes("a_codes", "a", "1-3", "9")}, baseTables...))
	tests := []struct {
		name, a, wantA, wantCopy string
	}{
		{"given", "2", "2", "2"},
		{"blank takes the default", "", "9", "9"},
		{"spaces are blank", "  ", "9", "9"},
		{"value is trimmed", " 3 ", "3", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := d.Stage(rec("a", tt.a), 2026)
			if r.Status != Staged || len(r.Errors) != 0 {
				t.Fatalf("status %s, errors %v", r.Status, r.Errors)
			}
			got := r.Inputs
			if got["a"] != tt.wantA || got["copy"] != tt.wantCopy || got["year_now"] != "2026" || got["none"] != "" {
				t.Errorf("inputs = %v, want a=%s copy=%s year_now=2026 none blank", got, tt.wantA, tt.wantCopy)
			}
			if r.Output("res") != tt.wantA {
				t.Errorf("res = %q: the tables did not see the default", r.Output("res"))
			}
		})
	}
}

func TestStageChecksInputsAgainstTheirTables(t *testing.T) {
	echo := tbl{"echo", []string{"in:req", "out:res"}, [][]string{{"*", "VALUE:staged"}}}
	inputs := func() []Input {
		return []Input{
			{Key: "req", Name: "EOD Primary Tumor", NAACCRItem: 772, NAACCRXMLID: "eodPrimaryTumor", Table: "req_codes", UsedForStaging: true},
			{Key: "ssdi", Name: "HER2", NAACCRItem: 3855, NAACCRXMLID: "her2OverallSummary", Table: "ssdi_codes"},
		}
	}
	tables := append([]tbl{echo, codes("req_codes", "req", "000-800", "999"), codes("ssdi_codes", "ssdi", "0,1,9")}, baseTables...)
	tests := []struct {
		onInvalid, req, ssdi string
		want                 Status
		errs                 []ErrorType
	}{
		{"CONTINUE", "100", "1", Staged, nil},
		// A blank input is not checked, even when its table has no blank row.
		{"FAIL", "", "", Staged, nil},
		{"CONTINUE", "850", "1", Staged, []ErrorType{InvalidRequiredInput}},
		{"CONTINUE", "100", "5", Staged, []ErrorType{InvalidNonRequiredInput}},
		{"CONTINUE", "850", "5", Staged, []ErrorType{InvalidRequiredInput, InvalidNonRequiredInput}},
		{"FAIL_WHEN_USED_FOR_STAGING", "850", "1", FailedInput, []ErrorType{InvalidRequiredInput}},
		{"FAIL_WHEN_USED_FOR_STAGING", "100", "5", Staged, []ErrorType{InvalidNonRequiredInput}},
		{"FAIL", "100", "5", FailedInput, []ErrorType{InvalidNonRequiredInput}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s req=%s ssdi=%s", tt.onInvalid, tt.req, tt.ssdi), func(t *testing.T) {
			s := testSchema(inputs(), []Output{{Key: "res", NAACCRXMLID: "someDerivedItem"}}, tpath("echo", []string{"req"}, []string{"res"}))
			s.OnInvalidInput = tt.onInvalid
			d := release(t, []*Schema{s}, tables)
			r := d.Stage(rec("eodPrimaryTumor", tt.req, "her2OverallSummary", tt.ssdi), 2026)
			var types []ErrorType
			for _, e := range r.Errors {
				types = append(types, e.Type)
			}
			if r.Status != tt.want || !slices.Equal(types, tt.errs) {
				t.Fatalf("status %s, errors %+v; want %s, %v", r.Status, r.Errors, tt.want, tt.errs)
			}
			for _, e := range r.Errors {
				want := map[ErrorType][4]string{
					InvalidRequiredInput:    {"req", "eodPrimaryTumor", tt.req, "req_codes"},
					InvalidNonRequiredInput: {"ssdi", "her2OverallSummary", tt.ssdi, "ssdi_codes"},
				}[e.Type]
				if [4]string{e.Key, e.Item, e.Value, e.Table} != want {
					t.Errorf("error %+v, want key, item, value, table %v", e, want)
				}
			}
			if len(r.Errors) > 0 && !strings.Contains(r.Errors[0].Message, "is not a valid code for schema Test") {
				t.Errorf("message %q", r.Errors[0].Message)
			}
			items := r.Items(d)
			if tt.want == FailedInput {
				// Nothing is derived but the schema.
				if r.Output("res") != "" || items["someDerivedItem"] != "" || items["schemaId"] != "09999" || len(r.Path) != 0 {
					t.Errorf("failed input: outputs %v, items %v, path %v", r.Outputs, items, r.Path)
				}
			} else if r.Output("res") != "staged" || items["someDerivedItem"] != "staged" || items["schemaId"] != "09999" {
				t.Errorf("staged: outputs %v, items %v", r.Outputs, items)
			}
		})
	}
}

func TestStageChecksTheYearOfDiagnosis(t *testing.T) {
	echo := tbl{"echo", []string{"in:year_dx", "out:res"}, [][]string{{"*", "VALUE:{{year_dx}}"}}}
	s := testSchema(nil, []Output{{Key: "res", Default: ptr("dflt")}}, tpath("echo", []string{"year_dx"}, []string{"res"}))
	d := release(t, []*Schema{s}, append([]tbl{echo}, baseTables...))
	tests := []struct {
		date string
		want Status
		res  string
	}{
		{"20180101", Staged, "2018"},
		{"2026", Staged, "2026"},   // {{ctx_year_current}} ends the range
		{"202607", Staged, "2026"}, // a partial date has its year
		{"99999999", Staged, "9999"},
		{"", Staged, ""},
		{"2017", InvalidYear, ""},
		{"2027", InvalidYear, ""},
		{"20X4", Staged, ""}, // no year in it: blank, which the table accepts
	}
	for _, tt := range tests {
		r := d.Stage(rec("dateOfDiagnosis", tt.date), 2026)
		if r.Status != tt.want {
			t.Errorf("date %q: status %s, want %s (errors %v)", tt.date, r.Status, tt.want, r.Errors)
			continue
		}
		if tt.want == Staged && r.Output("res") != tt.res {
			t.Errorf("date %q: res = %q, want %q", tt.date, r.Output("res"), tt.res)
		}
		if tt.want == InvalidYear {
			if len(r.Errors) != 1 || r.Errors[0].Key != KeyYearDx || r.Errors[0].Table != "year_tbl" || r.Errors[0].Value != tt.date {
				t.Errorf("date %q: errors %+v, want one naming year_dx in year_tbl", tt.date, r.Errors)
			}
			if r.Output("res") != "" || r.Output(OutputSchemaID) != "09999" || len(r.Path) != 0 {
				t.Errorf("date %q: outputs %v, path %v", tt.date, r.Outputs, r.Path)
			}
		}
	}
}

func TestStageChecksOutputsAgainstTheirTables(t *testing.T) {
	echo := tbl{"echo", []string{"in:a", "out:res"}, [][]string{{"*", "VALUE:{{a}}"}}}
	s := testSchema([]Input{{Key: "a"}}, []Output{{Key: "res", Table: "res_codes", NAACCRXMLID: "derivedX"}}, tpath("echo", []string{"a"}, []string{"res"}))
	d := release(t, []*Schema{s}, append([]tbl{echo, codes("res_codes", "res", "1,2")}, baseTables...))
	r := d.Stage(rec("a", "2"), 2026)
	if len(r.Errors) != 0 || r.Output("res") != "2" {
		t.Errorf("a=2: res %q, errors %v", r.Output("res"), r.Errors)
	}
	r = d.Stage(rec("a", "3"), 2026)
	if r.Status != Staged || len(r.Errors) != 1 {
		t.Fatalf("a=3: status %s, errors %+v", r.Status, r.Errors)
	}
	e := r.Errors[0]
	if e.Type != InvalidOutput || e.Key != "res" || e.Item != "derivedX" || e.Value != "3" || e.Table != "res_codes" {
		t.Errorf("a=3: error %+v", e)
	}
	// The value stays, as in the library: the error says it is wrong.
	if r.Output("res") != "3" {
		t.Errorf("a=3: res = %q", r.Output("res"))
	}
	// A blank output not in its table is an error too.
	r = d.Stage(rec("a", ""), 2026)
	if len(r.Errors) != 1 || r.Errors[0].Type != InvalidOutput || !strings.Contains(r.Errors[0].Message, "(blank)") {
		t.Errorf("a blank: errors %+v", r.Errors)
	}
}

func TestStageWithoutASchema(t *testing.T) {
	echo := tbl{"echo", []string{"in:a", "out:res"}, [][]string{{"*", "VALUE:x"}}}
	s := testSchema([]Input{{Key: "a"}}, []Output{{Key: "res", NAACCRXMLID: "derivedX"}}, tpath("echo", []string{"a"}, []string{"res"}))
	d := release(t, []*Schema{s}, append([]tbl{echo}, baseTables...))
	tests := []struct {
		site, hist string
		want       Status
	}{
		{"C504", "8500", Staged},
		{"C619", "8500", NoSchema},
		{"C504", "9700", NoSchema},
		{"", "8500", NeedsInput},
		{"C504", "", NeedsInput},
	}
	for _, tt := range tests {
		r := d.Stage(rec("primarySite", tt.site, "histologicTypeIcdO3", tt.hist), 2026)
		if r.Status != tt.want {
			t.Errorf("%s/%s: status %s, want %s", tt.site, tt.hist, r.Status, tt.want)
		}
		items := r.Items(d)
		if tt.want != Staged && (r.Schema != nil || items["derivedX"] != "" || items["schemaId"] != "") {
			t.Errorf("%s/%s: schema %v, items %v; want none", tt.site, tt.hist, r.Schema, items)
		}
	}
}

func TestLoadZipRejectsBrokenData(t *testing.T) {
	ok := testSchema(nil, nil, tpath("echo", nil, nil))
	echo := tbl{"echo", []string{"in:a", "out:res"}, [][]string{{"*", "VALUE:x"}}}
	tests := []struct {
		name    string
		schemas []*Schema
		tables  []tbl
		want    string
	}{
		{"row of the wrong width", []*Schema{ok}, append([]tbl{{"echo", []string{"in:a", "out:res"}, [][]string{{"*"}}}}, baseTables...), "row 1 has 1 cells"},
		{"unknown endpoint", []*Schema{ok}, append([]tbl{{"echo", []string{"in:a", "out:res"}, [][]string{{"*", "GOTO:x"}}}}, baseTables...), `unknown type "GOTO"`},
		{"jump to nowhere", []*Schema{ok}, append([]tbl{{"echo", []string{"in:a", "out:res"}, [][]string{{"*", "JUMP:nowhere"}}}}, baseTables...), "jump to missing table nowhere"},
		{"jump without a table", []*Schema{ok}, append([]tbl{{"echo", []string{"in:a", "out:res"}, [][]string{{"*", "JUMP:"}}}}, baseTables...), "jump without a table"},
		{"unknown column type", []*Schema{ok}, append([]tbl{{"echo", []string{"bad:a", "out:res"}, [][]string{{"*", "MATCH"}}}}, baseTables...), "unknown type"},
		{"mapping table missing", []*Schema{ok}, baseTables, "mapping m1: table echo is missing"},
		{"input table missing", []*Schema{testSchema([]Input{{Key: "a", Table: "gone"}}, nil)}, append([]tbl{echo}, baseTables...), "input a: table gone is missing"},
		{"no schemas", nil, append([]tbl{echo}, baseTables...), "no schemas or tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadZip(zipOf(t, tt.schemas, tt.tables))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadZip = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := LoadZip([]byte("not a zip")); err == nil {
		t.Error("LoadZip accepted bytes that are not a zip")
	}
}

// selectionRecord returns a record whose selection keys come from one MATCH row of s's selection
// table (each cell's first value; for "*" the record's own) and that selects s, false when no row
// does.
func selectionRecord(d *DataSet, s *Schema, items map[string]string) (map[string]string, bool) {
	ctx := d.Context(2026)
	t := d.Tables[s.SelectionTable]
	for ri := range t.Rows {
		row := &t.Rows[ri]
		m := map[string]string{}
		for k, v := range items {
			m[k] = v
		}
		for _, in := range row.Inputs {
			if in.Cell.Any || len(in.Cell.Ranges) == 0 {
				continue // any value: the record's own
			}
			v := translate(in.Cell.Ranges[0].Low, ctx)
			if in.Key == KeyYearDx && v == "" {
				continue // blank year: the record's own, if any
			}
			m[d.ItemOf(in.Key)] = v
		}
		sel := d.Select(d.SelectionValues(recordOf(m)), ctx)
		if sel.Schema == s {
			return m, true
		}
	}
	return nil, false
}

func recordOf(m map[string]string) Record { return func(id string) string { return m[id] } }

// yieldable is what staging can leave in an output: its default, a literal some table writes to it
// (through output mappings and JUMPs), or the value of a key such a table refers to.
type yieldable struct {
	values map[string]bool
	refs   map[string]bool
}

func yields(d *DataSet, s *Schema) map[string]*yieldable {
	out := map[string]*yieldable{}
	get := func(k string) *yieldable {
		if out[k] == nil {
			out[k] = &yieldable{values: map[string]bool{}, refs: map[string]bool{}}
		}
		return out[k]
	}
	for _, m := range s.Mappings {
		for i := range m.Tables {
			p := &m.Tables[i]
			for _, id := range d.reachable(p.ID) {
				for _, row := range d.Tables[id].Rows {
					for _, e := range row.Endpoints {
						if e.Type != EndpointValue {
							continue
						}
						for _, k := range p.mapped(e.Key) {
							if isReference(e.Value) {
								get(k).refs[e.Value[2:len(e.Value)-2]] = true
							} else {
								get(k).values[e.Value] = true
							}
						}
					}
				}
			}
		}
	}
	return out
}

// couldYield reports whether v is a value the schema's tables can write to key, given the staged
// inputs r.Inputs.
func couldYield(y map[string]*yieldable, key, v string, r *Result, ctx map[string]string, seen map[string]bool) bool {
	yk := y[key]
	if yk == nil || seen[key] {
		return false
	}
	seen[key] = true
	if yk.values[v] {
		return true
	}
	for ref := range yk.refs {
		if in, ok := r.Inputs[ref]; ok && in == v {
			return true
		}
		if c, ok := ctx[ref]; ok && c == v {
			return true
		}
		if couldYield(y, ref, v, r, ctx, seen) {
			return true
		}
		// The default of an output referred to.
		for _, o := range r.Schema.Outputs {
			if o.Key == ref && o.Default != nil && translate(*o.Default, ctx) == v {
				return true
			}
		}
	}
	return false
}

// FuzzStage stages records of random item values, each schema's selection fixed by a row of its
// selection table: staging never panics, selects that schema, and a staged tumor's outputs are
// each the output's default or a value some table of the schema yields.
func FuzzStage(f *testing.F) {
	d := eod(f)
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range d.Schemas {
			if !yield(id) {
				return
			}
		}
	})
	ctx := d.Context(2026)
	for i, id := range []string{"breast", "lung", "lung_v9_2025", "colon_rectum", "prostate", "melanoma_skin", "lymphoma_cll_sll", "brain", "retinoblastoma", "hemeretic"} {
		f.Add(uint16(slices.Index(ids, id)), []byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
		f.Add(uint16(slices.Index(ids, id)), []byte("\x01\x02\x01\x05\x02\x09\x01\x00\x03xyz\x04\x02.5"))
	}
	f.Add(uint16(0), []byte{})
	f.Fuzz(func(t *testing.T, pick uint16, data []byte) {
		s := d.Schemas[ids[int(pick)%len(ids)]]
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}
		items := map[string]string{}
		for _, in := range s.Inputs {
			if in.Key == KeySite || in.Key == KeyHist || slices.Contains(s.Discriminators, in.Key) {
				continue
			}
			items[in.NAACCRXMLID] = fuzzValue(d, in, next)
		}
		m, ok := selectionRecord(d, s, items)
		if !ok {
			// The year drawn leaves the schema (lung before 2025 is not lung_v9_2025): draw none.
			delete(items, "dateOfDiagnosis")
			if m, ok = selectionRecord(d, s, items); !ok {
				t.Fatalf("no row of %s selects it", s.SelectionTable)
			}
		}
		r := d.Stage(recordOf(m), 2026)
		if r.Schema != s {
			t.Fatalf("staged with %v, want %s (record %v)", r.Schema, s.ID, m)
		}
		for _, e := range r.Errors {
			if e.Message == "" || (e.Table == "" && e.Key == "") {
				t.Errorf("error %+v does not say where", e)
			}
		}
		if r.Status != Staged {
			if r.Status != InvalidYear {
				t.Fatalf("status %s for %v", r.Status, m)
			}
			return
		}
		y := yields(d, s)
		for _, o := range s.Outputs {
			v := r.Outputs[o.Key]
			if o.Default != nil && translate(*o.Default, ctx) == v {
				continue
			}
			if !couldYield(y, o.Key, v, r, ctx, map[string]bool{}) {
				t.Errorf("%s: output %s = %q is neither its default nor a value its tables yield (record %v, path %+v)", s.ID, o.Key, v, m, r.Path)
			}
		}
		_ = r.Items(d)
	})
}

// fuzzValue draws a value for input in: blank, an end of a range its table accepts, a value of
// another kind, or bytes of data.
func fuzzValue(d *DataSet, in Input, next func() int) string {
	t := d.Tables[in.Table]
	kind := next() % 5
	if t == nil || len(t.Rows) == 0 {
		kind = 4
	}
	switch kind {
	case 0:
		return ""
	case 1, 2:
		row := &t.Rows[next()%len(t.Rows)]
		for _, ri := range row.Inputs {
			if ri.Key != in.Key || ri.Cell.Any || len(ri.Cell.Ranges) == 0 {
				continue
			}
			r := ri.Cell.Ranges[next()%len(ri.Cell.Ranges)]
			if kind == 1 {
				return r.Low
			}
			return r.High
		}
		return "*"
	case 3:
		return []string{"0", "9", "99", "999", "8888", "X", "1.5", "-1", "C509", "  ", "00", "988"}[next()%12]
	}
	n := next() % 6
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(next())
	}
	return string(b)
}
