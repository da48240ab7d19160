package hosted

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

var bg = context.Background()

type world struct {
	t   testing.TB
	dir string
	db  *store.Bolt
	d   Deps
	// dirSvc is d.Directory, with the methods tests use to set up.
	dirSvc *directory.Service
	ten    store.Tenant
	now    time.Time // the clock of Deps.Now
}

func newWorld(t testing.TB, queueLen int) *world {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	dirSvc := directory.New(db, directory.Config{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, Logger: log})
	hub := relay.NewHub(queueLen)
	w := &world{t: t, dir: dir, db: db, dirSvc: dirSvc, d: Deps{DB: db, Directory: dirSvc, Bus: hub, Logger: log,
		Relay: relay.New(db, dirSvc, hub, relay.Config{Logger: log}), Policies: policy.NewBus()},
		now: time.Date(2025, 3, 12, 20, 0, 0, 0, time.UTC)} // a Wednesday evening
	w.d.Now = func() time.Time { return w.now }
	w.ten, err = dirSvc.CreateTenant(bg, directory.TenantSpec{Name: "acme", Seats: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// user creates and activates a user; its key fingerprint is "SHA256:"+name.
func (w *world) user(name string) *store.User {
	w.t.Helper()
	u, code, err := w.dirSvc.CreateUser(bg, directory.UserSpec{TenantID: w.ten.ID, Name: name}, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	_, err = w.dirSvc.Activate(bg, directory.ActivateSpec{Code: code.Code, Fingerprint: "SHA256:" + name,
		AuthorizedKey: "ssh-ed25519 AAAA " + name, Passphrase: []byte("passphrase of " + name)})
	if err != nil {
		w.t.Fatal(err)
	}
	got, _, err := w.dirSvc.Resolve(bg, "SHA256:"+name)
	if err != nil || got == nil || got.ID != u.ID {
		w.t.Fatalf("resolve %s: %v %v", name, got, err)
	}
	return got
}

// session is one unlocked, started core with a notification channel.
type session struct {
	*core.Core
	t     testing.TB
	woken chan struct{}
}

func (w *world) session(u *store.User, name string) *session {
	w.t.Helper()
	p := &auth.Principal{KeyFingerprint: "SHA256:" + u.Name, User: u, Session: name}
	c, err := NewCore(w.d, p)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := c.Unlock(bg, []byte("passphrase of "+u.Name)); err != nil {
		w.t.Fatal(err)
	}
	s := &session{Core: c, t: w.t, woken: make(chan struct{}, 1)}
	if err := c.Start(bg, func() {
		select {
		case s.woken <- struct{}{}:
		default:
		}
	}); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(c.Close)
	return s
}

// sync waits for a notification (unless the core has a catch-up pending) and syncs.
func (s *session) sync(wait bool) core.Changes {
	s.t.Helper()
	if wait {
		select {
		case <-s.woken:
		case <-time.After(5 * time.Second):
			s.t.Fatal("no notification")
		}
	}
	ch, err := s.Sync(bg)
	if err != nil {
		s.t.Fatal(err)
	}
	return ch
}

func (s *session) messages(peer crypto.ID) []core.Message {
	s.t.Helper()
	p, err := s.Messages(bg, core.Direct(peer), nil, 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	return p.Messages
}

func TestChatWithReceipts(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob := w.user("Alice"), w.user("Bob")
	a, b := w.session(alice, "a1"), w.session(bob, "b1")
	a.sync(false)
	b.sync(false)

	m, err := a.Send(bg, core.Direct(bob.ID), "hello *Bob*")
	if err != nil {
		t.Fatal(err)
	}
	if m.State != core.StateSent {
		t.Fatalf("after send: state %v, want sent", m.State)
	}
	ch := b.sync(true)
	if len(ch.Incoming) != 1 || ch.Incoming[0].Text != "hello *Bob*" || ch.Incoming[0].From != alice.ID {
		t.Fatalf("bob's incoming: %+v", ch.Incoming)
	}
	convs, _ := b.Conversations(bg)
	if len(convs) != 1 || convs[0].Unread != 1 || convs[0].Name != "Alice" || convs[0].Preview != "hello *Bob*" {
		t.Fatalf("bob's conversations: %+v", convs)
	}
	// Alice learns the message was delivered...
	a.sync(true)
	if got := a.messages(bob.ID); len(got) != 1 || got[0].State != core.StateDelivered {
		t.Fatalf("alice's message after delivery: %+v", got)
	}
	// ...and read once Bob opens the conversation.
	if changed, err := b.MarkRead(bg, core.Direct(alice.ID)); err != nil || !changed {
		t.Fatalf("mark read: %v %v", changed, err)
	}
	a.sync(true)
	if got := a.messages(bob.ID); got[0].State != core.StateRead {
		t.Fatalf("alice's message after read: %v", got[0].State)
	}
	convs, _ = b.Conversations(bg)
	if convs[0].Unread != 0 {
		t.Fatalf("unread after mark read: %d", convs[0].Unread)
	}
	// Marking again sends nothing new.
	if changed, _ := b.MarkRead(bg, core.Direct(alice.ID)); changed {
		t.Fatal("second mark read changed something")
	}
}

func TestOfflineRecipientCatchesUpInOrder(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob := w.user("Alice"), w.user("Bob")
	a := w.session(alice, "a1")
	for i := 1; i <= 3; i++ {
		if _, err := a.Send(bg, core.Direct(bob.ID), fmt.Sprintf("message %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	b := w.session(bob, "b1")
	ch := b.sync(false)
	if len(ch.Incoming) != 3 {
		t.Fatalf("caught up %d messages, want 3", len(ch.Incoming))
	}
	got := b.messages(alice.ID)
	for i, m := range got {
		if want := fmt.Sprintf("message %d", i+1); m.Text != want {
			t.Fatalf("message %d = %q, want %q", i, m.Text, want)
		}
	}
	// The mailbox is empty once processed.
	left, err := w.d.Relay.Fetch(auth.With(bg, &auth.Principal{User: bob}), 0, 0)
	if err != nil || len(left) != 0 {
		t.Fatalf("mailbox after catch-up: %d, %v", len(left), err)
	}
}

func TestTwoSessionsOfOneUser(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob := w.user("Alice"), w.user("Bob")
	a := w.session(alice, "a1")
	b1, b2 := w.session(bob, "b1"), w.session(bob, "b2")
	b1.sync(false)
	b2.sync(false)
	if _, err := a.Send(bg, core.Direct(bob.ID), "to both"); err != nil {
		t.Fatal(err)
	}
	c1 := b1.sync(true)
	c2 := b2.sync(true)
	if n := len(c1.Incoming) + len(c2.Incoming); n != 1 {
		t.Fatalf("the message was stored %d times, want once", n)
	}
	for _, s := range []*session{b1, b2} {
		convs, _ := s.Conversations(bg)
		if len(convs) != 1 || convs[0].Unread != 1 || len(s.messages(alice.ID)) != 1 {
			t.Fatalf("session sees %+v", convs)
		}
	}
	// A message Bob sends from one session shows in the other.
	drain(b1)
	drain(b2)
	if _, err := b1.Send(bg, core.Direct(alice.ID), "from b1"); err != nil {
		t.Fatal(err)
	}
	if ch := b2.sync(true); !ch.Reload {
		t.Fatal("b2 not told to reload after b1 sent")
	}
	got := b2.messages(alice.ID)
	if len(got) != 2 || got[1].Text != "from b1" || !got[1].Outgoing {
		t.Fatalf("b2 sees %+v", got)
	}
}

// drain consumes pending notifications and syncs.
func drain(s *session) {
	select {
	case <-s.woken:
	default:
	}
	if _, err := s.Sync(bg); err != nil {
		s.t.Fatal(err)
	}
}

func TestSessionThatFellBehindCatchesUp(t *testing.T) {
	w := newWorld(t, 2)
	alice, bob := w.user("Alice"), w.user("Bob")
	a, b := w.session(alice, "a1"), w.session(bob, "b1")
	b.sync(false)
	for i := 0; i < 6; i++ {
		if _, err := a.Send(bg, core.Direct(bob.ID), fmt.Sprintf("burst %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Bob's queue of 2 overflowed; his next sync subscribes again and reads the mailbox.
	ch := b.sync(true)
	if len(ch.Incoming) != 6 {
		t.Fatalf("after falling behind: %d messages, want 6", len(ch.Incoming))
	}
	if _, err := a.Send(bg, core.Direct(bob.ID), "after"); err != nil {
		t.Fatal(err)
	}
	if ch := b.sync(true); len(ch.Incoming) != 1 {
		t.Fatalf("live again: %d messages", len(ch.Incoming))
	}
}

func TestReplayAndForgeryAreDropped(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob, eve := w.user("Alice"), w.user("Bob"), w.user("Eve")
	a, b := w.session(alice, "a1"), w.session(bob, "b1")
	b.sync(false)
	// Capture what the relay stores for Bob.
	if _, err := a.Send(bg, core.Direct(bob.ID), "once"); err != nil {
		t.Fatal(err)
	}
	pending, _ := w.d.Relay.Fetch(auth.With(bg, &auth.Principal{User: bob}), 0, 10)
	if len(pending) != 1 {
		t.Fatalf("pending: %d", len(pending))
	}
	raw := pending[0].Envelope
	b.sync(true)
	// The same envelope again (a replay by a malicious relay, or a resend).
	aliceCtx := auth.With(bg, &auth.Principal{KeyFingerprint: "SHA256:Alice", User: alice})
	if _, err := w.d.Relay.Send(aliceCtx, raw); err != nil {
		t.Fatal(err)
	}
	if ch := b.sync(true); len(ch.Incoming) != 0 {
		t.Fatalf("replay accepted: %+v", ch.Incoming)
	}
	// Eve signs an envelope claiming to be... herself, but boxed with a wrong key: it does not open.
	env, _ := crypto.ParseEnvelope(append([]byte(nil), raw...))
	env.Sender = eve.ID
	env.Nonce[0] ^= 1
	eveCtx := auth.With(bg, &auth.Principal{KeyFingerprint: "SHA256:Eve", User: eve})
	if _, err := w.d.Relay.Send(eveCtx, env.Marshal()); err != nil {
		t.Fatal(err)
	}
	if ch := b.sync(true); len(ch.Incoming) != 0 {
		t.Fatalf("forgery accepted: %+v", ch.Incoming)
	}
	if got := b.messages(alice.ID); len(got) != 1 {
		t.Fatalf("bob has %d messages from alice, want 1", len(got))
	}
	if left, _ := w.d.Relay.Fetch(auth.With(bg, &auth.Principal{User: bob}), 0, 10); len(left) != 0 {
		t.Fatalf("dropped envelopes not acknowledged: %d left", len(left))
	}
}

func TestLockedCoreRefuses(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob := w.user("Alice"), w.user("Bob")
	c, err := NewCore(w.d, &auth.Principal{User: alice, Session: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send(bg, core.Direct(bob.ID), "hi"); !errors.Is(err, core.ErrLocked) {
		t.Fatalf("send while locked: %v", err)
	}
	if err := c.Unlock(bg, []byte("not the passphrase")); !errors.Is(err, core.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := NewCore(w.d, &auth.Principal{}); err == nil {
		t.Fatal("core for a principal without a user")
	}
}

func TestSendErrors(t *testing.T) {
	w := newWorld(t, 0)
	alice := w.user("Alice")
	a := w.session(alice, "a1")
	pending, _, err := w.dirSvc.CreateUser(bg, directory.UserSpec{TenantID: w.ten.ID, Name: "Pending"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := w.dirSvc.CreateTenant(bg, directory.TenantSpec{Name: "other", Seats: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _, _ := w.dirSvc.CreateUser(bg, directory.UserSpec{TenantID: other.ID, Name: "Stranger"}, nil)
	unknown, _ := crypto.ParseID("ZZZZ9999")
	for name, c := range map[string]struct {
		to   crypto.ID
		text string
		want error
	}{
		"self":         {alice.ID, "hi", core.ErrSelf},
		"empty":        {pending.ID, "", crypto.ErrMalformed},
		"oversize":     {pending.ID, strings.Repeat("x", crypto.MaxTextLen+1), crypto.ErrTooLarge},
		"pending":      {pending.ID, "hi", directory.ErrNotActivated},
		"other tenant": {stranger.ID, "hi", directory.ErrUserNotFound},
		"unknown":      {unknown, "hi", directory.ErrUserNotFound},
	} {
		if _, err := a.Send(bg, core.Direct(c.to), c.text); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
	if convs, _ := a.Conversations(bg); len(convs) != 0 {
		t.Fatalf("refused sends left conversations: %+v", convs)
	}
}

func TestPaging(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob := w.user("Alice"), w.user("Bob")
	a := w.session(alice, "a1")
	for i := 0; i < 250; i++ {
		if _, err := a.Send(bg, core.Direct(bob.ID), fmt.Sprintf("m%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	var cursor []byte
	for pages := 0; ; pages++ {
		p, err := a.Messages(bg, core.Direct(bob.ID), cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, m := range p.Messages {
			texts = append(texts, m.Text)
		}
		all = append(texts, all...)
		if p.Older == nil {
			if pages != 2 {
				t.Fatalf("%d pages, want 3", pages+1)
			}
			break
		}
		cursor = p.Older
	}
	if len(all) != 250 || all[0] != "m000" || all[249] != "m249" {
		t.Fatalf("paged %d messages: first %q last %q", len(all), all[0], all[len(all)-1])
	}
	for i := 1; i < len(all); i++ {
		if all[i-1] >= all[i] {
			t.Fatalf("out of order at %d: %q, %q", i, all[i-1], all[i])
		}
	}
}

func TestNoPlaintextInDataDir(t *testing.T) {
	w := newWorld(t, 0)
	alice, bob := w.user("Alice"), w.user("Bob")
	a, b := w.session(alice, "a1"), w.session(bob, "b1")
	b.sync(false)
	secret := "the-launch-code-is-4711-zebra"
	if _, err := a.Send(bg, core.Direct(bob.ID), secret); err != nil {
		t.Fatal(err)
	}
	b.sync(true)
	if _, err := b.Send(bg, core.Direct(alice.ID), "reply "+secret); err != nil {
		t.Fatal(err)
	}
	a.sync(true)
	if got := b.messages(alice.ID); len(got) != 2 {
		t.Fatalf("bob has %d messages", len(got))
	}
	if err := w.db.Close(); err != nil {
		t.Fatal(err)
	}
	err := filepath.Walk(w.dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, needle := range []string{secret, "launch-code", "passphrase of"} {
			if bytes.Contains(data, []byte(needle)) {
				t.Errorf("%s contains %q", path, needle)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
