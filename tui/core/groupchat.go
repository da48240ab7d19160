package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/parley-chat/parley/crypto"
)

// Groups: the server's registry holds who is in a group (so that policy
// and the member limit are enforced there); messages are sealed once per
// member. After every change the core tells the members with a silent
// control message (type 0x4a, or 0x4b for a new name), and every member's
// core reads the registry again: the message only says to look.

// fill copies the registry's view of a group into its conversation.
func (g *GroupInfo) fill(conv *Conversation) {
	if g.Name != "" {
		conv.Name = g.Name
	}
	conv.Members = slices.Clone(g.Members)
	conv.Admins = slices.Clone(g.Admins)
	conv.Managed = g.Managed
	conv.Left = false
}

// lookupGroup asks the registry for a group; nil when the user is not in
// it (or the registry cannot say).
func (c *Core) lookupGroup(ctx context.Context, key string) *GroupInfo {
	if c.groups == nil {
		return nil
	}
	g, err := c.groups.Group(ctx, key)
	if err != nil {
		return nil
	}
	return &g
}

// refreshGroups brings the user's group conversations in line with the
// registry: new groups appear, names and members follow, and groups the
// user is no longer in are marked left (their history stays, read-only).
// Every change is recorded in the conversation as a system message, so
// the members see who joined or left (the server holds the membership:
// a change nobody in the group made is visible to all).
func (c *Core) refreshGroups(ctx context.Context, ch *Changes) error {
	if c.groups == nil {
		return nil
	}
	gs, err := c.groups.MyGroups(ctx)
	if err != nil {
		return fmt.Errorf("read your groups: %w", err)
	}
	changed, err := c.syncGroups(ctx, gs, true)
	if err != nil {
		return err
	}
	if changed && ch != nil {
		ch.Reload = true
	}
	return nil
}

// syncGroups stores the registry's view of the groups gs; with all, gs is
// every group of the user and the conversations of other groups are
// marked left. It reports whether anything changed.
func (c *Core) syncGroups(ctx context.Context, gs []GroupInfo, all bool) (bool, error) {
	k, err := c.storeKey()
	if err != nil {
		return false, err
	}
	mine := map[string]GroupInfo{}
	for _, g := range gs {
		mine[g.Key] = g
	}
	names, err := c.groupNames(ctx, k, gs)
	if err != nil {
		return false, err
	}
	changed := false
	err = c.store.Update(ctx, func(tx Tx) error {
		changed = false
		var gone []Conversation
		if all {
			err := tx.Space(spaceConv).Scan(nil, nil, false, func(key, v []byte) bool {
				var conv Conversation
				if open(k, spaceConv, key, v, &conv) == nil && conv.Ref.Kind == ConvGroup && !conv.Left {
					if _, ok := mine[conv.Ref.Group]; !ok {
						gone = append(gone, conv)
					}
				}
				return true
			})
			if err != nil {
				return err
			}
		}
		for _, conv := range gone {
			conv.Left, changed = true, true
			if err := c.putSystem(tx, k, &conv, "You are no longer a member of this group."); err != nil {
				return err
			}
		}
		for _, g := range gs {
			conv, found, err := c.findConv(tx, k, GroupConv(g.Key))
			if err != nil {
				return err
			}
			before := conv
			g.fill(&conv)
			if found && sameGroup(before, conv) {
				continue
			}
			changed = true
			if !found {
				conv.LastAt = c.now().UTC()
			}
			events := c.groupEvents(before, found, conv, g.Creator, names)
			if len(events) == 0 {
				if err := c.putConv(tx, k, &conv); err != nil {
					return err
				}
				continue
			}
			for _, text := range events {
				if err := c.putSystem(tx, k, &conv, text); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("save your groups: %w", err)
	}
	return changed, nil
}

// maxNamed bounds how many members one system message names.
const maxNamed = 10

// groupNames looks up the names of the members who joined, left or
// changed roles since the stored view of the groups gs (a read pass
// before the write, so that no lookup runs inside a transaction).
func (c *Core) groupNames(ctx context.Context, k *crypto.StoreKey, gs []GroupInfo) (map[crypto.ID]string, error) {
	var ids []crypto.ID
	err := c.store.View(ctx, func(tx Tx) error {
		ids = ids[:0]
		for _, g := range gs {
			conv, found, err := c.findConv(tx, k, GroupConv(g.Key))
			if err != nil {
				return err
			}
			if !found {
				ids = append(ids, g.Creator)
				continue
			}
			for _, d := range [][]crypto.ID{diffIDs(g.Members, conv.Members), diffIDs(conv.Members, g.Members),
				diffIDs(g.Admins, conv.Admins), diffIDs(conv.Admins, g.Admins)} {
				ids = append(ids, d[:min(len(d), maxNamed)]...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read your groups: %w", err)
	}
	names := map[crypto.ID]string{}
	for _, id := range ids {
		if _, ok := names[id]; ok || id.IsZero() || id == c.me.ID {
			continue
		}
		if ct, err := c.Contact(ctx, id); err == nil && ct.Name != "" {
			names[id] = ct.Name
		} else {
			names[id] = id.String()
		}
	}
	return names, nil
}

// diffIDs returns the IDs of a that are not in b.
func diffIDs(a, b []crypto.ID) []crypto.ID {
	var out []crypto.ID
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

// groupEvents describes, one line each, how a group's conversation
// changed from before to after.
func (c *Core) groupEvents(before Conversation, found bool, after Conversation, creator crypto.ID, names map[crypto.ID]string) []string {
	name := func(id crypto.ID) string {
		if id == c.me.ID {
			return "you"
		}
		if n, ok := names[id]; ok {
			return n
		}
		return id.String()
	}
	list := func(ids []crypto.ID) string {
		var parts []string
		for _, id := range ids[:min(len(ids), maxNamed)] {
			parts = append(parts, name(id))
		}
		if len(ids) > maxNamed {
			parts = append(parts, fmt.Sprintf("%d more", len(ids)-maxNamed))
		}
		return strings.Join(parts, ", ")
	}
	if !found {
		if after.Managed {
			return []string{fmt.Sprintf("Managed group %q with %d members.", after.Name, len(after.Members))}
		}
		return []string{fmt.Sprintf("Group %q with %d members, created by %s.", after.Name, len(after.Members),
			name(creator))}
	}
	var out []string
	if before.Left && !after.Left {
		out = append(out, "You are a member again.")
	}
	if before.Name != after.Name && after.Name != "" {
		out = append(out, fmt.Sprintf("Renamed to %q.", after.Name))
	}
	if d := diffIDs(after.Members, before.Members); len(d) > 0 {
		out = append(out, "Joined: "+list(d)+".")
	}
	if d := diffIDs(before.Members, after.Members); len(d) > 0 {
		out = append(out, "Left: "+list(d)+".")
	}
	if d := diffIDs(after.Admins, before.Admins); len(d) > 0 {
		out = append(out, "Now admin: "+list(d)+".")
	}
	if d := slices.DeleteFunc(diffIDs(before.Admins, after.Admins), func(id crypto.ID) bool {
		return !slices.Contains(after.Members, id)
	}); len(d) > 0 {
		out = append(out, "No longer admin: "+list(d)+".")
	}
	return out
}

// putSystem writes a system message (an event of the conversation, such
// as a member joining) and the conversation summary.
func (c *Core) putSystem(tx Tx, k *crypto.StoreKey, conv *Conversation, text string) error {
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return err
	}
	now := c.now().UTC()
	m := Message{Conv: conv.Ref, ID: mid, Time: now, SentAt: now, Kind: KindSystem, Text: text, State: StateReceived}
	conv.LastAt = later(conv.LastAt, now)
	return c.putMessage(tx, k, &m, conv)
}

func sameGroup(a, b Conversation) bool {
	return a.Name == b.Name && a.Managed == b.Managed && a.Left == b.Left &&
		slices.Equal(a.Members, b.Members) && slices.Equal(a.Admins, b.Admins)
}

// CreateGroup creates a group with the user as its admin and tells the
// members. The registry refuses it under th_disable_create_group, over
// 1,250 members, or with a member the user cannot reach.
func (c *Core) CreateGroup(ctx context.Context, name string, members []crypto.ID) (Conversation, error) {
	if c.groups == nil {
		return Conversation{}, ErrNoGroups
	}
	if _, err := c.storeKey(); err != nil {
		return Conversation{}, err
	}
	g, err := c.groups.CreateGroup(ctx, name, members)
	if err != nil {
		return Conversation{}, err
	}
	return c.afterGroupChange(ctx, g, g.Members)
}

// AddMembers adds members to a group the user administers.
func (c *Core) AddMembers(ctx context.Context, key string, ids []crypto.ID) error {
	return c.changeGroup(ctx, func() (GroupInfo, error) { return c.groups.AddGroupMembers(ctx, key, ids) }, nil)
}

// RemoveMembers removes members from a group the user administers; they
// are told too, so their chat shows that they left.
func (c *Core) RemoveMembers(ctx context.Context, key string, ids []crypto.ID) error {
	return c.changeGroup(ctx, func() (GroupInfo, error) { return c.groups.RemoveGroupMembers(ctx, key, ids) }, ids)
}

// RenameGroup renames a group the user administers.
func (c *Core) RenameGroup(ctx context.Context, key, name string) error {
	return c.changeGroup(ctx, func() (GroupInfo, error) { return c.groups.RenameGroup(ctx, key, name) }, nil)
}

// SetGroupAdmin makes a member an admin of the group, or no longer one.
func (c *Core) SetGroupAdmin(ctx context.Context, key string, id crypto.ID, admin bool) error {
	return c.changeGroup(ctx, func() (GroupInfo, error) { return c.groups.SetGroupAdmin(ctx, key, id, admin) }, nil)
}

// LeaveGroup leaves a group; its history stays, read-only. Managed groups
// cannot be left.
func (c *Core) LeaveGroup(ctx context.Context, key string) error {
	if c.groups == nil {
		return ErrNoGroups
	}
	before := c.lookupGroup(ctx, key)
	if err := c.groups.LeaveGroup(ctx, key); err != nil {
		return err
	}
	if before != nil {
		// The conversation shows the group as it was when the user left.
		if _, err := c.syncGroups(ctx, []GroupInfo{*before}, false); err != nil {
			c.log.Warn("group not saved before leaving", "err", err)
		}
		c.announce(ctx, key, before.Members, crypto.TypeGroupLeave, nil)
	}
	return c.refreshGroups(ctx, nil)
}

// changeGroup runs a change in the registry and tells the members (and
// those it removed).
func (c *Core) changeGroup(ctx context.Context, change func() (GroupInfo, error), removed []crypto.ID) error {
	if c.groups == nil {
		return ErrNoGroups
	}
	g, err := change()
	if err != nil {
		return err
	}
	_, err = c.afterGroupChange(ctx, g, append(slices.Clone(g.Members), removed...))
	return err
}

// afterGroupChange stores the group's conversation and tells the members.
func (c *Core) afterGroupChange(ctx context.Context, g GroupInfo, tell []crypto.ID) (Conversation, error) {
	k, err := c.storeKey()
	if err != nil {
		return Conversation{}, err
	}
	if _, err := c.syncGroups(ctx, []GroupInfo{g}, false); err != nil {
		return Conversation{}, err
	}
	var conv Conversation
	err = c.store.View(ctx, func(tx Tx) error {
		var err error
		conv, err = c.getConv(tx, k, GroupConv(g.Key))
		return err
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("read group: %w", err)
	}
	c.announce(ctx, g.Key, tell, crypto.TypeGroupSetup, nil)
	return conv, nil
}

// announce sends a silent group control message to members (not the
// user); failures are logged: members also catch up at their next start.
func (c *Core) announce(ctx context.Context, key string, members []crypto.ID, typ crypto.MessageType, inner []byte) {
	body, err := crypto.MarshalGroup(crypto.GroupHeader{Key: key}, inner)
	if err != nil {
		c.log.Warn("group announcement not built", "err", err)
		return
	}
	mid, err := crypto.NewMessageID(c.rand)
	if err != nil {
		return
	}
	now := c.now().UTC()
	var envs [][]byte
	for _, id := range members {
		if id == c.me.ID {
			continue
		}
		ct, err := c.Contact(ctx, id)
		if err != nil {
			continue
		}
		shared, err := c.sharedKey(ct)
		if err != nil {
			continue
		}
		env, err := crypto.SealEnvelope(c.rand, crypto.Header{Flags: crypto.FlagSilent, Sender: c.me.ID, Recipient: id,
			MessageID: mid, Time: now}, shared, typ, body)
		if err != nil {
			continue
		}
		envs = append(envs, env.Marshal())
	}
	if len(envs) == 0 {
		return
	}
	if _, err := c.sendEnvelopes(ctx, dedupEnvelopes(envs)); err != nil {
		c.log.Warn("group announcement not sent", "err", err)
	}
}

// dedupEnvelopes drops envelopes to a recipient already addressed.
func dedupEnvelopes(envs [][]byte) [][]byte {
	seen := map[crypto.ID]bool{}
	out := envs[:0]
	for _, e := range envs {
		h, err := crypto.ParseEnvelope(e)
		if err != nil || seen[h.Recipient] {
			continue
		}
		seen[h.Recipient] = true
		out = append(out, e)
	}
	return out
}
