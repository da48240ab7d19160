package sshd

import (
	"net"
	"sync/atomic"
	"time"

	"charm.land/ssh"
)

// handshakeTimeout bounds the SSH handshake and authentication.
const handshakeTimeout = 30 * time.Second

// timedConn enforces the handshake deadline and the idle timeout on one
// connection. charm.land/ssh v0.4.2 has both (Server.HandshakeTimeout,
// Server.IdleTimeout), but its connection writes the handshake deadline
// after the handshake while the transport's reader goroutine reads it: a
// data race. This wrapper keeps its state in atomics and only calls
// SetDeadline, which net.Conn allows from any goroutine.
type timedConn struct {
	net.Conn
	idle     time.Duration
	ready    atomic.Bool  // the handshake completed: idle timing applies
	lastBump atomic.Int64 // when the idle deadline was last pushed (ns)
	closed   atomic.Bool
	onClose  func()
}

// Close closes the connection and releases its place once.
func (c *timedConn) Close() error {
	err := c.Conn.Close()
	if !c.closed.Swap(true) && c.onClose != nil {
		c.onClose()
	}
	return err
}

type connKey struct{}

// wrapConn is the server's ConnCallback. It refuses connections beyond
// MaxSessions (a session needs a connection), before any handshake work.
func (s *Server) wrapConn(ctx ssh.Context, c net.Conn) net.Conn {
	if s.conns.Add(1) > int64(s.cfg.MaxSessions) {
		s.conns.Add(-1)
		s.log.Warn("connection refused: at capacity", "remote", c.RemoteAddr().String())
		return nil
	}
	tc := &timedConn{Conn: c, idle: s.cfg.IdleTimeout, onClose: func() { s.conns.Add(-1) }}
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	ctx.SetValue(connKey{}, tc)
	return tc
}

// authenticated switches the connection from the handshake deadline to the
// idle timeout. It is called for every session; only the first call acts.
func (c *timedConn) authenticated() {
	if c.ready.Swap(true) {
		return
	}
	if c.idle <= 0 {
		_ = c.SetDeadline(time.Time{})
		return
	}
	c.bump(time.Now(), true)
}

// bump pushes the idle deadline out, at most every idle/16 (and once a
// second at most), so busy connections do not pay a syscall per packet.
func (c *timedConn) bump(now time.Time, force bool) {
	last := c.lastBump.Load()
	step := max(time.Second, c.idle/16)
	if !force && now.UnixNano()-last < int64(step) {
		return
	}
	if c.lastBump.CompareAndSwap(last, now.UnixNano()) || force {
		_ = c.SetDeadline(now.Add(c.idle))
	}
}

func (c *timedConn) Read(b []byte) (int, error) {
	if c.idle > 0 && c.ready.Load() {
		c.bump(time.Now(), false)
	}
	return c.Conn.Read(b)
}

func (c *timedConn) Write(b []byte) (int, error) {
	if c.idle > 0 && c.ready.Load() {
		c.bump(time.Now(), false)
	}
	return c.Conn.Write(b)
}
