package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/store"
)

func cmdAudit(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return badGroupArgs("audit", "say cara audit verify or cara audit checkpoint")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{name: "audit"}
	case "verify":
		fs := newFlags("audit verify")
		var checkpoints []string
		fs.Func("checkpoint", "a checkpoint `FILE` to check the trail against (repeatable)", func(v string) error {
			checkpoints = append(checkpoints, v)
			return nil
		})
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		return auditVerify(ctx, e, checkpoints, stdout)
	case "checkpoint":
		fs := newFlags("audit checkpoint")
		out := fs.String("out", "", "write the checkpoint to this file instead of stdout")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		return auditCheckpoint(ctx, e, *out, stdout)
	}
	return badGroupArgs("audit", "unknown command %s: say cara audit verify or cara audit checkpoint", excerpt.Quote(args[0]))
}

// readCheckpoints reads and opens each checkpoint file before the trail is read, so that a
// file that is not there, or not signed with the key, is said first.
func readCheckpoints(key *audit.Key, paths []string) ([]audit.Checkpoint, error) {
	cps := make([]audit.Checkpoint, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("audit verify: --checkpoint: %w", err)
		}
		if cps[i], err = key.OpenCheckpoint(b); err != nil {
			return nil, fmt.Errorf("audit verify: checkpoint %s: %v: %w", p, err, errProblems)
		}
	}
	return cps, nil
}

// auditVerify checks the keyed hash chain of the configured database's audit trail and names the
// first event that does not fit (errProblems), if any; then the trail against each checkpoint
// given, and the submission batches' links against the digests their events recorded.
func auditVerify(ctx context.Context, e env, checkpoints []string, stdout io.Writer) error {
	// The key is not checked against the seal on opening: Verify says where a wrong key breaks.
	a, err := newApp(ctx, e, "audit verify", withStore|withUncheckedKey)
	if err != nil {
		return err
	}
	defer a.Close()
	s, key := a.store, a.key
	cps, err := readCheckpoints(key, checkpoints)
	if err != nil {
		return err
	}
	res, err := audit.Verify(ctx, s, key, nil)
	if err != nil {
		return err
	}
	if res.Break != nil {
		return reportBreak(res, stdout)
	}
	fmt.Fprintf(stdout, "audit trail intact: %d events\n", res.Events)
	if res.Events > 0 {
		// Kept somewhere else, this line lets a later check see a trail rewritten from scratch.
		fmt.Fprintf(stdout, "last event #%d, hash %s\n", res.Head.LastID, res.Head.LastHash)
	}
	if older := res.KeyedFrom - 1; older > 0 {
		fmt.Fprintf(stdout, "%d events before the key was introduced (#1 to #%d): checked by their plain hash chain, which the key's seal fixes\n",
			older, older)
	}
	bad := 0
	for i, c := range cps {
		problem, err := audit.MatchCheckpoint(ctx, s, res, c)
		if err != nil {
			return err
		}
		if problem != "" {
			bad++
			fmt.Fprintf(stdout, "checkpoint %s (event #%d, made %s) does not match: %s\n", checkpoints[i], c.LastID, c.Made.Format(time.RFC3339), problem)
			continue
		}
		fmt.Fprintf(stdout, "checkpoint %s matches: event #%d, made %s\n", checkpoints[i], c.LastID, c.Made.Format(time.RFC3339))
	}
	if bad > 0 {
		return fmt.Errorf("%d of the checkpoints do not match the audit trail: %w", bad, errProblems)
	}
	return verifySubmissions(ctx, s, stdout)
}

// verifySubmissions checks each batch's links against the digest of its one event.
func verifySubmissions(ctx context.Context, s *store.Store, stdout io.Writer) error {
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

// reportBreak says where the trail breaks and returns errProblems.
func reportBreak(res audit.Result, stdout io.Writer) error {
	b := res.Break
	what := fmt.Sprintf("event #%d (missing)", b.ID)
	if ev := b.Event; ev != nil {
		what = fmt.Sprintf("event #%d (%s, %s)", ev.ID, ev.At.UTC().Format(time.RFC3339), ev.Action)
	}
	if b.Seal {
		what = fmt.Sprintf("the key's seal, before event #%d", b.ID)
	}
	fmt.Fprintf(stdout, "audit trail broken at %s: %s\n", what, b.Reason)
	if res.Events > 0 {
		fmt.Fprintf(stdout, "the %d events before it are intact\n", res.Events)
	}
	return fmt.Errorf("audit trail broken at event #%d: %w", b.ID, errProblems)
}

// auditCheckpoint verifies the trail and writes a checkpoint of its last event, signed with the
// key, to out or stdout. A broken trail gets no checkpoint: that would vouch for the break.
func auditCheckpoint(ctx context.Context, e env, out string, stdout io.Writer) error {
	a, err := newApp(ctx, e, "audit checkpoint", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	s, key := a.store, a.key
	res, err := audit.Verify(ctx, s, key, nil)
	if err != nil {
		return err
	}
	if res.Break != nil {
		fmt.Fprintln(stdout, "no checkpoint made: the trail is broken")
		return reportBreak(res, stdout)
	}
	c, err := audit.MakeCheckpoint(ctx, s, res, e.Now())
	if err != nil {
		return err
	}
	file := key.Sign(c)
	if out == "" {
		_, err := stdout.Write(file)
		return err
	}
	o, err := createOutFile(out)
	if err != nil {
		return fmt.Errorf("audit checkpoint: --out: %w", err)
	}
	if _, err := o.W.Write(file); err != nil {
		o.Abort()
		return fmt.Errorf("audit checkpoint: write %s: %w", out, err)
	}
	if _, err := o.Commit(); err != nil {
		return fmt.Errorf("audit checkpoint: %w", err)
	}
	fmt.Fprintf(stdout, "checkpoint of event #%d (%d events) written to %s: keep it outside the database\n", c.LastID, c.Events, out)
	return nil
}
