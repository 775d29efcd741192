package codes

import (
	"cmp"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Match is one code found by Search. Score orders the matches (higher first); its value only
// means something relative to the other matches of the same search.
type Match struct {
	Code  Code
	Score int
}

// Ranks of a match, best first. Within a rank the score prefers shorter codes (code ranks) or
// earlier and shorter labels (word ranks); equal word scores prefer the code diagnosed more often,
// and otherwise equal scores keep the list's order.
const (
	rankExactCode     = 5_000_000
	rankCodePrefix    = 4_000_000
	rankLabelWords    = 3_000_000 // every query word starts a word of the label
	rankWords         = 2_000_000 // every query word starts a word of the label, description or other terms
	rankSubstring     = 1_000_000 // every query word occurs somewhere in the text
	maxPenalty        = 999
	wholeWordBonus    = 100_000 // per query word that is a whole word of the label
	positionPenalty   = 2000    // per word of label skipped before the query words match
	nosBonus          = 1000    // the label is a "..., NOS" term, the generic one
	codeLengthPenalty = 1000    // per character of code beyond the query
)

// Search finds the codes of the list that match query, best first, at most limit of them (all when
// limit <= 0). The query matches
//   - a code exactly or by prefix, case-insensitively and ignoring dots and a trailing "/behavior":
//     "C50" finds C500-C509, "c50.9" finds C509, "8500/3" finds 8500;
//   - by words: "breast upper" finds the codes whose label (or description, or another ICD-O-3
//     term of the histology) has a word starting with "breast" and one starting with "upper";
//   - by substring, last: "carcin" also finds "adenocarcinoma".
//
// Exact code ranks first, then code prefix (shorter codes first), then all words in the label, then
// all words anywhere, then substrings. Among labels that hold all the words, more query words
// matched as whole words rank first ("duct" prefers "duct carcinoma" to "ductular carcinoma"), then
// words found earlier in the label, then "NOS" terms, then shorter labels. A tie between word
// matches goes to the code seen more often in the site/histology frequency tables ("breast upp"
// offers Upper-outer quadrant, C504, before Upper-inner, C502); other ties keep the list's order.
// An empty query finds nothing.
func (l *List) Search(query string, limit int) []Match {
	if l == nil {
		return nil
	}
	ix := l.index
	if ix == nil { // a list made outside Load: index it for this search only
		ix = newIndex(l, nil, nil)
	}
	return ix.search(query, limit)
}

// HistologyForBehavior returns the ICD-O-3 histology codes that the morphology table lists with
// behavior code b (0 benign, 1 uncertain, 2 in situ, 3 malignant), labelled with the term for that
// behavior: 8500 is "Intraductal carcinoma, noninfiltrating, NOS" for 2 and "Infiltrating duct
// carcinoma, NOS" for 3. The pairs are those of the ICD-O-3 book and SEER's additions only: ICD-O-3's
// behavior matrix rule lets a pathologist's behavior go with any histology, so this list is what a
// look-up offers first, not a validation. An empty behavior gives the whole histology list; a
// behavior with no pairs an empty list.
func (t *Tables) HistologyForBehavior(b string) *List {
	if b == "" {
		l, _ := t.List(SchemeHistology)
		return l
	}
	if l, ok := t.byBehavior[b]; ok {
		return l
	}
	return &List{Name: SchemeHistology + "/" + b, byCode: map[string]int{}} // no pairs: an empty list
}

// CommonHistology reports whether histology is among the histologies observed at site in the
// site/histology frequency tables (either sex), so that an unusual pair can be flagged as a
// warning. It is true when it cannot judge: a blank site or histology, or a site the tables do
// not cover at all.
func (t *Tables) CommonHistology(site, histology string) bool {
	if site == "" || histology == "" {
		return true
	}
	hist, ok := t.common[site]
	if !ok {
		return true
	}
	return hist[histology]
}

// siteHistologyFiles are the observed site/histology/behavior combinations.
func siteHistologyFiles() []string {
	return []string{"codes/site-histology-frequencies-female.csv", "codes/site-histology-frequencies-male.csv"}
}

// prepareLookups reads the site/histology frequency tables for CommonHistology and builds the
// word index of every list once, at load, so no search pays for it; the histology lists' indexes
// also hold the ICD-O-3 terms of the code's other behaviors. The frequencies (summed over both
// sexes) also break ties between word matches: by site for topography, by histology (and behavior,
// for the lists of one behavior) for histology.
func (t *Tables) prepareLookups(fsys fs.FS) error {
	common := map[string]map[string]bool{}
	siteFreq := map[string]float64{}
	histFreq := map[string]float64{}
	histBehFreq := map[string]map[string]float64{} // behavior → histology → percent
	for _, f := range siteHistologyFiles() {
		err := readCSV(fsys, f, []string{"percent", "site", "histology", "behavior", "cs_schema", "tnm_schema", "eod_schema"}, func(rec []string) error {
			if common[rec[1]] == nil {
				common[rec[1]] = map[string]bool{}
			}
			common[rec[1]][rec[2]] = true
			pct, err := strconv.ParseFloat(rec[0], 64)
			if err != nil {
				return fmt.Errorf("percent %q: %w", rec[0], err)
			}
			siteFreq[rec[1]] += pct
			histFreq[rec[2]] += pct
			if histBehFreq[rec[3]] == nil {
				histBehFreq[rec[3]] = map[string]float64{}
			}
			histBehFreq[rec[3]][rec[2]] += pct
			return nil
		})
		if err != nil {
			return err
		}
	}
	t.common = common

	terms := map[string][]string{} // histology → its terms of every behavior
	for _, m := range t.Morphology {
		terms[m.Histology] = append(terms[m.Histology], m.Description)
	}
	for name, l := range t.lists {
		switch name {
		case SchemeHistology:
			l.index = newIndex(l, terms, histFreq)
		case SchemeTopography:
			l.index = newIndex(l, nil, siteFreq)
		default:
			l.index = newIndex(l, nil, nil)
		}
	}
	t.byBehavior = map[string]*List{}
	behaviors := map[string]bool{}
	for _, m := range t.Morphology {
		behaviors[m.Behavior] = true
	}
	for b := range behaviors {
		l := t.buildBehaviorList(b)
		l.index = newIndex(l, terms, histBehFreq[b])
		t.byBehavior[b] = l
	}
	return nil
}

func (t *Tables) buildBehaviorList(b string) *List {
	l := &List{Name: SchemeHistology + "/" + b, byCode: map[string]int{}}
	var ms []Morphology
	for _, m := range t.Morphology {
		if m.Behavior == b {
			ms = append(ms, m)
		}
	}
	slices.SortStableFunc(ms, func(x, y Morphology) int { return strings.Compare(x.Histology, y.Histology) })
	for _, m := range ms {
		l.add(Code{Code: m.Histology, Label: m.Description, Description: m.Category})
	}
	return l
}

// listIndex holds what a search compares, lower-cased and split once.
type listIndex struct {
	list    *List
	entries []indexEntry
}

type indexEntry struct {
	code       string   // upper case, no dots
	labelWords []string // lower-case words of the label, in order
	otherWords []string // lower-case words of the description and other terms
	text       string   // lower-case label, description and other terms, for substring search
	labelLen   int
	nos        bool    // the label has the word NOS
	freq       float64 // how often the code is diagnosed (percent), to break ties of word matches
}

func newIndex(l *List, terms map[string][]string, freq map[string]float64) *listIndex {
	ix := &listIndex{list: l, entries: make([]indexEntry, len(l.Codes))}
	for i, c := range l.Codes {
		label := strings.ToLower(c.Label)
		other := strings.ToLower(c.Description)
		for _, t := range terms[c.Code] {
			if !strings.EqualFold(t, c.Label) {
				other += " | " + strings.ToLower(t)
			}
		}
		ix.entries[i] = indexEntry{
			code:       normalizeCode(c.Code),
			labelWords: words(label),
			otherWords: words(other),
			text:       label + " | " + other,
			labelLen:   len(c.Label),
			nos:        slices.Contains(words(label), "nos"),
			freq:       freq[c.Code],
		}
	}
	return ix
}

// words splits lower-case text into its runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// normalizeCode upper-cases a code and drops dots and spaces, and a "/behavior" suffix.
func normalizeCode(s string) string {
	s, _, _ = strings.Cut(s, "/")
	return strings.Map(func(r rune) rune {
		if r == '.' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

type scored struct {
	i      int
	score  int
	byWord bool // matched by words, not by code
	freq   float64
}

func (ix *listIndex) search(query string, limit int) []Match {
	query = strings.TrimSpace(query)
	qWords := words(strings.ToLower(query))
	var qCode string
	if !strings.ContainsFunc(query, unicode.IsSpace) {
		qCode = normalizeCode(query)
	}
	if qCode == "" && len(qWords) == 0 {
		return nil
	}
	var found []scored
	for i := range ix.entries {
		e := &ix.entries[i]
		if s, byWord := e.score(qCode, qWords); s > 0 {
			found = append(found, scored{i: i, score: s, byWord: byWord, freq: e.freq})
		}
	}
	slices.SortStableFunc(found, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 || !a.byWord || !b.byWord {
			return c
		}
		return cmp.Compare(b.freq, a.freq)
	})
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	out := make([]Match, len(found))
	for k, f := range found {
		out[k] = Match{Code: ix.list.Codes[f.i], Score: f.score}
	}
	return out
}

// score is the best rank-based score of the entry for the query, 0 when it does not match, and
// whether the entry matched by words rather than by code.
func (e *indexEntry) score(qCode string, qWords []string) (int, bool) {
	if qCode != "" && strings.HasPrefix(e.code, qCode) {
		if len(e.code) == len(qCode) {
			return rankExactCode, false
		}
		return rankCodePrefix - min(len(e.code)-len(qCode), maxPenalty)*codeLengthPenalty, false
	}
	if len(qWords) == 0 {
		return 0, false
	}
	lengthPenalty := min(e.labelLen, maxPenalty)
	if pos, whole, ok := wordPrefixes(e.labelWords, qWords); ok {
		s := rankLabelWords + min(whole, 9)*wholeWordBonus - min(pos, 49)*positionPenalty - lengthPenalty
		if e.nos {
			s += nosBonus
		}
		return s, true
	}
	if allWordPrefixes(qWords, e.labelWords, e.otherWords) {
		return rankWords - lengthPenalty, true
	}
	for _, q := range qWords {
		if !strings.Contains(e.text, q) {
			return 0, false
		}
	}
	return rankSubstring - lengthPenalty, true
}

// wordPrefixes reports whether every query word starts some word of ws, the sum of the positions
// of the first such words (0 when the label opens with the query), and how many query words are
// whole words of ws.
func wordPrefixes(ws, qWords []string) (pos, whole int, ok bool) {
	for _, q := range qWords {
		first := -1
		for j, w := range ws {
			if strings.HasPrefix(w, q) {
				if first < 0 {
					first = j
				}
				if len(w) == len(q) {
					whole++
					break
				}
			}
		}
		if first < 0 {
			return 0, 0, false
		}
		pos += first
	}
	return pos, whole, true
}

// allWordPrefixes reports whether every query word starts a word of a or b.
func allWordPrefixes(qWords, a, b []string) bool {
	for _, q := range qWords {
		if !hasWordPrefix(a, q) && !hasWordPrefix(b, q) {
			return false
		}
	}
	return true
}

func hasWordPrefix(ws []string, q string) bool {
	for _, w := range ws {
		if strings.HasPrefix(w, q) {
			return true
		}
	}
	return false
}
