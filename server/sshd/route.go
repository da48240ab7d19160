package sshd

import (
	"fmt"
	"strings"

	"charm.land/ssh"
)

// route sends the session where it belongs: an exec command, the chat UI,
// or instructions.
func (s *Server) route(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		p := principal(sess)
		if len(sess.Command()) > 0 {
			_ = sess.Exit(s.exec(sess, p))
			return
		}
		_, _, hasPty := sess.Pty()
		switch {
		case p.IsUser() && hasPty:
			_ = sess.Exit(s.chat(sess, p))
		case p.IsUser():
			fmt.Fprintf(sess.Stderr(), "The chat needs a terminal: connect with\n\n    %s\n\nCommands: %s help\n",
				s.sshCommand("-t"), s.sshCommand(""))
			_ = sess.Exit(1)
		case p.User != nil:
			fmt.Fprintf(sess.Stderr(), "Your Parley ID %s is %s: contact your admin.\n", p.User.ID, p.User.Status)
			_ = sess.Exit(1)
		case p.Admin != nil:
			fmt.Fprintf(sess, "This key is an admin key (%s) and has no chat of its own.\nRun: %s help\n",
				p.Admin.Role, s.sshCommand(""))
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
