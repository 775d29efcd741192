// Package loadtest drives a running cara over HTTP as many people at once: registrars open
// cases, look codes up, run the edits and save a section; reviewers take workflow steps; one
// intake is uploaded, checked and accepted. Each person signs in with a real session and posts
// the CSRF token of the pages it was given, as a browser does. The run is bounded in time and in
// requests. It reports throughput and p50/p95/p99 per kind of request, and checks at the end that
// no update was lost: every case's final values must be those of the last save the server
// acknowledged, and every acknowledged save must have moved the case's version on by one.
//
// The people and cases are made beforehand (cmd/cara's loadtest command seeds them in the
// database, from the demo's patients); this package only speaks HTTP, so it runs against one
// `cara serve` or the haproxy address of a cluster alike.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Plan is who signs in and which cases they work on.
type Plan struct {
	Password   string   // every account's
	Registrars []string // usernames
	Reviewers  []string
	// Intake is the user who uploads and accepts the intake file (empty: no intake runs), and
	// IntakeFile the NAACCR XML it uploads, named IntakeName.
	Intake     string
	IntakeFile []byte
	IntakeName string
	// SaveCases are the draft cases every registrar saves the text section of (shared, so that
	// two registrars sometimes save the same case at once: those are the conflicts).
	SaveCases []uint
	// FlowCases are cases without edit errors, in draft, that registrars send to review and
	// reviewers return; each registrar sends its own share of them.
	FlowCases []uint
}

// Config bounds a run.
type Config struct {
	BaseURL  string        // http://127.0.0.1:port: loopback only
	Duration time.Duration // how long the people work
	// MaxActions bounds each person's actions (0: only the duration bounds them).
	MaxActions int
	// Think is the mean pause between one person's requests (uniform from 0 to twice it), the
	// time she reads the page and types.
	Think time.Duration
	// SaveP99Target is the target the report checks a save's p99 against (0: none).
	SaveP99Target time.Duration
	Seed          uint64
}

// saveItem is the item each save changes: a text item of the text section, which no edit or
// derived item reads, so that every save is valid and the check reads one value.
const (
	saveSection = "text"
	saveItem    = "textRemarks"
)

// Run drives the plan against cfg.BaseURL and checks the outcome. It returns an error only when
// the run could not be made (not loopback, a sign-in refused, the baseline unreadable); failed
// requests during the run are in the report.
func Run(ctx context.Context, cfg Config, p Plan) (*Report, error) {
	if err := checkLoopback(cfg.BaseURL); err != nil {
		return nil, err
	}
	if len(p.Registrars) == 0 || len(p.SaveCases) == 0 {
		return nil, errors.New("loadtest: the plan needs at least one registrar and one case to save")
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	people := len(p.Registrars) + len(p.Reviewers) + 1
	tr := &http.Transport{MaxIdleConns: people * 2, MaxIdleConnsPerHost: people * 2, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	rec := newRecorder()

	// Everyone signs in first, one after another: sign-in hashes a password on purpose slowly,
	// and fifty at once would measure that rather than the work.
	sign := func(name string) (*client, error) {
		c, err := newClient(cfg.BaseURL, tr, rec, name)
		if err != nil {
			return nil, err
		}
		if err := c.login(ctx, name, p.Password); err != nil {
			return nil, fmt.Errorf("loadtest: sign in: %w", err)
		}
		return c, nil
	}
	regs := make([]*client, len(p.Registrars))
	for i, name := range p.Registrars {
		c, err := sign(name)
		if err != nil {
			return nil, err
		}
		regs[i] = c
	}
	revs := make([]*client, len(p.Reviewers))
	for i, name := range p.Reviewers {
		c, err := sign(name)
		if err != nil {
			return nil, err
		}
		revs[i] = c
	}
	var intake *client
	if p.Intake != "" {
		c, err := sign(p.Intake)
		if err != nil {
			return nil, err
		}
		intake = c
	}

	// The cases as they are before the run: what the final check starts from.
	baseline, err := readCases(ctx, regs[0], p.SaveCases)
	if err != nil {
		return nil, fmt.Errorf("loadtest: read the cases before the run: %w", err)
	}

	led := newLedger()
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range regs {
		var own []uint
		for j, id := range p.FlowCases {
			if j%len(regs) == i {
				own = append(own, id)
			}
		}
		r := &registrar{client: c, cfg: cfg, cases: p.SaveCases, flow: own, led: led, rnd: rand.New(rand.NewPCG(cfg.Seed, uint64(i)))}
		wg.Go(func() { r.run(runCtx) })
	}
	for i, c := range revs {
		r := &reviewer{client: c, cfg: cfg, flow: p.FlowCases, led: led, rnd: rand.New(rand.NewPCG(cfg.Seed, uint64(1000+i)))}
		wg.Go(func() { r.run(runCtx) })
	}
	var intakeTumors int
	var intakeWG sync.WaitGroup
	if intake != nil {
		// The intake goes on past the people's time if it must (a file is checked and accepted
		// whole), but no longer than a bound of its own.
		ictx, icancel := context.WithTimeout(ctx, cfg.Duration+intakeGrace)
		defer icancel()
		intakeWG.Go(func() {
			n, err := runIntake(ictx, intake, p)
			if err != nil && ictx.Err() == nil {
				rec.failure(err)
			}
			intakeTumors = n
		})
	}
	wg.Wait()
	intakeWG.Wait()
	elapsed := time.Since(start)

	// The check reads every case again, after the run, through the same server.
	final, err := readCases(ctx, regs[0], p.SaveCases)
	if err != nil {
		return nil, fmt.Errorf("loadtest: read the cases after the run: %w", err)
	}
	rep := &Report{
		BaseURL: cfg.BaseURL, Users: len(regs) + len(revs), Registrars: len(regs), Reviewers: len(revs),
		Elapsed: elapsed, Kinds: rec.report(elapsed), SaveP99Target: cfg.SaveP99Target, IntakeTumors: intakeTumors,
	}
	for _, k := range rep.Kinds {
		rep.Requests += k.Count
		rep.Errors += k.Errors
	}
	rep.Errors = max(rep.Errors, rec.failed)
	rep.Failures = rec.failures
	rep.SavesAcknowledged, rep.SavesConflicted, rep.Steps = led.counts()
	rep.CasesChecked = len(p.SaveCases)
	rep.LostUpdates = led.check(baseline, final)
	return rep, nil
}

// intakeGrace is how long the intake may go on after the people stop.
const intakeGrace = 2 * time.Minute

// checkLoopback refuses a base URL that is not on this machine: a load test is not to be
// pointed at someone else's server.
func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("loadtest: base URL %q: want http://127.0.0.1:port", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadtest: base URL %q: only a loopback address (127.0.0.1, ::1, localhost) may be load tested", base)
	}
	return nil
}

// think pauses as a person reading and typing does; false when the run is over.
func think(ctx context.Context, rnd *rand.Rand, mean time.Duration) bool {
	if mean <= 0 {
		return ctx.Err() == nil
	}
	return sleep(ctx, time.Duration(rnd.Int64N(int64(2*mean))))
}

func caseURL(id uint) string { return "/cases/" + strconv.FormatUint(uint64(id), 10) }
