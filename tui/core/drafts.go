package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Drafts are what the user typed into a conversation's composer and did not
// send. They live in one sealed local record, Tag("local", "drafts"), like
// the preferences, so they outlast the session and every session of the
// user finds them. The store sees that the record exists and its size.

// maxDrafts bounds the drafts kept: beyond it the oldest are dropped.
const maxDrafts = 200

// draft is one conversation's draft in the record.
type draft struct {
	Ref  ConvRef   `json:"ref"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Drafts returns the draft of each conversation that has one. Drafts of
// hidden conversations are left out while hidden chats are concealed.
func (c *Core) Drafts(ctx context.Context) (map[ConvRef]string, error) {
	k, err := c.storeKey()
	if err != nil {
		return nil, err
	}
	revealed := c.Revealed()
	out := map[ConvRef]string{}
	err = c.store.View(ctx, func(tx Tx) error {
		clear(out)
		var ds []draft
		if _, err := getRecord(tx, k, spaceLocal, localKey(k, "drafts"), &ds); err != nil {
			return err
		}
		for _, d := range ds {
			if !revealed {
				conv, err := c.getConv(tx, k, d.Ref)
				if err != nil {
					return err
				}
				if conv.Hidden {
					continue
				}
			}
			out[d.Ref] = d.Text
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read drafts: %w", err)
	}
	return out, nil
}

// SetDraft keeps text as the draft of the conversation; blank text removes
// its draft. The other conversations' drafts stay as they are.
func (c *Core) SetDraft(ctx context.Context, ref ConvRef, text string) error {
	if len(text) > crypto.MaxTextLen {
		return fmt.Errorf("draft of %d bytes, limit %d: %w", len(text), crypto.MaxTextLen, crypto.ErrTooLarge)
	}
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	key := localKey(k, "drafts")
	err = c.store.Update(ctx, func(tx Tx) error {
		var ds []draft
		if _, err := getRecord(tx, k, spaceLocal, key, &ds); err != nil {
			return err
		}
		ds = slices.DeleteFunc(ds, func(d draft) bool { return d.Ref == ref })
		if strings.TrimSpace(text) != "" {
			ds = append(ds, draft{Ref: ref, Text: text, At: c.now().UTC()})
		}
		if n := len(ds) - maxDrafts; n > 0 {
			ds = ds[n:] // the newest last: the oldest go
		}
		return c.putRecord(tx, k, spaceLocal, key, ds)
	})
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	return nil
}
