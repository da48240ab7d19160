package sshd

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/logctx"
)

type principalKey struct{}

// principal returns the session's principal, set by identify.
func principal(sess ssh.Session) *auth.Principal {
	p, _ := sess.Context().Value(principalKey{}).(*auth.Principal)
	return p
}

func (s *Server) recover(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				s.log.ErrorContext(sess.Context(), "session panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				s.countError(errorFront(sess), "panic")
				fmt.Fprintln(sess.Stderr(), "error: internal error, the session was closed")
				_ = sess.Exit(1)
			}
		}()
		next(sess)
	}
}

// commandNames are the exec commands whose name is logged; anything else
// (a mistyped command, an activation code typed without `activate`) is
// logged as "exec (unknown)", since it may be secret.
var commandNames = map[string]bool{ //nolint:gochecknoglobals // a constant set
	"activate": true, "version": true, "unlock": true, "lock": true, "files": true, "whoami": true,
	"directory": true, "tenant": true, "license": true, "user": true, "device": true, "admin": true,
	"apikey": true, "audit": true, "export": true, "group": true, "stats": true, "policy": true, "backup": true,
	"quiet-hours": true, "help": true, "console": true, "scp": true, "migrate": true,
}

// sessionKind names a session for the log: shell, exec with the command's
// name (never its arguments), or subsystem.
func sessionKind(sess ssh.Session) string {
	if sub := sess.Subsystem(); sub != "" {
		if sub == "sftp" || sub == "parley" {
			return "subsystem " + sub
		}
		return "subsystem (unknown)"
	}
	cmd := sess.Command()
	switch {
	case len(cmd) == 0:
		return "shell"
	case commandNames[cmd[0]]:
		return "exec " + cmd[0]
	}
	return "exec (unknown)"
}

// logging writes the line that says how a session ended (its exit
// status, how long it ran) and counts one that ended non-zero as an
// error of its front. The connection's request ID, key and user come
// from its context.
func (s *Server) logging(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		rec := &exitRecorder{Session: sess}
		next(rec)
		p := principal(sess)
		kind := sessionKind(sess)
		attrs := []any{"kind", kind, "remote", sess.RemoteAddr().String(), "duration", time.Since(start).Round(time.Millisecond).String()}
		if p != nil {
			attrs = append(attrs, "key", p.KeyFingerprint, "session", p.Session)
			if p.User != nil {
				attrs = append(attrs, "user", p.User.ID.String())
			}
		}
		if code, ok := rec.status(); ok {
			attrs = append(attrs, "exit", code)
			if code != 0 {
				s.countError(errorFront(sess), errorKind(sess))
			}
		}
		s.log.InfoContext(sess.Context(), "session ended", attrs...)
	}
}

// identify resolves the principal from the key that completed
// authentication. It never trusts anything the auth callback saw: a client
// may offer one key (even someone else's) and then sign with another.
func (s *Server) identify(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if tc := connOf(sess.Context()); tc != nil {
			tc.sessionStarted()
			defer tc.sessionEnded()
		}
		key := sess.PublicKey()
		if key == nil {
			wish.Fatalln(sess, "error: public key authentication required")
			return
		}
		fp := fingerprint(key)
		req := logctx.From(sess.Context())
		if req != nil {
			req.Set("key", fp)
		}
		user, roles, err := s.deps.Directory.Resolve(sess.Context(), fp)
		if err != nil {
			s.log.ErrorContext(sess.Context(), "resolve key", "err", err, "key", fp)
			wish.Fatalln(sess, "error: the server could not look up your key, try again later")
			return
		}
		var id [8]byte
		_, _ = io.ReadFull(rand.Reader, id[:])
		p := &auth.Principal{KeyFingerprint: fp, AuthorizedKey: authorizedKey(key), User: user, Roles: roles,
			Session: hex.EncodeToString(id[:])}
		sess.Context().SetValue(principalKey{}, p)
		if user != nil || len(roles) > 0 {
			s.promoteConn(sess.Context())
		}
		if req != nil && user != nil {
			req.Set("user", user.ID.String())
		}
		s.log.InfoContext(sess.Context(), "session started", "kind", sessionKind(sess), "session", p.Session)
		next(sess)
	}
}

func (s *Server) limit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		p := principal(sess)
		s.mu.Lock()
		if s.total >= s.cfg.MaxSessions {
			s.over["sessions at capacity"]++
			s.mu.Unlock()
			wish.Fatalln(sess, "error: the server is at capacity, try again in a minute")
			return
		}
		if s.perKey[p.KeyFingerprint] >= s.cfg.MaxSessionsPerKey {
			s.over["sessions per key"]++
			s.mu.Unlock()
			wish.Fatalln(sess, fmt.Sprintf("error: this key has %d sessions open, the limit: close one first", s.cfg.MaxSessionsPerKey))
			return
		}
		kind := metricKind(sess)
		s.total++
		s.perKey[p.KeyFingerprint]++
		s.byKind[kind]++
		s.mu.Unlock()
		if p.User != nil {
			if err := s.deps.Directory.TouchDevice(sess.Context(), p.KeyFingerprint); err != nil {
				s.log.WarnContext(sess.Context(), "touch device", "err", err)
			}
		}
		defer func() {
			s.mu.Lock()
			s.total--
			if s.byKind[kind]--; s.byKind[kind] <= 0 {
				delete(s.byKind, kind)
			}
			if s.perKey[p.KeyFingerprint]--; s.perKey[p.KeyFingerprint] <= 0 {
				delete(s.perKey, p.KeyFingerprint)
			}
			s.mu.Unlock()
		}()
		next(sess)
	}
}
