package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/cara-registry/cara/internal/store"
)

// SiteGroupsFile holds the site groups of the reports, in the style of the SEER site recode:
// each row a group id, its label, ICD-O-3 topography codes and ranges (blank: any site) and
// histology codes and ranges (blank: any histology). A tumor is in the group of the first row
// it matches, so the histology-defined groups (lymphoma, leukemia, mesothelioma, Kaposi
// sarcoma) come first; a group may have several rows; a last row with both blank catches the
// rest. The groups are shown in the order of their first row.
const SiteGroupsFile = "reports/site-groups.csv"

// SiteRule is one row of the site groups file.
type SiteRule struct {
	Group       string
	Sites       []store.CodeRange
	Histologies []store.CodeRange
}

// SiteGroups is the parsed file: the rules in order and the groups' labels.
type SiteGroups struct {
	Rules  []SiteRule
	Order  []string          // group ids in the order of their first rule
	Labels map[string]string // group id → label
}

var (
	siteCode      = regexp.MustCompile(`^C[0-9]{3}$`)
	histologyCode = regexp.MustCompile(`^[89][0-9]{3}$`)
)

// ParseSiteGroups reads a site groups file; name is the file's name in errors.
func ParseSiteGroups(r io.Reader, name string) (*SiteGroups, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reports: %s: %w", name, err)
	}
	if strings.Join(header, ",") != "group,label,sites,histologies" {
		return nil, fmt.Errorf("reports: %s: header %q, want group,label,sites,histologies", name, strings.Join(header, ","))
	}
	sg := &SiteGroups{Labels: map[string]string{}}
	catchAll := false
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reports: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		id, label := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if id == "" || label == "" {
			return nil, fmt.Errorf("reports: %s:%d: a group needs an id and a label", name, line)
		}
		if catchAll {
			return nil, fmt.Errorf("reports: %s:%d: group %q comes after a row that matches every tumor, so it would match none", name, line, id)
		}
		if old, ok := sg.Labels[id]; ok && old != label {
			return nil, fmt.Errorf("reports: %s:%d: group %q is labelled %q here and %q before", name, line, id, label, old)
		}
		sites, err := parseRanges(rec[2], siteCode, "ICD-O-3 topography code such as C500")
		if err != nil {
			return nil, fmt.Errorf("reports: %s:%d: sites of %q: %w", name, line, id, err)
		}
		hists, err := parseRanges(rec[3], histologyCode, "ICD-O-3 histology code such as 8140")
		if err != nil {
			return nil, fmt.Errorf("reports: %s:%d: histologies of %q: %w", name, line, id, err)
		}
		if _, ok := sg.Labels[id]; !ok {
			sg.Order = append(sg.Order, id)
			sg.Labels[id] = label
		}
		sg.Rules = append(sg.Rules, SiteRule{Group: id, Sites: sites, Histologies: hists})
		catchAll = sites == nil && hists == nil
	}
	if len(sg.Rules) == 0 {
		return nil, fmt.Errorf("reports: %s: no site group", name)
	}
	return sg, nil
}

// parseRanges reads codes and ranges separated by spaces ("C180-C189 C260"); blank is nil.
func parseRanges(s string, code *regexp.Regexp, what string) ([]store.CodeRange, error) {
	var out []store.CodeRange
	for _, f := range strings.Fields(s) {
		from, to, isRange := strings.Cut(f, "-")
		if !isRange {
			to = from
		}
		if !code.MatchString(from) || !code.MatchString(to) {
			return nil, fmt.Errorf("%q is not a code or range of codes (each an %s)", f, what)
		}
		if from > to {
			return nil, fmt.Errorf("range %q runs backwards", f)
		}
		out = append(out, store.CodeRange{From: from, To: to})
	}
	return out, nil
}

// Other is the group of a tumor that no rule matches.
const Other = "other"

// Group returns the group of a tumor's primary site and histology, as the database computes
// it from the same rules (dim): for tests and for callers with a case at hand.
func (sg *SiteGroups) Group(site, histology string) string {
	for _, r := range sg.Rules {
		if inRanges(site, r.Sites) && inRanges(histology, r.Histologies) {
			return r.Group
		}
	}
	return Other
}

func inRanges(v string, rs []store.CodeRange) bool {
	if rs == nil {
		return true
	}
	for _, r := range rs {
		if len(v) == len(r.From) && r.From <= v && v <= r.To {
			return true
		}
	}
	return false
}

// dim is the grouping as the store computes it: a CASE of the rules in order.
func (sg *SiteGroups) dim() store.ReportDim {
	d := store.ReportDim{Else: Other}
	for _, r := range sg.Rules {
		var conds []store.ReportCond
		if r.Sites != nil {
			conds = append(conds, store.ReportCond{Column: "primary_site", Ranges: r.Sites})
		}
		if r.Histologies != nil {
			conds = append(conds, store.ReportCond{Column: "histology", Ranges: r.Histologies})
		}
		if conds == nil {
			// The catch-all row: every tumor not matched before is in its group.
			d.Else = r.Group
			break
		}
		d.Cases = append(d.Cases, store.ReportCase{Key: r.Group, Conds: conds})
	}
	return d
}

// label is a group's label, "Other" for a tumor no rule matched when the file has no catch-all.
func (sg *SiteGroups) label(id string) string {
	if l, ok := sg.Labels[id]; ok {
		return l
	}
	return "Other sites"
}
