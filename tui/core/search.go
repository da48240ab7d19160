package core

import (
	"container/heap"
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Search limits.
const (
	// DefaultSearchLimit is how many results Search returns when asked for
	// none in particular.
	DefaultSearchLimit = 50
	// MaxSearchLimit bounds the results of one search.
	MaxSearchLimit = 500
	// MaxQueryLen bounds a search query, in characters.
	MaxQueryLen = 200
)

// Search looks for query in the user's history: a case-insensitive
// substring of a message's text, a file's name or caption, a location's
// label or a poll's question and choices. It returns up to limit messages,
// newest first. Deleted messages are not found, and neither are messages of
// hidden chats unless this session revealed them.
//
// The search runs here, over the decrypted device store: the server never
// sees the query.
func (c *Core) Search(ctx context.Context, query string, limit int) ([]Message, error) {
	// Validity first: ToLower would turn invalid bytes into U+FFFD.
	if !utf8.ValidString(query) {
		return nil, fmt.Errorf("a search query is at most %d characters of text", MaxQueryLen)
	}
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil, ErrEmptyQuery
	}
	if utf8.RuneCountInString(q) > MaxQueryLen {
		return nil, fmt.Errorf("a search query is at most %d characters of text", MaxQueryLen)
	}
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	k, err := c.storeKey()
	if err != nil {
		return nil, err
	}
	revealed := c.Revealed()
	var found newestFirst
	err = c.store.View(ctx, func(tx Tx) error {
		found = found[:0]
		hidden := map[ConvRef]bool{}
		if !revealed {
			var ierr error
			err := tx.Space(spaceConv).Scan(nil, nil, false, func(key, v []byte) bool {
				var conv Conversation
				if ierr = open(k, spaceConv, key, v, &conv); ierr != nil {
					return false
				}
				if conv.Hidden {
					hidden[conv.Ref] = true
				}
				return true
			})
			if err != nil {
				return err
			}
			if ierr != nil {
				return ierr
			}
		}
		var ierr error
		n := 0
		err := tx.Space(spaceMsg).Scan(nil, nil, false, func(key, v []byte) bool {
			if n++; n%1024 == 0 {
				if ierr = ctx.Err(); ierr != nil {
					return false
				}
			}
			var m Message
			if ierr = open(k, spaceMsg, key, v, &m); ierr != nil {
				return false
			}
			if m.Deleted || hidden[m.Conv] || !matches(&m, q) {
				return true
			}
			if found.Len() < limit {
				heap.Push(&found, m)
			} else if m.Time.After(found[0].Time) {
				found[0] = m
				heap.Fix(&found, 0)
			}
			return true
		})
		if err != nil {
			return err
		}
		return ierr
	})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := make([]Message, found.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&found).(Message)
	}
	return out, nil
}

// matches reports whether the lowered query q occurs in what m shows.
func matches(m *Message, q string) bool {
	has := func(s string) bool { return s != "" && strings.Contains(strings.ToLower(s), q) }
	if has(m.Text) {
		return true
	}
	if f := m.File; f != nil && (has(f.Name) || has(f.Caption)) {
		return true
	}
	if l := m.Location; l != nil && has(l.Label) {
		return true
	}
	if p := m.Poll; p != nil {
		if has(p.Question) {
			return true
		}
		for _, ch := range p.Choices {
			if has(ch) {
				return true
			}
		}
	}
	return false
}

// newestFirst is a min-heap by time: the oldest of the newest results
// found so far is on top, ready to be replaced.
type newestFirst []Message

func (h newestFirst) Len() int { return len(h) }
func (h newestFirst) Less(i, j int) bool {
	if !h[i].Time.Equal(h[j].Time) {
		return h[i].Time.Before(h[j].Time)
	}
	return string(h[i].ID[:]) < string(h[j].ID[:])
}
func (h newestFirst) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *newestFirst) Push(x any)   { *h = append(*h, x.(Message)) }
func (h *newestFirst) Pop() any {
	old := *h
	m := old[len(old)-1]
	*h = old[:len(old)-1]
	return m
}
