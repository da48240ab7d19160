package core

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/parley-chat/parley/crypto"
)

// Sync processes what the live feed announced: it opens new envelopes,
// writes them to the device store, acknowledges them to the relay and sends
// delivery receipts. After Start, and whenever the feed was dropped, it
// catches up with everything waiting in the mailbox.
func (c *Core) Sync(ctx context.Context) (Changes, error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.mu.Lock()
	sub, notify := c.sub, c.notify
	catchUp := c.catchUp
	c.mu.Unlock()
	if sub == nil {
		return Changes{}, ErrNotReady
	}
	var ch Changes
	ch.Settings = c.takeSettingsChanged()
	evs, err := sub.Drain()
	if errors.Is(err, ErrBehind) {
		sub.Close()
		nsub, err := c.relay.Subscribe(ctx, notify)
		if err != nil {
			return ch, fmt.Errorf("subscribe again: %w", err)
		}
		c.mu.Lock()
		c.sub = nsub
		c.catchUp = true // cleared only when the catch-up completes
		c.mu.Unlock()
		catchUp = true
		ch.Reload = true
	} else if err != nil {
		return ch, err
	}
	var ds []Delivery
	for _, ev := range evs {
		switch ev.Kind {
		case EventMail:
			ds = append(ds, ev.Delivery)
		case EventDeviceStore:
			if ev.Origin != c.session {
				ch.Reload = true
			}
		}
	}
	if catchUp {
		// Everything stored comes from the mailbox, page by page; only
		// ephemeral envelopes are taken from the feed.
		ds = slices.DeleteFunc(ds, func(d Delivery) bool { return d.Seq != 0 })
		ch.Reload = true
	}
	if err := c.processAll(ctx, ds, &ch); err != nil {
		return ch, err
	}
	if !catchUp {
		return ch, nil
	}
	var after uint64
	for {
		page, err := c.relay.Fetch(ctx, after, catchUpPage)
		if err != nil {
			return ch, fmt.Errorf("fetch mailbox: %w", err)
		}
		if err := c.processAll(ctx, page, &ch); err != nil {
			return ch, err
		}
		if len(page) < catchUpPage {
			break
		}
		after = page[len(page)-1].Seq
	}
	c.mu.Lock()
	c.catchUp = false
	c.mu.Unlock()
	return ch, nil
}

// catchUpPage is how many waiting envelopes one catch-up step reads and processes.
const catchUpPage = 500

func (c *Core) processAll(ctx context.Context, ds []Delivery, ch *Changes) error {
	for chunk := range slices.Chunk(ds, catchUpPage) {
		got, err := c.process(ctx, chunk)
		if err != nil {
			return err
		}
		ch.Reload = ch.Reload || got.Reload
		ch.Incoming = append(ch.Incoming, got.Incoming...)
		if n := len(ch.Incoming); n > maxIncoming {
			ch.Incoming = append(ch.Incoming[:0], ch.Incoming[n-maxIncoming:]...)
		}
	}
	return nil
}

// maxIncoming bounds the new messages a Sync reports for notifications:
// a long catch-up keeps the newest, not every text in memory.
const maxIncoming = 64

// opened is one envelope that decrypted.
type opened struct {
	d    Delivery
	env  *crypto.Envelope
	from Contact
	typ  crypto.MessageType
	body []byte
}

// process handles a batch of deliveries in one device-store transaction.
func (c *Core) process(ctx context.Context, ds []Delivery) (Changes, error) {
	k, err := c.storeKey()
	if err != nil {
		return Changes{}, err
	}
	var items []opened
	var acks []uint64
	for _, d := range ds {
		if d.Seq != 0 {
			acks = append(acks, d.Seq)
		}
		o, err := c.open(ctx, d)
		if err != nil {
			// Undecryptable, forged or from someone unreachable: acknowledge
			// and drop, so it does not come back.
			c.log.Warn("dropped envelope", "seq", d.Seq, "err", err)
			continue
		}
		items = append(items, o)
	}
	var ch Changes
	var receipts map[crypto.ID][]crypto.MessageID
	if len(items) > 0 {
		err = c.store.Update(ctx, func(tx Tx) error {
			ch = Changes{}
			receipts = map[crypto.ID][]crypto.MessageID{}
			for _, o := range items {
				if err := c.apply(tx, k, o, &ch, receipts); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return Changes{}, fmt.Errorf("store messages: %w", err)
		}
	}
	if len(acks) > 0 {
		if _, err := c.relay.Ack(ctx, acks); err != nil {
			return ch, fmt.Errorf("acknowledge: %w", err)
		}
	}
	for peer, ids := range receipts {
		if err := c.sendReceipt(ctx, peer, crypto.ReceiptReceived, ids); err != nil {
			c.log.Warn("delivery receipt not sent", "err", err)
		}
	}
	return ch, nil
}

func (c *Core) open(ctx context.Context, d Delivery) (opened, error) {
	env, err := crypto.ParseEnvelope(d.Envelope)
	if err != nil {
		return opened{}, err
	}
	if env.Recipient != c.me.ID {
		return opened{}, errors.New("envelope for another recipient")
	}
	from, err := c.Contact(ctx, env.Sender)
	if err != nil {
		return opened{}, fmt.Errorf("sender %s: %w", env.Sender, err)
	}
	shared, err := c.sharedKey(from)
	if err != nil {
		return opened{}, err
	}
	typ, body, err := env.Open(shared)
	if err != nil {
		return opened{}, err
	}
	return opened{d: d, env: env, from: from, typ: typ, body: body}, nil
}

// apply writes one opened envelope. Duplicates (the same message seen by
// another session, or replayed) change nothing.
func (c *Core) apply(tx Tx, k *crypto.StoreKey, o opened, ch *Changes, receipts map[crypto.ID][]crypto.MessageID) error {
	switch o.typ {
	case crypto.TypeText:
		text, err := crypto.TextBody(string(o.body))
		if err != nil {
			return nil //nolint:nilerr // malformed text is dropped, not fatal
		}
		nk := nonceKey(k, o.env.Nonce)
		if seen, err := tx.Space(spaceNonce).Get(nk); err != nil {
			return err
		} else if seen != nil {
			return nil // replay, or already processed by another session
		}
		if _, dup, err := c.getMessageByRef(tx, k, o.from.ID, false, o.env.MessageID); err != nil {
			return err
		} else if dup != nil {
			return nil
		}
		when := o.d.Received.UTC()
		m := Message{Peer: o.from.ID, ID: o.env.MessageID, Time: when, SentAt: o.env.Time, Text: string(text), State: StateReceived}
		conv, err := c.getConv(tx, k, o.from.ID)
		if err != nil {
			return err
		}
		conv.Name = o.from.Name
		if !when.Before(conv.LastAt) {
			conv.Preview = preview(m.Text)
		}
		conv.LastAt = later(conv.LastAt, when)
		conv.Unread++
		if err := c.putMessage(tx, k, &m, &conv); err != nil {
			return err
		}
		if err := tx.Space(spaceNonce).Put(nk, []byte{1}); err != nil {
			return err
		}
		ch.Reload = true
		if o.env.Flags&crypto.FlagSilent == 0 {
			ch.Incoming = append(ch.Incoming, m)
		}
		receipts[o.from.ID] = append(receipts[o.from.ID], m.ID)
	case crypto.TypeDeliveryReceipt:
		r, err := crypto.ParseReceipt(o.body)
		if err != nil {
			return nil //nolint:nilerr // malformed receipt is dropped
		}
		var next State
		switch r.Status {
		case crypto.ReceiptReceived:
			next = StateDelivered
		case crypto.ReceiptRead:
			next = StateRead
		default:
			return nil // agree/disagree come with reactions, later
		}
		for _, id := range r.Messages {
			key, m, err := c.getMessageByRef(tx, k, o.from.ID, true, id)
			if err != nil {
				return err
			}
			if m == nil || m.State >= next {
				continue
			}
			m.State = next
			if err := c.rewriteMessage(tx, k, key, m); err != nil {
				return err
			}
			ch.Reload = true
		}
	}
	return nil
}
