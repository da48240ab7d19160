package chat

import (
	"errors"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

func TestThemeCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		d := vChatDriver(t, f)
		if got := d.m.th.Name; got != theme.Dark {
			t.Fatalf("theme = %q at start, want dark", got)
		}
		d.run("/theme")
		d.wantStatus("Theme: dark.")
		d.run("/theme LIGHT")
		if got := d.m.th.Name; got != theme.Light {
			t.Errorf("theme = %q, want light", got)
		}
		if got := f.prefs.Theme; got != core.ThemeLight {
			t.Errorf("stored theme = %q, want light", got)
		}
		d.wantStatus("Theme: light.")
		d.run("/theme solarized")
		d.wantStatus("Usage: /theme dark or /theme light")
		if got := d.m.th.Name; got != theme.Light {
			t.Errorf("theme = %q after a bad /theme, want light still", got)
		}
		d.run("/theme dark")
		if got := d.m.th.Name; got != theme.Dark {
			t.Errorf("theme = %q, want dark", got)
		}
	})
}

func TestPrefsAppliedAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.prefs = core.Prefs{ReadReceipts: false, Theme: core.ThemeLight, Notify: core.NotifyDesktop}
		d := vChatDriver(t, f, func(o *Options) { o.Theme = theme.Branded("#AA0000") })
		if got := d.m.th.Name; got != theme.Light {
			t.Errorf("theme = %q, want light from the preferences", got)
		}
		if got := d.m.th.Accent; got != "#AA0000" {
			t.Errorf("accent = %q, want the tenant's kept", got)
		}
		d.run("/notify")
		d.wantStatus("Notifications: desktop.")
		d.run("/receipts")
		d.wantStatus("Read receipts: off.")
	})
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.prefsErr = errors.New("device store unreadable")
		d := vChatDriver(t, f)
		d.wantStatus("Could not read your preferences: device store unreadable")
	})
}

func TestNotifyAndReceiptsCommands(t *testing.T) {
	tests := []struct {
		line   string
		status string
		want   core.Prefs
	}{
		{"/notify desktop", "Notifications: desktop notifications", core.Prefs{ReadReceipts: true, TypingIndicators: true, ShowPresence: true, Theme: "dark", Notify: "desktop"}},
		{"/notify Both", "Notifications: the bell and desktop", core.Prefs{ReadReceipts: true, TypingIndicators: true, ShowPresence: true, Theme: "dark", Notify: "both"}},
		{"/notify off", "Notifications: off (alarms still ring).", core.Prefs{ReadReceipts: true, TypingIndicators: true, ShowPresence: true, Theme: "dark", Notify: "off"}},
		{"/notify bell", "Notifications: the terminal bell.", core.Prefs{ReadReceipts: true, TypingIndicators: true, ShowPresence: true, Theme: "dark", Notify: "bell"}},
		{"/receipts off", "Read receipts off", core.Prefs{ReadReceipts: false, TypingIndicators: true, ShowPresence: true, Theme: "dark", Notify: "bell"}},
		{"/receipts on", "Read receipts on", core.Prefs{ReadReceipts: true, TypingIndicators: true, ShowPresence: true, Theme: "dark", Notify: "bell"}},
		{"/notify loud", "Usage: /notify bell", core.DefaultPrefs()},
		{"/receipts maybe", "Usage: /receipts on", core.DefaultPrefs()},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := threeChatsLocal()
				d := vChatDriver(t, f)
				d.run(tt.line)
				d.wantStatus(tt.status)
				if diff := cmp.Diff(tt.want, f.prefs); diff != "" {
					t.Errorf("stored prefs (-want +got):\n%s", diff)
				}
			})
		})
	}
}
