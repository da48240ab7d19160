package chat

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
)

// keyMap holds every binding of the chat UI; the help line is rendered from it.
type keyMap struct {
	Send     key.Binding
	Focus    key.Binding
	Up       key.Binding
	Down     key.Binding
	Open     key.Binding
	NextChat key.Binding
	PrevChat key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Newline  key.Binding
	Newest   key.Binding
	Back     key.Binding
	Quit     key.Binding
	Unlock   key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Send:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		Focus:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "chats")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "select")),
		Down:     key.NewBinding(key.WithKeys("down", "j")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		NextChat: key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("^n/^p", "next/prev chat")),
		PrevChat: key.NewBinding(key.WithKeys("ctrl+p")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup/pgdn", "scroll")),
		PageDown: key.NewBinding(key.WithKeys("pgdown")),
		Newline:  key.NewBinding(key.WithKeys("alt+enter", "ctrl+j"), key.WithHelp("alt+enter/^j", "new line")),
		Newest:   key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "newest")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("^c", "quit")),
		Unlock:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "unlock")),
	}
}

// composerHelp is shown while typing.
type composerHelp struct{ k *keyMap }

func (h composerHelp) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Send, h.k.Focus, h.k.NextChat, h.k.PageUp, h.k.Quit}
}
func (h composerHelp) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }

// scrolledHelp is shown while typing, scrolled up from the newest message.
type scrolledHelp struct{ k *keyMap }

func (h scrolledHelp) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Send, h.k.Newest, h.k.PageUp, h.k.NextChat, h.k.Quit}
}
func (h scrolledHelp) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }

// listHelp is shown while the conversation list has focus.
type listHelp struct{ k *keyMap }

func (h listHelp) ShortHelp() []key.Binding {
	return []key.Binding{h.k.Up, h.k.Open, h.k.Back, h.k.Quit}
}
func (h listHelp) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }

// lockHelp is shown on the passphrase prompt.
type lockHelp struct{ k *keyMap }

func (h lockHelp) ShortHelp() []key.Binding  { return []key.Binding{h.k.Unlock, h.k.Quit} }
func (h lockHelp) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }

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
