package chat

import (
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

// Names that are none of the user's chats are looked up in the company
// directory: /open "Ada Lovelace" and /msg Ada hello reach someone the
// user has never written to. One match opens the chat; several show the
// /find list to pick from, with the command line back in the composer.

// errNotInChats is what resolve's answer for a name no chat has matches.
var errNotInChats = errors.New("not in your chats")

// notInChats is that answer, worded for the user.
type notInChats string

func (e notInChats) Error() string        { return string(e) }
func (e notInChats) Is(target error) bool { return target == errNotInChats }

// lookupMsg answers a directory look-up of a name /open or /msg gave.
type lookupMsg struct {
	name, text, line string
	found            []core.DirectoryEntry
	err              error
}

// splitName reads a name at the start of s: "quoted words" or one word;
// rest is what follows.
func splitName(s string) (name, rest string) {
	s = strings.TrimSpace(s)
	if q, ok := strings.CutPrefix(s, `"`); ok {
		if name, rest, ok := strings.Cut(q, `"`); ok {
			return strings.TrimSpace(name), strings.TrimSpace(rest)
		}
	}
	name, rest, _ = strings.Cut(s, " ")
	return name, strings.TrimSpace(rest)
}

// lookupCmd looks name up in the directory, if the session has one.
func (m *Model) lookupCmd(name, text, line string) tea.Cmd {
	svc := m.dirSvc()
	if svc == nil {
		return nil
	}
	ctx := m.o.Context
	return func() tea.Msg {
		found, err := svc.Find(ctx, name)
		return lookupMsg{name: name, text: text, line: line, found: found, err: err}
	}
}

// lookupDone opens the one person called name, or lets the user pick.
func (m *Model) lookupDone(msg lookupMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(fmt.Sprintf("%q is in none of your chats, and the directory says: %v", cleanLine(msg.name), msg.err))
		m.setComposer(msg.line)
		return nil
	}
	var exact []core.DirectoryEntry
	for _, e := range msg.found {
		if strings.EqualFold(e.Name, msg.name) || strings.EqualFold(e.Nickname, msg.name) {
			exact = append(exact, e)
		}
	}
	if len(exact) == 0 {
		exact = msg.found
	}
	switch len(exact) {
	case 0:
		m.setError(fmt.Sprintf("%q is no Parley ID, none of your chats, nobody in the directory", cleanLine(msg.name)))
		m.setComposer(msg.line)
		return nil
	case 1:
		return m.openCmd(core.Direct(exact[0].ID), msg.text)
	}
	cmd := m.findDone(findMsg{query: msg.name, found: exact})
	m.setInfo(fmt.Sprintf("%d people match %q: pick one with ↑/↓ and Enter, then write.", len(exact), cleanLine(msg.name)))
	m.setComposer(msg.line)
	return cmd
}
