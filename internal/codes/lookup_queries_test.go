package codes_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/codes"
)

// everydayQueries are what registrars type, from pathology reports, with the code each must put
// first; site (and sex) is the case's context where it matters.
var everydayQueries = []struct {
	list  string // "site", "histology", or "histology/<behavior>" for the look-up of one behavior
	query string
	site  string
	sex   string
	want  string
}{
	// Breast.
	{"histology", "invasive ductal", "", "", "8500"},
	{"histology", "invasive ductal carcinoma", "C504", "2", "8500"},
	{"histology", "IDC", "", "", "8500"},
	{"histology", "idc", "C509", "", "8500"},
	{"histology", "ductal", "C504", "2", "8500"},
	{"histology", "ductal", "", "", "8500"},
	{"histology", "infiltrating duct", "", "", "8500"},
	{"histology", "carcinoma of no special type", "C509", "", "8500"},
	{"histology", "ILC", "", "", "8520"},
	{"histology", "invasive lobular carcinoma", "C504", "2", "8520"},
	{"histology", "lobular", "C504", "", "8520"},
	{"histology", "mixed ductal and lobular", "C504", "", "8522"},
	{"histology/2", "DCIS", "C504", "", "8500"},
	{"histology", "DCIS", "", "", "8500"},
	{"histology/2", "LCIS", "", "", "8520"},
	{"histology", "mucinous", "C504", "", "8480"},
	{"histology", "paget disease of nipple", "C500", "", "8540"},
	// Lung.
	{"histology", "adenocarcinoma", "C341", "", "8140"},
	{"histology", "squamous", "C341", "1", "8070"},
	{"histology", "SCC", "", "", "8070"},
	{"histology", "squamous cell carcinoma", "", "", "8070"},
	{"histology", "small cell", "C341", "", "8041"},
	{"histology", "SCLC", "", "", "8041"},
	{"histology", "NSCLC", "", "", "8046"},
	{"histology", "non-small cell", "C343", "", "8046"},
	{"histology", "large cell", "C341", "", "8012"},
	{"histology", "carcinoid", "C341", "", "8240"},
	// Colon, stomach, pancreas, liver, GIST.
	{"histology", "adenocarcinoma", "C187", "", "8140"},
	{"histology", "poorly differentiated adenocarcinoma", "C187", "", "8140"},
	{"histology", "adenocarcinoma in a polyp", "C187", "", "8210"},
	{"histology", "mucinous", "C187", "", "8480"},
	{"histology", "signet ring", "C169", "", "8490"},
	{"histology", "PDAC", "", "", "8500"},
	{"histology", "acinar", "C250", "", "8550"},
	{"histology", "HCC", "", "", "8170"},
	{"histology", "hepatocellular", "C220", "", "8170"},
	{"histology", "GIST", "", "", "8936"},
	// Prostate.
	{"histology", "adenocarcinoma", "C619", "1", "8140"},
	{"histology", "acinar", "C619", "1", "8140"},
	{"histology", "adeno", "C619", "", "8140"},
	// Skin.
	{"histology", "melanoma", "C449", "", "8720"},
	{"histology", "melanoma", "", "", "8720"},
	{"histology", "superficial spreading", "C445", "", "8743"},
	{"histology", "BCC", "", "", "8090"},
	{"histology", "MCC", "", "", "8247"},
	// Lymphoma.
	{"histology", "DLBCL", "", "", "9680"},
	{"histology", "diffuse large b cell", "C779", "", "9680"},
	{"histology", "FL", "", "", "9690"},
	{"histology", "follicular lymphoma", "", "", "9690"},
	{"histology", "HL", "", "", "9650"},
	{"histology", "hodgkin lymphoma", "", "", "9650"},
	{"histology", "nodular sclerosis", "C779", "", "9663"},
	{"histology", "MCL", "", "", "9673"},
	{"histology", "MZL", "", "", "9699"},
	{"histology", "MALT", "C169", "", "9699"},
	{"histology", "lymphoma", "", "", "9590"},
	{"histology", "NHL", "", "", "9591"},
	{"histology", "myeloma", "C421", "", "9732"},
	// Leukemia.
	{"histology", "CLL", "", "", "9823"},
	{"histology", "SLL", "", "", "9823"},
	{"histology", "CML", "", "", "9863"},
	{"histology", "AML", "", "", "9861"},
	{"histology", "APL", "", "", "9866"},
	{"histology", "ALL", "", "", "9835"},
	{"histology", "B-ALL", "", "", "9811"},
	{"histology", "CMML", "", "", "9945"},
	{"histology", "MDS", "", "", "9989"},
	{"histology", "leukemia", "C421", "", "9800"},
	// Brain.
	{"histology", "GBM", "", "", "9440"},
	{"histology", "glioblastoma", "C719", "", "9440"},
	{"histology", "glioblastoma multiforme", "", "", "9440"},
	{"histology", "astrocytoma", "C711", "", "9400"},
	{"histology", "meningioma", "", "", "9530"},
	// Thyroid.
	{"histology", "PTC", "", "", "8260"},
	{"histology", "papillary", "C739", "2", "8260"},
	{"histology", "papillary thyroid carcinoma", "", "", "8260"},
	{"histology", "FVPTC", "", "", "8340"},
	{"histology", "follicular", "C739", "", "8330"},
	{"histology", "FTC", "", "", "8330"},
	{"histology", "medullary thyroid carcinoma", "", "", "8345"},
	// Bladder and kidney.
	{"histology", "urothelial", "C679", "", "8120"},
	{"histology", "TCC", "", "", "8120"},
	{"histology", "papillary urothelial", "C679", "1", "8130"},
	{"histology/2", "CIS", "C679", "", "8120"},
	{"histology/2", "CIS", "", "", "8010"},
	{"histology", "RCC", "", "", "8312"},
	{"histology", "clear cell", "C649", "", "8310"},
	{"histology", "ccRCC", "", "", "8310"},
	// Sarcoma and the generic terms.
	{"histology", "sarcoma", "", "", "8800"},
	{"histology", "LMS", "", "", "8890"},
	{"histology", "carcinoma", "", "", "8010"},
	{"histology", "carcinoma nos", "", "", "8010"},
	{"histology", "malignant neoplasm", "", "", "8000"},
	// Sites.
	{"site", "left breast upper", "", "2", "C504"},
	{"site", "breast upper outer quadrant", "", "", "C504"},
	{"site", "UOQ", "", "", "C504"},
	{"site", "UIQ", "", "", "C502"},
	{"site", "12 o'clock", "", "", "C508"},
	{"site", "subareolar", "", "", "C501"},
	{"site", "breast", "", "", "C509"},
	{"site", "right breast cancer", "", "", "C509"},
	{"site", "RUL", "", "", "C341"},
	{"site", "LUL", "", "", "C341"},
	{"site", "RLL", "", "", "C343"},
	{"site", "LLL", "", "", "C343"},
	{"site", "RML", "", "", "C342"},
	{"site", "left lower lobe", "", "", "C343"},
	{"site", "lung", "", "", "C349"},
	{"site", "lung nos", "", "", "C349"},
	{"site", "sigmoid", "", "", "C187"},
	{"site", "cecum", "", "", "C180"},
	{"site", "right colon", "", "", "C182"},
	{"site", "left colon", "", "", "C186"},
	{"site", "rectum", "", "", "C209"},
	{"site", "GE junction", "", "", "C160"},
	{"site", "prostate", "", "1", "C619"},
	{"site", "bladder", "", "", "C679"},
	{"site", "thyroid", "", "", "C739"},
	{"site", "bone marrow", "", "", "C421"},
	{"site", "lymph node", "", "", "C779"},
	{"site", "skin of back", "", "", "C445"},
	{"site", "CUP", "", "", "C809"},
}

func TestLookupPutsTheEverydayCodeFirst(t *testing.T) {
	tb := loadLookups(t)
	for _, q := range everydayQueries {
		name := q.list + "/" + q.query
		if q.site != "" {
			name += "@" + q.site
		}
		t.Run(name, func(t *testing.T) {
			var l *codes.List
			switch {
			case q.list == "site":
				l, _ = tb.List(codes.SchemeTopography)
			case q.list == "histology":
				l, _ = tb.List(codes.SchemeHistology)
			default:
				l = tb.HistologyForBehavior(q.list[len("histology/"):])
			}
			got := codesOf(l.SearchFor(q.query, 15, codes.Context{Site: q.site, Sex: q.sex}))
			if len(got) == 0 || got[0] != q.want {
				t.Errorf("%q (site %q, sex %q) offers %v, want %s first", q.query, q.site, q.sex, got, q.want)
			}
		})
	}
	if len(everydayQueries) < 40 {
		t.Errorf("%d everyday queries, want at least 40", len(everydayQueries))
	}
}

func TestLookupRanksHistologyByTheCasesSite(t *testing.T) {
	tb := loadLookups(t)
	hist, _ := tb.List(codes.SchemeHistology)
	at := func(ms []codes.Match, code string) (int, codes.Match) {
		for i, m := range ms {
			if m.Code.Code == code {
				return i, m
			}
		}
		t.Fatalf("%s not offered: %v", code, codesOf(ms))
		return -1, codes.Match{}
	}
	// Paget disease: for a breast primary the mammary codes come first and the extramammary one
	// (8542) after them, marked as never seen at the site.
	for _, site := range []string{"C500", "C504", "C509"} {
		ms := hist.SearchFor("paget", 15, codes.Context{Site: site, Sex: "2"})
		i8542, m8542 := at(ms, "8542")
		for _, c := range []string{"8541", "8543"} {
			if i, _ := at(ms, c); i > i8542 {
				t.Errorf("paget at %s: %s after 8542: %v", site, c, codesOf(ms))
			}
		}
		if !m8542.Unusual {
			t.Errorf("paget at %s: extramammary Paget (8542) not marked unusual", site)
		}
	}
	// Without a site nothing is marked.
	for _, m := range hist.SearchFor("paget", 15, codes.Context{}) {
		if m.Unusual {
			t.Errorf("paget without a site: %s marked unusual", m.Code.Code)
		}
	}
	// The same words, another site: "acinar" is prostatic adenocarcinoma (8140) for a prostate,
	// acinar cell carcinoma (8550) for a pancreas.
	if got := codesOf(hist.SearchFor("acinar", 3, codes.Context{Site: "C619"})); got[0] != "8140" {
		t.Errorf("acinar at C619 = %v, want 8140 first", got)
	}
	if got := codesOf(hist.SearchFor("acinar", 3, codes.Context{Site: "C250"})); got[0] != "8550" {
		t.Errorf("acinar at C250 = %v, want 8550 first", got)
	}
	// A site group ranks as well as a site; a site that names nothing is ignored.
	if got := codesOf(hist.SearchFor("ductal", 1, codes.Context{Site: "C50"})); !slices.Equal(got, []string{"8500"}) {
		t.Errorf("ductal at C50 = %v, want 8500", got)
	}
	if a, b := codesOf(hist.SearchFor("papillary", 5, codes.Context{Site: "x;drop"})), codesOf(hist.SearchFor("papillary", 5, codes.Context{})); !slices.Equal(a, b) {
		t.Errorf("a malformed site changed the ranking: %v, want %v", a, b)
	}
	// The match says which synonym found the code.
	if ms := hist.SearchFor("IDC", 1, codes.Context{}); len(ms) != 1 || ms[0].Term != "IDC" {
		t.Errorf("IDC = %+v, want 8500 found by its abbreviation", ms)
	}
	if ms := hist.SearchFor("infiltrating duct", 1, codes.Context{}); len(ms) != 1 || ms[0].Term != "" {
		t.Errorf("infiltrating duct = %+v, want the label's own match, no term", ms)
	}
}

func TestLookupStopWordsAreNotRequired(t *testing.T) {
	tb := loadLookups(t)
	topo, _ := tb.List(codes.SchemeTopography)
	hist, _ := tb.List(codes.SchemeHistology)
	tests := []struct {
		list        *codes.List
		query, same string // query finds what same finds, in the same order
	}{
		{topo, "left breast upper", "breast upper"},
		{topo, "bilateral breast", "breast"},
		{hist, "invasive lobular", "lobular"},
		{hist, "infiltrating lobular", "lobular"},
		{hist, "moderately differentiated adenocarcinoma", "adenocarcinoma"},
		{hist, "carcinoma of the", "carcinoma"},
	}
	for _, tt := range tests {
		got, want := codesOf(tt.list.Search(tt.query, 10)), codesOf(tt.list.Search(tt.same, 10))
		if len(got) == 0 || !slices.Equal(got, want) {
			t.Errorf("%q = %v, want what %q finds: %v", tt.query, got, tt.same, want)
		}
	}
	// NOS is never required, but a term that has it ranks first, and on its own it is searched.
	if got := codesOf(hist.Search("lymphoma nos", 1)); !slices.Equal(got, []string{"9590"}) {
		t.Errorf("lymphoma nos = %v, want 9590 (Malignant lymphoma, NOS)", got)
	}
	if got := codesOf(hist.Search("ductal carcinoma nos", 1)); !slices.Equal(got, []string{"8500"}) {
		t.Errorf("ductal carcinoma nos = %v, want 8500 through its synonym", got)
	}
	if got := hist.Search("nos", 5); len(got) == 0 {
		t.Error("nos alone finds nothing, want the NOS terms")
	}
	// A laterality word a synonym has counts: "right colon" is Ascending colon.
	if got := codesOf(topo.Search("right colon", 1)); !slices.Equal(got, []string{"C182"}) {
		t.Errorf("right colon = %v, want C182", got)
	}
	// Only stop words: searched as typed, so "left" finds the terms that have the word.
	if got := codesOf(topo.Search("left", 0)); !slices.Contains(got, "C186") || !slices.Contains(got, "C341") {
		t.Errorf("left = %v, want left colon (C186) and left upper lobe (C341) among them", got)
	}
}

func TestLoadRefusesBadLookupWordsNamingTheLine(t *testing.T) {
	tests := []struct {
		name, file, rows, want string
	}{
		{"unknown list", "codes/lookup-synonyms.csv", "icdo3_topograhpy,C504,,,UOQ,SEER\n", `line 2: list "icdo3_topograhpy"`},
		{"code not in the list", "codes/lookup-synonyms.csv", "icdo3_topography,C504,,,UOQ,SEER\nicdo3_topography,C599,,,UIQ,SEER\n", `line 3: code "C599" is not in icdo3_topography`},
		{"pair not in the morphology table", "codes/lookup-synonyms.csv", "icdo3_histology,8500,9,,IDC,abbreviation\n", `behavior "9"`},
		{"behavior on a site", "codes/lookup-synonyms.csv", "icdo3_topography,C504,3,,UOQ,SEER\n", `behavior "3"`},
		{"bad site range", "codes/lookup-synonyms.csv", "icdo3_histology,8500,,C50-C509,IDC,abbreviation\n", `is not a topography code or range`},
		{"no source", "codes/lookup-synonyms.csv", "icdo3_topography,C504,,,UOQ, \n", `"UOQ" has no source`},
		{"no word", "codes/lookup-synonyms.csv", "icdo3_topography,C504,,,--,SEER\n", `has no word`},
		{"twice", "codes/lookup-synonyms.csv", "icdo3_topography,C504,,,UOQ,SEER\nicdo3_topography,C504,,,uoq,SEER\n", `line 3: term "uoq" for C504 is given twice`},
		{"stop word of two words", "codes/lookup-stopwords.csv", "*,carcinoma of,no,filler\n", `line 2: stop word "carcinoma of"`},
		{"stop word in capitals", "codes/lookup-stopwords.csv", "*,NOS,yes,filler\n", `stop word "NOS"`},
		{"ranks neither yes nor no", "codes/lookup-stopwords.csv", "*,left,maybe,laterality\n", `ranks is "maybe"`},
		{"stop word for an unknown list", "codes/lookup-stopwords.csv", "histology,left,yes,laterality\n", `list "histology"`},
		{"stop word twice", "codes/lookup-stopwords.csv", "*,left,yes,laterality\n*,left,no,laterality\n", `line 3: stop word "left" is given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := searchFS()
			head := synonymsHead
			if tt.file == "codes/lookup-stopwords.csv" {
				head = stopWordsHead
			}
			fsys[tt.file] = &fstest.MapFile{Data: []byte(head + tt.rows)}
			_, err := codes.Load(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.file) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want an error naming %s and %s", err, tt.file, tt.want)
			}
		})
	}
	for _, f := range []string{"codes/lookup-synonyms.csv", "codes/lookup-stopwords.csv"} {
		fsys := searchFS()
		delete(fsys, f)
		if _, err := codes.Load(fsys); err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("Load without %s = %v, want an error naming it", f, err)
		}
	}
}

func TestLookupComparesAtMostSixteenQueryWords(t *testing.T) {
	topo, _ := loadLookups(t).List(codes.SchemeTopography)
	q := strings.Repeat("breast ", 5000) + "nosuchword"
	if got := codesOf(topo.Search(q, 1)); !slices.Equal(got, []string{"C509"}) {
		t.Errorf("a 5,001-word query = %v, want its first words searched (C509)", got)
	}
}
