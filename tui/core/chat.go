package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Conversations lists the user's conversations, most recent first.
func (c *Core) Conversations(ctx context.Context) ([]Conversation, error) {
	k, err := c.storeKey()
	if err != nil {
		return nil, err
	}
	var out []Conversation
	err = c.store.View(ctx, func(tx Tx) error {
		out = out[:0]
		var ierr error
		err := tx.Space(spaceConv).Scan(nil, nil, false, func(key, v []byte) bool {
			var conv Conversation
			if ierr = open(k, spaceConv, key, v, &conv); ierr != nil {
				return false
			}
			out = append(out, conv)
			return true
		})
		if err != nil {
			return err
		}
		return ierr
	})
	if err != nil {
		return nil, fmt.Errorf("read conversations: %w", err)
	}
	slices.SortFunc(out, func(a, b Conversation) int {
		if c := b.LastAt.Compare(a.LastAt); c != 0 {
			return c
		}
		return slices.Compare(a.Peer[:], b.Peer[:])
	})
	return out, nil
}

// Page is a slice of a conversation, oldest first.
type Page struct {
	Messages []Message
	// Older is the cursor for the page before this one; nil at the start.
	Older []byte
}

// Messages returns up to limit messages with peer that come before the
// cursor (nil: the newest), oldest first.
func (c *Core) Messages(ctx context.Context, peer crypto.ID, before []byte, limit int) (Page, error) {
	k, err := c.storeKey()
	if err != nil {
		return Page{}, err
	}
	if limit <= 0 {
		limit = 100
	}
	ct := c.convTag(k, peer)
	var page Page
	err = c.store.View(ctx, func(tx Tx) error {
		page = Page{}
		var ierr error
		var lastKey []byte
		more := false
		err := tx.Space(spaceMsg).Scan(ct[:], before, true, func(key, v []byte) bool {
			if before != nil && string(key) == string(before) {
				return true // the cursor itself was on the previous page
			}
			if len(page.Messages) == limit {
				more = true
				return false
			}
			var m Message
			if ierr = open(k, spaceMsg, key, v, &m); ierr != nil {
				return false
			}
			page.Messages = append(page.Messages, m)
			lastKey = append(lastKey[:0], key...)
			return true
		})
		if err != nil {
			return err
		}
		if more {
			page.Older = lastKey
		}
		return ierr
	})
	if err != nil {
		return Page{}, fmt.Errorf("read messages: %w", err)
	}
	slices.Reverse(page.Messages)
	return page, nil
}

// Send encrypts text for peer and hands it to the relay. The message is in
// the user's history from the start, in state pending, then sent or failed.
func (c *Core) Send(ctx context.Context, peer crypto.ID, text string) (Message, error) {
	if peer == c.me.ID {
		return Message{}, ErrSelf
	}
	body, err := crypto.TextBody(text)
	if err != nil {
		return Message{}, err
	}
	k, err := c.storeKey()
	if err != nil {
		return Message{}, err
	}
	ct, err := c.Contact(ctx, peer)
	if err != nil {
		return Message{}, err
	}
	shared, err := c.sharedKey(ct)
	if err != nil {
		return Message{}, err
	}
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return Message{}, err
	}
	now := c.now().UTC()
	env, err := crypto.SealEnvelope(c.rand, crypto.Header{Sender: c.me.ID, Recipient: peer, MessageID: mid, Time: now},
		shared, crypto.TypeText, body)
	if err != nil {
		return Message{}, err
	}
	m := Message{Peer: peer, ID: mid, Outgoing: true, Time: now, SentAt: now, Text: text, State: StatePending}
	err = c.store.Update(ctx, func(tx Tx) error {
		conv, err := c.getConv(tx, k, peer)
		if err != nil {
			return err
		}
		conv.Name = ct.Name
		conv.LastAt = later(conv.LastAt, now)
		conv.Preview = "You: " + preview(text)
		return c.putMessage(tx, k, &m, &conv)
	})
	if err != nil {
		return Message{}, fmt.Errorf("save message: %w", err)
	}
	_, sendErr := c.relay.Send(ctx, env.Marshal())
	next, errText := StateSent, ""
	if sendErr != nil {
		next, errText = StateFailed, sendErr.Error()
	}
	err = c.store.Update(ctx, func(tx Tx) error {
		key, cur, err := c.getMessageByRef(tx, k, peer, true, mid)
		if err != nil || cur == nil {
			return err
		}
		if cur.State >= next && next != StateFailed {
			m = *cur // a receipt overtook us
			return nil
		}
		cur.State, cur.Error = next, errText
		m = *cur
		return c.rewriteMessage(tx, k, key, cur)
	})
	if sendErr != nil {
		return m, sendErr
	}
	if err != nil {
		return m, fmt.Errorf("save message state: %w", err)
	}
	return m, nil
}

// MarkRead marks the conversation with peer read and, for incoming
// messages not yet acknowledged as read, sends a read receipt. The scan for
// unread messages runs in a read transaction; the write only touches what
// it found.
func (c *Core) MarkRead(ctx context.Context, peer crypto.ID) (bool, error) {
	k, err := c.storeKey()
	if err != nil {
		return false, err
	}
	ct := c.convTag(k, peer)
	var keys [][]byte
	var unread int
	err = c.store.View(ctx, func(tx Tx) error {
		keys = keys[:0]
		conv, err := c.getConv(tx, k, peer)
		if err != nil {
			return err
		}
		unread = conv.Unread
		var ierr error
		scanned := 0
		err = tx.Space(spaceMsg).Scan(ct[:], nil, true, func(key, v []byte) bool {
			scanned++
			var m Message
			if ierr = open(k, spaceMsg, key, v, &m); ierr != nil {
				return false
			}
			if !m.Outgoing {
				if m.ReadSent {
					return false // everything older was read before
				}
				keys = append(keys, append([]byte(nil), key...))
			}
			return scanned < 5000
		})
		if err != nil {
			return err
		}
		return ierr
	})
	if err != nil {
		return false, fmt.Errorf("mark read: %w", err)
	}
	if unread == 0 && len(keys) == 0 {
		return false, nil
	}
	var ids []crypto.MessageID
	err = c.store.Update(ctx, func(tx Tx) error {
		ids = ids[:0]
		for _, key := range keys {
			b, err := tx.Space(spaceMsg).Get(key)
			if err != nil || b == nil {
				if err != nil {
					return err
				}
				continue
			}
			var m Message
			if err := open(k, spaceMsg, key, b, &m); err != nil {
				return err
			}
			if m.ReadSent {
				continue // another session got here first
			}
			m.ReadSent = true
			if err := c.rewriteMessage(tx, k, key, &m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		conv, err := c.getConv(tx, k, peer)
		if err != nil || conv.LastAt.IsZero() || conv.Unread == 0 {
			return err
		}
		conv.Unread = 0
		return c.putConv(tx, k, &conv)
	})
	if err != nil {
		return false, fmt.Errorf("mark read: %w", err)
	}
	if len(ids) > 0 {
		if err := c.sendReceipt(ctx, peer, crypto.ReceiptRead, ids); err != nil {
			c.log.Warn("read receipt not sent", "err", err)
		}
	}
	return true, nil
}

// sendReceipt sends one receipt envelope per 1000 message IDs.
func (c *Core) sendReceipt(ctx context.Context, peer crypto.ID, status byte, ids []crypto.MessageID) error {
	ct, err := c.Contact(ctx, peer)
	if err != nil {
		return err
	}
	shared, err := c.sharedKey(ct)
	if err != nil {
		return err
	}
	var errs []error
	for chunk := range slices.Chunk(ids, 1000) {
		body, err := crypto.MarshalReceipt(crypto.Receipt{Status: status, Messages: chunk})
		if err != nil {
			return err
		}
		mid, err := crypto.NewMessageID(c.rand)
		if err != nil {
			return err
		}
		env, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: crypto.FlagSilent, Sender: c.me.ID, Recipient: peer,
			MessageID: mid, Time: c.now()}, shared, crypto.TypeDeliveryReceipt, body)
		if err != nil {
			return err
		}
		if _, err := c.relay.Send(ctx, env.Marshal()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
