package chat

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

func incoming(from crypto.ID, alarm bool) core.Message {
	return core.Message{Conv: core.Direct(from), From: from, Text: "the secret plan", Time: testNow, Alarm: alarm}
}

func TestNotifications(t *testing.T) {
	const (
		bel   = "\a"
		osc9  = "\x1b]9;Parley: Carol\a"
		osc7  = "\x1b]777;notify;Parley;Carol\a"
		alarm = "\x1b]9;Parley alarm: Carol\a\x1b]777;notify;Parley alarm;Carol\a"
	)
	tests := []struct {
		name  string
		style string
		quiet bool
		in    []core.Message
		want  string
	}{
		{"bell", core.NotifyBell, false, []core.Message{incoming(carol, false)}, bel},
		{"desktop", core.NotifyDesktop, false, []core.Message{incoming(carol, false)}, osc9 + osc7},
		{"both", core.NotifyBoth, false, []core.Message{incoming(carol, false)}, bel + osc9 + osc7},
		{"off", core.NotifyOff, false, []core.Message{incoming(carol, false)}, ""},
		{"quiet bell", core.NotifyBell, true, []core.Message{incoming(carol, false)}, ""},
		{"quiet desktop", core.NotifyDesktop, true, []core.Message{incoming(carol, false)}, ""},
		{"quiet both", core.NotifyBoth, true, []core.Message{incoming(carol, false)}, ""},
		{"alarm in quiet hours", core.NotifyBell, true, []core.Message{incoming(carol, true)}, bel},
		{"alarm desktop in quiet hours", core.NotifyDesktop, true, []core.Message{incoming(carol, true)}, alarm},
		{"alarm with notifications off", core.NotifyOff, true, []core.Message{incoming(carol, true)}, bel},
		{"open conversation", core.NotifyBoth, false, []core.Message{incoming(bob, false)}, ""},
		{"alarm in the open conversation", core.NotifyBell, false, []core.Message{incoming(bob, true)}, bel},
		{"several senders", core.NotifyDesktop, false, []core.Message{incoming(carol, false), incoming(dave, false), incoming(carol, false)},
			"\x1b]9;Parley: Carol and 1 more\a\x1b]777;notify;Parley;Carol and 1 more\a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := threeChatsLocal()
				f.prefs.Notify = tt.style
				d := vChatDriver(t, f)
				d.run("/open bob")
				d.announce(core.Restrictions{Quiet: tt.quiet})
				f.mu.Lock()
				f.syncs = []core.Changes{{Incoming: tt.in}}
				f.mu.Unlock()
				d.raw = nil
				d.send(SyncMsg{})
				got := strings.Join(d.raw, "")
				if got != tt.want {
					t.Errorf("printed %q, want %q", got, tt.want)
				}
				if strings.Contains(got, "secret") {
					t.Errorf("the notification leaks the message text: %q", got)
				}
			})
		})
	}
}

// TestNoNotificationBeforePrefs: until the preferences are read, only
// alarms ring (the user may have turned notifications off).
func TestNoNotificationBeforePrefs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		d := vChatDriver(t, f)
		d.m.loc.prefsRead = false
		if cmd := d.m.alert([]core.Message{incoming(carol, false)}); cmd != nil {
			t.Errorf("a notification before the preferences were read")
		}
		if cmd := d.m.alert([]core.Message{incoming(carol, true)}); cmd == nil {
			t.Errorf("no alarm before the preferences were read")
		}
	})
}

// TestNotificationSanitized: a name chosen by another user cannot inject
// escape sequences or OSC fields, and is cut short.
func TestNotificationSanitized(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		evil := mustID("EVIL0666")
		base := threeChats()
		base.addConv(core.Conversation{Ref: core.Direct(evil), Name: "Eve\x1b]52;c;cm0gLXJmIH4=\a;x\u202e\x9c" + strings.Repeat("n", 80), LastAt: at(15, 11, 0)})
		f := newVFake(base)
		f.prefs.Notify = core.NotifyDesktop
		d := vChatDriver(t, f)
		d.announce(core.Restrictions{})
		f.mu.Lock()
		f.syncs = []core.Changes{{Incoming: []core.Message{incoming(evil, false)}}}
		f.mu.Unlock()
		d.raw = nil
		d.send(SyncMsg{})
		got := strings.Join(d.raw, "")
		name := "Eve]52,c,cm0gLXJmIH4=,x" + strings.Repeat("n", maxNotifyName-23) + "…"
		want := "\x1b]9;Parley: " + name + "\a\x1b]777;notify;Parley;" + name + "\a"
		if got != want {
			t.Errorf("printed %q, want %q", got, want)
		}
	})
}

func TestNotifyText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ann Example", "Ann Example"},
		{"  Ann \t\n Example  ", "Ann Example"},
		{"a;b;c", "a,b,c"},
		{"\x1b\a\x07\x9c\u0085", "someone"},
		{"", "someone"},
		{"Zoë \u202eevil", "Zoë evil"},
		{strings.Repeat("x", maxNotifyName), strings.Repeat("x", maxNotifyName)},
		{strings.Repeat("x", maxNotifyName+1), strings.Repeat("x", maxNotifyName) + "…"},
	}
	for _, tt := range tests {
		if got := notifyText(tt.in); got != tt.want {
			t.Errorf("notifyText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNotifyText(f *testing.F) {
	for _, s := range []string{"Ann", "a;b", "\x1b]0;x\a", "\u202e", "\xff\xfe", strings.Repeat("é", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := notifyText(s)
		if got == "" || strings.ContainsAny(got, ";\x1b\a\u009c") {
			t.Fatalf("notifyText(%q) = %q", s, got)
		}
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r) || r == 0xFFFD {
				t.Fatalf("notifyText(%q) = %q holds %U", s, got, r)
			}
		}
		if n := len([]rune(got)); n > maxNotifyName+1 {
			t.Fatalf("notifyText(%q) has %d characters", s, n)
		}
	})
}
