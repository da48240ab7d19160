package core

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/crypto"
)

// Distribution lists live in the user's device store only: the server sees
// separate 1:1 messages.

// MaxListMembers bounds a distribution list.
const MaxListMembers = 1250

// ErrAmbiguous says more than one conversation has the name asked for.
var ErrAmbiguous = errors.New("more than one conversation has that name")

// CreateList creates a distribution list: a message to it goes to every
// member as a separate 1:1 message. Every member must be reachable now.
func (c *Core) CreateList(ctx context.Context, name string, members []crypto.ID) (Conversation, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
		return Conversation{}, fmt.Errorf("list name: 1 to 100 characters: %w", crypto.ErrMalformed)
	}
	if len(members) == 0 {
		return Conversation{}, errors.New("a list needs at least one member")
	}
	if len(members) > MaxListMembers {
		return Conversation{}, fmt.Errorf("a list has at most %d members, not %d", MaxListMembers, len(members))
	}
	var ms []crypto.ID
	for _, id := range members {
		if id == c.me.ID {
			return Conversation{}, ErrSelf
		}
		if slices.Contains(ms, id) {
			continue
		}
		if _, err := c.Contact(ctx, id); err != nil {
			return Conversation{}, fmt.Errorf("member %s: %w", id, err)
		}
		ms = append(ms, id)
	}
	if _, err := c.FindConversation(ctx, name); err == nil {
		return Conversation{}, fmt.Errorf("a conversation named %q exists: choose another name", name)
	} else if !errors.Is(err, ErrNoConversation) {
		return Conversation{}, err
	}
	k, err := c.storeKey()
	if err != nil {
		return Conversation{}, err
	}
	var raw [8]byte
	if _, err := io.ReadFull(c.rand, raw[:]); err != nil {
		return Conversation{}, fmt.Errorf("read randomness: %w", err)
	}
	conv := Conversation{Ref: ListConv(hex.EncodeToString(raw[:])), Name: name, Members: ms, LastAt: c.now().UTC()}
	err = c.store.Update(ctx, func(tx Tx) error { return c.putConv(tx, k, &conv) })
	if err != nil {
		return Conversation{}, fmt.Errorf("save list: %w", err)
	}
	return conv, nil
}

// DeleteList deletes a distribution list and its own history; the 1:1
// messages it sent stay in their conversations.
func (c *Core) DeleteList(ctx context.Context, id string) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	ref := ListConv(id)
	ct := c.convTag(k, ref)
	return c.store.Update(ctx, func(tx Tx) error {
		if _, found, err := c.findConv(tx, k, ref); err != nil {
			return err
		} else if !found {
			return ErrNoList
		}
		var keys [][]byte
		err := tx.Space(spaceMsg).Scan(ct[:], nil, false, func(key, _ []byte) bool {
			keys = append(keys, append([]byte(nil), key...))
			return true
		})
		if err != nil {
			return err
		}
		for _, key := range keys {
			if err := tx.Space(spaceMsg).Delete(key); err != nil {
				return err
			}
			// The key ends with the direction and the message ID.
			if len(key) < 1+crypto.MessageIDLen {
				continue
			}
			var mid crypto.MessageID
			copy(mid[:], key[len(key)-crypto.MessageIDLen:])
			out := key[len(key)-crypto.MessageIDLen-1] == 1
			if err := tx.Space(spaceRef).Delete(refKey(k, ref, out, mid)); err != nil {
				return err
			}
		}
		return tx.Space(spaceConv).Delete(ct[:])
	})
}

// FindConversation finds a conversation by the name it shows (a group's or
// list's name, a peer's name), by a peer's Parley ID or by its reference
// ("group:KEY"), ignoring case. A hidden chat is found only while hidden
// chats are revealed.
func (c *Core) FindConversation(ctx context.Context, name string) (Conversation, error) {
	convs, err := c.Conversations(ctx)
	if err != nil {
		return Conversation{}, err
	}
	name = strings.TrimSpace(name)
	var found []Conversation
	for _, conv := range convs {
		if strings.EqualFold(conv.Ref.String(), name) {
			return conv, nil
		}
		if strings.EqualFold(conv.Name, name) {
			found = append(found, conv)
		}
	}
	switch len(found) {
	case 0:
		return Conversation{}, fmt.Errorf("%w: %q", ErrNoConversation, name)
	case 1:
		return found[0], nil
	}
	return Conversation{}, fmt.Errorf("%w: %q", ErrAmbiguous, name)
}
