package chat

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// The overlays: the panes the right side shows instead of the open
// conversation. Lists (search results, contacts, directory matches) whose
// rows Enter opens, and texts (verify, whoami, more) that scroll. One
// component serves them all: it knows which pane is open, its selection or
// scroll position, its keys (and the help line rendered from them), and
// frames what the pane shows. The features fill them (search.go,
// contacts.go, whoami.go, more.go) with a paneContent; what a chosen row
// opens is the model's (paneSelect).

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

// overlay is the overlay component: the pane shown instead of the
// conversation, and what the features put in it.
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
	// TextScroll is how a text pane's help names its scroll keys.
	TextScroll key.Binding
}

func newPaneKeys() paneKeys {
	return paneKeys{
		Up:         key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "select")),
		Down:       key.NewBinding(key.WithKeys("down")),
		Select:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Scroll:     key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", "scroll")),
		Close:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		TextScroll: key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓/pgup/pgdn", "scroll")),
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

// helpKeys is the help line of the open pane.
func (o *overlay) helpKeys() bindings {
	k := o.bindings()
	if !o.isList() {
		return bindings{k.TextScroll, k.Close}
	}
	return bindings{k.Up, k.Select, k.Scroll, k.Close}
}

// show opens p.
func (o *overlay) show(p pane) { o.pane, o.sel, o.top = p, 0, 0 }

// close goes back to the conversation.
func (o *overlay) close() { o.pane, o.sel, o.top = paneNone, 0, 0 }

// paneAction is what a key did to the open pane.
type paneAction int

const (
	paneIgnored paneAction = iota // not the pane's: the composer's key
	paneUsed                      // the selection moved, or the text scrolled
	paneClosed                    // Esc closed the pane
	paneChosen                    // Enter on a row: the model opens it
)

// handleKey takes a key while the pane is open: ↑/↓ move the selection
// of rows rows (or scroll a text pane), PgUp/PgDn by page, Enter chooses
// the selected row unless the user is typing, Esc closes the pane.
func (o *overlay) handleKey(msg tea.KeyPressMsg, rows, page int, typing bool) paneAction {
	k := o.bindings()
	list := o.isList()
	switch {
	case key.Matches(msg, k.Close):
		o.close()
		return paneClosed
	case key.Matches(msg, k.Up):
		if list {
			o.sel = max(0, o.sel-1)
		} else {
			o.top = max(0, o.top-1)
		}
		return paneUsed
	case key.Matches(msg, k.Down):
		if list {
			o.sel = max(0, min(rows-1, o.sel+1))
		} else {
			o.top++ // clamped when drawn
		}
		return paneUsed
	case key.Matches(msg, k.Scroll):
		step := max(1, page)
		if msg.String() == "pgup" {
			step = -step
		}
		if list {
			o.sel = max(0, min(rows-1, o.sel+step))
		} else {
			o.top = max(0, o.top+step)
		}
		return paneUsed
	case key.Matches(msg, k.Select):
		if !list || typing {
			return paneIgnored // the composer's Enter: a command or a message
		}
		return paneChosen
	}
	return paneIgnored
}

// paneContent is what a feature puts in its pane: a list pane's title,
// rows and the line shown without rows, or a text pane's lines.
type paneContent struct {
	title string
	rows  []string
	empty string
	text  []string
}

// View renders the open pane with c, w columns by h rows, its help line
// at the bottom. A text pane's scroll position is kept within its text.
func (o *overlay) View(th *theme.Theme, c paneContent, w, h int) string {
	var lines []string
	if o.isList() {
		lines = o.listLines(th, c, w, h)
	} else {
		lines = o.textLines(c.text, h)
	}
	return strings.Join(append(lines[:h-1], o.helpLine(th, w)), "\n")
}

// listLines lays out a list pane: its title, the rows around the
// selection (the selected one marked).
func (o *overlay) listLines(th *theme.Theme, c paneContent, w, h int) []string {
	lines := []string{th.Title.Render(fit(" "+c.title, w))}
	room := max(1, h-2) // title and help
	if len(c.rows) == 0 {
		lines = append(lines, "", th.Muted.Render(fit(" "+c.empty, w)))
	}
	first := 0
	if o.sel >= room {
		first = o.sel - room + 1
	}
	for i := first; i < len(c.rows) && i < first+room; i++ {
		row := fitStyled(c.rows[i], w-2)
		if i == o.sel {
			lines = append(lines, th.Selected.Render("›")+" "+row)
		} else {
			lines = append(lines, "  "+row)
		}
	}
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	return lines
}

// textLines shows lines from the scroll position.
func (o *overlay) textLines(lines []string, h int) []string {
	room := max(1, h-1)
	o.top = max(0, min(o.top, len(lines)-room))
	end := min(len(lines), o.top+room)
	out := append([]string(nil), lines[o.top:end]...)
	for len(out) < h-1 {
		out = append(out, "")
	}
	return out
}

// helpLine is the help line of the pane, rendered from its keys.
func (o *overlay) helpLine(th *theme.Theme, w int) string {
	var parts []string
	for _, b := range o.helpKeys() {
		h := b.Help()
		parts = append(parts, th.Help.ShortKey.Render(h.Key)+" "+th.Help.ShortDesc.Render(h.Desc))
	}
	return fitStyled(" "+strings.Join(parts, th.Help.ShortSeparator.Render(" • ")), w)
}

// The model's side of the overlays.

// openPane shows p in the right pane.
func (m *Model) openPane(p pane) {
	m.loc.show(p)
	m.showHelp = false
}

// closePane goes back to the open conversation.
func (m *Model) closePane() { m.loc.close() }

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

// paneKey routes a key while a pane is open: switching chats closes it
// (and goes on to switch), the help on top keeps its keys, the rest are
// the pane's (overlay.handleKey) or, those it leaves, the composer's.
func (m *Model) paneKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, m.keys.NextChat, m.keys.PrevChat):
		m.closePane() // switching chats shows the chat
		return nil, false
	case m.showHelp:
		return nil, false // the help is on top: keys are the help's
	}
	typing := strings.TrimSpace(m.composerValue()) != ""
	switch m.loc.handleKey(msg, m.paneRows(), m.bodyHeight()-3, typing) {
	case paneUsed:
		return nil, true
	case paneClosed:
		m.clearStatus()
		return nil, true
	case paneChosen:
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

// overlayLines renders the open pane, w columns by h rows, with what its
// feature puts in it.
func (m *Model) overlayLines(w, h int) []string {
	var c paneContent
	switch m.loc.pane {
	case paneSearch:
		c = m.searchContent(w)
	case paneContacts:
		c = m.contactContent(w)
	case paneFind:
		c = m.findContent(w)
	case paneVerify:
		c.text = m.verifyLines(w)
	case paneWhoami:
		c.text = m.whoamiLines(w)
	case paneMore:
		c.text = m.moreLines(w)
	default:
		return nil
	}
	return strings.Split(m.loc.View(m.th, c, w, h), "\n")
}
