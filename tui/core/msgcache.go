package core

import (
	"maps"
	"slices"
	"sync"

	"github.com/parley-chat/parley/crypto"
)

// msgCache keeps the messages Messages decoded, so that reading the open
// conversation again after every event (what a chat view does) opens and
// decodes only the records that changed. A record is known by its store
// key and the nonce and tag of its sealed value: the sealer draws a fresh
// nonce for every write, and the tag authenticates the ciphertext, so an
// unchanged pair means an unchanged record. The cache holds at most
// msgCacheMax messages (a few pages) and is emptied when it would grow
// past that, or when the core locks.
type msgCache struct {
	mu sync.Mutex
	m  map[string]cachedMsg
}

type cachedMsg struct {
	version [msgVersionLen]byte
	msg     Message
}

const (
	msgCacheMax = 512
	// msgVersionLen is the sealed value's nonce (24) and tag (16).
	msgVersionLen = 24 + 16
)

// version returns what identifies a sealed value; ok is false for a value
// too short to be one.
func version(sealed []byte) (v [msgVersionLen]byte, ok bool) {
	if len(sealed) < msgVersionLen {
		return v, false
	}
	copy(v[:24], sealed[:24])
	copy(v[24:], sealed[len(sealed)-16:])
	return v, true
}

// get returns a copy of the message decoded from this key and value.
func (c *msgCache) get(key, sealed []byte) (Message, bool) {
	v, ok := version(sealed)
	if !ok {
		return Message{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(key)]
	if !ok || e.version != v {
		return Message{}, false
	}
	return e.msg.clone(), true
}

func (c *msgCache) put(key, sealed []byte, m *Message) {
	v, ok := version(sealed)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= msgCacheMax {
		c.m = make(map[string]cachedMsg)
	}
	c.m[string(key)] = cachedMsg{version: v, msg: m.clone()}
}

func (c *msgCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// clone copies m deeply enough that changing the copy's maps, slices and
// pointed-to values leaves m as it was.
func (m Message) clone() Message {
	out := m
	if m.ReplyTo != nil {
		id := *m.ReplyTo
		out.ReplyTo = &id
	}
	out.Agree, out.Disagree = slices.Clone(m.Agree), slices.Clone(m.Disagree)
	if m.Location != nil {
		l := *m.Location
		out.Location = &l
	}
	if m.Poll != nil {
		p := *m.Poll
		p.Choices = slices.Clone(p.Choices)
		if p.Votes != nil {
			p.Votes = make(map[crypto.ID][]int, len(m.Poll.Votes))
			for id, v := range m.Poll.Votes {
				p.Votes[id] = slices.Clone(v)
			}
		}
		out.Poll = &p
	}
	if m.File != nil {
		f := *m.File
		out.File = &f
	}
	out.Recipients = maps.Clone(m.Recipients)
	return out
}
