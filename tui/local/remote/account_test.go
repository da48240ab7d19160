package remote

import (
	"errors"
	"testing"
	"time"

	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

// TestAccount: Settings reads the restrictions as the server sent them;
// the setters send their requests and keep the service's refusals.
func TestAccount(t *testing.T) {
	until := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)
	var gotNick proto.NicknameRequest
	var gotQuiet proto.QuietHoursRequest
	cleared := false
	c, _ := open(t, func(f proto.Frame) (proto.Kind, any) {
		switch f.Kind {
		case proto.KindSettings:
			if err := proto.Decode(f.Payload, &struct{}{}); err != nil {
				return proto.KindError, proto.Error{Code: proto.CodeBadFrame, Message: err.Error()}
			}
			return proto.KindOK, proto.Settings{Forbidden: map[string]string{core.FeatureCreateGroup: "creating groups is disabled"},
				Quiet: true, QuietUntil: until, NextChange: until, QuietSchedule: "Mon-Fri 18:00-08:00 (UTC)", UserQuietHours: true}
		case proto.KindSetNickname:
			_ = proto.Decode(f.Payload, &gotNick)
			if gotNick.Name == "ro" {
				return proto.KindError, proto.Error{Code: proto.CodeForbidden, Message: "your profile is read-only (policy th_readonly_profile)"}
			}
			return proto.KindOK, struct{}{}
		case proto.KindSetQuietHours:
			if err := proto.Decode(f.Payload, &gotQuiet); err != nil || gotQuiet.Spec == "bad" {
				return proto.KindError, proto.Error{Code: proto.CodeInvalid, Message: "column 1: bad day"}
			}
			return proto.KindOK, struct{}{}
		case proto.KindClearQuietHours:
			cleared = proto.Decode(f.Payload, &struct{}{}) == nil
			return proto.KindOK, struct{}{}
		}
		return proto.KindError, proto.Error{Code: proto.CodeUnknown, Message: "unknown"}
	})
	ctx := t.Context()
	r, err := c.Settings(ctx)
	if err != nil || r.Reason(core.FeatureCreateGroup) != "creating groups is disabled" || !r.Quiet || !r.QuietUntil.Equal(until) ||
		!r.NextChange.Equal(until) || r.QuietSchedule == "" || !r.UserQuietHours || r.ReadonlyProfile || r.QuietOwn {
		t.Fatalf("settings: %+v %v", r, err)
	}
	if err := c.SetNickname(ctx, "Ada L."); err != nil || gotNick.Name != "Ada L." {
		t.Fatalf("set nickname: %v, sent %+v", err, gotNick)
	}
	var refused *Error
	if err := c.SetNickname(ctx, "ro"); !errors.As(err, &refused) || refused.Code != proto.CodeForbidden {
		t.Fatalf("a read-only profile: %v", err)
	}
	if err := c.SetQuietHours(ctx, "Europe/Zurich", "Mon-Fri 18:00-08:00"); err != nil || gotQuiet.Zone != "Europe/Zurich" {
		t.Fatalf("set quiet hours: %v, sent %+v", err, gotQuiet)
	}
	if err := c.SetQuietHours(ctx, "UTC", "bad"); !errors.As(err, &refused) || refused.Code != proto.CodeInvalid || err.Error() != "column 1: bad day" {
		t.Fatalf("bad quiet hours: %v", err)
	}
	if err := c.ClearQuietHours(ctx); err != nil || !cleared {
		t.Fatalf("clear quiet hours: %v, cleared %v", err, cleared)
	}
	// Zero times stay zero across the wire.
	c2, _ := open(t, func(f proto.Frame) (proto.Kind, any) { return proto.KindOK, proto.Settings{} })
	if r, err := c2.Settings(ctx); err != nil || !r.QuietUntil.IsZero() || !r.NextChange.IsZero() || r.Forbidden == nil {
		t.Fatalf("settings without quiet hours: %+v %v", r, err)
	}
}

// TestSettingsPushes: a "settings" push calls every WatchSettings function
// until it is cancelled, and never reaches the subscription's queue.
func TestSettingsPushes(t *testing.T) {
	c, s := open(t, func(f proto.Frame) (proto.Kind, any) { return proto.KindOK, struct{}{} })
	woke := make(chan struct{}, 16)
	sub, err := c.Subscribe(t.Context(), func() { woke <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	first, second := make(chan struct{}, 16), make(chan struct{}, 16)
	cancelFirst := c.WatchSettings(func() { first <- struct{}{} })
	defer c.WatchSettings(func() { second <- struct{}{} })()
	s.push(proto.Event{Kind: "settings"})
	waitWake(t, first)
	waitWake(t, second)
	cancelFirst()
	cancelFirst() // twice is harmless
	s.push(proto.Event{Kind: "settings"})
	s.push(proto.Event{Kind: "groups"}) // after the settings push, on the same stream
	waitWake(t, second)
	waitWake(t, woke)
	select {
	case <-first:
		t.Fatal("a cancelled watch was called")
	default:
	}
	evs, err := sub.Drain()
	if err != nil || len(evs) != 1 || evs[0].Kind != core.EventGroups {
		t.Fatalf("drain: %+v %v, want the groups event only", evs, err)
	}
}
