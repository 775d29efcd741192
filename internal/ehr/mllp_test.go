package ehr_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// listen serves the fixture's intake over MLLP on a loopback port until the test ends.
func listen(t testing.TB, f *fixture, maxBytes int, opts ...func(*hl7.Server)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &hl7.Server{MaxMessage: maxBytes, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		Handler: func(ctx context.Context, remote string, msg []byte) []byte {
			return f.svc.Ack(f.svc.Receive(ctx, ehr.Input{FacilityID: f.fac.ID, Raw: msg, RemoteAddr: remote, Via: "mllp"}))
		}}
	for _, o := range opts {
		o(srv)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// exchange sends raw bytes and reads one framed answer.
func exchange(t testing.TB, c net.Conn, r *bufio.Reader, raw []byte) *hl7.Message {
	t.Helper()
	if _, err := c.Write(raw); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := hl7.ReadFrame(r, 0)
	if err != nil {
		t.Fatalf("read ACK: %v", err)
	}
	m, err := hl7.Parse(b)
	if err != nil {
		t.Fatalf("ACK does not parse: %v\n%q", err, b)
	}
	return m
}

func frame(s string) []byte {
	return append(append([]byte{hl7.StartBlock}, s...), hl7.EndBlock, hl7.CR)
}

func msa(m *hl7.Message) (code, id, text string) {
	s, _ := m.Segment("MSA")
	if s == nil {
		return "", "", ""
	}
	return s.Text(1), s.Text(2), s.Text(3)
}

func TestMLLPRoundTripAcknowledgesEachMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		addr := listen(t, f, 64<<10)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		good := pathMessage("MLLP1", "100200", "HALE", "ANNE", "19550304")
		tests := []struct {
			name, msg, code, text, errLoc string
		}{
			{"accepted", good, "AA", "", ""},
			{"duplicate", good, "AA", "duplicate: control id MLLP1", ""},
			{"bad date", strings.Replace(strings.Replace(good, "MLLP1", "MLLP2", 1), "|19550304|F|", "|1955|F|", 1), "AE", "PID-7: date of birth", "PID/2/7"},
			{"wrong type", strings.Replace(strings.Replace(good, "MLLP1", "MLLP3", 1), "ORU^R01^ORU_R01", "ORM^O01", 1), "AR", "message type \"ORM^O01\"", "MSH/1/9"},
			{"not HL7", "hello", "AR", "does not start with an MSH", ""},
		}
		for _, tt := range tests {
			ack := exchange(t, c, r, frame(tt.msg))
			code, _, text := msa(ack)
			if code != tt.code || !strings.Contains(text, tt.text) {
				t.Errorf("%s: MSA %s %q, want %s %q", tt.name, code, text, tt.code, tt.text)
			}
			errSeg, ok := ack.Segment("ERR")
			if tt.code == "AA" && ok {
				t.Errorf("%s: an ERR segment in an AA", tt.name)
			}
			if tt.errLoc != "" {
				if got := errSeg.Get(2, 1, 1) + "/" + errSeg.Get(2, 2, 1) + "/" + errSeg.Get(2, 3, 1); got != tt.errLoc {
					t.Errorf("%s: ERR-2 %s, want %s", tt.name, got, tt.errLoc)
				}
				if errSeg.Text(8) != text {
					t.Errorf("%s: ERR-8 %q, MSA-3 %q", tt.name, errSeg.Text(8), text)
				}
			}
		}
		if n, _ := s.CountEHRReports(context.Background(), f.fac.ID); n != 1 {
			t.Errorf("reports stored: %d, want 1", n)
		}
	})
}

func TestMLLPRejectsBadFramingAndCloses(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	addr := listen(t, f, 1024)
	for _, tt := range []struct{ name, raw, want string }{
		{"no start block", "MSH|^~\\&|X\r\x1c\r", "before the start block"},
		{"too large", "\x0b" + strings.Repeat("A", 2000) + "\x1c\r", "larger than 1024 bytes"},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		ack := exchange(t, c, r, []byte(tt.raw))
		if code, _, text := msa(ack); code != "AR" || !strings.Contains(text, tt.want) {
			t.Errorf("%s: MSA %s %q", tt.name, code, text)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := r.ReadByte(); err == nil {
			t.Errorf("%s: the connection stays open after a framing error", tt.name)
		}
		c.Close()
	}
}
