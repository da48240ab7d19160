package hosted

import (
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/groups"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// withGroups gives the world a group registry.
func (w *world) withGroups() {
	w.d.Groups = groups.New(w.db, w.dirSvc, w.d.Bus, groups.Config{Now: w.d.Now})
}

// TestGroupPort drives the registry through the core's port as one
// principal: create, read, change, leave; and the errors come through.
func TestGroupPort(t *testing.T) {
	w := newWorld(t, 0)
	w.withGroups()
	ann, bob, cat := w.user("ann"), w.user("bob"), w.user("cat")
	users := map[crypto.ID]*store.User{ann.ID: ann, bob.ID: bob, cat.ID: cat}
	as := func(id crypto.ID) core.Groups {
		u := users[id]
		return &groupClient{p: &auth.Principal{KeyFingerprint: "SHA256:" + u.Name, User: u}, svc: w.d.Groups}
	}
	g, err := as(ann.ID).CreateGroup(bg, "Climbers", []crypto.ID{bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	if g.Managed || g.Creator != ann.ID || !slices.Equal(g.Members, []crypto.ID{ann.ID, bob.ID}) {
		t.Errorf("created %+v", g)
	}
	mine, err := as(bob.ID).MyGroups(bg)
	if err != nil || len(mine) != 1 || mine[0].Key != g.Key || mine[0].Name != "Climbers" {
		t.Errorf("bob's groups = %+v, %v", mine, err)
	}
	if _, err := as(cat.ID).Group(bg, g.Key); !errors.Is(err, groups.ErrNotFound) {
		t.Errorf("outsider reads the group: %v", err)
	}
	if _, err := as(bob.ID).AddGroupMembers(bg, g.Key, []crypto.ID{cat.ID}); !errors.Is(err, groups.ErrNotAdmin) {
		t.Errorf("member adds: %v", err)
	}
	if g, err = as(ann.ID).AddGroupMembers(bg, g.Key, []crypto.ID{cat.ID}); err != nil || len(g.Members) != 3 {
		t.Fatalf("admin adds: %+v, %v", g, err)
	}
	if g, err = as(ann.ID).SetGroupAdmin(bg, g.Key, cat.ID, true); err != nil || len(g.Admins) != 2 {
		t.Fatalf("set admin: %+v, %v", g, err)
	}
	if g, err = as(cat.ID).RenameGroup(bg, g.Key, "Boulderers"); err != nil || g.Name != "Boulderers" {
		t.Fatalf("rename: %+v, %v", g, err)
	}
	if g, err = as(cat.ID).RemoveGroupMembers(bg, g.Key, []crypto.ID{bob.ID}); err != nil || len(g.Members) != 2 {
		t.Fatalf("remove: %+v, %v", g, err)
	}
	if err := as(ann.ID).LeaveGroup(bg, g.Key); err != nil {
		t.Fatal(err)
	}
	if mine, err := as(ann.ID).MyGroups(bg); err != nil || len(mine) != 0 {
		t.Errorf("ann's groups after leaving = %+v, %v", mine, err)
	}
}

// TestRelayBatchPort sends one message to two recipients through the
// relay client's SendBatch, which the core picks up as a BatchRelay.
func TestRelayBatchPort(t *testing.T) {
	w := newWorld(t, 0)
	ann, bob, cat := w.user("ann"), w.user("bob"), w.user("cat")
	b := w.session(bob, "b")
	c := w.session(cat, "c")
	rc, ok := any(&relayClient{p: &auth.Principal{KeyFingerprint: "SHA256:ann", User: ann}, rel: w.d.Relay,
		dir: w.d.Directory}).(core.BatchRelay)
	if !ok {
		t.Fatal("relayClient is not a core.BatchRelay")
	}
	sk, err := w.dirSvc.OpenSecretKey(bg, ann.ID, []byte("passphrase of ann"))
	if err != nil {
		t.Fatal(err)
	}
	mid, err := crypto.NewMessageID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var envs [][]byte
	for _, to := range []*struct {
		id  crypto.ID
		pub crypto.PublicKey
	}{{bob.ID, bob.PublicKey}, {cat.ID, cat.PublicKey}} {
		env, err := crypto.SealEnvelope(nil, crypto.Header{Sender: ann.ID, Recipient: to.id, MessageID: mid, Time: w.now},
			crypto.Precompute(to.pub, sk), crypto.TypeText, []byte("to both"))
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env.Marshal())
	}
	sent, errs, err := rc.SendBatch(bg, envs)
	if err != nil || len(sent) != 2 || errs[0] != nil || errs[1] != nil || sent[0].Seq == 0 {
		t.Fatalf("SendBatch = %+v, %v, %v", sent, errs, err)
	}
	for _, s := range []*session{b, c} {
		s.sync(true)
		msgs := s.messages(ann.ID)
		if len(msgs) != 1 || msgs[0].Text != "to both" {
			t.Errorf("recipient sees %+v", msgs)
		}
	}
}

// TestGroupChatThroughCores: Ann's core creates a group and writes to it;
// Bob's and Cat's cores, on the same server, read the message in the
// group conversation.
func TestGroupChatThroughCores(t *testing.T) {
	w := newWorld(t, 0)
	w.withGroups()
	ann, bob, cat := w.user("ann"), w.user("bob"), w.user("cat")
	a, b, c := w.session(ann, "a"), w.session(bob, "b"), w.session(cat, "c")
	conv, err := a.CreateGroup(bg, "Climbers", []crypto.ID{bob.ID, cat.ID})
	if err != nil {
		t.Fatal(err)
	}
	if conv.Ref.Kind != core.ConvGroup || conv.Ref.Group == "" {
		t.Fatalf("created conversation %+v", conv.Ref)
	}
	m, err := a.Send(bg, conv.Ref, "hello climbers")
	if err != nil || m.Error != "" {
		t.Fatalf("send = %+v, %v", m, err)
	}
	for _, s := range []*session{b, c} {
		var got []core.Message
		for range 5 {
			s.sync(true)
			p, err := s.Messages(bg, conv.Ref, nil, 100)
			if err != nil {
				t.Fatal(err)
			}
			got = slices.DeleteFunc(p.Messages, func(m core.Message) bool { return m.Kind == core.KindSystem })
			if len(got) > 0 {
				break
			}
		}
		if len(got) != 1 || got[0].Text != "hello climbers" || got[0].From != ann.ID {
			t.Errorf("member sees %+v", got)
		}
	}
}

// TestPortsFor: the ports the subsystem serves are the hosted session's:
// no Groups without a registry (a nil interface, so callers can test for
// it), and an Account that follows the policy bus for its user only.
func TestPortsFor(t *testing.T) {
	w := newWorld(t, 0)
	ann, bob := w.user("ann"), w.user("bob")
	pa := &auth.Principal{KeyFingerprint: "SHA256:ann", User: ann}
	if ps := PortsFor(w.d, pa); ps.Groups != nil || ps.Account == nil || ps.Relay == nil || ps.Directory == nil {
		t.Fatalf("ports without a registry: %+v", ps)
	}
	w.withGroups()
	ps := PortsFor(w.d, pa)
	g, err := ps.Groups.CreateGroup(bg, "Climbers", []crypto.ID{bob.ID})
	if err != nil || g.Creator != ann.ID {
		t.Fatalf("create through the ports: %+v, %v", g, err)
	}
	woke := make(chan struct{}, 4)
	cancel := ps.Account.WatchSettings(func() { woke <- struct{}{} })
	defer cancel()
	w.setPolicy(bob.ID, policy.DisableCreateGroup, "true") // another user: not Ann's news
	w.setPolicy(ann.ID, policy.DisableCreateGroup, "true")
	if len(woke) != 1 {
		t.Fatalf("%d wake-ups, want 1 for Ann's own change", len(woke))
	}
	r, err := ps.Account.Settings(bg)
	if err != nil || r.Reason(core.FeatureCreateGroup) == "" {
		t.Fatalf("settings after the change: %+v, %v", r, err)
	}
	if _, err := ps.Groups.CreateGroup(bg, "Again", nil); !errors.Is(err, policy.ErrForbiddenByPolicy) {
		t.Fatalf("create under th_disable_create_group: %v", err)
	}
}
