package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// A user may chat from several devices at once (a hosted session and a
// local client, or two machines). Each receives what others send it. What
// one device sends — a message, an edit, a deletion, a reaction, a vote,
// and that a conversation was read — it also seals to the user's own key
// (crypto.TypeReflect), and the user's other devices apply it as if they
// had done it themselves. The relay keeps such a copy only while the user
// has another device, so a user with one device pays one local seal.

// self is the user as a contact: the other end of a reflected envelope.
func (c *Core) self() Contact {
	return Contact{ID: c.me.ID, Name: c.me.Name, PublicKey: c.me.PublicKey, Internal: true}
}

// reflect sends a copy of what this device sent to ref to the user's other
// devices. It is best effort: a copy that cannot be sent is logged, and the
// other devices miss it (the recipients have it).
func (c *Core) reflect(ctx context.Context, ref ConvRef, at time.Time, typ crypto.MessageType, body []byte) {
	r := crypto.Reflect{Type: typ, Body: body}
	switch ref.Kind {
	case ConvDirect:
		r.Peer = ref.Peer
	case ConvGroup:
		r.Group = ref.Group
	default:
		return // a list's copies go to its members' 1:1 conversations
	}
	if err := c.sendReflect(ctx, r, crypto.MessageID{}, at); err != nil && !errors.Is(err, ErrOffline) {
		c.log.Warn("copy for your other devices not sent", "err", err)
	}
}

// sendReflect seals r to the user's own key and hands it to the relay. The
// envelope carries id (a new one when zero) and at.
func (c *Core) sendReflect(ctx context.Context, r crypto.Reflect, id crypto.MessageID, at time.Time) error {
	body, err := crypto.MarshalReflect(r)
	if err != nil {
		return err
	}
	shared, err := c.sharedKey(c.self())
	if err != nil {
		return err
	}
	if id == (crypto.MessageID{}) {
		if id, err = crypto.NewMessageID(c.rand); err != nil {
			return err
		}
	}
	env, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: crypto.FlagSilent, Sender: c.me.ID, Recipient: c.me.ID,
		MessageID: id, Time: at}, shared, crypto.TypeReflect, body)
	if err != nil {
		return err
	}
	_, err = c.relay.Send(ctx, env.Marshal())
	return err
}

// reflectMessage sends a copy of a message the relay accepted; the copy's
// envelope carries the message's own ID and time.
func (c *Core) reflectMessage(ctx context.Context, m Message) {
	typ, body, err := m.wire()
	if err != nil {
		return
	}
	r := crypto.Reflect{Type: typ, Body: body}
	switch m.Conv.Kind {
	case ConvDirect:
		r.Peer = m.Conv.Peer
	case ConvGroup:
		r.Group = m.Conv.Group
	default:
		return
	}
	if err := c.sendReflect(ctx, r, m.ID, m.SentAt); err != nil && !errors.Is(err, ErrOffline) {
		c.log.Warn("copy for your other devices not sent", "err", err)
	}
}

// reflectRead tells the user's other devices that the messages ids of ref
// were read here.
func (c *Core) reflectRead(ctx context.Context, ref ConvRef, ids []crypto.MessageID) {
	for chunk := range slices.Chunk(ids, 1000) {
		body, err := crypto.MarshalReceipt(crypto.Receipt{Status: crypto.ReceiptRead, Messages: chunk})
		if err != nil {
			return
		}
		c.reflect(ctx, ref, c.now(), crypto.TypeDeliveryReceipt, body)
	}
}

// openReflect checks and decrypts an envelope from the user to the user.
func (c *Core) openReflect(ctx context.Context, d Delivery, env *crypto.Envelope, groups map[string]*GroupInfo) (opened, error) {
	me := c.self()
	shared, err := c.sharedKey(me)
	if err != nil {
		return opened{}, err
	}
	typ, body, err := env.Open(shared)
	if err != nil {
		return opened{}, err
	}
	if typ != crypto.TypeReflect {
		return opened{}, fmt.Errorf("message of type %#x from yourself", byte(typ))
	}
	r, err := crypto.ParseReflect(body)
	if err != nil {
		return opened{}, err
	}
	o := opened{d: d, env: env, from: me, typ: r.Type, body: r.Body, reflected: &r}
	if r.Group != "" {
		g, ok := groups[r.Group]
		if !ok {
			g = c.lookupGroup(ctx, r.Group)
			groups[r.Group] = g
		}
		if g == nil {
			return opened{}, fmt.Errorf("copy of a message to group %s, not a group of yours", r.Group)
		}
		o.group = g
		return o, nil
	}
	if r.Peer == c.me.ID {
		return opened{}, errors.New("copy of a message to yourself")
	}
	o.peer = Contact{ID: r.Peer}
	if ct, err := c.Contact(ctx, r.Peer); err == nil {
		o.peer = ct
	}
	return o, nil
}

// applyReflect applies what another device of the user did.
func (c *Core) applyReflect(tx Tx, k *crypto.StoreKey, o opened, ch *Changes) error {
	ref := Direct(o.reflected.Peer)
	if o.group != nil {
		ref = GroupConv(o.group.Key)
	}
	switch o.typ {
	case crypto.TypeText, crypto.TypeLocation, crypto.TypeFile, crypto.TypePollSetup:
		m := Message{Conv: ref, From: c.me.ID, ID: o.env.MessageID, SentAt: o.env.Time, Time: o.env.Time.UTC(),
			Outgoing: true, State: StateSent}
		if o.typ == crypto.TypePollSetup {
			isNew, err := c.applyPollSetup(tx, k, o, &m, ch)
			if err != nil || !isNew {
				return err
			}
		} else if !c.content(tx, k, o, &m) {
			return nil
		}
		return c.storeReflected(tx, k, o, m, ch)
	case crypto.TypeEdit, crypto.TypeDelete:
		return c.applyChange(tx, k, o, ref, ch)
	case crypto.TypeReaction:
		r, err := crypto.ParseReaction(o.body)
		if err != nil {
			return nil //nolint:nilerr // malformed reaction is dropped
		}
		return c.applyReaction(tx, k, o, ref, r, ch)
	case crypto.TypePollVote:
		return c.applyPollVote(tx, k, o, ref, ch)
	case crypto.TypeDeliveryReceipt:
		r, err := crypto.ParseReceipt(o.body)
		if err != nil || r.Status != crypto.ReceiptRead {
			return nil //nolint:nilerr // only read marks are reflected
		}
		return c.applyReadElsewhere(tx, k, ref, r.Messages, ch)
	}
	return nil
}

// storeReflected writes a message another device of the user sent, unless
// this device has it.
func (c *Core) storeReflected(tx Tx, k *crypto.StoreKey, o opened, m Message, ch *Changes) error {
	nk := nonceKey(k, o.env.Nonce)
	if seen, err := tx.Space(spaceNonce).Get(nk); err != nil || seen != nil {
		return err
	}
	if err := tx.Space(spaceNonce).Put(nk, []byte{1}); err != nil {
		return err
	}
	if _, dup, err := c.getMessageByRef(tx, k, m.Conv, true, m.ID); err != nil || dup != nil {
		return err // sent from this device: it has it
	}
	conv, err := c.getConv(tx, k, m.Conv)
	if err != nil {
		return err
	}
	if o.group != nil {
		o.group.fill(&conv)
		m.Recipients = map[crypto.ID]State{}
		for _, id := range o.group.Members {
			if id != c.me.ID {
				m.Recipients[id] = StateSent
			}
		}
	} else if o.peer.Name != "" {
		conv.Name = o.peer.Name
	}
	if !m.Time.Before(conv.LastAt) {
		conv.Preview = "You: " + previewOf(&m)
	}
	conv.LastAt = later(conv.LastAt, m.Time)
	ch.Reload = true
	return c.putMessage(tx, k, &m, &conv)
}

// applyReadElsewhere marks messages read that the user read on another
// device: they count as read here too, and this device sends no read
// receipt for them again.
func (c *Core) applyReadElsewhere(tx Tx, k *crypto.StoreKey, ref ConvRef, ids []crypto.MessageID, ch *Changes) error {
	marked := 0 // unread here before
	for _, id := range ids {
		key, m, err := c.getMessageByRef(tx, k, ref, false, id)
		if err != nil {
			return err
		}
		if m == nil || m.ReadSent {
			continue
		}
		m.ReadSent = true
		if err := c.rewriteMessage(tx, k, key, m); err != nil {
			return err
		}
		marked++
	}
	conv, err := c.getConv(tx, k, ref)
	if err != nil || conv.LastAt.IsZero() {
		return err
	}
	if conv.Unread > 0 {
		conv.Unread = max(0, conv.Unread-marked)
		ch.Reload = true
		return c.putConv(tx, k, &conv)
	}
	return nil
}
