package chat

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/tui/core"
)

// TestLongStatusWraps (issue 17, item 8): an error longer than the window
// wraps onto more lines, taken from the message pane while it shows,
// instead of being cut at the terminal's width.
func TestLongStatusWraps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/open Bob")
		body := d.m.bodyHeight()
		const long = "Sending files is turned off for your account by your administrator (policy th_disable_file_transfer): " +
			"ask them to allow it, or send the text as a message."
		d.m.setError(long)
		rows := d.statusRows()
		if len(rows) != 2 {
			t.Fatalf("a %d-character error at 80 columns takes %d lines, want 2: %q", len(long), len(rows), rows)
		}
		if got := strings.Join(rows, " "); got != long {
			t.Errorf("the wrapped error reads %q, want %q", got, long)
		}
		if got := d.m.bodyHeight(); got != body-1 {
			t.Errorf("message pane %d rows with a 2-line error, want %d", got, body-1)
		}
		lines := strings.Split(d.plain(), "\n")
		if len(lines) != 24 {
			t.Fatalf("the screen has %d lines, want 24", len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > 80 {
				t.Errorf("line %d is %d cells wide", i, w)
			}
		}
		d.wantScreen("hi Bob") // the pane still shows the conversation

		// At most three lines; what does not fit ends in "…".
		d.m.setError(strings.Repeat("far too long ", 30))
		if rows := d.statusRows(); len(rows) != maxStatusRows || !strings.HasSuffix(rows[len(rows)-1], "…") {
			t.Errorf("a very long error shows as %q, want %d lines ending in …", rows, maxStatusRows)
		}
		// The pane gets its rows back once the line is gone.
		d.m.clearStatus()
		if got := d.m.bodyHeight(); got != body {
			t.Errorf("message pane %d rows after the error, want %d", got, body)
		}
	})
}

// TestLongStatusBesideQuietIndicator: the first line keeps the quiet-hours
// indicator at its right end; the lines after it use the full width.
func TestLongStatusBesideQuietIndicator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.announce(core.Restrictions{Quiet: true, QuietUntil: time.Now().Add(time.Hour)})
		d.m.setError(strings.Repeat("quite a long reason ", 6))
		rows := d.statusRows()
		if len(rows) != 2 || !strings.HasSuffix(rows[0], "quiet until 01:00 ─") || strings.Contains(rows[1], "quiet until") {
			t.Fatalf("status lines %q, want the indicator on the first of two", rows)
		}
	})
}

// TestTinyWindowKeepsAPaneRow: in the smallest window the status never
// takes the message pane's last row.
func TestTinyWindowKeepsAPaneRow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.send(tea.WindowSizeMsg{Width: minWidth, Height: minHeight})
		d.m.setError(strings.Repeat("long ", 60))
		if got := d.m.bodyHeight(); got < 1 {
			t.Fatalf("message pane %d rows", got)
		}
		if n := len(strings.Split(d.plain(), "\n")); n != minHeight {
			t.Fatalf("the screen has %d lines, want %d", n, minHeight)
		}
	})
}

// TestGroupHeaderFollowsRename (issue 17, item 10): a rename of the open
// group, by anyone, shows in its header with the next reload.
func TestGroupHeaderFollowsRename(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		g := core.GroupConv("00000000000000aa")
		svc.addConv(core.Conversation{Ref: g, Name: "Climbers", LastAt: at(15, 12, 0)}, in(at(15, 12, 0), "on belay"))
		d := chatDriver(t, svc)
		d.m.openConversation(g, "Climbers")
		d.settle(d.m.reloadCmd())
		d.wantScreen(" Climbers · ")

		svc.mu.Lock()
		for i := range svc.convs {
			if svc.convs[i].Ref == g {
				svc.convs[i].Name = "Boulderers"
			}
		}
		svc.syncs = append(svc.syncs, core.Changes{Reload: true})
		svc.mu.Unlock()
		d.send(SyncMsg{})
		d.wantScreen(" Boulderers · ")
		d.wantNotScreen("Climbers")

		// A 1:1 chat keeps the name it was opened under.
		d.enter("/open Bob")
		d.settle(d.m.reloadCmd())
		d.wantScreen(" Bob Builder · ")
	})
}

// TestOwnNicknameShows (issue 17, item 10): the header shows the user's
// own nickname, read at start and right after /nick.
func TestOwnNicknameShows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		me := svc.me.ID
		svc.contacts[me] = core.Contact{ID: me, Name: svc.me.Name, Nickname: "ally"}
		d := chatDriver(t, svc)
		if got := strings.Split(d.plain(), "\n")[0]; !strings.Contains(got, "Alice Example ~ally · ALICE001") {
			t.Fatalf("header %q, want the nickname read at start", got)
		}
		d.enter("/nick Al")
		d.wantScreen("Your nickname is now Al.")
		if got := strings.Split(d.plain(), "\n")[0]; !strings.Contains(got, "Alice Example ~Al · ALICE001") {
			t.Fatalf("header %q after /nick, want the new nickname", got)
		}
	})
}
