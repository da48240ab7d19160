package sshd

import (
	"strings"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Limits of one connection and its session channels. Everything a client
// sends before its handler runs is checked here, where it enters.
const (
	// MaxChannelsPerConn bounds open session channels per connection
	// (OpenSSH's MaxSessions has the same default).
	MaxChannelsPerConn = 10
	// maxRequestsPerChannel bounds the requests of one channel, besides
	// window-change (which is size-checked and applied in turn).
	maxRequestsPerChannel = 64
	// maxEnv bounds the environment variables a channel may set; maxEnvKey
	// and maxEnvValue their sizes. Only acceptedEnv names are taken.
	maxEnv      = 16
	maxEnvKey   = 64
	maxEnvValue = 256
	// maxTermName bounds the TERM a pty-req names.
	maxTermName = 64
	// MaxCols and MaxRows clamp terminal sizes from pty-req and
	// window-change: a bigger terminal is drawn on at this size.
	MaxCols = 500
	MaxRows = 200
)

// acceptedEnv reports whether the server takes the variable, like
// OpenSSH's AcceptEnv: the time zone, the locale and colour hints.
func acceptedEnv(key string) bool {
	switch key {
	case "TZ", "LANG", "COLORTERM", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM_PROGRAM":
		return true
	}
	return strings.HasPrefix(key, "LC_")
}

// sessionChannel is the handler for "session" channels: it takes a channel
// place on the connection, screens the channel's requests, and runs the
// library's session handler.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	tc := connOf(ctx)
	if tc != nil {
		if !tc.openChannel(MaxChannelsPerConn) {
			_ = nc.Reject(gossh.ResourceShortage, "too many channels on this connection")
			return
		}
		defer tc.closeChannel()
	}
	ssh.DefaultSessionHandler(srv, conn, &screenedChannel{NewChannel: nc, grace: s.cfg.HandshakeTimeout}, ctx)
}

// screenedChannel accepts a channel and screens its requests.
type screenedChannel struct {
	gossh.NewChannel
	grace time.Duration
}

func (c *screenedChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := c.NewChannel.Accept()
	if err != nil {
		return nil, nil, err
	}
	out := make(chan *gossh.Request)
	go screen(ch, reqs, out, c.grace)
	return ch, out, nil
}

// screen passes a channel's requests on, refusing what is over a limit
// and clamping terminal sizes. A channel that has not asked for a shell,
// a command or a subsystem within grace is closed.
func screen(ch gossh.Channel, in <-chan *gossh.Request, out chan<- *gossh.Request, grace time.Duration) {
	defer close(out)
	var started atomic.Bool
	idle := time.AfterFunc(grace, func() {
		if !started.Load() {
			_ = ch.Close()
		}
	})
	defer idle.Stop()
	requests, env := 0, 0
	for req := range in {
		if req.Type != "window-change" {
			if requests++; requests > maxRequestsPerChannel {
				_ = req.Reply(false, nil)
				continue
			}
		}
		switch req.Type {
		case "shell", "exec", "subsystem":
			started.Store(true)
		case "env":
			if env >= maxEnv || !envOK(req.Payload) {
				_ = req.Reply(false, nil)
				continue
			}
			env++
		case "pty-req":
			p, ok := clampPtyRequest(req.Payload)
			if !ok {
				_ = req.Reply(false, nil)
				continue
			}
			req.Payload = p
		case "window-change":
			p, ok := clampWindow(req.Payload)
			if !ok {
				_ = req.Reply(false, nil)
				continue
			}
			req.Payload = p
		}
		out <- req
	}
}

// envOK checks an env request: a name the server takes, sizes in bounds.
func envOK(payload []byte) bool {
	var kv struct{ Key, Value string }
	if err := gossh.Unmarshal(payload, &kv); err != nil {
		return false
	}
	return acceptedEnv(kv.Key) && len(kv.Key) <= maxEnvKey && len(kv.Value) <= maxEnvValue &&
		!strings.ContainsRune(kv.Value, 0)
}

// ptyRequest is the payload of a pty-req (RFC 4254, 6.2).
type ptyRequest struct {
	Term          string
	Cols, Rows    uint32
	Width, Height uint32 // pixels
	Modes         string
}

// windowChange is the payload of a window-change (RFC 4254, 6.7).
type windowChange struct {
	Cols, Rows    uint32
	Width, Height uint32
}

// clampPtyRequest rewrites a pty-req with its size clamped; false: the
// request is malformed or its TERM too long.
func clampPtyRequest(payload []byte) ([]byte, bool) {
	var r ptyRequest
	if err := gossh.Unmarshal(payload, &r); err != nil || len(r.Term) > maxTermName {
		return nil, false
	}
	r.Cols, r.Rows, r.Width, r.Height = clampSize(r.Cols, r.Rows, r.Width, r.Height)
	return gossh.Marshal(r), true
}

// clampWindow rewrites a window-change with its size clamped.
func clampWindow(payload []byte) ([]byte, bool) {
	var w windowChange
	if err := gossh.Unmarshal(payload, &w); err != nil {
		return nil, false
	}
	w.Cols, w.Rows, w.Width, w.Height = clampSize(w.Cols, w.Rows, w.Width, w.Height)
	return gossh.Marshal(w), true
}

// clampSize bounds a terminal's size in cells; its size in pixels shrinks
// in proportion.
func clampSize(cols, rows, width, height uint32) (uint32, uint32, uint32, uint32) {
	if cols > MaxCols {
		width = uint32(uint64(width) * MaxCols / uint64(cols))
		cols = MaxCols
	}
	if rows > MaxRows {
		height = uint32(uint64(height) * MaxRows / uint64(rows))
		rows = MaxRows
	}
	return cols, rows, width, height
}
