package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
)

func TestServeRemovesKilledJobsTemporariesAtStartAndKeepsRunningOnes(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	e.SubmissionDir = filepath.Join(t.TempDir(), "submissions")
	e.IntakeDir = filepath.Join(t.TempDir(), "intake")
	e.IntakeMaxBytes = 1 << 20
	for _, d := range []string{e.SubmissionDir, e.IntakeDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// What kill -9 of a batch and of a server mid-upload left, and the temporaries of a batch
	// and an upload another cara process is writing now.
	killed := []string{filepath.Join(e.SubmissionDir, ".batch-123.tmp"), filepath.Join(e.SubmissionDir, ".cara-batch-456.tmp"),
		filepath.Join(e.IntakeDir, ".cara-upload-789.tmp")}
	running := []string{filepath.Join(e.SubmissionDir, ".cara-batch-abc.tmp"), filepath.Join(e.IntakeDir, ".cara-upload-def.tmp")}
	old := time.Now().Add(-90 * time.Minute)
	for _, p := range append(killed, running...) {
		if err := os.WriteFile(p, []byte("<Patient>Jane Doe 19500101</Patient>"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range killed {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmdServe(ctx, e, nil, io.Discard) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range killed {
		for {
			_, err := os.Stat(p)
			if errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is still there after serve started", p)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, p := range running {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a running job's temporary was removed: %v", err)
		}
	}
}

func TestTrustedProxiesParsesAddressesAndRanges(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string // the ranges, as net.IPNet writes them
		err   string   // a part of the error; empty for none
	}{
		{"", nil, ""},
		{" , ", nil, ""},
		{"10.0.0.5", []string{"10.0.0.5/32"}, ""},
		{"10.0.0.0/8, 192.168.1.0/24", []string{"10.0.0.0/8", "192.168.1.0/24"}, ""},
		{"fd00::/8,::1", []string{"fd00::/8", "::1/128"}, ""},
		{"10.0.0.0/8,proxy.local", nil, `CARA_TRUSTED_PROXIES: "proxy.local" is not an IP address or CIDR range`},
		{"10.0.0.0/33", nil, `CARA_TRUSTED_PROXIES: "10.0.0.0/33" is not a CIDR range`},
		{"10.0.0.300", nil, `"10.0.0.300" is not an IP address`},
	} {
		t.Run(tc.value, func(t *testing.T) {
			nets, err := env{TrustedProxies: tc.value}.trustedProxies()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range nets {
				got = append(got, n.String())
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("ranges %v, want %v", got, tc.want)
			}
		})
	}
}

func TestServeRefusesBadTrustedProxies(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	e.TrustedProxies = "10.0.0.0/8, not-a-proxy"
	_, err := runCmd(t, e, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "CARA_TRUSTED_PROXIES") || !strings.Contains(err.Error(), `"not-a-proxy"`) {
		t.Fatalf("serve with a bad CARA_TRUSTED_PROXIES: err = %v, want one naming the variable and the entry", err)
	}
}
