//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
)

// TestUp starts the whole layout (make cluster-test), checks that every node is Synced in a
// cluster of three and that haproxy reaches cara, and stops it in the cleanup.
func TestUp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "cara")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/cara").CombinedOutput(); err != nil {
		t.Fatalf("build cara: %v: %s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := Up(ctx, Config{Dir: t.TempDir(), BasePort: 25000, CaraBin: bin})
	t.Cleanup(func() { _ = Down(st) })
	if err != nil {
		t.Fatal(err)
	}
	for i, ns := range Status(ctx, st) {
		if ns.Err != nil || ns.ClusterSize != 3 || ns.State != "Synced" {
			t.Errorf("node%d: size %d state %q err %v, want 3 Synced", i, ns.ClusterSize, ns.State, ns.Err)
		}
	}
	for i := 0; i < 6; i++ {
		resp, err := http.Get(st.URL() + "/healthz")
		if err != nil {
			t.Fatalf("haproxy: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("haproxy /healthz: status %d", resp.StatusCode)
		}
	}

	t.Run("numbering a facility's patients does not conflict with what references the facility", func(t *testing.T) {
		numberingAndReferencesDoNotConflict(t, ctx, st)
	})
}

// numberingAndReferencesDoNotConflict adds patients of a facility on node 0 (each numbering
// bumps the facility's counter) while node 1 stores intakes of the facility, single inserts that
// are not retried: none of them may fail. Galera certifies an insert against the updates of the
// rows its foreign keys reference, so with the counter in the facility's row (before migration
// 00023) about one insert in ten failed with a deadlock error: a registrar's upload answered 500.
func numberingAndReferencesDoNotConflict(t *testing.T, ctx context.Context, st *State) {
	if _, err := st.Cara(ctx, 0, "", "facility", "add", "--code", "NUM", "--name", "Numbering Hospital"); err != nil {
		t.Fatal(err)
	}
	key, err := audit.ParseKey(st.AuditKey)
	if err != nil {
		t.Fatal(err)
	}
	var stores [2]*store.Store
	for i := range stores {
		s, err := store.Open(ctx, store.Config{MySQLDSN: st.NodeDSN(i, st.Database), AuditKey: key})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	fac, err := stores[0].FacilityByCode(ctx, "NUM")
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	var wg sync.WaitGroup
	var numberErr, insertErr error
	var inserted int
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range n {
			_, err := stores[0].AddPatient(ctx, store.NewPatient{FacilityID: fac.ID, Scope: store.AllFacilities,
				Items: map[string]string{"nameLast": fmt.Sprintf("NUMBERED%d", i)}})
			if err != nil {
				numberErr = fmt.Errorf("patient %d on node 0: %w", i, err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			in := &store.Intake{FacilityID: fac.ID, CreatedAt: time.Now().UTC(), FileName: fmt.Sprintf("f%d.xml", i),
				StoredPath: fmt.Sprintf("/nowhere/f%d.upload", i), SHA256: "0", State: store.IntakeFailed}
			if err := stores[1].CreateIntake(ctx, in); err != nil {
				insertErr = fmt.Errorf("intake %d on node 1 (after %d stored): %w", i, inserted, err)
				return
			}
			inserted++
		}
	}()
	wg.Wait()
	if numberErr != nil || insertErr != nil {
		t.Fatalf("numbering: %v; references: %v", numberErr, insertErr)
	}
}
