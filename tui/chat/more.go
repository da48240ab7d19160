package chat

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/theme"
)

// /more: the commands /help leaves out (search, contacts, the directory,
// hidden chats, preferences), listed from the command table, and the
// preferences in force.

// moreCommand is /more.
func (m *Model) moreCommand(string) (tea.Cmd, bool) {
	m.openPane(paneMore)
	return nil, true
}

// moreLines is the /more pane: its commands, those policy forbids greyed
// with the reason, then the user's preferences.
func (m *Model) moreLines(w int) []string {
	th := m.th
	lines := []string{th.Title.Render(" More commands"), ""}
	lines = append(lines, m.commandLines(inMore, w)...)
	receipts := "on"
	if m.loc.prefsRead && !m.loc.prefs.ReadReceipts {
		receipts = "off"
	}
	name := m.th.Name
	if name == "" {
		name = theme.Dark
	}
	summary := fmt.Sprintf("Now: theme %s, notifications %s, read receipts %s.", name, m.notifyStyle(), receipts)
	seen := fmt.Sprintf("Typing indicators %s, presence %s.", onOff(m.loc.prefsRead, m.loc.prefs.TypingIndicators),
		onOff(m.loc.prefsRead, m.loc.prefs.ShowPresence))
	lines = append(lines, "", " "+fit(summary, max(10, w-2)), " "+fit(seen, max(10, w-2)), "", th.Title.Render(" Keys"))
	g, c, p := &m.keys, &m.composer.keys, &m.messagesPane.keys
	for _, l := range keyLines(14, c.Newline, p.Newest, p.PageUp, g.Focus, g.NextChat, g.Back) {
		lines = append(lines, fit(l, w))
	}
	return lines
}
