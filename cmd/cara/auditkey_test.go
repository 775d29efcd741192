package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
)

// attack opens the database of e as someone who can change it but has no key: a store with no
// key, with the triggers that refuse changes to audit_events dropped.
func attack(t *testing.T, e env) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, q := range []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"} {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// recomputePlain changes event id's details and rebuilds every hash from it on with plain
// SHA-256, and the head, so that the chain links up as it did before cara had a key.
func recomputePlain(t *testing.T, s *store.Store, id uint64, details string) {
	t.Helper()
	ctx := context.Background()
	prev := audit.Genesis
	for after := uint64(0); ; {
		evs, err := s.AuditChain(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.ID == id {
				e.Details = details
			}
			if e.ID >= id {
				e.PrevHash = prev
				e.Hash = audit.Sum(e)
				if _, err := s.DB().Exec("UPDATE audit_events SET details = ?, prev_hash = ?, hash = ? WHERE id = ?",
					e.Details, e.PrevHash, e.Hash, e.ID); err != nil {
					t.Fatal(err)
				}
			}
			prev = e.Hash
			after = e.ID
		}
	}
	if _, err := s.DB().Exec("UPDATE audit_chain SET last_hash = ? WHERE id = 1", prev); err != nil {
		t.Fatal(err)
	}
}

func lastExport(t *testing.T, s *store.Store) uint64 {
	t.Helper()
	var id uint64
	if err := s.DB().QueryRow("SELECT MAX(id) FROM audit_events WHERE action = 'export'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMigrateMakesTheAuditKeyFileOnceWithMode0600(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	out, err := runCmd(t, e, "", "migrate")
	if err != nil || !strings.Contains(out, "created the audit key data/audit.key (mode 0600)") {
		t.Fatalf("first migrate: %q, %v", out, err)
	}
	fi, err := os.Stat("data/audit.key")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile("data/audit.key")
	if _, err := audit.ParseKey(string(b)); err != nil {
		t.Errorf("key file %q: %v", b, err)
	}
	for _, cmd := range []string{"migrate", "demo"} {
		out, err = runCmd(t, e, "", cmd)
		if err != nil || strings.Contains(out, "created the audit key") {
			t.Errorf("%s after the first: %q, %v; want the key kept, and not a word about it", cmd, out, err)
		}
	}
	if b2, _ := os.ReadFile("data/audit.key"); string(b2) != string(b) {
		t.Error("the key file changed")
	}
}

func TestServeAndDemoMakeTheAuditKeyToo(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	out, err := runDemo(t, e)
	if err != nil || !strings.Contains(out, "created the audit key") {
		t.Fatalf("demo: %q, %v", out, err)
	}
	if _, err := os.Stat("data/audit.key"); err != nil {
		t.Fatal(err)
	}
}

func TestAuditKeyConfigurationErrorsNameTheVariable(t *testing.T) {
	secret, _ := audit.NewSecret()
	good := audit.EncodeSecret(secret)
	tests := []struct {
		name  string
		setup func(e *env)
		want  string
	}{
		{"both set", func(e *env) { e.AuditKey, e.AuditKeyFile = good, "k" }, "CARA_AUDIT_KEY and CARA_AUDIT_KEY_FILE are both set"},
		{"not base64", func(e *env) { e.AuditKey = "not a key!" }, "CARA_AUDIT_KEY: audit: a key is the base64"},
		{"too short", func(e *env) { e.AuditKey = "AAAA" }, "CARA_AUDIT_KEY: audit: a key's secret is 32 bytes, this one is 3"},
		{"configured file missing", func(e *env) { e.AuditKeyFile = "keys/none.key" }, "CARA_AUDIT_KEY_FILE: keys/none.key does not exist"},
		{"file readable by others", func(e *env) {
			os.WriteFile("open.key", []byte(good+"\n"), 0o644)
			os.Chmod("open.key", 0o644)
			e.AuditKeyFile = "open.key"
		}, "chmod 600 open.key"},
		{"file not a key", func(e *env) {
			os.WriteFile("bad.key", []byte("hello\n"), 0o600)
			e.AuditKeyFile = "bad.key"
		}, "audit key bad.key: audit: a key is the base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEnv(t, store.DialectSQLite)
			tt.setup(&e)
			out, err := runCmd(t, e, "", "migrate")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("migrate: %q, %v; want an error saying %q", out, err, tt.want)
			}
			if _, err := os.Stat("data/audit.key"); err == nil {
				t.Error("a key file was made although a key is configured")
			}
		})
	}
}

func TestAuditKeyFromTheEnvironmentOrAFileIsTheSame(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if out, err := runDemo(t, e); err != nil {
		t.Fatalf("demo: %q, %v", out, err)
	}
	b, _ := os.ReadFile("data/audit.key")
	os.Rename("data/audit.key", "moved.key")
	for _, setup := range []func(e *env){
		func(e *env) { e.AuditKey = strings.TrimSpace(string(b)) },
		func(e *env) { e.AuditKeyFile = "moved.key" },
	} {
		e2 := e
		setup(&e2)
		if out, err := runCmd(t, e2, "", "audit", "verify"); err != nil || !strings.HasPrefix(out, "audit trail intact: ") {
			t.Errorf("verify: %q, %v", out, err)
		}
	}
}

func TestAuditVerifyFailsOnAChainRecomputedWithoutTheKey(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		for _, args := range [][]string{{"demo"}, {"export", "--out", "a.xml"}, {"export", "--out", "b.xml", "--status", "approved"}} {
			if out, err := runCmd(t, e, "", args...); err != nil {
				t.Fatalf("%v: %q, %v", args, out, err)
			}
		}
		s := attack(t, e)
		id := lastExport(t, s)
		recomputePlain(t, s, id-1, `{"file":"nothing.xml"}`)

		out, err := runCmd(t, e, "", "audit", "verify")
		if !errors.Is(err, errProblems) {
			t.Fatalf("verify of a trail recomputed without the key: err = %v, want errProblems\n%s", err, out)
		}
		want := fmt.Sprintf("audit trail broken at event #%d (2026-11-20T10:00:00Z, export): its hash is a plain SHA-256 of its content, not the key's", id-1)
		if !strings.Contains(out, want) {
			t.Errorf("verify said %q, want it to say %q", out, want)
		}
	})
}

func TestAuditVerifyWithAnotherKeyFailsAndOtherCommandsRefuseIt(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if out, err := runDemo(t, e); err != nil {
		t.Fatalf("demo: %q, %v", out, err)
	}
	secret, _ := audit.NewSecret()
	other := e
	other.AuditKey = audit.EncodeSecret(secret)
	out, err := runCmd(t, other, "", "audit", "verify")
	if !errors.Is(err, errProblems) || !strings.Contains(out, "audit trail broken at the key's seal, before event #1: ") ||
		!strings.Contains(out, "the key is another installation's") {
		t.Errorf("verify with another key: %q, %v", out, err)
	}
	for _, args := range [][]string{{"export", "--out", "x.xml"}, {"audit", "checkpoint"}, {"migrate"}} {
		out, err := runCmd(t, other, "", args...)
		if !errors.Is(err, store.ErrAuditKey) || !strings.Contains(err.Error(), "every cara process of one installation needs the same key") {
			t.Errorf("%v with another key: %q, %v; want it refused", args, out, err)
		}
	}
	if out, err := runCmd(t, e, "", "audit", "verify"); err != nil {
		t.Errorf("verify with the right key after: %q, %v", out, err)
	}
}

func TestAuditCheckpointShowsTheTrailCutAfterIt(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runDemo(t, e); err != nil {
			t.Fatalf("demo: %q, %v", out, err)
		}
		out, err := runCmd(t, e, "", "audit", "checkpoint", "--out", "cp1.txt")
		if err != nil || !strings.Contains(out, "written to cp1.txt") {
			t.Fatalf("checkpoint: %q, %v", out, err)
		}
		for _, args := range [][]string{{"export", "--out", "a.xml"}, {"export", "--out", "b.xml"}} {
			if out, err := runCmd(t, e, "", args...); err != nil {
				t.Fatalf("%v: %q, %v", args, out, err)
			}
		}
		cp2, err := runCmd(t, e, "", "audit", "checkpoint")
		if err != nil || !strings.HasPrefix(cp2, "cara audit checkpoint v1\n") {
			t.Fatalf("checkpoint to stdout: %q, %v", cp2, err)
		}
		os.WriteFile("cp2.txt", []byte(cp2), 0o600)
		out, err = runCmd(t, e, "", "audit", "verify", "--checkpoint", "cp1.txt", "--checkpoint", "cp2.txt")
		if err != nil || !strings.Contains(out, "checkpoint cp1.txt matches: event #") || !strings.Contains(out, "checkpoint cp2.txt matches") {
			t.Fatalf("verify against both checkpoints: %q, %v", out, err)
		}

		// The two exports' events cut off and the head moved back: the keyed chain that is left
		// is intact, and only the checkpoint made after them shows what is gone.
		s := attack(t, e)
		first := lastExport(t, s) - 1
		var prevHash string
		if err := s.DB().QueryRow("SELECT hash FROM audit_events WHERE id = ?", first-1).Scan(&prevHash); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			fmt.Sprintf("DELETE FROM audit_events WHERE id >= %d", first),
			fmt.Sprintf("UPDATE audit_chain SET last_id = %d, last_hash = '%s' WHERE id = 1", first-1, prevHash),
		} {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := runCmd(t, e, "", "audit", "verify", "--checkpoint", "cp1.txt"); err != nil {
			t.Fatalf("verify of the cut trail against the earlier checkpoint: %q, %v", out, err)
		}
		out, err = runCmd(t, e, "", "audit", "verify", "--checkpoint", "cp1.txt", "--checkpoint", "cp2.txt")
		want := fmt.Sprintf("does not match: the checkpoint records event #%d, but the trail ends at event #%d: the events after #%d were deleted",
			first+1, first-1, first-1)
		if !errors.Is(err, errProblems) || !strings.Contains(out, want) {
			t.Errorf("verify of the cut trail: %q, %v; want errProblems and %q", out, err, want)
		}
	})
}

func TestAuditVerifyRefusesATamperedCheckpoint(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if out, err := runDemo(t, e); err != nil {
		t.Fatalf("demo: %q, %v", out, err)
	}
	cp, err := runCmd(t, e, "", "audit", "checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	// Moved back one event, to vouch for a trail cut by one.
	var n int
	fmt.Sscanf(cp[strings.Index(cp, "last-event: "):], "last-event: %d", &n)
	tampered := strings.Replace(cp, fmt.Sprintf("last-event: %d\n", n), fmt.Sprintf("last-event: %d\n", n-1), 1)
	os.WriteFile("cp.txt", []byte(tampered), 0o600)
	out, err := runCmd(t, e, "", "audit", "verify", "--checkpoint", "cp.txt")
	if !errors.Is(err, errProblems) || !strings.Contains(err.Error(), "checkpoint cp.txt: its signature does not match its lines") {
		t.Errorf("verify with a tampered checkpoint: %q, %v", out, err)
	}
	if _, err := runCmd(t, e, "", "audit", "verify", "--checkpoint", "none.txt"); err == nil || !strings.Contains(err.Error(), "none.txt") {
		t.Errorf("verify with a missing checkpoint: %v", err)
	}
}

func TestAuditCheckpointRefusesABrokenTrail(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if out, err := runDemo(t, e); err != nil {
		t.Fatalf("demo: %q, %v", out, err)
	}
	s := attack(t, e)
	if _, err := s.DB().Exec(`UPDATE audit_events SET details = '{}' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, e, "", "audit", "checkpoint", "--out", "cp.txt")
	if !errors.Is(err, errProblems) || !strings.Contains(out, "no checkpoint made: the trail is broken\naudit trail broken at event #2") {
		t.Errorf("checkpoint of a broken trail: %q, %v", out, err)
	}
	if _, err := os.Stat("cp.txt"); err == nil {
		t.Error("a checkpoint was written for a broken trail")
	}
}

// envAuditKey is the audit key the commands of e use, for a test's own store that appends.
func envAuditKey(t *testing.T, e env) *audit.Key {
	t.Helper()
	k, err := e.auditKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestADatabaseFromBeforeTheKeyIsSealedAndItsOlderEventsReported(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runDemo(t, e); err != nil {
			t.Fatalf("demo: %q, %v", out, err)
		}
		// Made a database from before migration 00010: its events hashed with plain SHA-256.
		s := attack(t, e)
		recomputePlain(t, s, 1, "{}")
		var n uint64
		if err := s.DB().QueryRow("SELECT last_id FROM audit_chain").Scan(&n); err != nil {
			t.Fatal(err)
		}
		// Migrations after 00010 go too: such a database has none of them.
		// 00023 (the numbering counter's table), 00022 (a batch's pending audit event), 00020
		// (Galera: the intake lease; the counter it added to facilities went with 00023).
		for _, q := range []string{"DROP TABLE patient_numbering", "ALTER TABLE submissions DROP COLUMN remote_addr",
			"ALTER TABLE submissions DROP COLUMN audit_pending", "ALTER TABLE intakes DROP COLUMN claimed_by"} {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// 00017 (release of information), children first.
		for _, q := range []string{"DROP TABLE release_patients", "DROP TABLE releases", "DROP TABLE data_requests"} {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// 00018 (dismissed suggestions; its indexes go with their tables), 00014 (EHR reports).
		for _, q := range []string{"DROP TABLE suggestion_dismissals", "DROP TABLE ehr_senders", "DROP TABLE ehr_suggestions", "DROP TABLE ehr_reports"} {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// 00013 (follow-up): its index first, which SQLite and MySQL drop in their own words.
		if _, err := s.DB().Exec("DROP INDEX idx_tumors_facility_followup"); err != nil {
			if _, err := s.DB().Exec("DROP INDEX idx_tumors_facility_followup ON tumors"); err != nil {
				t.Fatal(err)
			}
		}
		// 00019 (report indexes, over 00016's columns, so first), in SQLite's and MySQL's words.
		for _, idx := range []string{"idx_tumors_report", "idx_tumors_report_rx", "idx_tumors_report_dates"} {
			if _, err := s.DB().Exec("DROP INDEX " + idx); err != nil {
				if _, err := s.DB().Exec("DROP INDEX " + idx + " ON tumors"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := s.DB().Exec("ALTER TABLE tumors DROP COLUMN sex"); err != nil {
			t.Fatal(err)
		}
		// 00016 (report columns).
		for _, q := range []string{"ALTER TABLE patients DROP COLUMN sex", "ALTER TABLE tumors DROP COLUMN age_at_diagnosis",
			"ALTER TABLE tumors DROP COLUMN summary_stage_2018", "ALTER TABLE tumors DROP COLUMN ajcc_stage_group",
			"ALTER TABLE tumors DROP COLUMN county_at_dx", "ALTER TABLE tumors DROP COLUMN date_first_contact",
			"ALTER TABLE tumors DROP COLUMN date_first_treatment", "ALTER TABLE tumors DROP COLUMN date_case_completed",
			"ALTER TABLE tumors DROP COLUMN rx_surgery", "ALTER TABLE tumors DROP COLUMN rx_radiation",
			"ALTER TABLE tumors DROP COLUMN rx_chemo", "ALTER TABLE tumors DROP COLUMN rx_hormone",
			"ALTER TABLE tumors DROP COLUMN rx_immuno", "ALTER TABLE tumors DROP COLUMN rx_other"} {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// 00015 (FHIR bundles) before the suspense records its rows name.
		for _, q := range []string{"DROP TABLE fhir_bundles", "DROP TABLE follow_up_letters",
			"ALTER TABLE patients DROP COLUMN date_of_last_contact", "ALTER TABLE patients DROP COLUMN vital_status",
			"ALTER TABLE tumors DROP COLUMN class_of_case", "ALTER TABLE tumors DROP COLUMN physician_follow_up",
			"ALTER TABLE tumors DROP COLUMN next_follow_up_source", "ALTER TABLE tumors DROP COLUMN last_contact",
			"ALTER TABLE tumors DROP COLUMN vital_status", "ALTER TABLE tumors DROP COLUMN follow_up_exclusion"} {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for _, q := range []string{"DROP TABLE suspense_records", "ALTER TABLE intakes DROP COLUMN received_tumors",
			"ALTER TABLE audit_chain DROP COLUMN key_seal", "ALTER TABLE audit_chain DROP COLUMN keyed_from",
			"DELETE FROM goose_db_version WHERE version_id >= 10"} {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		out, err := runCmd(t, e, "", "migrate")
		want := fmt.Sprintf("audit trail: events #1 to #%d are from before the audit key, fixed by its seal; the key hashes every event from #%d on", n, n+1)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("migrate: %q, %v; want %q", out, err, want)
		}
		if out, err := runCmd(t, e, "", "export", "--out", "a.xml"); err != nil {
			t.Fatalf("export: %q, %v", out, err)
		}
		out, err = runCmd(t, e, "", "audit", "verify")
		want = fmt.Sprintf("audit trail intact: %d events\n", n+1)
		older := fmt.Sprintf("%d events before the key was introduced (#1 to #%d)", n, n)
		if err != nil || !strings.HasPrefix(out, want) || !strings.Contains(out, older) {
			t.Errorf("verify: %q, %v; want %q and %q", out, err, want, older)
		}
	})
}
