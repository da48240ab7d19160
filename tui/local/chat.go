package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	xterm "github.com/charmbracelet/x/term"

	"github.com/parley-chat/parley/tui/chat"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/local/device"
	"github.com/parley-chat/parley/tui/theme"
)

// Terminal is the user's terminal.
type Terminal struct {
	In  *os.File
	Out *os.File
}

// Chat opens the local account for the target, connects, and runs the
// chat TUI on t until the user quits.
func Chat(ctx context.Context, o Options, t Terminal) error {
	if err := o.fill(); err != nil {
		return err
	}
	if !xterm.IsTerminal(t.In.Fd()) || !xterm.IsTerminal(t.Out.Fd()) {
		return errors.New("parley chat needs a terminal")
	}
	dir, err := accountDir(o)
	if err != nil {
		return err
	}
	dev, err := device.Open(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Target, err)
	}
	defer dev.Close()

	// The first connection may ask (a new host key, a key's passphrase)
	// while the terminal is still a terminal; later ones run behind the
	// TUI and ask nothing: an identity's passphrase typed now is reused.
	remember := rememberPassphrases(o.Dial.Passphrase)
	o.Dial.Passphrase = remember.ask
	l := newLink(o, dev.Account.UserID, dev.Account.PublicKey)
	tenant := dev.Account.Tenant
	cl, conn, err := l.connectOnce(ctx)
	switch {
	case err == nil:
		l.attach(ctx, cl, conn)
		if w := conn.Welcome(); w.Tenant != "" {
			tenant = w.Tenant
		}
	case !retryable(err):
		return err
	default:
		o.Prompt.Say(fmt.Sprintf("offline: %v\r\nOpening your history; parley chat connects when the server is back.", err))
	}
	defer l.close()
	l.o.Dial.Confirm = func(string, string, string) bool { return false } // no prompt under the TUI
	l.o.Dial.Passphrase = remember.only

	var sid [8]byte
	_, _ = rand.Read(sid[:])
	c := core.New(core.Config{
		Identity:  dev.Identity(),
		Relay:     l,
		Keys:      dev,
		Store:     dev.Store(),
		Directory: l,
		Groups:    l,
		Account:   l,
		Blobs:     l,
		Session:   "local-" + hex.EncodeToString(sid[:]),
		Logger:    o.Logger,
	})
	defer c.Close()
	return run(ctx, c, l, tenant, t, o)
}

// passphrases keeps the identity-file passphrases typed for the first
// connection, in memory, for the reconnects.
type passphrases struct {
	mu   sync.Mutex
	next func(file string) ([]byte, error)
	got  map[string][]byte
}

func rememberPassphrases(ask func(string) ([]byte, error)) *passphrases {
	return &passphrases{next: ask, got: map[string][]byte{}}
}

func (p *passphrases) ask(file string) ([]byte, error) {
	b, err := p.next(file)
	if err == nil {
		p.mu.Lock()
		p.got[file] = append([]byte(nil), b...)
		p.mu.Unlock()
	}
	return b, err
}

func (p *passphrases) only(file string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.got[file]; ok {
		return append([]byte(nil), b...), nil
	}
	return nil, fmt.Errorf("the passphrase of %s is needed: restart parley chat", file)
}

// run hosts the chat model on the terminal: a plain tea.Program, which
// puts the terminal in raw mode, follows its size and restores it at the
// end.
func run(ctx context.Context, c *core.Core, l *link, tenant string, t Terminal, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var prog *tea.Program
	// The core's notify must not block; tea's Send waits for the event
	// loop, so a goroutine forwards the wake-ups, coalesced.
	wake := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				prog.Send(chat.SyncMsg{})
			}
		}
	}()
	model := chat.New(chat.Options{
		Service: c,
		Theme:   theme.Default(),
		Context: ctx,
		Notify: func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		},
		Tenant: tenant,
		After: func(d time.Duration, msg tea.Msg) {
			time.AfterFunc(d, func() { prog.Send(msg) })
		},
		Location: time.Local,
		Files:    disk{home: homeDir()},
	})
	prog = tea.NewProgram(model, tea.WithContext(ctx), tea.WithInput(t.In), tea.WithOutput(t.Out))
	l.onState = func(offline string, final bool) { prog.Send(chat.ConnectionMsg{Offline: offline, Final: final}) }
	if cur, _ := l.current(); cur == nil {
		go prog.Send(chat.ConnectionMsg{Offline: "offline · connecting"})
	}
	go l.run(ctx)
	_, err := prog.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		err = nil
	}
	if why := model.Refused(); err == nil && why != "" {
		return fmt.Errorf("session ended: %s", why)
	}
	return err
}

func homeDir() string {
	h, _ := os.UserHomeDir()
	return h
}
