package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/store"
)

// ehrMessage is a small pathology report with control id id.
func ehrMessage(id, mrn, dob string) string {
	return strings.Join([]string{
		`MSH|^~\&|COPATH|STATE LAB^12D3456789^CLIA|CARA|REG|20261101093000||ORU^R01^ORU_R01|` + id + `|P|2.5.1`,
		`PID|1||` + mrn + `^^^GEN^MR||HALE^ANNE||` + dob + `|F`,
		`OBR|1||S26-77^COPATH|60568-3^Synoptic^LN|||20261028`,
		`OBX|1|TX|22637-3^Final diagnosis^LN||RIGHT LUNG, UPPER LOBE, WEDGE:~ADENOCARCINOMA||||||F`,
	}, "\n") + "\n"
}

func TestEHRImportSaysWhatBecameOfEachMessage(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General Hospital"); err != nil {
			t.Fatalf("facility add: %q %v", out, err)
		}
		file := ehrMessage("A1", "M1", "19550304") + ehrMessage("A2", "M2", "19551304") +
			strings.Replace(ehrMessage("A3", "M3", "19600101"), "ORU^R01^ORU_R01", "ADT^A01", 1) + ehrMessage("A1", "M1", "19550304")
		if err := os.WriteFile("path.hl7", []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := runCmd(t, e, "", "ehr", "import", "--facility", "F1", "path.hl7")
		if !errors.Is(err, errProblems) {
			t.Fatalf("import with refused messages: %v, want problems\n%s", err, out)
		}
		for _, want := range []string{
			`message 1 (line 1, control id "A1"): accepted, possible case #`,
			`message 2 (line 5, control id "A2"): error: PID-7: date of birth "19551304": want CCYYMMDD`,
			`message 3 (line 9, control id "A3"): rejected: MSH-9: message type "ADT^A01"`,
			`message 4 (line 13, control id "A1"): duplicate, stored before as report #`,
			"4 messages: 1 accepted, 1 duplicate, 1 error, 1 rejected",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		out, err = runCmd(t, e, "", "casefinding", "list", "--facility", "F1", "--format", "csv")
		if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, "pathology") {
			t.Errorf("suspense list after import: %v\n%s", err, out)
		}
		if out, err := runCmd(t, e, "", "ehr", "import", "--facility", "F1", "path.hl7"); !errors.Is(err, errProblems) ||
			!strings.Contains(out, "0 accepted, 2 duplicate") {
			t.Errorf("second import: %v\n%s", err, out)
		}
	})
}

func TestEHRImportRefusesBadCommandLines(t *testing.T) {
	e := testEnv(t, "sqlite")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ehr", "import", "x.hl7"}, "--facility is required"},
		{[]string{"ehr", "import", "--facility", "F1"}, "name one file"},
		{[]string{"ehr", "send"}, "unknown subcommand"},
	} {
		if _, err := runCmd(t, e, "", c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

func TestServeTakesPathologyReportsOverMLLP(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	e.Addr = "127.0.0.1:0"
	if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General Hospital"); err != nil {
		t.Fatalf("facility add: %q %v", out, err)
	}
	addr := serveMLLP(t, e, "--mllp-facility", "F1")
	var c net.Conn
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the MLLP listener is not up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, want := range []string{"MSA|AA|S1", "MSA|AA|S1|duplicate"} {
		if err := hl7.WriteFrame(c, []byte(ehrMessage("S1", "M9", "19550304"))); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		ack, err := hl7.ReadFrame(r, 0)
		if err != nil || !strings.Contains(string(ack), want) {
			t.Errorf("ACK %q, %v; want %s", ack, err, want)
		}
	}
}

func TestEHRSendersAndTheListenerThatTakesTheirTokens(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General Hospital"); err != nil {
		t.Fatalf("facility add: %q %v", out, err)
	}
	out, err := runCmd(t, e, "", "ehr", "sender", "add", "--facility", "F1", "--name", "State lab")
	_, tok, ok := strings.Cut(out, "token: ")
	tok, _, _ = strings.Cut(tok, "\n")
	if err != nil || !ok || !strings.HasPrefix(tok, "cara-mllp-") {
		t.Fatalf("sender add: %v\n%s", err, out)
	}
	if out, err := runCmd(t, e, "", "ehr", "sender", "list"); err != nil || !strings.Contains(out, "State lab") || strings.Contains(out, tok) ||
		!strings.Contains(out, "active") {
		t.Errorf("sender list: %v\n%s", err, out)
	}
	addr := serveMLLP(t, e)
	var c net.Conn
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the MLLP listener is not up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, tt := range []struct{ token, want string }{{"", "MSA|AR|T1|MSH-8: no sender token"}, {tok, "MSA|AA|T1"}} {
		msg := strings.Replace(ehrMessage("T1", "M9", "19550304"), "||ORU^R01", "|"+tt.token+"|ORU^R01", 1)
		if err := hl7.WriteFrame(c, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		ack, err := hl7.ReadFrame(r, 0)
		if err != nil || !strings.Contains(string(ack), tt.want) {
			t.Errorf("ACK %q, %v; want %s", ack, err, tt.want)
		}
	}
	if out, err := runCmd(t, e, "", "ehr", "sender", "revoke", "1"); err != nil || !strings.Contains(out, "sender #1 revoked") {
		t.Errorf("revoke: %v %s", err, out)
	}
	if _, err := runCmd(t, e, "", "ehr", "sender", "revoke", "1"); err == nil || !strings.Contains(err.Error(), "no active sender #1") {
		t.Errorf("revoke twice: %v", err)
	}
}

func TestMLLPSettingsAreCheckedByName(t *testing.T) {
	for _, tt := range []struct {
		name, value, want string
	}{
		{"CARA_MLLP_MAX_CONNS", "0", "CARA_MLLP_MAX_CONNS: give how many connections may be open at once, a whole number above 0; got \"0\""},
		{"CARA_MLLP_MAX_CONNS_PER_HOST", "ten", "CARA_MLLP_MAX_CONNS_PER_HOST: give how many connections one address may have open at once"},
		{"CARA_MLLP_RATE", "-5", "CARA_MLLP_RATE: give how many messages a second one sender may send"},
		{"CARA_MLLP_MAX_BYTES", "1.5", "CARA_MLLP_MAX_BYTES: give the limit of one message in bytes"},
		{"CARA_MLLP_READ_TIMEOUT", "soon", "CARA_MLLP_READ_TIMEOUT: give the seconds a sender may stay silent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.name, tt.value)
			if _, err := mllpFromEnv(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("mllpFromEnv = %v, want %q", err, tt.want)
			}
		})
	}
	t.Setenv("CARA_MLLP_RATE", "250")
	c, err := mllpFromEnv()
	if err != nil || c.Rate != 250 || c.MaxConns != defaultMLLPMaxConns || c.MaxConnsPerHost != defaultMLLPMaxConnsPerHost {
		t.Fatalf("mllpFromEnv = %+v, %v; want rate 250 and the default caps", c, err)
	}
}

func TestEHRPurgeBlanksRawMessagesPastTheRetentionPeriod(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		received := time.Date(2018, 3, 1, 9, 0, 0, 0, time.UTC)
		e.Now = func() time.Time { return received }
		if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General Hospital"); err != nil {
			t.Fatalf("facility add: %q %v", out, err)
		}
		if err := os.WriteFile("path.hl7", []byte(ehrMessage("P1", "M1", "19550304")), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := runCmd(t, e, "", "ehr", "import", "--facility", "F1", "path.hl7"); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		e.Now = func() time.Time { return received.AddDate(7, 0, 1) } // one day past 7 years
		for _, tt := range []struct{ args, want string }{
			{"--before 20260101", "--before \"20260101\": within the retention period of 7 years"},
			{"--before 2025-01-01", "--before \"2025-01-01\": a date CCYYMMDD"},
			{"extra", "takes no file"},
		} {
			if _, err := runCmd(t, e, "", append([]string{"ehr", "purge"}, strings.Fields(tt.args)...)...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ehr purge %s: %v, want %q", tt.args, err, tt.want)
			}
		}
		out, err := runCmd(t, e, "", "ehr", "purge", "--dry-run")
		if err != nil || !strings.Contains(out, "would purge the raw messages of 1 HL7 report") {
			t.Fatalf("dry run: %v\n%s", err, out)
		}
		s, err := store.Open(context.Background(), store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var size int
		var sum string
		if err := s.DB().QueryRow("SELECT LENGTH(raw), sha256 FROM ehr_reports").Scan(&size, &sum); err != nil || size == 0 {
			t.Fatalf("after a dry run raw is %d bytes (%v): want it kept", size, err)
		}
		if out, err := runCmd(t, e, "", "ehr", "purge"); err != nil || !strings.Contains(out, "purged the raw messages of 1 HL7 report") {
			t.Fatalf("purge: %v\n%s", err, out)
		}
		var after int
		var sumAfter string
		if err := s.DB().QueryRow("SELECT LENGTH(raw), sha256 FROM ehr_reports").Scan(&after, &sumAfter); err != nil || after != 0 || sumAfter != sum {
			t.Fatalf("after the purge raw is %d bytes, sha256 %q (%v): want blank and the hash kept", after, sumAfter, err)
		}
		var events int
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM audit_events WHERE action = 'ehr.purge'").Scan(&events); err != nil || events != 1 {
			t.Errorf("%d ehr.purge events (%v), want 1", events, err)
		}
		t.Setenv("CARA_EHR_RETENTION_YEARS", "0")
		if _, err := runCmd(t, e, "", "ehr", "purge"); err == nil || !strings.Contains(err.Error(), "CARA_EHR_RETENTION_YEARS: give how many years") {
			t.Errorf("retention 0: %v", err)
		}
	})
}

// serveMLLP runs cara serve with an MLLP listener on a free loopback port (and args) until the
// test ends, and returns the listener's address.
func serveMLLP(t *testing.T, e env, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmdServe(ctx, e, append([]string{"--mllp-addr", addr}, args...), io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return addr
}
