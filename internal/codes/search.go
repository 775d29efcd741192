package codes

import (
	"cmp"
	"io/fs"
	"slices"
	"strings"
	"unicode"
)

// Match is one code found by Search. Score orders the matches (higher first); its value only
// means something relative to the other matches of the same search.
type Match struct {
	Code  Code
	Score int
	// Term is the synonym, abbreviation or other ICD-O-3 term that matched when the label's words
	// do not: "IDC" for 8500, so the look-up can say why it offers the code.
	Term string
	// Unusual is set for a histology the frequency tables never observed at the context's site
	// (a site they cover): a look-up offers it, marked.
	Unusual bool
}

// Ranks of a match, best first. Within a word rank the score prefers more query words matched
// whole, then weighs the codes diagnosed more often in the context (frequency points, see
// freqPoints), ICD-O-3 terms the query names completely, terms whose match starts earlier, NOS
// labels and shorter labels; equal scores keep the list's order.
const (
	rankExactCode     = 5_000_000
	rankCodePrefix    = 4_000_000
	rankLabelWords    = 3_000_000 // every required query word starts a word of one term of the code
	rankWords         = 2_000_000 // every required query word starts a word of the label, description or other terms
	rankSubstring     = 1_000_000 // every required query word occurs somewhere in the text
	maxPenalty        = 999
	wholeWordBonus    = 100_000 // per query word that is a whole word of the term
	completeBonus     = 3000    // the query names every word of an ICD-O-3 term ("lymphoma": "Malignant lymphoma, NOS")
	positionPenalty   = 2000    // per word of the term before the first query word matches
	nosBonus          = 1000    // the label matched and is a "..., NOS" term, the generic one
	codeLengthPenalty = 1000    // per character of code beyond the query

	// maxQueryWords bounds a search's work: no term is that long, so the further words of a pasted
	// paragraph are dropped rather than compared with every term.
	maxQueryWords = 16
)

// Search finds the codes of the list that match query, best first, at most limit of them (all
// when limit <= 0), with no case context. See SearchFor.
func (l *List) Search(query string, limit int) []Match {
	return l.SearchFor(query, limit, Context{})
}

// SearchFor finds the codes of the list that match query for a case, best first, at most limit
// of them (all when limit <= 0). The query matches
//   - a code exactly or by prefix, case-insensitively and ignoring dots and a trailing "/behavior":
//     "C50" finds C500-C509, "c50.9" finds C509, "8500/3" finds 8500;
//   - by words: "breast upper" finds the codes one of whose terms (the label, another ICD-O-3
//     term of the histology, a synonym or abbreviation of lookup-synonyms.csv) has a word
//     starting with "breast" and one starting with "upper";
//   - by words spread over the label, description and terms, then by substring: "carcin" also
//     finds "adenocarcinoma".
//
// Stop words (lookup-stopwords.csv: "left", "invasive", "nos", ...) are not required, but a term
// that has one counts it as a word matched whole; a query of stop words only is searched as typed.
// Exact code ranks first, then code prefix (shorter codes first), then the word ranks. Within a
// word rank, more words matched whole come first ("duct" prefers "duct carcinoma" to "ductular
// carcinoma"), then the score adds points for how often the code is diagnosed (histology: at
// ctx's site, for its sex, and for the list's behavior; topography: for the sex) and takes some
// off for a match that starts late in the term or a long term; a NOS label gets a small bonus.
// A histology never observed at ctx's site is marked Unusual. An empty query finds nothing.
func (l *List) SearchFor(query string, limit int, ctx Context) []Match {
	if l == nil {
		return nil
	}
	ix := l.index
	if ix == nil { // a list made outside Load: index it for this search only
		ix = newIndex(l, indexOptions{})
	}
	return ix.search(query, limit, ctx)
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
	return !t.freq.unusual(site, histology)
}

// prepareLookups reads the site/histology frequency tables (for CommonHistology and the ranking)
// and the look-up's own words, and builds the word index of every list once, at load, so no search
// pays for it; the histology lists' indexes also hold the ICD-O-3 terms of the code's other
// behaviors.
func (t *Tables) prepareLookups(fsys fs.FS) error {
	freq, err := loadFrequencies(fsys)
	if err != nil {
		return err
	}
	t.freq = freq
	lw, err := t.loadLookupWords(fsys)
	if err != nil {
		return err
	}

	terms := map[string][]string{} // histology → its terms of every behavior
	for _, m := range t.Morphology {
		terms[m.Histology] = append(terms[m.Histology], m.Description)
	}
	for name, l := range t.lists {
		opts := indexOptions{synonyms: lw.synonymsFor(name, ""), stop: lw.stopWords(name), freq: freq}
		switch name {
		case SchemeHistology:
			opts.terms, opts.kind = terms, kindHistology
		case SchemeTopography:
			opts.kind = kindTopography
		}
		l.index = newIndex(l, opts)
	}
	t.byBehavior = map[string]*List{}
	behaviors := map[string]bool{}
	for _, m := range t.Morphology {
		behaviors[m.Behavior] = true
	}
	for b := range behaviors {
		l := t.buildBehaviorList(b)
		l.index = newIndex(l, indexOptions{
			terms: terms, synonyms: lw.synonymsFor(SchemeHistology, b), stop: lw.stopWords(SchemeHistology),
			kind: kindHistology, behavior: b, freq: freq,
		})
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

// listKind says which frequencies rank a list's word matches.
type listKind int

const (
	kindOther      listKind = iota // no frequencies: an item's code list
	kindTopography                 // sites, by sex
	kindHistology                  // histologies, by site, sex and the list's behavior
)

// indexOptions is what a list's index is built from besides the list.
type indexOptions struct {
	terms    map[string][]string  // code → further ICD-O-3 terms (the other behaviors')
	synonyms map[string][]synonym // code → synonyms and abbreviations
	stop     map[string]bool      // words a query need not match → whether a term having one ranks first
	kind     listKind
	behavior string // the behavior of a histology list of one behavior
	freq     *frequencies
}

// listIndex holds what a search compares, lower-cased and split once.
type listIndex struct {
	list     *List
	entries  []indexEntry
	stop     map[string]bool
	kind     listKind
	behavior string
	freq     *frequencies
}

type indexEntry struct {
	code       string   // upper case, no dots
	labelLen   int      // the length of the label, which the look-up shows
	terms      []term   // the label first, then other ICD-O-3 terms, then synonyms
	otherWords []string // lower-case words of the description and the other terms
	text       string   // lower-case label, description and other terms, for substring search
	nos        bool     // the label has the word NOS
}

// term is one name of a code, split for the word ranks.
type term struct {
	text  string      // as written
	words []string    // lower-case words, in order
	core  []string    // the words that are not stop words, for completeBonus; nil for a synonym
	sites []siteRange // a synonym that applies only at these sites; nil: everywhere
}

// newTerm splits an ICD-O-3 term (icdo) or a synonym.
func newTerm(text string, icdo bool, sites []siteRange, stop map[string]bool) term {
	t := term{text: text, words: words(strings.ToLower(text)), sites: sites}
	if icdo {
		for _, w := range t.words {
			if _, isStop := stop[w]; !isStop {
				t.core = append(t.core, w)
			}
		}
	}
	return t
}

// complete reports whether every word of the term but its stop words starts with a query word.
func (t *term) complete(req []string) bool {
	if len(t.core) == 0 {
		return false
	}
	for _, w := range t.core {
		if !slices.ContainsFunc(req, func(q string) bool { return strings.HasPrefix(w, q) }) {
			return false
		}
	}
	return true
}

func newIndex(l *List, opts indexOptions) *listIndex {
	ix := &listIndex{list: l, entries: make([]indexEntry, len(l.Codes)), stop: opts.stop, kind: opts.kind, behavior: opts.behavior, freq: opts.freq}
	for i, c := range l.Codes {
		e := indexEntry{code: normalizeCode(c.Code), labelLen: len(c.Label), terms: []term{newTerm(c.Label, true, nil, opts.stop)}}
		seen := map[string]bool{strings.ToLower(c.Label): true}
		for _, t := range opts.terms[c.Code] {
			if k := strings.ToLower(t); !seen[k] {
				seen[k] = true
				e.terms = append(e.terms, newTerm(t, true, nil, opts.stop))
			}
		}
		for _, s := range opts.synonyms[c.Code] {
			e.terms = append(e.terms, newTerm(s.term, false, s.sites, opts.stop))
		}
		desc := strings.ToLower(c.Description)
		e.otherWords = words(desc)
		text := []string{strings.ToLower(c.Label), desc}
		for _, t := range e.terms[1:] {
			e.otherWords = append(e.otherWords, t.words...)
			text = append(text, strings.ToLower(t.text))
		}
		e.text = strings.Join(text, " | ")
		e.nos = slices.Contains(e.terms[0].words, "nos")
		ix.entries[i] = e
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
	i     int
	score int
	term  int // index of the term that matched; 0 the label, -1 none
}

// splitStopWords separates the query words the search requires from the stop words that count
// when a term has them; the other stop words are dropped. A query of stop words only requires
// them all.
func (ix *listIndex) splitStopWords(qWords []string) (req, stop []string) {
	for _, w := range qWords {
		ranks, isStop := ix.stop[w]
		switch {
		case !isStop:
			req = append(req, w)
		case ranks:
			stop = append(stop, w)
		}
	}
	if len(req) == 0 {
		return qWords, nil
	}
	return req, stop
}

func (ix *listIndex) search(query string, limit int, ctx Context) []Match {
	query = strings.TrimSpace(query)
	qWords := words(strings.ToLower(query))
	var qCode string
	if !strings.ContainsFunc(query, unicode.IsSpace) {
		qCode = normalizeCode(query)
	}
	if qCode == "" && len(qWords) == 0 {
		return nil
	}
	if len(qWords) > maxQueryWords {
		qWords = qWords[:maxQueryWords]
	}
	req, stop := ix.splitStopWords(qWords)
	site := ctx.site()
	var shares map[string]float64
	switch ix.kind {
	case kindHistology:
		shares = ix.freq.histologyShares(ctx, ix.behavior)
	case kindTopography:
		shares = ix.freq.siteShares(ctx)
	}
	var found []scored
	for i := range ix.entries {
		e := &ix.entries[i]
		s, t, byWord := e.score(qCode, req, stop, site)
		if s <= 0 {
			continue
		}
		if byWord {
			s += freqPoints(shares[e.code])
		}
		found = append(found, scored{i: i, score: s, term: t})
	}
	slices.SortStableFunc(found, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	out := make([]Match, len(found))
	for k, f := range found {
		e := &ix.entries[f.i]
		m := Match{Code: ix.list.Codes[f.i], Score: f.score}
		if f.term > 0 {
			m.Term = e.terms[f.term].text
		}
		if ix.kind == kindHistology && len(site) == 4 {
			m.Unusual = ix.freq.unusual(site, e.code)
		}
		out[k] = m
	}
	return out
}

// score is the best rank-based score of the entry for the query, 0 when it does not match, the
// term to show as the match (0 when the label matches, -1 for a match by code or over several
// terms, otherwise the best term), and whether the
// entry matched by words rather than by code. A synonym bound to sites other than site does not
// match; with no site, it does.
func (e *indexEntry) score(qCode string, req, stop []string, site string) (int, int, bool) {
	if qCode != "" && strings.HasPrefix(e.code, qCode) {
		if len(e.code) == len(qCode) {
			return rankExactCode, -1, false
		}
		return rankCodePrefix - min(len(e.code)-len(qCode), maxPenalty)*codeLengthPenalty, -1, false
	}
	if len(req) == 0 {
		return 0, -1, false
	}
	// Every term pays for the label's length: the look-up shows the label, and a short synonym
	// should not lift its code over a code whose label reads as well.
	lengthPenalty := min(e.labelLen, maxPenalty)
	best, bestTerm, labelMatched := 0, -1, false
	for i := range e.terms {
		t := &e.terms[i]
		if t.sites != nil && site != "" && !inSites(t.sites, site) {
			continue
		}
		pos, whole, ok := t.match(req, stop)
		if !ok {
			continue
		}
		s := rankLabelWords + min(whole, 9)*wholeWordBonus - min(pos, 49)*positionPenalty - lengthPenalty
		if i == 0 && e.nos {
			s += nosBonus
		}
		if t.complete(req) {
			s += completeBonus
		}
		if s > best {
			best, bestTerm = s, i
		}
		labelMatched = labelMatched || i == 0
	}
	if bestTerm >= 0 {
		if labelMatched {
			bestTerm = 0
		}
		return best, bestTerm, true
	}
	label := &e.terms[0]
	if allWordPrefixes(req, label.words, e.otherWords) {
		return rankWords - lengthPenalty, -1, true
	}
	for _, q := range req {
		if !strings.Contains(e.text, q) {
			return 0, -1, false
		}
	}
	return rankSubstring - lengthPenalty, -1, true
}

// match reports whether every required query word starts a word of the term, the place of the
// earliest such word (0 when the term opens with a query word), and how many query words are
// whole words of the term, the stop words of the query included.
func (t *term) match(req, stop []string) (pos, whole int, ok bool) {
	pos = -1
	for _, q := range req {
		first, isWhole := -1, false
		for j, w := range t.words {
			if strings.HasPrefix(w, q) {
				if first < 0 {
					first = j
				}
				if len(w) == len(q) {
					isWhole = true
					break
				}
			}
		}
		if first < 0 {
			return 0, 0, false
		}
		if isWhole {
			whole++
		}
		if pos < 0 || first < pos {
			pos = first
		}
	}
	for _, q := range stop {
		if slices.Contains(t.words, q) {
			whole++
		}
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
