package chat

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
)

// keyMap holds the keys the top-level model handles itself: those that
// work wherever the focus is, and the passphrase prompt's. Each component
// holds its own keys beside its update and view: the chat list's
// (listKeys, list.go), the open conversation's (messageKeys, messages.go),
// the composer's (composerKeys, composer.go) and the overlays' (paneKeys,
// panes.go). Every help line is rendered from these bindings.
type keyMap struct {
	Focus    key.Binding
	NextChat key.Binding
	PrevChat key.Binding
	Back     key.Binding
	Quit     key.Binding
	Unlock   key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Focus:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "chats")),
		NextChat: key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("^n/^p", "next/prev chat")),
		PrevChat: key.NewBinding(key.WithKeys("ctrl+p")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("^c", "quit")),
		Unlock:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "unlock")),
	}
}

// bindings is a help line: the bindings it shows, in order.
type bindings []key.Binding

func (b bindings) ShortHelp() []key.Binding  { return b }
func (b bindings) FullHelp() [][]key.Binding { return [][]key.Binding{b} }

// keyHints is "key what · key what" for the bindings, from their help.
func keyHints(bs ...key.Binding) string {
	hints := make([]string, 0, len(bs))
	for _, b := range bs {
		h := b.Help()
		hints = append(hints, h.Key+" "+h.Desc)
	}
	return strings.Join(hints, " · ")
}

// keyLines lists the bindings one a line, their keys in a column of w.
func keyLines(w int, bs ...key.Binding) []string {
	lines := make([]string, 0, len(bs))
	for _, b := range bs {
		h := b.Help()
		lines = append(lines, fmt.Sprintf("  %-*s %s", w, h.Key, h.Desc))
	}
	return lines
}
