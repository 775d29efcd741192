package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/csvsafe"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

func cmdCasefinding(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("casefinding", "say import or list")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "casefinding"}
	case "import":
		return cmdCasefindingImport(ctx, e, args[1:], stdout)
	case "list":
		return cmdCasefindingList(ctx, e, args[1:], stdout)
	}
	return badGroupArgs("casefinding", "unknown subcommand %s", excerpt.Quote(args[0]))
}

// casefindingService opens the store and makes the casefinding service of a command job (no
// user: the audit trail records the command line's events without one).
func casefindingService(ctx context.Context, e env, cmd string) (*app, *casefinding.Service, error) {
	lists, err := casefinding.Load(schemas.FS)
	if err != nil {
		return nil, nil, err
	}
	a, err := newApp(ctx, e, cmd, withStore)
	if err != nil {
		return nil, nil, err
	}
	return a, casefinding.New(a.store, lists, nil, e.Now), nil
}

// cmdCasefindingImport reads a casefinding file into a facility's suspense list and prints what
// it did; exit status 1 when a row was refused (the good rows are kept).
func cmdCasefindingImport(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("casefinding import")
	facility := fs.String("facility", "", "facility code (required)")
	source := fs.String("source", "other", "source of rows without a source column: disease_index, pathology, radiation, chemotherapy, physician_office, other")
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if *facility == "" {
		return badArgs(fs, "--facility is required")
	}
	if fs.NArg() != 1 {
		return badArgs(fs, "name one casefinding CSV file")
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("casefinding import: %w", err)
	}
	defer f.Close()
	a, svc, err := casefindingService(ctx, e, "casefinding import")
	if err != nil {
		return err
	}
	defer a.Close()
	if _, ok := svc.Lists().SourceOf(*source); !ok {
		return badArgs(fs, "--source %s: not a source cara knows", excerpt.Quote(*source))
	}
	fac, err := a.facility(ctx, *facility)
	if err != nil {
		return err
	}
	sum, err := svc.Import(ctx, casefinding.Actor{Scope: store.AllFacilities}, fac.ID, f, filepath.Base(path), *source)
	if err != nil {
		return fmt.Errorf("casefinding import: %s: %w", path, err)
	}
	writeImportSummary(stdout, sum)
	if len(sum.Errors) > 0 {
		return fmt.Errorf("casefinding import: %s: %s refused: %w", path, plural.Count(len(sum.Errors), "row"), errProblems)
	}
	return nil
}

// writeImportSummary prints an import's figures, the columns ignored and each row refused.
func writeImportSummary(w io.Writer, sum *casefinding.ImportSummary) {
	fmt.Fprintf(w, "rows read: %d\nadded: %d (set aside as not reportable: %d)\nalready there: %d\nerrors: %d\n",
		sum.Read, sum.Added, sum.SetAside, sum.Already, len(sum.Errors))
	if len(sum.Ignored) > 0 {
		fmt.Fprintf(w, "columns ignored: %s\n", strings.Join(sum.Ignored, ", "))
	}
	for _, e := range sum.Errors {
		fmt.Fprintf(w, "  %s\n", e.Error())
	}
}

// suspenseColumns are the columns of `casefinding list`.
var suspenseColumns = []string{"id", "mrn", "last_name", "first_name", "date_of_birth", "sex", "first_contact", "source", "codes",
	"screening", "rule", "rule_label", "match", "score", "patient", "tumor", "status", "reason", "days_waiting"}

// cmdCasefindingList prints a facility's suspense list.
func cmdCasefindingList(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("casefinding list")
	facility := fs.String("facility", "", "facility code (required)")
	format := fs.String("format", "text", "output format: text or csv")
	status := fs.String("status", "", "only records of these statuses, comma-separated: waiting, set_aside, abstract_started, added_to_patient, not_reportable, duplicate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *facility == "" {
		return badArgs(fs, "--facility is required")
	}
	if *format != "text" && *format != "csv" {
		return badArgs(fs, "--format %s: use text or csv", excerpt.Quote(*format))
	}
	var statuses []string
	for _, s := range strings.Split(*status, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if casefinding.StatusLabel(s) == s {
			return badArgs(fs, "--status %s: not a status of a suspense record", excerpt.Quote(s))
		}
		statuses = append(statuses, s)
	}
	a, svc, err := casefindingService(ctx, e, "casefinding list")
	if err != nil {
		return err
	}
	defer a.Close()
	fac, err := a.facility(ctx, *facility)
	if err != nil {
		return err
	}
	now := e.Now()
	row := func(r *store.SuspenseRecord) []string {
		return []string{fmt.Sprint(r.ID), r.MRN, r.NameLast, r.NameFirst, r.DateOfBirth, r.Sex, r.FirstContact, r.Source, r.Codes,
			r.Screening, r.RulePattern, r.RuleLabel, r.MatchKind, fmt.Sprint(r.MatchScore), idOrBlank(r.MatchPatient),
			idOrBlank(firstID(r.TumorID, r.MatchTumor)), r.Status, r.Reason, fmt.Sprint(casefinding.Days(r, now))}
	}
	filter := casefinding.Filter{FacilityID: fac.ID, Statuses: statuses}
	actor := casefinding.Actor{Scope: store.AllFacilities}
	if *format == "csv" {
		cw := csvsafe.NewWriter(stdout)
		if err := cw.Write(suspenseColumns); err != nil {
			return err
		}
		err := svc.Each(ctx, actor, filter, func(r *store.SuspenseRecord) error { return cw.Write(row(r)) })
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMRN\tNAME\tFIRST CONTACT\tCODES\tSCREENING\tRULE\tMATCH\tSCORE\tSTATUS\tDAYS")
	n := 0
	err = svc.Each(ctx, actor, filter, func(r *store.SuspenseRecord) error {
		n++
		_, err := fmt.Fprintf(tw, "%d\t%s\t%s, %s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\n", r.ID, r.MRN, r.NameLast, r.NameFirst, r.FirstContact,
			r.Codes, r.Screening, r.RulePattern, r.MatchKind, r.MatchScore, r.Status, casefinding.Days(r, now))
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", plural.Count(n, "suspense record"))
	return nil
}

// firstID is a record's case: the one started from it, else the one it matched.
func firstID(a, b *uint) *uint {
	if a != nil {
		return a
	}
	return b
}

func idOrBlank(id *uint) string {
	if id == nil {
		return ""
	}
	return fmt.Sprint(*id)
}
