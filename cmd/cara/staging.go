package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

// stagingCommand is one command of `cara staging`.
type stagingCommand struct {
	name string
	run  func(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error
}

// stagingCommands are the commands of `cara staging`, in the order the group's messages list
// them; a command is added with one line here (and its lines in the usage).
var stagingCommands = []stagingCommand{
	{"schemas", cmdStagingSchemas},
	{"run", cmdStagingRun},
	{"explain", cmdStagingExplain},
	{"rederive", cmdStagingRederive},
}

func cmdStaging(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	names := make([]string, len(stagingCommands))
	for i, c := range stagingCommands {
		names[i] = c.name
	}
	if len(args) == 0 {
		return badGroupArgs("staging", "say what to do: %s", strings.Join(names, ", "))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "staging"}
	}
	for _, c := range stagingCommands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:], stdout, stderr)
		}
	}
	return badGroupArgs("staging", "unknown command %s (%s)", excerpt.Quote(args[0]), strings.Join(names, ", "))
}

// stagingData loads the embedded staging release for command cmd.
func stagingData(cmd string) (*staging.DataSet, error) {
	var c catalog
	d, err := c.staging()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return d, nil
}

// schemaJSON is one schema of `cara staging schemas --format json`.
type schemaJSON struct {
	ID             string   `json:"id"`
	SchemaID       string   `json:"schemaId"`
	Name           string   `json:"name"`
	Inputs         int      `json:"inputs"`
	Discriminators []string `json:"discriminators"`
}

func cmdStagingSchemas(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("staging schemas")
	format := fs.String("format", "text", "output: text, csv or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch *format {
	case "text", "csv", "json":
	default:
		return badArgs(fs, "--format %s: use text, csv or json", excerpt.Quote(*format))
	}
	d, err := stagingData("staging schemas")
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(d.Schemas))
	for id := range d.Schemas {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	list := make([]schemaJSON, len(ids))
	for i, id := range ids {
		s := d.Schemas[id]
		list[i] = schemaJSON{ID: s.ID, SchemaID: s.SchemaID(), Name: s.Name, Inputs: len(s.Inputs), Discriminators: discriminatorItems(d, s)}
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	case "csv":
		w := csv.NewWriter(stdout)
		_ = w.Write([]string{"id", "schemaId", "name", "inputs", "discriminators"})
		for _, s := range list {
			_ = w.Write([]string{s.ID, s.SchemaID, s.Name, strconv.Itoa(s.Inputs), strings.Join(s.Discriminators, " ")})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSCHEMA ID\tNAME\tINPUTS\tDISCRIMINATORS")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.ID, s.SchemaID, s.Name, s.Inputs, strings.Join(s.Discriminators, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d schemas (%s %s)\n", len(list), d.Algorithm, d.Version)
	return nil
}

// discriminatorItems names a schema's discriminators by the NAACCR items they are read from
// (schemaDiscriminator1), the key itself when no input names one.
func discriminatorItems(d *staging.DataSet, s *staging.Schema) []string {
	out := make([]string, 0, len(s.Discriminators))
	for _, k := range s.Discriminators {
		if id := d.ItemOf(k); id != "" {
			k = id
		}
		out = append(out, k)
	}
	return out
}

// stagingCounts is the summary of `cara staging run`.
type stagingCounts struct {
	tumors, staged, noSchema, needsDiscriminator, needsSiteHist, invalidYear, failedInput, withInvalid int
}

func (c *stagingCounts) add(r *staging.Result, invalid int) {
	c.tumors++
	switch r.Status {
	case staging.Staged:
		c.staged++
	case staging.NoSchema:
		c.noSchema++
	case staging.NeedsInput:
		if len(r.Selection.Candidates) > 0 {
			c.needsDiscriminator++
		} else {
			c.needsSiteHist++
		}
	case staging.InvalidYear:
		c.invalidYear++
	case staging.FailedInput:
		c.failedInput++
	}
	if invalid > 0 {
		c.withInvalid++
	}
}

func (c *stagingCounts) String(elapsed time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d tumors: %d staged, %d no schema, %d needing a discriminator", c.tumors, c.staged, c.noSchema, c.needsDiscriminator)
	for _, x := range []struct {
		n    int
		what string
	}{
		{c.needsSiteHist, "with site or histology blank"},
		{c.invalidYear, "diagnosed outside their schema's years"},
		{c.failedInput, "stopped by an invalid input"},
	} {
		if x.n > 0 {
			fmt.Fprintf(&b, ", %d %s", x.n, x.what)
		}
	}
	fmt.Fprintf(&b, "; %d with invalid inputs", c.withInvalid)
	if s := elapsed.Seconds(); s > 0 {
		fmt.Fprintf(&b, "; %.0f tumors/s", float64(c.tumors)/s)
	}
	return b.String()
}

// invalidInput is an input whose value is not in its schema's table.
type invalidInput struct {
	Item    string `json:"item"`
	Value   string `json:"value"`
	Table   string `json:"table"`
	Message string `json:"message"`
}

// invalidInputs lists the inputs of r that were not valid for its schema.
func invalidInputs(r *staging.Result, out []invalidInput) []invalidInput {
	for _, e := range r.Errors {
		if e.Type == staging.InvalidRequiredInput || e.Type == staging.InvalidNonRequiredInput {
			item := e.Item
			if item == "" {
				item = e.Key
			}
			out = append(out, invalidInput{Item: item, Value: e.Value, Table: e.Table, Message: e.Message})
		}
	}
	return out
}

// tumorJSON is one line of `cara staging run --format json`.
type tumorJSON struct {
	PatientIDNumber string            `json:"patientIdNumber"`
	Tumor           int               `json:"tumor"`
	Status          staging.Status    `json:"status"`
	Schema          string            `json:"schema,omitempty"`
	SchemaID        string            `json:"schemaId"`
	Derived         map[string]string `json:"derived"`
	Needs           []string          `json:"needs,omitempty"`
	InvalidInputs   []invalidInput    `json:"invalidInputs,omitempty"`
	Errors          []string          `json:"errors,omitempty"`
}

// itemPatientIDNumber names the patient in the report [20].
const itemPatientIDNumber = "patientIdNumber"

func cmdStagingRun(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("staging run")
	format := fs.String("format", "csv", "report: csv (a header row, then a row per tumor) or json (an object per tumor, one a line)")
	var rf readFlags
	rf.register(fs)
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return badArgs(fs, "--format %s: use csv or json", excerpt.Quote(*format))
	}
	if fs.NArg() != 1 {
		return badArgs(fs, "name one NAACCR XML file")
	}
	d, err := stagingData("staging run")
	if err != nil {
		return err
	}
	reg, err := rf.registry()
	if err != nil {
		return fmt.Errorf("staging run: %w", err)
	}
	path := fs.Arg(0)
	rd, f, err := openNAACCR(path, reg, rf.relaxed)
	if err != nil {
		return fmt.Errorf("staging run: %s: %w", path, err)
	}
	defer f.Close()

	// The columns after schemaId: every derived item but Schema ID, then the version item.
	var derived []string
	for _, o := range d.DerivedItems() {
		if o.Key != staging.OutputSchemaID {
			derived = append(derived, o.NAACCRXMLID)
		}
	}
	schemaIDItem := abstract.ItemSchemaID
	derived = append(derived, abstract.ItemSchemaIDVersionCurrent)

	bw := bufio.NewWriterSize(stdout, 64<<10)
	cw := csv.NewWriter(bw)
	enc := json.NewEncoder(bw)
	if *format == "csv" {
		header := append([]string{itemPatientIDNumber, "tumor", schemaIDItem}, derived...)
		header = append(header, "invalidInputs", "status")
		if err := cw.Write(header); err != nil {
			return err
		}
	}
	yearCurrent := e.Now().Year()
	var (
		counts  stagingCounts
		p       naaccr.Patient
		row     []string
		invalid []invalidInput
		start   = time.Now()
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("staging run: %s: %w", path, err)
		}
		for i := range p.Tumors {
			r := d.Derive(abstract.RecordOf(p.Items, p.Tumors[i].Items), yearCurrent)
			items := r.Items(d)
			if r.Schema != nil {
				items[abstract.ItemSchemaIDVersionCurrent] = d.Version
			}
			invalid = invalidInputs(r, invalid[:0])
			counts.add(r, len(invalid))
			pid := p.Items[itemPatientIDNumber]
			if *format == "json" {
				j := tumorJSON{PatientIDNumber: pid, Tumor: i + 1, Status: r.Status, SchemaID: items[schemaIDItem], Derived: map[string]string{}, Needs: neededItems(d, r), InvalidInputs: invalid}
				if r.Schema != nil {
					j.Schema = r.Schema.ID
				}
				for _, id := range derived {
					j.Derived[id] = items[id]
				}
				for _, e := range r.Errors {
					if e.Type != staging.InvalidRequiredInput && e.Type != staging.InvalidNonRequiredInput {
						j.Errors = append(j.Errors, e.Message)
					}
				}
				if err := enc.Encode(j); err != nil {
					return err
				}
				continue
			}
			row = append(row[:0], pid, strconv.Itoa(i+1), items[schemaIDItem])
			for _, id := range derived {
				row = append(row, items[id])
			}
			row = append(row, invalidList(invalid), statusText(d, r))
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	elapsed := time.Since(start)
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %s\n", path, counts.String(elapsed))
	return nil
}

// invalidList is the invalid inputs of a tumor as one CSV cell: naaccrId=value, separated by
// spaces ("her2OverallSummary=7 eodMets=55"); a blank value is written naaccrId=.
func invalidList(list []invalidInput) string {
	if len(list) == 0 {
		return ""
	}
	parts := make([]string, len(list))
	for i, in := range list {
		parts[i] = in.Item + "=" + in.Value
	}
	return strings.Join(parts, " ")
}

// statusText is the status column: the status, and the items a tumor that needs input needs.
func statusText(d *staging.DataSet, r *staging.Result) string {
	if r.Status == staging.NeedsInput && len(r.Selection.Needs) > 0 {
		return string(r.Status) + ": " + strings.Join(neededItems(d, r), " ")
	}
	return string(r.Status)
}

// neededItems names the selection keys a tumor needs by their NAACCR items (schemaDiscriminator1).
func neededItems(d *staging.DataSet, r *staging.Result) []string {
	out := make([]string, len(r.Selection.Needs))
	for i, k := range r.Selection.Needs {
		out[i] = k
		if id := d.ItemOf(k); id != "" {
			out[i] = id
		}
	}
	return out
}

// The formats of the explain flags, checked before staging so that a typing mistake is named by
// its flag: ICD-O-3 topography (C504; C50.4 is taken too), histology, behavior, year.
var (
	siteCode     = regexp.MustCompile(`^C[0-9]{3}$`)
	histCode     = regexp.MustCompile(`^[0-9]{4}$`)
	behaviorCode = regexp.MustCompile(`^[0-9]$`)
	yearCode     = regexp.MustCompile(`^[0-9]{4}$`)
)

// The items the explain flags fill.
const (
	itemPrimarySite     = "primarySite"
	itemHistology       = "histologicTypeIcdO3"
	itemBehavior        = "behaviorCodeIcdO3"
	itemDateOfDiagnosis = "dateOfDiagnosis"
)

// explainJSON is `cara staging explain --format json`.
type explainJSON struct {
	Status      staging.Status    `json:"status"`
	Schema      string            `json:"schema,omitempty"`
	SchemaName  string            `json:"schemaName,omitempty"`
	SchemaID    string            `json:"schemaId,omitempty"`
	Why         string            `json:"why"`
	Needs       []string          `json:"needs,omitempty"`
	Candidates  []string          `json:"candidates,omitempty"`
	Inputs      []explainInput    `json:"inputs,omitempty"`
	Tables      []explainStep     `json:"tables,omitempty"`
	Derived     map[string]string `json:"derived,omitempty"`
	Errors      []explainError    `json:"errors,omitempty"`
	NotInSchema []string          `json:"notInSchema,omitempty"`
}

// explainError is one staging error: its type, the input or output and item, value and table.
type explainError struct {
	Type    staging.ErrorType `json:"type"`
	Key     string            `json:"key,omitempty"`
	Item    string            `json:"item,omitempty"`
	Value   string            `json:"value,omitempty"`
	Table   string            `json:"table,omitempty"`
	Message string            `json:"message"`
}

type explainInput struct {
	Key            string `json:"key"`
	Name           string `json:"name"`
	Item           string `json:"item"`
	Number         int    `json:"number"`
	Value          string `json:"value"`
	Default        bool   `json:"default,omitempty"`
	UsedForStaging bool   `json:"usedForStaging,omitempty"`
}

type explainStep struct {
	Mapping string `json:"mapping"`
	Table   string `json:"table"`
	Title   string `json:"title"`
	Row     int    `json:"row"`
	// Meaning is the row's description cells: what the matched codes mean.
	Meaning string   `json:"meaning,omitempty"`
	Inputs  []string `json:"inputs"`
	Results []string `json:"results"`
}

func cmdStagingExplain(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("staging explain")
	site := fs.String("site", "", "Primary Site [400], ICD-O-3 topography (C504)")
	hist := fs.String("hist", "", "Histologic Type ICD-O-3 [522] (8500)")
	behavior := fs.String("behavior", "", "Behavior Code ICD-O-3 [523] (3)")
	year := fs.String("year", "", "year of diagnosis (default: blank, the current version of each schema)")
	var extra stringList
	fs.Var(&extra, "item", "another input, `naaccrId=value` (eodPrimaryTumor=100); may be repeated")
	format := fs.String("format", "text", "output: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return badArgs(fs, "--format %s: use text or json", excerpt.Quote(*format))
	}
	*site = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(*site), ".", ""))
	for _, c := range []struct {
		flag, value, want string
		re                *regexp.Regexp
		required          bool
	}{
		{"--site", *site, "an ICD-O-3 topography code such as C504", siteCode, true},
		{"--hist", strings.TrimSpace(*hist), "four digits such as 8500", histCode, true},
		{"--behavior", strings.TrimSpace(*behavior), "one digit such as 3", behaviorCode, false},
		{"--year", strings.TrimSpace(*year), "four digits such as 2024", yearCode, false},
	} {
		switch {
		case c.value == "" && c.required:
			return badArgs(fs, "%s is required", c.flag)
		case c.value != "" && !c.re.MatchString(c.value):
			return badArgs(fs, "%s %s: use %s", c.flag, excerpt.Quote(c.value), c.want)
		}
	}
	var cat catalog
	dict, err := cat.dictionary()
	if err != nil {
		return fmt.Errorf("staging explain: %w", err)
	}
	tumor := map[string]string{itemPrimarySite: *site, itemHistology: strings.TrimSpace(*hist)}
	if v := strings.TrimSpace(*behavior); v != "" {
		tumor[itemBehavior] = v
	}
	if v := strings.TrimSpace(*year); v != "" {
		tumor[itemDateOfDiagnosis] = v
	}
	flagOf := map[string]string{itemPrimarySite: "--site", itemHistology: "--hist", itemBehavior: "--behavior", itemDateOfDiagnosis: "--year"}
	var given []string
	for _, kv := range extra {
		id, v, ok := strings.Cut(kv, "=")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			return badArgs(fs, "--item %s: write naaccrId=value, e.g. eodPrimaryTumor=100", excerpt.Quote(kv))
		}
		if _, ok := dict.Item(id); !ok {
			return badArgs(fs, "--item %s: %s is not a NAACCR item (give its naaccrId, e.g. eodPrimaryTumor)", excerpt.Quote(kv), excerpt.Quote(id))
		}
		if f, ok := flagOf[id]; ok {
			return badArgs(fs, "--item %s: give %s with %s", excerpt.Quote(kv), id, f)
		}
		if _, dup := tumor[id]; dup {
			return badArgs(fs, "--item %s: %s is given twice", excerpt.Quote(kv), id)
		}
		tumor[id] = strings.TrimSpace(v)
		given = append(given, id)
	}
	d, err := stagingData("staging explain")
	if err != nil {
		return err
	}
	rec := abstract.RecordOf(nil, tumor)
	r := d.Stage(rec, e.Now().Year())
	values := d.SelectionValues(rec)
	nameOf := func(key string) string {
		id := d.ItemOf(key)
		if def, ok := dict.Item(id); ok {
			return fmt.Sprintf("%s [%d]", def.Name, def.Number)
		}
		if id != "" {
			return id
		}
		return key
	}
	if r.Selection.Invalid != "" {
		f := flagOf[d.ItemOf(r.Selection.Invalid)]
		if f == "" {
			f = r.Selection.Invalid
		}
		return badArgs(fs, "%s %s: not a valid %s code, so no schema", f, excerpt.Quote(values[r.Selection.Invalid]), nameOf(r.Selection.Invalid))
	}
	x := explainJSON{Status: r.Status, Why: r.Selection.Describe(values, nameOf)}
	for _, e := range r.Errors {
		x.Errors = append(x.Errors, explainError{Type: e.Type, Key: e.Key, Item: e.Item, Value: e.Value, Table: e.Table, Message: e.Message})
	}
	for _, s := range r.Selection.Candidates {
		x.Candidates = append(x.Candidates, s.ID)
	}
	x.Needs = neededItems(d, r)
	if s := r.Schema; s != nil {
		x.Schema, x.SchemaName, x.SchemaID = s.ID, s.Name, s.SchemaID()
		inSchema := map[string]bool{}
		for _, in := range s.Inputs {
			inSchema[in.NAACCRXMLID] = true
			v := r.Inputs[in.Key]
			x.Inputs = append(x.Inputs, explainInput{Key: in.Key, Name: in.Name, Item: in.NAACCRXMLID, Number: in.NAACCRItem, Value: v,
				Default: strings.TrimSpace(rec(in.NAACCRXMLID)) == "" && in.Default != nil && v != "", UsedForStaging: in.UsedForStaging})
		}
		for _, id := range given {
			if !inSchema[id] {
				x.NotInSchema = append(x.NotInSchema, id)
			}
		}
		for _, st := range r.Path {
			title, meaning := "", ""
			if t := d.Tables[st.Table]; t != nil {
				title, meaning = t.Title, rowMeaning(t, st.Row)
			}
			x.Tables = append(x.Tables, explainStep{Mapping: st.Mapping, Table: st.Table, Title: title, Row: st.Row, Meaning: meaning, Inputs: st.Inputs, Results: st.Results})
		}
		x.Derived = map[string]string{abstract.ItemSchemaIDVersionCurrent: d.Version}
		for id, v := range r.Items(d) {
			if v != "" {
				x.Derived[id] = v
			}
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(x); err != nil {
			return err
		}
	} else {
		writeExplain(stdout, d, r, x, nameOf)
	}
	if r.Status != staging.Staged {
		return fmt.Errorf("staging explain: not staged (%s): %w", r.Status, errProblems)
	}
	return nil
}

// writeExplain prints an explanation for a registrar: the schema and why, the inputs as staged,
// each table walked with its row, what was derived, and the errors.
func writeExplain(w io.Writer, d *staging.DataSet, r *staging.Result, x explainJSON, nameOf func(string) string) {
	if r.Schema == nil {
		fmt.Fprintf(w, "No schema: %s\n", x.Why)
		if len(x.Candidates) > 0 {
			fmt.Fprintf(w, "Candidates: %s\n", strings.Join(x.Candidates, ", "))
			for _, k := range r.Selection.Needs {
				if item := d.ItemOf(k); item != "" {
					fmt.Fprintf(w, "Give %s with --item %s=CODE", nameOf(k), item)
					if codes := selectionCodes(d, r.Selection.Candidates, k); codes != "" {
						fmt.Fprintf(w, " (%s)", codes)
					}
					fmt.Fprintln(w)
				}
			}
		}
		return
	}
	s := r.Schema
	fmt.Fprintf(w, "Schema:  %s (%s), Schema ID %s, %s %s\n", s.Name, s.ID, x.SchemaID, d.Algorithm, d.Version)
	fmt.Fprintf(w, "Why:     %s (table %s)\n", x.Why, s.SelectionTable)
	fmt.Fprintf(w, "Status:  %s\n", r.Status)

	fmt.Fprintln(w, "\nInputs as staged (* the schema's default for a blank item; S used for staging):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, in := range x.Inputs {
		mark := ""
		if in.UsedForStaging {
			mark = "S"
		}
		v := in.Value
		if v == "" {
			v = "(blank)"
		}
		if in.Default {
			v += " *"
		}
		fmt.Fprintf(tw, "  %s\t%s [%d]\t%s\t%s\n", mark, in.Name, in.Number, in.Item, v)
	}
	tw.Flush()
	if len(x.NotInSchema) > 0 {
		fmt.Fprintf(w, "  not inputs of %s, not used: %s\n", s.Name, strings.Join(x.NotInSchema, ", "))
	}

	fmt.Fprintln(w, "\nTables walked:")
	for i, st := range x.Tables {
		row := "no row matched"
		if st.Row > 0 {
			row = fmt.Sprintf("row %d", st.Row)
		}
		fmt.Fprintf(w, "  %d. %s (%s), %s\n", i+1, st.Table, st.Title, row)
		fmt.Fprintf(w, "     with %s\n", strings.Join(st.Inputs, ", "))
		if st.Meaning != "" {
			fmt.Fprintf(w, "     means %s\n", clipText(st.Meaning, 240))
		}
		if len(st.Results) > 0 {
			fmt.Fprintf(w, "     gives %s\n", strings.Join(st.Results, ", "))
		}
	}

	fmt.Fprintln(w, "\nDerived:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	items := r.Items(d)
	for _, o := range d.DerivedItems() {
		if _, ok := items[o.NAACCRXMLID]; !ok || !hasOutput(s, o.Key) {
			continue
		}
		v := items[o.NAACCRXMLID]
		if v == "" {
			v = "(blank)"
		}
		fmt.Fprintf(tw, "  %s [%d]\t%s\t%s\n", o.Name, o.NAACCRItem, o.NAACCRXMLID, v)
	}
	fmt.Fprintf(tw, "  Schema ID Version Current\t%s\t%s\n", abstract.ItemSchemaIDVersionCurrent, d.Version)
	tw.Flush()

	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "\nErrors: none")
		return
	}
	fmt.Fprintln(w, "\nErrors:")
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  %s: %s\n", e.Type, e.Message)
		if e.Type == staging.InvalidRequiredInput || e.Type == staging.InvalidNonRequiredInput {
			if codes := inputCodes(d, s, e.Key); codes != "" {
				fmt.Fprintf(w, "    valid codes: %s\n", codes)
			}
		}
	}
}

// rowMeaning is the description cells of a table's row (1-based), "" for none.
func rowMeaning(t *staging.Table, row int) string {
	if row < 1 || row > len(t.RawRows) {
		return ""
	}
	var parts []string
	for i, c := range t.Definition {
		if c.Type == staging.ColumnDescription && i < len(t.RawRows[row-1]) {
			if v := strings.Join(strings.Fields(t.RawRows[row-1][i]), " "); v != "" {
				parts = append(parts, v)
			}
		}
	}
	return strings.Join(parts, "; ")
}

// clipText is s with its spaces and line breaks made single spaces, cut to at most n characters.
func clipText(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-3]) + "..."
}

func hasOutput(s *staging.Schema, key string) bool {
	for _, o := range s.Outputs {
		if o.Key == key {
			return true
		}
	}
	return false
}

// inputCodes lists the codes of a schema input's table, to name the fix of an invalid value.
func inputCodes(d *staging.DataSet, s *staging.Schema, key string) string {
	for _, in := range s.Inputs {
		if in.Key == key {
			return codeList(d.Codes(in))
		}
	}
	return ""
}

// selectionCodes lists the codes of selection key k in the first candidate schema that has it
// as an input: the values a discriminator can take.
func selectionCodes(d *staging.DataSet, candidates []*staging.Schema, k string) string {
	for _, s := range candidates {
		if c := inputCodes(d, s, k); c != "" {
			return c
		}
	}
	return ""
}

// codeList writes codes as "1 (meaning), 2 (meaning)", cut short for a long table.
func codeList(codes []staging.Code) string {
	const most = 12
	parts := make([]string, 0, min(len(codes), most))
	for i, c := range codes {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(codes)-most))
			break
		}
		v := c.Value
		if v == "" {
			v = "(blank)"
		}
		if c.Description != "" {
			v += " " + strconv.Quote(clipText(c.Description, 60))
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ", ")
}
