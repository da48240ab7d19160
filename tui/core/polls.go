package core

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/parley-chat/parley/crypto"
)

// Polls: the creator sends the poll (type 0x15, in groups 0x52) with its
// own poll ID; every vote (0x16 / 0x53) goes to every member, so each
// member's core tallies the same results; closing is the poll sent again,
// closed. Votes after the close are refused here and ignored everywhere.

// Errors of polls.
var (
	ErrPollClosed  = errors.New("the poll is closed")
	ErrNotPoll     = errors.New("that message is not a poll")
	ErrNotCreator  = errors.New("only the poll's creator can close it")
	ErrSingleVote  = errors.New("this poll takes one choice")
	ErrBadChoice   = errors.New("no such choice")
	ErrListPoll    = errors.New("a poll needs a group or a 1:1 chat, not a distribution list")
	errPollUnknown = errors.New("unknown poll")
)

// pollKey indexes a poll by its creator and poll ID.
func pollKey(k *crypto.StoreKey, creator crypto.ID, id crypto.MessageID) []byte {
	t := k.Tag([]byte("poll"), creator[:], id[:])
	return t[:]
}

// CreatePoll asks the conversation a question with 2 to 20 choices.
func (c *Core) CreatePoll(ctx context.Context, ref ConvRef, question string, choices []string, multi bool) (Message, error) {
	if ref.Kind == ConvList {
		return Message{}, ErrListPoll
	}
	id, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return Message{}, err
	}
	setup := crypto.PollSetup{ID: id, Question: question, Choices: choices, Multi: multi}
	body, err := crypto.MarshalPollSetup(setup)
	if err != nil {
		return Message{}, err
	}
	m := Message{Kind: KindPoll, Text: question, Poll: &Poll{ID: id, Question: question,
		Choices: slices.Clone(choices), Multi: multi, Creator: c.me.ID}}
	return c.sendContent(ctx, ref, crypto.TypePollSetup, body, m)
}

// Vote votes in the poll of message msg (choice indexes from 0; none
// withdraws the vote).
func (c *Core) Vote(ctx context.Context, ref ConvRef, msg crypto.MessageID, choices []int) error {
	m, err := c.pollMessage(ctx, ref, msg)
	if err != nil {
		return err
	}
	p := m.Poll
	switch {
	case p.Closed:
		return ErrPollClosed
	case !p.Multi && len(choices) > 1:
		return ErrSingleVote
	}
	for _, i := range choices {
		if i < 0 || i >= len(p.Choices) {
			return fmt.Errorf("%w %d: the poll has %d", ErrBadChoice, i+1, len(p.Choices))
		}
	}
	body, err := crypto.MarshalPollVote(crypto.PollVote{Creator: p.Creator, Poll: p.ID, Choices: choices})
	if err != nil {
		return err
	}
	if err := c.sendControl(ctx, ref, crypto.TypePollVote, body); err != nil {
		return err
	}
	return c.updatePoll(ctx, ref, m, func(p *Poll) { p.setVote(c.me.ID, choices) })
}

// ClosePoll closes one of the user's polls: no more votes.
func (c *Core) ClosePoll(ctx context.Context, ref ConvRef, msg crypto.MessageID) error {
	m, err := c.pollMessage(ctx, ref, msg)
	if err != nil {
		return err
	}
	p := m.Poll
	if p.Creator != c.me.ID {
		return ErrNotCreator
	}
	if p.Closed {
		return ErrPollClosed
	}
	body, err := crypto.MarshalPollSetup(crypto.PollSetup{ID: p.ID, Question: p.Question, Choices: p.Choices,
		Multi: p.Multi, Closed: true})
	if err != nil {
		return err
	}
	if err := c.sendControl(ctx, ref, crypto.TypePollSetup, body); err != nil {
		return err
	}
	return c.updatePoll(ctx, ref, m, func(p *Poll) { p.Closed = true })
}

func (p *Poll) setVote(voter crypto.ID, choices []int) {
	if p.Votes == nil {
		p.Votes = map[crypto.ID][]int{}
	}
	if len(choices) == 0 {
		delete(p.Votes, voter)
		return
	}
	p.Votes[voter] = slices.Clone(choices)
}

// pollMessage finds the poll message msg of the conversation.
func (c *Core) pollMessage(ctx context.Context, ref ConvRef, msg crypto.MessageID) (Message, error) {
	k, err := c.storeKey()
	if err != nil {
		return Message{}, err
	}
	var found *Message
	err = c.store.View(ctx, func(tx Tx) error {
		for _, out := range []bool{true, false} {
			_, m, err := c.getMessageByRef(tx, k, ref, out, msg)
			if err != nil {
				return err
			}
			if m != nil {
				found = m
				return nil
			}
		}
		return ErrNoMessage
	})
	if err != nil {
		return Message{}, err
	}
	if found.Poll == nil || found.Deleted {
		return Message{}, ErrNotPoll
	}
	return *found, nil
}

// updatePoll changes the stored poll of message m.
func (c *Core) updatePoll(ctx context.Context, ref ConvRef, m Message, change func(*Poll)) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	return c.store.Update(ctx, func(tx Tx) error {
		key, cur, err := c.getMessageByRef(tx, k, ref, m.Outgoing, m.ID)
		if err != nil || cur == nil || cur.Poll == nil {
			return err
		}
		change(cur.Poll)
		return c.rewriteMessage(tx, k, key, cur)
	})
}

// applyPollSetup stores a new poll, or closes a known one when its creator
// sends it again closed. It reports whether the message is a new poll (to
// be stored as a message by the caller).
func (c *Core) applyPollSetup(tx Tx, k *crypto.StoreKey, o opened, m *Message, ch *Changes) (bool, error) {
	p, err := crypto.ParsePollSetup(o.body)
	if err != nil {
		return false, nil //nolint:nilerr // malformed poll is dropped
	}
	key, cur, err := c.pollByKey(tx, k, o.from.ID, p.ID)
	if err != nil && !errors.Is(err, errPollUnknown) {
		return false, err
	}
	if cur != nil {
		if p.Closed && !cur.Poll.Closed {
			cur.Poll.Closed = true
			ch.Reload = true
			return false, c.rewriteMessage(tx, k, key, cur)
		}
		return false, nil
	}
	m.Kind, m.Text = KindPoll, p.Question
	m.Poll = &Poll{ID: p.ID, Question: p.Question, Choices: p.Choices, Multi: p.Multi, Closed: p.Closed, Creator: o.from.ID}
	return true, nil
}

// applyPollVote records a member's vote in an open poll of the
// conversation the vote came through.
func (c *Core) applyPollVote(tx Tx, k *crypto.StoreKey, o opened, ref ConvRef, ch *Changes) error {
	v, err := crypto.ParsePollVote(o.body)
	if err != nil {
		return nil //nolint:nilerr // malformed vote is dropped
	}
	key, cur, err := c.pollByKey(tx, k, v.Creator, v.Poll)
	if errors.Is(err, errPollUnknown) {
		return nil
	}
	if err != nil {
		return err
	}
	p := cur.Poll
	if cur.Conv != ref || p.Closed || (!p.Multi && len(v.Choices) > 1) {
		return nil // another conversation's poll, closed, or not a valid vote
	}
	for _, i := range v.Choices {
		if i < 0 || i >= len(p.Choices) {
			return nil
		}
	}
	p.setVote(o.from.ID, v.Choices)
	ch.Reload = true
	return c.rewriteMessage(tx, k, key, cur)
}

// pollByKey finds a poll message by creator and poll ID.
func (c *Core) pollByKey(tx Tx, k *crypto.StoreKey, creator crypto.ID, id crypto.MessageID) ([]byte, *Message, error) {
	key, err := tx.Space(spaceRef).Get(pollKey(k, creator, id))
	if err != nil {
		return nil, nil, err
	}
	if key == nil {
		return nil, nil, errPollUnknown
	}
	b, err := tx.Space(spaceMsg).Get(key)
	if err != nil || b == nil {
		if err == nil {
			err = errPollUnknown
		}
		return nil, nil, err
	}
	var m Message
	if err := open(k, spaceMsg, key, b, &m); err != nil {
		return nil, nil, err
	}
	if m.Poll == nil {
		return nil, nil, errPollUnknown
	}
	return key, &m, nil
}
