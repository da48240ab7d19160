package chat

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

func TestSearchCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.results = []core.Message{
			{Conv: core.Direct(carol), From: carol, Time: at(15, 9, 0), Text: "PING me when you are there"},
			{Conv: core.Direct(bob), From: f.me.ID, Outgoing: true, Time: at(15, 8, 0), Text: "did you get my ping?"},
		}
		d := vChatDriver(t, f)
		f.takeCalls()

		d.run("/search")
		d.wantStatus("Usage: /search <text>")
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		d.run("/search " + strings.Repeat("x", maxQuery+1))
		d.wantStatus("Search text too long")
		if got := callsWith(f.takeCalls(), "Search"); len(got) != 0 {
			t.Errorf("bad queries reached the core: %q", got)
		}
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})

		d.run("/search  ping ")
		if got, want := callsWith(f.takeCalls(), "Search"), []string{fmt.Sprintf("Search %q %d", "ping", searchLimit)}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		d.wantScreen("Search: ping (2)")
		d.wantScreen("Carol")
		d.wantScreen("you → Bob Builder")
		d.wantStatus("2 messages with \"ping\"")
		if !strings.Contains(d.content(), theme.Default().Match.Render("PING")) {
			t.Errorf("the match is not highlighted:\n%q", d.content())
		}

		// ↓ selects the second result; Enter on the empty composer jumps.
		d.press(tea.KeyDown)
		d.press(tea.KeyEnter)
		if got, want := d.m.open, core.Direct(bob); got != want {
			t.Errorf("open = %v, want %v", got, want)
		}
		if d.m.loc.pane != paneNone {
			t.Errorf("pane = %d after the jump, want none", d.m.loc.pane)
		}
		d.wantStatus("from your search")

		// Esc closes the results.
		d.run("/search ping")
		d.press(tea.KeyEscape)
		if d.m.loc.pane != paneNone {
			t.Errorf("pane = %d after Esc, want none", d.m.loc.pane)
		}

		f.mu.Lock()
		f.searchErr = core.ErrEmptyQuery
		f.mu.Unlock()
		d.run("/search x")
		d.wantStatus("Search failed: " + core.ErrEmptyQuery.Error())
	})
}

func TestSearchNothingFound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := vChatDriver(t, threeChatsLocal())
		d.run("/search zebra")
		d.wantStatus(`Nothing found for "zebra".`)
		d.wantScreen("No message contains this text.")
		d.press(tea.KeyEnter) // nothing to open: nothing happens
		if d.m.loc.pane != paneSearch {
			t.Errorf("pane = %d, want the search results still", d.m.loc.pane)
		}
	})
}

func TestSnippet(t *testing.T) {
	m := &Model{th: theme.Default()}
	tests := []struct {
		text, query string
		w           int
		want        string
	}{
		{"short warm up", "warm", 30, "short warm up"},
		{"No problem, I'll warm up.", "WARM UP", 21, "…oblem, I'll warm up."},
		{"Shall we warm up together before the session?", "warm up", 21, "…ll we warm up toget…"},
		{"no match here at all, a long line of text", "zebra", 10, "no match …"},
		{"見積もりを送ります", "送", 8, "…を送り…"},
		{"abc", "abcdef", 10, "abc"},
		{"warm up", "warm up", 4, "war…"},
	}
	for _, tt := range tests {
		got := ansi.Strip(m.snippet(tt.text, tt.query, tt.w))
		if got != tt.want {
			t.Errorf("snippet(%q, %q, %d) = %q, want %q", tt.text, tt.query, tt.w, got, tt.want)
		}
		if ansi.StringWidth(got) > tt.w {
			t.Errorf("snippet(%q, %q, %d) is %d cells wide", tt.text, tt.query, tt.w, ansi.StringWidth(got))
		}
	}
}

func FuzzSnippet(f *testing.F) {
	f.Add("No problem, I'll warm up.", "warm", 21)
	f.Add("見積もりを送ります", "送", 3)
	f.Add("İstanbul", "i̇", 5)
	f.Fuzz(func(t *testing.T, text, query string, w int) {
		w = w%200 + 1
		if w < 1 {
			w = -w + 1
		}
		m := &Model{th: theme.Default()}
		text, query = cleanLine(text), cleanLine(query)
		got := ansi.Strip(m.snippet(text, query, w))
		if n := ansi.StringWidth(got); n > w {
			t.Fatalf("snippet(%q, %q, %d) = %q: %d cells", text, query, w, got, n)
		}
	})
}
