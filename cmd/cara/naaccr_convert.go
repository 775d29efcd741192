package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/schemas"
)

// cmdNaaccrConvert translates a file to another NAACCR version (`cara naaccr convert`). Values
// that cannot be carried over are listed; with --strict they make the conversion fail. Root
// attributes and extension elements of other namespaces are carried over as they are; what the
// reader could not keep (attributes a relaxed read ignores, extensions over
// naaccr.MaxExtensionBytes) is listed and counts as lost.
func cmdNaaccrConvert(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("naaccr convert")
	to := fs.String("to", "", "NAACCR version to convert to: "+strings.Join(naaccr.BaseVersions, ", "))
	strict := fs.Bool("strict", false, "fail, writing nothing, when a value cannot be carried over")
	var rf readFlags
	rf.register(fs)
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return badArgs(fs, "name the input and the output file")
	}
	in, out := fs.Arg(0), fs.Arg(1)
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	target, ok := reg.Lookup(naaccr.BaseDictionaryURI(*to))
	if !ok {
		return badArgs(fs, "--to %s: cara converts to NAACCR versions %s", excerpt.Quote(*to), strings.Join(naaccr.BaseVersions, ", "))
	}
	rd, f, err := openNAACCRWith(in, naaccr.ReaderOptions{Registry: reg, Relaxed: rf.relaxed, KeepExtensions: true})
	if err != nil {
		return fmt.Errorf("naaccr convert: %s: %w", in, err)
	}
	defer f.Close()
	info := rd.Info()
	toSchema, err := naaccr.NewSchema(target, info.Schema.User...)
	if err != nil {
		return fmt.Errorf("naaccr convert: %w", err)
	}
	rules, err := naaccr.LoadTranslations(schemas.FS)
	if err != nil {
		return err
	}
	tr, err := rules.NewTranslator(info.Schema, toSchema)
	if err != nil {
		return fmt.Errorf("naaccr convert: %w", err)
	}
	root, report := tr.Root(info.RootItems)
	of, err := createOutFile(out)
	if err != nil {
		return fmt.Errorf("naaccr convert: %w", err)
	}
	problems, patients, tumors, extensions, err := convertPatients(ctx, rd, tr, of.W, target, naaccr.Header{
		RecordType: info.RecordType, TimeGenerated: e.Now(), UserDictionaries: info.Schema.User, RootItems: root,
		Namespaces: info.Namespaces, Attributes: info.Attributes, Extensions: info.Extensions,
	}, &report)
	if err == nil && *strict && report.LostValues() > 0 {
		err = fmt.Errorf("%d values cannot be carried into version %s:\n%s", report.LostValues(), *to, report.String())
	}
	if err == nil && *strict && len(info.NotKept) > 0 {
		err = fmt.Errorf("extensions cannot be carried over:\n%s", notKept(info.NotKept))
	}
	if err != nil {
		of.Abort()
		return fmt.Errorf("naaccr convert: %s: %w", in, err)
	}
	if _, err := of.Commit(); err != nil {
		return fmt.Errorf("naaccr convert: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d patients, %d tumors, NAACCR %s → %s\n", out, patients, tumors, info.Schema.Base.NaaccrVersion, target.NaaccrVersion)
	fmt.Fprintln(stdout, report.String())
	fmt.Fprintf(stdout, "extensions: %d root attributes and %d extension elements carried over as they are, %d not\n",
		len(info.Attributes), extensions, notKeptCount(info.NotKept))
	if len(info.NotKept) > 0 {
		fmt.Fprintln(stdout, notKept(info.NotKept))
	}
	if problems > 0 {
		fmt.Fprintf(stdout, "the input has %d data problems, carried over as they are (see cara naaccr validate %s)\n", problems, in)
	}
	return nil
}

// notKept lists what the reader could not keep, a line each, sorted.
func notKept(m map[string]int) string {
	lines := make([]string, 0, len(m))
	for what, n := range m {
		lines = append(lines, fmt.Sprintf("%s: %d not carried over", what, n))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func notKeptCount(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

func convertPatients(ctx context.Context, rd *naaccr.Reader, tr *naaccr.Translator, w io.Writer, dict *naaccr.Dictionary, h naaccr.Header, report *naaccr.TranslateReport) (problems, patients, tumors, extensions int, err error) {
	xw, err := naaccr.NewWriter(w, dict, h)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	extensions = len(h.Extensions)
	problems = len(rd.Problems())
	var p naaccr.Patient
	for {
		if err := ctx.Err(); err != nil {
			return problems, patients, tumors, extensions, err
		}
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return problems, patients, tumors, extensions, err
		}
		problems += len(rd.Problems())
		// In place: a copy to the same version hands the reader's values straight to the writer.
		tumors += len(p.Tumors)
		report.Add(tr.PatientInPlace(&p))
		if err := xw.WritePatient(&p); err != nil {
			return problems, patients, tumors, extensions, err
		}
		patients++
		extensions += len(p.Extensions)
		for _, t := range p.Tumors {
			extensions += len(t.Extensions)
		}
	}
	return problems, patients, tumors, extensions, xw.Close()
}
