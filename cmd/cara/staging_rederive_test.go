package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

// runRederive runs `cara staging rederive` with args, as run would once cmdStaging dispatches to it.
func runRederive(t *testing.T, e env, args ...string) (string, error) {
	t.Helper()
	e.notices = io.Discard
	var out bytes.Buffer
	err := cmdStagingRederive(context.Background(), e, args, &out, io.Discard)
	return out.String(), err
}

func TestStagingRederiveWritesStaleDerivedItemsAudited(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		ctx := context.Background()
		if out, err := runDemo(t, e); err != nil {
			t.Fatalf("demo: %v\n%s", err, out)
		}
		// Whatever the demo left to derive is derived first, so that what follows counts only the
		// values made stale below.
		if out, err := runRederive(t, e); err != nil {
			t.Fatalf("first run: %v\n%s", err, out)
		}
		s, err := store.Open(ctx, store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath, AuditKey: envAuditKey(t, e)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.AllFacilities})
		if err != nil || len(rows) < 2 {
			t.Fatalf("worklist: %d rows, %v", len(rows), err)
		}
		// Two cases as an older staging release left them: a stage the tables no longer give, and
		// no Schema ID Version Current.
		stale := map[uint]string{rows[0].TumorID: "derivedSummaryStage2018", rows[1].TumorID: "schemaIdVersionCurrent"}
		want := map[uint]string{}
		for id, item := range stale {
			cs, err := s.LoadCase(ctx, id, store.AllFacilities)
			if err != nil {
				t.Fatal(err)
			}
			tumor := map[string]string(cs.Tumor.Items)
			want[id] = tumor[item]
			if want[id] == "" {
				t.Fatalf("tumor %d has no %s to make stale", id, item)
			}
			if item == "derivedSummaryStage2018" {
				tumor[item] = "8" // no schema of EOD 3.3 derives 8
			} else {
				delete(tumor, item)
			}
			if _, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: id, Scope: store.AllFacilities, PatientVersion: cs.Patient.Version,
				TumorVersion: cs.Tumor.Version, PatientItems: cs.Patient.Items, TumorItems: tumor}); err != nil {
				t.Fatal(err)
			}
		}
		current := func(id uint) string {
			t.Helper()
			cs, err := s.LoadCase(ctx, id, store.AllFacilities)
			if err != nil {
				t.Fatal(err)
			}
			return cs.Tumor.Items[stale[id]]
		}
		counts := regexp.MustCompile(`^(\d+) tumors read, (\d+) `)

		out, err := runRederive(t, e, "--dry-run")
		if err != nil {
			t.Fatalf("--dry-run: %v\n%s", err, out)
		}
		m := counts.FindStringSubmatch(out)
		if m == nil || m[1] != fmt.Sprint(len(rows)) || m[2] != "2" || !strings.Contains(out, "would change") ||
			!strings.Contains(out, "derivedSummaryStage2018") || !strings.Contains(out, "schemaIdVersionCurrent") {
			t.Errorf("--dry-run said %q, want %d tumors read, 2 that would change, by item", out, len(rows))
		}
		if current(rows[0].TumorID) != "8" {
			t.Errorf("--dry-run wrote the case")
		}

		out, err = runRederive(t, e, "--facility", demoFacilityCode)
		if err != nil {
			t.Fatalf("rederive: %v\n%s", err, out)
		}
		if m := counts.FindStringSubmatch(out); m == nil || m[2] != "2" || !strings.Contains(out, "changed") {
			t.Errorf("rederive said %q, want 2 changed", out)
		}
		for id, item := range stale {
			if got := current(id); got != want[id] {
				t.Errorf("tumor %d: %s = %q after the run, want %q", id, item, got, want[id])
			}
			evs, err := s.AuditEvents(ctx, "tumor", fmt.Sprint(id), 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Action != "case.update" || evs[0].UserID != nil ||
				!strings.Contains(evs[0].Details, "re-derived with EOD staging 3.3") || !strings.Contains(evs[0].Details, item) {
				t.Errorf("tumor %d: last audit event %+v, want the system's case.update with the reason and %s", id, evs, item)
			}
		}

		if out, err := runRederive(t, e); err != nil || !strings.Contains(out, " 0 changed") {
			t.Errorf("a second run: %q, %v; want nothing changed", out, err)
		}
	})
}

func TestStagingRederiveRefusesBadArguments(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--facility", "NOPE"}, `"NOPE"`},
		{[]string{"--user", "nobody"}, `no user "nobody"`},
		{[]string{"--status", "lost"}, "--status"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if _, err := runRederive(t, e, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %s", err, tc.want)
			}
		})
	}
}
