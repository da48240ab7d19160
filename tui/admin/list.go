package admin

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// cursor is the selection in a list and the first row shown.
type cursor struct{ sel, top int }

// clamp keeps the selection inside a list of n rows.
func (c *cursor) clamp(n int) {
	c.sel = max(0, min(c.sel, n-1))
	c.top = max(0, min(c.top, c.sel))
}

// follow scrolls so that the selection is one of rows visible rows.
func (c *cursor) follow(rows int) {
	rows = max(1, rows)
	if c.sel < c.top {
		c.top = c.sel
	}
	if c.sel >= c.top+rows {
		c.top = c.sel - rows + 1
	}
	c.top = max(0, c.top)
}

// navigate moves the selection for a navigation key; it reports whether
// the key was one.
func (c *cursor) navigate(k *keyMap, msg tea.KeyPressMsg, n, rows int) bool {
	switch {
	case key.Matches(msg, k.Up):
		c.sel--
	case key.Matches(msg, k.Down):
		c.sel++
	case key.Matches(msg, k.PageUp):
		c.sel -= max(1, rows-1)
	case key.Matches(msg, k.PageDown):
		c.sel += max(1, rows-1)
	case key.Matches(msg, k.Home):
		c.sel = 0
	case key.Matches(msg, k.End):
		c.sel = n - 1
	default:
		return false
	}
	c.clamp(n)
	c.follow(rows)
	return true
}

// column is one column of a table: a fixed width, or a share of what is
// left (flex > 0).
type column struct {
	title string
	width int
	flex  int
	right bool
}

// cell is a table cell with its style (nil: the text style).
type cell struct {
	text  string
	style *lipgloss.Style
}

// widths resolves the columns' widths for a table w cells wide, with a
// two-cell marker in front and a space between columns.
func widths(cols []column, w int) []int {
	out := make([]int, len(cols))
	left := w - 2 - (len(cols) - 1)
	flex := 0
	for i, c := range cols {
		out[i] = c.width
		left -= c.width
		flex += c.flex
	}
	if flex == 0 {
		return out
	}
	left = max(0, left)
	given := 0
	last := -1
	for i, c := range cols {
		if c.flex > 0 {
			out[i] += left * c.flex / flex
			given += left * c.flex / flex
			last = i
		}
	}
	out[last] += left - given
	return out
}

// table renders a table: a header row, then the rows from cur.top that
// fit in h lines, the selected one highlighted when focused. Only the
// visible rows are rendered.
func (m *Model) table(cols []column, n int, row func(i int) []cell, cur cursor, focused bool, w, h int) []string {
	th := m.th
	ws := widths(cols, w)
	render := func(cells []cell, plain bool) string {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(' ')
			}
			text := fit(c.text, ws[i])
			if cols[i].right {
				text = strings.Repeat(" ", max(0, ws[i]-ansi.StringWidth(text))) + text
			} else {
				text = padRight(text, ws[i])
			}
			if !plain && c.style != nil {
				text = c.style.Render(text)
			} else if !plain {
				text = th.Text.Render(text)
			}
			b.WriteString(text)
		}
		return b.String()
	}
	head := make([]cell, len(cols))
	for i, c := range cols {
		head[i] = cell{text: c.title}
	}
	lines := []string{th.Muted.Render(padRight(render(head, true), w))}
	for i := cur.top; i < n && len(lines) < h; i++ {
		cells := row(i)
		if focused && i == cur.sel {
			line := render(cells, true)
			lines = append(lines, th.Selected.Render(padRight("›"+line[1:], w)))
			continue
		}
		lines = append(lines, render(cells, false))
	}
	return lines
}

// styled is a cell in a style.
func styled(text string, st lipgloss.Style) cell { return cell{text: text, style: &st} }
