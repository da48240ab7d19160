package sshd

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/hosted"
)

// errNotChatUser refuses the key commands to keys that are not a user's.
var errNotChatUser = errors.New("only an enrolled user's key can do that")

func (e *cmdEnv) unlockCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unlock",
		Short: "Keep your key unlocked on the server for a while, for scp and files",
		Long: `Opens your key with your passphrase and keeps it in the server's memory for the
unlock window (parley_unlock_window, 15 minutes unless your organisation set
another), so that scp and files work without a chat session. The passphrase is
asked on a terminal (ssh -t), or read from the first line of standard input.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return e.unlock() },
	}
}

func (e *cmdEnv) lockCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "End the unlock window now: the server wipes your key",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return e.lock() },
	}
}

func (e *cmdEnv) unlock() error {
	if !e.p.CanChat() {
		return errNotChatUser
	}
	if err := e.s.deps.Directory.CanConnect(e.ctx, *e.p.User); err != nil {
		return err
	}
	if err := e.s.needSealedKey(e.ctx, e.p); err != nil {
		return err // local mode: no passphrase is asked, none could work
	}
	ring := e.s.deps.Hosted.Keyring
	if ring == nil {
		return errors.New("this server keeps no keys: scp and files are not available")
	}
	window, err := hosted.UnlockWindow(e.ctx, e.s.deps.Hosted.DB, e.p)
	if err != nil {
		return err
	}
	if window <= 0 {
		return hosted.ErrWindowOff
	}
	var pass []byte
	if _, _, tty := e.sess.Pty(); tty {
		pass, err = readSecret(e.in, e.sess.Stderr(), fmt.Sprintf("Passphrase for %s (%s): ", e.p.User.Name, e.p.User.ID))
	} else {
		pass, err = readLine(e.in)
	}
	if err != nil {
		return fmt.Errorf("reading the passphrase: %w", err)
	}
	defer wipe(pass)
	sk, err := e.s.deps.Directory.OpenSecretKey(e.ctx, e.p.User.ID, pass)
	if err != nil {
		var th *directory.ThrottledError
		if errors.As(err, &th) || errors.Is(err, directory.ErrWrongPassphrase) {
			return err
		}
		if errors.Is(err, directory.ErrLocalMode) {
			return e.s.errLocalMode()
		}
		return fmt.Errorf("unlock: %w", err)
	}
	until := ring.Unlock(e.p.User.ID, sk, window)
	sk.Wipe()
	if e.json {
		return e.printJSON(map[string]any{"unlocked_until": until.UTC().Format(time.RFC3339), "window": window.String()})
	}
	local := until.In(sessionZone(e.sess.Environ()))
	_, err = fmt.Fprintf(e.out(), "Unlocked until %s (%s): scp and files work until then.\nLock again now with: %s lock\n",
		local.Format("15:04 MST"), shortWindow(window), e.s.sshCommand(""))
	return err
}

func (e *cmdEnv) lock() error {
	if !e.p.CanChat() {
		return errNotChatUser
	}
	ring := e.s.deps.Hosted.Keyring
	n := 0
	if ring != nil {
		n = ring.Lock(e.p.User.ID)
	}
	if e.json {
		return e.printJSON(map[string]any{"locked": n == 0, "open_sessions": n})
	}
	if n > 0 {
		return e.done(nil, "The unlock window is closed, but your key stays unlocked while your %d open chat session(s) last.", n)
	}
	return e.done(nil, "Locked: the server keeps no key of yours.")
}

// shortWindow prints a window without trailing zero units: 15m, 1h30m.
func shortWindow(d time.Duration) string {
	s := d.String()
	if len(s) > 2 && s[len(s)-2:] == "0s" && d >= time.Minute {
		s = s[:len(s)-2]
	}
	if len(s) > 2 && s[len(s)-2:] == "0m" && d >= time.Hour {
		s = s[:len(s)-2]
	}
	return s
}
