package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/synth"
)

// cmdNaaccrGenerate writes a synthetic NAACCR XML file (`cara naaccr generate`) and prints a
// one-line summary. The same flags always give the same bytes.
func cmdNaaccrGenerate(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("naaccr generate")
	patients := fs.Int("patients", 0, "number of patients (required)")
	tumors := fs.String("tumors-per-patient", "1-3", "tumors per patient: N, or MIN-MAX (mostly MIN)")
	items := fs.Int("items", synth.DefaultItemsPerTumor, "items per tumor")
	version := fs.String("version", naaccr.CurrentVersion, "NAACCR version: "+strings.Join(naaccr.BaseVersions, ", "))
	recordType := fs.String("record-type", synth.DefaultRecordType, "record type: A, M, C or I")
	seed := fs.Int64("seed", 1, "random seed")
	text := fs.Bool("text", true, "add three long text items to each tumor (record types A and M)")
	today := fs.String("today", synth.DefaultToday.Format(time.DateOnly), "no date falls after this day (YYYY-MM-DD)")
	out := fs.String("out", "-", "file to write (.xml, or .xml.gz for gzip); - for stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	usage := func(flag, format string, a ...any) error {
		return badArgs(fs, "--%s: %s", flag, fmt.Sprintf(format, a...))
	}
	switch {
	case *patients == 0:
		return usage("patients", "the number of patients (1 to %d) is required", synth.MaxPatients)
	case *patients < 1 || *patients > synth.MaxPatients:
		return usage("patients", "the number of patients must be 1 to %d, got %d", synth.MaxPatients, *patients)
	case *items < 1:
		return usage("items", "the number of items per tumor must be at least 1, got %d", *items)
	case !slices.Contains(naaccr.BaseVersions, *version):
		return usage("version", "NAACCR version %s is not one of %s", excerpt.Quote(*version), strings.Join(naaccr.BaseVersions, ", "))
	case !slices.Contains([]string{"A", "M", "C", "I"}, *recordType):
		return usage("record-type", "record type %s is not A, M, C or I", excerpt.Quote(*recordType))
	case *out == "":
		return usage("out", "a file name, or - for stdout, is required")
	}
	tr, err := parseTumorRange(*tumors)
	if err != nil {
		return usage("tumors-per-patient", "%v", err)
	}
	day, err := time.Parse(time.DateOnly, *today)
	if err != nil {
		return usage("today", "%s is not a date YYYY-MM-DD", excerpt.Quote(*today))
	}
	if !day.After(time.Date(2018, time.January, 1, 0, 0, 0, 0, time.UTC)) {
		return usage("today", "must be after 2018-01-01 (diagnoses are from 2018 on), got %s", *today)
	}
	opt := synth.Options{
		Version: *version, Patients: *patients, Tumors: tr, ItemsPerTumor: *items, Seed: *seed,
		RecordType: *recordType, Today: day, TextItems: *text,
	}

	if *out == "-" {
		bw := bufio.NewWriterSize(stdout, 64<<10)
		st, err := synth.Generate(ctx, bw, opt)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("naaccr generate: %w", err)
		}
		fmt.Fprintf(stderr, "generated %d patients, %d tumors, %d bytes of NAACCR XML v%s to stdout\n", st.Patients, st.Tumors, st.Bytes, *version)
		return nil
	}

	of, err := createOutFile(*out)
	if err != nil {
		return fmt.Errorf("naaccr generate: %w", err)
	}
	st, err := synth.Generate(ctx, of.W, opt)
	if err != nil {
		of.Abort()
		return fmt.Errorf("naaccr generate: %w", err)
	}
	onDisk, err := of.Commit()
	if err != nil {
		return fmt.Errorf("naaccr generate: %w", err)
	}
	size := fmt.Sprintf("%d bytes", st.Bytes)
	if strings.HasSuffix(*out, ".gz") {
		size = fmt.Sprintf("%d bytes (%d gzipped)", st.Bytes, onDisk)
	}
	fmt.Fprintf(stdout, "generated %d patients, %d tumors, %s of NAACCR XML v%s to %s\n", st.Patients, st.Tumors, size, *version, *out)
	return nil
}

// parseTumorRange parses "N" or "MIN-MAX".
func parseTumorRange(s string) (synth.Range, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	a, errA := strconv.Atoi(strings.TrimSpace(lo))
	b, errB := strconv.Atoi(strings.TrimSpace(hi))
	switch {
	case errA != nil || errB != nil:
		return synth.Range{}, fmt.Errorf("%s is not N or MIN-MAX, e.g. 1-3", excerpt.Quote(s))
	case a < 1 || b < a || b > synth.MaxTumorsPerPatient:
		return synth.Range{}, fmt.Errorf("%s must be within 1-%d with MIN not above MAX", excerpt.Quote(s), synth.MaxTumorsPerPatient)
	}
	return synth.Range{Min: a, Max: b}, nil
}
