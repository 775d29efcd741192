package codes_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/schemas"
)

func TestSiteGroupsOfTheSchemasCoverTheirSites(t *testing.T) {
	groups, err := codes.LoadSiteGroups(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := codes.Load(os.DirFS("../../schemas"))
	if err != nil {
		t.Fatal(err)
	}
	topo, ok := tables.ForItem("primarySite")
	if !ok {
		t.Fatal("no code list for primarySite")
	}
	byID := map[string]codes.SiteGroup{}
	for _, g := range groups {
		byID[g.ID] = g
		for _, r := range g.Ranges {
			if !topo.Contains(r.From) || !topo.Contains(r.To) {
				t.Errorf("group %s: range %s-%s does not start and end on ICD-O-3 topography codes", g.ID, r.From, r.To)
			}
		}
	}
	for _, tt := range []struct {
		group string
		in    []string
		out   []string
	}{
		{"breast", []string{"C500", "C504", "C509"}, []string{"C499", "C510", "C619"}},
		{"lung", []string{"C340", "C341", "C349"}, []string{"C339", "C379"}},
		{"colorectal", []string{"C180", "C187", "C199", "C209"}, []string{"C170", "C210"}},
		{"prostate", []string{"C619"}, []string{"C609", "C620"}},
		{"uterus", []string{"C540", "C549", "C559"}, []string{"C539", "C569"}},
	} {
		g, ok := byID[tt.group]
		if !ok {
			t.Errorf("no site group %q", tt.group)
			continue
		}
		for _, s := range tt.in {
			if !g.Contains(s) {
				t.Errorf("%s does not contain %s", tt.group, s)
			}
		}
		for _, s := range tt.out {
			if g.Contains(s) {
				t.Errorf("%s contains %s", tt.group, s)
			}
		}
	}
}

func TestSiteGroupsFileIsChecked(t *testing.T) {
	for _, tt := range []struct {
		name, file, want string
	}{
		{"bad header", "id,label,from,to\n", "header"},
		{"not a site", "group,label,from,to\nx,X,C50,C509\n", "topography"},
		{"backwards", "group,label,from,to\nx,X,C509,C500\n", "backwards"},
		{"two labels", "group,label,from,to\nx,X,C500,C509\nx,Y,C510,C519\n", "two labels"},
		{"empty", "group,label,from,to\n", "no groups"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{codes.SiteGroupsFile: {Data: []byte(tt.file)}}
			_, err := codes.LoadSiteGroups(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one that says %q", err, tt.want)
			}
		})
	}
}
