package hl7

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// The MLLP (Minimal Lower Layer Protocol, HL7 transport specification) block characters: a
// message goes between a start block and an end block followed by a carriage return.
const (
	StartBlock = 0x0B
	EndBlock   = 0x1C
	CR         = 0x0D
)

// FrameError is a stream that is not MLLP framed as it should be, or a frame too large. After
// one the stream cannot be trusted to be in step, so the connection is answered and closed.
type FrameError struct{ Reason string }

func (e *FrameError) Error() string { return "mllp: " + e.Reason }

// ReadFrame reads the next message of an MLLP stream, at most max bytes (0: no limit). Line ends
// between frames are skipped. It returns io.EOF at the end of a stream between frames.
func ReadFrame(r *bufio.Reader, max int) ([]byte, error) {
	for {
		c, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if c == StartBlock {
			break
		}
		if c == '\r' || c == '\n' {
			continue
		}
		return nil, &FrameError{Reason: fmt.Sprintf("byte 0x%02X before the start block 0x0B", c)}
	}
	var msg []byte
	for {
		chunk, err := r.ReadSlice(EndBlock)
		if max > 0 && len(msg)+len(chunk) > max+1 {
			return nil, &FrameError{Reason: fmt.Sprintf("message larger than %d bytes", max)}
		}
		msg = append(msg, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, &FrameError{Reason: "the stream ended inside a message (no end block 0x1C 0x0D)"}
			}
			return nil, err
		}
		break
	}
	msg = msg[:len(msg)-1]
	c, err := r.ReadByte()
	if err != nil {
		return nil, &FrameError{Reason: "the stream ended after the end block 0x1C, before its carriage return"}
	}
	if c != CR {
		return nil, &FrameError{Reason: fmt.Sprintf("byte 0x%02X after the end block 0x1C, not a carriage return", c)}
	}
	if bytes.IndexByte(msg, StartBlock) >= 0 {
		return nil, &FrameError{Reason: "a start block 0x0B inside a message"}
	}
	return msg, nil
}

// WriteFrame writes one message framed for MLLP.
func WriteFrame(w io.Writer, msg []byte) error {
	b := make([]byte, 0, len(msg)+3)
	b = append(b, StartBlock)
	b = append(b, msg...)
	b = append(b, EndBlock, CR)
	_, err := w.Write(b)
	return err
}

// Handler answers one message read from a connection with its acknowledgment. It must not
// panic on any input; the server recovers if it does, and rejects the message.
type Handler func(ctx context.Context, remote string, msg []byte) []byte

// Server is an MLLP listener: one goroutine a connection, messages of a connection answered in
// order, each by Handler.
type Server struct {
	Handler      Handler
	MaxMessage   int           // bytes; a larger message is rejected (AR) and the connection closed
	ReadTimeout  time.Duration // for each message (and between messages): an idle sender is disconnected
	WriteTimeout time.Duration
	Log          *slog.Logger
	Now          func() time.Time
	// MaxConns and MaxConnsPerHost cap the connections open at once, in all and from one
	// remote address (0: no cap). A connection over a cap is closed at once: an HL7 sender
	// reconnects and sends again, and a flood of connections cannot take every goroutine.
	MaxConns        int
	MaxConnsPerHost int

	mu     sync.Mutex
	conns  map[net.Conn]bool
	byHost map[string]int
	ids    IDs
	wg     sync.WaitGroup
}

// Serve accepts connections until ctx is done or the listener fails; it then closes the
// connections and waits for their goroutines.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	s.conns, s.byHost = map[net.Conn]bool{}, map[string]int{}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	for {
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			break
		}
		if why := s.admit(c); why != "" {
			s.logger().Warn("mllp: connection refused", "remote", c.RemoteAddr().String(), "reason", why)
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(ctx, c)
		}()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("mllp: accept: %w", err)
}

func hostOf(c net.Conn) string {
	h, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return h
}

// admit counts a new connection in, or says which cap it is over.
func (s *Server) admit(c net.Conn) string {
	h := hostOf(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.MaxConns > 0 && len(s.conns) >= s.MaxConns:
		return fmt.Sprintf("%d connections open, the most allowed", len(s.conns))
	case s.MaxConnsPerHost > 0 && s.byHost[h] >= s.MaxConnsPerHost:
		return fmt.Sprintf("%d connections open from %s, the most allowed from one address", s.byHost[h], h)
	}
	s.conns[c] = true
	s.byHost[h]++
	return ""
}

func (s *Server) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer func() {
		c.Close()
		h := hostOf(c)
		s.mu.Lock()
		delete(s.conns, c)
		if s.byHost[h]--; s.byHost[h] <= 0 {
			delete(s.byHost, h)
		}
		s.mu.Unlock()
	}()
	remote := c.RemoteAddr().String()
	r := bufio.NewReaderSize(c, 64<<10)
	for ctx.Err() == nil {
		if s.ReadTimeout > 0 {
			c.SetReadDeadline(time.Now().Add(s.ReadTimeout))
		}
		msg, err := ReadFrame(r, s.MaxMessage)
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				s.logger().Warn("mllp: refused a frame", "remote", remote, "reason", fe.Reason)
				s.write(c, Ack(nil, AR, fe.Reason, &AckError{Code: ErrApplication, Reason: fe.Reason}, s.controlID(), s.now()))
				lingerClose(c)
			} else if !errors.Is(err, io.EOF) {
				s.logger().Info("mllp: connection ended", "remote", remote, "err", err)
			}
			return
		}
		ack := s.handle(ctx, remote, msg)
		if err := s.write(c, ack); err != nil {
			s.logger().Info("mllp: could not answer", "remote", remote, "err", err)
			return
		}
	}
}

// lingerClose ends a connection whose sender may still be sending (a frame too large): what it
// sends for a moment more is read and dropped, so that closing does not reset the connection
// before the sender has read the rejection.
func lingerClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, io.LimitReader(c, 64<<20))
}

func (s *Server) handle(ctx context.Context, remote string, msg []byte) (ack []byte) {
	defer func() {
		if p := recover(); p != nil {
			s.logger().Error("mllp: handler panicked", "remote", remote, "panic", fmt.Sprint(p))
			m, _ := Parse(msg)
			ack = Ack(m, AR, "internal error", &AckError{Code: ErrApplication, Reason: "internal error"}, s.controlID(), s.now())
		}
	}()
	return s.Handler(ctx, remote, msg)
}

func (s *Server) write(c net.Conn, msg []byte) error {
	if s.WriteTimeout > 0 {
		c.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
	}
	return WriteFrame(c, msg)
}

func (s *Server) controlID() string { return s.ids.Next(s.now()) }

// IDs makes the MSH-10 of messages cara sends: the time in nanoseconds, in hexadecimal,
// increasing for each call on the same IDs.
type IDs struct {
	mu   sync.Mutex
	last int64
}

// Next returns a new control id.
func (g *IDs) Next(now time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := now.UnixNano()
	if n <= g.last {
		n = g.last + 1
	}
	g.last = n
	return fmt.Sprintf("CARA%X", n)
}
