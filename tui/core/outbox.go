package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// The outbox. Every outgoing message is indexed in spaceOutbox from the
// moment it is stored (pending) until the relay's answer is recorded
// (settle), in the same transactions. What is still indexed long after it
// was stamped was cut off mid-send — the server or the connection went away
// between the relay's commit and the device store's — and the first Sync of
// the next session sends it again with the same message ID: a recipient
// who already has it keeps one copy and confirms it again.

// spaceOutbox indexes pending outgoing messages by their message key.
const spaceOutbox = "outbox"

// staleSend is how long after its stamp a pending message can no longer be
// in flight in any session of the user (the relay answers in far less).
const staleSend = 30 * time.Second

// Errors of Retry.
var (
	ErrNotFailed = errors.New("that message was not refused: there is nothing to retry")
	ErrListRetry = errors.New("a message to a distribution list is retried in each member's 1:1 chat")
	ErrNotOwnTry = errors.New("you can only retry your own messages")
)

// Retry sends a failed outgoing message again, with the same ID and stamp,
// so it keeps its place in the conversation and a recipient who has it
// already keeps one copy. A group message goes to every current member.
func (c *Core) Retry(ctx context.Context, ref ConvRef, id crypto.MessageID) (Message, error) {
	if ref.Kind == ConvList {
		return Message{}, ErrListRetry
	}
	k, err := c.storeKey()
	if err != nil {
		return Message{}, err
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	var m *Message
	err = c.store.View(ctx, func(tx Tx) error {
		var err error
		if _, m, err = c.getMessageByRef(tx, k, ref, true, id); err != nil || m != nil {
			return err
		}
		if _, in, _ := c.getMessageByRef(tx, k, ref, false, id); in != nil {
			return ErrNotOwnTry
		}
		return ErrNoMessage
	})
	if err != nil {
		return Message{}, err
	}
	switch {
	case m.Deleted:
		return *m, ErrDeletedGone
	case m.State == StateFailed, m.State == StatePending && c.now().Sub(m.SentAt) >= staleSend:
	default:
		return *m, ErrNotFailed
	}
	return c.resend(ctx, k, *m)
}

// resend seals m again for its recipients and records the relay's answer.
// The caller holds sendMu.
func (c *Core) resend(ctx context.Context, k *crypto.StoreKey, m Message) (Message, error) {
	typ, body, err := m.wire()
	if err != nil {
		return m, err
	}
	h := crypto.Header{Flags: m.flags(), Sender: c.me.ID, MessageID: m.ID, Time: m.SentAt}
	switch m.Conv.Kind {
	case ConvDirect:
		ct, err := c.Contact(ctx, m.Conv.Peer)
		if errors.Is(err, ErrOffline) {
			c.queued = true // stays pending, for the next flush
			return m, nil
		}
		if err != nil {
			return c.settle(ctx, k, m, err)
		}
		shared, err := c.sharedKey(ct)
		if err != nil {
			return c.settle(ctx, k, m, err)
		}
		h.Recipient = ct.ID
		env, err := crypto.SealEnvelope(c.rand, h, shared, typ, body)
		if err != nil {
			return m, err
		}
		_, sendErr := c.relay.Send(ctx, env.Marshal())
		if errors.Is(sendErr, ErrOffline) {
			c.queued = true
			return m, nil
		}
		return c.settle(ctx, k, m, sendErr)
	case ConvGroup:
		return c.resendGroup(ctx, k, m, h, typ, body)
	}
	return m, ErrListRetry
}

func (c *Core) resendGroup(ctx context.Context, k *crypto.StoreKey, m Message, h crypto.Header, typ crypto.MessageType, body []byte) (Message, error) {
	if c.groups == nil {
		return m, ErrNoGroups
	}
	gtyp, ok := crypto.GroupType(typ)
	if !ok {
		return m, fmt.Errorf("message type %#x has no group form: %w", byte(typ), crypto.ErrMalformed)
	}
	g, err := c.groups.Group(ctx, m.Conv.Group)
	if err != nil {
		return c.settle(ctx, k, m, err)
	}
	inner, err := crypto.MarshalGroup(crypto.GroupHeader{Key: g.Key}, body)
	if err != nil {
		return m, err
	}
	var envs [][]byte
	var to []crypto.ID
	for _, id := range g.Members {
		if id == c.me.ID {
			continue
		}
		ct, err := c.Contact(ctx, id)
		if err != nil {
			continue // a member who left the directory
		}
		shared, err := c.sharedKey(ct)
		if err != nil {
			continue
		}
		h.Recipient = id
		env, err := crypto.SealEnvelope(c.rand, h, shared, gtyp, inner)
		if err != nil {
			return m, err
		}
		envs, to = append(envs, env.Marshal()), append(to, id)
	}
	errs, sendErr := c.sendEnvelopes(ctx, envs)
	reached := map[crypto.ID]bool{}
	for i, err := range errs {
		if err == nil {
			reached[to[i]] = true
		}
	}
	if sendErr == nil && len(reached) == 0 && len(envs) > 0 {
		sendErr = fmt.Errorf("no member could be reached: %w", errors.Join(errs...))
	}
	if err := c.store.Update(ctx, func(tx Tx) error {
		key, cur, err := c.getMessageByRef(tx, k, m.Conv, true, m.ID)
		if err != nil || cur == nil {
			return err
		}
		if cur.Recipients == nil {
			cur.Recipients = map[crypto.ID]State{}
		}
		for id := range reached {
			cur.Recipients[id] = max(cur.Recipients[id], StateSent)
		}
		return c.rewriteMessage(tx, k, key, cur)
	}); err != nil {
		return m, fmt.Errorf("save message state: %w", err)
	}
	return c.settle(ctx, k, m, sendErr)
}

// wire rebuilds the 1:1 type and body an outgoing message was sent with.
func (m *Message) wire() (crypto.MessageType, []byte, error) {
	switch {
	case m.Kind == KindText && m.ReplyTo != nil:
		return crypto.TypeText, crypto.MarshalQuoteText(*m.ReplyTo, m.Text), nil
	case m.Kind == KindText:
		return crypto.TypeText, []byte(m.Text), nil
	case m.Kind == KindLocation && m.Location != nil:
		b, err := crypto.MarshalLocation(*m.Location)
		return crypto.TypeLocation, b, err
	case m.Kind == KindFile && m.File != nil:
		f := m.File
		b, err := crypto.MarshalFileMessage(crypto.FileMessage{Blob: f.Blob, Key: f.Key, Name: f.Name,
			Mime: f.Mime, Size: f.Size, Caption: f.Caption})
		return crypto.TypeFile, b, err
	case m.Kind == KindPoll && m.Poll != nil:
		p := m.Poll
		b, err := crypto.MarshalPollSetup(crypto.PollSetup{ID: p.ID, Question: p.Question, Choices: p.Choices, Multi: p.Multi})
		return crypto.TypePollSetup, b, err
	}
	return 0, nil, fmt.Errorf("a message of this kind cannot be sent again: %w", crypto.ErrMalformed)
}

// resendStale sends again what the outbox holds from an earlier session
// that was cut off mid-send (see the top of this file). A message that
// fails again is marked failed, for the user to retry.
func (c *Core) resendStale(ctx context.Context, ch *Changes) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	return c.resendPending(ctx, k, ch, c.queued)
}

// flushQueued sends, in order, what was queued while the relay was
// offline, before anything newer. The caller holds sendMu.
func (c *Core) flushQueued(ctx context.Context, k *crypto.StoreKey) {
	if !c.queued {
		return
	}
	if err := c.resendPending(ctx, k, &Changes{}, true); err != nil {
		c.log.Warn("queued messages not sent", "err", err)
	}
}

// resendPending sends again the outbox's pending messages: those cut off
// in an earlier session (stale), or all of them when queued says they
// waited for the connection. It stops at the first that meets ErrOffline
// again. The caller holds sendMu.
func (c *Core) resendPending(ctx context.Context, k *crypto.StoreKey, ch *Changes, queued bool) error {
	c.queued = false
	var stale []Message
	var gone [][]byte
	err := c.store.View(ctx, func(tx Tx) error {
		var ierr error
		err := tx.Space(spaceOutbox).Scan(nil, nil, false, func(key, _ []byte) bool {
			v, err := tx.Space(spaceMsg).Get(key)
			if err != nil {
				ierr = err
				return false
			}
			var m Message
			if v == nil || open(k, spaceMsg, key, v, &m) != nil || m.State != StatePending {
				gone = append(gone, append([]byte(nil), key...))
				return true
			}
			if queued || c.now().Sub(m.SentAt) >= staleSend {
				stale = append(stale, m)
			}
			return true
		})
		if err != nil {
			return err
		}
		return ierr
	})
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	if len(gone) > 0 {
		if err := c.store.Update(ctx, func(tx Tx) error {
			for _, key := range gone {
				if err := tx.Space(spaceOutbox).Delete(key); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("clean outbox: %w", err)
		}
	}
	for _, m := range stale {
		if m.Conv.Kind == ConvList {
			// The list's own copy only summarises its members' 1:1
			// messages, each in the outbox of its own.
			if _, err := c.settle(ctx, k, m, errors.New("interrupted: see each member's 1:1 chat")); err != nil {
				c.log.Warn("outbox entry not settled", "err", err)
			}
			continue
		}
		if _, err := c.resend(ctx, k, m); err != nil {
			c.log.Warn("interrupted message not sent again", "err", err)
		}
		ch.Reload = true
		if c.queued {
			break // offline again: the rest keep their place
		}
	}
	return nil
}
