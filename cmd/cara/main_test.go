package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

var testNow = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// testEnv runs commands in a temporary working directory (for SQLite, whose file is
// ./data/cara.db) or against a fresh MySQL database.
func testEnv(t *testing.T, d store.Dialect) env {
	t.Chdir(t.TempDir())
	e := env{Addr: "127.0.0.1:0", Now: func() time.Time { return testNow }}
	if d == store.DialectMySQL {
		e.DatabaseURL = storetest.MySQLDSN(t)
	}
	return e
}

func runCmd(t *testing.T, e env, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, e, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

func eachDialect(t *testing.T, fn func(t *testing.T, e env)) {
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		t.Run(string(d), func(t *testing.T) { fn(t, testEnv(t, d)) })
	}
}

func TestDemoLoadsOnceAndExportWritesNAACCRXML(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		out, err := runCmd(t, e, "", "demo")
		if err != nil || !strings.Contains(out, "25 patients") {
			t.Fatalf("first demo: %q, %v", out, err)
		}
		out, err = runCmd(t, e, "", "demo")
		if err != nil || !strings.Contains(out, "nothing changed") {
			t.Fatalf("second demo: %q, %v; want nothing changed", out, err)
		}
		out, err = runCmd(t, e, "", "export", "--out", "cases.xml")
		if err != nil {
			t.Fatalf("export: %q, %v", out, err)
		}
		b, err := os.ReadFile("cases.xml")
		if err != nil {
			t.Fatal(err)
		}
		root, patients, tumors := readNAACCR(t, bytes.NewReader(b))
		if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n<NaaccrData ")) {
			t.Errorf("file starts %q", b[:min(len(b), 80)])
		}
		want := map[string]string{
			"baseDictionaryUri":    "http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml",
			"recordType":           "A",
			"specificationVersion": "1.8",
			"timeGenerated":        "2026-11-20T10:00:00Z",
		}
		if root.Name.Space != "http://naaccr.org/naaccrxml" || root.Name.Local != "NaaccrData" {
			t.Errorf("root element %v", root.Name)
		}
		for k, v := range want {
			if got := attr(root, k); got != v {
				t.Errorf("root attribute %s = %q, want %q", k, got, v)
			}
		}
		if patients != 25 || tumors < 30 {
			t.Errorf("file has %d patients and %d tumors; want 25 and 30+", patients, tumors)
		}
		if !strings.Contains(out, "25 patients") {
			t.Errorf("export said %q", out)
		}
	})
}

func TestExportFiltersByStatusAndWritesGzip(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if _, err := runDemo(t, e); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, e, "", "export", "--out", "approved.xml.gz", "--status", "approved", "--registry-id", "0000012345"); err != nil {
		t.Fatalf("export: %q, %v", out, err)
	}
	f, err := os.Open("approved.xml.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	_, _, tumors := readNAACCR(t, zr)
	// The demo marks every eighth patient's tumors approved (patients 7, 15, 23).
	if tumors == 0 || tumors >= 30 {
		t.Errorf("approved export has %d tumors; want some, not all", tumors)
	}
}

func TestExportRefusesBadArguments(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"export"}, "--out is required"},
		{"bad status", []string{"export", "--out", "x.xml", "--status", "done"}, `unknown status "done"`},
		{"bad registry id", []string{"export", "--out", "x.xml", "--registry-id", "12AB"}, "Registry ID [40]"},
		{"unknown facility", []string{"export", "--out", "x.xml", "--facility", "NOPE"}, `no facility with code "NOPE"`},
		{"unknown flag", []string{"export", "--bogus"}, "bogus"},
		{"stray argument", []string{"export", "--out", "x.xml", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCmd(t, e, "", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			if _, statErr := os.Stat("x.xml"); statErr == nil {
				t.Errorf("a refused export left x.xml behind")
			}
		})
	}
}

func TestUserAddReadsPasswordFromStdin(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General Hospital"); err != nil {
			t.Fatalf("facility add: %q, %v", out, err)
		}
		out, err := runCmd(t, e, "s3cret-pass\n", "user", "add", "--username", "jdoe", "--role", "registrar", "--facility", "F1", "--name", "Jo Doe")
		if err != nil || !strings.Contains(out, "user jdoe added") {
			t.Fatalf("user add: %q, %v", out, err)
		}
		s, err := store.Open(context.Background(), store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		u, err := s.UserByUsername(context.Background(), "jdoe")
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != "registrar" || u.FacilityID == nil || u.DisplayName != "Jo Doe" || u.PasswordHash == "s3cret-pass" {
			t.Errorf("stored user = %+v", u)
		}
		_, err = runCmd(t, e, "another-pass\n", "user", "add", "--username", "jdoe", "--role", "reviewer", "--facility", "F1")
		if err == nil || !strings.Contains(err.Error(), "exists already") {
			t.Errorf("duplicate user: err = %v", err)
		}
	})
}

func TestUserAddTakesALongPassPhraseHashedWithArgon2id(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if _, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General"); err != nil {
		t.Fatal(err)
	}
	phrase := strings.Repeat("a tall oak by the river ", 8) // 192 bytes: bcrypt refused more than 72
	if out, err := runCmd(t, e, phrase+"\n", "user", "add", "--username", "ana", "--role", "registrar", "--facility", "F1"); err != nil {
		t.Fatalf("user add: %q, %v", out, err)
	}
	s, err := store.Open(context.Background(), store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByUsername(context.Background(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") || auth.CheckPassword(u.PasswordHash, phrase) != nil {
		t.Errorf("stored hash %q is not an argon2id hash of the pass phrase", u.PasswordHash)
	}
}

func TestUserAddRefusesBadInput(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if _, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"no username", "password1\n", []string{"user", "add", "--role", "admin"}, "--username is required"},
		{"bad role", "password1\n", []string{"user", "add", "--username", "x", "--role", "boss"}, `unknown role "boss"`},
		{"registrar without facility", "password1\n", []string{"user", "add", "--username", "x", "--role", "registrar"}, "--facility is required"},
		{"unknown facility", "gq7-vexo-lum\n", []string{"user", "add", "--username", "x", "--role", "registrar", "--facility", "ZZ"}, `no facility with code "ZZ"`},
		{"short password", "short\n", []string{"user", "add", "--username", "x", "--role", "registrar", "--facility", "F1"}, "password: at least 8 characters (this one has 5)"},
		{"short administrator password", "gq7-vexo-lu\n", []string{"user", "add", "--username", "x", "--role", "admin"}, "password: at least 12 characters for an administrator"},
		{"password over 256 characters", strings.Repeat("k3-", 100) + "\n", []string{"user", "add", "--username", "x", "--role", "registrar", "--facility", "F1"}, "password: at most 256 characters"},
		{"common password", "password\n", []string{"user", "add", "--username", "x", "--role", "registrar", "--facility", "F1"}, "password: it is on the list of common or breached passwords"},
		{"common password in capitals", "12345678\n", []string{"user", "add", "--username", "x", "--role", "registrar", "--facility", "F1"}, "password: it is on the list of common or breached passwords"},
		{"password is the username", "Kimberly.Lee\n", []string{"user", "add", "--username", "kimberly.lee", "--role", "registrar", "--facility", "F1"}, "password: it must not be or contain the username"},
		{"no verb", "", []string{"user"}, "cara user add"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCmd(t, e, tc.stdin, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	_, err := runCmd(t, e, "", "frobnicate")
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), `"frobnicate"`) {
		t.Fatalf("err = %v, want a usage error naming the command", err)
	}
	if _, err := os.Stat(filepath.Join("data", "cara.db")); err == nil {
		t.Errorf("an unknown command created a database")
	}
}

// readNAACCR decodes a NAACCR XML document and counts its patients and tumors.
func readNAACCR(t *testing.T, r io.Reader) (root xml.StartElement, patients, tumors int) {
	t.Helper()
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return root, patients, tumors
		}
		if err != nil {
			t.Fatalf("the file is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "NaaccrData":
				root = se.Copy()
			case "Patient":
				patients++
			case "Tumor":
				tumors++
			}
		}
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestFacilityAddStoresTheReportingFacilityNumber(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General", "--npi", "1234567893", "--id-number", "0012345678"); err != nil {
		t.Fatalf("facility add: %q, %v", out, err)
	}
	s, err := store.Open(context.Background(), store.Config{SQLitePath: defaultSQLitePath})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.FacilityByCode(context.Background(), "F1")
	if err != nil || f.IDNumber != "0012345678" || f.NPI != "1234567893" {
		t.Fatalf("stored facility = %+v, %v", f, err)
	}
	for _, tc := range []struct {
		flag, value, want string
	}{
		{"--id-number", "00123456789", "--id-number: ID number (Reporting Facility [540]): exactly 10 digits"},
		{"--id-number", " 12", "Reporting Facility [540]"},
		{"--id-number", "12345", "exactly 10 digits"},
		{"--id-number", "00123456AB", "exactly 10 digits"},
		{"--npi", "123", "--npi: NPI: a National Provider Identifier has exactly 10 digits"},
		{"--code", "F 2", "--code: Code: letters (A–Z), digits, - and _ only"},
		{"--code", "F2,F3", "letters (A–Z), digits, - and _ only"},
		{"--code", strings.Repeat("F", 33), "--code: Code: up to 32 characters"},
		{"--name", "", "--name: Name: required"},
	} {
		args := map[string]string{"--code": "F2", "--name": "Other", tc.flag: tc.value}
		_, err := runCmd(t, e, "", "facility", "add", "--code", args["--code"], "--name", args["--name"], tc.flag, tc.value)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: err = %v, want a usage error with %q", tc.flag, tc.value, err, tc.want)
		}
	}
	if _, err := s.FacilityByCode(context.Background(), "F2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a facility was added with bad flags: %v", err)
	}
}

func TestArgumentErrorsQuoteHugeArgumentsShortened(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	huge := strings.Repeat("A", 100_000) // an argument can be 128 KB long
	for _, args := range [][]string{
		{huge},
		{"submission", huge},
		{"export", "--out", "x.xml", "--status", huge},
		{"export", "--out", "x.xml", "--from", huge},
		{"naaccr", "generate", "--patients", huge},
		{"naaccr", "generate", "--" + huge},
		{"intake", "--format", huge, "x.xml"},
		{"migrate", huge},
	} {
		_, err := runCmd(t, e, "", args...)
		if err == nil {
			t.Errorf("%.40q: no error", args)
			continue
		}
		if msg := err.Error(); len(msg) > 400 || !strings.Contains(msg, "… (100,0") && !strings.Contains(msg, "…\" (100,0") {
			t.Errorf("%.40q: error of %d bytes: %.300s", args, len(msg), msg)
		}
	}
}
