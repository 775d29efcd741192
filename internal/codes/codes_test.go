package codes_test

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/codes"
)

var (
	tables     *codes.Tables
	tablesErr  error
	tablesOnce sync.Once
)

func loadTables(t *testing.T) *codes.Tables {
	t.Helper()
	tablesOnce.Do(func() { tables, tablesErr = codes.Load(os.DirFS("../../schemas")) })
	if tablesErr != nil {
		t.Fatal(tablesErr)
	}
	return tables
}

func TestLateralityListHasItsCodesInFileOrder(t *testing.T) {
	l, ok := loadTables(t).ForItem("laterality")
	if !ok {
		t.Fatal("laterality has no code list")
	}
	want := []struct {
		code, label string
		missing     bool
	}{
		{"0", "not paired site", false},
		{"1", "right", false},
		{"2", "left", false},
		{"3", "one side, NOS", false},
		{"4", "bilateral", false},
		{"5", "midline", false},
		{"9", "unknown", true},
	}
	if l.Name != "laterality" || len(l.Codes) != len(want) {
		t.Fatalf("list %q with %d codes %+v, want laterality with %d", l.Name, len(l.Codes), l.Codes, len(want))
	}
	for i, w := range want {
		c := l.Codes[i]
		if c.Code != w.code || c.Label != w.label || c.MeansMissing != w.missing || c.Description == "" {
			t.Errorf("code %d = %+v, want %s %q missing=%v with a description", i, c, w.code, w.label, w.missing)
		}
		if got := l.Label(w.code); got != w.label {
			t.Errorf("Label(%q) = %q, want %q", w.code, got, w.label)
		}
	}
	for _, absent := range []string{"6", "7", "8", "", "00"} {
		if l.Contains(absent) {
			t.Errorf("Contains(%q) = true", absent)
		}
		if _, ok := l.Lookup(absent); ok {
			t.Errorf("Lookup(%q) found a code", absent)
		}
		if got := l.Label(absent); got != "" {
			t.Errorf("Label(%q) = %q, want empty", absent, got)
		}
	}
}

func TestForItemFindsTheListOfEachItem(t *testing.T) {
	tests := []struct {
		item     string
		list     string
		contains map[string]string // code → label ("" to check membership only)
		absent   []string
	}{
		{item: "race1", list: "race", contains: map[string]string{"01": "white", "99": "unknown"}, absent: []string{"1", "00"}},
		{item: "primarySite", list: codes.SchemeTopography, contains: map[string]string{"C509": "Breast, NOS", "C500": "Nipple & areola"}, absent: []string{"C999", "c509", "C50.9"}},
		{item: "histologicTypeIcdO3", list: codes.SchemeHistology, contains: map[string]string{"8500": "Infiltrating duct carcinoma, NOS", "8000": "Neoplasm, malignant"}, absent: []string{"85003", "0000"}},
		{item: "vitalStatus", list: "vitalStatus", contains: map[string]string{"0": "dead", "1": "alive"}, absent: []string{"2", "9"}},
		{item: "addrAtDxState", list: "state", contains: map[string]string{"NY": "New York", "XX": "other"}, absent: []string{"ny", "QQ"}},
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			l, ok := loadTables(t).ForItem(tt.item)
			if !ok {
				t.Fatalf("ForItem(%q) found no list", tt.item)
			}
			if l.Name != tt.list {
				t.Errorf("list %q, want %q", l.Name, tt.list)
			}
			same, ok := loadTables(t).List(tt.list)
			if !ok || same != l {
				t.Errorf("List(%q) is not the list ForItem returned", tt.list)
			}
			for code, label := range tt.contains {
				if !l.Contains(code) {
					t.Errorf("%s lacks %q", l.Name, code)
				} else if got := l.Label(code); got != label {
					t.Errorf("Label(%q) = %q, want %q", code, got, label)
				}
			}
			for _, code := range tt.absent {
				if l.Contains(code) {
					t.Errorf("%s contains %q", l.Name, code)
				}
			}
		})
	}
}

func TestHistologyListUsesTheMalignantTermAndKeepsEveryBehavior(t *testing.T) {
	tb := loadTables(t)
	l, _ := tb.List(codes.SchemeHistology)
	c, ok := l.Lookup("8500")
	if !ok || c.Label != "Infiltrating duct carcinoma, NOS" || c.Description != "Ductal and lobular neoplasms" {
		t.Fatalf("8500 = %+v, %v; want the malignant term and its category", c, ok)
	}
	behaviors := map[string]bool{}
	for _, m := range tb.Morphology {
		if m.Histology == "8500" {
			behaviors[m.Behavior] = true
		}
	}
	if !behaviors["2"] || !behaviors["3"] {
		t.Errorf("Morphology has behaviors %v for 8500, want 2 and 3", behaviors)
	}
	for i := 1; i < len(l.Codes); i++ {
		if l.Codes[i-1].Code >= l.Codes[i].Code {
			t.Fatalf("histology codes not in ascending order at %d: %s, %s", i, l.Codes[i-1].Code, l.Codes[i].Code)
		}
	}
}

func TestLoadReadsEveryShippedList(t *testing.T) {
	files, err := fs.Glob(os.DirFS("../../schemas"), "codes/items/*.csv")
	if err != nil || len(files) == 0 {
		t.Fatalf("list files: %v, %v", files, err)
	}
	tb := loadTables(t)
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".csv")
		if l, ok := tb.List(name); !ok || len(l.Codes) == 0 {
			t.Errorf("list %s from %s not loaded or empty", name, f)
		}
	}
	// recordType holds a quote escaped R-style as \"; pediatricStage opens with a "#" comment line.
	rt, _ := tb.List("recordType")
	if m, ok := rt.Lookup("M"); !ok || !strings.Contains(m.Description, `identical in format to the "A" record type`) {
		t.Errorf("recordType M = %+v, %v; want its description with the quotes unescaped", m, ok)
	}
	ps, _ := tb.List("pediatricStage")
	if ps.Codes[0].Code != "1A" || ps.Codes[0].Label != "IA" {
		t.Errorf("pediatricStage first code = %+v, want 1A (the comment line skipped)", ps.Codes[0])
	}
}

func TestForItemFindsNoListForFreeTextItems(t *testing.T) {
	for _, item := range []string{"nameLast", "medicalRecordNumber", "noSuchItem"} {
		if l, ok := loadTables(t).ForItem(item); ok {
			t.Errorf("ForItem(%q) = list %q, want none", item, l.Name)
		}
	}
}

// minimalFS is a schemas tree with two small lists (one with a comment line and an R-style
// escaped quote) and every other file Load needs.
func minimalFS() fstest.MapFS {
	return fstest.MapFS{
		"codes/items/yesNo.csv":                       {Data: []byte("code,label,means_missing,description\n0,no,FALSE,No\n1,yes,FALSE,Yes\n9,unknown,TRUE,Unknown\n")},
		"codes/icdo3-topography.csv":                  {Data: []byte("code,description\nC509,\"Breast, NOS\"\n")},
		"codes/icdo3-morphology.csv":                  {Data: []byte("code,behavior,description,category\n8500,3,\"Infiltrating duct carcinoma, NOS\",Ductal\n")},
		"codes/icdo3-morphology-seer-extra.csv":       {Data: []byte("code,behavior,description,category\n")},
		"codes/field_code_scheme.csv":                 {Data: []byte("\ufeffname,scheme\nsomeItem,yesNo\ncommented,commented\n")},
		"codes/items/commented.csv":                   {Data: []byte("# source: a manual\n" + `"code","label","means_missing","description"` + "\n" + `"A","ay",FALSE,"the \"quoted\" one"` + "\n" + `"B","bee",FALSE,"B"` + "\n")},
		"codes/items/ignored-not-a-list.txt":          {Data: []byte("not read")},
		"codes/COPYRIGHTS-item-codes.txt":             {Data: []byte("not read")},
		"dictionaries/naaccr-dictionary-260.xml":      {Data: []byte("not read")},
		"codes/site-histology-frequencies-female.csv": {Data: []byte("percent,site,histology,behavior,cs_schema,tnm_schema,eod_schema\n")},
		"codes/site-histology-frequencies-male.csv":   {Data: []byte("percent,site,histology,behavior,cs_schema,tnm_schema,eod_schema\n")},
		"codes/lookup-synonyms.csv":                   {Data: []byte(synonymsHead)},
		"codes/lookup-stopwords.csv":                  {Data: []byte(stopWordsHead)},
	}
}

func TestLoadReadsAMinimalTree(t *testing.T) {
	tb, err := codes.Load(minimalFS())
	if err != nil {
		t.Fatal(err)
	}
	l, ok := tb.ForItem("someItem")
	if !ok || len(l.Codes) != 3 || !l.Codes[2].MeansMissing || l.Codes[0].MeansMissing {
		t.Fatalf("someItem list = %+v, %v", l, ok)
	}
	c, ok := tb.ForItem("commented")
	if !ok || len(c.Codes) != 2 || c.Codes[0].Code != "A" || !strings.Contains(c.Codes[0].Description, `"quoted"`) || c.Codes[1].Label != "bee" {
		t.Fatalf("commented list = %+v, %v; want the comment skipped and both records read", c, ok)
	}
}

func TestLoadRejectsBrokenFiles(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		data    string // "" removes the file
		wantErr []string
	}{
		{
			name: "item list with a wrong header", file: "codes/items/yesNo.csv",
			data:    "value,label,means_missing,description\n0,no,FALSE,No\n",
			wantErr: []string{"codes/items/yesNo.csv", `column 1 is "value", want "code"`},
		},
		{
			name: "item list with too few columns", file: "codes/items/yesNo.csv",
			data:    "code,label\n0,no\n",
			wantErr: []string{"codes/items/yesNo.csv"},
		},
		{
			name: "item list with a short record", file: "codes/items/yesNo.csv",
			data:    "code,label,means_missing,description\n0,no\n",
			wantErr: []string{"codes/items/yesNo.csv"},
		},
		{
			name: "scheme map with a wrong header", file: "codes/field_code_scheme.csv",
			data:    "item,scheme\nsomeItem,yesNo\n",
			wantErr: []string{"codes/field_code_scheme.csv", `want "name"`},
		},
		{
			name: "topography with a wrong header", file: "codes/icdo3-topography.csv",
			data:    "code,label\nC509,Breast\n",
			wantErr: []string{"codes/icdo3-topography.csv", `want "description"`},
		},
		{
			name: "morphology missing", file: "codes/icdo3-morphology.csv",
			wantErr: []string{"icdo3-morphology.csv"},
		},
		{
			name: "empty scheme map", file: "codes/field_code_scheme.csv",
			data:    "\n",
			wantErr: []string{"codes/field_code_scheme.csv", "header"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := minimalFS()
			if tt.data == "" {
				delete(fsys, tt.file)
			} else {
				fsys[tt.file] = &fstest.MapFile{Data: []byte(tt.data)}
			}
			_, err := codes.Load(fsys)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
