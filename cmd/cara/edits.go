package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

func cmdEdits(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("edits", "say what to do: run or list")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "edits"}
	case "run":
		return cmdEditsRun(ctx, e, args[1:], stdout)
	case "list":
		return cmdEditsList(ctx, e, args[1:], stdout)
	}
	return badGroupArgs("edits", "unknown command %s (run, list)", excerpt.Quote(args[0]))
}

func cmdEditsList(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if err := parseFlags(newFlags("edits list"), args); err != nil {
		return err
	}
	a, err := newApp(ctx, e, "edits list", withEdits)
	if err != nil {
		return err
	}
	defer a.Close()
	set := a.cat.Edits
	for _, ed := range set.Edits {
		fmt.Fprintf(stdout, "%-40s %-7s %-7s %s [%s]\n", ed.ID, ed.Severity, ed.Level, ed.Name, strings.Join(ed.Items, ", "))
	}
	fmt.Fprintf(stdout, "%d edits\n", len(set.Edits))
	return nil
}

func cmdEditsRun(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("edits run")
	format := fs.String("format", "text", "report format: text, csv, json or html")
	out := fs.String("out", "-", "report file; - for standard output")
	workers := fs.Int("workers", 0, "goroutines running edits (default: one per core)")
	useStore := fs.Bool("store", false, "run over the cases in the database and update their edit counts")
	facility := fs.String("facility", "", "with --store: only this facility's cases")
	var rf readFlags
	rf.register(fs)
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	switch *format {
	case "text", "csv", "json", "html":
	default:
		return badArgs(fs, "--format %s: use text, csv, json or html", excerpt.Quote(*format))
	}
	nWorkers, err := workerCount(fs, *workers)
	if err != nil {
		return err
	}
	if *useStore {
		if fs.NArg() != 0 {
			return badArgs(fs, "--store reads the database, not a file")
		}
		return runEditsOnStore(ctx, e, *facility, stdout)
	}
	if fs.NArg() != 1 {
		return badArgs(fs, "name one NAACCR XML file")
	}
	a, err := newApp(ctx, e, "edits run", withEdits)
	if err != nil {
		return err
	}
	defer a.Close()
	set := a.cat.Edits
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	path := fs.Arg(0)
	// The reader parses patients on as many goroutines as the edits run on.
	rd, f, err := openNAACCRWith(path, naaccr.ReaderOptions{Registry: reg, Relaxed: rf.relaxed, Workers: nWorkers})
	if err != nil {
		return fmt.Errorf("edits run: %s: %w", path, err)
	}
	defer rd.Close()
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
	rep := edits.NewReport(set, *format, w, path)
	runErr := set.RunReader(ctx, rd, edits.BatchOptions{Workers: nWorkers}, rep.Add)
	if runErr == nil {
		runErr = rep.Finish()
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
	if rep.Errors > 0 {
		return fmt.Errorf("%d error-severity failures in %s: %w", rep.Errors, path, errProblems)
	}
	return nil
}

// runEditsOnStore runs the edits over stored cases and updates each tumor's counts.
func runEditsOnStore(ctx context.Context, e env, facility string, stdout io.Writer) error {
	a, err := newApp(ctx, e, "edits run", withStore|withEdits)
	if err != nil {
		return err
	}
	defer a.Close()
	set := a.cat.Edits
	scope, _, err := a.facilityScope(ctx, facility)
	if err != nil {
		return err
	}
	tumors, withError, err := updateEditCounts(ctx, a.store, set, scope)
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
		byTumor := edits.CountByTumor(res, len(ts))
		for i, t := range ts {
			c := store.EditCounts{TumorID: t.ID, Errors: byTumor[i].Errors, Warnings: byTumor[i].Warnings}
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
