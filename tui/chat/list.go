package chat

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// The chat list: the selected row of the conversations, the keys that
// move the selection and open a row while the list has focus, and its
// view at a given size. The conversations themselves are the model's
// (Modep.convs, as the core last listed them: commands, search and hidden
// chats read them too); the model hands them in, with what a row shows
// beside them (the open conversation, previews).

// chatList is the conversation list component.
type chatList struct {
	sel  int // selected row
	keys listKeys
	// rows are the rows drawn by the last View, to draw the same again
	// without styling them anew.
	rows rowMemo
}

// listKeys are the chat list's keys.
type listKeys struct {
	Up, Down, Open key.Binding
}

func newListKeys() listKeys {
	return listKeys{
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "select")),
		Down: key.NewBinding(key.WithKeys("down", "j")),
		Open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
	}
}

// helpKeys is the help line while the list has focus.
func (l *chatList) listHelp(g *keyMap) bindings {
	return bindings{l.keys.Up, l.keys.Open, g.Back, g.Quit}
}

// clamp keeps the selection within n rows.
func (l *chatList) clampSelection(n int) {
	if l.sel >= n {
		l.sel = max(0, n-1)
	}
}

// selectRef selects ref's row, if convs has it.
func (l *chatList) selectConv(convs []core.Conversation, ref core.ConvRef) {
	if i := convIndex(convs, ref); i >= 0 {
		l.sel = i
	}
}

// step selects the conversation after (or before) from, round the list,
// and returns it; nil when the list is empty.
func (l *chatList) stepConv(convs []core.Conversation, from core.ConvRef, next bool) *core.Conversation {
	if len(convs) == 0 {
		return nil
	}
	i := convIndex(convs, from)
	switch {
	case next:
		i = (i + 1) % len(convs)
	case i <= 0:
		i = len(convs) - 1
	default:
		i--
	}
	l.sel = i
	return &convs[i]
}

// handleKey takes a key while the list has focus: ↑/↓ move the
// selection, Enter returns the selected conversation for the model to
// open. The list takes every key it is given.
func (l *chatList) handleKey(convs []core.Conversation, msg tea.KeyPressMsg) (open *core.Conversation) {
	switch {
	case key.Matches(msg, l.keys.Up):
		if l.sel > 0 {
			l.sel--
		}
	case key.Matches(msg, l.keys.Down):
		if l.sel < len(convs)-1 {
			l.sel++
		}
	case key.Matches(msg, l.keys.Open):
		if l.sel < len(convs) {
			return &convs[l.sel]
		}
	}
	return nil
}

// convIndex is ref's index in convs; -1 if it is not there.
func convIndex(convs []core.Conversation, ref core.ConvRef) int {
	for i := range convs {
		if convs[i].Ref == ref {
			return i
		}
	}
	return -1
}

// listProps is what the list's view needs beside the list's own state.
type listProps struct {
	convs   []core.Conversation
	th      *theme.Theme
	focused bool         // the list has focus: the selection is marked
	open    core.ConvRef // the open conversation, marked as current
	// preview, when set, gives each conversation a second row: it returns
	// the row's text and the time shown beside the title.
	preview func(*core.Conversation) (text, at string)
}

// View renders the conversation list, w columns by h rows. With previews
// each conversation takes two rows: its title and time, then its last
// message and unread count.
func (l *chatList) View(p listProps, w, h int) string {
	return strings.Join(l.lines(p, w, h), "\n")
}

func (l *chatList) lines(p listProps, w, h int) []string {
	th := p.th
	memo := l.rows.begin(th)
	lines := make([]string, 0, h)
	lines = append(lines, memo.row(rowKey{kind: rowTitle, text: " Chats", w: w}))
	if len(p.convs) == 0 {
		lines = append(lines, memo.row(rowKey{kind: rowNone, text: " (none yet)", w: w}))
	}
	rowH := 1
	if p.preview != nil {
		rowH = 2
	}
	// Keep the selection visible.
	rows := max(1, (h-1)/rowH)
	first := 0
	if l.sel >= rows {
		first = l.sel - rows + 1
	}
	for i := first; i < len(p.convs) && len(lines) < h; i++ {
		c := &p.convs[i]
		selected, current := p.focused && i == l.sel, c.Ref == p.open
		badge := ""
		if c.Unread > 0 {
			badge = fmt.Sprintf(" %d ", c.Unread)
		}
		// Markers as well as colours, so terminals without colour see them.
		marker := "  "
		switch {
		case selected:
			marker = "› "
		case current:
			marker = "▸ "
		}
		row := rowKey{kind: rowBadge, w: w, selected: selected, current: current}
		if rowH == 1 {
			row.text, row.badge = marker+listTitle(c), badge
			lines = append(lines, memo.row(row))
			continue
		}
		text, right := p.preview(c)
		if right != "" {
			right = " " + right + " "
		}
		row.kind, row.text, row.badge = rowTime, marker+listTitle(c), right
		lines = append(lines, memo.row(row))
		if len(lines) < h {
			row.kind, row.text, row.badge = rowBadge, "  "+text, badge
			lines = append(lines, memo.row(row))
		}
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

// listTitle is a conversation's title in the list, its kind marked.
func listTitle(c *core.Conversation) string {
	title := cleanLine(c.Title())
	switch c.Ref.Kind {
	case core.ConvGroup:
		title = "# " + title // a group
	case core.ConvList:
		title = "» " + title // a distribution list
	}
	if c.Left {
		title += " (left)"
	}
	return title
}

// listRow is one row of the list: text cut to fit, and at the right end
// the badge (an unread count, or a title's time) in its style.
func listRow(th *theme.Theme, text, badge string, badgeStyle lipgloss.Style, w int, selected, current bool) string {
	plain := fit(text, w-ansi.StringWidth(badge)-1)
	row := plain + strings.Repeat(" ", max(0, w-ansi.StringWidth(plain)-ansi.StringWidth(badge)))
	switch {
	case selected:
		row = th.Selected.Render(row)
	case current:
		row = th.Current.Render(row)
	}
	if badge != "" {
		row += badgeStyle.Render(badge)
	}
	return row
}

// rowMemo keeps the rows of the last View by what they show, so the next
// View styles only the rows that changed. It holds the rows of one View:
// those the next one does not draw are dropped.
type rowMemo struct {
	th        *theme.Theme
	cur, last map[rowKey]string
}

// rowKind is what a row of the list is.
type rowKind uint8

const (
	rowBadge rowKind = iota // a conversation's row, an unread count at its end
	rowTime                 // a title row with the time at its end
	rowTitle                // the list's title
	rowNone                 // the line of an empty list
)

// rowKey is everything a row is drawn from, in its theme.
type rowKey struct {
	kind              rowKind
	text, badge       string
	w                 int
	selected, current bool
}

// begin starts a View in theme th.
func (r *rowMemo) begin(th *theme.Theme) *rowMemo {
	if r.cur == nil {
		r.cur, r.last = map[rowKey]string{}, map[rowKey]string{}
	}
	if r.th != th {
		clear(r.cur)
		r.th = th
	}
	r.cur, r.last = r.last, r.cur
	clear(r.cur)
	return r
}

// row draws k, or takes it from the last View.
func (r *rowMemo) row(k rowKey) string {
	if s, ok := r.cur[k]; ok {
		return s
	}
	s, ok := r.last[k]
	if !ok {
		s = k.draw(r.th)
	}
	r.cur[k] = s
	return s
}

func (k rowKey) draw(th *theme.Theme) string {
	switch k.kind {
	case rowTitle:
		return th.Title.Render(padRight(k.text, k.w))
	case rowNone:
		return th.Muted.Render(padRight(k.text, k.w))
	case rowTime:
		return listRow(th, k.text, k.badge, th.Muted, k.w, k.selected, k.current)
	}
	return listRow(th, k.text, k.badge, th.Badge, k.w, k.selected, k.current)
}
