package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/tempfile"
	"github.com/cara-registry/cara/schemas"
)

func cmdSubmission(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("submission", "say create or list")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "submission"}
	case "create":
		return cmdSubmissionCreate(ctx, e, args[1:], stdout)
	case "list":
		return cmdSubmissionList(ctx, e, args[1:], stdout)
	}
	return badGroupArgs("submission", "unknown subcommand %s", excerpt.Quote(args[0]))
}

// cmdSubmissionCreate makes a batch as the web page does: the file is kept in the submission
// directory and recorded; --out gets a copy of the same bytes.
func cmdSubmissionCreate(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("submission create")
	facility := fs.String("facility", "", "facility code (required)")
	from := fs.String("from", "", "first date of diagnosis (CCYYMMDD, CCYYMM or CCYY); default: all pending")
	to := fs.String("to", "", "last date of diagnosis (CCYYMMDD, CCYYMM or CCYY)")
	version := fs.String("version", naaccr.CurrentVersion, "NAACCR version: "+strings.Join(submission.BatchVersions, " or "))
	recordType := fs.String("record-type", "A", "record type: "+strings.Join(submission.RecordTypes, ", "))
	correction := fs.Bool("correction", false, "resend cases approved again after an earlier batch")
	gz := fs.Bool("gzip", false, "gzip-compress the file (implied by --out ending in .gz)")
	out := fs.String("out", "", "also copy the batch file here")
	dryRun := fs.Bool("dry-run", false, "run the pre-flight and print what would be sent and held back; write and record nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *facility == "" {
		return badArgs(fs, "--facility is required")
	}
	if strings.HasSuffix(*out, ".gz") {
		*gz = true
	}
	formats, err := submission.LoadFormats(schemas.FS)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, e, "submission create", withStore|withEdits)
	if err != nil {
		return err
	}
	defer a.Close()
	set := a.cat.Edits
	fac, err := a.facility(ctx, *facility)
	if err != nil {
		return err
	}
	dir := e.submissionDir()
	b := &submission.Batcher{Store: a.store, Edits: set, Formats: formats, Dir: dir, Now: e.Now}
	opt := submission.BatchOptions{
		FacilityID: fac.ID, Scope: store.AllFacilities, From: *from, To: *to, Version: *version,
		RecordType: *recordType, Gzip: *gz, Correction: *correction,
	}
	if *dryRun {
		res, err := b.Preview(ctx, opt)
		if err != nil {
			return err
		}
		printHeld(stdout, res)
		fmt.Fprintf(stdout, "dry run for facility %s: %s of %s would be sent, %d of them with warnings; %s held back; nothing was written\n",
			fac.Code, plural.Count(res.Tumors, "tumor"), plural.Count(res.Patients, "patient"), res.WarnedCount, plural.Count(res.HeldCount, "case"))
		return nil
	}
	res, err := b.Create(ctx, opt)
	if res != nil {
		printHeld(stdout, res)
	}
	if errors.Is(err, submission.ErrNothingToSubmit) {
		held := 0
		if res != nil {
			held = res.HeldCount
		}
		return fmt.Errorf("submission create: facility %s: nothing submitted (%s held back): %w", fac.Code, plural.Count(held, "case"), errProblems)
	}
	if err != nil {
		return err
	}
	sub := res.Submission
	stored := filepath.Join(dir, sub.StoragePath)
	fmt.Fprintf(stdout, "batch %d: %s (%s, NAACCR %s record type %s)\n", sub.ID, stored, sub.Kind, sub.NaaccrVersion, sub.RecordType)
	fmt.Fprintf(stdout, "%d patients, %d tumors, %d items; %d held back, %d with warnings\n",
		sub.PatientCount, sub.TumorCount, sub.ItemCount, sub.HeldCount, sub.WarningCount)
	fmt.Fprintf(stdout, "sha256 %s  %d bytes\n", sub.SHA256, sub.SizeBytes)
	if res.AuditPending != nil {
		fmt.Fprintf(stdout, "note: %v\n", res.AuditPending)
	}
	if lost := res.Translation.LostValues(); lost > 0 {
		fmt.Fprintf(stdout, "%d values could not be carried into version %s:\n%s\n", lost, sub.NaaccrVersion, res.Translation.String())
	}
	if *out != "" {
		if err := copyFile(stored, *out); err != nil {
			return fmt.Errorf("submission create: the batch is recorded, but the copy failed: %w", err)
		}
		fmt.Fprintf(stdout, "copied to %s\n", *out)
	}
	return nil
}

func printHeld(w io.Writer, res *submission.BatchResult) {
	if res.HeldCount == 0 {
		return
	}
	fmt.Fprintf(w, "%s held back by error-severity edits:\n", plural.Count(res.HeldCount, "case"))
	for _, h := range res.Held {
		fmt.Fprintf(w, "  case %d %s (MRN %s):\n", h.TumorID, h.Name, h.MRN)
		for _, f := range h.Failures {
			fmt.Fprintf(w, "    %s %s: %s\n", f.Severity, f.Edit, f.Message)
		}
	}
	if more := res.HeldCount - len(res.Held); more > 0 {
		fmt.Fprintf(w, "  … and %d more (see the batch page)\n", more)
	}
}

// copyFile copies the bytes of src to dst through a temporary file renamed into place; the copy
// is readable by cara's user only, as the batch is.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := tempfile.Create(filepath.Dir(dst), filepath.Base(dst))
	if err != nil {
		return err
	}
	defer tmp.Remove()
	if _, err := io.Copy(tmp, in); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	if err := tmp.Rename(dst); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return nil
}

func cmdSubmissionList(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("submission list")
	facility := fs.String("facility", "", "facility code (default: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := newApp(ctx, e, "submission list", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	_, f, err := a.facilityScope(ctx, *facility)
	if err != nil {
		return err
	}
	var facID uint
	if f != nil {
		facID = f.ID
	}
	rows, err := a.store.Submissions(ctx, store.AllFacilities, facID, 0)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "no submission batch")
		return nil
	}
	for _, r := range rows {
		by := r.CreatedByName
		if by == "" {
			by = "command line"
		}
		fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\t%s\t%s %s\t%d tumors\t%d held\tsha256 %s\n", r.ID, r.FileName, r.FacilityCode,
			r.Kind, r.CreatedAt.UTC().Format("2006-01-02 15:04"), by, r.NaaccrVersion, r.RecordType, r.TumorCount, r.HeldCount, r.SHA256)
	}
	return nil
}
