package ehr_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/ratelimit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestMLLPSenderOverItsRateGetsAnAEToSendAgain(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	f.svc.Limit(ratelimit.New(0.001, 2, time.Minute)) // a burst of 2, then nearly nothing
	addr := listen(t, f, 64<<10)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i, id := range []string{"R1", "R2"} {
		if code, _, text := msa(exchange(t, c, r, frame(pathMessage(id, "1002"+id, "HALE", "ANNE", "19550304")))); code != hl7.AA {
			t.Fatalf("message %d within the burst: %s %q", i+1, code, text)
		}
	}
	code, id, text := msa(exchange(t, c, r, frame(pathMessage("R3", "1002R3", "HALE", "ANNE", "19550304"))))
	if code != hl7.AE || id != "R3" || !strings.Contains(text, "rate limit") || !strings.Contains(text, "send it again") {
		t.Fatalf("third message: %s %s %q, want AE for R3 telling the sender to send again", code, id, text)
	}
	if n, _ := s.CountEHRReports(context.Background(), f.fac.ID); n != 2 {
		t.Fatalf("%d reports stored, want the 2 within the limit", n)
	}
	// The connection is still open: the sender sends again on it.
	if _, err := c.Write(frame("MSH|^~\\&|X|Y|||||ORU^R01|R4|P|2.5.1\r")); err != nil {
		t.Fatalf("the connection was closed after a throttled message: %v", err)
	}
}

func TestMLLPCapsConnectionsFromOneAddress(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	addr := listen(t, f, 64<<10, func(srv *hl7.Server) { srv.MaxConnsPerHost = 2 })
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		// An answered message shows the connection was admitted.
		if code, _, _ := msa(exchange(t, c, bufio.NewReader(c), frame(pathMessage("C"+string(rune('1'+i)), "3001", "HALE", "ANNE", "19550304")))); code != hl7.AA {
			t.Fatalf("connection %d not served: %s", i+1, code)
		}
	}
	third, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := third.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("a third connection from the same address: read %v, want it closed", err)
	}
	open[0].Close()
	open = open[1:]
	// A slot is free again once a connection ends (the server notices the close first).
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Write(frame(pathMessage("C9", "3001", "HALE", "ANNE", "19550304")))
		b, err := hl7.ReadFrame(bufio.NewReader(c), 0)
		if err == nil && len(b) > 0 {
			c.Close()
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("no connection admitted after one of the two closed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}
