//go:build cluster

package cluster

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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
}
