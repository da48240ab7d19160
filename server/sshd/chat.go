package sshd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/charmbracelet/colorprofile"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/hosted"
	"github.com/parley-chat/parley/server/logctx"
	"github.com/parley-chat/parley/tui/chat"
	"github.com/parley-chat/parley/tui/term"
)

// chat runs the chat UI on an interactive session and returns the exit status.
func (s *Server) chat(sess ssh.Session, p *auth.Principal) int {
	// The session ends, with the reason, when the user, the device or the
	// tenant may no longer use it (watch.go).
	ctx, end := context.WithCancelCause(auth.With(sess.Context(), p))
	defer end(nil)
	defer s.watchSession(p, true, end)()
	pty, windows, _ := sess.Pty()
	hd := s.deps.Hosted
	if hd.Policies == nil {
		hd.Policies = s.deps.Policies // the session follows policy changes live
	}
	if hd.Logger != nil {
		hd.Logger = logctx.Logger(ctx, hd.Logger) // the core logs without a context: its lines carry the request's
	}
	c, err := hosted.NewCore(hd, p)
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "error: %v\n", err)
		return 1
	}
	defer c.Close()
	// The key this session unlocks stays for the unlock window after it ends.
	defer hosted.EndSession(context.WithoutCancel(ctx), hd, p)
	tenant := ""
	if t, err := s.deps.Directory.Tenant(ctx, p.User.TenantID); err == nil {
		tenant = t.Name
	}
	env := append(sess.Environ(), "TERM="+pty.Term)
	var prog *term.Program[ssh.Window]
	var once sync.Once
	model := chat.New(chat.Options{
		Service:  c,
		Theme:    s.theme,
		Context:  ctx,
		Notify:   func() { prog.Send(chat.SyncMsg{}) },
		Tenant:   tenant,
		Location: terminalZone(sess.Environ()), // nil: the chat falls back (tui/chat Options)
		SCPHost:  s.scpHost(),
		After: func(d time.Duration, msg tea.Msg) {
			time.AfterFunc(d, func() { prog.Send(msg) }) // a no-op once the session ended
		},
	})
	// The line that says why a session ended goes to its output, after the
	// terminal left the alternate screen on the same stream: on standard
	// error, the client could print it first, into the screen it leaves.
	prog = term.New(model, term.Options{
		Input:   sess,
		Output:  sess,
		Size:    term.Size{Width: pty.Window.Width, Height: pty.Window.Height},
		Profile: colorprofile.Env(env),
		Close: func(err error) {
			once.Do(func() {
				if cause := context.Cause(ctx); err == nil && ctx.Err() != nil && !errors.Is(cause, context.Canceled) {
					s.log.InfoContext(ctx, "chat session ended: access changed", "session", p.Session)
					fmt.Fprintf(sess, "Session ended: %s\r\n", capitalizeFirst(cause.Error()))
					_ = sess.Exit(1)
					return
				}
				if why := model.Refused(); err == nil && why != "" {
					fmt.Fprintf(sess, "Session ended: %s.\r\n", why)
					_ = sess.Exit(1)
					return
				}
				if err != nil {
					s.log.WarnContext(ctx, "chat session ended with an error", "err", err, "session", p.Session)
					fmt.Fprintf(sess, "Session ended: %v\r\n", err)
					_ = sess.Exit(1)
					return
				}
				_ = sess.Exit(0)
			})
		},
		Logger: logctx.Logger(ctx, s.log),
	}, windows, func(w ssh.Window) term.Size { return term.Size{Width: w.Width, Height: w.Height} })
	err = prog.Run(ctx)
	// The core's keys are wiped when this returns: first end what the
	// model's commands are still doing with them.
	end(context.Canceled)
	prog.WaitCommands()
	if err != nil {
		return 1
	}
	return 0
}

// sessionZone is the time zone the client sent in TZ (ssh -o SendEnv=TZ),
// or the server's own.
func sessionZone(env []string) *time.Location {
	if loc := terminalZone(env); loc != nil {
		return loc
	}
	return time.Local
}

// terminalZone is the time zone the client sent in TZ, or nil when it sent
// none (or one this machine does not know).
func terminalZone(env []string) *time.Location {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TZ="); ok && v != "" {
			if loc, err := time.LoadLocation(strings.TrimPrefix(v, ":")); err == nil {
				return loc
			}
		}
	}
	return nil
}
