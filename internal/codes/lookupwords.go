package codes

import (
	"fmt"
	"io/fs"
	"strings"
	"unicode"
)

// The look-up's own words: further terms (synonyms, abbreviations) and words it does not require.
const (
	synonymsFile  = "codes/lookup-synonyms.csv"
	stopWordsFile = "codes/lookup-stopwords.csv"
	anyList       = "*" // a stop word of every list
)

// synonym is one row of lookup-synonyms.csv: a further term the look-up finds code by.
type synonym struct {
	code     string
	behavior string      // "" for every behavior's look-up
	sites    []siteRange // nil: at any site
	term     string
}

// siteRange is a range of ICD-O-3 topography codes, both ends included (C500-C509; C619-C619).
type siteRange struct{ lo, hi string }

// contains reports whether site (four characters, or three for a site group such as C50) falls in
// the range; a group is in it when any of its sites is.
func (r siteRange) contains(site string) bool {
	n := min(len(site), len(r.lo))
	return site[:n] >= r.lo[:n] && site[:n] <= r.hi[:n]
}

func inSites(rs []siteRange, site string) bool {
	for _, r := range rs {
		if r.contains(site) {
			return true
		}
	}
	return false
}

// isSiteCode reports whether s is a topography code without the dot (C504) or a site group (C50).
func isSiteCode(s string) bool {
	if (len(s) != 3 && len(s) != 4) || s[0] != 'C' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseSites reads "C500-C509,C619" into ranges; an empty cell means any site (nil).
func parseSites(s string) ([]siteRange, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []siteRange
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
		if !isRange {
			hi = lo
		}
		if len(lo) != 4 || len(hi) != 4 || !isSiteCode(lo) || !isSiteCode(hi) || lo > hi {
			return nil, fmt.Errorf("sites %q: %q is not a topography code or range such as C500-C509", s, part)
		}
		out = append(out, siteRange{lo: lo, hi: hi})
	}
	return out, nil
}

// lookupWords holds the look-up's own words by list (scheme name).
type lookupWords struct {
	synonyms map[string]map[string][]synonym // scheme → code → rows
	stop     map[string]map[string]bool      // scheme, or anyList → word → whether a term having it ranks first
}

// stopWords returns the words the look-up of a list does not require, each with whether a term
// that has it ranks first.
func (lw lookupWords) stopWords(scheme string) map[string]bool {
	out := map[string]bool{}
	for w, ranks := range lw.stop[anyList] {
		out[w] = ranks
	}
	for w, ranks := range lw.stop[scheme] {
		out[w] = ranks
	}
	return out
}

// loadLookupWords reads lookup-synonyms.csv and lookup-stopwords.csv, refusing a row that names a
// list cara does not have, a code not in its list, a histology/behavior pair the morphology table
// does not list, a malformed site range, a row given twice or one without its source, so that a
// typing slip in a registry's own words is found at start-up, by file and line.
func (t *Tables) loadLookupWords(fsys fs.FS) (lookupWords, error) {
	lw := lookupWords{synonyms: map[string]map[string][]synonym{}, stop: map[string]map[string]bool{}}
	pairs := map[string]bool{}
	for _, m := range t.Morphology {
		pairs[m.Histology+"/"+m.Behavior] = true
	}
	seen := map[string]bool{}
	err := readCSV(fsys, synonymsFile, []string{"list", "code", "behavior", "sites", "term", "source"}, func(rec []string) error {
		scheme, code, beh, term, source := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2]), strings.TrimSpace(rec[4]), strings.TrimSpace(rec[5])
		l, ok := t.lists[scheme]
		if !ok {
			return fmt.Errorf("list %q is not a code list cara has", scheme)
		}
		if !l.Contains(code) {
			return fmt.Errorf("code %q is not in %s", code, scheme)
		}
		if beh != "" && (scheme != SchemeHistology || !pairs[code+"/"+beh]) {
			return fmt.Errorf("behavior %q: %s/%s is not a histology/behavior pair of the morphology table", beh, code, beh)
		}
		sites, err := parseSites(rec[3])
		if err != nil {
			return err
		}
		if !strings.ContainsFunc(term, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			return fmt.Errorf("term %q has no word", rec[4])
		}
		if source == "" {
			return fmt.Errorf("term %q has no source", term)
		}
		key := scheme + "|" + code + "|" + beh + "|" + strings.ToLower(term)
		if seen[key] {
			return fmt.Errorf("term %q for %s is given twice", term, code)
		}
		seen[key] = true
		if lw.synonyms[scheme] == nil {
			lw.synonyms[scheme] = map[string][]synonym{}
		}
		lw.synonyms[scheme][code] = append(lw.synonyms[scheme][code], synonym{code: code, behavior: beh, sites: sites, term: term})
		return nil
	})
	if err != nil {
		return lw, err
	}
	err = readCSV(fsys, stopWordsFile, []string{"list", "word", "ranks", "reason"}, func(rec []string) error {
		scheme, word, ranks := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		if _, ok := t.lists[scheme]; !ok && scheme != anyList {
			return fmt.Errorf("list %q is not a code list cara has (or %s for every list)", scheme, anyList)
		}
		if ws := words(word); len(ws) != 1 || ws[0] != word || strings.ToLower(word) != word {
			return fmt.Errorf("stop word %q is not one lower-case word", word)
		}
		if ranks != "yes" && ranks != "no" {
			return fmt.Errorf("stop word %q: ranks is %q, want yes or no", word, ranks)
		}
		if strings.TrimSpace(rec[3]) == "" {
			return fmt.Errorf("stop word %q has no reason", word)
		}
		if _, dup := lw.stop[scheme][word]; dup {
			return fmt.Errorf("stop word %q is given twice for %s", word, scheme)
		}
		if lw.stop[scheme] == nil {
			lw.stop[scheme] = map[string]bool{}
		}
		lw.stop[scheme][word] = ranks == "yes"
		return nil
	})
	return lw, err
}

// synonymsFor returns a list's synonyms by code, keeping for the list of one behavior the rows of
// that behavior and those of every behavior.
func (lw lookupWords) synonymsFor(scheme, behavior string) map[string][]synonym {
	all := lw.synonyms[scheme]
	if behavior == "" {
		return all
	}
	out := map[string][]synonym{}
	for code, ss := range all {
		for _, s := range ss {
			if s.behavior == "" || s.behavior == behavior {
				out[code] = append(out[code], s)
			}
		}
	}
	return out
}
