package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/cara-registry/cara/internal/store"
)

func cmdMigrate(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("migrate", flag.ContinueOnError), args); err != nil {
		return err
	}
	s, err := store.Open(ctx, store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath, Now: e.Now})
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s database is up to date (%d migration(s) applied)\n", s.Dialect(), n)
	return nil
}
