package sshd

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/server/logctx"
)

// DefaultHandshakeTimeout bounds the SSH handshake, authentication and the
// first session request, and how long a connection may stay without a
// session afterwards.
const DefaultHandshakeTimeout = 30 * time.Second

// timedConn owns every deadline of one connection. It goes through three
// stages, and each has one:
//
//   - startup: from accept until the first session starts, the handshake
//     timeout from accept (handshake, authentication, first request);
//   - in session: while a session runs, the idle timeout, pushed out by
//     traffic in either direction (none when the idle timeout is 0);
//   - between sessions: when the last session ended, the handshake timeout
//     again to start another one.
//
// charm.land/ssh v0.4.2 sets deadlines of its own right after the
// ConnCallback and after the handshake; with its timeouts left at zero
// those calls would clear ours. The wrapper therefore ignores
// SetDeadline from outside and sets the deadline of the connection it
// wraps itself.
type timedConn struct {
	net.Conn
	idle     time.Duration
	grace    time.Duration // the handshake timeout
	accepted time.Time

	mu       sync.Mutex // guards the fields below and the deadline's stage
	sessions int        // sessions running on this connection
	channels int        // session channels open, with or without a session
	authed   bool       // SSH authentication succeeded
	promoted bool       // the key is enrolled: the connection left the startup pool

	inSession atomic.Bool  // sessions > 0: idle timing applies
	lastBump  atomic.Int64 // when the idle deadline was last pushed (ns)
	closed    atomic.Bool
	onClose   func(c *timedConn)
}

type connKey struct{}

// connOf returns the connection wrapper of a session's or channel's context.
func connOf(ctx ssh.Context) *timedConn {
	tc, _ := ctx.Value(connKey{}).(*timedConn)
	return tc
}

// SetDeadline, SetReadDeadline and SetWriteDeadline are the library's
// calls; the wrapper owns the deadline, so they do nothing.
func (c *timedConn) SetDeadline(time.Time) error      { return nil }
func (c *timedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *timedConn) SetWriteDeadline(time.Time) error { return nil }

// Close closes the connection and releases its places once.
func (c *timedConn) Close() error {
	err := c.Conn.Close()
	if !c.closed.Swap(true) && c.onClose != nil {
		c.onClose(c)
	}
	return err
}

// authenticated records that SSH authentication succeeded (the
// connection no longer earns its source a penalty when it ends).
func (c *timedConn) authenticated() {
	c.mu.Lock()
	c.authed = true
	c.mu.Unlock()
}

// promote records that the key is enrolled (a user's device or an admin
// key) and reports whether this call did it.
func (c *timedConn) promote() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.promoted {
		return false
	}
	c.promoted = true
	return true
}

// state reports what the connection achieved, for its release.
func (c *timedConn) state() (authed, promoted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authed, c.promoted
}

// openChannel takes a channel place, up to limit.
func (c *timedConn) openChannel(limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.channels >= limit {
		return false
	}
	c.channels++
	return true
}

func (c *timedConn) closeChannel() {
	c.mu.Lock()
	c.channels--
	c.mu.Unlock()
}

// sessionStarted switches the connection to idle timing.
func (c *timedConn) sessionStarted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sessions++
	if c.sessions > 1 {
		return
	}
	c.inSession.Store(true)
	if c.idle <= 0 {
		_ = c.Conn.SetDeadline(time.Time{})
		return
	}
	now := time.Now()
	c.lastBump.Store(now.UnixNano())
	_ = c.Conn.SetDeadline(now.Add(c.idle))
}

// sessionEnded gives a connection whose last session ended the handshake
// timeout to start another.
func (c *timedConn) sessionEnded() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sessions--
	if c.sessions > 0 {
		return
	}
	c.inSession.Store(false)
	_ = c.Conn.SetDeadline(time.Now().Add(c.grace))
}

// bump pushes the idle deadline out, at most every idle/16 (and once a
// second at most), so busy connections do not pay a syscall per packet.
func (c *timedConn) bump() {
	if c.idle <= 0 || !c.inSession.Load() {
		return
	}
	now := time.Now().UnixNano()
	last := c.lastBump.Load()
	if now-last < int64(max(time.Second, c.idle/16)) || !c.lastBump.CompareAndSwap(last, now) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions > 0 { // the last session may have ended meanwhile
		_ = c.Conn.SetDeadline(time.Unix(0, now).Add(c.idle))
	}
}

func (c *timedConn) Read(b []byte) (int, error) {
	c.bump()
	return c.Conn.Read(b)
}

func (c *timedConn) Write(b []byte) (int, error) {
	c.bump()
	return c.Conn.Write(b)
}

// wrapConn is the server's ConnCallback. Before any handshake work it
// refuses connections beyond MaxSessions, beyond the startup limits, and
// from sources serving a penalty.
func (s *Server) wrapConn(ctx ssh.Context, c net.Conn) net.Conn {
	src := sourceOf(c.RemoteAddr())
	if s.conns.Add(1) > int64(s.cfg.MaxSessions) {
		s.conns.Add(-1)
		s.refused.Note(s.log, "at capacity")
		return nil
	}
	if reason := s.startups.admit(src, time.Now()); reason != "" {
		s.conns.Add(-1)
		s.refused.Note(s.log, reason)
		return nil
	}
	tc := &timedConn{Conn: c, idle: s.cfg.IdleTimeout, grace: s.cfg.HandshakeTimeout, accepted: time.Now()}
	// The connection's request ID: every line logged with its context
	// (its sessions', the services' they call) says req=ID.
	logctx.Attach(ctx, logctx.New("ssh"))
	s.log.InfoContext(ctx, "connection opened", "remote", c.RemoteAddr().String())
	tc.onClose = func(tc *timedConn) {
		s.conns.Add(-1)
		authed, promoted := tc.state()
		if !promoted {
			s.startups.release(src, time.Now(), authed, time.Since(tc.accepted) >= tc.grace)
		}
		s.log.InfoContext(ctx, "connection closed", "authenticated", authed,
			"duration", time.Since(tc.accepted).Round(time.Millisecond).String())
	}
	_ = c.SetDeadline(tc.accepted.Add(tc.grace))
	ctx.SetValue(connKey{}, tc)
	return tc
}

// serverConfig adds the authentication log to the library's SSH
// configuration: a successful authentication marks the connection.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{
		AuthLogCallback: func(_ gossh.ConnMetadata, method string, err error) {
			if err != nil {
				// Clients try "none" first, and keys the server does not
				// take: routine, so below the default level.
				s.log.DebugContext(ctx, "authentication attempt refused", "method", authMethod(method))
				return
			}
			// Which key follows on the session's lines (identify): the
			// key this callback could name is not surely the one signed.
			s.log.InfoContext(ctx, "authenticated", "method", authMethod(method))
			if tc := connOf(ctx); tc != nil {
				tc.authenticated()
			}
		},
	}
}

// authMethod is an authentication method's name for the log: the client
// names it, so anything but the standard methods is "other".
func authMethod(m string) string {
	switch m {
	case "none", "publickey", "password", "keyboard-interactive", "hostbased", "gssapi-with-mic":
		return m
	}
	return "other"
}

// promoteConn takes a connection whose key turned out to be enrolled out
// of the startup pool, so that it no longer counts against the limits
// that keep unknown clients from crowding out known ones.
func (s *Server) promoteConn(ctx ssh.Context) {
	tc := connOf(ctx)
	if tc == nil || !tc.promote() {
		return
	}
	s.startups.release(sourceOf(tc.RemoteAddr()), time.Now(), true, false)
}
