package main

import (
	"context"
	"fmt"
	"io"
)

func cmdMigrate(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if err := parseFlags(newFlags("migrate"), args); err != nil {
		return err
	}
	a, err := newApp(ctx, e, "migrate", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	s, n := a.store, a.migrations
	fmt.Fprintf(stdout, "%s database is up to date (%d migration(s) applied)\n", s.Dialect(), n)
	seal, err := s.AuditSeal(ctx)
	if err != nil {
		return err
	}
	if seal.KeyedFrom > 1 {
		fmt.Fprintf(stdout, "audit trail: events #1 to #%d are from before the audit key, fixed by its seal; the key hashes every event from #%d on\n", seal.KeyedFrom-1, seal.KeyedFrom)
	}
	return nil
}
