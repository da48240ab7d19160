package chat

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
)

// commandHelp is shown by /help, one command per line.
func commandHelp() []string {
	return []string{
		"/msg <ID|name> <text>  send a message",
		"/open <ID|name>        open a conversation",
		"/help                  show this help",
		"/quit                  leave (also Ctrl+C)",
		"//text                 send text starting with /",
	}
}

// submit handles the composer's Enter: a slash command or a message to the
// open conversation. It reports whether the composer should be cleared.
func (m *Model) submit(raw string) (tea.Cmd, bool) {
	text := strings.TrimSpace(raw)
	if text == "" {
		return nil, true
	}
	m.clearStatus()
	if strings.HasPrefix(text, "//") {
		text = text[1:]
	} else if strings.HasPrefix(text, "/") {
		return m.command(text)
	}
	if m.open.IsZero() {
		m.setError("No conversation open: use /open <ID> or /msg <ID> <text>.")
		return nil, false
	}
	if len(text) > crypto.MaxTextLen {
		m.setError(fmt.Sprintf("Message too long: %d bytes, the limit is %d.", len(text), crypto.MaxTextLen))
		return nil, false
	}
	m.showHelp = false
	m.scroll = 0
	return m.sendCmd(m.open, text), true
}

func (m *Model) command(line string) (tea.Cmd, bool) {
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(name) {
	case "/help", "/?":
		m.showHelp = true
		return nil, true
	case "/quit", "/exit":
		return tea.Quit, true
	case "/open":
		if rest == "" {
			m.setError("Usage: /open <ID|name>")
			return nil, false
		}
		id, err := m.resolve(rest)
		if err != nil {
			m.setError(err.Error())
			return nil, false
		}
		return m.openCmd(id, ""), true
	case "/msg", "/m":
		who, text, _ := strings.Cut(rest, " ")
		text = strings.TrimSpace(text)
		if who == "" || text == "" {
			m.setError("Usage: /msg <ID|name> <text>")
			return nil, false
		}
		if len(text) > crypto.MaxTextLen {
			m.setError(fmt.Sprintf("Message too long: %d bytes, the limit is %d.", len(text), crypto.MaxTextLen))
			return nil, false
		}
		id, err := m.resolve(who)
		if err != nil {
			m.setError(err.Error())
			return nil, false
		}
		return m.openCmd(id, text), true
	}
	m.setError(fmt.Sprintf("Unknown command %s: /help lists the commands.", cleanLine(name)))
	return nil, false
}

// resolve reads a Parley ID, or the name of someone the user already has a
// conversation with (case-insensitive, unique prefix).
func (m *Model) resolve(s string) (crypto.ID, error) {
	if id, err := crypto.ParseID(s); err == nil {
		return id, nil
	}
	want := strings.ToLower(s)
	var hits []crypto.ID
	for _, c := range m.convs {
		name := strings.ToLower(c.Name)
		if name == want {
			return c.Peer, nil
		}
		if strings.HasPrefix(name, want) {
			hits = append(hits, c.Peer)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return crypto.ID{}, fmt.Errorf("%q is not a Parley ID (8 characters A-Z, 0-9) nor a name in your chats", cleanLine(s))
	}
	return crypto.ID{}, fmt.Errorf("%q matches %d chats: type more of the name, or the ID", cleanLine(s), len(hits))
}
