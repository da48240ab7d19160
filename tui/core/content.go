package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/crypto"
)

// Errors of changing messages.
var (
	ErrNotOwn      = errors.New("you can only change your own messages")
	ErrListChange  = errors.New("a message to a distribution list cannot be changed: change it in each 1:1 chat")
	ErrDeletedGone = errors.New("that message was deleted")
)

// Edit changes the text of one of the user's own messages, for everyone.
func (c *Core) Edit(ctx context.Context, ref ConvRef, id crypto.MessageID, text string) error {
	if _, err := crypto.TextBody(text); err != nil {
		return err
	}
	body, err := crypto.MarshalEdit(id, text)
	if err != nil {
		return err
	}
	return c.changeOwn(ctx, ref, id, crypto.TypeEdit, body, func(m *Message) {
		m.Text, m.Edited = text, c.now().UTC()
	})
}

// Delete deletes one of the user's own messages for everyone: its content
// is dropped from every history that applies the deletion.
func (c *Core) Delete(ctx context.Context, ref ConvRef, id crypto.MessageID) error {
	return c.changeOwn(ctx, ref, id, crypto.TypeDelete, crypto.MarshalDelete(id), func(m *Message) {
		m.erase()
	})
}

// DeleteHere deletes a message from the user's own history only: someone
// else's (out false), or one of the user's that never reached anyone. The
// others keep their copies; nothing is sent.
func (c *Core) DeleteHere(ctx context.Context, ref ConvRef, id crypto.MessageID, out bool) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	return c.store.Update(ctx, func(tx Tx) error {
		key, m, err := c.getMessageByRef(tx, k, ref, out, id)
		switch {
		case err != nil:
			return err
		case m == nil:
			return ErrNoMessage
		case out && m.State != StateFailed && ref.Kind != ConvList:
			return ErrSentDelete
		}
		m.erase()
		m.DeletedHere = true
		if err := tx.Space(spaceOutbox).Delete(key); err != nil {
			return err
		}
		if err := c.rewriteMessage(tx, k, key, m); err != nil {
			return err
		}
		return c.afterChange(tx, k, m)
	})
}

// ErrSentDelete says a sent message of the user's is deleted for everyone
// (Delete), not only here.
var ErrSentDelete = errors.New("a sent message of yours is deleted for everyone: use Delete")

// erase drops a deleted message's content, keeping its place.
func (m *Message) erase() {
	m.Deleted = true
	m.Text, m.Quote, m.ReplyTo = "", "", nil
	m.Location, m.Poll, m.File = nil, nil, nil
	m.Agree, m.Disagree = nil, nil
}

// changeOwn applies change to the user's own message id locally and sends
// the change (type typ, body) to the conversation's recipients.
func (c *Core) changeOwn(ctx context.Context, ref ConvRef, id crypto.MessageID, typ crypto.MessageType, body []byte, change func(*Message)) error {
	if ref.Kind == ConvList {
		return ErrListChange
	}
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	err = c.store.View(ctx, func(tx Tx) error {
		_, m, err := c.getMessageByRef(tx, k, ref, true, id)
		switch {
		case err != nil:
			return err
		case m == nil:
			if _, in, _ := c.getMessageByRef(tx, k, ref, false, id); in != nil {
				return ErrNotOwn
			}
			return ErrNoMessage
		case m.Deleted:
			return ErrDeletedGone
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.sendControl(ctx, ref, typ, body); err != nil {
		return err
	}
	return c.store.Update(ctx, func(tx Tx) error {
		key, m, err := c.getMessageByRef(tx, k, ref, true, id)
		if err != nil || m == nil {
			return err
		}
		change(m)
		if err := c.rewriteMessage(tx, k, key, m); err != nil {
			return err
		}
		return c.afterChange(tx, k, m)
	})
}

// sendControl sends a message that changes others' history rather than
// adding to it (edit, delete, vote, reaction): silent, and not kept as a
// message of its own.
func (c *Core) sendControl(ctx context.Context, ref ConvRef, typ crypto.MessageType, body []byte) error {
	// In the outbox's order: a change never overtakes the message it
	// changes (whose send holds sendMu until the relay has it).
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	switch ref.Kind {
	case ConvGroup:
		if err := c.sendGroupControl(ctx, ref.Group, typ, body); err != nil {
			return err
		}
		c.reflect(ctx, ref, c.now(), typ, body)
		return nil
	case ConvDirect:
	default:
		return ErrListChange
	}
	ct, err := c.Contact(ctx, ref.Peer)
	if err != nil {
		return err
	}
	shared, err := c.sharedKey(ct)
	if err != nil {
		return err
	}
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return err
	}
	at := c.sendTime()
	env, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: crypto.FlagSilent, Sender: c.me.ID, Recipient: ref.Peer,
		MessageID: mid, Time: at}, shared, typ, body)
	if err != nil {
		return err
	}
	if _, err = c.relay.Send(ctx, env.Marshal()); err != nil {
		return err
	}
	c.reflect(ctx, ref, at, typ, body)
	return nil
}

// applyChange applies an incoming edit or delete: only the original
// sender's change of their own message counts. A reflected one is the
// user's own change, made on another device, of an outgoing message.
func (c *Core) applyChange(tx Tx, k *crypto.StoreKey, o opened, ref ConvRef, ch *Changes) error {
	var id crypto.MessageID
	var text string
	switch o.typ {
	case crypto.TypeEdit:
		eid, t, err := crypto.ParseEdit(o.body)
		if err != nil {
			return nil //nolint:nilerr // malformed edit is dropped
		}
		id, text = eid, t
	case crypto.TypeDelete:
		did, err := crypto.ParseDelete(o.body)
		if err != nil {
			return nil //nolint:nilerr // malformed delete is dropped
		}
		id = did
	default:
		return nil
	}
	key, m, err := c.getMessageByRef(tx, k, ref, o.reflected != nil, id)
	if err != nil || m == nil || m.From != o.from.ID || m.Deleted {
		return err // someone else's message, or unknown: ignored
	}
	if o.typ == crypto.TypeEdit {
		m.Text, m.Edited = text, o.env.Time
	} else {
		m.erase()
	}
	ch.Reload = true
	if err := c.rewriteMessage(tx, k, key, m); err != nil {
		return err
	}
	return c.afterChange(tx, k, m)
}

// sendGroupControl sends a silent group message of the 1:1 type typ to
// every other member of the group, in one batch.
func (c *Core) sendGroupControl(ctx context.Context, key string, typ crypto.MessageType, body []byte) error {
	if c.groups == nil {
		return ErrNoGroups
	}
	gtyp, ok := crypto.GroupType(typ)
	if !ok {
		return fmt.Errorf("message type %#x has no group form: %w", byte(typ), crypto.ErrMalformed)
	}
	g, err := c.groups.Group(ctx, key)
	if err != nil {
		return err
	}
	inner, err := crypto.MarshalGroup(crypto.GroupHeader{Key: key}, body)
	if err != nil {
		return err
	}
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return err
	}
	now := c.sendTime()
	var envs [][]byte
	for _, id := range g.Members {
		if id == c.me.ID {
			continue
		}
		ct, err := c.Contact(ctx, id)
		if err != nil {
			continue // a member who left the directory misses the change
		}
		shared, err := c.sharedKey(ct)
		if err != nil {
			continue
		}
		env, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: crypto.FlagSilent, Sender: c.me.ID, Recipient: id,
			MessageID: mid, Time: now}, shared, gtyp, inner)
		if err != nil {
			return err
		}
		envs = append(envs, env.Marshal())
	}
	if len(envs) == 0 {
		return nil
	}
	errs, err := c.sendEnvelopes(ctx, envs)
	if err != nil {
		return err
	}
	failed := 0
	for _, e := range errs {
		if e != nil {
			failed++
		}
	}
	if failed == len(envs) {
		return fmt.Errorf("no member could be reached: %w", errors.Join(errs...))
	}
	if failed > 0 {
		c.log.Warn("group change not delivered to every member", "failed", failed, "of", len(envs))
	}
	return nil
}

// SendLocation shares a position (coordinates and an optional label).
func (c *Core) SendLocation(ctx context.Context, ref ConvRef, loc crypto.Location) (Message, error) {
	body, err := crypto.MarshalLocation(loc)
	if err != nil {
		return Message{}, err
	}
	l := loc
	return c.sendContent(ctx, ref, crypto.TypeLocation, body, Message{Kind: KindLocation, Text: loc.Label, Location: &l})
}

// maxRequote bounds how far back a change of a message looks for replies
// quoting it.
const maxRequote = 5000

// afterChange keeps the old text of an edited or deleted message from
// surviving elsewhere in the conversation: replies quoting it show its
// current text or "(message deleted)", and when it is the newest message
// the conversation's preview follows it. The caller has rewritten m.
func (c *Core) afterChange(tx Tx, k *crypto.StoreKey, m *Message) error {
	quote := preview(m.Text)
	if m.Deleted {
		quote = "(message deleted)"
	}
	ct := c.convTag(k, m.Conv)
	type hit struct {
		key []byte
		m   Message
	}
	var hits []hit
	newest, n := true, 0
	var ierr error
	err := tx.Space(spaceMsg).Scan(ct[:], nil, true, func(key, v []byte) bool {
		var o Message
		if ierr = open(k, spaceMsg, key, v, &o); ierr != nil {
			return false
		}
		if newest && o.ID == m.ID && o.Outgoing == m.Outgoing {
			conv, err := c.getConv(tx, k, m.Conv)
			if ierr = err; err != nil {
				return false
			}
			conv.Preview = previewOf(m)
			if m.Outgoing {
				conv.Preview = "You: " + conv.Preview
			}
			if ierr = c.putConv(tx, k, &conv); ierr != nil {
				return false
			}
		}
		newest = false
		if o.ReplyTo != nil && *o.ReplyTo == m.ID && o.Quote != quote {
			o.Quote = quote
			hits = append(hits, hit{key: append([]byte(nil), key...), m: o})
		}
		n++
		return n < maxRequote
	})
	if err != nil {
		return err
	}
	if ierr != nil {
		return ierr
	}
	for _, h := range hits {
		if err := c.rewriteMessage(tx, k, h.key, &h.m); err != nil {
			return err
		}
	}
	return nil
}
