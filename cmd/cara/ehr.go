package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/ratelimit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

// maxEHRFile bounds the file `cara ehr import` reads into memory.
const maxEHRFile = ehr.MaxFileBytes

func cmdEHR(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("ehr", "say import, sender, fhir or purge")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "ehr"}
	case "import":
		return cmdEHRImport(ctx, e, args[1:], stdout)
	case "sender":
		return cmdEHRSender(ctx, e, args[1:], stdout)
	case "fhir":
		return cmdEHRFHIR(ctx, e, args[1:], stdout)
	case "purge":
		return cmdEHRPurge(ctx, e, args[1:], stdout)
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
	results := svc.ReceiveFile(ctx, ehr.Input{FacilityID: fac.ID, Raw: data, Via: "file"})
	bad := 0
	for _, r := range results {
		if r.Refused() {
			bad++
		}
		fmt.Fprintln(stdout, r.Describe())
	}
	fmt.Fprintln(stdout, ehr.FileSummary(results))
	if len(results) == 0 {
		return fmt.Errorf("ehr import: %s: no message (no MSH segment): %w", path, errProblems)
	}
	if bad > 0 {
		return fmt.Errorf("ehr import: %s: %s refused: %w", path, plural.Count(bad, "message"), errProblems)
	}
	return nil
}

// cmdEHRSender manages the senders allowed on the MLLP listener: add (prints the token, once),
// list, revoke.
func cmdEHRSender(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("ehr sender", "say add, list or revoke")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("ehr sender " + sub)
	var facility, name *string
	switch sub {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "ehr sender"}
	case "add":
		facility = fs.String("facility", "", "facility code whose suspense list the sender's reports join (required)")
		name = fs.String("name", "", "who the sender is, such as the lab's name (required)")
	case "list":
		facility = fs.String("facility", "", "only the senders of this facility")
	case "revoke":
	default:
		return badGroupArgs("ehr sender", "unknown subcommand %s", excerpt.Quote(sub))
	}
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	var id uint64
	switch sub {
	case "add":
		if *facility == "" || *name == "" {
			return badArgs(fs, "--facility and --name are required")
		}
		if len([]rune(*name)) > 100 {
			return badArgs(fs, "--name: at most 100 characters")
		}
	case "revoke":
		var err error
		if fs.NArg() != 1 {
			return badArgs(fs, "name the id of one sender (see cara ehr sender list)")
		}
		if id, err = strconv.ParseUint(fs.Arg(0), 10, 32); err != nil || id == 0 {
			return badArgs(fs, "sender id %s: a whole number above 0", excerpt.Quote(fs.Arg(0)))
		}
	}
	a, err := newApp(ctx, e, "ehr sender "+sub, withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	senders := ehr.NewSenders(a.store)
	switch sub {
	case "add":
		fac, err := a.facility(ctx, *facility)
		if err != nil {
			return err
		}
		snd, tok, err := senders.Add(ctx, store.Actor{}, fac.ID, *name)
		if err != nil {
			return fmt.Errorf("ehr sender add: %w", err)
		}
		fmt.Fprintf(stdout, "sender #%d (%s) of facility %s\ntoken: %s\n"+
			"The sender puts the token in MSH-8 (Security) of each HL7 message, or sends it as the bearer token to the FHIR endpoint; cara keeps only its hash, so this is the only time it is shown.\n",
			snd.ID, snd.Name, fac.Code, tok)
	case "list":
		var facID uint
		if *facility != "" {
			fac, err := a.facility(ctx, *facility)
			if err != nil {
				return err
			}
			facID = fac.ID
		}
		list, err := senders.List(ctx, facID)
		if err != nil {
			return err
		}
		for _, snd := range list {
			state := "active"
			if snd.RevokedAt != nil {
				state = "revoked " + snd.RevokedAt.UTC().Format(time.DateOnly)
			}
			fmt.Fprintf(stdout, "#%d\tfacility %d\t%s\tadded %s\t%s\n", snd.ID, snd.FacilityID, snd.Name, snd.CreatedAt.UTC().Format(time.DateOnly), state)
		}
		fmt.Fprintln(stdout, plural.Count(len(list), "sender"))
	case "revoke":
		if err := senders.Revoke(ctx, store.Actor{}, uint(id)); err != nil {
			return fmt.Errorf("ehr sender revoke: %w", err)
		}
		fmt.Fprintf(stdout, "sender #%d revoked\n", id)
	}
	return nil
}

// mllpConfig is the MLLP listener's: where it listens, whose suspense list it fills, its limits.
type mllpConfig struct {
	Addr            string
	Facility        string
	MaxBytes        int
	ReadTimeout     time.Duration
	MaxConns        int
	MaxConnsPerHost int
	Rate            int // messages a second from one sender
	// TLS: the listener's certificate and key (PEM files); with ClientCA, only senders with a
	// client certificate signed by it may connect.
	TLSCert, TLSKey, ClientCA string
}

// tlsConfig is the listener's TLS configuration, or nil for plain TCP.
func (c mllpConfig) tlsConfig() (*tls.Config, error) {
	switch {
	case c.TLSCert == "" && c.TLSKey == "" && c.ClientCA == "":
		return nil, nil
	case c.TLSCert == "" || c.TLSKey == "":
		return nil, fmt.Errorf("MLLP TLS: give both --mllp-tls-cert and --mllp-tls-key (CARA_MLLP_TLS_CERT, CARA_MLLP_TLS_KEY)")
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("MLLP TLS: certificate %s and key %s: %w", c.TLSCert, c.TLSKey, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCA != "" {
		pem, err := os.ReadFile(c.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("MLLP TLS: client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("MLLP TLS: client CA %s: no PEM certificate in it", c.ClientCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// The MLLP listener's defaults: a pathology report with an embedded PDF is a few MB; a lab's
// interface engine keeps one or a few connections open; 100 messages a second from one sender
// is more than a state laboratory's peak (the listener keeps up with 1,200 a second from 10).
const (
	defaultMLLPMaxBytes        = 16 << 20
	defaultMLLPMaxConns        = 200
	defaultMLLPMaxConnsPerHost = 20
	defaultMLLPRate            = 100
)

// mllpFromEnv reads CARA_MLLP_ADDR, CARA_MLLP_FACILITY, CARA_MLLP_MAX_BYTES,
// CARA_MLLP_READ_TIMEOUT (seconds), CARA_MLLP_MAX_CONNS, CARA_MLLP_MAX_CONNS_PER_HOST and
// CARA_MLLP_RATE (messages a second from one sender).
func mllpFromEnv() (mllpConfig, error) {
	c := mllpConfig{Addr: os.Getenv("CARA_MLLP_ADDR"), Facility: os.Getenv("CARA_MLLP_FACILITY"), MaxBytes: defaultMLLPMaxBytes,
		TLSCert: os.Getenv("CARA_MLLP_TLS_CERT"), TLSKey: os.Getenv("CARA_MLLP_TLS_KEY"), ClientCA: os.Getenv("CARA_MLLP_CLIENT_CA"),
		ReadTimeout: time.Minute, MaxConns: defaultMLLPMaxConns, MaxConnsPerHost: defaultMLLPMaxConnsPerHost, Rate: defaultMLLPRate}
	for _, v := range []struct {
		name, what string
		to         *int
	}{
		{"CARA_MLLP_MAX_BYTES", "the limit of one message in bytes", &c.MaxBytes},
		{"CARA_MLLP_MAX_CONNS", "how many connections may be open at once", &c.MaxConns},
		{"CARA_MLLP_MAX_CONNS_PER_HOST", "how many connections one address may have open at once", &c.MaxConnsPerHost},
		{"CARA_MLLP_RATE", "how many messages a second one sender may send", &c.Rate},
	} {
		if s := os.Getenv(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return c, fmt.Errorf("%s: give %s, a whole number above 0; got %s", v.name, v.what, excerpt.Quote(s))
			}
			*v.to = n
		}
	}
	if v := os.Getenv("CARA_MLLP_READ_TIMEOUT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("CARA_MLLP_READ_TIMEOUT: give the seconds a sender may stay silent, a whole number above 0; got %s", excerpt.Quote(v))
		}
		c.ReadTimeout = time.Duration(n) * time.Second
	}
	return c, nil
}

// startMLLP listens for pathology messages on c.Addr for the facility c.Facility and answers
// each with its ACK, until ctx ends; the returned channel gets the listener's end.
func startMLLP(ctx context.Context, a *app, c mllpConfig, tables *codes.Tables, log *slog.Logger) (net.Addr, <-chan error, error) {
	// With a facility, every message joins its list (a listener on a network that only its
	// senders reach); without one, each message names its sender by its token in MSH-8.
	var fac store.Facility
	if c.Facility != "" {
		f, err := a.facility(ctx, c.Facility)
		if err != nil {
			return nil, nil, err
		}
		fac = *f
	}
	svc, err := newEHRService(a.store, tables, a.env.Now)
	if err != nil {
		return nil, nil, err
	}
	// A burst of a few seconds' worth: a sender catching up after an outage sends its backlog.
	svc.Limit(ratelimit.New(float64(c.Rate), 5*c.Rate, 10*time.Minute))
	tlsCfg, err := c.tlsConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("serve: %w", err)
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("serve: MLLP listener on %s: %w", c.Addr, err)
	}
	if tlsCfg != nil {
		// The handshake runs on the connection's first read, under the listener's read timeout;
		// a sender without a valid client certificate fails it and is disconnected.
		ln = tls.NewListener(ln, tlsCfg)
	}
	srv := &hl7.Server{MaxMessage: c.MaxBytes, ReadTimeout: c.ReadTimeout, WriteTimeout: 30 * time.Second, Log: log, Now: a.env.Now,
		MaxConns: c.MaxConns, MaxConnsPerHost: c.MaxConnsPerHost,
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
	who := "senders with a token (cara ehr sender add)"
	if fac.ID != 0 {
		who = "facility " + fac.Code
	}
	log.Info("cara is listening for HL7 v2 (MLLP)", "addr", ln.Addr().String(), "for", who, "tls", tlsCfg != nil,
		"client_certificates", tlsCfg != nil && tlsCfg.ClientAuth == tls.RequireAndVerifyClientCert)
	return ln.Addr(), done, nil
}

// defaultEHRRetentionYears is how long an electronic report is kept as received: the raw
// message is the registry's evidence of what the laboratory sent, and HIPAA keeps the records of
// a disclosure six years; seven covers that with the year a report may wait on the suspense list.
const defaultEHRRetentionYears = 7

// ehrRetentionFromEnv reads CARA_EHR_RETENTION_YEARS.
func ehrRetentionFromEnv() (int, error) {
	v := os.Getenv("CARA_EHR_RETENTION_YEARS")
	if v == "" {
		return defaultEHRRetentionYears, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, fmt.Errorf("CARA_EHR_RETENTION_YEARS: give how many years electronic reports are kept as received, a whole number from 1 to 100; got %s", excerpt.Quote(v))
	}
	return n, nil
}

// cmdEHRPurge blanks the raw messages of the HL7 reports and FHIR bundles received before the
// retention period (or --before), keeping their SHA-256, suggestions and suspense records.
func cmdEHRPurge(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("ehr purge")
	before := fs.String("before", "", "purge what was received before this date (CCYYMMDD); default: the retention period ago (CARA_EHR_RETENTION_YEARS, 7)")
	dry := fs.Bool("dry-run", false, "say what would be purged, purge nothing")
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return badArgs(fs, "takes no file; say --before CCYYMMDD or nothing")
	}
	years, err := ehrRetentionFromEnv()
	if err != nil {
		return err
	}
	now := e.Now().UTC()
	limit := now.AddDate(-years, 0, 0)
	if *before != "" {
		t, err := time.Parse("20060102", *before)
		if err != nil {
			return badArgs(fs, "--before %s: a date CCYYMMDD", excerpt.Quote(*before))
		}
		if t.After(limit) {
			return badArgs(fs, "--before %s: within the retention period of %d years (messages received since %s are kept); set CARA_EHR_RETENTION_YEARS to shorten it",
				excerpt.Quote(*before), years, limit.Format(time.DateOnly))
		}
		limit = t
	}
	a, err := newApp(ctx, e, "ehr purge", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := a.store.PurgeEHRRaw(ctx, limit, *dry, store.AuditEntry{Action: audit.EHRPurge, Entity: "ehr_report", EntityID: "*"})
	if err != nil {
		return err
	}
	verb := "purged"
	if p.DryRun {
		verb = "would purge"
	}
	fmt.Fprintf(stdout, "received before %s: %s the raw messages of %s (%d bytes) and %s (%d bytes); their SHA-256, suggestions and suspense records are kept\n",
		p.Before.Format(time.DateOnly), verb, plural.Count(int(p.Reports), "HL7 report"), p.ReportBytes, plural.Count(int(p.Bundles), "FHIR bundle"), p.BundleBytes)
	return nil
}
