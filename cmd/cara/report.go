package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/release"
	"github.com/cara-registry/cara/internal/reports"
	"github.com/cara-registry/cara/schemas"
)

// cmdReport runs one registry report (schemas/reports) for scheduled runs:
// cara report NAME --facility F --from YEAR --to YEAR --format csv|xlsx|html --out FILE.
func cmdReport(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("report")
	facility := fs.String("facility", "", "facility code (default: every facility)")
	from := fs.Int("from", 0, "first year of diagnosis (default: any)")
	to := fs.Int("to", 0, "last year of diagnosis (default: any)")
	class := fs.String("class", "", "class of case: analytic or nonanalytic (default: all)")
	status := fs.String("status", "", "only the cases in this status (default: all)")
	format := fs.String("format", "csv", "output: csv, xlsx or html")
	out := fs.String("out", "", "file to write (required)")
	suppress := fs.Bool("suppress", false, "small-cell suppression, for a table that leaves the registry: counts of 1 to 10 as <11")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return &helpRequest{name: "report", fs: fs}
		}
		return badArgs(fs, "say which report: cara report NAME (see schemas/reports/reports.yaml)")
	}
	name := args[0]
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	switch {
	case *out == "":
		return badArgs(fs, "--out is required")
	case *format != "csv" && *format != "xlsx" && *format != "html":
		return badArgs(fs, "--format must be csv, xlsx or html, not %s", excerpt.Quote(*format))
	}
	a, err := newApp(ctx, e, "report", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	tables, err := a.cat.codeTables()
	if err != nil {
		return err
	}
	cat, err := reports.Load(schemas.FS, tables)
	if err != nil {
		return err
	}
	scope, fac, err := a.facilityScope(ctx, *facility)
	if err != nil {
		return err
	}
	p := reports.Params{Scope: scope, FromYear: *from, ToYear: *to, Class: *class, Status: *status, FacilityLabel: "All facilities"}
	if fac != nil {
		p.Facility, p.FacilityLabel = fac.ID, fac.Code+" "+fac.Name
	}
	svc := reports.New(cat, a.store)
	var tab *reports.Table
	if *suppress {
		tab, err = release.Publish(ctx, svc, name, p)
	} else {
		tab, err = svc.Run(ctx, name, p)
	}
	var pe *reports.ParamError
	switch {
	case errors.As(err, &pe):
		return badArgs(fs, "--%s: %s", pe.Param, pe.Reason)
	case errors.Is(err, reports.ErrUnknownReport):
		return badArgs(fs, "%v", err)
	case err != nil:
		return fmt.Errorf("report: %w", err)
	}
	o, err := createOutFile(*out)
	if err != nil {
		return fmt.Errorf("report: --out: %w", err)
	}
	switch *format {
	case "csv":
		err = tab.WriteCSV(o.W)
	case "xlsx":
		err = tab.WriteXLSX(o.W)
	default:
		err = reportHTML.Execute(o.W, tab)
	}
	if err != nil {
		o.Abort()
		return fmt.Errorf("report: %w", err)
	}
	if _, err := o.Commit(); err != nil {
		return fmt.Errorf("report: --out: %w", err)
	}
	fmt.Fprintf(stdout, "report %s: %d rows written to %s\n", name, len(tab.Rows), *out)
	return nil
}

// reportHTML is a report as a page of its own, for a scheduled run's mail or intranet.
var reportHTML = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head><body>
<h1>{{.Title}}</h1><p>{{.Description}}</p>
<table><tbody>{{range .ParamRows}}<tr><th scope="row">{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</tbody></table>
<table border="1"><thead><tr><th scope="col">{{.RowTitle}}</th>{{range .Columns}}<th scope="col">{{if .Group}}{{.Group}}: {{end}}{{.Label}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr><th scope="row">{{.Label}}</th>{{$r := .}}{{range $i, $v := .Values}}<td>{{$r.Cell $i}}</td>{{end}}</tr>{{end}}
{{with .Total}}<tr><th scope="row">{{.Label}}</th>{{$r := .}}{{range $i, $v := .Values}}<td>{{$r.Cell $i}}</td>{{end}}</tr>{{end}}</tbody></table>
</body></html>
`))
