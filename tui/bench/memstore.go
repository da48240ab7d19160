package bench

import (
	"bytes"
	"context"
	"slices"
	"sync"

	"github.com/parley-chat/parley/tui/core"
)

// memStore is a device store in memory, for local-mode users that live
// only as long as the run.
type memStore struct {
	mu     sync.Mutex
	spaces map[string]map[string][]byte
}

func newMemStore() *memStore { return &memStore{spaces: map[string]map[string][]byte{}} }

func (s *memStore) View(_ context.Context, fn func(core.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(memTx{s})
}

func (s *memStore) Update(_ context.Context, fn func(core.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(memTx{s})
}

type memTx struct{ s *memStore }

func (t memTx) Space(name string) core.Space {
	sp := t.s.spaces[name]
	if sp == nil {
		sp = map[string][]byte{}
		t.s.spaces[name] = sp
	}
	return memSpace(sp)
}

type memSpace map[string][]byte

func (m memSpace) Get(key []byte) ([]byte, error) { return bytes.Clone(m[string(key)]), nil }

func (m memSpace) Put(key, value []byte) error {
	m[string(key)] = bytes.Clone(value)
	return nil
}

func (m memSpace) Delete(key []byte) error {
	delete(m, string(key))
	return nil
}

func (m memSpace) Scan(prefix, start []byte, reverse bool, fn func(k, v []byte) bool) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		if bytes.HasPrefix([]byte(k), prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	for _, k := range keys {
		if start != nil {
			if !reverse && k < string(start) || reverse && k > string(start) {
				continue
			}
		}
		if !fn([]byte(k), bytes.Clone(m[k])) {
			return nil
		}
	}
	return nil
}
