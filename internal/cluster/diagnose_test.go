//go:build cluster

package cluster

import (
	"context"
	"crypto/md5"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// probeAudit tries an insert into audit_events in a transaction it rolls back: what every
// audited write does first.
func probeAudit(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, "INSERT INTO audit_events (id, at, action, entity, entity_id, details, remote_addr, prev_hash, hash) VALUES (999999999, NOW(), 'x','x','x','{}','','','')")
	return err
}

// diagnoseTriggers logs, for a failed TestFaults, whether each node takes an audited write, the
// checksum of its audit_events trigger file, and, where the write is refused, whether closing
// the table's cached copies (FLUSH TABLES) lets it through: evidence for the next time the
// "Unknown trigger has an error in its body" refusal (see store.brokenTriggers) outlasts the
// store's retries.
func diagnoseTriggers(t *testing.T, st *State) {
	ctx := context.Background()
	for i := range st.NodePorts {
		b, _ := os.ReadFile(filepath.Join(st.Dir, fmt.Sprintf("node%d", i), "data", "cara", "audit_events.TRG"))
		db, err := sql.Open("mysql", st.NodeDSN(i, st.Database))
		if err != nil {
			t.Logf("DIAG node %d: %v", i, err)
			continue
		}
		err = probeAudit(ctx, db)
		t.Logf("DIAG node %d: TRG md5 %x (%d bytes); probe insert: %v", i, md5.Sum(b), len(b), err)
		if err != nil {
			var n int
			_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = DATABASE()").Scan(&n)
			t.Logf("DIAG node %d: %d triggers in information_schema", i, n)
			_, ferr := db.ExecContext(ctx, "FLUSH TABLES audit_events")
			t.Logf("DIAG node %d: flush: %v; probe after flush: %v", i, ferr, probeAudit(ctx, db))
		}
		db.Close()
	}
}
