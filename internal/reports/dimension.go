package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/store"
)

// dimension is one thing a report groups by: how the store computes its key, the keys always
// shown as columns (in order), and the label of a key.
type dimension struct {
	title string
	dim   store.ReportDim
	fixed []string
	label func(key string) string
}

// notRecorded labels the blank value of a column.
const notRecorded = "Not recorded"

// order sorts keys: the fixed ones first in their order, then the others in text order.
func (d *dimension) order(keys []string) []string {
	rank := map[string]int{}
	for i, k := range d.fixed {
		rank[k] = i
	}
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b string) int {
		ra, oka := rank[a]
		rb, okb := rank[b]
		switch {
		case oka && okb:
			return cmp.Compare(ra, rb)
		case oka:
			return -1
		case okb:
			return 1
		case a == "":
			return 1 // blank, not recorded, last
		case b == "":
			return -1
		}
		return strings.Compare(a, b)
	})
	return out
}

// AgeUnknown is the age group of an age at diagnosis outside every group (999, blank).
const AgeUnknown = "unknown"

func dimensions(sites *SiteGroups, g groupings, tables *codes.Tables) (map[string]*dimension, error) {
	fromList := func(item string) (func(string) string, []string) {
		list, ok := tables.ForItem(item)
		var fixed []string
		if ok {
			for _, c := range list.Codes {
				fixed = append(fixed, c.Code)
			}
		}
		return func(k string) string {
			if k == "" {
				return notRecorded
			}
			if ok {
				if l := list.Label(k); l != "" {
					return upperFirst(l)
				}
			}
			return k
		}, fixed
	}
	asIs := func(k string) string {
		if k == "" {
			return notRecorded
		}
		return k
	}
	sexLabel, sexCodes := fromList("sexAssignedAtBirth")
	stageLabel, stageCodes := fromList("summaryStage2018")
	classLabel, _ := fromList("classOfCase")
	d := map[string]*dimension{
		"site_group": {title: "Site group", dim: sites.dim(), fixed: sites.Order, label: sites.label},
		"year":       {title: "Year of diagnosis", dim: store.ReportDim{Column: "year"}, label: asIs},
		"sex":        {title: "Sex", dim: store.ReportDim{Column: "sex"}, fixed: sexCodes, label: sexLabel},
		"ss2018":     {title: "Summary Stage 2018", dim: store.ReportDim{Column: "summary_stage_2018"}, fixed: stageCodes, label: stageLabel},
		"ajcc":       {title: "AJCC stage group", dim: store.ReportDim{Column: "ajcc_stage_group"}, label: asIs},
		"class_of_case": {title: "Class of case", dim: store.ReportDim{Column: "class_of_case"}, label: func(k string) string {
			if k == "" {
				return notRecorded
			}
			return k + " " + classLabel(k)
		}},
		"county": {title: "County at diagnosis", dim: store.ReportDim{Column: "county_at_dx"}, label: func(k string) string {
			switch k {
			case "":
				return notRecorded
			case "999":
				return "999 Unknown"
			}
			return k
		}},
	}

	// Age groups: ranges of the three-digit age.
	age := &dimension{title: "Age at diagnosis", dim: store.ReportDim{Else: AgeUnknown}}
	for i, a := range g.AgeGroups {
		if a.Key == "" || a.From < 0 || a.To > 998 || a.From > a.To {
			return nil, fmt.Errorf("age_groups[%d]: want a key and ages from <= to within 0-998", i)
		}
		if i > 0 && a.From <= g.AgeGroups[i-1].To {
			return nil, fmt.Errorf("age_groups[%d] %q: starts at %d, within the group before", i, a.Key, a.From)
		}
		age.dim.Cases = append(age.dim.Cases, store.ReportCase{Key: a.Key, Conds: []store.ReportCond{{
			Column: "age_at_diagnosis", Ranges: []store.CodeRange{{From: fmt.Sprintf("%03d", a.From), To: fmt.Sprintf("%03d", a.To)}}}}})
		age.fixed = append(age.fixed, a.Key)
	}
	if len(age.fixed) == 0 {
		return nil, fmt.Errorf("age_groups: none")
	}
	age.fixed = append(age.fixed, AgeUnknown)
	age.label = func(k string) string {
		if k == AgeUnknown {
			return "Unknown"
		}
		return k
	}
	d["age_group"] = age

	// Class of case groups.
	cg := &dimension{title: "Class of case", dim: store.ReportDim{Else: ""}}
	labels := map[string]string{}
	for i, c := range g.ClassGroups {
		ranges, err := codeRanges(c.Codes)
		if err != nil || c.Key == "" || c.Label == "" {
			return nil, fmt.Errorf("class_groups[%d]: want a key, a label and codes: %v", i, err)
		}
		cg.dim.Cases = append(cg.dim.Cases, store.ReportCase{Key: c.Key, Conds: []store.ReportCond{{Column: "class_of_case", Ranges: ranges}}})
		cg.fixed = append(cg.fixed, c.Key)
		labels[c.Key] = c.Label
	}
	cg.label = func(k string) string {
		if l, ok := labels[k]; ok {
			return l
		}
		return notRecorded
	}
	d["class_group"] = cg

	// Treatment combinations: a letter for each kind given.
	tr := &dimension{title: "First course treatment"}
	names := map[string]string{}
	for i, t := range g.Treatments {
		ranges, err := codeRanges(t.Codes)
		if err != nil || utf8.RuneCountInString(t.Letter) != 1 || t.Label == "" || !strings.HasPrefix(t.Column, "rx_") || !store.IsReportColumn(t.Column) {
			return nil, fmt.Errorf("treatments[%d]: want one letter, a label, an rx_ column and codes: %v", i, err)
		}
		tr.dim.Flags = append(tr.dim.Flags, store.ReportFlag{Letter: t.Letter, Cond: store.ReportCond{Column: t.Column, Ranges: ranges}})
		names[t.Letter] = t.Label
	}
	if len(tr.dim.Flags) == 0 {
		return nil, fmt.Errorf("treatments: none")
	}
	tr.label = func(k string) string {
		if k == "" {
			return "None recorded"
		}
		return strings.Join(strings.Split(k, ""), "+")
	}
	d["treatment"] = tr
	return d, nil
}

// codeRanges reads "10-14" and "49-49" ranges.
func codeRanges(ss []string) ([]store.CodeRange, error) {
	var out []store.CodeRange
	for _, s := range ss {
		from, to, ok := strings.Cut(s, "-")
		if !ok {
			to = from
		}
		if from == "" || len(from) != len(to) || from > to {
			return nil, fmt.Errorf("%q is not a range of codes of one length", s)
		}
		out = append(out, store.CodeRange{From: from, To: to})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no codes")
	}
	return out, nil
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
