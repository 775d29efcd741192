package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/schemas"
)

func cmdExport(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("export")
	out := fs.String("out", "", "file to write (.xml, or .xml.gz for gzip)")
	status := fs.String("status", "", "comma-separated tumor statuses to include (default: all)")
	facility := fs.String("facility", "", "facility code to export (default: all facilities)")
	from := fs.String("from", "", "first date of diagnosis to include (CCYYMMDD, CCYYMM or CCYY)")
	to := fs.String("to", "", "last date of diagnosis to include (CCYYMMDD, CCYYMM or CCYY)")
	version := fs.String("version", naaccr.CurrentVersion, "NAACCR version of the file: "+strings.Join(naaccr.BaseVersions, ", "))
	registryID := fs.String("registry-id", "", "Registry ID (item 40) for the file header")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return badArgs(fs, "--out is required")
	}
	var statuses []string
	for _, st := range strings.Split(*status, ",") {
		if st = strings.TrimSpace(st); st == "" {
			continue
		}
		if _, err := abstract.ParseStatus(st); err != nil {
			return badArgs(fs, "--status: %v", err)
		}
		statuses = append(statuses, st)
	}
	for name, v := range map[string]string{"from": *from, "to": *to} {
		if v != "" && !naaccr.IsDate(v) {
			_, err := naaccr.ParseDate(v)
			return badArgs(fs, "--%s %s: %v", name, excerpt.Quote(v), err)
		}
	}
	root := map[string]string{}
	if *registryID != "" {
		if !naaccr.IsDigits(*registryID) || len(*registryID) > 10 {
			return badArgs(fs, "--registry-id: Registry ID [40] is up to 10 digits, got %s", excerpt.Quote(*registryID))
		}
		root["registryId"] = *registryID
	}
	reg, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		return err
	}
	stored, _ := reg.Lookup(naaccr.BaseDictionaryURI(naaccr.CurrentVersion))
	target, ok := reg.Lookup(naaccr.BaseDictionaryURI(*version))
	if !ok {
		return badArgs(fs, "--version %s: cara writes NAACCR versions %s", excerpt.Quote(*version), strings.Join(naaccr.BaseVersions, ", "))
	}
	var tr *naaccr.Translator
	if target != stored {
		if tr, err = newTranslator(stored, target); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	a, err := newApp(ctx, e, "export", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	s := a.store
	scope, _, err := a.facilityScope(ctx, *facility)
	if err != nil {
		return err
	}

	of, err := createOutFile(*out)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	st, err := submission.Export(ctx, s, target, of.W, submission.ExportOptions{
		Filter:     store.PatientFilter{Scope: scope, Statuses: statuses, DiagnosedFrom: *from, DiagnosedTo: *to},
		Translator: tr, RootItems: root, TimeGenerated: e.Now(),
	})
	if err != nil {
		of.Abort()
		return err
	}
	if _, err := of.Commit(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := s.Audit(ctx, store.AuditEntry{Action: audit.Export, Entity: "file", EntityID: *out,
		Details: map[string]any{"file": *out, "patients": st.Patients, "tumors": st.Tumors, "statuses": statuses, "facility": *facility,
			"from": *from, "to": *to, "version": *version}}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d patients, %d tumors (NAACCR XML %s, record type A)\n", *out, st.Patients, st.Tumors, target.NaaccrVersion)
	if lost := st.Translation.LostValues(); lost > 0 {
		fmt.Fprintf(stdout, "%d values could not be carried into version %s:\n%s\n", lost, *version, st.Translation.String())
	}
	return nil
}

// newTranslator builds the translator between two base dictionaries from the embedded rules.
func newTranslator(from, to *naaccr.Dictionary) (*naaccr.Translator, error) {
	rules, err := naaccr.LoadTranslations(schemas.FS)
	if err != nil {
		return nil, err
	}
	fs, err := naaccr.NewSchema(from)
	if err != nil {
		return nil, err
	}
	ts, err := naaccr.NewSchema(to)
	if err != nil {
		return nil, err
	}
	return rules.NewTranslator(fs, ts)
}
