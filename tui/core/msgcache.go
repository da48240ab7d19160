package core

import (
	"maps"
	"slices"
	"sync"

	"github.com/parley-chat/parley/crypto"
)

// decodeCache keeps records a read decoded, so that reading the open
// conversation and the conversation list again after every event (what a
// chat view does) opens and decodes only the records that changed. A
// record is known by its store key and the nonce and tag of its sealed
// value: the sealer draws a fresh nonce for every write, and the tag
// authenticates the ciphertext, so an unchanged pair means an unchanged
// record. It holds at most decodeCacheMax records (a few pages) and is
// emptied when it would grow past that, on Conceal and on Close. Callers
// get copies (clone), so changing what they got changes nothing here.
type decodeCache[T any] struct {
	mu    sync.Mutex
	m     map[string]cachedRecord[T]
	clone func(*T) T
}

type cachedRecord[T any] struct {
	version [recordVersionLen]byte
	v       T
}

const (
	decodeCacheMax = 512
	// recordVersionLen is the sealed value's nonce (24) and tag (16).
	recordVersionLen = 24 + 16
)

// version returns what identifies a sealed value; ok is false for a value
// too short to be one.
func version(sealed []byte) (v [recordVersionLen]byte, ok bool) {
	if len(sealed) < recordVersionLen {
		return v, false
	}
	copy(v[:24], sealed[:24])
	copy(v[24:], sealed[len(sealed)-16:])
	return v, true
}

// get returns a copy of the record decoded from this key and value.
func (c *decodeCache[T]) get(key, sealed []byte) (T, bool) {
	var zero T
	v, ok := version(sealed)
	if !ok {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(key)]
	if !ok || e.version != v {
		return zero, false
	}
	return c.clone(&e.v), true
}

func (c *decodeCache[T]) put(key, sealed []byte, rec *T) {
	v, ok := version(sealed)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= decodeCacheMax {
		c.m = make(map[string]cachedRecord[T])
	}
	c.m[string(key)] = cachedRecord[T]{version: v, v: c.clone(rec)}
}

func (c *decodeCache[T]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// openCached opens a record through cache.
func openCached[T any](cache *decodeCache[T], k *crypto.StoreKey, space string, key, sealed []byte) (T, error) {
	if v, ok := cache.get(key, sealed); ok {
		return v, nil
	}
	var v T
	if err := open(k, space, key, sealed, &v); err != nil {
		return v, err
	}
	cache.put(key, sealed, &v)
	return v, nil
}

// clone copies m deeply enough that changing the copy's maps, slices and
// pointed-to values leaves m as it was.
func (m *Message) clone() Message {
	out := *m
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

// clone copies conv deeply enough that changing the copy's slices and maps
// leaves conv as it was.
func (conv *Conversation) clone() Conversation {
	out := *conv
	out.Members, out.Admins = slices.Clone(conv.Members), slices.Clone(conv.Admins)
	out.LastSent = maps.Clone(conv.LastSent)
	return out
}
