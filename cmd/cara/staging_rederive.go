package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/store"
)

// cmdStagingRederive re-derives the derived items of the stored cases (age at diagnosis, the EOD
// schema, stage and grade, the staging version) and saves the changes through the case service,
// so each one is a case save with its audit event, edit counts and optimistic lock. It is a
// command of `cara staging` (stagingCommands in staging.go: {"rederive", cmdStagingRederive}).
func cmdStagingRederive(ctx context.Context, e env, args []string, stdout, _ io.Writer) error {
	fs := newFlags("staging rederive")
	facility := fs.String("facility", "", "only this facility's cases (default: all facilities)")
	status := fs.String("status", "", "comma-separated tumor statuses to re-derive (default: all)")
	username := fs.String("user", "", "the cara user the changes are audited as (default: the system)")
	dryRun := fs.Bool("dry-run", false, "count what would change; write nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var statuses []string
	for _, st := range strings.Split(*status, ",") {
		if st = strings.TrimSpace(st); st == "" {
			continue
		}
		if _, err := abstract.ParseStatus(st); err != nil {
			return badArgs(fs, "--status: %v", err)
		}
		statuses = append(statuses, st)
	}
	a, err := newApp(ctx, e, "staging rederive", withStore|withEdits)
	if err != nil {
		return err
	}
	defer a.Close()
	form, err := a.cat.abstractForm()
	if err != nil {
		return err
	}
	stg, err := a.cat.staging()
	if err != nil {
		return err
	}
	scope, _, err := a.facilityScope(ctx, *facility)
	if err != nil {
		return err
	}
	actor := casework.Actor{Scope: scope}
	if *username != "" {
		u, err := a.store.UserByUsername(ctx, *username)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("staging rederive: --user: no user %s", excerpt.Quote(*username))
		}
		if err != nil {
			return fmt.Errorf("staging rederive: --user: %w", err)
		}
		actor.UserID = u.ID
	}
	svc := casework.New(a.store, form, a.cat.Edits, stg)
	st, err := rederiveStored(ctx, a.store, svc, actor, store.PatientFilter{Scope: scope, Statuses: statuses},
		fmt.Sprintf("re-derived with EOD staging %s", stg.Version), *dryRun)
	st.print(stdout, *dryRun)
	if err != nil {
		return fmt.Errorf("staging rederive: %w", err)
	}
	if st.conflicts > 0 {
		return fmt.Errorf("%d tumors changed while being re-derived and were left as they are; run again: %w", st.conflicts, errProblems)
	}
	return nil
}

// rederiveStats counts a re-derivation: tumors read, tumors changed, changes by item, and tumors
// someone saved meanwhile (left alone).
type rederiveStats struct {
	read, changed, conflicts int
	byItem                   map[string]int
}

func (st *rederiveStats) print(w io.Writer, dryRun bool) {
	verb := "changed"
	if dryRun {
		verb = "would change (dry run: nothing written)"
	}
	fmt.Fprintf(w, "%d tumors read, %d %s", st.read, st.changed, verb)
	if st.conflicts > 0 {
		fmt.Fprintf(w, ", %d changed meanwhile and skipped", st.conflicts)
	}
	fmt.Fprintln(w)
	items := make([]string, 0, len(st.byItem))
	for it := range st.byItem {
		items = append(items, it)
	}
	sort.Strings(items)
	for _, it := range items {
		fmt.Fprintf(w, "  %-32s %d\n", it, st.byItem[it])
	}
}

// rederiveStored runs the case service's Rederive over every stored tumor the filter passes, as
// `cara edits run --store` goes through them: a patient at a time, with its tumors.
func rederiveStored(ctx context.Context, s *store.Store, svc *casework.Service, a casework.Actor, f store.PatientFilter, reason string, dryRun bool) (*rederiveStats, error) {
	st := &rederiveStats{byItem: map[string]int{}}
	err := s.EachPatient(ctx, f, 200, func(sp *store.Patient, ts []store.Tumor) error {
		for i := range ts {
			st.read++
			cs := &casework.Case{Patient: *sp, Tumor: ts[i], Tumors: ts}
			res, err := svc.Rederive(ctx, a, cs, reason, dryRun)
			if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
				st.conflicts++
				continue
			}
			if err != nil {
				return fmt.Errorf("tumor %d: %w", ts[i].ID, err)
			}
			if len(res.Changes) == 0 {
				continue
			}
			st.changed++
			for _, c := range res.Changes {
				st.byItem[c.Item]++
			}
			if res.Case != nil {
				// The patient's next tumor sees this one as saved (patient-level edits).
				ts[i] = res.Case.Tumor
			}
		}
		return nil
	})
	return st, err
}
