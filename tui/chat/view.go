package chat

import (
	"fmt"
	"slices"
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

func (m *Model) bodyHeight() int { return max(1, m.h-3-m.composerRows()) }

func (m *Model) listWidth() int {
	if m.w < 60 {
		return 0
	}
	return min(30, max(18, m.w/4))
}

func (m *Model) chatView() (string, *tea.Cursor) {
	th := m.th
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
		list = m.listLines(lw, bodyH)
	}
	right := m.paneLines(rw, bodyH)
	sep := th.Rule.Render("│")
	for i := 0; i < bodyH; i++ {
		if lw > 0 {
			out = append(out, list[i]+sep+right[i])
		} else {
			out = append(out, right[i])
		}
	}
	out = append(out, m.statusLine())
	out = append(out, m.composerLines()...)
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
	th := m.th
	me := m.o.Service.Me()
	left := " Parley  " + cleanLine(me.Name) + " · " + me.ID.String()
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
		return th.Header.Render(fit(left, m.w))
	}
	return th.Header.Render(left + strings.Repeat(" ", gap) + right)
}

// statusLine shows the last error or notice, or a rule; the quiet-hours
// indicator sits at its right end.
func (m *Model) statusLine() string {
	ind := ""
	if q := m.quietIndicator(); q != "" {
		ind = " " + q + " "
	}
	w := m.w
	if ind != "" {
		w -= ansi.StringWidth(ind) + 1
	}
	if m.statusKind != statusNone && w < min(m.w, 20) {
		ind, w = "", m.w // a narrow window keeps the message
	}
	var left string
	switch m.statusKind {
	case statusError:
		left = m.th.Error.Render(padRight(fit(m.status, w), w))
	case statusInfo:
		left = m.th.Info.Render(padRight(fit(m.status, w), w))
	default:
		left = m.th.Rule.Render(strings.Repeat("─", max(0, w)))
	}
	if ind == "" {
		return left
	}
	return left + m.th.Warning.Render(ind) + m.th.Rule.Render("─")
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
	now := time.Now().In(m.o.Location)
	until = until.In(m.o.Location)
	switch {
	case sameDay(now, until):
		return "quiet until " + until.Format("15:04")
	case until.Sub(now) < 6*24*time.Hour:
		return "quiet until " + until.Format("Mon 15:04")
	}
	return "quiet until " + until.Format("2 Jan 15:04")
}

// listLines renders the conversation list, w columns by h rows. With
// previews (a ListService), each conversation takes two rows: its title and
// time, then its last message and unread count.
func (m *Model) listLines(w, h int) []string {
	th := m.th
	lines := make([]string, 0, h)
	lines = append(lines, th.Title.Render(padRight(" Chats", w)))
	if len(m.convs) == 0 {
		lines = append(lines, th.Muted.Render(padRight(" (none yet)", w)))
	}
	rowH := 1
	if m.listSvc() != nil {
		rowH = 2
	}
	// Keep the selection visible.
	rows := max(1, (h-1)/rowH)
	first := 0
	if m.sel >= rows {
		first = m.sel - rows + 1
	}
	for i := first; i < len(m.convs) && len(lines) < h; i++ {
		c := &m.convs[i]
		selected, current := m.focus == focusList && i == m.sel, c.Ref == m.open
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
		if rowH == 1 {
			lines = append(lines, m.listRow(marker+m.listTitle(c), badge, th.Badge, w, selected, current))
			continue
		}
		right := m.previewTime(c)
		if right != "" {
			right = " " + right + " "
		}
		lines = append(lines, m.listRow(marker+m.listTitle(c), right, th.Muted, w, selected, current))
		if len(lines) < h {
			lines = append(lines, m.listRow("  "+m.previewText(c), badge, th.Badge, w, selected, current))
		}
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

// listTitle is a conversation's title in the list, its kind marked.
func (m *Model) listTitle(c *core.Conversation) string {
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
func (m *Model) listRow(text, badge string, badgeStyle lipgloss.Style, w int, selected, current bool) string {
	th := m.th
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

// paneLines renders the right pane: the open conversation, help, or a welcome.
func (m *Model) paneLines(w, h int) []string {
	th := m.th
	var lines []string
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
		title := " " + cleanLine(m.openName) + " · " + m.open.String()
		lines = append(lines, th.Title.Render(fit(title, w)))
		body := m.messageLines(w, h-1)
		if m.scroll > 0 && m.unread.below > 0 && len(body) > 0 {
			body[len(body)-1] = m.belowLine(w)
		}
		lines = append(lines, body...)
	}
	for i := range lines {
		lines[i] = padRight(fitStyled(lines[i], w), w)
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
		th.Muted.Render(fit(" Keys: "+keyHints(m.keys.Newline, m.keys.Newest), w))}
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

// messageLines renders the bottom of the conversation, scrolled up by m.scroll.
func (m *Model) messageLines(w, h int) []string {
	lines := m.layoutMessages(w, h+m.scroll)
	if len(lines) == 0 {
		return []string{"", m.th.Muted.Render(" No messages yet. Say hello!")}
	}
	end := max(0, len(lines)-m.scroll)
	start := max(0, end-h)
	if start == 0 && end < h && len(lines) >= h {
		end = min(len(lines), h)
	}
	return lines[start:end]
}

const indent = 7

// layoutMessages lays out messages from the newest backwards until at
// least need lines exist, so only what can be seen is wrapped and styled.
func (m *Model) layoutMessages(w, need int) []string {
	th := m.th
	textW := max(10, w-indent-1)
	var out [][]string // blocks, newest first
	total := 0
	me := m.o.Service.Me()
	msgs := m.msgs
	if q := m.waiting(); len(q) > 0 {
		msgs = append(slices.Clip(msgs), q...)
	}
	for i := len(msgs) - 1; i >= 0 && total < need; i-- {
		msg := msgs[i]
		var block []string
		local := msg.Time.In(m.o.Location)
		var prev *core.Message
		if i > 0 {
			prev = &msgs[i-1]
		}
		newDay := prev == nil || !sameDay(prev.Time.In(m.o.Location), local)
		if m.unread.n > 0 && keyOf(&msg) == m.unread.at {
			block = append(block, m.unreadLine(w))
		}
		if newDay {
			block = append(block, th.Muted.Render(fit(" ── "+local.Format("Monday, 2 January 2006")+" ──", w)))
		}
		if msg.Kind == core.KindSystem {
			// An event of the conversation (members, name): one muted line.
			block = append(block, th.Muted.Render(fit(" "+local.Format("15:04")+" · "+cleanLine(msg.Text), w)))
			out = append(out, block)
			total += len(block)
			continue
		}
		grouped := !newDay && prev != nil && prev.Outgoing == msg.Outgoing && prev.From == msg.From &&
			prev.Kind != core.KindSystem && msg.Time.Sub(prev.Time) < 5*time.Minute
		if !grouped {
			name := th.Peer.Render(cleanLine(m.senderName(msg)))
			if msg.Outgoing {
				name = th.Own.Render("You")
				if me.Name != "" {
					name = th.Own.Render(cleanLine(me.Name))
				}
			}
			block = append(block, " "+th.Muted.Render(local.Format("15:04"))+" "+name)
		}
		if msg.Quote != "" {
			block = append(block, strings.Repeat(" ", indent)+th.Muted.Render(fit("┃ "+cleanLine(msg.Quote), textW)))
		}
		var body []string
		if msg.Poll != nil && !msg.Deleted {
			body = m.pollLines(msg.Poll, textW)
		} else {
			body = bodyLines(m.messageText(msg), textW)
		}
		for j, l := range body {
			line := strings.Repeat(" ", indent) + th.Text.Render(l)
			if j == 0 && m.grp.picked.is(msg) {
				line = "  " + th.Own.Render("▶") + strings.Repeat(" ", indent-3) + th.Text.Render(l)
			}
			if j == len(body)-1 && msg.Outgoing && !msg.DeletedHere {
				mark := m.stateMark(msg)
				if ansi.StringWidth(l)+1+ansi.StringWidth(mark) <= textW {
					line += " " + mark
				} else {
					block = append(block, line)
					line = strings.Repeat(" ", indent) + mark
				}
			}
			block = append(block, line)
		}
		if r := m.reactionLine(msg); r != "" {
			block = append(block, strings.Repeat(" ", indent)+r)
		}
		out = append(out, block)
		total += len(block)
	}
	lines := make([]string, 0, total)
	for i := len(out) - 1; i >= 0; i-- {
		lines = append(lines, out[i]...)
	}
	return lines
}

// bodyLines lays out a message's text: each of its lines cleaned, marked
// up and wrapped on its own, so a style never runs into the next line.
func bodyLines(text string, w int) []string {
	var out []string
	for _, l := range strings.Split(clean(text), "\n") {
		out = append(out, strings.Split(ansi.Wrap(markup(l), w, ""), "\n")...)
	}
	return out
}

func (m *Model) stateMark(msg core.Message) string {
	th := m.th
	switch msg.State {
	case core.StatePending:
		return th.Muted.Render("… sending")
	case core.StateSent:
		if r, of := msg.ReadCount(); of > 0 && r > 0 {
			return th.Muted.Render(fmt.Sprintf("✓ sent · read %d/%d", r, of))
		}
		return th.Muted.Render("✓ sent")
	case core.StateDelivered:
		if r, of := msg.ReadCount(); of > 0 {
			return th.Muted.Render(fmt.Sprintf("✓✓ delivered · read %d/%d", r, of))
		}
		return th.Muted.Render("✓✓ delivered")
	case core.StateRead:
		if r, of := msg.ReadCount(); of > 0 {
			return th.StateRead.Render(fmt.Sprintf("✓✓ read %d/%d", r, of))
		}
		return th.StateRead.Render("✓✓ read")
	case core.StateFailed:
		return th.Error.Render("✗ not sent: " + cleanLine(msg.Error) + " · /retry")
	}
	return ""
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

// padRight pads a (possibly styled) string with spaces to w cells.
func padRight(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// messageText is what a message shows as its text: files, locations and
// deletions say what they are.
func (m *Model) messageText(msg core.Message) string {
	var s string
	switch {
	case msg.DeletedHere:
		return "(message deleted here)"
	case msg.Deleted:
		return "(message deleted)"
	case msg.File != nil:
		s = fmt.Sprintf("📎 %s (%s) · %s", msg.File.Name, byteSize(msg.File.Size), m.fetchHint(msg))
	case msg.Location != nil:
		l := msg.Location
		s = fmt.Sprintf("📍 %.5f, %.5f %s %s", l.Lat, l.Lon, l.Label, osmLink(l.Lat, l.Lon))
	default:
		s = msg.Text
	}
	if msg.Alarm {
		s = "🚨 ALARM " + s
	}
	if !msg.Edited.IsZero() {
		s += " (edited)"
	}
	return s
}

// byteSize shows a size in B, KiB, MiB or GiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 2; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMG"[exp])
}

// fetchHint says how the user gets a file: /save where the chat runs on
// their machine, the scp command that works against this server in a
// hosted session.
func (m *Model) fetchHint(msg core.Message) string {
	if m.o.Files != nil {
		return "/save keeps it"
	}
	host := m.o.SCPHost
	if host == "" {
		host = "HOST"
	}
	return fmt.Sprintf("fetch: scp %s:inbox/%s .", host, msg.ID)
}

// osmLink is an OpenStreetMap link to a position.
func osmLink(lat, lon float64) string {
	return fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=16/%.5f/%.5f", lat, lon, lat, lon)
}
