package sshd

import (
	"context"
	"sync"

	"charm.land/ssh"
)

// ErrorCounter counts the errors the front answers, for metrics
// (metrics.Metrics implements it). front is "ssh" or "subsystem"; kind
// one of the fixed words metrics.ErrorKinds lists, never a value from a
// request.
type ErrorCounter interface {
	CountError(front, kind string)
}

// countError counts an error, if the server counts them.
func (s *Server) countError(front, kind string) {
	if s.cfg.Errors != nil {
		s.cfg.Errors.CountError(front, kind)
	}
}

// errorFront is the front a session's errors count under: the local
// client's protocol is "subsystem", everything else on the port "ssh".
func errorFront(sess ssh.Session) string {
	if sess.Subsystem() == "parley" {
		return "subsystem"
	}
	return "ssh"
}

// errorKind is what a session that ended with a non-zero status counts
// as: a failed exec command (or scp), or a chat, console, sftp or
// subsystem session that ended in error.
func errorKind(sess ssh.Session) string {
	if metricKind(sess) == "exec" {
		return "command"
	}
	return "session"
}

// exitRecorder remembers the exit status a handler sent, for the line
// that says how the session ended.
type exitRecorder struct {
	ssh.Session
	mu     sync.Mutex
	code   int
	exited bool
}

// Exit records the first status and sends it.
func (e *exitRecorder) Exit(code int) error {
	e.mu.Lock()
	if !e.exited {
		e.code, e.exited = code, true
	}
	e.mu.Unlock()
	return e.Session.Exit(code)
}

// status returns the status sent, if any.
func (e *exitRecorder) status() (int, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.code, e.exited
}

// logCtx is the context the connection's lines are logged with: the
// session's, which carries the request ID (none without a session).
func (c *protoConn) logCtx() context.Context {
	if c.sess == nil {
		return context.Background()
	}
	return c.sess.Context()
}
