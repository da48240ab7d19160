package core

import (
	"context"
	"slices"

	"github.com/parley-chat/parley/crypto"
)

// Agree and disagree: a reaction (type 0x82, in groups 0x83) on any
// message of the conversation, silent, toggled by sending it again.

// React agrees (or disagrees) with message id; doing it again takes it
// back. It raises no notification anywhere.
func (c *Core) React(ctx context.Context, ref ConvRef, id crypto.MessageID, agree bool) error {
	if ref.Kind == ConvList {
		return ErrListChange
	}
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	var withdraw bool
	err = c.store.View(ctx, func(tx Tx) error {
		_, m, err := c.findMessage(tx, k, ref, id)
		if err != nil {
			return err
		}
		if m.Deleted {
			return ErrDeletedGone
		}
		mine := m.Disagree
		if agree {
			mine = m.Agree
		}
		withdraw = slices.Contains(mine, c.me.ID)
		return nil
	})
	if err != nil {
		return err
	}
	r := crypto.Reaction{Message: id, Agree: agree, Withdraw: withdraw}
	if err := c.sendControl(ctx, ref, crypto.TypeReaction, crypto.MarshalReaction(r)); err != nil {
		return err
	}
	return c.store.Update(ctx, func(tx Tx) error {
		key, m, err := c.findMessage(tx, k, ref, id)
		if err != nil {
			return err
		}
		m.react(c.me.ID, r)
		return c.rewriteMessage(tx, k, key, m)
	})
}

// react records who agrees or disagrees: one of the two, or neither.
func (m *Message) react(who crypto.ID, r crypto.Reaction) {
	drop := func(ids []crypto.ID) []crypto.ID {
		return slices.DeleteFunc(ids, func(id crypto.ID) bool { return id == who })
	}
	m.Agree, m.Disagree = drop(m.Agree), drop(m.Disagree)
	if r.Withdraw {
		return
	}
	if r.Agree {
		m.Agree = append(m.Agree, who)
	} else {
		m.Disagree = append(m.Disagree, who)
	}
}

// findMessage finds message id of the conversation, either direction.
func (c *Core) findMessage(tx Tx, k *crypto.StoreKey, ref ConvRef, id crypto.MessageID) ([]byte, *Message, error) {
	for _, out := range []bool{true, false} {
		key, m, err := c.getMessageByRef(tx, k, ref, out, id)
		if err != nil {
			return nil, nil, err
		}
		if m != nil {
			return key, m, nil
		}
	}
	return nil, nil, ErrNoMessage
}

// applyReaction records a member's agreement or disagreement.
func (c *Core) applyReaction(tx Tx, k *crypto.StoreKey, o opened, ref ConvRef, r crypto.Reaction, ch *Changes) error {
	key, m, err := c.findMessage(tx, k, ref, r.Message)
	if err != nil || m.Deleted {
		return nil //nolint:nilerr // a reaction to an unknown or deleted message is dropped
	}
	m.react(o.from.ID, r)
	ch.Reload = true
	return c.rewriteMessage(tx, k, key, m)
}
