package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Conversations lists the user's conversations, most recent first.
func (c *Core) Conversations(ctx context.Context) ([]Conversation, error) {
	k, err := c.storeKey()
	if err != nil {
		return nil, err
	}
	revealed := c.Revealed()
	var out []Conversation
	err = c.store.View(ctx, func(tx Tx) error {
		out = out[:0]
		var ierr error
		err := tx.Space(spaceConv).Scan(nil, nil, false, func(key, v []byte) bool {
			conv, err := openCached(&c.decodedConvs, k, spaceConv, key, v)
			if ierr = err; ierr != nil {
				return false
			}
			if !conv.Hidden || revealed {
				out = append(out, conv)
			}
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
	slices.SortFunc(out, CompareConversations)
	return out, nil
}

// CompareConversations is the order of Conversations: the most recent
// first, then by reference.
func CompareConversations(a, b Conversation) int {
	if c := b.LastAt.Compare(a.LastAt); c != 0 {
		return c
	}
	return strings.Compare(a.Ref.String(), b.Ref.String())
}

// OutgoingPreview is the preview a conversation shows after the user sent
// m in it.
func OutgoingPreview(m *Message) string { return "You: " + previewOf(m) }

// Page is a slice of a conversation, oldest first.
type Page struct {
	Messages []Message
	// Older is the cursor for the page before this one; nil at the start.
	Older []byte
}

// Messages returns up to limit messages of the conversation that come
// before the cursor (nil: the newest), oldest first. A hidden conversation
// shows nothing while hidden chats are concealed.
func (c *Core) Messages(ctx context.Context, ref ConvRef, before []byte, limit int) (Page, error) {
	k, err := c.storeKey()
	if err != nil {
		return Page{}, err
	}
	if limit <= 0 {
		limit = 100
	}
	ct := c.convTag(k, ref)
	revealed := c.Revealed()
	var page Page
	err = c.store.View(ctx, func(tx Tx) error {
		page = Page{}
		if !revealed {
			conv, err := c.getConv(tx, k, ref)
			if err != nil || conv.Hidden {
				return err
			}
		}
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
			m, err := openCached(&c.decodedMsgs, k, spaceMsg, key, v)
			if ierr = err; ierr != nil {
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

// SendOptions are the options of SendWith.
type SendOptions struct {
	// ReplyTo quotes an earlier message of the conversation.
	ReplyTo *crypto.MessageID
	// Alarm sends an alarm: it notifies even in quiet hours (the server
	// accepts it only from users its policy allows to send alarms).
	Alarm bool
}

// Send encrypts text for the conversation and hands it to the relay. The
// message is in the user's history from the start, in state pending, then
// sent or failed.
func (c *Core) Send(ctx context.Context, ref ConvRef, text string) (Message, error) {
	return c.SendWith(ctx, ref, text, SendOptions{})
}

// SendWith is Send with options: a reply, an alarm.
func (c *Core) SendWith(ctx context.Context, ref ConvRef, text string, o SendOptions) (Message, error) {
	if _, err := crypto.TextBody(text); err != nil {
		return Message{}, err
	}
	m := Message{Kind: KindText, Text: text, Alarm: o.Alarm}
	wire := []byte(text)
	if o.ReplyTo != nil {
		quote, err := c.quote(ctx, ref, *o.ReplyTo)
		if err != nil {
			return Message{}, err
		}
		id := *o.ReplyTo
		m.ReplyTo, m.Quote = &id, quote
		wire = crypto.MarshalQuoteText(id, text)
	}
	return c.sendContent(ctx, ref, crypto.TypeText, wire, m)
}

// quote returns the preview of the message id in the conversation, for a
// reply; the message must exist.
func (c *Core) quote(ctx context.Context, ref ConvRef, id crypto.MessageID) (string, error) {
	k, err := c.storeKey()
	if err != nil {
		return "", err
	}
	var q string
	err = c.store.View(ctx, func(tx Tx) error {
		for _, out := range []bool{false, true} {
			_, m, err := c.getMessageByRef(tx, k, ref, out, id)
			if err != nil {
				return err
			}
			if m != nil {
				q = preview(m.Text)
				return nil
			}
		}
		return ErrNoMessage
	})
	return q, err
}

// ErrNoMessage says a message to reply to, edit or vote on is not in the
// conversation.
var ErrNoMessage = errors.New("no such message in this conversation")

// sendContent seals a message of the 1:1 type typ with body for every
// recipient of the conversation and hands the envelopes to the relay; m
// (kind, text, attachment, …) goes into the user's history, pending, then
// sent or failed. A group message is wrapped with the group's key and
// sealed once per member; a list sends separate 1:1 messages, each also
// kept in its 1:1 conversation.
func (c *Core) sendContent(ctx context.Context, ref ConvRef, typ crypto.MessageType, body []byte, m Message) (Message, error) {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	switch ref.Kind {
	case ConvDirect:
		return c.sendDirect(ctx, ref.Peer, typ, body, m)
	case ConvList:
		return c.sendList(ctx, ref, typ, body, m)
	case ConvGroup:
		return c.sendGroup(ctx, ref, typ, body, m)
	}
	return Message{}, fmt.Errorf("conversation %q: %w", ref.String(), crypto.ErrMalformed)
}

// sendTime stamps a new outgoing message: now, at the envelope's
// millisecond precision, and always at least a millisecond after the
// previous send of this device, so that the sender's order survives a
// clock that stands still or steps back. The caller holds sendMu.
func (c *Core) sendTime() time.Time {
	t := c.now().UTC().Truncate(time.Millisecond)
	if !t.After(c.lastSend) {
		t = c.lastSend.Add(time.Millisecond)
	}
	c.lastSend = t
	return t
}

// flags are the envelope flags of an outgoing message.
func (m Message) flags() byte {
	if m.Alarm {
		return crypto.FlagAlarm
	}
	return 0
}

func (c *Core) sendDirect(ctx context.Context, peer crypto.ID, typ crypto.MessageType, body []byte, m Message) (Message, error) {
	if peer == c.me.ID {
		return Message{}, ErrSelf
	}
	k, err := c.storeKey()
	if err != nil {
		return Message{}, err
	}
	c.flushQueued(ctx, k)
	// Offline, the message is kept pending without an envelope: it is
	// sealed when it is sent (resend), with the key the server gives then.
	ct, err := c.Contact(ctx, peer)
	offline := errors.Is(err, ErrOffline)
	if err != nil && !offline {
		return Message{}, err
	}
	if !ct.ServerKey.IsZero() {
		return Message{}, fmt.Errorf("%s: %w", shownName(ct), ErrKeyMismatch)
	}
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return Message{}, err
	}
	var env []byte
	now := c.sendTime()
	if !offline {
		shared, err := c.sharedKey(ct)
		if err != nil {
			return Message{}, err
		}
		e, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: m.flags(), Sender: c.me.ID, Recipient: peer, MessageID: mid, Time: now},
			shared, typ, body)
		if err != nil {
			return Message{}, err
		}
		env = e.Marshal()
	}
	m.Conv, m.From, m.ID, m.Outgoing, m.Time, m.SentAt, m.State = Direct(peer), c.me.ID, mid, true, now, now, StatePending
	if err := c.storeOutgoing(ctx, k, &m, ct.Name); err != nil {
		return Message{}, err
	}
	if offline {
		c.queued = true
		return m, nil
	}
	_, sendErr := c.relay.Send(ctx, env)
	if errors.Is(sendErr, ErrOffline) {
		c.queued = true
		return m, nil
	}
	return c.settle(ctx, k, m, sendErr)
}

// storeOutgoing writes a new outgoing message and its conversation summary.
func (c *Core) storeOutgoing(ctx context.Context, k *crypto.StoreKey, m *Message, name string) error {
	err := c.store.Update(ctx, func(tx Tx) error {
		conv, err := c.getConv(tx, k, m.Conv)
		if err != nil {
			return err
		}
		if name != "" {
			conv.Name = name
		}
		conv.LastAt = later(conv.LastAt, m.Time)
		conv.Preview = OutgoingPreview(m)
		if m.State == StatePending {
			if err := tx.Space(spaceOutbox).Put(msgKey(c.convTag(k, m.Conv), m), []byte{1}); err != nil {
				return err
			}
		}
		return c.putMessage(tx, k, m, &conv)
	})
	if err != nil {
		return fmt.Errorf("save message: %w", err)
	}
	return nil
}

// settle records the relay's answer to an outgoing message: sent, or
// failed with the reason.
func (c *Core) settle(ctx context.Context, k *crypto.StoreKey, m Message, sendErr error) (Message, error) {
	next, errText := StateSent, ""
	if sendErr != nil {
		next, errText = StateFailed, sendErr.Error()
	}
	err := c.store.Update(ctx, func(tx Tx) error {
		key, cur, err := c.getMessageByRef(tx, k, m.Conv, true, m.ID)
		if err != nil || cur == nil {
			return err
		}
		if err := tx.Space(spaceOutbox).Delete(key); err != nil {
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
	c.reflectMessage(ctx, m)
	return m, nil
}

// sendList sends m to every member of a distribution list as a separate
// 1:1 message, and keeps a copy in the list's own conversation. It reports
// the first failure; the members it reached keep their message.
func (c *Core) sendList(ctx context.Context, ref ConvRef, typ crypto.MessageType, body []byte, m Message) (Message, error) {
	k, err := c.storeKey()
	if err != nil {
		return Message{}, err
	}
	var conv Conversation
	err = c.store.View(ctx, func(tx Tx) error {
		var err error
		conv, err = c.getConv(tx, k, ref)
		return err
	})
	if err != nil {
		return Message{}, fmt.Errorf("read list: %w", err)
	}
	if conv.LastAt.IsZero() && len(conv.Members) == 0 {
		return Message{}, ErrNoList
	}
	var errs []error
	sent := 0
	for _, id := range conv.Members {
		if _, err := c.sendDirect(ctx, id, typ, body, m); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		sent++
	}
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return Message{}, err
	}
	now := c.sendTime()
	m.Conv, m.From, m.ID, m.Outgoing, m.Time, m.SentAt = ref, c.me.ID, mid, true, now, now
	m.State = StateSent
	if sent == 0 {
		m.State = StateFailed
	}
	if err := errors.Join(errs...); err != nil {
		m.Error = err.Error()
	}
	if err := c.storeOutgoing(ctx, k, &m, ""); err != nil {
		return Message{}, err
	}
	if len(errs) > 0 {
		return m, fmt.Errorf("sent to %d of %d: %w", sent, len(conv.Members), errors.Join(errs...))
	}
	return m, nil
}

// ErrNoList says a distribution list does not exist.
var ErrNoList = errors.New("no such distribution list")

// BatchRelay is a relay that takes the envelopes of one message to several
// recipients at once (a group message), in one commit.
type BatchRelay interface {
	// SendBatch stores envelopes of one message; errs has one slot per
	// envelope (nil: stored), err is for a batch refused as a whole.
	SendBatch(ctx context.Context, envs [][]byte) (sent []Sent, errs []error, err error)
}

// sendGroup seals m once per member of the group and sends the envelopes
// in one batch. Members who could not be reached are named in m.Error.
func (c *Core) sendGroup(ctx context.Context, ref ConvRef, typ crypto.MessageType, body []byte, m Message) (Message, error) {
	if c.groups == nil {
		return Message{}, ErrNoGroups
	}
	gtyp, ok := crypto.GroupType(typ)
	if !ok {
		return Message{}, fmt.Errorf("message type %#x has no group form: %w", byte(typ), crypto.ErrMalformed)
	}
	k, err := c.storeKey()
	if err != nil {
		return Message{}, err
	}
	g, err := c.groups.Group(ctx, ref.Group)
	if err != nil {
		return Message{}, err
	}
	inner, err := crypto.MarshalGroup(crypto.GroupHeader{Key: g.Key}, body)
	if err != nil {
		return Message{}, err
	}
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return Message{}, err
	}
	now := c.sendTime()
	var envs [][]byte
	var to []crypto.ID
	m.Recipients = map[crypto.ID]State{}
	for _, id := range g.Members {
		if id == c.me.ID {
			continue
		}
		ct, err := c.Contact(ctx, id)
		if err != nil {
			return Message{}, fmt.Errorf("member %s: %w", id, err)
		}
		shared, err := c.sharedKey(ct)
		if err != nil {
			return Message{}, err
		}
		env, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: m.flags(), Sender: c.me.ID, Recipient: id,
			MessageID: mid, Time: now}, shared, gtyp, inner)
		if err != nil {
			return Message{}, err
		}
		envs = append(envs, env.Marshal())
		to = append(to, id)
		m.Recipients[id] = StateSent
	}
	m.Conv, m.From, m.ID, m.Outgoing, m.Time, m.SentAt, m.State = ref, c.me.ID, mid, true, now, now, StatePending
	if err := c.storeOutgoing(ctx, k, &m, g.Name); err != nil {
		return Message{}, err
	}
	errs, sendErr := c.sendEnvelopes(ctx, envs)
	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, to[i].String())
			delete(m.Recipients, to[i])
		}
	}
	if sendErr == nil && len(envs) > 0 && len(failed) == len(envs) {
		sendErr = fmt.Errorf("no member could be reached: %w", errors.Join(errs...))
	}
	m, err = c.settle(ctx, k, m, sendErr)
	if err == nil && len(failed) > 0 {
		err = fmt.Errorf("not delivered to %s: %w", strings.Join(failed, ", "), errors.Join(errs...))
	}
	return m, err
}

// sendEnvelopes hands the envelopes of one message to the relay: in one
// batch when it takes batches, else one by one.
func (c *Core) sendEnvelopes(ctx context.Context, envs [][]byte) ([]error, error) {
	if b, ok := c.relay.(BatchRelay); ok {
		_, errs, err := b.SendBatch(ctx, envs)
		if err == nil && len(errs) != len(envs) {
			err = fmt.Errorf("relay answered %d of %d envelopes", len(errs), len(envs))
		}
		return errs, err
	}
	errs := make([]error, len(envs))
	for i, env := range envs {
		_, errs[i] = c.relay.Send(ctx, env)
	}
	return errs, nil
}

// MarkRead marks the conversation read and, for incoming messages not yet
// acknowledged as read, sends read receipts to their senders (unless the
// user turned read receipts off). The scan for unread messages runs in a
// read transaction; the write only touches what it found.
func (c *Core) MarkRead(ctx context.Context, ref ConvRef) (bool, error) {
	k, err := c.storeKey()
	if err != nil {
		return false, err
	}
	ct := c.convTag(k, ref)
	var keys [][]byte
	var unread int
	err = c.store.View(ctx, func(tx Tx) error {
		keys = keys[:0]
		conv, err := c.getConv(tx, k, ref)
		if err != nil {
			return err
		}
		unread = conv.Unread
		var ierr error
		scanned := 0
		err = tx.Space(spaceMsg).Scan(ct[:], nil, true, func(key, v []byte) bool {
			scanned++
			m, err := openCached(&c.decodedMsgs, k, spaceMsg, key, v)
			if ierr = err; ierr != nil {
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
	ids := map[receiptTo][]crypto.MessageID{}
	err = c.store.Update(ctx, func(tx Tx) error {
		clear(ids)
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
			to := receiptTo{peer: m.From}
			if ref.Kind == ConvGroup {
				to.group = ref.Group
			}
			ids[to] = append(ids[to], m.ID)
		}
		conv, err := c.getConv(tx, k, ref)
		if err != nil || conv.LastAt.IsZero() || conv.Unread == 0 {
			return err
		}
		conv.Unread = 0
		return c.putConv(tx, k, &conv)
	})
	if err != nil {
		return false, fmt.Errorf("mark read: %w", err)
	}
	for _, list := range ids {
		c.reflectRead(ctx, ref, list) // this device's reading counts on the others
	}
	if !c.readReceiptsOn(ctx) {
		return true, nil
	}
	for to, list := range ids {
		if to.peer.IsZero() {
			continue
		}
		if err := c.sendReceipt(ctx, to, crypto.ReceiptRead, list); err != nil {
			c.log.Warn("read receipt not sent", "err", err)
		}
	}
	return true, nil
}

// sendReceipt sends one receipt envelope per 1000 message IDs; receipts
// for group messages go to their sender only, wrapped with the group's key.
func (c *Core) sendReceipt(ctx context.Context, to receiptTo, status byte, ids []crypto.MessageID) error {
	peer := to.peer
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
		typ := crypto.TypeDeliveryReceipt
		if to.group != "" {
			if body, err = crypto.MarshalGroup(crypto.GroupHeader{Key: to.group}, body); err != nil {
				return err
			}
			typ = crypto.TypeGroupReceipt
		}
		mid, err := crypto.NewMessageID(c.rand)
		if err != nil {
			return err
		}
		env, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: crypto.FlagSilent, Sender: c.me.ID, Recipient: peer,
			MessageID: mid, Time: c.now()}, shared, typ, body)
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
