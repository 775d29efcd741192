package staging

import (
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/schemas"
)

var (
	loadOnce sync.Once
	loaded   *DataSet
	loadErr  error
)

// eod loads the embedded release once for all tests.
func eod(t testing.TB) *DataSet {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = Load(schemas.FS) })
	if loadErr != nil {
		t.Fatalf("Load: %v", loadErr)
	}
	return loaded
}

func TestLoadReadsEverySchemaAndTableOfTheRelease(t *testing.T) {
	d := eod(t)
	// The counts are those of schemas/*.json and tables/*.json in seer-eod-public-3.3.zip.
	if len(d.Schemas) != 141 || len(d.Tables) != 1059 {
		t.Fatalf("loaded %d schemas and %d tables, want 141 and 1059", len(d.Schemas), len(d.Tables))
	}
	if d.Algorithm != "eod_public" || d.Version != "3.3" {
		t.Errorf("algorithm %s %s, want eod_public 3.3", d.Algorithm, d.Version)
	}
	for id, s := range d.Schemas {
		if s.Version != d.Version || s.Algorithm != d.Algorithm {
			t.Errorf("schema %s is %s %s, the release %s %s", id, s.Algorithm, s.Version, d.Algorithm, d.Version)
		}
		if len(s.Inputs) == 0 || len(s.Outputs) == 0 {
			t.Errorf("schema %s: %d inputs, %d outputs", id, len(s.Inputs), len(s.Outputs))
		}
		for _, in := range s.Inputs {
			if in.NAACCRXMLID == "" {
				t.Errorf("schema %s: input %s has no naaccr_xml_id", id, in.Key)
			}
		}
	}
	for id, tb := range d.Tables {
		if len(tb.Rows) != len(tb.RawRows) {
			t.Errorf("table %s: parsed %d of %d rows", id, len(tb.Rows), len(tb.RawRows))
		}
	}
	breast := d.Schemas["breast"]
	if breast == nil || breast.SelectionTable != "schema_selection_breast" || breast.OnInvalidInput != "CONTINUE" {
		t.Fatalf("breast schema = %+v", breast)
	}
	var schemaID *Output
	for i := range breast.Outputs {
		if breast.Outputs[i].NAACCRXMLID == "schemaId" {
			schemaID = &breast.Outputs[i]
		}
	}
	if schemaID == nil || schemaID.Default == nil || *schemaID.Default != "00480" {
		t.Errorf("breast schemaId output = %+v, want default 00480", schemaID)
	}
}

func TestSelectUsesTheSelectionTables(t *testing.T) {
	d := eod(t)
	ctx := d.Context(2026)
	tests := []struct {
		name      string
		values    map[string]string
		want      string // schema id; "" for none
		wantNeeds string // Needs joined by ","
		invalid   string
	}{
		// schema_selection_breast: "C500-C506, C508-C509" x "8000-8700, 8982-8983" → MATCH.
		{"breast ductal carcinoma", map[string]string{"site": "C504", "hist": "8500"}, "breast", "", ""},
		// C507 is no ICD-O-3 topography code: table primary_site does not hold it.
		{"invalid site", map[string]string{"site": "C507", "hist": "8500"}, "", "", "site"},
		{"site of the wrong length", map[string]string{"site": "C5041", "hist": "8500"}, "", "", "site"},
		{"blank histology", map[string]string{"site": "C504"}, "", "hist", ""},
		// Lung has a 2018-2024 and a 2025+ schema told apart by year_dx; a blank year is the
		// current one ("2025-9998,9999," in schema_selection_lung_v9_2025).
		{"lung 2025", map[string]string{"site": "C341", "hist": "8140", "year_dx": "2025"}, "lung_v9_2025", "", ""},
		{"lung 2020", map[string]string{"site": "C341", "hist": "8140", "year_dx": "2020"}, "lung", "", ""},
		{"lung without a year", map[string]string{"site": "C341", "hist": "8140"}, "lung_v9_2025", "", ""},
		// C160 with an adenocarcinoma is Stomach or Esophagus and EGJ: discriminator_1 decides.
		{"cardia needs discriminator 1", map[string]string{"site": "C160", "hist": "8140", "year_dx": "2020"}, "", "discriminator_1", ""},
		{"cardia discriminator 1 = 2 (EGJ)", map[string]string{"site": "C160", "hist": "8140", "year_dx": "2020", "discriminator_1": "2"}, "esophagus_gejunction", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := d.Select(tt.values, ctx)
			got := ""
			if sel.Schema != nil {
				got = sel.Schema.ID
			}
			if got != tt.want || strings.Join(sel.Needs, ",") != tt.wantNeeds || sel.Invalid != tt.invalid {
				t.Fatalf("Select = schema %q needs %v invalid %q; want %q needs %q invalid %q", got, sel.Needs, sel.Invalid, tt.want, tt.wantNeeds, tt.invalid)
			}
		})
	}
}

func TestLookupFindsTheFirstMatchingRow(t *testing.T) {
	d := eod(t)
	tests := []struct {
		name    string
		table   string
		values  map[string]string
		want    []Endpoint
		wantErr string
	}{
		{"string and numeric ranges", "schema_selection_breast", map[string]string{"site": "C509", "hist": "8982"},
			[]Endpoint{{Key: "result", Type: EndpointMatch}}, ""},
		// Row 1: behavior 2, grade_clin *, grade_path H.
		{"star accepts any value", "combined_grade_breast_8723", map[string]string{"behavior": "2", "grade_clin": "Q", "grade_path": "H"},
			[]Endpoint{{Key: "derived_summary_grade", Type: EndpointValue, Value: "{{grade_path}}"}}, ""},
		// extension_bak: 050 (Paget disease) jumps to the behavior table.
		{"jump", "extension_bak", map[string]string{"eod_primary_tumor": "050"},
			[]Endpoint{{Key: "ss2018_t", Type: EndpointJump, Value: "behavior_with_primary_tumor_for_ss2018_t_69793"}}, ""},
		{"no row", "extension_bak", map[string]string{"eod_primary_tumor": "123"},
			nil, `table extension_bak: no row matches eod_primary_tumor="123"`},
		{"unknown table", "no_such_table", nil, nil, "table no_such_table: not in the data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Lookup(tt.table, tt.values, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Lookup = %v, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Lookup = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("endpoint %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestValidateNamesSchemaInputValueAndTable(t *testing.T) {
	d := eod(t)
	breast := d.Schemas["breast"]
	var size Input
	for _, in := range breast.Inputs {
		if in.Key == "size_clin" {
			size = in
		}
	}
	if size.Table == "" {
		t.Fatal("breast has no size_clin input")
	}
	for _, v := range []string{"000", "002", "150", "988", "999"} {
		if err := d.Validate(breast, size, v, nil); err != nil {
			t.Errorf("Validate(%q): %v", v, err)
		}
	}
	err := d.Validate(breast, size, "ABC", nil)
	if err == nil {
		t.Fatal("Validate(ABC) accepted a non-code")
	}
	for _, want := range []string{"breast", "size_clin", "tumorSizeClinical", `"ABC"`, size.Table} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestRangeContains(t *testing.T) {
	ctx := map[string]string{CtxYearCurrent: "2026"}
	tests := []struct {
		cell, value string
		want        bool
	}{
		{"C500-C509", "C504", true},
		{"C500-C509", "C510", false},
		{"C500-C509", "C50", false},
		{"C500-C509", "C5040", false},
		{"8000-8700", "8500", true},
		{"8000-8700", "8701", false},
		{"002-988", "150", true},
		{"002-988", "001", false},
		{"0.1-99.9", "5.5", true},
		{"0.1-99.9", "abc", false},
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "0", false},
		{"0,1,9,", "", true},
		{"0,1,9,", "9", true},
		{"0,1,9,", "5", false},
		{"NONE,U,NA", "U", true},
		{"2018-{{ctx_year_current}},9999", "2026", true},
		{"2018-{{ctx_year_current}},9999", "2027", false},
		{"2018-{{ctx_year_current}},9999", "9999", true},
		{"2025-9998, 9999, ", "", true},
	}
	for _, tt := range tests {
		c := ParseCell(tt.cell)
		if got := c.Matches(tt.value, ctx); got != tt.want {
			t.Errorf("ParseCell(%q).Matches(%q) = %v, want %v", tt.cell, tt.value, got, tt.want)
		}
	}
}

// FuzzRangeContains checks the matcher never panics and agrees with the rules it states: a value
// always matches a cell made of itself, a same-length string range holds its own ends, and a numeric
// range holds no value outside it.
func FuzzRangeContains(f *testing.F) {
	f.Add("C500", "C509", "C504")
	f.Add("8000", "8700", "8500")
	f.Add("0.1", "99.9", "100")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, low, high, value string) {
		if strings.ContainsAny(value, ",") {
			return
		}
		if v := strings.TrimSpace(value); v != "" && v != "*" && !strings.Contains(v, "-") && !cellOf(v).Matches(v, nil) {
			t.Errorf("cell %q does not match itself", v)
		}
		r := Range{Low: low, High: high}
		got := r.Contains(value, nil)
		if low == high && got != (value == low) {
			t.Errorf("%q-%q Contains(%q) = %v", low, high, value, got)
		}
		if len(low) == len(high) && low < high && !isNum(low) && (r.Contains(low, nil) != true || r.Contains(high, nil) != true) {
			t.Errorf("%q-%q does not hold its ends", low, high)
		}
		if got && low != high && !(isNum(low) && isNum(high)) && len(value) != len(low) {
			t.Errorf("%q-%q holds %q of another length", low, high, value)
		}
	})
}

func isNum(s string) bool {
	_, ok := parseNum(s)
	return ok
}

func cellOf(s string) *Cell {
	c := ParseCell(s)
	return &c
}

func TestLoadTakesTheOneZipOfTheFolder(t *testing.T) {
	zip, err := fs.ReadFile(schemas.FS, "staging/seer-eod-public-3.3.zip")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		files   []string
		wantErr string
	}{
		{"one release under another name", []string{"staging/eod-next.zip"}, ""},
		{"no release", nil, "holds 0"},
		{"two releases", []string{"staging/a.zip", "staging/b.zip"}, "holds 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"staging/README.md": {Data: []byte("x")}}
			for _, f := range tt.files {
				fsys[f] = &fstest.MapFile{Data: zip}
			}
			d, err := Load(fsys)
			if tt.wantErr == "" {
				if err != nil || d.Version != "3.3" || d.File != "eod-next.zip" {
					t.Fatalf("Load = %v, %v", d, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
