package chat

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

func TestContactsCommands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.contactList = f.contactList[:2]
		d := vChatDriver(t, f)
		d.run("/contacts")
		d.wantScreen("Contacts (2)")
		d.wantScreen("● directory")
		d.wantScreen("● verified")
		d.run("/contacts please")
		d.wantStatus("Usage: /contacts")
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})

		d.run("/contact add DAVE0003")
		d.wantStatus("Dave (DAVE0003) added to your contacts: named by an administrator")
		d.wantScreen("Contacts (3)")
		d.run("/contact remove dave")
		d.wantStatus("DAVE0003 is no longer in your contacts.")
		d.wantScreen("Contacts (2)")
		d.run("/contact remove ERIN0004")
		d.wantStatus("Not removed: " + core.ErrNotContact.Error())
		d.run("/contact add ZZZZ9999")
		d.wantStatus("Not added: no user ZZZZ9999 on this server")
		d.run("/contact add ALICE001")
		d.wantStatus("/contact: that is your own ID.")
		d.run("/contact befriend BOB00001")
		d.wantStatus("Usage: /contact add <ID>")

		// Enter on the selected contact opens the chat with them.
		d.run("/contacts")
		d.press(tea.KeyDown)
		d.press(tea.KeyEnter)
		if got, want := d.m.open, core.Direct(carol); got != want {
			t.Errorf("open = %v, want %v", got, want)
		}
	})
}

func TestVerifyCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		d := vChatDriver(t, f)
		d.run("/verify")
		d.wantStatus("Usage: /verify <ID>")

		d.run("/verify bob")
		d.wantScreen("Verify Bob Builder · BOB00001")
		d.wantScreen("b0b0 1111 2222 3333")
		d.wantScreen("4444 5555 6666 7777")
		d.wantScreen("● directory")
		d.wantScreen("█") // the QR code
		if got := callsWith(f.takeCalls(), "Verify"); len(got) != 0 {
			t.Errorf("showing the key verified it: %q", got)
		}

		d.run("/verify BOB00001 B0B0 1111 2222 3333 4444 5555 6666 7778")
		d.wantStatus("MISMATCH: Bob Builder's key is NOT the one you were given.")
		d.wantScreen("● directory")

		d.run("/verify BOB00001 b0b0")
		d.wantStatus("/verify: " + core.ErrBadFingerprint.Error())

		d.run("/verify bob b0b011112222333344445555 6666 7777")
		d.wantStatus("✓ Bob Builder is verified")
		d.wantScreen("● verified")

		d.run("/verify ALICE001")
		d.wantScreen("Your key · ALICE001")
		d.wantScreen("0a1b 2c3d 4e5f 6a7b")
		d.run("/verify ALICE001 " + fpAlice)
		d.wantStatus("that is your own key")

		d.run("/verify nobody")
		d.wantStatus(`/verify: "nobody" is not a Parley ID`)
		d.run("/verify ZZZZ9999")
		d.wantStatus("/verify: no user ZZZZ9999 on this server")
	})
}

func TestFindCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		erin := mustID("ERIN0004")
		f.dir = []core.DirectoryEntry{
			{ID: erin, Name: "Erin Müller", Nickname: "erin", Category: "Sales", Tags: []string{"berlin", "oncall"}, Internal: true},
			{ID: bob, Name: "Bob Builder"},
		}
		d := vChatDriver(t, f)
		d.run("/find")
		d.wantStatus("Usage: /find <name>")
		d.run("/find *mül*")
		if got, want := callsWith(f.takeCalls(), "Find"), []string{`Find "*mül*"`}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		d.wantScreen("Directory: *mül* (2)")
		d.wantScreen("Erin Müller ~erin ERIN0004 ● Sales #berlin #oncall")
		d.press(tea.KeyEnter)
		if got, want := d.m.open, core.Direct(erin); got != want {
			t.Errorf("open = %v, want %v", got, want)
		}

		f.mu.Lock()
		f.findErr = errors.New("the directory is disabled (policy th_disable_work_directory)")
		f.mu.Unlock()
		d.run("/find #oncall")
		d.wantStatus("/find: the directory is disabled")

		// A policy that forbids the directory: refused before asking.
		d.announce(core.Restrictions{Forbidden: map[string]string{core.FeatureWorkDirectory: "your organisation turned the directory off"}})
		f.takeCalls()
		d.run("/find bob")
		d.wantStatus("/find: your organisation turned the directory off.")
		if got := callsWith(f.takeCalls(), "Find"); len(got) != 0 {
			t.Errorf("a forbidden /find reached the core: %q", got)
		}
	})
}
