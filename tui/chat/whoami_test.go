package chat

import (
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

func TestWhoamiCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.who = core.WhoamiInfo{
			ID: f.me.ID, Name: "Alice Example", Organisation: "Acme Climbing", PublicKey: crypto.PublicKey{0xab, 0xcd},
			Fingerprint: fpAlice, CreatedAt: at(1, 9, 30), EmailHashes: []string{strings.Repeat("e3", 32)},
			Groups:   []core.WhoamiGroup{{Key: "0011223344556677", Name: "Climbers", Members: 3}},
			Devices:  []core.WhoamiDevice{{Label: "laptop", Fingerprint: "SHA256:abc", Added: at(1, 9, 30), LastUsed: at(15, 8, 0)}},
			Policies: []core.WhoamiPolicy{{Key: "parley_alarm_send", Value: "true", Source: "user"}},
		}
		d := vChatDriver(t, f)
		d.run("/whoami now")
		d.wantStatus("Usage: /whoami")
		d.run("/whoami")
		d.wantScreen("Who am I")
		d.wantScreen("Acme Climbing")
		d.wantScreen(fpAlice)
		// Scroll down to the devices and policies.
		for range 40 {
			d.press(tea.KeyDown)
		}
		d.wantScreen("laptop")
		d.wantScreen("parley_alarm_send = true (user)")
		d.wantScreen("Climbers · group, 3 members")
		d.press(tea.KeyEscape)
		if d.m.loc.pane != paneNone {
			t.Errorf("pane = %d after Esc, want none", d.m.loc.pane)
		}
	})
}
