package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/csvsafe"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/followup"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

func cmdFollowUp(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("followup", "say due, rate, deaths or letters")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "followup"}
	case "due":
		return cmdFollowUpDue(ctx, e, args[1:], stdout)
	case "rate":
		return cmdFollowUpRate(ctx, e, args[1:], stdout)
	case "deaths":
		return cmdFollowUpDeaths(ctx, e, args[1:], stdout)
	case "letters":
		return cmdFollowUpLetters(ctx, e, args[1:], stdout)
	}
	return badGroupArgs("followup", "unknown subcommand %s", excerpt.Quote(args[0]))
}

// followUpApp opens the store and the follow-up service of a command, with the facility its
// --facility flag names.
func followUpApp(ctx context.Context, e env, cmd, facility string, recorder bool) (*app, *followup.Service, *store.Facility, error) {
	a, err := newApp(ctx, e, cmd, withStore)
	if err != nil {
		return nil, nil, nil, err
	}
	fac, err := a.facility(ctx, facility)
	if err != nil {
		a.Close()
		return nil, nil, nil, err
	}
	groups, err := codes.LoadSiteGroups(schemas.FS)
	if err != nil {
		a.Close()
		return nil, nil, nil, err
	}
	tables, err := a.cat.codeTables()
	if err != nil {
		a.Close()
		return nil, nil, nil, err
	}
	var rec followup.Recorder
	if recorder {
		if rec, err = a.followUpRecorder(); err != nil {
			a.Close()
			return nil, nil, nil, err
		}
	}
	return a, followup.New(a.store, rec, groups, tables, followup.Options{Now: e.Now}), fac, nil
}

// cliActor is a command-line job's actor: every facility, no user.
func cliActor() followup.Actor {
	return followup.Actor{Role: auth.RoleAdmin, Scope: store.AllFacilities, RemoteAddr: "cli"}
}

func cmdFollowUpDue(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("followup due")
	facility := fs.String("facility", "", "facility code (required)")
	format := fs.String("format", "text", "output: text or csv")
	month := fs.String("month", "", "only the cases falling due in this month (CCYYMM)")
	lost := fs.Bool("lost", false, "only the cases lost to follow-up (last contact more than 15 months ago)")
	physician := fs.String("physician", "", "only the cases of this follow-up physician (#2470)")
	site := fs.String("site-group", "", "only the cases of this site group (schemas/forms/site-groups.csv)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *facility == "" {
		return badArgs(fs, "--facility is required")
	}
	if *format != "text" && *format != "csv" {
		return badArgs(fs, "--format must be text or csv, not %s", excerpt.Quote(*format))
	}
	a, svc, fac, err := followUpApp(ctx, e, "followup due", *facility, false)
	if err != nil {
		return err
	}
	defer a.Close()
	q := followup.DueQuery{Scope: store.FacilityScope(fac.ID), Month: *month, Lost: *lost, Physician: *physician, SiteGroup: *site, Limit: 5000}
	var rows []followup.Due
	var total int64
	for {
		list, err := svc.Due(ctx, cliActor(), q)
		if err != nil {
			return fmt.Errorf("followup due: %w", err)
		}
		rows, total = append(rows, list.Rows...), list.Total
		if len(list.Rows) == 0 || int64(len(rows)) >= total {
			break
		}
		q.Offset = len(rows)
	}
	header := []string{"tumor_id", "patient_id", "mrn", "last_name", "first_name", "site", "class_of_case", "date_of_last_contact", "due", "months", "lost", "physician", "next_source", "contact"}
	record := func(d followup.Due) []string {
		return []string{fmt.Sprint(d.TumorID), fmt.Sprint(d.PatientID), d.MedicalRecordNumber, d.NameLast, d.NameFirst, d.PrimarySite,
			d.ClassOfCase, d.LastContact, d.DueDate, fmt.Sprint(d.MonthsSince), fmt.Sprint(d.Lost), d.PhysicianFollowUp, d.NextSource, d.Contact}
	}
	if *format == "csv" {
		w := csvsafe.NewWriter(stdout)
		w.Write(header)
		for _, d := range rows {
			w.Write(record(d))
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, d := range rows {
		fmt.Fprintln(tw, strings.Join(record(d), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d cases due for follow-up at %s\n", total, fac.Code)
	return nil
}

func cmdFollowUpRate(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("followup rate")
	facility := fs.String("facility", "", "facility code (required)")
	ref := fs.String("reference-date", "", "the registry's reference date (CCYYMMDD); default: every case")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *facility == "" {
		return badArgs(fs, "--facility is required")
	}
	a, svc, fac, err := followUpApp(ctx, e, "followup rate", *facility, false)
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := svc.Rate(ctx, cliActor(), store.FacilityScope(fac.ID), *ref)
	if err != nil {
		return fmt.Errorf("followup rate: %w", err)
	}
	fmt.Fprintf(stdout, "Follow-up rate of %s as of %s\n", fac.Code, rep.AsOf)
	for _, part := range []struct {
		title string
		r     followup.Rate
	}{{"Since the reference date", rep.All}, {"Last five years", rep.FiveYears}} {
		r := part.r
		from := r.From
		if from == "" {
			from = "the first case"
		}
		fmt.Fprintf(stdout, "\n%s (diagnosed from %s): target %.0f%%\n", part.title, from, r.Target*100)
		fmt.Fprintf(stdout, "  cases                      %7d\n", r.Cases)
		for _, reason := range followup.ExclusionOrder {
			if n := r.Excluded[reason]; n > 0 {
				fmt.Fprintf(stdout, "  less                       %7d  %s\n", n, followup.ExclusionLabel(reason))
			}
		}
		fmt.Fprintf(stdout, "  A followed cases           %7d\n  B dead                     %7d\n  D alive, current (15 mo.) %7d\n  E lost to follow-up        %7d\n",
			r.Followed, r.Dead, r.Current, r.Lost)
		met := "meets"
		if !r.Met() {
			met = "BELOW"
		}
		fmt.Fprintf(stdout, "  rate (B + D) / A           %6.1f%%  %s the target\n", r.Rate*100, met)
	}
	return nil
}

// followUpRecorder is the case service a command records follow-up through.
func (a *app) followUpRecorder() (*casework.Service, error) {
	form, err := a.cat.abstractForm()
	if err != nil {
		return nil, err
	}
	set, err := a.cat.editSet()
	if err != nil {
		return nil, err
	}
	stg, err := a.cat.staging()
	if err != nil {
		return nil, err
	}
	return casework.New(a.store, form, set, stg), nil
}

// followUpSection is the follow-up form's section (schemas/forms/followup.yaml).
func (a *app) followUpSection() (*abstract.Section, error) {
	dict, tables, err := a.cat.base()
	if err != nil {
		return nil, err
	}
	form, err := abstract.LoadForm(schemas.FS, casework.FollowUpFormFile, dict, tables)
	if err != nil {
		return nil, err
	}
	return form.Sections[0], nil
}

func cmdFollowUpDeaths(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("followup deaths")
	facility := fs.String("facility", "", "facility code (required)")
	confirm := fs.String("confirm", "", "record these matches as deaths: ROW=PATIENT_ID,... (rows of the file, patients listed)")
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if *facility == "" || fs.NArg() != 1 {
		return badArgs(fs, "--facility and one death file are required")
	}
	pairs := map[int]uint{}
	for _, p := range strings.Split(*confirm, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		row, pid, ok := strings.Cut(p, "=")
		r, err1 := strconv.Atoi(row)
		id, err2 := strconv.ParseUint(pid, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return badArgs(fs, "--confirm: %s is not ROW=PATIENT_ID", excerpt.Quote(p))
		}
		pairs[r] = uint(id)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("followup deaths: %w", err)
	}
	defer f.Close()
	a, svc, fac, err := followUpApp(ctx, e, "followup deaths", *facility, len(pairs) > 0)
	if err != nil {
		return err
	}
	defer a.Close()
	file, err := followup.ParseDeaths(f, e.Now())
	if err != nil {
		return fmt.Errorf("followup deaths: %s: %w", fs.Arg(0), err)
	}
	for _, re := range file.Errors {
		fmt.Fprintf(stdout, "error: %s\n", re.Error())
	}
	if len(file.Ignored) > 0 {
		fmt.Fprintf(stdout, "columns not read: %s\n", strings.Join(file.Ignored, ", "))
	}
	sc := store.FacilityScope(fac.ID)
	matches, err := svc.MatchDeaths(ctx, cliActor(), sc, file.Deaths)
	if err != nil {
		return fmt.Errorf("followup deaths: %w", err)
	}
	var section *abstract.Section
	if len(pairs) > 0 {
		if section, err = a.followUpSection(); err != nil {
			return err
		}
	}
	recorded := 0
	for _, m := range matches {
		d := m.Death
		fmt.Fprintf(stdout, "row %d: %s, %s born %s died %s (%s)\n", d.Row, d.LastName, d.FirstName, d.DateOfBirth, d.DateOfDeath, d.UnderlyingCause)
		if len(m.Candidates) == 0 {
			fmt.Fprintln(stdout, "  no living patient matches")
		}
		for _, c := range m.Candidates {
			fmt.Fprintf(stdout, "  patient %d %s, %s born %s: score %d (%s)\n", c.Patient.ID, c.Patient.NameLast, c.Patient.NameFirst,
				c.Patient.DateOfBirth, c.Score, strings.Join(c.Reasons, "; "))
		}
		pid, ok := pairs[d.Row]
		if !ok {
			continue
		}
		delete(pairs, d.Row)
		if !slices.ContainsFunc(m.Candidates, func(c followup.Candidate) bool { return c.Patient.ID == pid }) {
			return fmt.Errorf("followup deaths: --confirm %d=%d: patient %d is not a candidate of row %d: %w", d.Row, pid, pid, d.Row, errProblems)
		}
		res, err := svc.ConfirmDeath(ctx, cliActor(), section, d, pid)
		if err != nil {
			return fmt.Errorf("followup deaths: row %d, patient %d: %w", d.Row, pid, err)
		}
		if len(res.Errors) > 0 {
			return fmt.Errorf("followup deaths: row %d, patient %d: %v: %w", d.Row, pid, res.Errors, errProblems)
		}
		recorded++
		fmt.Fprintf(stdout, "  recorded: patient %d died %s\n", pid, d.DateOfDeath)
	}
	for row := range pairs {
		return fmt.Errorf("followup deaths: --confirm: row %d is not a good row of the file: %w", row, errProblems)
	}
	fmt.Fprintf(stdout, "%d deaths read, %d bad rows, %d recorded\n", len(file.Deaths), len(file.Errors), recorded)
	if len(file.Errors) > 0 {
		return errProblems
	}
	return nil
}

func cmdFollowUpLetters(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("followup letters")
	facility := fs.String("facility", "", "facility code (required)")
	month := fs.String("month", "", "the month due (CCYYMM, required)")
	out := fs.String("out", "", "the PDF file to write (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *facility == "" || *month == "" || *out == "" {
		return badArgs(fs, "--facility, --month and --out are required")
	}
	ls, err := followup.LoadLetters(schemas.FS)
	if err != nil {
		return err
	}
	a, svc, fac, err := followUpApp(ctx, e, "followup letters", *facility, false)
	if err != nil {
		return err
	}
	defer a.Close()
	f, err := createOutFile(*out)
	if err != nil {
		return fmt.Errorf("followup letters: %w", err)
	}
	run, err := svc.PrintLetters(ctx, cliActor(), ls, followup.LetterQuery{Scope: store.FacilityScope(fac.ID), Facility: fac, Month: *month}, f.W)
	if err != nil {
		f.Abort()
		return fmt.Errorf("followup letters: %w", err)
	}
	if _, err := f.Commit(); err != nil {
		return fmt.Errorf("followup letters: the letters are recorded sent, but the file failed: %w", err)
	}
	fmt.Fprintf(stdout, "%d letters for %d cases written to %s and recorded sent\n", run.Letters, run.Cases, *out)
	for _, d := range run.NoLetter {
		fmt.Fprintf(stdout, "  no letter: case %d %s, %s (next follow-up source %s)\n", d.TumorID, d.NameLast, d.NameFirst, cmpOr(d.NextSource, "none"))
	}
	return nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
