package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/schemas"
)

// cmdNaaccrConvert translates a file to another NAACCR version (`cara naaccr convert`). Values
// that cannot be carried over are listed; with --strict they make the conversion fail.
func cmdNaaccrConvert(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("naaccr convert", flag.ContinueOnError)
	to := fs.String("to", "", "NAACCR version to convert to: "+strings.Join(naaccr.BaseVersions, ", "))
	strict := fs.Bool("strict", false, "fail, writing nothing, when a value cannot be carried over")
	var rf readFlags
	rf.register(fs)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("naaccr convert: %v: %w", err, errUsage)
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("naaccr convert: name the input and the output file: %w", errUsage)
	}
	in, out := fs.Arg(0), fs.Arg(1)
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	target, ok := reg.Lookup(naaccr.BaseDictionaryURI(*to))
	if !ok {
		return fmt.Errorf("naaccr convert: --to %q: cara converts to NAACCR versions %s: %w", *to, strings.Join(naaccr.BaseVersions, ", "), errUsage)
	}
	rd, f, err := openNAACCR(in, reg, rf.relaxed)
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
	problems, patients, tumors, err := convertPatients(ctx, rd, tr, of.W, target, naaccr.Header{
		RecordType: info.RecordType, TimeGenerated: e.Now(), UserDictionaries: info.Schema.User, RootItems: root,
	}, &report)
	if err == nil && *strict && report.LostValues() > 0 {
		err = fmt.Errorf("%d values cannot be carried into version %s:\n%s", report.LostValues(), *to, report.String())
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
	if problems > 0 {
		fmt.Fprintf(stdout, "the input has %d data problems, carried over as they are (see cara naaccr validate %s)\n", problems, in)
	}
	return nil
}

func convertPatients(ctx context.Context, rd *naaccr.Reader, tr *naaccr.Translator, w io.Writer, dict *naaccr.Dictionary, h naaccr.Header, report *naaccr.TranslateReport) (problems, patients, tumors int, err error) {
	xw, err := naaccr.NewWriter(w, dict, h)
	if err != nil {
		return 0, 0, 0, err
	}
	problems = len(rd.Problems())
	var p naaccr.Patient
	for {
		if err := ctx.Err(); err != nil {
			return problems, patients, tumors, err
		}
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return problems, patients, tumors, err
		}
		problems += len(rd.Problems())
		out, rep := tr.Patient(&p)
		report.Add(rep)
		if err := xw.WritePatient(out); err != nil {
			return problems, patients, tumors, err
		}
		patients++
		tumors += len(p.Tumors)
	}
	return problems, patients, tumors, xw.Close()
}
