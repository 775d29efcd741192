package codes

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
)

// SiteGroupsFile lists the worklist's site groups: rows of group id, label, and a range of ICD-O-3
// topography codes; a group of several ranges has a row for each.
const SiteGroupsFile = "forms/site-groups.csv"

// SiteRange is a range of ICD-O-3 topography codes, both ends included.
type SiteRange struct {
	From, To string
}

// SiteGroup is a named set of primary sites, such as breast (C500–C509).
type SiteGroup struct {
	ID     string
	Label  string
	Ranges []SiteRange
}

// Contains reports whether a primary site is in the group.
func (g SiteGroup) Contains(site string) bool {
	for _, r := range g.Ranges {
		if r.From <= site && site <= r.To {
			return true
		}
	}
	return false
}

var topographyCode = regexp.MustCompile(`^C[0-9]{3}$`)

// LoadSiteGroups reads SiteGroupsFile from fsys, groups in the file's order.
func LoadSiteGroups(fsys fs.FS) ([]SiteGroup, error) {
	f, err := fsys.Open(SiteGroupsFile)
	if err != nil {
		return nil, fmt.Errorf("codes: site groups: %w", err)
	}
	defer f.Close()
	return parseSiteGroups(f)
}

func parseSiteGroups(r io.Reader) ([]SiteGroup, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("codes: %s: %w", SiteGroupsFile, err)
	}
	if header[0] != "group" || header[1] != "label" || header[2] != "from" || header[3] != "to" {
		return nil, fmt.Errorf("codes: %s: header %v, want group,label,from,to", SiteGroupsFile, header)
	}
	var groups []SiteGroup
	index := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("codes: %s: %w", SiteGroupsFile, err)
		}
		line, _ := cr.FieldPos(0)
		id, label, from, to := rec[0], rec[1], rec[2], rec[3]
		switch {
		case id == "" || label == "":
			return nil, fmt.Errorf("codes: %s:%d: a group needs an id and a label", SiteGroupsFile, line)
		case !topographyCode.MatchString(from) || !topographyCode.MatchString(to):
			return nil, fmt.Errorf("codes: %s:%d: %q-%q is not a range of ICD-O-3 topography codes such as C500", SiteGroupsFile, line, from, to)
		case from > to:
			return nil, fmt.Errorf("codes: %s:%d: range %s-%s runs backwards", SiteGroupsFile, line, from, to)
		}
		i, ok := index[id]
		if !ok {
			i = len(groups)
			index[id] = i
			groups = append(groups, SiteGroup{ID: id, Label: label})
		} else if groups[i].Label != label {
			return nil, fmt.Errorf("codes: %s:%d: group %s has two labels, %q and %q", SiteGroupsFile, line, id, groups[i].Label, label)
		}
		groups[i].Ranges = append(groups[i].Ranges, SiteRange{From: from, To: to})
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("codes: %s: no groups", SiteGroupsFile)
	}
	return groups, nil
}
