package codes

import (
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
)

// Context is what a look-up knows of the case it serves: the histology look-up ranks first the
// histologies diagnosed most often at the case's primary site (for its sex), and marks those
// never observed there.
type Context struct {
	Site string // primary site (C504, or a site group such as C50); anything else is ignored
	Sex  string // sexAssignedAtBirth: 1 (or 5) male, 2 (or 6) female; other values rank by both sexes
}

// site is the context's primary site as the tables write it, or "" when it names none.
func (c Context) site() string {
	s := normalizeCode(c.Site)
	if !isSiteCode(s) {
		return ""
	}
	return s
}

// sex is the frequency table the context's sex selects: "1" male, "2" female, "" both.
func (c Context) sex() string {
	switch strings.TrimSpace(c.Sex) {
	case "1", "5": // male; transsexual, natal male
		return "1"
	case "2", "6":
		return "2"
	}
	return ""
}

// frequencies are the site/histology frequency tables summed for each context a look-up ranks by:
// every share is a fraction of the cases of its context.
type frequencies struct {
	hist   map[histKey]map[string]float64 // histology → share among the cases of the key
	site   map[string]map[string]float64  // sex → site → share among all cases of that sex
	common map[string]map[string]bool     // site → histologies observed there (either sex)
}

// histKey is one context of the histology shares: sex "" (both), "1" or "2"; site "" (any), a site
// group (C50) or a site (C504); behavior "" (any) or one behavior code.
type histKey struct{ sex, site, behavior string }

// siteHistologyFiles are the observed site/histology/behavior combinations, by sex.
func siteHistologyFiles() []struct{ file, sex string } {
	return []struct{ file, sex string }{
		{"codes/site-histology-frequencies-female.csv", "2"},
		{"codes/site-histology-frequencies-male.csv", "1"},
	}
}

func loadFrequencies(fsys fs.FS) (*frequencies, error) {
	f := &frequencies{hist: map[histKey]map[string]float64{}, site: map[string]map[string]float64{}, common: map[string]map[string]bool{}}
	add := func(m map[string]float64, code string, pct float64) { m[code] += pct }
	for _, src := range siteHistologyFiles() {
		err := readCSV(fsys, src.file, []string{"percent", "site", "histology", "behavior", "cs_schema", "tnm_schema", "eod_schema"}, func(rec []string) error {
			pct, err := strconv.ParseFloat(rec[0], 64)
			if err != nil {
				return fmt.Errorf("percent %q: %w", rec[0], err)
			}
			site, hist, beh := rec[1], rec[2], rec[3]
			if !isSiteCode(site) || len(site) != 4 {
				return fmt.Errorf("site %q is not a topography code", site)
			}
			if f.common[site] == nil {
				f.common[site] = map[string]bool{}
			}
			f.common[site][hist] = true
			for _, sex := range []string{"", src.sex} {
				if f.site[sex] == nil {
					f.site[sex] = map[string]float64{}
				}
				add(f.site[sex], site, pct)
				for _, s := range []string{"", site[:3], site} {
					for _, b := range []string{"", beh} {
						k := histKey{sex, s, b}
						if f.hist[k] == nil {
							f.hist[k] = map[string]float64{}
						}
						add(f.hist[k], hist, pct)
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, m := range f.hist {
		toShares(m)
	}
	for _, m := range f.site {
		toShares(m)
	}
	return f, nil
}

// toShares turns the percentages of one context into fractions of its total.
func toShares(m map[string]float64) {
	var total float64
	for _, v := range m {
		total += v
	}
	if total <= 0 {
		return
	}
	for k, v := range m {
		m[k] = v / total
	}
}

// histologyShares returns the shares of the histologies for a context, the narrowest the tables
// cover: the site for the sex, the site for both sexes, the site group, then every site.
func (f *frequencies) histologyShares(ctx Context, behavior string) map[string]float64 {
	if f == nil {
		return nil
	}
	sex, site := ctx.sex(), ctx.site()
	var sites []string
	if site != "" {
		sites = append(sites, site)
		if len(site) == 4 {
			sites = append(sites, site[:3])
		}
	}
	sites = append(sites, "")
	for _, s := range sites {
		for _, x := range []string{sex, ""} {
			if m, ok := f.hist[histKey{x, s, behavior}]; ok {
				return m
			}
		}
	}
	return nil
}

// siteShares returns the shares of the sites for the context's sex.
func (f *frequencies) siteShares(ctx Context) map[string]float64 {
	if f == nil {
		return nil
	}
	if m, ok := f.site[ctx.sex()]; ok {
		return m
	}
	return f.site[""]
}

// unusual reports whether the tables cover site and never observed histology there.
func (f *frequencies) unusual(site, histology string) bool {
	if f == nil {
		return false
	}
	hist, ok := f.common[site]
	return ok && !hist[histology]
}

// freqPoints turns a share into score points: 1000 for each tenfold, from 0 for one case in
// 100,000 (or none) to 5000 for every case: frequency orders the matches that read alike and can
// outweigh a word or two of position, never a query word matched whole (wholeWordBonus).
func freqPoints(share float64) int {
	if share <= 0 {
		return 0
	}
	p := 1000 * (math.Log10(share) + 5)
	return int(min(max(p, 0), 5000))
}
