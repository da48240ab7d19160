package hosted

import (
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// clientSession is a second device of u: a core that reads the mailbox
// with the SSH key's own cursor (as a local client does through the
// protocol) and keeps its history in a store of its own.
func (w *world) clientSession(u *store.User, name string, storeAs crypto.ID) *session {
	w.t.Helper()
	p := &auth.Principal{KeyFingerprint: "SHA256:" + u.Name, User: u, Session: name}
	ports := PortsFor(w.d, p)
	c := core.New(core.Config{
		Groups:    ports.Groups,
		Identity:  core.Identity{ID: u.ID, Name: u.Name, PublicKey: u.PublicKey},
		Relay:     ports.Relay,
		Keys:      &keys{p: p, dir: w.d.Directory},
		Store:     &deviceStore{db: w.d.DB, bus: w.d.Bus, user: storeAs, session: name},
		Account:   ports.Account,
		Directory: ports.Directory,
		Session:   name,
		Logger:    w.d.Logger,
	})
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

// settle syncs every session until none has anything left to do.
func settle(t *testing.T, ss ...*session) {
	t.Helper()
	for range 10 {
		busy := false
		for _, s := range ss {
			select {
			case <-s.woken:
				busy = true
				s.sync(false)
			default:
			}
		}
		if !busy {
			time.Sleep(20 * time.Millisecond)
			busy = slices.ContainsFunc(ss, func(s *session) bool { return len(s.woken) > 0 })
			if !busy {
				return
			}
		}
	}
}

func texts(ms []core.Message) []string {
	var out []string
	for _, m := range ms {
		who := "them"
		if m.Outgoing {
			who = "me"
		}
		out = append(out, who+": "+m.Text)
	}
	return out
}

// TestTwoDevicesOneConversation: a user with a hosted session and a second
// device sees the same conversation on both — what the peer sends, what
// either device sends, edits, and what was read — and the relay keeps
// nothing once every device has it.
func TestTwoDevicesOneConversation(t *testing.T) {
	w := newWorld(t, 0)
	ada, bob := w.user("Ada"), w.user("Bob")
	hosted := w.session(ada, "ada-hosted")
	laptop := w.clientSession(ada, "ada-laptop", crypto.ID{'L', 'A', 'P', 'T', 'O', 'P', '0', '1'})
	b := w.session(bob, "bob")
	all := []*session{hosted, laptop, b}
	settle(t, all...)

	if _, err := b.Send(bg, core.Direct(ada.ID), "hi Ada"); err != nil {
		t.Fatal(err)
	}
	settle(t, all...)
	mine, err := laptop.Send(bg, core.Direct(bob.ID), "from the laptop")
	if err != nil {
		t.Fatal(err)
	}
	settle(t, all...)
	if _, err := hosted.Send(bg, core.Direct(bob.ID), "from the hosted session"); err != nil {
		t.Fatal(err)
	}
	settle(t, all...)
	want := []string{"them: hi Ada", "me: from the laptop", "me: from the hosted session"}
	for _, s := range []*session{hosted, laptop} {
		if got := texts(s.messages(bob.ID)); !slices.Equal(got, want) {
			t.Fatalf("a device of Ada shows %q, want %q", got, want)
		}
	}
	if got := texts(b.messages(ada.ID)); !slices.Equal(got, []string{"me: hi Ada", "them: from the laptop", "them: from the hosted session"}) {
		t.Fatalf("Bob shows %q", got)
	}

	// An edit on one device shows on the other (and at Bob's).
	if err := laptop.Edit(bg, core.Direct(bob.ID), mine.ID, "from the laptop, edited"); err != nil {
		t.Fatal(err)
	}
	settle(t, all...)
	if got := hosted.messages(bob.ID)[1].Text; got != "from the laptop, edited" {
		t.Fatalf("the hosted session shows %q after the laptop's edit", got)
	}

	// Read on the laptop: the hosted session's conversation is read too.
	convs, _ := hosted.Conversations(bg)
	if len(convs) != 1 || convs[0].Unread != 1 {
		t.Fatalf("hosted conversations before reading: %+v", convs)
	}
	if changed, err := laptop.MarkRead(bg, core.Direct(bob.ID)); err != nil || !changed {
		t.Fatalf("mark read on the laptop: %v %v", changed, err)
	}
	settle(t, all...)
	convs, _ = hosted.Conversations(bg)
	if convs[0].Unread != 0 {
		t.Fatalf("the hosted session still counts %d unread after the laptop read them", convs[0].Unread)
	}
	if changed, _ := hosted.MarkRead(bg, core.Direct(bob.ID)); changed {
		t.Fatal("the hosted session marked read again what the laptop had read")
	}

	// Every device has everything: nothing waits on the relay for Ada or Bob.
	_ = w.db.View(bg, func(tx store.Tx) error {
		for _, u := range []*store.User{ada, bob} {
			if ds, err := tx.Mailbox(u.ID, 0, 0); err != nil || len(ds) != 0 {
				t.Errorf("%s's mailbox holds %d envelopes after every device synced (%v)", u.Name, len(ds), err)
			}
		}
		return nil
	})
	// Bob has one device: his copies for other devices were never stored.
	_ = w.db.View(bg, func(tx store.Tx) error {
		cs, _ := tx.Cursors(bob.ID)
		if len(cs) != 1 {
			t.Errorf("bob's cursors: %+v", cs)
		}
		return nil
	})
}

// TestTwoDevicesInAGroup: what one device of a member writes to a group,
// and a reaction to it, shows on the member's other device.
func TestTwoDevicesInAGroup(t *testing.T) {
	w := newWorld(t, 0)
	w.withGroups()
	ann, bob := w.user("ann"), w.user("bob")
	hosted := w.session(ann, "ann-hosted")
	laptop := w.clientSession(ann, "ann-laptop", crypto.ID{'L', 'A', 'P', 'T', 'O', 'P', '0', '2'})
	b := w.session(bob, "bob")
	all := []*session{hosted, laptop, b}
	conv, err := hosted.CreateGroup(bg, "Climbers", []crypto.ID{bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, all...)
	m, err := laptop.Send(bg, conv.Ref, "rope at six")
	if err != nil {
		t.Fatal(err)
	}
	settle(t, all...)
	bm, err := b.Send(bg, conv.Ref, "I bring the quickdraws")
	if err != nil {
		t.Fatal(err)
	}
	settle(t, all...)
	if err := b.React(bg, conv.Ref, m.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := laptop.React(bg, conv.Ref, bm.ID, true); err != nil {
		t.Fatal(err)
	}
	settle(t, all...)
	want := []string{"me: rope at six", "them: I bring the quickdraws"}
	for _, s := range []*session{hosted, laptop} {
		p, err := s.Messages(bg, conv.Ref, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		msgs := slices.DeleteFunc(p.Messages, func(m core.Message) bool { return m.Kind == core.KindSystem })
		if got := texts(msgs); !slices.Equal(got, want) {
			t.Fatalf("a device of Ann shows %q, want %q", got, want)
		}
		if !slices.Equal(msgs[0].Agree, []crypto.ID{bob.ID}) {
			t.Fatalf("a device of Ann shows %v agreeing with her message, want Bob", msgs[0].Agree)
		}
		if !slices.Equal(msgs[1].Agree, []crypto.ID{ann.ID}) {
			t.Fatalf("a device of Ann shows %v agreeing with Bob's message, want Ann (from the laptop)", msgs[1].Agree)
		}
	}
}
