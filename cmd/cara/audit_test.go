package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

func TestAuditVerifyPassesOnADemoDatabaseAndNamesATamperedEvent(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runDemo(t, e); err != nil {
			t.Fatalf("demo: %q, %v", out, err)
		}
		out, err := runCmd(t, e, "", "audit", "verify")
		if err != nil || !strings.HasPrefix(out, "audit trail intact: ") {
			t.Fatalf("verify of a fresh demo database: %q, %v", out, err)
		}
		for _, args := range [][]string{{"export", "--out", "a.xml"}, {"export", "--out", "b.xml", "--status", "approved"}} {
			if out, err := runCmd(t, e, "", args...); err != nil {
				t.Fatalf("%v: %q, %v", args, out, err)
			}
		}
		before, err := runCmd(t, e, "", "audit", "verify")
		if err != nil || !strings.Contains(before, " events\nlast event #") {
			t.Fatalf("verify after exports: %q, %v", before, err)
		}

		// Someone with the right to change the schema drops the trigger that refuses updates and
		// rewrites the second export's details.
		s, err := store.Open(context.Background(), store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var id int64
		if err := s.DB().QueryRow("SELECT MAX(id) FROM audit_events WHERE action = 'export'").Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().Exec("DROP TRIGGER audit_events_no_update"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().Exec(`UPDATE audit_events SET details = '{"file":"nothing.xml"}' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}

		out, err = runCmd(t, e, "", "audit", "verify")
		if !errors.Is(err, errProblems) {
			t.Fatalf("verify of a tampered trail: err = %v, want errProblems\n%s", err, out)
		}
		want := fmt.Sprintf("audit trail broken at event #%d (2026-11-20T10:00:00Z, export): its hash does not match its content", id)
		if !strings.Contains(out, want) {
			t.Errorf("verify said %q, want it to say %q", out, want)
		}
	})
}

func TestAuditWithoutVerifyIsAUsageError(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	for _, args := range [][]string{{"audit"}, {"audit", "check"}, {"audit", "verify", "extra"}, {"audit", "verify", "--checkpoint"},
		{"audit", "checkpoint", "extra"}, {"audit", "checkpoint", "--out"}} {
		if _, err := runCmd(t, e, "", args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
