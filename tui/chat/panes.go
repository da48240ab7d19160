package chat

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// The panes the right side shows instead of the open conversation: lists
// (search results, contacts, directory matches) whose rows Enter opens,
// and texts (verify, whoami, more) that scroll. The features fill them
// (search.go, contacts.go, whoami.go, more.go); this file opens and
// closes them, moves their selection and frames what they show, with a
// help line rendered from their keys.

// pane is what the right pane shows instead of the open conversation.
type pane int

const (
	paneNone pane = iota
	paneSearch
	paneContacts
	paneVerify
	paneFind
	paneWhoami
	paneMore
)

// overlay is the state of the pane shown instead of the conversation.
type overlay struct {
	pane pane
	// sel is the selected row of a list pane; top the first line shown of
	// a text pane.
	sel, top int

	// What the panes show (the contacts pane shows featureState.contacts).
	query   string
	results []core.Message
	found   []core.DirectoryEntry
	verify  verifyInfo
	who     core.WhoamiInfo
	whoQR   string

	keys       paneKeys
	keysLoaded bool
}

// paneKeys are the keys of a pane; its help line is rendered from them.
type paneKeys struct {
	Up, Down, Select, Scroll, Close key.Binding
}

func newPaneKeys() paneKeys {
	return paneKeys{
		Up:     key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "select")),
		Down:   key.NewBinding(key.WithKeys("down")),
		Select: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Scroll: key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", "scroll")),
		Close:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
}

// isList says whether the open pane is a list of selectable rows.
func (o *overlay) isList() bool {
	return o.pane == paneSearch || o.pane == paneContacts || o.pane == paneFind
}

// bindings are the open pane's keys, built on first use.
func (o *overlay) bindings() paneKeys {
	if !o.keysLoaded {
		o.keys, o.keysLoaded = newPaneKeys(), true
	}
	return o.keys
}

// openPane shows p in the right pane.
func (m *Model) openPane(p pane) {
	m.loc.pane, m.loc.sel, m.loc.top = p, 0, 0
	m.showHelp = false
}

// closePane goes back to the open conversation.
func (m *Model) closePane() { m.loc.pane, m.loc.sel, m.loc.top = paneNone, 0, 0 }

// paneRows is how many rows the selectable list of the open pane has.
func (m *Model) paneRows() int {
	switch m.loc.pane {
	case paneSearch:
		return len(m.loc.results)
	case paneContacts:
		return len(m.loc.contacts)
	case paneFind:
		return len(m.loc.found)
	}
	return 0
}

// paneKey handles a key while a pane is open: ↑/↓ move the selection
// (or scroll a text pane), Enter on an empty composer opens the selected
// row, Esc closes the pane. Other keys go to the composer.
func (m *Model) paneKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.loc.bindings()
	list := m.loc.isList()
	switch {
	case key.Matches(msg, m.keys.NextChat, m.keys.PrevChat):
		m.closePane() // switching chats shows the chat
		return nil, false
	case m.showHelp:
		return nil, false // the help is on top: keys are the help's
	case key.Matches(msg, k.Close):
		m.closePane()
		m.clearStatus()
		return nil, true
	case key.Matches(msg, k.Up):
		if list {
			m.loc.sel = max(0, m.loc.sel-1)
		} else {
			m.loc.top = max(0, m.loc.top-1)
		}
		return nil, true
	case key.Matches(msg, k.Down):
		if list {
			m.loc.sel = max(0, min(m.paneRows()-1, m.loc.sel+1))
		} else {
			m.loc.top++ // clamped when drawn
		}
		return nil, true
	case key.Matches(msg, k.Scroll):
		step := max(1, m.bodyHeight()-3)
		if msg.String() == "pgup" {
			step = -step
		}
		if list {
			m.loc.sel = max(0, min(m.paneRows()-1, m.loc.sel+step))
		} else {
			m.loc.top = max(0, m.loc.top+step)
		}
		return nil, true
	case key.Matches(msg, k.Select):
		if !list || strings.TrimSpace(m.composerValue()) != "" {
			return nil, false // the composer's Enter: a command or a message
		}
		return m.paneSelect(), true
	}
	return nil, false
}

// paneSelect opens what the selected row of a list pane stands for.
func (m *Model) paneSelect() tea.Cmd {
	if m.loc.sel >= m.paneRows() {
		return nil
	}
	switch m.loc.pane {
	case paneSearch:
		r := m.loc.results[m.loc.sel]
		m.closePane()
		return m.jumpTo(r)
	case paneContacts:
		c := m.loc.contacts[m.loc.sel]
		m.closePane()
		return m.openDirect(c.ID, c.Name)
	case paneFind:
		e := m.loc.found[m.loc.sel]
		m.closePane()
		return m.openDirect(e.ID, e.Name)
	}
	return nil
}

// openDirect opens the conversation with id, starting it if need be.
func (m *Model) openDirect(id crypto.ID, name string) tea.Cmd {
	if id == m.o.Service.Me().ID {
		m.setError("That is you: pick someone else to write to.")
		return nil
	}
	m.openConversation(core.Direct(id), name)
	m.focus = focusComposer
	m.input.Focus()
	return m.reloadCmd()
}

// overlayLines renders the open pane, w columns by h rows.
func (m *Model) overlayLines(w, h int) []string {
	switch m.loc.pane {
	case paneSearch:
		return m.searchLines(w, h)
	case paneContacts:
		return m.contactLines(w, h)
	case paneFind:
		return m.findLines(w, h)
	case paneVerify:
		return m.textPane(m.verifyLines(w), w, h)
	case paneWhoami:
		return m.textPane(m.whoamiLines(w), w, h)
	case paneMore:
		return m.textPane(m.moreLines(w), w, h)
	}
	return nil
}

// listPane lays out a list pane: its title, the rows around the
// selection (the selected one marked), and a help line at the bottom.
func (m *Model) listPane(title string, rows []string, empty string, w, h int) []string {
	th := m.th
	lines := []string{th.Title.Render(fit(" "+title, w))}
	room := max(1, h-2) // title and help
	if len(rows) == 0 {
		lines = append(lines, "", th.Muted.Render(fit(" "+empty, w)))
	}
	first := 0
	if m.loc.sel >= room {
		first = m.loc.sel - room + 1
	}
	for i := first; i < len(rows) && i < first+room; i++ {
		row := fitStyled(rows[i], w-2)
		if i == m.loc.sel {
			lines = append(lines, th.Selected.Render("›")+" "+row)
		} else {
			lines = append(lines, "  "+row)
		}
	}
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	return append(lines[:h-1], m.paneHelp(true, w))
}

// textPane shows lines from the scroll position, with a help line.
func (m *Model) textPane(lines []string, w, h int) []string {
	room := max(1, h-1)
	m.loc.top = max(0, min(m.loc.top, len(lines)-room))
	end := min(len(lines), m.loc.top+room)
	out := append([]string(nil), lines[m.loc.top:end]...)
	for len(out) < h-1 {
		out = append(out, "")
	}
	return append(out[:h-1], m.paneHelp(false, w))
}

// paneHelp is the help line of a pane, rendered from its keys.
func (m *Model) paneHelp(list bool, w int) string {
	k := m.loc.bindings()
	bs := []key.Binding{k.Up, k.Select, k.Scroll, k.Close}
	if !list {
		scroll := key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓/pgup/pgdn", "scroll"))
		bs = []key.Binding{scroll, k.Close}
	}
	var parts []string
	for _, b := range bs {
		h := b.Help()
		parts = append(parts, m.th.Help.ShortKey.Render(h.Key)+" "+m.th.Help.ShortDesc.Render(h.Desc))
	}
	return fitStyled(" "+strings.Join(parts, m.th.Help.ShortSeparator.Render(" • ")), w)
}
