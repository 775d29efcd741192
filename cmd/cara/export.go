package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
)

func cmdExport(ctx context.Context, e env, args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	out := fs.String("out", "", "file to write (.xml, or .xml.gz for gzip)")
	status := fs.String("status", "", "comma-separated tumor statuses to include (default: all)")
	facility := fs.String("facility", "", "facility code to export (default: all facilities)")
	registryID := fs.String("registry-id", "", "Registry ID (item 40) for the file header")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("export: --out is required: %w", errUsage)
	}
	var statuses []string
	for _, st := range strings.Split(*status, ",") {
		switch st = strings.TrimSpace(st); st {
		case "":
		case "draft", "in_review", "returned", "approved", "submitted":
			statuses = append(statuses, st)
		default:
			return fmt.Errorf("export: --status: unknown status %q (draft, in_review, returned, approved, submitted): %w", st, errUsage)
		}
	}
	root := map[string]string{}
	if *registryID != "" {
		if !naaccr.IsDigits(*registryID) || len(*registryID) > 10 {
			return fmt.Errorf("export: --registry-id: Registry ID [40] is up to 10 digits, got %q: %w", *registryID, errUsage)
		}
		root["registryId"] = *registryID
	}
	cat, err := loadCatalog()
	if err != nil {
		return err
	}
	s, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	scope := store.AllFacilities
	if *facility != "" {
		f, err := s.FacilityByCode(ctx, *facility)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("export: --facility: no facility with code %q", *facility)
		}
		if err != nil {
			return err
		}
		scope = store.FacilityScope(f.ID)
	}

	// Write beside the target and rename at the end, so a failed export never leaves a partial
	// file under the name a registry would pick up.
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	var w io.Writer = bw
	var gz *gzip.Writer
	if strings.HasSuffix(*out, ".gz") {
		gz = gzip.NewWriter(bw)
		w = gz
	}
	st, err := submission.Export(ctx, s, cat.Dict, w, submission.ExportOptions{
		Filter:    store.PatientFilter{Scope: scope, Statuses: statuses},
		RootItems: root, TimeGenerated: e.Now(),
	})
	if err != nil {
		return err
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := s.Audit(ctx, store.AuditEntry{Action: "export", Entity: "file", EntityID: filepath.Base(*out),
		Details: map[string]any{"patients": st.Patients, "tumors": st.Tumors, "statuses": statuses, "facility": *facility}}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d patients, %d tumors (NAACCR XML %s, record type A)\n", *out, st.Patients, st.Tumors, cat.Dict.NaaccrVersion)
	return nil
}
