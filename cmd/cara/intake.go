package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/tempfile"
	"github.com/cara-registry/cara/internal/web"
)

// newIntakeRunner builds the intake checker and its background runner for serve.
func newIntakeRunner(s *store.Store, cat *catalog, e env, log *slog.Logger) (web.IntakeConfig, *submission.Runner, error) {
	maxBytes, maxUnpacked, err := e.intakeLimits("serve")
	if err != nil {
		return web.IntakeConfig{}, nil, err
	}
	var rf readFlags
	reg, err := rf.registry()
	if err != nil {
		return web.IntakeConfig{}, nil, err
	}
	lease, err := e.intakeLease("serve")
	if err != nil {
		return web.IntakeConfig{}, nil, err
	}
	k := &submission.Intaker{Store: s, Edits: cat.Edits, Registry: reg, MaxUnpackedBytes: maxUnpacked, Now: e.Now}
	r := &submission.Runner{Intaker: k, Workers: 2, Log: log, StaleAfter: lease, Heartbeat: lease / 6}
	return web.IntakeConfig{Dir: e.IntakeDir, MaxBytes: maxBytes, MaxUnpackedBytes: maxUnpacked, Intaker: k, Wake: r.Wake}, r, nil
}

// cmdIntake checks a submission file as the intake page does, prints the report and, with
// --accept, imports its records without errors as received cases.
func cmdIntake(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("intake")
	facility := fs.String("facility", "", "code of the sending facility when the file's reportingFacility names none")
	accept := fs.Bool("accept", false, "import the records without error-severity failures as received cases")
	format := fs.String("format", "text", "report format: text, csv or html")
	var rf readFlags
	rf.register(fs)
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	switch *format {
	case "text", "csv", "html":
	default:
		return badArgs(fs, "--format %s: use text, csv or html", excerpt.Quote(*format))
	}
	if fs.NArg() != 1 {
		return badArgs(fs, "name one NAACCR XML file")
	}
	_, maxUnpacked, err := e.intakeLimits("intake")
	if err != nil {
		return err
	}
	// Like serve, the command removes what killed uploads left in the intake folder; a failure
	// is no reason not to check the file (serve and the next upload try again).
	_, _ = tempfile.Sweep(e.IntakeDir, time.Now())
	path, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("intake: %s: %w", fs.Arg(0), err)
	}
	size, sum, err := hashFile(path)
	if err != nil {
		return fmt.Errorf("intake: %w", err)
	}
	reg, err := rf.registry()
	if err != nil {
		return err
	}
	a, err := newApp(ctx, e, "intake", withStore|withEdits)
	if err != nil {
		return err
	}
	defer a.Close()
	s := a.store
	set := a.cat.Edits
	fac, err := intakeFacility(ctx, a, *facility)
	if err != nil {
		return err
	}
	now := e.Now().UTC()
	in := &store.Intake{FacilityID: fac.ID, CreatedAt: now, FileName: filepath.Base(path), StoredPath: path, SizeBytes: size,
		SHA256: sum, State: store.IntakeRunning, StartedAt: &now, HeartbeatAt: &now,
		ClaimedBy: store.NewIntakeClaim()}
	if err := s.CreateIntake(ctx, in); err != nil {
		return err
	}
	k := &submission.Intaker{Store: s, Edits: set, Registry: reg, Relaxed: rf.relaxed, MaxUnpackedBytes: maxUnpacked, Now: e.Now}
	if err := k.Process(ctx, in); err != nil {
		return fmt.Errorf("intake: %s: %w", path, err)
	}
	if in, err = s.Intake(ctx, in.ID, store.AllFacilities); err != nil {
		return err
	}
	if err := k.WriteReport(ctx, stdout, in, *format); err != nil {
		return fmt.Errorf("intake: report: %w", err)
	}
	if in.State == store.IntakeFailed {
		return fmt.Errorf("intake %d: %s: %w", in.ID, in.Error, errProblems)
	}
	if in.StructuralErrors > 0 {
		return fmt.Errorf("intake %d: %s has structural errors: %w", in.ID, path, errProblems)
	}
	if in.AcceptableTumors == 0 {
		return fmt.Errorf("intake %d: no tumor of %s is free of error-severity failures: %w", in.ID, path, errProblems)
	}
	if *accept {
		res, err := k.Accept(ctx, in.ID, store.AllFacilities, nil, "")
		if err != nil {
			return fmt.Errorf("intake: accept: %w", err)
		}
		// The report went to stdout in the chosen format; the outcome goes after it in text.
		if *format == "text" {
			fmt.Fprintf(stdout, "accepted under facility %d: %s\n", res.FacilityID, res.Summary())
		} else {
			fmt.Fprintf(os.Stderr, "accepted under facility %d: %s\n", res.FacilityID, res.Summary())
		}
	}
	return nil
}

// intakeFacility is the facility a command-line intake is filed under: the --facility code, else
// the first facility (the default one); the file's reportingFacility, when it names a facility,
// takes precedence when the records are imported.
func intakeFacility(ctx context.Context, a *app, code string) (*store.Facility, error) {
	if code != "" {
		return a.facility(ctx, code)
	}
	facs, err := a.store.Facilities(ctx)
	if err != nil {
		return nil, err
	}
	if len(facs) == 0 {
		return nil, fmt.Errorf("intake: there is no facility yet: add one (cara facility add) or run cara demo")
	}
	first := facs[0]
	for _, f := range facs {
		if f.ID < first.ID {
			first = f
		}
	}
	return &first, nil
}

func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
