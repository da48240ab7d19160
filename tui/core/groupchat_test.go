package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/parley-chat/parley/crypto"
)

// gReg is a fake group registry: membership rules as the server's, kept
// simple (admins change members; non-members see nothing).
type gReg struct {
	mu     sync.Mutex
	n      int
	groups map[string]GroupInfo
}

var errGNotFound = errors.New("no such group")

// gView is one user's view of the registry.
type gView struct {
	r  *gReg
	me crypto.ID
}

func (v gView) CreateGroup(_ context.Context, name string, members []crypto.ID) (GroupInfo, error) {
	v.r.mu.Lock()
	defer v.r.mu.Unlock()
	v.r.n++
	g := GroupInfo{Key: fmt.Sprintf("%016x", v.r.n), Name: name, Creator: v.me, Admins: []crypto.ID{v.me},
		Members: append([]crypto.ID{v.me}, members...)}
	v.r.groups[g.Key] = g
	return g, nil
}

func (v gView) MyGroups(context.Context) ([]GroupInfo, error) {
	v.r.mu.Lock()
	defer v.r.mu.Unlock()
	var out []GroupInfo
	for _, g := range v.r.groups {
		if slices.Contains(g.Members, v.me) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (v gView) Group(_ context.Context, key string) (GroupInfo, error) {
	v.r.mu.Lock()
	defer v.r.mu.Unlock()
	g, ok := v.r.groups[key]
	if !ok || !slices.Contains(g.Members, v.me) {
		return GroupInfo{}, errGNotFound
	}
	return g, nil
}

func (v gView) change(key string, fn func(*GroupInfo)) (GroupInfo, error) {
	v.r.mu.Lock()
	defer v.r.mu.Unlock()
	g, ok := v.r.groups[key]
	if !ok || !slices.Contains(g.Members, v.me) {
		return GroupInfo{}, errGNotFound
	}
	if !slices.Contains(g.Admins, v.me) {
		return GroupInfo{}, errors.New("not an admin")
	}
	fn(&g)
	v.r.groups[key] = g
	return g, nil
}

func (v gView) AddGroupMembers(_ context.Context, key string, ids []crypto.ID) (GroupInfo, error) {
	return v.change(key, func(g *GroupInfo) { g.Members = append(g.Members, ids...) })
}

func (v gView) RemoveGroupMembers(_ context.Context, key string, ids []crypto.ID) (GroupInfo, error) {
	return v.change(key, func(g *GroupInfo) {
		g.Members = slices.DeleteFunc(g.Members, func(id crypto.ID) bool { return slices.Contains(ids, id) })
	})
}

func (v gView) RenameGroup(_ context.Context, key, name string) (GroupInfo, error) {
	return v.change(key, func(g *GroupInfo) { g.Name = name })
}

func (v gView) SetGroupAdmin(_ context.Context, key string, id crypto.ID, admin bool) (GroupInfo, error) {
	return v.change(key, func(g *GroupInfo) { g.Admins = append(g.Admins, id) })
}

func (v gView) LeaveGroup(_ context.Context, key string) error {
	v.r.mu.Lock()
	defer v.r.mu.Unlock()
	g := v.r.groups[key]
	g.Members = slices.DeleteFunc(g.Members, func(id crypto.ID) bool { return id == v.me })
	v.r.groups[key] = g
	return nil
}

// groupCore starts an unlocked core for u with the registry.
func groupCore(t *testing.T, n *lNet, r *gReg, u *lUser) *Core {
	t.Helper()
	c := New(Config{
		Identity: Identity{ID: u.ct.ID, Name: u.ct.Name, PublicKey: u.ct.PublicKey},
		Relay:    &lRelay{n: n, me: u.ct.ID},
		Keys:     lKeys{sk: u.sk},
		Store:    newLStore(),
		Groups:   gView{r: r, me: u.ct.ID},
		Now:      n.clock,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err := c.Unlock(context.Background(), []byte("passphrase")); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background(), func() {}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestGroupChatThreeMembers(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	r := &gReg{groups: map[string]GroupInfo{}}
	ann, bob, cat := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil), n.user("CAT00003", "Cat", nil)
	eve := n.user("EVE00004", "Eve", nil)
	a, b, c, e := groupCore(t, n, r, ann), groupCore(t, n, r, bob), groupCore(t, n, r, cat), groupCore(t, n, r, eve)
	for _, x := range []*Core{a, b, c, e} {
		lSync(t, x) // the catch-up of a fresh session
	}

	conv, err := a.CreateGroup(ctx, "Team", []crypto.ID{bob.ct.ID, cat.ct.ID})
	if err != nil {
		t.Fatal(err)
	}
	if conv.Ref.Kind != ConvGroup || conv.Name != "Team" || len(conv.Members) != 3 {
		t.Fatalf("created %+v", conv)
	}
	// The members learn of the group from the announcement.
	for _, x := range []*Core{b, c} {
		lSync(t, x)
		got, err := x.FindConversation(ctx, "team")
		if err != nil {
			t.Fatalf("%s: %v", x.Me().Name, err)
		}
		if got.Ref != conv.Ref || len(got.Members) != 3 {
			t.Fatalf("%s sees %+v", x.Me().Name, got)
		}
	}

	m, err := a.Send(ctx, conv.Ref, "hello team")
	if err != nil {
		t.Fatal(err)
	}
	if m.State != StateSent || len(m.Recipients) != 2 {
		t.Fatalf("sent %+v", m)
	}
	for _, x := range []*Core{b, c} {
		ch := lSync(t, x)
		if len(ch.Incoming) != 1 || ch.Incoming[0].Text != "hello team" || ch.Incoming[0].From != ann.ct.ID ||
			ch.Incoming[0].Conv != conv.Ref {
			t.Fatalf("%s incoming = %+v", x.Me().Name, ch.Incoming)
		}
	}
	// Eve, not a member, got nothing, and a forged group message from her
	// is dropped by the members.
	if ch := lSync(t, e); len(ch.Incoming) != 0 {
		t.Fatalf("a non-member received %+v", ch.Incoming)
	}
	if _, err := e.sendGroupForged(ctx, conv.Ref.Group, bob.ct.ID, "let me in"); err != nil {
		t.Fatal(err)
	}
	if ch := lSync(t, b); len(ch.Incoming) != 0 {
		t.Fatalf("a group message from a non-member was accepted: %+v", ch.Incoming)
	}

	// Delivery receipts come back per member; reading counts per member.
	lSync(t, a)
	page, err := a.Messages(ctx, conv.Ref, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := page.Messages[len(page.Messages)-1]
	if got.State != StateDelivered {
		t.Fatalf("after both received: state %v, recipients %v", got.State, got.Recipients)
	}
	if _, err := b.MarkRead(ctx, conv.Ref); err != nil {
		t.Fatal(err)
	}
	lSync(t, a)
	page, _ = a.Messages(ctx, conv.Ref, nil, 10)
	got = page.Messages[len(page.Messages)-1]
	if r, of := got.ReadCount(); r != 1 || of != 2 || got.State != StateDelivered {
		t.Fatalf("read %d/%d state %v, want 1/2 delivered", r, of, got.State)
	}

	// Bob replies; Cat sees the quote.
	if _, err := b.SendWith(ctx, conv.Ref, "on it", SendOptions{ReplyTo: &m.ID}); err != nil {
		t.Fatal(err)
	}
	ch := lSync(t, c)
	if len(ch.Incoming) != 1 || ch.Incoming[0].ReplyTo == nil || *ch.Incoming[0].ReplyTo != m.ID || ch.Incoming[0].Quote != "hello team" {
		t.Fatalf("reply = %+v", ch.Incoming)
	}

	// Removing Cat: she keeps the history, read-only.
	if err := a.RemoveMembers(ctx, conv.Ref.Group, []crypto.ID{cat.ct.ID}); err != nil {
		t.Fatal(err)
	}
	lSync(t, c)
	left, err := c.FindConversation(ctx, "Team")
	if err != nil || !left.Left {
		t.Fatalf("after removal Cat sees %+v, %v", left, err)
	}
}

// sendGroupForged sends a group text to one user for a group the sender is
// not in, as a malicious client would.
func (c *Core) sendGroupForged(ctx context.Context, key string, to crypto.ID, text string) (Sent, error) {
	ct, err := c.Contact(ctx, to)
	if err != nil {
		return Sent{}, err
	}
	shared, err := c.sharedKey(ct)
	if err != nil {
		return Sent{}, err
	}
	body, err := crypto.MarshalGroup(crypto.GroupHeader{Key: key}, []byte(text))
	if err != nil {
		return Sent{}, err
	}
	mid, _ := crypto.NewMessageID(c.rand)
	env, err := crypto.SealEnvelope(c.rand, crypto.Header{Sender: c.me.ID, Recipient: to, MessageID: mid, Time: c.now()},
		shared, crypto.TypeGroupText, body)
	if err != nil {
		return Sent{}, err
	}
	return c.relay.Send(ctx, env.Marshal())
}

func TestGroupPoll(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	r := &gReg{groups: map[string]GroupInfo{}}
	ann, bob, cat := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil), n.user("CAT00003", "Cat", nil)
	a, b, c := groupCore(t, n, r, ann), groupCore(t, n, r, bob), groupCore(t, n, r, cat)
	for _, x := range []*Core{a, b, c} {
		lSync(t, x)
	}
	conv, err := a.CreateGroup(ctx, "Team", []crypto.ID{bob.ct.ID, cat.ct.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreatePoll(ctx, conv.Ref, "Where?", []string{"Crag"}, false); err == nil {
		t.Fatal("a poll with one choice was accepted")
	}
	pm, err := a.CreatePoll(ctx, conv.Ref, "Where?", []string{"Crag", "Gym", "Pub"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []*Core{b, c} {
		ch := lSync(t, x)
		if len(ch.Incoming) != 1 || ch.Incoming[0].Poll == nil || ch.Incoming[0].Poll.Question != "Where?" {
			t.Fatalf("%s got %+v", x.Me().Name, ch.Incoming)
		}
	}
	if err := b.Vote(ctx, conv.Ref, pm.ID, []int{0}); err != nil {
		t.Fatal(err)
	}
	if err := c.Vote(ctx, conv.Ref, pm.ID, []int{1}); err != nil {
		t.Fatal(err)
	}
	if err := c.Vote(ctx, conv.Ref, pm.ID, []int{0, 1}); !errors.Is(err, ErrSingleVote) {
		t.Fatalf("two choices in a single-choice poll: %v", err)
	}
	if err := c.Vote(ctx, conv.Ref, pm.ID, []int{7}); !errors.Is(err, ErrBadChoice) {
		t.Fatalf("choice 8 of 3: %v", err)
	}
	results := func(x *Core) []int {
		t.Helper()
		lSync(t, x)
		m, err := x.pollMessage(ctx, conv.Ref, pm.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m.Poll.Results()
	}
	// Every member tallies the same live results.
	for _, x := range []*Core{a, b, c} {
		if got := results(x); !slices.Equal(got, []int{1, 1, 0}) {
			t.Fatalf("%s results = %v, want [1 1 0]", x.Me().Name, got)
		}
	}
	if err := b.ClosePoll(ctx, conv.Ref, pm.ID); !errors.Is(err, ErrNotCreator) {
		t.Fatalf("Bob closed Ann's poll: %v", err)
	}
	if err := a.ClosePoll(ctx, conv.Ref, pm.ID); err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	if err := b.Vote(ctx, conv.Ref, pm.ID, []int{2}); !errors.Is(err, ErrPollClosed) {
		t.Fatalf("vote on a closed poll: %v", err)
	}
	// A vote sent anyway (a client that missed the close) changes nothing.
	body, _ := crypto.MarshalPollVote(crypto.PollVote{Creator: ann.ct.ID, Poll: pm.Poll.ID, Choices: []int{2}})
	if err := c.sendControl(ctx, conv.Ref, crypto.TypePollVote, body); err != nil {
		t.Fatal(err)
	}
	if got := results(a); !slices.Equal(got, []int{1, 1, 0}) {
		t.Fatalf("after a late vote results = %v, want [1 1 0]", got)
	}
}

func TestGroupReactionsEditsDeletes(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	r := &gReg{groups: map[string]GroupInfo{}}
	ann, bob, cat := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil), n.user("CAT00003", "Cat", nil)
	a, b, c := groupCore(t, n, r, ann), groupCore(t, n, r, bob), groupCore(t, n, r, cat)
	for _, x := range []*Core{a, b, c} {
		lSync(t, x)
	}
	conv, err := a.CreateGroup(ctx, "Team", []crypto.ID{bob.ct.ID, cat.ct.ID})
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.Send(ctx, conv.Ref, "meet at 9")
	if err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	lSync(t, c)
	if err := b.React(ctx, conv.Ref, m.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := c.React(ctx, conv.Ref, m.ID, false); err != nil {
		t.Fatal(err)
	}
	// Agreements raise no notification.
	if ch := lSync(t, a); len(ch.Incoming) != 0 {
		t.Fatalf("a reaction notified: %+v", ch.Incoming)
	}
	got := func(x *Core) Message {
		t.Helper()
		lSync(t, x)
		err := x.store.View(ctx, func(tx Tx) error {
			k, _ := x.storeKey()
			_, mm, err := x.findMessage(tx, k, conv.Ref, m.ID)
			if err == nil {
				m = *mm
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if g := got(a); len(g.Agree) != 1 || len(g.Disagree) != 1 {
		t.Fatalf("agree %v disagree %v, want one each", g.Agree, g.Disagree)
	}
	// Agreeing again takes it back.
	if err := b.React(ctx, conv.Ref, m.ID, true); err != nil {
		t.Fatal(err)
	}
	if g := got(c); len(g.Agree) != 0 || len(g.Disagree) != 1 {
		t.Fatalf("after withdrawing: agree %v disagree %v", g.Agree, g.Disagree)
	}
	// Only the sender edits and deletes, for everyone.
	if err := b.Edit(ctx, conv.Ref, m.ID, "hijacked"); !errors.Is(err, ErrNotOwn) {
		t.Fatalf("Bob edited Ann's message: %v", err)
	}
	if err := a.Edit(ctx, conv.Ref, m.ID, "meet at 10"); err != nil {
		t.Fatal(err)
	}
	if g := got(b); g.Text != "meet at 10" || g.Edited.IsZero() {
		t.Fatalf("Bob sees %q edited %v", g.Text, g.Edited)
	}
	if err := a.Delete(ctx, conv.Ref, m.ID); err != nil {
		t.Fatal(err)
	}
	if g := got(c); !g.Deleted || g.Text != "" {
		t.Fatalf("Cat still sees the deleted message: %+v", g)
	}
}

func TestDistributionListAndLocation(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	r := &gReg{groups: map[string]GroupInfo{}}
	ann, bob, cat := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil), n.user("CAT00003", "Cat", nil)
	a, b, c := groupCore(t, n, r, ann), groupCore(t, n, r, bob), groupCore(t, n, r, cat)
	for _, x := range []*Core{a, b, c} {
		lSync(t, x)
	}
	if _, err := a.CreateList(ctx, "Leads", []crypto.ID{ann.ct.ID}); !errors.Is(err, ErrSelf) {
		t.Fatalf("a list with oneself: %v", err)
	}
	if _, err := a.CreateList(ctx, "Leads", []crypto.ID{{'N', 'O', 'B', 'O', 'D', 'Y', '0', '9'}}); err == nil {
		t.Fatal("a list with an unknown member was created")
	}
	l, err := a.CreateList(ctx, "Leads", []crypto.ID{bob.ct.ID, cat.ct.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateList(ctx, "leads", []crypto.ID{bob.ct.ID}); err == nil {
		t.Fatal("a second list of the same name was created")
	}
	m, err := a.Send(ctx, l.Ref, "standup moved to 10")
	if err != nil || m.State != StateSent {
		t.Fatalf("list send: %+v, %v", m, err)
	}
	// Each member gets a plain 1:1 message from Ann.
	for _, x := range []*Core{b, c} {
		ch := lSync(t, x)
		if len(ch.Incoming) != 1 || ch.Incoming[0].Conv != Direct(ann.ct.ID) || ch.Incoming[0].Text != "standup moved to 10" {
			t.Fatalf("%s got %+v", x.Me().Name, ch.Incoming)
		}
	}
	// Ann's own history has it in the list and in each 1:1 chat.
	for _, ref := range []ConvRef{l.Ref, Direct(bob.ct.ID), Direct(cat.ct.ID)} {
		p, err := a.Messages(ctx, ref, nil, 10)
		if err != nil || len(p.Messages) != 1 || p.Messages[0].Text != "standup moved to 10" {
			t.Fatalf("Ann's %s: %+v, %v", ref, p.Messages, err)
		}
	}
	if err := a.Edit(ctx, l.Ref, m.ID, "x"); !errors.Is(err, ErrListChange) {
		t.Fatalf("editing a list message: %v", err)
	}
	if err := a.DeleteList(ctx, l.Ref.List); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FindConversation(ctx, "Leads"); !errors.Is(err, ErrNoConversation) {
		t.Fatalf("deleted list still found: %v", err)
	}

	// A location, 1:1.
	if _, err := a.SendLocation(ctx, Direct(bob.ct.ID), crypto.Location{Lat: 95, Lon: 0}); err == nil {
		t.Fatal("latitude 95 was accepted")
	}
	if _, err := a.SendLocation(ctx, Direct(bob.ct.ID), crypto.Location{Lat: 47.3769, Lon: 8.5417, Label: "Zurich HB"}); err != nil {
		t.Fatal(err)
	}
	ch := lSync(t, b)
	if len(ch.Incoming) != 1 || ch.Incoming[0].Location == nil || ch.Incoming[0].Location.Label != "Zurich HB" ||
		ch.Incoming[0].Kind != KindLocation {
		t.Fatalf("location = %+v", ch.Incoming)
	}
}
