package core

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/parley-chat/parley/crypto"
)

// Device-store spaces; see the package doc.
const (
	spaceConv  = "conv"
	spaceMsg   = "msg"
	spaceRef   = "ref"
	spaceNonce = "nonce"
)

// recordVersion prefixes every sealed record's plaintext.
const recordVersion = 1

func (c *Core) convTag(k *crypto.StoreKey, ref ConvRef) crypto.Tag {
	return k.Tag([]byte("conv"), ref.tagBytes())
}

func dirByte(out bool) byte {
	if out {
		return 1
	}
	return 0
}

func msgKey(conv crypto.Tag, m *Message) []byte {
	k := make([]byte, 0, crypto.TagSize+8+1+crypto.MessageIDLen)
	k = append(k, conv[:]...)
	k = binary.BigEndian.AppendUint64(k, uint64(m.Time.UnixNano()))
	k = append(k, dirByte(m.Outgoing))
	return append(k, m.ID[:]...)
}

// CompareStored is the order of a conversation's history, as Messages
// returns it (msgKey): by time, then incoming before outgoing, then by ID.
func CompareStored(a, b *Message) int {
	if c := cmp.Compare(a.Time.UnixNano(), b.Time.UnixNano()); c != 0 {
		return c
	}
	if c := cmp.Compare(dirByte(a.Outgoing), dirByte(b.Outgoing)); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

func refKey(k *crypto.StoreKey, ref ConvRef, out bool, id crypto.MessageID) []byte {
	t := k.Tag([]byte("ref"), ref.tagBytes(), []byte{dirByte(out)}, id[:])
	return t[:]
}

func nonceKey(k *crypto.StoreKey, nonce [crypto.NonceSize]byte) []byte {
	t := k.Tag([]byte("nonce"), nonce[:])
	return t[:]
}

func ad(space string, key []byte) []byte {
	return append(append([]byte(space), 0), key...)
}

func (c *Core) seal(k *crypto.StoreKey, space string, key []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s record: %w", space, err)
	}
	return k.Seal(c.rand, append([]byte{recordVersion}, b...), ad(space, key))
}

func open(k *crypto.StoreKey, space string, key, sealed []byte, v any) error {
	b, err := k.Open(sealed, ad(space, key))
	if err != nil {
		return fmt.Errorf("open %s record: %w", space, err)
	}
	if len(b) < 1 || b[0] != recordVersion {
		return fmt.Errorf("%s record version: %w", space, crypto.ErrMalformed)
	}
	if err := json.Unmarshal(b[1:], v); err != nil {
		return fmt.Errorf("decode %s record: %w", space, err)
	}
	return nil
}

// putMessage writes m, its reference and the conversation summary.
func (c *Core) putMessage(tx Tx, k *crypto.StoreKey, m *Message, conv *Conversation) error {
	ct := c.convTag(k, m.Conv)
	key := msgKey(ct, m)
	v, err := c.seal(k, spaceMsg, key, m)
	if err != nil {
		return err
	}
	if err := tx.Space(spaceMsg).Put(key, v); err != nil {
		return err
	}
	c.decodedMsgs.put(key, v, m)
	if err := tx.Space(spaceRef).Put(refKey(k, m.Conv, m.Outgoing, m.ID), key); err != nil {
		return err
	}
	if m.Poll != nil {
		if err := tx.Space(spaceRef).Put(pollKey(k, m.Poll.Creator, m.Poll.ID), key); err != nil {
			return err
		}
	}
	return c.putConv(tx, k, conv)
}

func (c *Core) putConv(tx Tx, k *crypto.StoreKey, conv *Conversation) error {
	ct := c.convTag(k, conv.Ref)
	v, err := c.seal(k, spaceConv, ct[:], conv)
	if err != nil {
		return err
	}
	if err := tx.Space(spaceConv).Put(ct[:], v); err != nil {
		return err
	}
	// What was just sealed is known: the next read needs no decoding (an
	// entry for a write that rolls back is never matched: its nonce is new).
	c.decodedConvs.put(ct[:], v, conv)
	return nil
}

// getConv reads a conversation summary; a missing one starts empty.
func (c *Core) getConv(tx Tx, k *crypto.StoreKey, ref ConvRef) (Conversation, error) {
	ct := c.convTag(k, ref)
	b, err := tx.Space(spaceConv).Get(ct[:])
	if err != nil || b == nil {
		return Conversation{Ref: ref}, err
	}
	conv, err := openCached(&c.decodedConvs, k, spaceConv, ct[:], b)
	if err != nil {
		return Conversation{}, err
	}
	return conv, nil
}

// getMessageByRef finds a message by conversation, direction and ID.
func (c *Core) getMessageByRef(tx Tx, k *crypto.StoreKey, ref ConvRef, out bool, id crypto.MessageID) ([]byte, *Message, error) {
	key, err := tx.Space(spaceRef).Get(refKey(k, ref, out, id))
	if err != nil || key == nil {
		return nil, nil, err
	}
	b, err := tx.Space(spaceMsg).Get(key)
	if err != nil || b == nil {
		return nil, nil, err
	}
	m, err := openCached(&c.decodedMsgs, k, spaceMsg, key, b)
	if err != nil {
		return nil, nil, err
	}
	return key, &m, nil
}

func (c *Core) rewriteMessage(tx Tx, k *crypto.StoreKey, key []byte, m *Message) error {
	v, err := c.seal(k, spaceMsg, key, m)
	if err != nil {
		return err
	}
	if err := tx.Space(spaceMsg).Put(key, v); err != nil {
		return err
	}
	c.decodedMsgs.put(key, v, m)
	return nil
}

func preview(text string) string {
	r := []rune(text)
	for i, c := range r {
		if c == '\n' || c == '\r' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > 60 {
		r = append(r[:59], '…')
	}
	return string(r)
}

// previewOf is the one-line preview of a message in the conversation list.
func previewOf(m *Message) string {
	switch {
	case m.Deleted:
		return "(deleted)"
	case m.Kind == KindFile && m.File != nil:
		return "📎 " + preview(m.File.Name)
	case m.Kind == KindLocation && m.Location != nil:
		return "📍 " + preview(m.Location.Label)
	case m.Kind == KindPoll && m.Poll != nil:
		return "📊 " + preview(m.Poll.Question)
	}
	return preview(m.Text)
}

// findConv reads a conversation summary and reports whether it exists.
func (c *Core) findConv(tx Tx, k *crypto.StoreKey, ref ConvRef) (Conversation, bool, error) {
	ct := c.convTag(k, ref)
	b, err := tx.Space(spaceConv).Get(ct[:])
	if err != nil || b == nil {
		return Conversation{Ref: ref}, false, err
	}
	var conv Conversation
	if err := open(k, spaceConv, ct[:], b, &conv); err != nil {
		return Conversation{}, false, err
	}
	return conv, true, nil
}
