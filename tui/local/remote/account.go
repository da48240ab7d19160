package remote

import (
	"context"

	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

var _ core.Account = (*Conn)(nil)

// Settings reads the rules in force for the user now.
func (c *Conn) Settings(ctx context.Context) (core.Restrictions, error) {
	var s proto.Settings
	if err := c.call(ctx, proto.KindSettings, struct{}{}, &s); err != nil {
		return core.Restrictions{}, err
	}
	forbidden := s.Forbidden
	if forbidden == nil {
		forbidden = map[string]string{}
	}
	return core.Restrictions{Forbidden: forbidden, Quiet: s.Quiet, QuietUntil: s.QuietUntil, NextChange: s.NextChange,
		QuietSchedule: s.QuietSchedule, QuietZone: s.QuietZone, QuietOwn: s.QuietOwn, UserQuietHours: s.UserQuietHours,
		ReadonlyProfile: s.ReadonlyProfile}, nil
}

// WatchSettings calls notify (which must not block) on every "settings"
// push of this connection until cancel is called. The server pushes them
// only after Subscribe, and a connection that ended pushes no more: a
// client that dials again watches the new connection and reads the
// settings again, since a change may have been missed in between.
func (c *Conn) WatchSettings(notify func()) (cancel func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watches == nil {
		c.watches = map[uint64]func(){}
	}
	c.watchID++
	id := c.watchID
	c.watches[id] = notify
	return func() {
		c.mu.Lock()
		delete(c.watches, id)
		c.mu.Unlock()
	}
}

// settingsChanged calls the WatchSettings functions, outside the lock.
func (c *Conn) settingsChanged() {
	c.mu.Lock()
	fns := make([]func(), 0, len(c.watches))
	for _, fn := range c.watches {
		fns = append(fns, fn)
	}
	c.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// SetNickname changes the user's nickname; "" clears it.
func (c *Conn) SetNickname(ctx context.Context, name string) error {
	return c.call(ctx, proto.KindSetNickname, proto.NicknameRequest{Name: name}, nil)
}

// SetQuietHours sets the user's own quiet hours: spec in the IANA zone.
func (c *Conn) SetQuietHours(ctx context.Context, zone, spec string) error {
	return c.call(ctx, proto.KindSetQuietHours, proto.QuietHoursRequest{Zone: zone, Spec: spec}, nil)
}

// ClearQuietHours removes the user's own quiet hours.
func (c *Conn) ClearQuietHours(ctx context.Context) error {
	return c.call(ctx, proto.KindClearQuietHours, struct{}{}, nil)
}

var _ core.PresenceAccount = (*Conn)(nil)

// SetShowPresence sets whether the user's contacts see their presence.
func (c *Conn) SetShowPresence(ctx context.Context, show bool) error {
	return c.call(ctx, proto.KindSetPresence, proto.PresenceRequest{Show: show}, nil)
}

// presenceState reads a contact's presence off the wire; what this
// version does not know counts as withheld.
func presenceState(s string) core.PresenceState {
	switch st := core.PresenceState(s); st {
	case core.PresenceOnline, core.PresenceAway, core.PresenceQuiet:
		return st
	}
	return core.PresenceUnknown
}
