package codes_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/codes"
)

// loadLookups returns the shipped tables.
func loadLookups(t testing.TB) *codes.Tables {
	t.Helper()
	tablesOnce.Do(func() { tables, tablesErr = codes.Load(os.DirFS("../../schemas")) })
	if tablesErr != nil {
		t.Fatal(tablesErr)
	}
	return tables
}

// searchFS is a schemas tree whose topography list is small enough to state every ranking.
func searchFS() fstest.MapFS {
	topo := "code,description\n" +
		"C500,Nipple & areola\n" +
		"C502,Upper-inner quadrant of breast\n" +
		"C504,Upper-outer quadrant of breast\n" +
		"C509,\"Breast, NOS\"\n" +
		"C340,Main bronchus\n" +
		"C349,\"Lung, NOS\"\n" +
		"C449,\"Skin, NOS (excludes skin of breast)\"\n" +
		"C5,A made-up one-character code\n" +
		"C772,Lymphoid\n" +
		"C778,Lymph nodes\n" +
		"C779,\"Lymph node, NOS\"\n"
	return fstest.MapFS{
		"codes/icdo3-topography.csv":                  {Data: []byte(topo)},
		"codes/icdo3-morphology.csv":                  {Data: []byte("code,behavior,description,category\n8500,2,\"Intraductal carcinoma, noninfiltrating, NOS\",Ductal\n8500,3,\"Infiltrating duct carcinoma, NOS\",Ductal\n")},
		"codes/icdo3-morphology-seer-extra.csv":       {Data: []byte("code,behavior,description,category\n")},
		"codes/field_code_scheme.csv":                 {Data: []byte("name,scheme\n")},
		"codes/site-histology-frequencies-female.csv": {Data: []byte(freqHead + "1.0,C509,8500,3,1,1,1\n")},
		"codes/site-histology-frequencies-male.csv":   {Data: []byte(freqHead)},
		"codes/lookup-synonyms.csv":                   {Data: []byte(synonymsHead + "icdo3_topography,C504,,,UOQ,SEER Coding Manual\n")},
		"codes/lookup-stopwords.csv":                  {Data: []byte(stopWordsHead + "*,nos,yes,filler\n*,left,yes,laterality\n*,of,no,filler\n")},
	}
}

const (
	freqHead      = "percent,site,histology,behavior,cs_schema,tnm_schema,eod_schema\n"
	synonymsHead  = "list,code,behavior,sites,term,source\n"
	stopWordsHead = "list,word,ranks,reason\n"
)

func codesOf(ms []codes.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Code.Code
	}
	return out
}

func TestSearchRanksExactCodeThenPrefixThenWordsThenSubstrings(t *testing.T) {
	tb, err := codes.Load(searchFS())
	if err != nil {
		t.Fatal(err)
	}
	topo, _ := tb.List(codes.SchemeTopography)
	tests := []struct {
		name  string
		query string
		limit int
		want  []string
	}{
		{"code prefix in list order", "C50", 0, []string{"C500", "C502", "C504", "C509"}},
		{"lower-case code prefix", "c34", 0, []string{"C340", "C349"}},
		{"exact code before the longer codes it prefixes", "C5", 0, []string{"C5", "C500", "C502", "C504", "C509"}},
		{"dot ignored", "C50.9", 0, []string{"C509"}},
		{"dot ignored, lower case", "c50.", 0, []string{"C500", "C502", "C504", "C509"}},
		{"surrounding blanks ignored", "  C509 ", 0, []string{"C509"}},
		{"word at the start of the label first, then shorter labels", "breast", 0, []string{"C509", "C502", "C504", "C449"}},
		{"every word must start a label word", "breast upper", 0, []string{"C502", "C504"}},
		{"word prefixes in any order", "upp bre out", 0, []string{"C504"}},
		{"case-insensitive words", "LUNG", 0, []string{"C349"}},
		{"punctuation in the query ignored", "lung,", 0, []string{"C349"}},
		{"substring when no word starts with the query", "reast", 0, []string{"C509", "C502", "C504", "C449"}},
		{"words found earlier first, the more frequent code of a tie first", "nos", 0, []string{"C509", "C349", "C449", "C779"}},
		{"whole words before prefixes, then NOS terms, then shorter labels", "lymph", 0, []string{"C779", "C778", "C772"}},
		{"limit keeps the best", "breast", 2, []string{"C509", "C502"}},
		{"limit larger than the matches", "C34", 10, []string{"C340", "C349"}},
		{"no match", "xyz", 0, nil},
		{"one word of two missing", "breast lung", 0, nil},
		{"empty query", "", 0, nil},
		{"blank query", "   ", 5, nil},
		{"only punctuation", "./", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codesOf(topo.Search(tt.query, tt.limit))
			if len(got) == 0 {
				got = nil
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q, %d) = %v, want %v", tt.query, tt.limit, got, tt.want)
			}
		})
	}
}

func TestSearchScoresDecreaseAndTiesKeepListOrder(t *testing.T) {
	tb, err := codes.Load(searchFS())
	if err != nil {
		t.Fatal(err)
	}
	topo, _ := tb.List(codes.SchemeTopography)
	ms := topo.Search("breast", 0)
	for i := 1; i < len(ms); i++ {
		if ms[i].Score > ms[i-1].Score {
			t.Errorf("score %d of %s above %d of %s", ms[i].Score, ms[i].Code.Code, ms[i-1].Score, ms[i-1].Code.Code)
		}
	}
	// Upper-inner and Upper-outer tie (same position, same length): list order decides.
	if ms[1].Score != ms[2].Score || ms[1].Code.Code != "C502" {
		t.Errorf("tie = %+v, %+v; want equal scores with C502 first", ms[1], ms[2])
	}
	if got := codesOf(topo.Search("breast", 0)); !slices.Equal(got, codesOf(ms)) {
		t.Errorf("second search = %v, want the same order %v", got, codesOf(ms))
	}
}

func TestSearchBreaksTiesOfWordMatchesByFrequency(t *testing.T) {
	fsys := searchFS()
	fsys["codes/site-histology-frequencies-male.csv"] = &fstest.MapFile{Data: []byte(freqHead +
		"0.5,C504,8500,3,1,1,1\n0.2,C500,8500,3,1,1,1\n0.1,C502,8500,3,1,1,1\n")}
	tb, err := codes.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	topo, _ := tb.List(codes.SchemeTopography)
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"breast upper", []string{"C504", "C502"}},           // tie: Upper-outer is diagnosed more often
		{"C50", []string{"C500", "C502", "C504", "C509"}},    // code prefix: list order, whatever the frequency
		{"breast", []string{"C509", "C504", "C502", "C449"}}, // NOS first (score), then the tie by frequency
	} {
		if got := codesOf(topo.Search(tt.query, 0)); !slices.Equal(got, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestSearchFindsShippedCodes(t *testing.T) {
	tb := loadLookups(t)
	topo, _ := tb.List(codes.SchemeTopography)
	hist, _ := tb.List(codes.SchemeHistology)
	state, _ := tb.List("state")
	tests := []struct {
		name  string
		list  *codes.List
		query string
		limit int
		first []string // the results start with these
		all   func(codes.Code) bool
	}{
		{name: "C50 gives the nine breast sites", list: topo, query: "C50", first: []string{"C500", "C501", "C502", "C503", "C504", "C505", "C506", "C508", "C509"},
			all: func(c codes.Code) bool { return strings.HasPrefix(c.Code, "C50") }},
		{name: "C50.9 with a dot", list: topo, query: "C50.9", first: []string{"C509"}},
		// Upper breast, NOS is C508 (SEER Coding Manual), diagnosed more often than Upper-inner.
		{name: "breast upper: the more frequent quadrant first", list: topo, query: "breast upper", first: []string{"C504", "C508", "C502"}},
		{name: "breast upp", list: topo, query: "breast upp", first: []string{"C504", "C508", "C502"}},
		{name: "lung", list: topo, query: "lung", first: []string{"C349"}},
		{name: "850 by code prefix", list: hist, query: "850", limit: 5, first: []string{"8500", "8501", "8502", "8503", "8504"}},
		{name: "histology with behavior", list: hist, query: "8500/3", first: []string{"8500"}},
		{name: "infiltrating duct", list: hist, query: "infiltrating duct", first: []string{"8500"}},
		{name: "another behavior's term", list: hist, query: "intraductal noninfiltrating", first: []string{"8500"}},
		{name: "adenocarcinoma NOS", list: hist, query: "adenocarcinoma nos", first: []string{"8140"}},
		{name: "state by name", list: state, query: "new y", first: []string{"NY"}},
		{name: "state by code", list: state, query: "ny", first: []string{"NY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := tt.list.Search(tt.query, tt.limit)
			got := codesOf(ms)
			if len(got) < len(tt.first) || !slices.Equal(got[:len(tt.first)], tt.first) {
				t.Fatalf("Search(%q) = %v, want it to start with %v", tt.query, got, tt.first)
			}
			if tt.limit > 0 && len(got) > tt.limit {
				t.Errorf("%d results over the limit %d", len(got), tt.limit)
			}
			if tt.all != nil {
				for _, m := range ms {
					if !tt.all(m.Code) {
						t.Errorf("unexpected result %+v", m.Code)
					}
				}
			}
		})
	}
}

func TestHistologyForBehaviorListsThePairsOfTheMorphologyTable(t *testing.T) {
	tb := loadLookups(t)
	tests := []struct {
		behavior string
		has      map[string]string // histology → label for this behavior
		hasNot   []string
	}{
		{"2", map[string]string{"8500": "Intraductal carcinoma, noninfiltrating, NOS", "8140": "Adenocarcinoma in situ, NOS"}, []string{"8000", "9861"}},
		{"3", map[string]string{"8500": "Infiltrating duct carcinoma, NOS", "8000": "Neoplasm, malignant", "9861": "Acute myeloid leukemia, NOS"}, nil},
		{"0", map[string]string{"8140": "Adenoma, NOS", "8000": "Neoplasm, benign"}, []string{"8500", "9861"}},
		{"1", map[string]string{"8140": "Atypical adenoma"}, []string{"8500"}},
		{"7", nil, []string{"8000", "8500"}},
	}
	for _, tt := range tests {
		t.Run(tt.behavior, func(t *testing.T) {
			l := tb.HistologyForBehavior(tt.behavior)
			if l == nil {
				t.Fatal("nil list")
			}
			for code, label := range tt.has {
				if got := l.Label(code); got != label {
					t.Errorf("%s label = %q, want %q", code, got, label)
				}
			}
			for _, code := range tt.hasNot {
				if l.Contains(code) {
					t.Errorf("list for behavior %s contains %s", tt.behavior, code)
				}
			}
			for i := 1; i < len(l.Codes); i++ {
				if l.Codes[i-1].Code >= l.Codes[i].Code {
					t.Fatalf("codes not ascending and unique at %d: %s, %s", i, l.Codes[i-1].Code, l.Codes[i].Code)
				}
			}
			if len(l.Codes) > 0 && tb.HistologyForBehavior(tt.behavior) != l {
				t.Error("a second call built a new list")
			}
		})
	}
	all, _ := tb.List(codes.SchemeHistology)
	if tb.HistologyForBehavior("") != all {
		t.Error("blank behavior does not give the whole histology list")
	}
	insitu := tb.HistologyForBehavior("2")
	if got := codesOf(insitu.Search("intraductal", 1)); !slices.Equal(got, []string{"8500"}) {
		t.Errorf("in situ search for intraductal = %v, want 8500", got)
	}
	if got := insitu.Search("8000", 0); len(got) != 0 {
		t.Errorf("in situ search for 8000 = %v, want nothing (8000 has no /2)", codesOf(got))
	}
}

func TestCommonHistologyFlagsPairsNotObservedAtTheSite(t *testing.T) {
	tb := loadLookups(t)
	tests := []struct {
		site, histology string
		want            bool
	}{
		{"C509", "8500", true},  // breast, ductal carcinoma
		{"C504", "8520", true},  // breast, lobular carcinoma
		{"C619", "8140", true},  // prostate, adenocarcinoma (male file)
		{"C541", "8380", true},  // endometrium, endometrioid (female file)
		{"C509", "9861", false}, // a leukemia histology at the breast
		{"C619", "8720", false}, // melanoma of the prostate
		{"C341", "8500", false},
		{"C003", "8070", true}, // a site the tables do not cover: cannot judge
		{"", "8500", true},
		{"C509", "", true},
	}
	for _, tt := range tests {
		if got := tb.CommonHistology(tt.site, tt.histology); got != tt.want {
			t.Errorf("CommonHistology(%q, %q) = %v, want %v", tt.site, tt.histology, got, tt.want)
		}
	}
}

func TestLoadRejectsAMissingFrequencyFile(t *testing.T) {
	fsys := searchFS()
	delete(fsys, "codes/site-histology-frequencies-male.csv")
	_, err := codes.Load(fsys)
	if err == nil || !strings.Contains(err.Error(), "site-histology-frequencies-male.csv") {
		t.Fatalf("Load = %v, want an error naming the missing male file", err)
	}
}

var benchQueries = map[string][]string{
	codes.SchemeTopography: {"C50", "c50.9", "breast", "breast upper", "lung nos", "colon", "skin", "reast", "C80", "lymph nodes"},
	codes.SchemeHistology:  {"850", "8500/3", "adenocarcinoma", "infiltrating duct", "squamous cell", "carcin", "leukemia myeloid", "lymphoma", "9", "melanoma nos"},
	"histology at a site":  {"ductal", "IDC", "invasive lobular", "paget", "papillary", "adenocarcinoma", "carcin", "small cell", "lymphoma", "melanoma"},
}

func benchmarkSearch(b *testing.B, list, queries string, ctx codes.Context) {
	l, _ := loadLookups(b).List(list)
	qs := benchQueries[queries]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		l.SearchFor(qs[i%len(qs)], 20, ctx)
	}
}

func BenchmarkSearchTopography(b *testing.B) {
	benchmarkSearch(b, codes.SchemeTopography, codes.SchemeTopography, codes.Context{})
}
func BenchmarkSearchHistology(b *testing.B) {
	benchmarkSearch(b, codes.SchemeHistology, codes.SchemeHistology, codes.Context{})
}
func BenchmarkSearchHistologyAtASite(b *testing.B) {
	benchmarkSearch(b, codes.SchemeHistology, "histology at a site", codes.Context{Site: "C504", Sex: "2"})
}
