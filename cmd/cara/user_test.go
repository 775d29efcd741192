package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
)

func TestUserAddTakesSeveralFacilitiesTheFirstBeingHome(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		for _, code := range []string{"F1", "F2", "F3"} {
			if out, err := runCmd(t, e, "", "facility", "add", "--code", code, "--name", "Hospital "+code); err != nil {
				t.Fatalf("facility add %s: %q, %v", code, out, err)
			}
		}
		out, err := runCmd(t, e, "s3cret-pass\n", "user", "add", "--username", "kim", "--role", "registrar",
			"--facility", "F2,F1", "--facility", "F3", "--facility", "F1")
		if err != nil || !strings.Contains(out, "user kim added") {
			t.Fatalf("user add: %q, %v", out, err)
		}
		ctx := context.Background()
		s, err := store.Open(ctx, store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		u, err := s.UserByUsername(ctx, "kim")
		if err != nil {
			t.Fatal(err)
		}
		fs, err := s.UserFacilities(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, f := range fs {
			codes = append(codes, f.Code)
		}
		if !slices.Equal(codes, []string{"F2", "F1", "F3"}) {
			t.Errorf("facilities %v, want F2 (home) then F1, F3", codes)
		}
		p, err := s.SearchAudit(ctx, store.AuditFilter{Action: audit.UserCreate})
		if err != nil || len(p.Events) != 1 || p.Events[0].EntityID != "kim" || !strings.Contains(p.Events[0].Details, "command line") {
			t.Errorf("user.create events %+v, %v; want one for kim made on the command line", p, err)
		}

		if _, err := runCmd(t, e, "s3cret-pass\n", "user", "add", "--username", "lee", "--role", "reviewer", "--facility", "F1,ZZ"); err == nil ||
			!strings.Contains(err.Error(), `no facility with code "ZZ"`) {
			t.Errorf("unknown second facility: err = %v", err)
		}
		if _, err := s.UserByUsername(ctx, "lee"); err == nil {
			t.Error("a refused user add stored the user")
		}
	})
}
