package sshd

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

// account answers the requests of the user's own account (KindSettings to
// KindClearQuietHours) with the principal's Account port: the policies in
// force and the settings users may change themselves. Changes reach a
// subscribed client as "settings" pushes (watchSettings).
func (c *protoConn) account(ctx context.Context, f proto.Frame) (any, error) {
	acc := c.ports.Account
	if acc == nil {
		return nil, core.ErrNoAccount
	}
	switch f.Kind {
	case proto.KindSettings:
		if err := proto.Decode(f.Payload, &struct{}{}); err != nil {
			return nil, err
		}
		r, err := acc.Settings(ctx)
		if err != nil {
			return nil, err
		}
		forbidden := r.Forbidden
		if forbidden == nil {
			forbidden = map[string]string{}
		}
		return proto.Settings{Forbidden: forbidden, Quiet: r.Quiet, QuietUntil: r.QuietUntil, NextChange: r.NextChange,
			QuietSchedule: r.QuietSchedule, QuietZone: r.QuietZone, QuietOwn: r.QuietOwn, UserQuietHours: r.UserQuietHours,
			ReadonlyProfile: r.ReadonlyProfile}, nil
	case proto.KindSetNickname:
		var req proto.NicknameRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		return struct{}{}, acc.SetNickname(ctx, req.Name)
	case proto.KindSetQuietHours:
		var req proto.QuietHoursRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		return struct{}{}, acc.SetQuietHours(ctx, req.Zone, req.Spec)
	case proto.KindClearQuietHours:
		if err := proto.Decode(f.Payload, &struct{}{}); err != nil {
			return nil, err
		}
		return struct{}{}, acc.ClearQuietHours(ctx)
	case proto.KindSetPresence:
		var req proto.PresenceRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		pa, ok := acc.(core.PresenceAccount)
		if !ok {
			return nil, core.ErrNoAccount
		}
		return struct{}{}, pa.SetShowPresence(ctx, req.Show)
	}
	return nil, fmt.Errorf("%w: request kind %#02x", errUnknownRequest, byte(f.Kind))
}

// watchSettings starts announcing changes of the user's policies as a
// "settings" wake for push; the Account port decides which changes
// concern the user, as it does for a hosted session.
func (c *protoConn) watchSettings() <-chan struct{} {
	if c.ports.Account == nil {
		return nil // never ready: no settings to announce
	}
	wake := make(chan struct{}, 1)
	c.unwatch = c.ports.Account.WatchSettings(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	return wake
}
