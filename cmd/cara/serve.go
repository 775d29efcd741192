package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/tempfile"
	"github.com/cara-registry/cara/internal/web"
	"github.com/cara-registry/cara/schemas"
)

func cmdServe(ctx context.Context, e env, args []string, stderr io.Writer) error {
	mllp, err := mllpFromEnv()
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fs := newFlags("serve")
	fs.StringVar(&mllp.Addr, "mllp-addr", mllp.Addr, "listen for HL7 v2 pathology reports (MLLP) on this address, such as :2575 (CARA_MLLP_ADDR); none by default")
	fs.StringVar(&mllp.Facility, "mllp-facility", mllp.Facility, "facility code whose suspense list every MLLP report joins (CARA_MLLP_FACILITY); without one, each message must carry a sender token in MSH-8 (cara ehr sender add)")
	fs.StringVar(&mllp.TLSCert, "mllp-tls-cert", mllp.TLSCert, "serve MLLP over TLS with this certificate (PEM; CARA_MLLP_TLS_CERT)")
	fs.StringVar(&mllp.TLSKey, "mllp-tls-key", mllp.TLSKey, "the TLS certificate's private key (PEM; CARA_MLLP_TLS_KEY)")
	fs.StringVar(&mllp.ClientCA, "mllp-client-ca", mllp.ClientCA, "take only MLLP senders with a client certificate signed by this CA (PEM; CARA_MLLP_CLIENT_CA)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	proxies, err := e.trustedProxies()
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := newApp(ctx, e, "serve", withStore|withCatalog)
	if err != nil {
		return err
	}
	defer a.Close()
	s, cat := a.store, &a.cat

	// What a killed batch or upload left is removed now, and hourly below (each new batch or
	// upload also sweeps its directory first).
	dirs := []string{e.submissionDir(), e.IntakeDir}
	sweepTemporaries(log, dirs...)
	sweepOrphanBatches(ctx, log, s, e.submissionDir())

	// Intake jobs run in the background, two at a time, and stop with the server.
	intake, runner, err := newIntakeRunner(s, cat, e, log)
	if err != nil {
		return err
	}
	go runner.Run(ctx)

	// The worklist's site groups and the new-case steps are loaded once, here, for every handler
	// that uses them.
	siteGroups, err := codes.LoadSiteGroups(schemas.FS)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	newCase, err := abstract.LoadNewCase(schemas.FS, cat.Form)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}

	srv := web.New(web.Deps{Store: s, Form: cat.Form, Edits: cat.Edits, Staging: cat.Staging, Codes: cat.Codes,
		SiteGroups: siteGroups, NewCase: newCase, Logger: log, Now: e.Now, SecureCookies: e.SecureCookies,
		TrustedProxies: proxies, SubmissionDir: e.submissionDir(), ReleaseDir: e.releaseDir(), Intake: intake})
	// Release extracts past their time are purged hourly too (a download of one purges it at once).
	releases, err := releaseService(s, cat.Form, siteGroups, e)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	httpSrv := &http.Server{Addr: e.Addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute}

	go func() {
		// Expired sessions are removed hourly; an expired one is refused anyway.
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for first := true; ; first = false {
			if !first {
				sweepTemporaries(log, dirs...)
				sweepOrphanBatches(ctx, log, s, e.submissionDir())
			}
			if n, err := releases.PurgeExpired(ctx); err != nil {
				log.Error("purge expired release files", "err", err)
			} else if n > 0 {
				log.Info("purged expired release files", "count", n)
			}
			if n, err := s.DeleteExpiredSessions(ctx, e.Now()); err != nil {
				log.Error("delete expired sessions", "err", err)
			} else if n > 0 {
				log.Info("deleted expired sessions", "count", n)
			}
			// Sign-in forms past their hour, and throttle counts that would start over anyway.
			if n, err := s.DeleteExpiredLoginPresessions(ctx, e.Now()); err != nil {
				log.Error("delete expired sign-in forms", "err", err)
			} else if n > 0 {
				log.Info("deleted expired sign-in forms", "count", n)
			}
			if n, err := s.DeleteStaleLoginThrottles(ctx, e.Now().Add(-auth.DefaultThrottle.Memory)); err != nil {
				log.Error("delete stale sign-in throttles", "err", err)
			} else if n > 0 {
				log.Info("deleted stale sign-in throttles", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()

	// The MLLP listener stops with ctx, as the web server does.
	var mllpDone <-chan error
	if mllp.Addr != "" {
		if _, mllpDone, err = startMLLP(ctx, a, mllp, cat.Codes, log); err != nil {
			return err
		}
	}

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.ListenAndServe() }()
	log.Info("cara is serving", "url", "http://"+e.Addr, "database", string(s.Dialect()))
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", e.Addr, err)
	case err := <-mllpDone:
		if ctx.Err() == nil {
			return fmt.Errorf("serve: %w", err)
		}
		mllpDone = nil
	case <-ctx.Done():
	}
	if mllpDone != nil {
		<-mllpDone // the messages being stored are stored, and answered, before cara stops
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	log.Info("cara stopped")
	return nil
}

// sweepOrphanBatches removes the stale files of batches killed between their file's rename and
// their commit (submission.SweepOrphans) and writes the audit events of those killed between
// their commit and their event, logging as sweepTemporaries does.
func sweepOrphanBatches(ctx context.Context, log *slog.Logger, s *store.Store, dir string) {
	removed, err := submission.SweepOrphans(ctx, s, dir, time.Now())
	if len(removed) > 0 {
		log.Info("removed batch files no batch was recorded for", "dir", dir, "files", removed)
	}
	if err != nil {
		log.Error("remove batch files no batch was recorded for", "dir", dir, "err", err)
	}
	// The audit events of batches whose process died between their commit and their event.
	n, err := s.FinishPendingSubmissions(ctx)
	if n > 0 {
		log.Info("wrote the audit events of batches recorded without one", "batches", n)
	}
	if err != nil {
		log.Error("write the audit events of batches recorded without one", "err", err)
	}
}

// sweepTemporaries removes the stale temporaries of killed jobs in dirs and logs what it did;
// a failure is logged, not fatal: the next sweep tries again. Modification times are the file
// system's, so the sweep goes by the wall clock, not cara's (a test's) clock.
func sweepTemporaries(log *slog.Logger, dirs ...string) {
	for _, d := range dirs {
		removed, err := tempfile.Sweep(d, time.Now())
		if len(removed) > 0 {
			log.Info("removed temporaries left by stopped jobs", "dir", d, "files", removed)
		}
		if err != nil {
			log.Error("remove temporaries left by stopped jobs", "dir", d, "err", err)
		}
	}
}
