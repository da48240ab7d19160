package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/local/dial"
	"github.com/parley-chat/parley/tui/local/remote"
)

func TestWhatIsRetried(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{fmt.Errorf("dial: %w", io.EOF), true},
		{remote.ErrClosed, true},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("dial: %w", dial.ErrHostKeyChanged), false},
		{fmt.Errorf("%w: another user's key", errWrongAccount), false},
		{&remote.Error{Code: "forbidden", Message: "this SSH key belongs to no active Parley user"}, false},
		{errors.New("ssh: unable to authenticate"), false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestOfflineLink: with no connection, every request is core.ErrOffline,
// a subscription is still given (it attaches when the connection comes),
// and the settings are the last the server gave.
func TestOfflineLink(t *testing.T) {
	l := newLink(Options{}, crypto.ID{}, crypto.PublicKey{})
	ctx := context.Background()
	if _, err := l.Send(ctx, nil); !errors.Is(err, core.ErrOffline) {
		t.Fatalf("send: %v", err)
	}
	if _, err := l.Contact(ctx, crypto.ID{}); !errors.Is(err, core.ErrOffline) {
		t.Fatalf("contact: %v", err)
	}
	if _, err := l.MyGroups(ctx); !errors.Is(err, core.ErrOffline) {
		t.Fatalf("groups: %v", err)
	}
	sub, err := l.Subscribe(ctx, func() {})
	if err != nil {
		t.Fatalf("subscribe offline: %v", err)
	}
	if evs, err := sub.Drain(); err != nil || len(evs) != 0 {
		t.Fatalf("drain offline: %v %v", evs, err)
	}
	sub.Close()
	l.settings.last = core.Restrictions{Quiet: true}
	if r, err := l.Settings(ctx); err != nil || !r.Quiet {
		t.Fatalf("settings offline: %+v %v, want the last known", r, err)
	}
	if err := l.SetNickname(ctx, "x"); !errors.Is(err, core.ErrOffline) {
		t.Fatalf("set nickname offline: %v", err)
	}
	cancel := l.WatchSettings(func() {})
	if len(l.settings.watchers) != 1 {
		t.Fatal("the watcher was not kept for the next connection")
	}
	cancel()
	if len(l.settings.watchers) != 0 {
		t.Fatal("cancel left the watcher")
	}
}

func TestPassphrasesRememberedForReconnects(t *testing.T) {
	asked := 0
	p := rememberPassphrases(func(string) ([]byte, error) { asked++; return []byte("secret"), nil })
	if b, err := p.ask("/home/ada/.ssh/id_ed25519"); err != nil || string(b) != "secret" {
		t.Fatal(b, err)
	}
	if b, err := p.only("/home/ada/.ssh/id_ed25519"); err != nil || string(b) != "secret" || asked != 1 {
		t.Fatalf("reconnect: %q %v, asked %d times", b, err, asked)
	}
	if _, err := p.only("/home/ada/.ssh/other"); err == nil {
		t.Fatal("a key never unlocked was answered without asking")
	}
}
