package chat

import (
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

func TestMoreCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := vChatDriver(t, threeChatsLocal())
		d.announce(core.Restrictions{Forbidden: map[string]string{core.FeatureWorkDirectory: "your organisation turned the directory off"}})
		d.run("/more")
		for _, c := range moreCommands() {
			d.wantScreen(c.line())
		}
		d.wantScreen("not available: your organisation turned the directory")
		d.press(tea.KeyPgDown) // the preferences are below the commands
		d.wantScreen("Now: theme dark, notifications bell, read receipts on.")
		d.wantScreen("Typing indicators on, presence on.")
		d.press(tea.KeyEscape)
		d.wantNotScreen("More commands")
	})
}
