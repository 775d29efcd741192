package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoadtestShortRunLosesNoUpdateAndHasNoErrors serves cara on a loopback port and runs the
// load test's short form against it: five registrars and a reviewer for a few seconds, sharing
// ten cases (so that some saves conflict), and an intake. The check after the run must find
// every acknowledged save in place and no request failed other than by a conflict. Timing
// targets are for make loadtest, not for a test.
func TestLoadtestShortRunLosesNoUpdateAndHasNoErrors(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		e.Addr = l.Addr().String()
		l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		var serveLog bytes.Buffer
		go func() { served <- run(ctx, []string{"serve"}, e, strings.NewReader(""), &serveLog, &serveLog) }()
		defer func() {
			cancel()
			if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("serve: %v", err)
			}
		}()
		base := "http://" + e.Addr
		waitHealthy(t, base, served)

		out, err := runCmd(t, e, "", "loadtest", "--url", base, "--registrars", "5", "--reviewers", "1", "--cases", "10",
			"--duration", "3s", "--think", "20ms", "--intake-patients", "20", "--save-p99", "0")
		if err != nil {
			t.Fatalf("loadtest: %v\n%s", err, out)
		}
		for _, want := range []string{"lost updates: 0 of 10 cases checked", "errors other than conflicts: 0", "PASS"} {
			if !strings.Contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
		m := regexp.MustCompile(`saves: (\d+) acknowledged`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no save count in the report:\n%s", out)
		}
		if n, _ := strconv.Atoi(m[1]); n == 0 {
			t.Errorf("no save was acknowledged, so nothing was checked:\n%s", out)
		}
	})
}

// waitHealthy waits until the server at base answers /healthz, or fails if serve returned.
func waitHealthy(t *testing.T, base string, served <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-served:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("serve did not answer /healthz within 30 s")
}
