package admin

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// The smallest window the console lays out; below it a notice is shown.
const (
	minWidth  = 40
	minHeight = 10
)

// View renders the console.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.WindowTitle = "Parley admin"
	if m.tenant.Name != "" {
		v.WindowTitle += " · " + cleanLine(m.tenant.Title())
	}
	if m.w < minWidth || m.h < minHeight {
		v.SetContent(fit(fmt.Sprintf("Window too small (%dx%d): the console needs %dx%d.", m.w, m.h, minWidth, minHeight), m.w))
		return v
	}
	out := make([]string, 0, m.h)
	out = append(out, m.headerLine())
	top := 1
	if m.phase == phaseConsole {
		out = append(out, m.tabLine())
		top = 2
	}
	bodyH := m.h - top - 2
	body, cur := m.body(bodyH)
	for i := range bodyH {
		line := ""
		if i < len(body) {
			line = body[i]
		}
		out = append(out, padRight(fitStyled(line, m.w), m.w))
	}
	out = append(out, m.statusLine(), m.helpLine())
	if cur != nil {
		cur.Y += top
	}
	v.SetContent(strings.Join(out, "\n"))
	v.Cursor = cur
	return v
}

// bodyHeight is the number of lines between the tab line and the status line.
func (m *Model) bodyHeight() int { return max(1, m.h-4) }

// body renders the middle of the screen, h lines.
func (m *Model) body(h int) ([]string, *tea.Cursor) {
	switch m.phase {
	case phaseStart, phaseTenants:
		if m.statusKind == statusError {
			return []string{"", m.th.Muted.Render(" Press q to quit, and try again later.")}, nil
		}
		return []string{"", m.th.Muted.Render(" Loading…")}, nil
	case phaseCode:
		return m.codeView(h)
	case phasePicker:
		return m.pickerView(h), nil
	}
	switch {
	case m.dialog != nil:
		return m.dialogView(m.dialog, h)
	case m.showHelp:
		return m.fullHelpView(h), nil
	}
	switch m.tab {
	case tabDashboard:
		return m.dashboardView(h), nil
	case tabUsers:
		return m.usersView(h)
	case tabAdmins:
		return m.adminsView(h), nil
	case tabGroups:
		return m.groupsView(h), nil
	case tabAudit:
		return m.auditView(h)
	case tabAPIKeys:
		return m.apiKeysView(h), nil
	case tabPolicies:
		return m.policiesView(h)
	case tabQuiet:
		return m.quietView(h), nil
	}
	return nil, nil
}

func (m *Model) headerLine() string {
	left := " Parley admin"
	right := ""
	if m.tenant.Name != "" && m.phase == phaseConsole {
		left += " · " + cleanLine(m.tenant.Title())
		right = cleanLine(m.tenant.Role)
		if m.tenant.DisplayName != "" && m.tenant.DisplayName != m.tenant.Name {
			right += " · " + cleanLine(m.tenant.Name)
		}
		if m.tenant.Suspended {
			right = "suspended · " + right
		}
		right += " "
	}
	gap := m.w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return m.th.Header.Render(padRight(fit(left, m.w), m.w))
	}
	return m.th.Header.Render(left + strings.Repeat(" ", gap) + right)
}

// tabLine shows the screens with their number keys; when the names do
// not all fit, the screens farthest from the current one lose theirs
// first, down to the current one alone.
func (m *Model) tabLine() string {
	short := [tabCount]bool{}
	width := 1
	for t := range tabCount {
		width += len(fmt.Sprintf(" %d %s ", t+1, tabName(t)))
	}
	for d := int(tabCount) - 1; d > 0 && width > m.w; d-- {
		for _, t := range []tab{m.tab + tab(d), m.tab - tab(d)} {
			if t >= 0 && t < tabCount && !short[t] && width > m.w {
				short[t] = true
				width -= len(tabName(t)) + 1
			}
		}
	}
	var b strings.Builder
	b.WriteByte(' ')
	for t := range tabCount {
		label := fmt.Sprintf(" %d %s ", t+1, tabName(t))
		if short[t] {
			label = fmt.Sprintf(" %d ", t+1)
		}
		if t == m.tab {
			b.WriteString(m.th.Selected.Bold(true).Render(label))
		} else {
			b.WriteString(m.th.Muted.Render(label))
		}
	}
	return padRight(fitStyled(b.String(), m.w), m.w)
}

func (m *Model) statusLine() string {
	switch m.statusKind {
	case statusError:
		return m.th.Error.Render(padRight(fit("✗ "+m.status, m.w), m.w))
	case statusOK:
		return m.th.Success.Render(padRight(fit("✓ "+m.status, m.w), m.w))
	case statusInfo:
		return m.th.Info.Render(padRight(fit(m.status, m.w), m.w))
	}
	return m.th.Rule.Render(strings.Repeat("─", m.w))
}

// helpLine renders the current screen's keys, greying out the ones the
// role does not allow (pressing one says why and opens nothing).
func (m *Model) helpLine() string {
	short, _ := m.screenHelp()
	st := m.th.Help
	sep := st.ShortSeparator.Render(" • ")
	var b strings.Builder
	width := 0
	for i, it := range short {
		h := it.b.Help()
		var part string
		if m.allowed(it.perm) {
			part = st.ShortKey.Render(h.Key) + " " + st.ShortDesc.Render(h.Desc)
		} else {
			part = m.th.Rule.Render(h.Key + " " + h.Desc)
		}
		if i > 0 {
			part = sep + part
		}
		pw := ansi.StringWidth(part)
		if width+pw > m.w {
			if width+2 <= m.w {
				b.WriteString(st.Ellipsis.Render(" …"))
			}
			break
		}
		b.WriteString(part)
		width += pw
	}
	return b.String()
}

// fullHelpView is the full help: this screen's keys, then the keys that
// work everywhere.
func (m *Model) fullHelpView(h int) []string {
	_, screen := m.screenHelp()
	hm := help.New()
	hm.Styles = m.th.Help
	hm.SetWidth(m.w - 2)
	var own []key.Binding
	for _, it := range screen {
		b := it.b
		if !m.allowed(it.perm) {
			h := b.Help()
			b = key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(m.th.Rule.Render(h.Key), m.th.Rule.Render(h.Desc)))
		}
		own = append(own, b)
	}
	lines := []string{m.th.Title.Render(" Keys · " + tabName(m.tab)), ""}
	groups := [][]key.Binding{}
	if len(own) > 0 {
		groups = append(groups, own)
	}
	groups = append(groups, m.keys.globalHelp(len(m.tenants)))
	for _, l := range strings.Split(hm.FullHelpView(groups), "\n") {
		lines = append(lines, " "+l)
	}
	lines = append(lines, "", m.th.Muted.Render(fit(" Greyed-out keys are not part of your role: pressing one says why.", m.w)),
		m.th.Muted.Render(fit(" Press ? or esc to close this help.", m.w)))
	return lines[:min(len(lines), h)]
}

// dialogWidth is the inner width of dialogs.
func (m *Model) dialogWidth() int { return max(20, min(64, m.w-6)) }

// dialogView centres a dialog in the body.
func (m *Model) dialogView(d dialog, h int) ([]string, *tea.Cursor) {
	title, lines, cur := d.body(m, m.dialogWidth())
	return m.box(title, lines, cur, h)
}

// box renders a framed box centred in h lines; cur is a cursor position
// among lines, moved to the screen's.
func (m *Model) box(title string, lines []string, cur *tea.Cursor, h int) ([]string, *tea.Cursor) {
	w := m.dialogWidth()
	content := append([]string{m.th.Title.Render(fit(title, w)), ""}, lines...)
	if room := h - 2; len(content) > room {
		content = content[:max(0, room)]
	}
	for i := range content {
		content[i] = padRight(fitStyled(content[i], w), w)
	}
	box := m.th.Dialog.Padding(0, 1).Render(strings.Join(content, "\n"))
	boxLines := strings.Split(box, "\n")
	left := max(0, (m.w-lipgloss.Width(box))/2)
	top := max(0, (h-len(boxLines))/2)
	out := make([]string, 0, h)
	for range top {
		out = append(out, "")
	}
	pad := strings.Repeat(" ", left)
	for _, l := range boxLines {
		out = append(out, pad+l)
	}
	if cur != nil {
		c := *cur
		c.X += left + 2 // the border and the padding
		c.Y += top + 1 + 2
		cur = &c
		if c.Y >= top+len(boxLines)-1 {
			cur = nil // cut off
		}
	}
	return out, cur
}

// codeView asks for the second factor.
func (m *Model) codeView(h int) ([]string, *tea.Cursor) {
	w := m.dialogWidth()
	lines := wrap("This admin key uses two-factor authentication. Enter the current code of your authenticator app, or a recovery code.", w)
	lines = append(lines, "")
	var cur *tea.Cursor
	if c := m.code.Cursor(); c != nil && !m.proving && !m.closing {
		c.Y = len(lines)
		cur = c
	}
	lines = append(lines, m.code.View(), "")
	switch {
	case m.proving:
		lines = append(lines, m.th.Info.Render("Checking…"))
	case m.codeErr != "":
		for _, l := range wrap(m.codeErr, w) {
			lines = append(lines, m.th.Error.Render(l))
		}
	default:
		lines = append(lines, m.th.Muted.Render("(typing is masked)"))
	}
	return m.box("Two-factor authentication", lines, cur, h)
}

// pickerView lists the tenants to choose from.
func (m *Model) pickerView(h int) []string {
	th := m.th
	lines := []string{"", th.Title.Render(" Choose a tenant"), ""}
	if len(m.tenants) == 0 {
		return append(lines, wrap(" No tenants yet. Create one with:  "+m.o.SSHCommand+" tenant create NAME --seats N --domain example.com", m.w)...)
	}
	cols := []column{{title: "TENANT", flex: 1}, {title: "NAME", flex: 2}, {title: "YOUR ROLE", width: 14}, {title: "", width: 9}}
	rows := m.table(cols, len(m.tenants), func(i int) []cell {
		t := m.tenants[i]
		state := ""
		if t.Suspended {
			state = "suspended"
		}
		return []cell{{text: cleanLine(t.Name)}, {text: cleanLine(t.DisplayName)}, styled(cleanLine(t.Role), th.Muted), styled(state, th.Warning)}
	}, m.tenantCur, true, m.w, h-len(lines))
	return append(lines, rows...)
}

func (m *Model) pickerRows() int { return max(1, m.h-3-3-1) } // the body less its title and the table header

// resize lays out what depends on the window's size.
func (m *Model) resize() {
	if f, ok := m.dialog.(*formDialog); ok {
		f.layout(m.dialogWidth())
	}
	m.tenantCur.follow(m.pickerRows())
	m.users.cur.follow(m.listRows())
	m.admins.cur.follow(m.listRows())
	m.groups.cur.follow(m.listRows())
	m.groups.memberCur.follow(m.listRows() - 2)
	m.audit.cur.follow(m.listRows())
	m.apikeys.cur.follow(m.listRows())
	m.users.filter.SetWidth(max(1, m.w-12))
	m.audit.filter.SetWidth(max(1, m.w-12))
	m.pol.cur.follow(m.policyRows())
	m.pol.filter.SetWidth(max(1, m.w-12))
	if q, ok := m.dialog.(*quietDialog); ok {
		q.layout(m.dialogWidth())
	}
}

// listRows is how many rows a list screen shows: the body less its title
// and the table's header.
func (m *Model) listRows() int { return max(1, m.bodyHeight()-2) }

// titleLine is a screen's title with a note on the right.
func (m *Model) titleLine(title, note string) string {
	left := m.th.Title.Render(" " + cleanLine(title))
	if note == "" {
		return left
	}
	gap := m.w - ansi.StringWidth(left) - ansi.StringWidth(note) - 1
	if gap < 2 {
		return left
	}
	return left + strings.Repeat(" ", gap) + m.th.Muted.Render(note)
}

// state renders a screen that has no data to show yet.
func (m *Model) state(title string, s loadState) ([]string, bool) {
	switch {
	case s.err != nil && !s.loaded:
		return []string{m.titleLine(title, ""), "", m.th.Error.Render(fit(" "+errText(s.err), m.w))}, true
	case !s.loaded:
		return []string{m.titleLine(title, ""), "", m.th.Muted.Render(" Loading…")}, true
	}
	return nil, false
}

// --- text helpers ---

func (m *Model) when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(m.o.Location).Format("2006-01-02 15:04")
}

func (m *Model) day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(m.o.Location).Format(time.DateOnly)
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

// wrap wraps plain text to w cells.
func wrap(s string, w int) []string {
	return strings.Split(ansi.Wrap(cleanLine(s), max(1, w), ""), "\n")
}

// wrapStyled wraps text that may be styled already.
func wrapStyled(s string, w int) []string {
	return strings.Split(ansi.Wrap(s, max(1, w), ""), "\n")
}

// cleanLine makes text that came from the server or another admin safe for
// one line of a terminal: control characters and escape sequences become
// U+FFFD, bidirectional overrides are dropped.
func cleanLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C:
			return -1
		case unicode.IsControl(r):
			return '\uFFFD'
		}
		return r
	}, s)
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
