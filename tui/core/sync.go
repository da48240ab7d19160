package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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
	if ch.Settings {
		c.typingPolicyStale()
	}
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
		case EventGroups:
			ch.groupsChanged = true
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
		if ch.groupsChanged {
			if err := c.refreshGroups(ctx, &ch); err != nil {
				c.log.Warn("groups not refreshed", "err", err)
			}
		}
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
	// Groups created or changed while the user was away appear now.
	if err := c.refreshGroups(ctx, &ch); err != nil {
		c.log.Warn("groups not refreshed", "err", err)
	}
	c.mu.Lock()
	c.catchUp = false
	resend := !c.outboxChecked
	c.outboxChecked = true
	c.mu.Unlock()
	c.sendMu.Lock()
	resend = resend || c.queued // the connection is back: send what waited
	c.sendMu.Unlock()
	if resend {
		if err := c.resendStale(ctx, &ch); err != nil {
			c.log.Warn("outbox not checked", "err", err)
		}
	}
	return ch, nil
}

// catchUpPage is how many waiting envelopes one catch-up step reads and processes.
const catchUpPage = 500

// maxUpdated bounds Changes.Updated: past it, views read everything again.
const maxUpdated = 256

func (c *Core) processAll(ctx context.Context, ds []Delivery, ch *Changes) error {
	for chunk := range slices.Chunk(ds, catchUpPage) {
		got, err := c.process(ctx, chunk)
		if err != nil {
			return err
		}
		ch.Reload = ch.Reload || got.Reload
		ch.Updated = append(ch.Updated, got.Updated...)
		if len(ch.Updated) > maxUpdated {
			ch.Reload, ch.Updated = true, nil // a view reads it all faster
		}
		if got.Typing != nil {
			ch.Typing = got.Typing
		}
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
	// group is the group of a group message (typ is then the 1:1 type and
	// body the inner body; groupCtl the group control type 0x4a-0x4c).
	group    *GroupInfo
	groupCtl crypto.MessageType
	// reflected is set for a copy of what another device of the user did
	// (from is then the user; peer the other side of a 1:1 conversation).
	reflected *crypto.Reflect
	peer      Contact
}

// receiptTo is where a receipt goes: the sender, for a group message
// wrapped with the group's key.
type receiptTo struct {
	peer  crypto.ID
	group string
}

// process handles a batch of deliveries in one device-store transaction.
func (c *Core) process(ctx context.Context, ds []Delivery) (Changes, error) {
	k, err := c.storeKey()
	if err != nil {
		return Changes{}, err
	}
	var items []opened
	var acks []uint64
	typing := false // who types changed
	groups := map[string]*GroupInfo{}
	for _, d := range ds {
		if d.Seq != 0 {
			acks = append(acks, d.Seq)
		}
		o, err := c.open(ctx, d, groups)
		if err != nil {
			// Undecryptable, forged or from someone unreachable: acknowledge
			// and drop, so it does not come back.
			c.log.Warn("dropped envelope", "seq", d.Seq, "err", err)
			continue
		}
		if c.typedOrSent(ctx, o) {
			typing = true
		}
		if o.typ == crypto.TypeTyping {
			continue // kept in memory only (typing.go)
		}
		items = append(items, o)
	}
	var ch Changes
	var receipts map[receiptTo][]crypto.MessageID
	txAcker, _ := c.relay.(TxAcker)
	if len(items) > 0 {
		err = c.store.Update(ctx, func(tx Tx) error {
			ch = Changes{}
			receipts = map[receiptTo][]crypto.MessageID{}
			for _, o := range items {
				if err := c.apply(tx, k, o, &ch, receipts); err != nil {
					return err
				}
			}
			if txAcker != nil && len(acks) > 0 {
				return txAcker.AckInTx(ctx, tx, acks)
			}
			return nil
		})
		if err != nil {
			return Changes{}, fmt.Errorf("store messages: %w", err)
		}
		if txAcker != nil {
			acks = nil // acknowledged with the messages
		}
	}
	if len(acks) > 0 {
		if _, err := c.relay.Ack(ctx, acks); err != nil {
			return ch, fmt.Errorf("acknowledge: %w", err)
		}
	}
	for to, ids := range receipts {
		if err := c.sendReceipt(ctx, to, crypto.ReceiptReceived, ids); err != nil {
			c.log.Warn("delivery receipt not sent", "err", err)
		}
	}
	if typing {
		ch.Typing = c.typingSnapshot()
	}
	if ch.groupsChanged {
		if err := c.refreshGroups(ctx, &ch); err != nil {
			c.log.Warn("groups not refreshed", "err", err)
		}
	}
	return ch, nil
}

// open checks and decrypts one delivery. A group message must come from a
// member of a group the user is in (groups caches the lookups of one batch).
func (c *Core) open(ctx context.Context, d Delivery, groups map[string]*GroupInfo) (opened, error) {
	env, err := crypto.ParseEnvelope(d.Envelope)
	if err != nil {
		return opened{}, err
	}
	if env.Recipient != c.me.ID {
		return opened{}, errors.New("envelope for another recipient")
	}
	if env.Sender == c.me.ID {
		return c.openReflect(ctx, d, env, groups)
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
	o := opened{d: d, env: env, from: from, typ: typ, body: body}
	if !crypto.IsGroupType(typ) {
		return o, nil
	}
	h, inner, err := crypto.ParseGroup(body)
	if err != nil {
		return opened{}, err
	}
	g, ok := groups[h.Key]
	if !ok {
		g = c.lookupGroup(ctx, h.Key)
		groups[h.Key] = g
	}
	if base, ok := crypto.BaseType(typ); ok {
		if g == nil || !slices.Contains(g.Members, from.ID) {
			return opened{}, fmt.Errorf("group message from %s, not a member of a group of yours", from.ID)
		}
		o.typ, o.body, o.group = base, inner, g
		return o, nil
	}
	// A control message (members changed, renamed, left): the registry
	// says what is true; the message only says to look.
	o.groupCtl, o.body = typ, inner
	o.group = g
	if g == nil {
		o.group = &GroupInfo{Key: h.Key}
	}
	return o, nil
}

// apply writes one opened envelope. Duplicates (the same message seen by
// another session, or replayed) change nothing; malformed bodies are
// dropped.
func (c *Core) apply(tx Tx, k *crypto.StoreKey, o opened, ch *Changes, receipts map[receiptTo][]crypto.MessageID) error {
	m := Message{Conv: Direct(o.from.ID), From: o.from.ID, ID: o.env.MessageID, SentAt: o.env.Time,
		State: StateReceived, Alarm: o.env.Flags&crypto.FlagAlarm != 0}
	if o.group != nil {
		m.Conv = GroupConv(o.group.Key)
	}
	if o.groupCtl != 0 {
		ch.groupsChanged = true
		return nil
	}
	if o.reflected != nil {
		return c.applyReflect(tx, k, o, ch)
	}
	switch o.typ {
	case crypto.TypeText, crypto.TypeLocation, crypto.TypeFile:
		if !c.content(tx, k, o, &m) {
			return nil // malformed: dropped, not fatal
		}
	case crypto.TypeDeliveryReceipt:
		return c.applyReceipt(tx, k, o, m.Conv, ch)
	case crypto.TypeEdit, crypto.TypeDelete:
		return c.applyChange(tx, k, o, m.Conv, ch)
	case crypto.TypePollSetup:
		isNew, err := c.applyPollSetup(tx, k, o, &m, ch)
		if err != nil || !isNew {
			return err
		}
	case crypto.TypePollVote:
		return c.applyPollVote(tx, k, o, m.Conv, ch)
	case crypto.TypeReaction:
		r, err := crypto.ParseReaction(o.body)
		if err != nil {
			return nil //nolint:nilerr // malformed reaction is dropped
		}
		return c.applyReaction(tx, k, o, m.Conv, r, ch)
	default:
		return nil // a type this client does not show
	}
	return c.storeIncoming(tx, k, o, m, ch, receipts)
}

// content fills m from a text, location or file message; false for a
// malformed body.
func (c *Core) content(tx Tx, k *crypto.StoreKey, o opened, m *Message) bool {
	switch o.typ {
	case crypto.TypeText:
		text, err := crypto.TextBody(string(o.body))
		if err != nil {
			return false
		}
		m.Kind, m.Text = KindText, string(text)
		if id, body, ok := crypto.ParseQuoteText(m.Text); ok {
			m.Text = body
			m.ReplyTo = &id
			if q, err := c.quoteTx(tx, k, m.Conv, id); err == nil {
				m.Quote = q
			}
		}
	case crypto.TypeLocation:
		loc, err := crypto.ParseLocation(o.body)
		if err != nil {
			return false
		}
		m.Kind, m.Location, m.Text = KindLocation, &loc, loc.Label
	case crypto.TypeFile:
		f, err := crypto.ParseFileMessage(o.body)
		if err != nil {
			return false
		}
		m.Kind, m.Text = KindFile, f.Name
		m.File = &FileInfo{Blob: f.Blob, Key: f.Key, Name: f.Name, Mime: f.Mime, Caption: f.Caption, Size: f.Size}
	default:
		return false
	}
	return true
}

// storeIncoming writes a new incoming message unless it was seen before,
// counts it unread and lists it for notifications.
func (c *Core) storeIncoming(tx Tx, k *crypto.StoreKey, o opened, m Message, ch *Changes, receipts map[receiptTo][]crypto.MessageID) error {
	nk := nonceKey(k, o.env.Nonce)
	if seen, err := tx.Space(spaceNonce).Get(nk); err != nil {
		return err
	} else if seen != nil {
		return nil // replay, or already processed by another session
	}
	to := receiptTo{peer: o.from.ID}
	if o.group != nil {
		to.group = o.group.Key
	}
	if _, dup, err := c.getMessageByRef(tx, k, m.Conv, false, m.ID); err != nil {
		return err
	} else if dup != nil {
		// Sent again after an interrupted send: keep one copy, and
		// confirm it again, since the first confirmation may be what was lost.
		if err := tx.Space(spaceNonce).Put(nk, []byte{1}); err != nil {
			return err
		}
		receipts[to] = append(receipts[to], m.ID)
		return nil
	}
	m.Time = o.d.Received.UTC()
	conv, err := c.getConv(tx, k, m.Conv)
	if err != nil {
		return err
	}
	// In order (the usual case): nothing to scan. Out of order, or a
	// conversation from before LastSent was kept: place it.
	if last, ok := conv.LastSent[m.From]; !ok || !m.SentAt.After(last) {
		if err := c.placeBySender(tx, k, &m); err != nil {
			return err
		}
	}
	if conv.LastSent == nil {
		conv.LastSent = map[crypto.ID]time.Time{}
	}
	if m.SentAt.After(conv.LastSent[m.From]) {
		conv.LastSent[m.From] = m.SentAt
	}
	switch {
	case m.Conv.Kind == ConvDirect:
		conv.Name = o.from.Name
	case o.group != nil:
		o.group.fill(&conv)
	}
	if !m.Time.Before(conv.LastAt) {
		conv.Preview = previewOf(&m)
	}
	conv.LastAt = later(conv.LastAt, m.Time)
	conv.Unread++
	if err := c.putMessage(tx, k, &m, &conv); err != nil {
		return err
	}
	if err := tx.Space(spaceNonce).Put(nk, []byte{1}); err != nil {
		return err
	}
	ch.Updated = append(ch.Updated, m)
	// A hidden chat raises no notification while concealed: its sender's
	// name would give it away.
	if o.env.Flags&crypto.FlagSilent == 0 && (!conv.Hidden || c.Revealed()) {
		ch.Incoming = append(ch.Incoming, m)
	}
	receipts[to] = append(receipts[to], m.ID)
	return nil
}

// senderScan bounds how far back placeBySender looks for the sender's
// earlier messages.
const senderScan = 256

// placeBySender keeps one sender's messages in the order they were sent
// (by the sender's stamp), whatever order they arrive in: a message that
// arrives after a later one of the same sender goes between the sender's
// previous message and the earliest later one, at the point the sender's
// stamps give it (so that hundreds arriving oldest first into one gap, as
// after a reconnect, each find room). Messages of different senders stay
// in about the order they arrived.
func (c *Core) placeBySender(tx Tx, k *crypto.StoreKey, m *Message) error {
	ct := c.convTag(k, m.Conv)
	var next, prev Message // the sender's earliest later message, and the one before m
	var found, havePrev bool
	n := 0
	var ierr error
	err := tx.Space(spaceMsg).Scan(ct[:], nil, true, func(key, v []byte) bool {
		o, err := openCached(&c.decodedMsgs, k, spaceMsg, key, v)
		if ierr = err; ierr != nil {
			return false
		}
		if o.From == m.From && !o.Outgoing {
			if !o.SentAt.After(m.SentAt) {
				prev, havePrev = o, true
				return false // the sender's previous message: m goes after it
			}
			next, found = o, true // sent after m: m goes before it
		}
		n++
		return n < senderScan
	})
	if err != nil {
		return err
	}
	if ierr != nil {
		return ierr
	}
	if !found {
		return nil
	}
	if !havePrev {
		m.Time = next.Time.Add(-max(next.SentAt.Sub(m.SentAt), time.Nanosecond))
		return nil
	}
	m.Time = between(prev, next, m.SentAt)
	return nil
}

// between is the time to store a message stamped sent between prev and
// next, two of its sender's messages: strictly between their times, at
// the fraction of the way the stamps give.
func between(prev, next Message, sent time.Time) time.Time {
	span, stamps := next.Time.Sub(prev.Time), next.SentAt.Sub(prev.SentAt)
	if span <= 1 {
		// No room (times of an older placement): just before next. The
		// key's message ID decides between equal times.
		return next.Time.Add(-time.Nanosecond)
	}
	at := span / 2
	if stamps > 0 {
		at = time.Duration(float64(span) * float64(sent.Sub(prev.SentAt)) / float64(stamps))
	}
	return prev.Time.Add(min(max(at, 1), span-1))
}

// quoteTx is quote inside a transaction; an unknown message quotes nothing.
func (c *Core) quoteTx(tx Tx, k *crypto.StoreKey, ref ConvRef, id crypto.MessageID) (string, error) {
	for _, out := range []bool{false, true} {
		_, m, err := c.getMessageByRef(tx, k, ref, out, id)
		if err != nil {
			return "", err
		}
		if m != nil {
			return previewOf(m), nil
		}
	}
	return "", ErrNoMessage
}

// applyReceipt moves outgoing messages to delivered or read; for a group
// message it records the member's state, and the message is delivered
// (read) once every member got (read) it.
func (c *Core) applyReceipt(tx Tx, k *crypto.StoreKey, o opened, ref ConvRef, ch *Changes) error {
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
	case crypto.ReceiptAgree, crypto.ReceiptDisagree:
		// Threema's older form of agree/disagree, for 1:1 messages.
		for _, id := range r.Messages {
			err := c.applyReaction(tx, k, o, ref, crypto.Reaction{Message: id, Agree: r.Status == crypto.ReceiptAgree}, ch)
			if err != nil {
				return err
			}
		}
		return nil
	default:
		return nil
	}
	for _, id := range r.Messages {
		key, m, err := c.getMessageByRef(tx, k, ref, true, id)
		if err != nil {
			return err
		}
		if m == nil {
			continue
		}
		state := next
		if ref.Kind == ConvGroup {
			cur, member := m.Recipients[o.from.ID]
			if !member || cur >= next {
				continue
			}
			m.Recipients[o.from.ID] = next
			state = StateRead // the message's own state: the least of its members'
			for _, st := range m.Recipients {
				state = min(state, st)
			}
		} else if m.State >= next {
			continue
		}
		m.State = max(m.State, state)
		if err := c.rewriteMessage(tx, k, key, m); err != nil {
			return err
		}
		ch.Updated = append(ch.Updated, *m)
	}
	return nil
}
