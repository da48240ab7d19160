package sshd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/hosted"
	"github.com/parley-chat/parley/server/netsrc"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/tui/theme"
)

// HostKeyFile is the SSH host key's file name inside the data directory.
const HostKeyFile = "ssh_host_ed25519_key"

// Config configures the SSH front.
type Config struct {
	// DataDir holds the host key, created on first start.
	DataDir string
	// PublicHost is the host name shown in instructions (ssh -p PORT HOST ...).
	PublicHost string
	// PublicPort is the port shown in instructions (22: no -p).
	PublicPort int
	// IdleTimeout closes a connection without traffic for that long (0: never).
	IdleTimeout time.Duration
	// MaxSessions bounds concurrent sessions on the server (default 10000).
	MaxSessions int
	// MaxSessionsPerKey bounds concurrent sessions of one SSH key (default 32).
	MaxSessionsPerKey int
	// HandshakeTimeout bounds the handshake, authentication and first
	// session request, and a connection's time without a session
	// (default DefaultHandshakeTimeout).
	HandshakeTimeout time.Duration
	// MaxStartups bounds connections that have not shown an enrolled key:
	// in their handshake, or authenticated with a key nobody enrolled
	// (default 100, at most half of MaxSessions).
	MaxStartups int
	// MaxStartupsPerSource bounds those from one IPv4 address or IPv6 /64
	// (default 10, at most MaxStartups).
	MaxStartupsPerSource int
	// Version is reported by `version`.
	Version string
	Logger  *slog.Logger
	// Errors counts the errors the front answers; nil: not counted.
	Errors ErrorCounter
}

// Deps are the services the front calls.
type Deps struct {
	Directory *directory.Service
	Admin     *admin.Service
	Hosted    hosted.Deps
	// Policies announces policy changes (the bus admin publishes on);
	// hosted sessions subscribe to apply them live. nil: none.
	Policies *policy.Bus
	// Backup takes online backups (the backup command); nil: none.
	Backup Backup
}

// Server is the SSH front.
type Server struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	srv  *ssh.Server
	// watch holds the open user sessions checked again while they run.
	watch sessionWatch
	// theme is built once and shared: sessions only read it.
	theme *theme.Theme

	conns    atomic.Int64 // open connections
	startups *startupLimits
	refused  netsrc.Refusals

	mu     sync.Mutex // guards the session counts
	total  int
	perKey map[string]int
	byKind map[string]int
	over   map[string]uint64 // sessions refused by a session limit, by limit
}

// New builds the SSH server and its middleware chain.
func New(cfg Config, deps Deps) (*Server, error) {
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 10000
	}
	if cfg.MaxSessionsPerKey <= 0 {
		cfg.MaxSessionsPerKey = 32
	}
	if cfg.PublicPort == 0 {
		cfg.PublicPort = 22
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.MaxStartups <= 0 {
		cfg.MaxStartups = 100
	}
	cfg.MaxStartups = min(cfg.MaxStartups, max(1, cfg.MaxSessions/2))
	if cfg.MaxStartupsPerSource <= 0 {
		cfg.MaxStartupsPerSource = 10
	}
	cfg.MaxStartupsPerSource = min(cfg.MaxStartupsPerSource, cfg.MaxStartups)
	s := &Server{cfg: cfg, deps: deps, log: cfg.Logger, perKey: make(map[string]int), byKind: map[string]int{}, over: map[string]uint64{}, theme: theme.Default(),
		startups: newStartupLimits(cfg.MaxStartups, cfg.MaxStartupsPerSource)}
	srv, err := wish.NewServer(
		wish.WithHostKeyPath(filepath.Join(cfg.DataDir, HostKeyFile)),
		wish.WithVersion("SSH-2.0-Parley"),
		// Any key may authenticate: unknown keys must reach `activate`. The
		// handler stores nothing; the identify middleware looks the key up
		// from the session, which holds the key whose signature verified.
		wish.WithPublicKeyAuth(func(ssh.Context, ssh.PublicKey) bool { return true }),
		ssh.EmulatePty(),
		func(srv *ssh.Server) error {
			// Deadlines and startup limits are ours (conn.go,
			// startups.go), not the library's racy timeouts.
			srv.ConnCallback = s.wrapConn
			srv.ServerConfigCallback = s.serverConfig
			// Session channels are counted and their requests screened
			// (channels.go); no other channel type is served.
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.sessionChannel}
			// sftp (which OpenSSH's scp speaks from version 9 on) is a
			// subsystem: it bypasses the session middleware, so it gets
			// the same chain here, without the router.
			srv.SubsystemHandlers = map[string]ssh.SubsystemHandler{
				"sftp": ssh.SubsystemHandler(s.recover(s.logging(s.identify(s.limit(s.sftp))))),
				// The client protocol of local mode (subsys.go).
				"parley": ssh.SubsystemHandler(s.recover(s.logging(s.identify(s.limit(s.parleySubsystem))))),
			}
			return nil
		},
		// Middlewares compose from first to last; the last one listed runs first:
		//   recover  → a panic ends one session, never the server
		//   logging  → one line per session: who, what, how long (never arguments or text)
		//   identify → the principal, from the key that authenticated
		//   limit    → caps on concurrent sessions, global and per key
		//   route    → chat UI, exec command, or enrolment help
		wish.WithMiddleware(
			s.route,
			s.limit,
			s.identify,
			s.logging,
			s.recover,
		),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// ErrShuttingDown is why open sessions end when the server stops.
var ErrShuttingDown = errors.New("the server is shutting down")

// Shutdown stops accepting and ends the open user sessions, telling them
// why (a chat restores the terminal and says so), then closes what is
// still open once ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.endSessions(ErrShuttingDown)
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return s.srv.Close()
	}
	return err
}

// Stats are counts for metrics: never who, only how many.
type Stats struct {
	Conns    int64             // open connections, authenticated or not
	Sessions map[string]int    // open sessions by kind: chat, console, exec, sftp, subsystem
	Refused  map[string]uint64 // connections and sessions refused, by reason, since the start
}

// Stats returns the server's counts now.
func (s *Server) Stats() Stats {
	st := Stats{Conns: s.conns.Load(), Refused: s.refused.Totals()}
	if st.Refused == nil {
		st.Refused = map[string]uint64{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Sessions = maps.Clone(s.byKind)
	for k, n := range s.over {
		st.Refused[k] += n
	}
	return st
}

// metricKind names what a session is, for Stats: sessionKind (the log's
// name) folded into the few kinds metrics report.
func metricKind(sess ssh.Session) string {
	_, _, pty := sess.Pty()
	switch k := sessionKind(sess); {
	case k == "subsystem sftp":
		return "sftp"
	case strings.HasPrefix(k, "subsystem"):
		return "subsystem"
	case k == "shell":
		return "chat"
	case k == "exec admin" && pty:
		return "console"
	}
	return "exec"
}

// Sessions reports the number of open sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// fingerprint is the OpenSSH SHA256 fingerprint of a key.
func fingerprint(k ssh.PublicKey) string { return gossh.FingerprintSHA256(k) }

// authorizedKey is the key in authorized_keys form, without a trailing newline.
func authorizedKey(k ssh.PublicKey) string {
	b := gossh.MarshalAuthorizedKey(k)
	return string(b[:len(b)-1])
}
