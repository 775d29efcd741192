package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

// maxEHRFile bounds the file `cara ehr import` reads into memory.
const maxEHRFile = 512 << 20

func cmdEHR(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("ehr", "say import")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "ehr"}
	case "import":
		return cmdEHRImport(ctx, e, args[1:], stdout)
	}
	return badGroupArgs("ehr", "unknown subcommand %s", excerpt.Quote(args[0]))
}

// newEHRService makes the intake service over a store (tables may be nil: they are loaded).
func newEHRService(s *store.Store, tables *codes.Tables, now func() time.Time) (*ehr.Service, error) {
	lists, err := casefinding.Load(schemas.FS)
	if err != nil {
		return nil, err
	}
	m, err := ehr.LoadMapping(schemas.FS)
	if err != nil {
		return nil, err
	}
	if tables == nil {
		if tables, err = codes.Load(schemas.FS); err != nil {
			return nil, err
		}
	}
	return ehr.New(s, casefinding.New(s, lists, nil, now), ehr.NewMapper(m, tables), now), nil
}

// cmdEHRImport reads a file of HL7 v2 pathology messages into a facility's suspense list and
// prints what became of each; exit status 1 when one was refused (the others are kept).
func cmdEHRImport(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("ehr import")
	facility := fs.String("facility", "", "facility code (required)")
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if *facility == "" {
		return badArgs(fs, "--facility is required")
	}
	if fs.NArg() != 1 {
		return badArgs(fs, "name one file of HL7 v2 messages")
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ehr import: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxEHRFile+1))
	f.Close()
	if err != nil {
		return fmt.Errorf("ehr import: %s: %w", path, err)
	}
	if len(data) > maxEHRFile {
		return fmt.Errorf("ehr import: %s: larger than %d MiB; split it", path, maxEHRFile>>20)
	}
	a, err := newApp(ctx, e, "ehr import", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	fac, err := a.facility(ctx, *facility)
	if err != nil {
		return err
	}
	svc, err := newEHRService(a.store, nil, e.Now)
	if err != nil {
		return err
	}
	msgs, lines := ehr.Split(data)
	var results []ehr.Result
	bad := 0
	for i, m := range msgs {
		r := svc.Receive(ctx, ehr.Input{FacilityID: fac.ID, Raw: m, Via: "file"})
		results = append(results, r)
		id := r.ControlID
		if id == "" {
			id = "?"
		}
		fmt.Fprintf(stdout, "message %d (line %d, control id %s): %s", i+1, lines[i], excerpt.Quote(id), r.Outcome)
		switch r.Outcome {
		case ehr.Accepted:
			fmt.Fprintf(stdout, ", possible case #%d (%s)", r.SuspenseID, casefinding.MatchLabel(r.MatchKind))
		case ehr.Duplicate:
			fmt.Fprintf(stdout, ", stored before as report #%d", r.ReportID)
		default:
			bad++
			fmt.Fprintf(stdout, ": %s", r.Reason())
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintln(stdout, ehr.Summary(results))
	if len(msgs) == 0 {
		return fmt.Errorf("ehr import: %s: no message (no MSH segment): %w", path, errProblems)
	}
	if bad > 0 {
		return fmt.Errorf("ehr import: %s: %s refused: %w", path, plural.Count(bad, "message"), errProblems)
	}
	return nil
}

// mllpConfig is the MLLP listener's: where it listens, whose suspense list it fills, its limits.
type mllpConfig struct {
	Addr        string
	Facility    string
	MaxBytes    int
	ReadTimeout time.Duration
}

// defaultMLLPMaxBytes bounds one message: a pathology report with an embedded PDF is a few MB.
const defaultMLLPMaxBytes = 16 << 20

// mllpFromEnv reads CARA_MLLP_ADDR, CARA_MLLP_FACILITY, CARA_MLLP_MAX_BYTES and
// CARA_MLLP_READ_TIMEOUT (seconds).
func mllpFromEnv() (mllpConfig, error) {
	c := mllpConfig{Addr: os.Getenv("CARA_MLLP_ADDR"), Facility: os.Getenv("CARA_MLLP_FACILITY"), MaxBytes: defaultMLLPMaxBytes,
		ReadTimeout: time.Minute}
	if v := os.Getenv("CARA_MLLP_MAX_BYTES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("CARA_MLLP_MAX_BYTES: give the limit of one message in bytes, a whole number above 0")
		}
		c.MaxBytes = n
	}
	if v := os.Getenv("CARA_MLLP_READ_TIMEOUT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("CARA_MLLP_READ_TIMEOUT: give the seconds a sender may stay silent, a whole number above 0")
		}
		c.ReadTimeout = time.Duration(n) * time.Second
	}
	return c, nil
}

// startMLLP listens for pathology messages on c.Addr for the facility c.Facility and answers
// each with its ACK, until ctx ends; the returned channel gets the listener's end.
func startMLLP(ctx context.Context, a *app, c mllpConfig, tables *codes.Tables, log *slog.Logger) (net.Addr, <-chan error, error) {
	fac, err := a.facility(ctx, c.Facility)
	if err != nil {
		return nil, nil, err
	}
	svc, err := newEHRService(a.store, tables, a.env.Now)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("serve: MLLP listener on %s: %w", c.Addr, err)
	}
	srv := &hl7.Server{MaxMessage: c.MaxBytes, ReadTimeout: c.ReadTimeout, WriteTimeout: 30 * time.Second, Log: log, Now: a.env.Now,
		Handler: func(ctx context.Context, remote string, msg []byte) []byte {
			host, _, _ := net.SplitHostPort(remote)
			r := svc.Receive(ctx, ehr.Input{FacilityID: fac.ID, Raw: msg, RemoteAddr: host, Via: "mllp"})
			if r.Outcome != ehr.Accepted && r.Outcome != ehr.Duplicate {
				log.Warn("mllp: message refused", "remote", remote, "control_id", r.ControlID, "outcome", r.Outcome, "reason", r.Reason())
			}
			return svc.Ack(r)
		}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	log.Info("cara is listening for HL7 v2 (MLLP)", "addr", ln.Addr().String(), "facility", fac.Code)
	return ln.Addr(), done, nil
}
