package chat

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/tui/core"
)

// Minimum size the chat layout needs; below it a notice is shown.
const (
	minWidth  = 30
	minHeight = 8
)

// View renders the current screen.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	me := m.o.Service.Me()
	v.WindowTitle = "Parley · " + cleanLine(me.Name)
	if m.w < minWidth || m.h < minHeight {
		v.SetContent(fit(fmt.Sprintf("Window too small (%dx%d): Parley needs %dx%d.", m.w, m.h, minWidth, minHeight), m.w))
		return v
	}
	switch m.screen {
	case screenLocked:
		content, cur := m.lockView()
		v.SetContent(content)
		v.Cursor = cur
	default:
		content, cur := m.chatView()
		v.SetContent(content)
		v.Cursor = cur
	}
	return v
}

// --- the passphrase prompt ---

func (m *Model) lockView() (string, *tea.Cursor) {
	me := m.o.Service.Me()
	th := m.th
	// A roomy dialog where there is space, a compact one in small windows.
	dialog, padX, padY := th.Dialog, 3, 1
	if m.h < 16 || m.w < 50 {
		dialog, padX, padY = dialog.Padding(0, 1), 1, 0
	}
	innerW := min(60, m.w-2-2*padX)
	lines := []string{th.Title.Render("Parley")}
	if padY > 0 {
		lines = append(lines, "")
	}
	lines = append(lines, fit(cleanLine(me.Name)+" · "+me.ID.String(), innerW))
	if padY > 0 {
		lines = append(lines, "")
	}
	passRow := len(lines)
	lines = append(lines, m.pass.View())
	if m.h >= 10 {
		lines = append(lines, th.Muted.Render("(typing is hidden)"))
	}
	if padY > 0 {
		lines = append(lines, "")
	}
	switch {
	case m.unlocking:
		lines = append(lines, th.Info.Render("Unlocking…"))
	case m.lockErr != "":
		// Wrapped, not cut: in a small window the reason must still be readable.
		for _, l := range strings.Split(ansi.Wrap(m.lockErr, innerW, ""), "\n") {
			lines = append(lines, th.Error.Render(l))
		}
	default:
		lines = append(lines, th.Muted.Render(fit("Enter your passphrase to unlock your messages.", innerW)))
	}
	for i := range lines {
		lines[i] = padRight(fitStyled(lines[i], innerW), innerW)
	}
	box := dialog.Render(strings.Join(lines, "\n"))
	boxLines := strings.Split(box, "\n")
	boxW := lipgloss.Width(box)
	top := max(0, (m.h-1-len(boxLines))/2)
	left := max(0, (m.w-boxW)/2)
	out := make([]string, 0, m.h)
	for i := 0; i < top; i++ {
		out = append(out, "")
	}
	pad := strings.Repeat(" ", left)
	for _, l := range boxLines {
		out = append(out, pad+l)
	}
	for len(out) < m.h-1 {
		out = append(out, "")
	}
	out = append(out[:m.h-1], m.helpLines[0])
	var cur *tea.Cursor
	if !m.unlocking && !m.closing {
		// The cursor stays right after the prompt: moving it as keys are
		// typed would show the passphrase's length.
		cur = tea.NewCursor(left+1+padX+ansi.StringWidth(m.pass.Prompt), top+1+padY+passRow)
	}
	return strings.Join(out, "\n"), cur
}

// --- the chat screen ---

// bodyHeight is what the panes get: the screen less the header, the
// status lines, the composer and the help line.
func (m *Model) bodyHeight() int {
	return max(1, m.h-2-m.composerRows()-len(m.statusText(m.statusWidth())))
}

func (m *Model) listWidth() int {
	if m.w < 60 {
		return 0
	}
	return min(30, max(18, m.w/4))
}

func (m *Model) chatView() (string, *tea.Cursor) {
	out := make([]string, 0, m.h)
	out = append(out, m.headerLine())

	bodyH := m.bodyHeight()
	lw := m.listWidth()
	rw := m.w - lw
	if lw > 0 {
		rw--
	}
	var list []string
	if lw > 0 {
		list = strings.Split(m.chatList.View(m.listProps(), lw, bodyH), "\n")
	}
	right := m.paneLines(rw, bodyH)
	sep := m.paints().sep
	for i := 0; i < bodyH; i++ {
		if lw > 0 {
			out = append(out, list[i]+sep+right[i])
		} else {
			out = append(out, right[i])
		}
	}
	out = append(out, m.statusLines()...)
	out = append(out, strings.Split(m.composer.View(m.th, m.w, m.composerRows()), "\n")...)
	switch {
	case m.focus == focusList:
		out = append(out, m.helpLines[2])
	case m.scroll > 0:
		out = append(out, m.helpLines[3])
	default:
		out = append(out, m.helpLines[1])
	}
	var cur *tea.Cursor
	if m.screen == screenChat && m.focus == focusComposer {
		if c := m.input.Cursor(); c != nil {
			c.Y = m.h - 2
			cur = c
		}
	}
	return strings.Join(out, "\n"), cur
}

func (m *Model) headerLine() string {
	th := m.paints()
	me := m.o.Service.Me()
	left := " Parley  " + m.ownName() + " · " + me.ID.String()
	right := ""
	if m.o.Tenant != "" {
		right = cleanLine(m.o.Tenant) + " "
	}
	switch {
	case m.offline != "":
		right = m.offline + " · " + right
	case m.screen != screenChat:
		right = "connecting… " + right
	}
	gap := m.w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return th.header.Render(fit(left, m.w))
	}
	return th.header.Render(left + strings.Repeat(" ", gap) + right)
}

// maxStatusRows is how many lines an error or notice may take from the
// message pane while it shows.
const maxStatusRows = 3

// statusIndicator is the quiet-hours indicator as the status line shows
// it at its right end, and the width left for the message beside it; a
// narrow window drops the indicator to keep the message.
func (m *Model) statusIndicator() (ind string, w int) {
	if q := m.quietIndicator(); q != "" {
		ind = " " + q + " "
	}
	w = m.w
	if ind != "" {
		w -= ansi.StringWidth(ind) + 1
	}
	if m.statusKind != statusNone && w < min(m.w, 20) {
		ind, w = "", m.w
	}
	return ind, w
}

// statusWidth is the width the status message wraps at.
func (m *Model) statusWidth() int {
	_, w := m.statusIndicator()
	return w
}

// statusText is the status message wrapped at w cells: one line when
// there is none, at most maxStatusRows, and never so many that the panes
// lose their last row (the last line kept ends in "…" when cut).
func (m *Model) statusText(w int) []string {
	if m.statusKind == statusNone || w <= 0 {
		return []string{""}
	}
	room := max(1, min(maxStatusRows, m.h-3-m.composerRows()))
	lines := strings.Split(ansi.Wrap(m.status, w, ""), "\n")
	if len(lines) > room {
		rest := strings.Join(lines[room-1:], " ")
		lines = append(lines[:room-1], fit(rest, w))
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return lines
}

// statusLines show the last error or notice, wrapped, or a rule; the
// quiet-hours indicator sits at the first line's right end.
func (m *Model) statusLines() []string {
	ind, w := m.statusIndicator()
	pt := m.paints()
	text := m.statusText(w)
	out := make([]string, len(text))
	for i, l := range text {
		lw := w
		if i > 0 {
			lw = m.w // lines after the first have no indicator beside them
		}
		switch m.statusKind {
		case statusError:
			out[i] = pt.errorS.Render(padRight(fit(l, lw), lw))
		case statusInfo:
			out[i] = pt.info.Render(padRight(fit(l, lw), lw))
		default:
			out[i] = pt.rule.Render(strings.Repeat("─", max(0, lw)))
		}
	}
	if ind != "" {
		out[0] += pt.warning.Render(ind) + pt.rule.Render("─")
	}
	return out
}

// quietIndicator is "quiet until 08:00" during quiet hours (the day named
// when it is not today), "quiet hours" when they do not end; "" outside.
func (m *Model) quietIndicator() string {
	if !m.restr.Quiet {
		return ""
	}
	until := m.restr.QuietUntil
	if until.IsZero() {
		return "quiet hours"
	}
	loc, zone := m.o.Location, ""
	// The terminal did not say its zone: the schedule's is the one the
	// user keeps quiet hours in. Name it, as messages show another.
	if l := m.quietLoc; !m.zoneKnown && l != nil && until.In(l).Format("15:04 MST") != until.In(loc).Format("15:04 MST") {
		loc, zone = l, " MST"
	}
	now := time.Now().In(loc)
	until = until.In(loc)
	switch {
	case sameDay(now, until):
		return "quiet until " + until.Format("15:04"+zone)
	case until.Sub(now) < 6*24*time.Hour:
		return "quiet until " + until.Format("Mon 15:04"+zone)
	}
	return "quiet until " + until.Format("2 Jan 15:04"+zone)
}

// listProps is what the chat list shows beside its own state.
func (m *Model) listProps() listProps {
	p := listProps{convs: m.convs, th: m.th, focused: m.focus == focusList, open: m.open}
	if m.listSvc() != nil {
		p.preview = func(c *core.Conversation) (string, string) { return m.previewText(c), m.previewTime(c) }
	}
	return p
}

// paneLines renders the right pane: the open conversation, help, or a welcome.
func (m *Model) paneLines(w, h int) []string {
	th := m.th
	var lines []string
	fitted := false
	switch {
	case m.screen != screenChat:
		lines = []string{"", th.Muted.Render(" Connecting…")}
	case m.showHelp:
		lines = m.helpPaneLines(w)
	case m.loc.pane != paneNone:
		lines = m.overlayLines(w, h)
	case m.open.IsZero():
		lines = []string{
			th.Title.Render(" Welcome to Parley"),
			"",
			" Messages travel end-to-end encrypted. In this hosted session",
			" your key is unlocked on the server while you are connected.",
			"",
			" Start a conversation:  /msg <ID> <text>",
			" Open one:              /open <ID>",
			" All commands:          /help",
		}
	default:
		// Fitted already, most of them kept from the last View.
		fitted = true
		lines = m.messagesPane.lines(messagesProps{th: th, pt: m.paints(), layout: m.layoutMessages, mark: m.titleMark()}, w, h)
	}
	if !fitted {
		for i := range lines {
			lines[i] = fitPad(lines[i], w)
		}
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines[:h]
}

// helpPaneLines is the /help pane: its commands, those policy forbids
// greyed with the reason under them, then the quiet hours in force.
func (m *Model) helpPaneLines(w int) []string {
	th := m.th
	lines := []string{th.Title.Render(" Commands"),
		th.Muted.Render(fit(" Keys: "+keyHints(m.composer.keys.Newline, m.messagesPane.keys.Newest), w))}
	lines = append(lines, m.commandLines(inHelp, w)...)
	lines = append(lines, "")
	if m.restr.Reason(core.FeatureOwnQuietHours) == "" {
		lines = append(lines, th.Muted.Render(" e.g. "+quietExample))
	}
	for _, l := range strings.Split(ansi.Wrap(m.quietSummary(), max(10, w-3), ""), "\n") {
		lines = append(lines, " "+l)
	}
	lines = append(lines, "", th.Muted.Render(" Tab switches between the chat list and the composer."),
		th.Muted.Render(" Esc closes this help."))
	return lines
}

// paneWidth is the width of the message pane.
func (m *Model) paneWidth() int {
	if lw := m.listWidth(); lw > 0 {
		return m.w - lw - 1
	}
	return m.w
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// fit truncates plain text to w cells with an ellipsis.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fitStyled truncates a styled string to w cells.
func fitStyled(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "")
}

// fitPad fits a styled string to exactly w cells: cut, or padded.
func fitPad(s string, w int) string { return padRight(fitStyled(s, w), w) }

// padRight pads a (possibly styled) string with spaces to w cells.
func padRight(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
