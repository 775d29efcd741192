package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

func cmdEdits(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("edits: say what to do: run or list: %w", errUsage)
	}
	switch args[0] {
	case "run":
		return cmdEditsRun(ctx, e, args[1:], stdout)
	case "list":
		return cmdEditsList(args[1:], stdout)
	}
	return fmt.Errorf("edits: unknown command %q (run, list): %w", args[0], errUsage)
}

// loadEdits compiles the embedded edit set against the current dictionary.
func loadEdits() (*edits.Set, *catalog, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, nil, err
	}
	return cat.Edits, cat, nil
}

func cmdEditsList(args []string, stdout io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("edits list", flag.ContinueOnError), args); err != nil {
		return err
	}
	set, _, err := loadEdits()
	if err != nil {
		return err
	}
	for _, ed := range set.Edits {
		fmt.Fprintf(stdout, "%-40s %-7s %-7s %s [%s]\n", ed.ID, ed.Severity, ed.Level, ed.Name, strings.Join(ed.Items, ", "))
	}
	fmt.Fprintf(stdout, "%d edits\n", len(set.Edits))
	return nil
}

// failure is one line of a batch report.
type failure struct {
	Patient         int      `json:"patient"`
	Tumor           int      `json:"tumor"`
	PatientIDNumber string   `json:"patientIdNumber"`
	Edit            string   `json:"edit"`
	Severity        string   `json:"severity"`
	Items           []string `json:"items"`
	Message         string   `json:"message"`
}

// editSummary counts the failures of one edit.
type editSummary struct {
	ID, Name string
	Severity string
	Count    int
	Examples []failure // the first few, for the HTML drill-down
}

const maxExamplesPerEdit = 200

func cmdEditsRun(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("edits run", flag.ContinueOnError)
	format := fs.String("format", "text", "report format: text, csv, json or html")
	out := fs.String("out", "-", "report file; - for standard output")
	workers := fs.Int("workers", 0, "goroutines running edits (default: one per core)")
	useStore := fs.Bool("store", false, "run over the cases in the database and update their edit counts")
	facility := fs.String("facility", "", "with --store: only this facility's cases")
	var rf readFlags
	rf.register(fs)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("edits run: %v: %w", err, errUsage)
	}
	switch *format {
	case "text", "csv", "json", "html":
	default:
		return fmt.Errorf("edits run: --format %q: use text, csv, json or html: %w", *format, errUsage)
	}
	if *workers < 0 || *workers > 256 {
		return fmt.Errorf("edits run: --workers %d: use 1 to 256: %w", *workers, errUsage)
	}
	if *useStore {
		if fs.NArg() != 0 {
			return fmt.Errorf("edits run: --store reads the database, not a file: %w", errUsage)
		}
		return runEditsOnStore(ctx, e, *facility, stdout)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("edits run: name one NAACCR XML file: %w", errUsage)
	}
	set, _, err := loadEdits()
	if err != nil {
		return err
	}
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	path := fs.Arg(0)
	rd, f, err := openNAACCR(path, reg, rf.relaxed)
	if err != nil {
		return fmt.Errorf("edits run: %s: %w", path, err)
	}
	defer f.Close()
	if v := rd.Info().Schema.Base.NaaccrVersion; v != naaccr.CurrentVersion {
		return fmt.Errorf("edits run: %s is NAACCR version %s; the edits are written for %s (convert it first: cara naaccr convert --to %s)", path, v, naaccr.CurrentVersion, naaccr.CurrentVersion)
	}

	var w io.Writer = stdout
	var of *outFile
	if *out != "-" {
		if of, err = createOutFile(*out); err != nil {
			return fmt.Errorf("edits run: %w", err)
		}
		w = of.W
	}
	rep := newBatchReport(set, *format, w, path)
	runErr := set.RunReader(ctx, rd, edits.BatchOptions{Workers: *workers}, rep.add)
	if runErr == nil {
		runErr = rep.finish()
	}
	if of != nil {
		if runErr != nil {
			of.Abort()
		} else if _, err := of.Commit(); err != nil {
			return fmt.Errorf("edits run: %w", err)
		}
	}
	if runErr != nil {
		return fmt.Errorf("edits run: %s: %w", path, runErr)
	}
	if rep.errors > 0 {
		return fmt.Errorf("%d error-severity failures in %s: %w", rep.errors, path, errProblems)
	}
	return nil
}

// batchReport writes text, CSV and JSON lines as failures come, and keeps only counts (and a
// bounded number of examples for HTML), so a report of a huge file needs little memory.
type batchReport struct {
	format   string
	w        io.Writer
	file     string
	csv      *csv.Writer
	enc      *json.Encoder
	byEdit   map[string]*editSummary
	set      *edits.Set
	patients int
	tumors   int
	failed   int // tumors (or patients) with at least one error
	errors   int
	warnings int
}

func newBatchReport(set *edits.Set, format string, w io.Writer, file string) *batchReport {
	r := &batchReport{format: format, w: w, file: file, set: set, byEdit: map[string]*editSummary{}}
	for _, ed := range set.Edits {
		r.byEdit[ed.ID] = &editSummary{ID: ed.ID, Name: ed.Name, Severity: string(ed.Severity)}
	}
	switch format {
	case "csv":
		r.csv = csv.NewWriter(w)
		_ = r.csv.Write([]string{"patient", "tumor", "patientIdNumber", "edit", "severity", "items", "message"})
	case "json":
		r.enc = json.NewEncoder(w)
	}
	return r
}

func (r *batchReport) add(pr *edits.PatientResult) error {
	r.patients++
	r.tumors += len(pr.Patient.Tumors)
	bad := map[int]bool{}
	emit := func(f failure) error {
		sum := r.byEdit[f.Edit]
		if sum == nil {
			sum = &editSummary{ID: f.Edit, Name: f.Edit, Severity: f.Severity}
			r.byEdit[f.Edit] = sum
		}
		sum.Count++
		if f.Severity == string(edits.SeverityError) {
			r.errors++
			bad[f.Tumor] = true
		} else {
			r.warnings++
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
			if len(sum.Examples) < maxExamplesPerEdit {
				sum.Examples = append(sum.Examples, f)
			}
		}
		return nil
	}
	pid := pr.Patient.Items["patientIdNumber"]
	for _, p := range pr.Problems {
		tumor := p.Tumor - 1
		if err := emit(failure{Patient: pr.Index, Tumor: tumor, PatientIDNumber: pid, Edit: "xml." + p.Code, Severity: "error", Items: []string{p.Item}, Message: p.Message}); err != nil {
			return err
		}
	}
	for _, res := range pr.Results {
		if err := emit(failure{Patient: pr.Index, Tumor: res.Tumor, PatientIDNumber: pid, Edit: res.EditID, Severity: string(res.Severity), Items: res.Items, Message: res.Message}); err != nil {
			return err
		}
	}
	r.failed += len(bad)
	return nil
}

func (r *batchReport) summaries() []*editSummary {
	var list []*editSummary
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

func (r *batchReport) finish() error {
	switch r.format {
	case "text":
		fmt.Fprintf(r.w, "\n%s: %d patients, %d tumors; %d error and %d warning failures; %d records with errors\n", r.file, r.patients, r.tumors, r.errors, r.warnings, r.failed)
		for _, s := range r.summaries() {
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
<h2>Failures by edit</h2>
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

func (r *batchReport) writeHTML() error {
	list := r.summaries()
	mx := 0
	for _, s := range list {
		mx = max(mx, s.Count)
	}
	return reportTemplate.Execute(r.w, map[string]any{
		"File": r.file, "Patients": r.patients, "Tumors": r.tumors, "Errors": r.errors,
		"Warnings": r.warnings, "Failed": r.failed, "Edits": list, "Max": mx,
	})
}

// runEditsOnStore runs the edits over stored cases and updates each tumor's counts.
func runEditsOnStore(ctx context.Context, e env, facility string, stdout io.Writer) error {
	set, _, err := loadEdits()
	if err != nil {
		return err
	}
	s, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	scope := store.AllFacilities
	if facility != "" {
		f, err := s.FacilityByCode(ctx, facility)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("edits run: --facility: no facility with code %q", facility)
		}
		if err != nil {
			return err
		}
		scope = store.FacilityScope(f.ID)
	}
	tumors, withError, err := updateEditCounts(ctx, s, set, scope)
	if err != nil {
		return fmt.Errorf("edits run --store: %w", err)
	}
	fmt.Fprintf(stdout, "ran %d edits on %d tumors: %d with error-severity failures; counts updated\n", len(set.Edits), tumors, withError)
	return nil
}

// updateEditCounts runs the edits over the stored cases in scope and stores each tumor's error
// and warning counts; it returns how many tumors it saw and how many fail an error edit.
func updateEditCounts(ctx context.Context, s *store.Store, set *edits.Set, scope store.Scope) (tumors, withError int, err error) {
	r := set.NewRunner()
	var (
		counts []store.EditCounts
	)
	flush := func() error {
		if err := s.UpdateEditCounts(ctx, counts); err != nil {
			return err
		}
		counts = counts[:0]
		return nil
	}
	err = s.EachPatient(ctx, store.PatientFilter{Scope: scope}, 500, func(sp *store.Patient, ts []store.Tumor) error {
		p := naaccr.Patient{Items: sp.Items}
		for _, t := range ts {
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: t.Items})
		}
		res, err := r.Patient(&p, nil)
		if err != nil {
			return err
		}
		for i, t := range ts {
			c := store.EditCounts{TumorID: t.ID}
			for _, x := range res {
				if x.Tumor == i || x.Tumor == -1 {
					if x.Severity == edits.SeverityError {
						c.Errors++
					} else {
						c.Warnings++
					}
				}
			}
			if c.Errors > 0 {
				withError++
			}
			tumors++
			counts = append(counts, c)
		}
		if len(counts) >= 500 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return tumors, withError, err
}
