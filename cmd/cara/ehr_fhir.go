package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/fhirintake"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

// cmdEHRFHIR reads a FHIR R4 bundle (JSON) into a facility's suspense list and prints what it
// did: the possible case, the item values suggested with their resource paths, the warnings;
// --outcome prints the OperationOutcome a FHIR client would get instead. Exit status 1 when the
// bundle is refused.
func cmdEHRFHIR(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("ehr fhir")
	facility := fs.String("facility", "", "facility code (required)")
	outcome := fs.Bool("outcome", false, "print the FHIR OperationOutcome (JSON) instead of the summary")
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if *facility == "" {
		return badArgs(fs, "--facility is required")
	}
	if fs.NArg() != 1 {
		return badArgs(fs, "name one FHIR bundle file (JSON)")
	}
	path := fs.Arg(0)
	raw, err := readLimited(path, fhirintake.MaxBytes)
	if err != nil {
		return fmt.Errorf("ehr fhir: %w", err)
	}
	a, err := newApp(ctx, e, "ehr fhir", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	svc, err := fhirIntake(a.store, e)
	if err != nil {
		return err
	}
	fac, err := a.facility(ctx, *facility)
	if err != nil {
		return err
	}
	rc, err := svc.Receive(ctx, casefinding.Actor{Scope: store.AllFacilities}, fac.ID, raw, filepath.Base(path))
	if err != nil {
		return fmt.Errorf("ehr fhir: %s: %w", path, err)
	}
	if *outcome {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rc.Result.Issues.OperationOutcome(rc.Note())); err != nil {
			return err
		}
	} else {
		writeFHIRReceipt(stdout, rc)
	}
	if rc.Refused() {
		return fmt.Errorf("ehr fhir: %s: the bundle was refused: %w", path, errProblems)
	}
	return nil
}

// fhirIntake makes the FHIR intake service of a command job.
func fhirIntake(st fhirintake.Store, e env) (*fhirintake.Service, error) {
	dict, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		return nil, err
	}
	m, err := fhirintake.LoadMapping(schemas.FS, dict)
	if err != nil {
		return nil, err
	}
	lists, err := casefinding.Load(schemas.FS)
	if err != nil {
		return nil, err
	}
	return fhirintake.New(st, m, lists, e.Now)
}

// readLimited reads a file of at most max bytes; a larger one is refused unread.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(raw)) > max {
		return nil, fmt.Errorf("%s: more than %s: not a bundle cara takes", path, excerpt.Size(int(max)))
	}
	return raw, nil
}

func writeFHIRReceipt(w io.Writer, rc *fhirintake.Receipt) {
	r := rc.Result
	for _, is := range r.Issues {
		fmt.Fprintf(w, "%s\n", is)
	}
	if rc.Refused() {
		fmt.Fprintln(w, "refused: nothing stored")
		return
	}
	fmt.Fprintln(w, rc.Note())
	if rc.Added {
		for _, s := range r.Suggestions {
			fmt.Fprintf(w, "  %s [%d] = %s  from %s (%s)\n", s.Name, s.Item, s.Value, s.Path, s.From)
		}
	}
}
