package edits

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/cara-registry/cara/internal/csvsafe"
)

// Failure is one line of a batch report: one edit failed by one record.
type Failure struct {
	Patient         int      `json:"patient"`
	Tumor           int      `json:"tumor"`
	PatientIDNumber string   `json:"patientIdNumber"`
	Edit            string   `json:"edit"`
	Severity        string   `json:"severity"`
	Items           []string `json:"items"`
	Message         string   `json:"message"`
}

// EditSummary counts the failures of one edit.
type EditSummary struct {
	ID, Name string
	Severity string
	Count    int
	Examples []Failure // the first few, for the HTML drill-down
}

// MaxExamplesPerEdit bounds the failures of one edit an HTML report lists.
const MaxExamplesPerEdit = 200

// Report writes text, CSV and JSON lines as failures come, and keeps only counts (and a
// bounded number of examples for HTML), so a report of a huge file needs little memory.
type Report struct {
	format   string
	w        io.Writer
	file     string
	csv      *csvsafe.Writer
	enc      *json.Encoder
	byEdit   map[string]*EditSummary
	set      *Set
	patients int
	tumors   int
	failed   int // tumors (or patients) with at least one error
	Errors   int // error-severity failures so far
	Warnings int // warning-severity failures so far
}

// NewReport starts a report in format text, csv, json or html for the named file.
func NewReport(set *Set, format string, w io.Writer, file string) *Report {
	r := &Report{format: format, w: w, file: file, set: set, byEdit: map[string]*EditSummary{}}
	for _, ed := range set.Edits {
		r.byEdit[ed.ID] = &EditSummary{ID: ed.ID, Name: ed.Name, Severity: string(ed.Severity)}
	}
	switch format {
	case "csv":
		r.csv = csvsafe.NewWriter(w)
		_ = r.csv.Write([]string{"patient", "tumor", "patientIdNumber", "edit", "severity", "items", "message"})
	case "json":
		r.enc = json.NewEncoder(w)
	}
	return r
}

// Add adds one patient's results; it is the callback of RunReader.
func (r *Report) Add(pr *PatientResult) error {
	r.patients++
	r.tumors += len(pr.Patient.Tumors)
	bad := map[int]bool{}
	emit := func(f Failure) error {
		sum := r.byEdit[f.Edit]
		if sum == nil {
			sum = &EditSummary{ID: f.Edit, Name: r.set.Name(f.Edit), Severity: f.Severity}
			r.byEdit[f.Edit] = sum
		}
		sum.Count++
		if f.Severity == string(SeverityError) {
			r.Errors++
			bad[f.Tumor] = true
		} else {
			r.Warnings++
		}
		switch r.format {
		case "text":
			tumor := "patient"
			if f.Tumor >= 0 {
				tumor = "tumor " + strconv.Itoa(f.Tumor)
			}
			_, err := fmt.Fprintf(r.w, "patient %d (%s), %s: %s %s: %s\n", f.Patient, f.PatientIDNumber, tumor, f.Severity, f.Edit, f.Message)
			return err
		case "csv":
			return r.csv.Write([]string{strconv.Itoa(f.Patient), strconv.Itoa(f.Tumor), f.PatientIDNumber, f.Edit, f.Severity, strings.Join(f.Items, " "), f.Message})
		case "json":
			return r.enc.Encode(f)
		case "html":
			if len(sum.Examples) < MaxExamplesPerEdit {
				sum.Examples = append(sum.Examples, f)
			}
		}
		return nil
	}
	pid := pr.Patient.Items["patientIdNumber"]
	for _, p := range pr.Problems {
		tumor := p.Tumor - 1
		if err := emit(Failure{Patient: pr.Index, Tumor: tumor, PatientIDNumber: pid, Edit: "xml." + p.Code, Severity: "error", Items: []string{p.Item}, Message: p.Message}); err != nil {
			return err
		}
	}
	for _, res := range pr.Results {
		if err := emit(Failure{Patient: pr.Index, Tumor: res.Tumor, PatientIDNumber: pid, Edit: res.EditID, Severity: string(res.Severity), Items: res.Items, Message: res.Message}); err != nil {
			return err
		}
	}
	r.failed += len(bad)
	return nil
}

// Summaries are the edits that failed, most failures first.
func (r *Report) Summaries() []*EditSummary {
	var list []*EditSummary
	for _, s := range r.byEdit {
		if s.Count > 0 {
			list = append(list, s)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Count != list[j].Count {
			return list[i].Count > list[j].Count
		}
		return list[i].ID < list[j].ID
	})
	return list
}

// Finish writes the summary (text), flushes (csv) or writes the page (html).
func (r *Report) Finish() error {
	switch r.format {
	case "text":
		fmt.Fprintf(r.w, "\n%s: %d patients, %d tumors; %d error and %d warning failures; %d records with errors\n", r.file, r.patients, r.tumors, r.Errors, r.Warnings, r.failed)
		for _, s := range r.Summaries() {
			fmt.Fprintf(r.w, "  %6d  %-7s  %-40s %s\n", s.Count, s.Severity, s.ID, s.Name)
		}
		return nil
	case "csv":
		r.csv.Flush()
		return r.csv.Error()
	case "json":
		return nil
	}
	return r.writeHTML()
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(n, max int) int {
		if max == 0 {
			return 0
		}
		return 100 * n / max
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Edit report: {{.File}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2430}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}
.bar{display:inline-block;height:.8rem;background:#1f5f99}.bar.warning{background:#b07d12}
details{margin:.3rem 0}summary{cursor:pointer}.num{text-align:right}
</style></head><body>
<h1>Edit report</h1>
<p><strong>{{.File}}</strong>: {{.Patients}} patients, {{.Tumors}} tumors.
{{.Errors}} error and {{.Warnings}} warning failures; {{.Failed}} records with errors.</p>
{{range .Notes}}<p>{{.}}</p>
{{end}}<h2>Failures by edit</h2>
<table><thead><tr><th>Edit</th><th>Severity</th><th class="num">Failures</th><th></th></tr></thead><tbody>
{{range .Edits}}<tr><td><a href="#{{.ID}}">{{.ID}}</a><br><small>{{.Name}}</small></td><td>{{.Severity}}</td><td class="num">{{.Count}}</td>
<td><span class="bar {{.Severity}}" style="width:{{pct .Count $.Max}}px"></span></td></tr>
{{end}}</tbody></table>
<h2>Failures</h2>
{{range .Edits}}<details id="{{.ID}}"><summary>{{.ID}}: {{.Count}} failures{{if gt .Count (len .Examples)}} (first {{len .Examples}} shown){{end}}</summary>
<table><thead><tr><th>Patient</th><th>Tumor</th><th>Patient ID</th><th>Message</th></tr></thead><tbody>
{{range .Examples}}<tr><td>{{.Patient}}</td><td>{{if ge .Tumor 0}}{{.Tumor}}{{end}}</td><td>{{.PatientIDNumber}}</td><td>{{.Message}}</td></tr>
{{end}}</tbody></table></details>
{{end}}
</body></html>
`))

func (r *Report) writeHTML() error {
	list := r.Summaries()
	return WriteHTMLReport(r.w, HTMLReport{
		File: r.file, Patients: r.patients, Tumors: r.tumors, Errors: r.Errors,
		Warnings: r.Warnings, Failed: r.failed, Edits: list,
	})
}

// HTMLReport is what the HTML edit report shows. Edits are listed in the order given, each with
// its examples; Notes are extra lines under the summary (for example, that a list was capped).
type HTMLReport struct {
	File                     string
	Patients, Tumors         int
	Errors, Warnings, Failed int
	Edits                    []*EditSummary
	Notes                    []string
}

// WriteHTMLReport writes the self-contained HTML page of a batch edit report.
func WriteHTMLReport(w io.Writer, rep HTMLReport) error {
	mx := 0
	for _, s := range rep.Edits {
		mx = max(mx, s.Count)
	}
	return reportTemplate.Execute(w, struct {
		HTMLReport
		Max int
	}{rep, mx})
}
