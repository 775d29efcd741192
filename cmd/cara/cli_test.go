package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

// commands is every command of cara with flags it has; none for a command without flags.
var commands = []struct {
	name  string
	flags []string
}{
	{"serve", []string{"--mllp-addr", "--mllp-facility"}},
	{"migrate", nil},
	{"demo", nil},
	{"export", []string{"--out", "--status", "--facility", "--from", "--to", "--version", "--registry-id"}},
	{"import", []string{"--facility", "--status", "--batch", "--relaxed", "--user-dictionary FILE"}},
	{"naaccr validate", []string{"--format", "--workers", "--relaxed", "--user-dictionary FILE"}},
	{"naaccr stats", []string{"--top", "--relaxed"}},
	{"naaccr convert", []string{"--to", "--strict", "--relaxed"}},
	{"naaccr generate", []string{"--patients", "--tumors-per-patient", "--items", "--seed", "--out"}},
	{"edits run", []string{"--format", "--out", "--workers", "--store", "--facility", "--relaxed"}},
	{"edits list", nil},
	{"staging schemas", []string{"--format"}},
	{"staging run", []string{"--format", "--relaxed", "--user-dictionary FILE"}},
	{"staging explain", []string{"--site", "--hist", "--behavior", "--year", "--item naaccrId=value", "--format"}},
	{"staging rederive", []string{"--facility", "--status", "--user", "--dry-run"}},
	{"intake", []string{"--facility", "--accept", "--format", "--relaxed"}},
	{"user add", []string{"--username", "--role", "--facility CODE", "--name"}},
	{"facility add", []string{"--code", "--name", "--npi", "--id-number"}},
	{"submission create", []string{"--facility", "--from", "--to", "--version", "--record-type", "--correction", "--gzip", "--out"}},
	{"submission list", []string{"--facility"}},
	{"casefinding import", []string{"--facility", "--source"}},
	{"casefinding list", []string{"--facility", "--format", "--status"}},
	{"ehr import", []string{"--facility"}},
	{"ehr sender add", []string{"--facility", "--name"}},
	{"ehr sender list", []string{"--facility"}},
	{"audit verify", []string{"--checkpoint FILE"}},
	{"audit checkpoint", []string{"--out"}},
	{"loadtest", []string{"--url", "--registrars", "--reviewers", "--duration", "--think", "--intake-patients", "--save-p99", "--max-actions", "--cases"}},
}

// runCLI runs a command line as main does and returns the exit status and both outputs.
func runCLI(t *testing.T, e env, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	status = cli(context.Background(), args, e, strings.NewReader(""), &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestEveryCommandsHelpPrintsItsUsageAndFlagsAndExitsZero(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	for _, c := range commands {
		for _, help := range []string{"--help", "-h"} {
			t.Run(c.name+" "+help, func(t *testing.T) {
				status, stdout, stderr := runCLI(t, e, append(strings.Fields(c.name), help)...)
				if status != 0 || stderr != "" {
					t.Fatalf("exit status %d, stderr %q; want 0 and nothing", status, stderr)
				}
				if !strings.HasPrefix(stdout, "Usage:\n  cara "+c.name+" ") {
					t.Errorf("help does not start with the command's usage:\n%s", stdout)
				}
				if strings.Contains(stdout, "Configuration (environment)") {
					t.Errorf("help printed the whole usage, not the command's:\n%s", stdout)
				}
				for _, f := range c.flags {
					if !strings.Contains(stdout, "\n  "+f) {
						t.Errorf("help does not list %s:\n%s", f, stdout)
					}
				}
				if len(c.flags) == 0 && strings.Contains(stdout, "Flags:") {
					t.Errorf("help of a command without flags lists flags:\n%s", stdout)
				}
			})
		}
	}
	if _, err := os.Stat(filepath.Join("data", "cara.db")); err == nil {
		t.Errorf("asking for help created a database")
	}
}

func TestEveryCommandRefusesAnUnknownFlagWithExitTwoNamingItAndTheCommandsUsage(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			status, stdout, stderr := runCLI(t, e, append(strings.Fields(c.name), "--frobnicate")...)
			if status != 2 || stdout != "" {
				t.Fatalf("exit status %d, stdout %q; want 2 and nothing", status, stdout)
			}
			msg, usage, _ := strings.Cut(stderr, "\n\n")
			if want := "cara: " + c.name + ": flag provided but not defined: -frobnicate"; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
			if !strings.HasPrefix(usage, "Usage:\n  cara "+c.name+" ") || strings.Contains(usage, "Configuration (environment)") {
				t.Errorf("after the message, not the command's usage:\n%s", usage)
			}
		})
	}
	if _, err := os.Stat(filepath.Join("data", "cara.db")); err == nil {
		t.Errorf("a refused command line created a database")
	}
}

func TestABadFlagValueExitsTwoWithTheMessageAndTheCommandsUsage(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	status, _, stderr := runCLI(t, e, "edits", "run", "--workers", "999", "x.xml")
	msg, usage, _ := strings.Cut(stderr, "\n\n")
	if status != 2 || msg != "cara: edits run: --workers 999: use 1 to 256, or 0 for one per core" {
		t.Errorf("exit status %d, message %q", status, msg)
	}
	if !strings.HasPrefix(usage, "Usage:\n  cara edits run ") || !strings.Contains(usage, "\n  --workers int\n") {
		t.Errorf("after the message, not the usage of edits run:\n%s", usage)
	}
}

func TestOverallHelpPrintsTheWholeUsageAndExitsZero(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		status, stdout, stderr := runCLI(t, e, args...)
		if status != 0 || stdout != usage || stderr != "" {
			t.Errorf("%v: exit status %d, stderr %q, stdout the whole usage: %v", args, status, stderr, stdout == usage)
		}
	}
	for _, args := range [][]string{{}, {"frobnicate"}} {
		status, stdout, stderr := runCLI(t, e, args...)
		if status != 2 || stdout != "" || !strings.HasSuffix(stderr, "\n\n"+usage) {
			t.Errorf("%v: exit status %d, stdout %q, stderr %q; want 2 and the whole usage on stderr", args, status, stdout, stderr)
		}
	}
}

func TestACommandGroupsHelpPrintsItsCommands(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	for _, tc := range []struct {
		group string
		want  []string
	}{
		{"naaccr", []string{"cara naaccr validate", "cara naaccr stats", "cara naaccr convert", "cara naaccr generate"}},
		{"edits", []string{"cara edits run", "cara edits list"}},
		{"staging", []string{"cara staging schemas", "cara staging run", "cara staging explain", "cara staging rederive"}},
		{"submission", []string{"cara submission create", "cara submission list"}},
		{"audit", []string{"cara audit verify", "cara audit checkpoint"}},
		{"casefinding", []string{"cara casefinding import", "cara casefinding list"}},
		{"user", []string{"cara user add"}},
		{"facility", []string{"cara facility add"}},
	} {
		status, stdout, _ := runCLI(t, e, tc.group, "--help")
		if status != 0 {
			t.Errorf("%s --help: exit status %d", tc.group, status)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout, "\n  "+w+" ") {
				t.Errorf("%s --help does not list %s:\n%s", tc.group, w, stdout)
			}
		}
		status, _, stderr := runCLI(t, e, tc.group, "frobnicate")
		if status != 2 || !strings.Contains(stderr, "cara: "+tc.group+": ") || !strings.Contains(stderr, "\n  "+tc.want[0]+" ") {
			t.Errorf("%s frobnicate: exit status %d, stderr %q; want 2, the group named and its commands", tc.group, status, stderr)
		}
	}
}
