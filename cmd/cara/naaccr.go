package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/schemas"
)

// errProblems means a command ran to the end but found problems: the exit status is 1.
var errProblems = errors.New("problems found")

func cmdNaaccr(ctx context.Context, e env, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("naaccr", "say what to do: validate, stats, convert or generate")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "naaccr"}
	case "validate":
		return cmdNaaccrValidate(ctx, args[1:], stdout)
	case "stats":
		return cmdNaaccrStats(ctx, args[1:], stdout)
	case "convert":
		return cmdNaaccrConvert(ctx, e, args[1:], stdout)
	case "generate":
		return cmdNaaccrGenerate(ctx, e, args[1:], stdout, stderr)
	}
	return badGroupArgs("naaccr", "unknown command %s (validate, stats, convert, generate)", excerpt.Quote(args[0]))
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// readFlags are the flags of every command that reads NAACCR XML files.
type readFlags struct {
	relaxed bool
	userDic stringList
}

func (rf *readFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&rf.relaxed, "relaxed", false, "accept what the specification calls recoverable (missing namespace, foreign root attributes)")
	fs.Var(&rf.userDic, "user-dictionary", "a user dictionary `FILE` (state-specific items); may be repeated")
}

// workerCount is a --workers value checked: 1 to 256 goroutines, 0 for one per core.
func workerCount(fs *flag.FlagSet, n int) (int, error) {
	if n < 0 || n > 256 {
		return 0, badArgs(fs, "--workers %d: use 1 to 256, or 0 for one per core", n)
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return n, nil
}

// registry returns the base dictionaries plus the user dictionaries named on the command line.
func (rf *readFlags) registry() (*naaccr.Registry, error) {
	reg, err := naaccr.LoadRegistry(schemas.FS)
	if err != nil {
		return nil, err
	}
	for _, path := range rf.userDic {
		d, err := naaccr.LoadDictionaryFile(path)
		if err != nil {
			return nil, fmt.Errorf("--user-dictionary: %w", err)
		}
		if err := reg.Add(d); err != nil {
			return nil, fmt.Errorf("--user-dictionary %s: %w", path, err)
		}
	}
	return reg, nil
}

// openNAACCR opens a NAACCR XML file (plain or gzip) and reads its header. A user dictionary
// the file names by a file: URI or a relative path is loaded from beside the file.
func openNAACCR(path string, reg *naaccr.Registry, relaxed bool) (*naaccr.Reader, *os.File, error) {
	return openNAACCRWith(path, naaccr.ReaderOptions{Registry: reg, Relaxed: relaxed})
}

// openNAACCRWith is openNAACCR with more reader options; the user dictionaries beside the file
// are always looked for.
func openNAACCRWith(path string, opt naaccr.ReaderOptions) (*naaccr.Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	opt.LoadUserDictionary = userDictionaryBeside(path)
	rd, err := naaccr.NewReader(f, opt)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return rd, f, nil
}

// userDictionaryBeside resolves a userDictionaryUri that names a local file: file:///abs/path, or
// a relative path taken from the data file's folder. Web URIs are not fetched (cara works
// offline); load those with --user-dictionary.
func userDictionaryBeside(dataFile string) func(uri string) (*naaccr.Dictionary, error) {
	return func(uri string) (*naaccr.Dictionary, error) {
		var p string
		switch {
		case strings.HasPrefix(uri, "file://"):
			u, err := url.Parse(uri)
			if err != nil {
				return nil, err
			}
			p = u.Path
		case strings.Contains(uri, "://"):
			return nil, nil
		case filepath.IsAbs(uri):
			p = uri
		default:
			p = filepath.Join(filepath.Dir(dataFile), uri)
		}
		if _, err := os.Stat(p); err != nil {
			return nil, nil
		}
		return naaccr.LoadDictionaryFile(p)
	}
}

// problemJSON is one line of `cara naaccr validate --format json`.
type problemJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Patient int    `json:"patient,omitempty"`
	Tumor   int    `json:"tumor,omitempty"`
	Item    string `json:"item,omitempty"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal,omitempty"`
}

func cmdNaaccrValidate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("naaccr validate")
	format := fs.String("format", "text", "output: text, or json (one object per problem and per file)")
	workers := fs.Int("workers", 0, "goroutines parsing patients (default: one per core; 1 reads on one)")
	var rf readFlags
	rf.register(fs)
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return badArgs(fs, "--format %s: use text or json", excerpt.Quote(*format))
	}
	if fs.NArg() == 0 {
		return badArgs(fs, "name one or more files")
	}
	nWorkers, err := workerCount(fs, *workers)
	if err != nil {
		return err
	}
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	emit := func(file string, p *naaccr.Problem, fatal bool) {
		if *format == "json" {
			_ = enc.Encode(problemJSON{File: file, Line: p.Line, Column: p.Column, Patient: p.Patient, Tumor: p.Tumor, Item: p.Item, Value: p.Value, Message: p.Message, Fatal: fatal})
			return
		}
		fmt.Fprintf(stdout, "%s:%s\n", file, p.Error())
	}
	bad := 0
	for _, file := range fs.Args() {
		sum, err := validateFile(ctx, file, reg, rf.relaxed, nWorkers, emit)
		if err != nil {
			var pr *naaccr.Problem
			if !errors.As(err, &pr) {
				return fmt.Errorf("naaccr validate: %s: %w", file, err)
			}
			emit(file, pr, true)
		}
		if err != nil || sum.problems > 0 {
			bad++
		}
		if *format == "json" {
			_ = enc.Encode(map[string]any{"file": file, "summary": true, "valid": err == nil && sum.problems == 0, "patients": sum.patients, "tumors": sum.tumors, "problems": sum.problems})
			continue
		}
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "%s: NOT VALID: stopped after %d patients (%d problems before)\n", file, sum.patients, sum.problems)
		case sum.problems > 0:
			fmt.Fprintf(stdout, "%s: %d problems in %d patients, %d tumors\n", file, sum.problems, sum.patients, sum.tumors)
		default:
			fmt.Fprintf(stdout, "%s: valid: %d patients, %d tumors\n", file, sum.patients, sum.tumors)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d file(s) have problems: %w", bad, fs.NArg(), errProblems)
	}
	return nil
}

type fileSummary struct {
	patients, tumors, problems int
}

// validateFile reads a whole file, passing each problem to emit; a structural error is returned.
func validateFile(ctx context.Context, path string, reg *naaccr.Registry, relaxed bool, workers int, emit func(string, *naaccr.Problem, bool)) (fileSummary, error) {
	var sum fileSummary
	// Only the problems are wanted: the reader checks every value and keeps none. With workers
	// the problems still come in file order.
	rd, f, err := openNAACCRWith(path, naaccr.ReaderOptions{Registry: reg, Relaxed: relaxed, CheckOnly: true, Workers: workers})
	if err != nil {
		return sum, err
	}
	defer f.Close()
	defer rd.Close() // stops the workers when a problem or ctx ends the read early
	report := func(probs []naaccr.Problem) {
		for i := range probs {
			emit(path, &probs[i], false)
		}
		sum.problems += len(probs)
	}
	report(rd.Problems())
	var p naaccr.Patient
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			return sum, nil
		}
		if err != nil {
			return sum, err
		}
		sum.patients++
		sum.tumors += len(p.Tumors)
		report(rd.Problems())
	}
}

func cmdNaaccrStats(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("naaccr stats")
	var rf readFlags
	rf.register(fs)
	top := fs.Int("top", 10, "how many primary sites to list")
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return badArgs(fs, "name one file")
	}
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	path := fs.Arg(0)
	rd, f, err := openNAACCR(path, reg, rf.relaxed)
	if err != nil {
		return fmt.Errorf("naaccr stats: %s: %w", path, err)
	}
	defer f.Close()
	var (
		patients, tumors, patientItems, tumorItems int
		problems                                   = len(rd.Problems())
		sites                                      = map[string]int{}
		p                                          naaccr.Patient
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("naaccr stats: %s: %w", path, err)
		}
		patients++
		patientItems += len(p.Items)
		problems += len(rd.Problems())
		for _, t := range p.Tumors {
			tumors++
			tumorItems += len(t.Items)
			sites[t.Items["primarySite"]]++
		}
	}
	info := rd.Info()
	fmt.Fprintf(stdout, "file:            %s\n", path)
	fmt.Fprintf(stdout, "NAACCR version:  %s (%s)\n", info.Schema.Base.NaaccrVersion, info.BaseDictionaryURI)
	if len(info.UserDictionaryURIs) > 0 {
		fmt.Fprintf(stdout, "user dictionary: %s\n", strings.Join(info.UserDictionaryURIs, " "))
	}
	fmt.Fprintf(stdout, "record type:     %s\n", info.RecordType)
	fmt.Fprintf(stdout, "specification:   %s\n", info.SpecificationVersion)
	if info.TimeGenerated != "" {
		fmt.Fprintf(stdout, "generated:       %s\n", info.TimeGenerated)
	}
	fmt.Fprintf(stdout, "patients:        %d\n", patients)
	fmt.Fprintf(stdout, "tumors:          %d\n", tumors)
	fmt.Fprintf(stdout, "items filled:    %d (%d patient-level, %d tumor-level", patientItems+tumorItems+len(info.RootItems), patientItems, tumorItems)
	if tumors > 0 {
		fmt.Fprintf(stdout, "; %.1f per tumor", float64(tumorItems)/float64(tumors))
	}
	fmt.Fprintln(stdout, ")")
	fmt.Fprintf(stdout, "problems:        %d (details: cara naaccr validate)\n", problems)
	type siteCount struct {
		site string
		n    int
	}
	var list []siteCount
	for s, n := range sites {
		list = append(list, siteCount{s, n})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].site < list[j].site
	})
	if len(list) > 0 {
		fmt.Fprintln(stdout, "top primary sites:")
		for i, sc := range list {
			if i == *top {
				break
			}
			site := sc.site
			if site == "" {
				site = "(blank)"
			}
			fmt.Fprintf(stdout, "  %-8s %6d  %5.1f%%\n", site, sc.n, 100*float64(sc.n)/float64(tumors))
		}
	}
	return nil
}
