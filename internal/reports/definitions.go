// Package reports makes the registry's standard reports (the primary site table, cases by year,
// stage, age and sex, class of case, county, treatment, time to treatment, abstracting
// timeliness) from definitions in schemas/reports: each a table of tumor counts that the
// database groups (store.ReportCounts), with its chart, CSV and XLSX.
package reports

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cara-registry/cara/internal/codes"
)

// The files of schemas/reports besides the site groups.
const (
	GroupingsFile = "reports/groupings.yaml"
	reportsGlob   = "reports/*.yaml" // every file but GroupingsFile holds reports
)

// Definition is one report of schemas/reports/*.yaml.
type Definition struct {
	Name        string   `yaml:"name"`
	Title       string   `yaml:"title"`
	Description string   `yaml:"description"`
	Rows        string   `yaml:"rows"`
	Columns     []string `yaml:"columns"`
	Measure     string   `yaml:"measure"` // "" (counts) or "interval"
	From        string   `yaml:"from"`
	To          string   `yaml:"to"`
	Within      int      `yaml:"within"` // interval: also count the cases within this many days
	Top         int      `yaml:"top"`
	Chart       string   `yaml:"chart"` // stacked, bar or line
	ChartRows   int      `yaml:"chart_rows"`
}

// Charts a definition may ask for.
const (
	ChartBar     = "bar"
	ChartStacked = "stacked"
	ChartLine    = "line"
)

// MeasureInterval is the measure of a report of days between two dates.
const MeasureInterval = "interval"

type codeGroup struct {
	Key   string   `yaml:"key"`
	Label string   `yaml:"label"`
	Codes []string `yaml:"codes"`
}

type ageGroup struct {
	Key  string `yaml:"key"`
	From int    `yaml:"from"`
	To   int    `yaml:"to"`
}

type treatment struct {
	Letter string   `yaml:"letter"`
	Label  string   `yaml:"label"`
	Column string   `yaml:"column"`
	Codes  []string `yaml:"codes"`
}

type groupings struct {
	ClassGroups []codeGroup `yaml:"class_groups"`
	AgeGroups   []ageGroup  `yaml:"age_groups"`
	Treatments  []treatment `yaml:"treatments"`
}

// Catalog is every report definition with what they group by.
type Catalog struct {
	Reports []Definition
	Sites   *SiteGroups
	dims    map[string]*dimension
	classes []codeGroup
}

// Report returns the definition of a report by name.
func (c *Catalog) Report(name string) (Definition, bool) {
	i := slices.IndexFunc(c.Reports, func(d Definition) bool { return d.Name == name })
	if i < 0 {
		return Definition{}, false
	}
	return c.Reports[i], true
}

// Names lists the reports' names in file order.
func (c *Catalog) Names() []string {
	out := make([]string, len(c.Reports))
	for i, d := range c.Reports {
		out[i] = d.Name
	}
	return out
}

var reportName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,40}$`)

// Load reads the site groups, the groupings and the report definitions from fsys (schemas.FS);
// tables give the labels of coded dimensions (sex, class of case, stage).
func Load(fsys fs.FS, tables *codes.Tables) (*Catalog, error) {
	f, err := fsys.Open(SiteGroupsFile)
	if err != nil {
		return nil, fmt.Errorf("reports: site groups: %w", err)
	}
	sites, err := ParseSiteGroups(f, SiteGroupsFile)
	f.Close()
	if err != nil {
		return nil, err
	}
	b, err := fs.ReadFile(fsys, GroupingsFile)
	if err != nil {
		return nil, fmt.Errorf("reports: groupings: %w", err)
	}
	var g groupings
	if err := yaml.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("reports: %s: %w", GroupingsFile, err)
	}
	c := &Catalog{Sites: sites, classes: g.ClassGroups}
	if c.dims, err = dimensions(sites, g, tables); err != nil {
		return nil, fmt.Errorf("reports: %s: %w", GroupingsFile, err)
	}
	files, err := fs.Glob(fsys, reportsGlob)
	if err != nil {
		return nil, fmt.Errorf("reports: definitions: %w", err)
	}
	seen := map[string]string{}
	for _, file := range files {
		if file == GroupingsFile {
			continue
		}
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("reports: %w", err)
		}
		var doc struct {
			Reports []Definition `yaml:"reports"`
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("reports: %s: %w", file, err)
		}
		for _, d := range doc.Reports {
			if prev, ok := seen[d.Name]; ok {
				return nil, fmt.Errorf("reports: %s: report %q is defined in %s too", file, d.Name, prev)
			}
			if err := c.check(d); err != nil {
				return nil, fmt.Errorf("reports: %s: report %q: %w", file, d.Name, err)
			}
			seen[d.Name] = path.Base(file)
			c.Reports = append(c.Reports, d)
		}
	}
	if len(c.Reports) == 0 {
		return nil, fmt.Errorf("reports: no report in %s", reportsGlob)
	}
	return c, nil
}

func (c *Catalog) check(d Definition) error {
	if !reportName.MatchString(d.Name) {
		return fmt.Errorf("name: want lower-case letters, digits and hyphens")
	}
	if d.Title == "" {
		return fmt.Errorf("title: missing")
	}
	if _, ok := c.dims[d.Rows]; !ok {
		return fmt.Errorf("rows: %q is not a dimension (%s)", d.Rows, strings.Join(c.dimNames(), ", "))
	}
	for _, col := range d.Columns {
		if _, ok := c.dims[col]; !ok {
			return fmt.Errorf("columns: %q is not a dimension (%s)", col, strings.Join(c.dimNames(), ", "))
		}
		if col == d.Rows {
			return fmt.Errorf("columns: %q is the rows' dimension too", col)
		}
	}
	switch d.Measure {
	case "":
		if d.From != "" || d.To != "" || d.Within != 0 {
			return fmt.Errorf("from, to and within are for measure: interval")
		}
	case MeasureInterval:
		if len(d.Columns) > 0 {
			return fmt.Errorf("columns: an interval report has its own columns (cases, median, quartiles)")
		}
		if !isDate(d.From) || !isDate(d.To) {
			return fmt.Errorf("from and to: want two date columns (%s)", strings.Join(dateColumns, ", "))
		}
		if d.Within < 0 {
			return fmt.Errorf("within: %d days is negative", d.Within)
		}
	default:
		return fmt.Errorf("measure: %q is not interval", d.Measure)
	}
	switch d.Chart {
	case ChartBar, ChartStacked, ChartLine:
	default:
		return fmt.Errorf("chart: %q is not bar, stacked or line", d.Chart)
	}
	if (d.Chart == ChartStacked || d.Chart == ChartLine) && len(d.Columns) == 0 {
		return fmt.Errorf("chart: a %s chart needs columns", d.Chart)
	}
	if d.Top < 0 || d.ChartRows < 0 {
		return fmt.Errorf("top and chart_rows: want a positive number")
	}
	return nil
}

var dateColumns = []string{"date_of_diagnosis", "date_first_contact", "date_first_treatment", "date_case_completed"}

func isDate(col string) bool { return slices.Contains(dateColumns, col) }

func (c *Catalog) dimNames() []string {
	var out []string
	for n := range c.dims {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Classes are the class of case parameter's values besides all.
func (c *Catalog) Classes() []codeGroup { return c.classes }

// classCodes lists the class of case codes of a class group ("analytic"); ok is false for an
// unknown one.
func (c *Catalog) classCodes(key string) ([]string, bool) {
	for _, g := range c.classes {
		if g.Key == key {
			var out []string
			for _, r := range g.Codes {
				from, to, _ := strings.Cut(r, "-")
				for v := atoi(from); v <= atoi(to); v++ {
					out = append(out, fmt.Sprintf("%02d", v))
				}
			}
			return out, true
		}
	}
	return nil, false
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
