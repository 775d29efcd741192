package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
)

func cmdImport(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import")
	facility := fs.String("facility", "", "code of the facility the cases belong to (required)")
	status := fs.String("status", "draft", "status of the imported tumors: draft, in_review, approved or submitted")
	batch := fs.Int("batch", 500, "patients per transaction")
	var rf readFlags
	rf.register(fs)
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return badArgs(fs, "name one NAACCR XML file")
	}
	if *facility == "" {
		return badArgs(fs, "--facility is required")
	}
	// An imported case cannot have been returned by a reviewer of this installation.
	if st, err := abstract.ParseStatus(*status); err != nil || st == abstract.StatusReturned {
		return badArgs(fs, "--status %s: use draft, in_review, approved or submitted", excerpt.Quote(*status))
	}
	if *batch < 1 || *batch > 10000 {
		return badArgs(fs, "--batch %d: use 1 to 10000", *batch)
	}
	path := fs.Arg(0)
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	counter := &countingReader{r: f}
	rd, err := naaccr.NewReader(counter, naaccr.ReaderOptions{Registry: reg, Relaxed: rf.relaxed})
	if err != nil {
		return fmt.Errorf("import: %s: %w", path, err)
	}
	if v := rd.Info().Schema.Base.NaaccrVersion; v != naaccr.CurrentVersion {
		return fmt.Errorf("import: %s is NAACCR version %s; convert it first: cara naaccr convert --to %s %s OUT", path, v, naaccr.CurrentVersion, path)
	}
	a, err := newApp(ctx, e, "import", withStore|withEdits)
	if err != nil {
		return err
	}
	defer a.Close()
	s := a.store
	set := a.cat.Edits
	fac, err := a.facility(ctx, *facility)
	if err != nil {
		return err
	}

	start := e.Now()
	var progress func(submission.ImportStats)
	if isTerminal(stderr) {
		progress = func(st submission.ImportStats) {
			done := float64(counter.n.Load()) / float64(max(fi.Size(), 1))
			fmt.Fprintf(stderr, "\r%5.1f%%  %d patients read, %d tumors stored, %d rejected ", 100*done, st.PatientsRead, st.TumorsCreated, st.RejectedCount)
		}
	}
	st, err := submission.Import(ctx, rd, s, submission.ImportOptions{FacilityID: fac.ID, Status: *status, BatchSize: *batch, Progress: progress, Edits: set})
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	elapsed := e.Now().Sub(start)
	for _, rj := range st.Rejected {
		for _, p := range rj.Problems {
			fmt.Fprintf(stdout, "%s: rejected patient %d (%s): %s\n", path, rj.Patient, rj.PatientIDNumber, p.Error())
		}
	}
	if st.RejectedCount > len(st.Rejected) {
		fmt.Fprintf(stdout, "%s: ... and %d more rejected patients\n", path, st.RejectedCount-len(st.Rejected))
	}
	if auditErr := s.Audit(ctx, store.AuditEntry{Action: audit.Import, Entity: "file", EntityID: path, Details: map[string]any{
		"file": path, "facility": *facility, "patients_read": st.PatientsRead, "patients_created": st.PatientsCreated,
		"tumors_created": st.TumorsCreated, "tumors_existing": st.TumorsExisting, "rejected": st.RejectedCount,
		"error": errString(err),
	}}); auditErr != nil && err == nil {
		err = auditErr
	}
	fmt.Fprintf(stdout, "%s: %d patients read; %d patients and %d tumors imported, %d tumors already there, %d patients rejected (%s)\n",
		path, st.PatientsRead, st.PatientsCreated, st.TumorsCreated, st.TumorsExisting, st.RejectedCount, elapsed.Round(time.Millisecond))
	if err != nil {
		return fmt.Errorf("import: %s: %w", path, err)
	}
	if st.RejectedCount > 0 {
		return fmt.Errorf("%d patients were rejected: %w", st.RejectedCount, errProblems)
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// countingReader counts the bytes read, for the progress display.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
