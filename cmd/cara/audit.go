package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cara-registry/cara/internal/audit"
)

func cmdAudit(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("audit: say cara audit verify: %w", errUsage)
	}
	if err := parseFlags(flag.NewFlagSet("audit verify", flag.ContinueOnError), args[1:]); err != nil {
		return err
	}
	return auditVerify(ctx, e, stdout)
}

// auditVerify checks the hash chain of the configured database's audit trail and names the first
// event that does not fit (errProblems), if any; then the submission batches' links against the
// digests their events recorded.
func auditVerify(ctx context.Context, e env, stdout io.Writer) error {
	s, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := audit.Verify(ctx, s, nil)
	if err != nil {
		return err
	}
	if res.Break == nil {
		fmt.Fprintf(stdout, "audit trail intact: %d events\n", res.Events)
		if res.Events > 0 {
			// Kept somewhere else, this line lets a later check see a trail rewritten from scratch.
			fmt.Fprintf(stdout, "last event #%d, hash %s\n", res.Head.LastID, res.Head.LastHash)
		}
		// A batch's one event covers its cases through a digest of its links.
		checked, bad, err := s.VerifySubmissions(ctx)
		if err != nil {
			return err
		}
		for _, m := range bad {
			fmt.Fprintf(stdout, "submission batch %s (#%d): %s\n", m.FileName, m.SubmissionID, m.Reason)
		}
		if len(bad) > 0 {
			return fmt.Errorf("%d of the submission batches do not match their audit events: %w", len(bad), errProblems)
		}
		if checked > 0 {
			fmt.Fprintf(stdout, "submission batches intact: %d checked against their audit events\n", checked)
		}
		return nil
	}
	b := res.Break
	what := fmt.Sprintf("event #%d (missing)", b.ID)
	if ev := b.Event; ev != nil {
		what = fmt.Sprintf("event #%d (%s, %s)", ev.ID, ev.At.UTC().Format(time.RFC3339), ev.Action)
	}
	fmt.Fprintf(stdout, "audit trail broken at %s: %s\n", what, b.Reason)
	if res.Events > 0 {
		fmt.Fprintf(stdout, "the %d events before it are intact\n", res.Events)
	}
	return fmt.Errorf("audit trail broken at event #%d: %w", b.ID, errProblems)
}
