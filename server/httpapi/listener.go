package httpapi

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/parley-chat/parley/server/netsrc"
)

// Connection limits of the HTTP listener, by default. A slow client (one
// that sends its headers a byte at a time) holds a connection until the
// header timeout; these keep a few sources from holding all of them.
const (
	DefaultMaxConns          = 1024
	DefaultMaxConnsPerSource = 64
	// DefaultHeaderTimeout bounds reading a request's headers.
	DefaultHeaderTimeout = 10 * time.Second
	// MaxHeaderBytes bounds a request's headers; larger ones get 431.
	MaxHeaderBytes = 64 << 10
)

// Limits are the HTTP listener's connection limits; 0 means no limit.
type Limits struct {
	MaxConns          int
	MaxConnsPerSource int // per IPv4 address or IPv6 /64
}

// LimitListener wraps ln so that at most l.MaxConns connections are open
// at once, and at most l.MaxConnsPerSource from one source. A connection
// beyond a limit is closed as soon as it is accepted, before anything is
// read from it: it costs the server no buffer and no goroutine, and the
// connections already open go on.
func LimitListener(ln net.Listener, l Limits, log *slog.Logger) net.Listener {
	if log == nil {
		log = slog.Default()
	}
	return &limitListener{Listener: ln, lim: l, log: log, bySource: map[netip.Prefix]int{}}
}

type limitListener struct {
	net.Listener
	lim Limits
	log *slog.Logger

	mu       sync.Mutex
	open     int
	bySource map[netip.Prefix]int
	refused  netsrc.Refusals
}

// Accept returns the next connection within the limits; those beyond them
// are closed here and never reach the server.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := netsrc.Of(c.RemoteAddr())
		if reason := l.admit(src); reason != "" {
			_ = c.Close()
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(src) }}, nil
	}
}

// admit takes a place for a connection from src, or says why not.
func (l *limitListener) admit(src netip.Prefix) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	reason := ""
	switch {
	case l.lim.MaxConns > 0 && l.open >= l.lim.MaxConns:
		reason = "too many HTTP connections"
	case l.lim.MaxConnsPerSource > 0 && l.bySource[src] >= l.lim.MaxConnsPerSource:
		reason = "too many HTTP connections from one source"
	}
	if reason != "" {
		l.refused.Note(l.log, reason, "front", "http")
		return reason
	}
	l.open++
	l.bySource[src]++
	return ""
}

func (l *limitListener) release(src netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.bySource[src]--; l.bySource[src] <= 0 {
		delete(l.bySource, src)
	}
}

// limitedConn gives its place back once, when it is closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
