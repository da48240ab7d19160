package core

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/crypto"
)

// threeGroup starts Ann, Bob and Cat with a group "Team" Ann created and
// the others know of.
func threeGroup(t *testing.T) (n *lNet, ann, bob, cat *lUser, a, b, c *Core, ref ConvRef) {
	t.Helper()
	n = newLNet(t)
	r := &gReg{groups: map[string]GroupInfo{}}
	ann, bob, cat = n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil), n.user("CAT00003", "Cat", nil)
	a, b, c = groupCore(t, n, r, ann), groupCore(t, n, r, bob), groupCore(t, n, r, cat)
	for _, x := range []*Core{a, b, c} {
		lSync(t, x)
	}
	conv, err := a.CreateGroup(context.Background(), "Team", []crypto.ID{bob.ct.ID, cat.ct.ID})
	if err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	lSync(t, c)
	return n, ann, bob, cat, a, b, c, conv.Ref
}

// message reads message id of ref from x's history, either direction.
func message(t *testing.T, x *Core, ref ConvRef, id crypto.MessageID) Message {
	t.Helper()
	k, err := x.storeKey()
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	err = x.store.View(context.Background(), func(tx Tx) error {
		_, mm, err := x.findMessage(tx, k, ref, id)
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

// Read receipts come per member; a message is read once every member read
// it, and one receipt naming several messages counts for each.
func TestGroupReceiptsEveryMember(t *testing.T) {
	ctx := context.Background()
	_, _, bob, cat, a, b, c, ref := threeGroup(t)
	m1, err := a.Send(ctx, ref, "first")
	if err != nil {
		t.Fatal(err)
	}
	m2, err := a.Send(ctx, ref, "second")
	if err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	lSync(t, c)
	lSync(t, a)
	for _, id := range []crypto.MessageID{m1.ID, m2.ID} {
		if got := message(t, a, ref, id); got.State != StateDelivered ||
			got.Recipients[bob.ct.ID] != StateDelivered || got.Recipients[cat.ct.ID] != StateDelivered {
			t.Fatalf("after delivery: state %v recipients %v, want delivered by both", got.State, got.Recipients)
		}
	}
	for _, x := range []*Core{b, c} {
		if _, err := x.MarkRead(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	lSync(t, a)
	for _, id := range []crypto.MessageID{m1.ID, m2.ID} {
		got := message(t, a, ref, id)
		if r, of := got.ReadCount(); r != 2 || of != 2 || got.State != StateRead {
			t.Fatalf("message %x: read %d/%d state %v, want 2/2 read", id, r, of, got.State)
		}
	}
}

// Edits, deletions and reactions sent on the wire by someone other than
// the sender change nothing, in a group and 1:1.
func TestChangesByOthersIgnored(t *testing.T) {
	ctx := context.Background()
	n, ann, _, _, a, b, c, ref := threeGroup(t)
	m, err := a.Send(ctx, ref, "meet at 9")
	if err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	lSync(t, c)
	edit, err := crypto.MarshalEdit(m.ID, "meet never")
	if err != nil {
		t.Fatal(err)
	}
	// Bob's client forges changes of Ann's message to the group.
	if err := b.sendControl(ctx, ref, crypto.TypeEdit, edit); err != nil {
		t.Fatal(err)
	}
	if err := b.sendControl(ctx, ref, crypto.TypeDelete, crypto.MarshalDelete(m.ID)); err != nil {
		t.Fatal(err)
	}
	lSync(t, c)
	if got := message(t, c, ref, m.ID); got.Text != "meet at 9" || got.Deleted || !got.Edited.IsZero() {
		t.Fatalf("Cat's copy after Bob's forged changes: %+v", got)
	}

	// 1:1: Ann writes to Cat; Eve names that message in her own chat with
	// Cat: the change looks in Eve's conversation only, and finds nothing.
	eve := n.user("EVE00004", "Eve", nil)
	e := groupCore(t, n, &gReg{groups: map[string]GroupInfo{}}, eve)
	lSync(t, e)
	d, err := a.Send(ctx, Direct(c.Me().ID), "private")
	if err != nil {
		t.Fatal(err)
	}
	lSync(t, c)
	if _, err := e.Send(ctx, Direct(c.Me().ID), "hi Cat"); err != nil {
		t.Fatal(err)
	}
	edit, _ = crypto.MarshalEdit(d.ID, "changed by Eve")
	if err := e.sendControl(ctx, Direct(c.Me().ID), crypto.TypeEdit, edit); err != nil {
		t.Fatal(err)
	}
	if err := e.sendControl(ctx, Direct(c.Me().ID), crypto.TypeReaction,
		crypto.MarshalReaction(crypto.Reaction{Message: d.ID, Agree: true})); err != nil {
		t.Fatal(err)
	}
	lSync(t, c)
	if got := message(t, c, Direct(ann.ct.ID), d.ID); got.Text != "private" || len(got.Agree) != 0 {
		t.Fatalf("Cat's 1:1 message after Eve's forged changes: %+v", got)
	}
	// Ann's own edit, 1:1, goes through.
	if err := a.Edit(ctx, Direct(c.Me().ID), d.ID, "private (fixed)"); err != nil {
		t.Fatal(err)
	}
	lSync(t, c)
	if got := message(t, c, Direct(ann.ct.ID), d.ID); got.Text != "private (fixed)" || got.Edited.IsZero() {
		t.Fatalf("Ann's edit: %+v", got)
	}
}

// An alarm is flagged on the envelope and reported as one; a reaction
// raises nothing; the older 1:1 form of agree (receipt status 3) counts.
func TestAlarmAndReceiptAgree(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	lSync(t, a)
	lSync(t, b)
	m, err := a.SendWith(ctx, Direct(bob.ct.ID), "server room flooded", SendOptions{Alarm: true})
	if err != nil {
		t.Fatal(err)
	}
	ch := lSync(t, b)
	if len(ch.Incoming) != 1 || !ch.Incoming[0].Alarm || ch.Incoming[0].Text != "server room flooded" {
		t.Fatalf("alarm incoming = %+v", ch.Incoming)
	}
	if err := b.sendReceipt(ctx, receiptTo{peer: ann.ct.ID}, crypto.ReceiptAgree, []crypto.MessageID{m.ID}); err != nil {
		t.Fatal(err)
	}
	if ch := lSync(t, a); len(ch.Incoming) != 0 {
		t.Fatalf("an agreement notified: %+v", ch.Incoming)
	}
	if got := message(t, a, Direct(bob.ct.ID), m.ID); !slices.Equal(got.Agree, []crypto.ID{bob.ct.ID}) {
		t.Fatalf("agree = %v, want Bob", got.Agree)
	}
}

// A 1:1 multiple-choice poll: votes, a changed vote, a withdrawn vote.
func TestDirectPollMulti(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	lSync(t, a)
	lSync(t, b)
	pm, err := a.CreatePoll(ctx, Direct(bob.ct.ID), "Snacks?", []string{"Fruit", "Nuts", "Cake"}, true)
	if err != nil {
		t.Fatal(err)
	}
	lSync(t, b)
	if err := b.Vote(ctx, Direct(ann.ct.ID), pm.ID, []int{0, 2}); err != nil {
		t.Fatal(err)
	}
	if err := a.Vote(ctx, Direct(bob.ct.ID), pm.ID, []int{2}); err != nil {
		t.Fatal(err)
	}
	lSync(t, a)
	lSync(t, b)
	for _, x := range []*Core{a, b} {
		peer := bob.ct.ID
		if x == b {
			peer = ann.ct.ID
		}
		if got := message(t, x, Direct(peer), pm.ID).Poll.Results(); !slices.Equal(got, []int{1, 0, 2}) {
			t.Fatalf("%s results = %v, want [1 0 2]", x.Me().Name, got)
		}
	}
	if err := b.Vote(ctx, Direct(ann.ct.ID), pm.ID, nil); err != nil {
		t.Fatal(err)
	}
	lSync(t, a)
	if got := message(t, a, Direct(bob.ct.ID), pm.ID).Poll.Results(); !slices.Equal(got, []int{0, 0, 1}) {
		t.Fatalf("after Bob withdrew: %v, want [0 0 1]", got)
	}
}

// Membership changes show in the conversation as system messages, and a
// member who leaves keeps the history, read-only.
func TestGroupSystemMessages(t *testing.T) {
	ctx := context.Background()
	n, _, bob, _, a, b, c, ref := threeGroup(t)
	dan := n.user("DAN00005", "Dan", nil)
	texts := func(x *Core) []string {
		t.Helper()
		lSync(t, x)
		p, err := x.Messages(ctx, ref, nil, 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range p.Messages {
			if m.Kind == KindSystem {
				out = append(out, m.Text)
			}
		}
		return out
	}
	if got := texts(b); len(got) != 1 || got[0] != `Group "Team" with 3 members, created by Ann.` {
		t.Fatalf("Bob's first system messages = %q", got)
	}
	if err := a.AddMembers(ctx, ref.Group, []crypto.ID{dan.ct.ID}); err != nil {
		t.Fatal(err)
	}
	if err := a.RenameGroup(ctx, ref.Group, "Team B"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetGroupAdmin(ctx, ref.Group, bob.ct.ID, true); err != nil {
		t.Fatal(err)
	}
	got := texts(b)
	// Bob syncs once: the three changes arrive as one difference.
	want := []string{`Group "Team" with 3 members, created by Ann.`, `Renamed to "Team B".`, "Joined: Dan.", "Now admin: you."}
	if !slices.Equal(got, want) {
		t.Fatalf("Bob's system messages = %q, want %q", got, want)
	}
	if got := texts(a); got[len(got)-1] != "Now admin: Bob." {
		t.Fatalf("Ann's last system message = %q", got[len(got)-1])
	}
	if err := c.LeaveGroup(ctx, ref.Group); err != nil {
		t.Fatal(err)
	}
	if got := texts(b); got[len(got)-1] != "Left: Cat." {
		t.Fatalf("after Cat left Bob sees %q", got[len(got)-1])
	}
	conv, err := c.FindConversation(ctx, "Team B")
	if err != nil || !conv.Left {
		t.Fatalf("Cat's conversation after leaving: %+v, %v", conv, err)
	}
	if got := texts(c); got[len(got)-1] != "You are no longer a member of this group." {
		t.Fatalf("Cat's last system message = %q", got[len(got)-1])
	}
	// Cat, no longer a member, cannot write to the group, and what she
	// sends anyway is dropped by the members.
	if _, err := c.Send(ctx, ref, "still here?"); err == nil {
		t.Fatal("a former member sent to the group")
	}
	if _, err := c.sendGroupForged(ctx, ref.Group, bob.ct.ID, "still here?"); err != nil {
		t.Fatal(err)
	}
	if ch := lSync(t, b); len(ch.Incoming) != 0 {
		t.Fatalf("a former member's message was accepted: %+v", ch.Incoming)
	}
}

// Records written before conversations had kinds (a "peer" field, keys
// derived from the peer's ID) open as 1:1 conversations and keep working:
// a receipt for an old outgoing message still finds it.
func TestLegacyStoreRecords(t *testing.T) {
	ctx := context.Background()
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil)
	s := newLStore()
	a := n.core(ann, s, nil)
	lSync(t, a)
	k, err := a.storeKey()
	if err != nil {
		t.Fatal(err)
	}
	mid := crypto.MessageID{1, 2, 3, 4, 5, 6, 7, 8}
	at := n.clock().UTC()
	old := Message{ID: mid, Outgoing: true, Time: at, SentAt: at, Text: "from the old days", State: StateSent}
	ct := a.convTag(k, Direct(bob.ct.ID))
	key := msgKey(ct, &old)
	legacyMsg := map[string]any{"peer": bob.ct.ID.String(), "id": mid, "out": true, "time": at, "sent_at": at,
		"text": "from the old days", "state": StateSent}
	legacyConv := map[string]any{"peer": bob.ct.ID.String(), "name": "Bob", "last_at": at, "preview": "You: from the old days"}
	err = s.Update(ctx, func(tx Tx) error {
		v, err := a.seal(k, spaceMsg, key, legacyMsg)
		if err != nil {
			return err
		}
		if err := tx.Space(spaceMsg).Put(key, v); err != nil {
			return err
		}
		if err := tx.Space(spaceRef).Put(refKey(k, Direct(bob.ct.ID), true, mid), key); err != nil {
			return err
		}
		cv, err := a.seal(k, spaceConv, ct[:], legacyConv)
		if err != nil {
			return err
		}
		return tx.Space(spaceConv).Put(ct[:], cv)
	})
	if err != nil {
		t.Fatal(err)
	}
	convs, err := a.Conversations(ctx)
	if err != nil || len(convs) != 1 || convs[0].Ref != Direct(bob.ct.ID) || convs[0].Name != "Bob" {
		t.Fatalf("conversations = %+v, %v", convs, err)
	}
	// Bob's (new) client acknowledges the old message as read.
	b := n.core(bob, newLStore(), nil)
	lSync(t, b)
	if err := b.sendReceipt(ctx, receiptTo{peer: ann.ct.ID}, crypto.ReceiptRead, []crypto.MessageID{mid}); err != nil {
		t.Fatal(err)
	}
	lSync(t, a)
	p, err := a.Messages(ctx, Direct(bob.ct.ID), nil, 10)
	if err != nil || len(p.Messages) != 1 {
		t.Fatalf("messages = %+v, %v", p.Messages, err)
	}
	if got := p.Messages[0]; got.Conv != Direct(bob.ct.ID) || got.Kind != KindText || got.State != StateRead ||
		got.From != ann.ct.ID && !got.From.IsZero() {
		t.Fatalf("old message = %+v", got)
	}
	// Answering it works as for a new one.
	if _, err := a.SendWith(ctx, Direct(bob.ct.ID), "still true", SendOptions{ReplyTo: &mid}); err != nil {
		t.Fatal(err)
	}
	ch := lSync(t, b)
	if len(ch.Incoming) != 1 || ch.Incoming[0].ReplyTo == nil || *ch.Incoming[0].ReplyTo != mid {
		t.Fatalf("reply to an old message = %+v", ch.Incoming)
	}
}

// FuzzIncoming feeds envelopes of every type with arbitrary bodies, 1:1
// and wrapped for a group the recipient is in, to a core: nothing may
// panic or fail the batch, and the history must stay readable.
func FuzzIncoming(f *testing.F) {
	poll, _ := crypto.MarshalPollSetup(crypto.PollSetup{ID: crypto.MessageID{9}, Question: "Q", Choices: []string{"a", "b"}})
	vote, _ := crypto.MarshalPollVote(crypto.PollVote{Poll: crypto.MessageID{9}, Choices: []int{1}})
	edit, _ := crypto.MarshalEdit(crypto.MessageID{1}, "x")
	receipt, _ := crypto.MarshalReceipt(crypto.Receipt{Status: crypto.ReceiptRead, Messages: []crypto.MessageID{{1}}})
	loc, _ := crypto.MarshalLocation(crypto.Location{Lat: 1, Lon: 2, Label: "here"})
	for _, typ := range []crypto.MessageType{crypto.TypeText, crypto.TypeLocation, crypto.TypePollSetup,
		crypto.TypePollVote, crypto.TypeFile, crypto.TypeDeliveryReceipt, crypto.TypeReaction, crypto.TypeEdit,
		crypto.TypeDelete, crypto.TypeGroupSetup, crypto.TypeGroupName, crypto.TypeGroupLeave} {
		for _, body := range [][]byte{[]byte("hello"), poll, vote, edit, receipt, loc, crypto.MarshalDelete(crypto.MessageID{1}),
			crypto.MarshalReaction(crypto.Reaction{Message: crypto.MessageID{1}, Agree: true}), nil} {
			f.Add(byte(typ), body, false)
			f.Add(byte(typ), body, true)
		}
	}
	f.Add(byte(0x52), []byte{0xff}, true)
	f.Fuzz(func(t *testing.T, typ byte, body []byte, group bool) {
		ctx := context.Background()
		n := newLNet(t)
		r := &gReg{groups: map[string]GroupInfo{}}
		ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00002", "Bob", nil)
		a, b := groupCore(t, n, r, ann), groupCore(t, n, r, bob)
		conv, err := b.CreateGroup(ctx, "G", []crypto.ID{ann.ct.ID})
		if err != nil {
			t.Fatal(err)
		}
		lSync(t, a)
		// Something to edit, react to and vote on.
		if _, err := b.Send(ctx, Direct(ann.ct.ID), "earlier"); err != nil {
			t.Fatal(err)
		}
		lSync(t, a)
		t0 := crypto.MessageType(typ)
		if group {
			raw, _ := hex.DecodeString(conv.Ref.Group)
			body = append(raw, body...)
			if gt, ok := crypto.GroupType(t0); ok {
				t0 = gt
			}
		}
		ct, err := b.Contact(ctx, ann.ct.ID)
		if err != nil {
			t.Fatal(err)
		}
		shared, err := b.sharedKey(ct)
		if err != nil {
			t.Fatal(err)
		}
		mid, _ := crypto.NewMessageID(b.rand)
		env, err := crypto.SealEnvelope(b.rand, crypto.Header{Sender: bob.ct.ID, Recipient: ann.ct.ID, MessageID: mid,
			Time: n.clock()}, shared, t0, body)
		if err != nil {
			return // a body the envelope refuses never reaches anyone
		}
		if _, err := a.process(ctx, []Delivery{{Seq: 0, Received: n.clock(), Envelope: env.Marshal()}}); err != nil {
			t.Fatalf("process: %v", err)
		}
		convs, err := a.Conversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range convs {
			if _, err := a.Messages(ctx, cv.Ref, nil, 100); err != nil {
				t.Fatalf("%s: %v", cv.Ref, err)
			}
			if strings.TrimSpace(cv.Ref.String()) == "" {
				t.Fatalf("conversation without a reference: %+v", cv)
			}
		}
	})
}
