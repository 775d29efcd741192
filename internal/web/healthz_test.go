package web_test

import (
	"net/http"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// /healthz is what a load balancer checks: it answers 200 while the process reads its
// database and 503 once it cannot, so the balancer routes around a process whose database
// (a Galera node) is gone.
func TestHealthzSaysWhetherTheDatabaseAnswers(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.newClient()
	if p := c.get(t, "/healthz"); p.status != http.StatusOK || p.body != "ok" {
		t.Fatalf("with its database: %d %q, want 200 ok", p.status, p.body)
	}
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	if p := c.get(t, "/healthz"); p.status != http.StatusServiceUnavailable || p.body != "database unavailable" {
		t.Errorf("without its database: %d %q, want 503 database unavailable", p.status, p.body)
	}
}
