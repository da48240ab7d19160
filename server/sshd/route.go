package sshd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"charm.land/ssh"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// route sends the session where it belongs: an exec command, the chat UI,
// or instructions.
func (s *Server) route(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		p := principal(sess)
		_, _, hasPty := sess.Pty()
		// `ssh -t host admin` (or `console`) opens the admin console; without
		// a terminal `admin` is the exec noun, and `console` explains.
		if cmd := sess.Command(); len(cmd) == 1 && (cmd[0] == "console" || (cmd[0] == "admin" && hasPty)) {
			_ = sess.Exit(s.openConsole(sess, p, hasPty))
			return
		}
		// `scp file HOST:@ID` and `scp HOST:inbox/ID .` in the legacy
		// protocol (scp -O, or OpenSSH before 9) arrive as an scp command.
		if cmd := sess.Command(); len(cmd) > 0 && cmd[0] == "scp" {
			_ = sess.Exit(s.scp(sess, p))
			return
		}
		if len(sess.Command()) > 0 {
			_ = sess.Exit(s.exec(sess, p))
			return
		}
		switch {
		case p.User != nil && p.User.Status == store.UserPending:
			fmt.Fprintf(sess.Stderr(), "Your Parley ID %s is not activated yet.\n", p.User.ID)
			_ = sess.Exit(1)
		case p.User != nil:
			// Whether the user may connect at all comes before whether it
			// brought a terminal: a revoked user learns that first.
			if err := s.deps.Directory.CanConnect(sess.Context(), *p.User); err != nil {
				fmt.Fprintf(sess.Stderr(), "%s\n", capitalizeFirst(err.Error()))
				_ = sess.Exit(1)
				break
			}
			// A local-mode user's secret key is not on the server: no
			// passphrase could unlock a hosted chat.
			if err := s.needSealedKey(sess.Context(), p); err != nil {
				fmt.Fprintf(sess.Stderr(), "%s.\n", capitalizeFirst(err.Error()))
				_ = sess.Exit(1)
				break
			}
			if !hasPty {
				fmt.Fprintf(sess.Stderr(), "The chat needs a terminal: connect with\n\n    %s\n\nCommands: %s help\n",
					s.sshCommand("-t"), s.sshCommand(""))
				_ = sess.Exit(1)
				break
			}
			_ = sess.Exit(s.chat(sess, p))
		case len(p.Roles) > 0 && hasPty:
			_ = sess.Exit(s.console(sess, p))
		case len(p.Roles) > 0:
			fmt.Fprintf(sess, "This key is an admin key and has no chat of its own.\nConsole: %s\nCommands: %s help\n",
				s.sshCommand("-t"), s.sshCommand(""))
			_ = sess.Exit(0)
		default:
			fmt.Fprint(sess.Stderr(), s.notEnrolled(p.KeyFingerprint))
			_ = sess.Exit(1)
		}
		next(sess)
	}
}

// notEnrolled explains a key that is not enrolled.
func (s *Server) notEnrolled(fp string) string {
	return fmt.Sprintf(`Welcome to Parley.

This SSH key is not enrolled:
    %s

To use Parley, ask your admin for an activation code, then enrol this key with:

    %s activate YOUR-CODE

`, fp, s.sshCommand("-t"))
}

// needSealedKey refuses, with directions to the local client, what needs
// the user's secret key on the server (a hosted chat, unlock, files) when
// the user is in local mode.
func (s *Server) needSealedKey(ctx context.Context, p *auth.Principal) error {
	err := s.deps.Directory.HostedAllowed(ctx, p.User.ID)
	switch {
	case errors.Is(err, directory.ErrLocalMode):
		return s.errLocalMode()
	case errors.Is(err, policy.ErrForbiddenByPolicy):
		return fmt.Errorf("%w. Move this account to your own device with `parley chat --migrate %s`", err, s.chatTarget())
	}
	return err
}

// errLocalMode is directory.ErrLocalMode with how to chat instead.
func (s *Server) errLocalMode() error {
	return fmt.Errorf("%w: chat with `parley chat %s`", directory.ErrLocalMode, s.chatTarget())
}

// chatTarget is this server as the local client names it: HOST, or
// HOST:PORT off port 22.
func (s *Server) chatTarget() string {
	host := s.cfg.PublicHost
	if host == "" {
		host = "HOST"
	}
	if s.cfg.PublicPort != 22 {
		return net.JoinHostPort(host, strconv.Itoa(s.cfg.PublicPort))
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// scpHost is this server as scp names it: "[-P PORT] HOST".
func (s *Server) scpHost() string {
	host := s.cfg.PublicHost
	if host == "" {
		host = "HOST"
	}
	if s.cfg.PublicPort != 22 {
		return fmt.Sprintf("-P %d %s", s.cfg.PublicPort, host)
	}
	return host
}

// sshCommand shows how to reach this server: "ssh [flags] [-p PORT] HOST".
func (s *Server) sshCommand(flags ...string) string {
	parts := []string{"ssh"}
	for _, f := range flags {
		if f != "" {
			parts = append(parts, f)
		}
	}
	if s.cfg.PublicPort != 22 {
		parts = append(parts, "-p", fmt.Sprint(s.cfg.PublicPort))
	}
	host := s.cfg.PublicHost
	if host == "" {
		host = "HOST"
	}
	return strings.Join(append(parts, host), " ")
}
