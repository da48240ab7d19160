package core

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// LastMessage is what the chat list shows of a conversation's newest
// message: who wrote it, a one-line preview and when.
type LastMessage struct {
	From     crypto.ID
	Outgoing bool
	// System says the message is an event of the conversation (members,
	// name), which has no sender to show.
	System bool
	// Preview is one line of the text, at most 60 characters; it is the
	// sender's text, not yet made safe for a terminal.
	Preview string
	Time    time.Time
}

// LastMessages reads the newest message of each conversation named, one
// record per conversation, so the chat list can show previews without
// reading whole histories. Hidden conversations never have a preview,
// revealed or not: they are left out, like conversations without messages.
func (c *Core) LastMessages(ctx context.Context, refs []ConvRef) (map[ConvRef]LastMessage, error) {
	k, err := c.storeKey()
	if err != nil {
		return nil, err
	}
	out := make(map[ConvRef]LastMessage, len(refs))
	err = c.store.View(ctx, func(tx Tx) error {
		clear(out)
		for _, ref := range refs {
			conv, err := c.getConv(tx, k, ref)
			if err != nil {
				return err
			}
			if conv.Hidden {
				continue
			}
			m, ok, err := c.newest(tx, k, ref)
			if err != nil {
				return err
			}
			if ok {
				out[ref] = lastOf(&m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read last messages: %w", err)
	}
	return out, nil
}

// newest reads the newest message of a conversation; ok is false when it
// has none.
func (c *Core) newest(tx Tx, k *crypto.StoreKey, ref ConvRef) (m Message, ok bool, err error) {
	ct := c.convTag(k, ref)
	var ierr error
	err = tx.Space(spaceMsg).Scan(ct[:], nil, true, func(key, v []byte) bool {
		m, ierr = openCached(&c.decodedMsgs, k, spaceMsg, key, v)
		ok = ierr == nil
		return false
	})
	if err == nil {
		err = ierr
	}
	return m, ok && err == nil, err
}

// lastOf is the chat list's summary of m.
func lastOf(m *Message) LastMessage {
	l := LastMessage{From: m.From, Outgoing: m.Outgoing, System: m.Kind == KindSystem, Preview: previewOf(m), Time: m.Time}
	if m.DeletedHere {
		l.Preview = "(deleted)"
	}
	return l
}
