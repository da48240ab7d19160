package chat

import (
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

// TestPaneGivesWay: opening a conversation or the help replaces a local
// pane; Esc closes the help first, then the pane.
func TestPaneGivesWay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := vChatDriver(t, threeChatsLocal())
		d.run("/contacts")
		d.run("/open dave")
		if d.m.loc.pane != paneNone || d.m.open != core.Direct(dave) {
			t.Errorf("after /open: pane %d, open %v; want no pane, Dave open", d.m.loc.pane, d.m.open)
		}
		d.run("/contacts")
		d.press('n', tea.ModCtrl)
		if d.m.loc.pane != paneNone {
			t.Errorf("after Ctrl+N: pane %d, want none", d.m.loc.pane)
		}
		d.run("/contacts")
		d.run("/help")
		d.wantScreen("Commands")
		d.press(tea.KeyEscape)
		d.wantScreen("Contacts (3)")
		d.press(tea.KeyEscape)
		d.wantNotScreen("Contacts (3)")
	})
}
