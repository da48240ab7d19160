package chat

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
)

// The composer holds a message of several lines: the line being typed is
// the text input, the lines above it are kept beside it. The newline key
// (Alt+Enter, Ctrl+J) breaks the line at the cursor; Backspace at the start
// of a line joins it to the one above. A bracketed paste of several lines
// goes in as it is, and a large one asks first, then leaves as one message.
// The composer grows by up to maxComposerRows-1 lines above the input; the
// conversation pane gives up the rows.

// maxComposerRows is how many rows the composer takes at most.
const maxComposerRows = 5

// A paste larger than this asks before it is sent as one message.
const (
	pasteAskLines = 20
	pasteAskBytes = 2000
)

// composer is the part of the composer beyond the text input.
type composer struct {
	// above are the lines above the one being typed, oldest first.
	above []string
}

// pasteSendMsg sends a confirmed large paste as one message.
type pasteSendMsg struct{ text string }

// composerValue is the whole message in the composer, lines joined.
func (m *Model) composerValue() string {
	if len(m.comp.above) == 0 {
		return m.input.Value()
	}
	return strings.Join(m.comp.above, "\n") + "\n" + m.input.Value()
}

// composerEmpty reports an empty composer.
func (m *Model) composerEmpty() bool {
	return len(m.comp.above) == 0 && m.input.Value() == ""
}

// setComposer puts s in the composer, the cursor at its end.
func (m *Model) setComposer(s string) {
	lines := strings.Split(s, "\n")
	m.comp.above = lines[:len(lines)-1]
	m.input.SetValue(lines[len(lines)-1])
	m.input.CursorEnd()
}

// resetComposer empties the composer.
func (m *Model) resetComposer() {
	m.comp.above = nil
	m.input.Reset()
}

// newline breaks the line being typed at the cursor.
func (m *Model) newline() {
	if len(m.composerValue())+1 > crypto.MaxTextLen {
		m.setError(fmt.Sprintf("Message too long: the limit is %d bytes.", crypto.MaxTextLen))
		return
	}
	r := []rune(m.input.Value())
	pos := min(m.input.Position(), len(r))
	m.comp.above = append(m.comp.above, string(r[:pos]))
	m.input.SetValue(string(r[pos:]))
	m.input.SetCursor(0)
}

// joinLine joins the line being typed to the one above, when the cursor
// is at its start; it reports whether it did.
func (m *Model) joinLine() bool {
	n := len(m.comp.above)
	if n == 0 || m.input.Position() > 0 {
		return false
	}
	prev := m.comp.above[n-1]
	m.comp.above = m.comp.above[:n-1]
	m.input.SetValue(prev + m.input.Value())
	m.input.SetCursor(len([]rune(prev)))
	return true
}

// paste takes a bracketed paste into the composer. One line goes to the
// text input as before; several lines are put in place, or, beyond
// pasteAskLines or pasteAskBytes, sent as one message once the user says
// yes. Nothing is put in or sent beyond the message limit.
func (m *Model) paste(content string) tea.Cmd {
	content = strings.ReplaceAll(strings.ReplaceAll(content, "\r\n", "\n"), "\r", "\n")
	if n := len(m.composerValue()) + len(content); n > crypto.MaxTextLen {
		m.setError(fmt.Sprintf("Paste refused: the message would be %d bytes, the limit is %d.", n, crypto.MaxTextLen))
		return nil
	}
	if !strings.Contains(content, "\n") {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(tea.PasteMsg{Content: content})
		return cmd
	}
	r := []rune(m.input.Value())
	pos := min(m.input.Position(), len(r))
	before, after := string(r[:pos]), string(r[pos:])
	head := strings.Join(append(append([]string{}, m.comp.above...), before), "\n")
	whole := head + content + after
	if lines := strings.Count(whole, "\n") + 1; lines > pasteAskLines || len(whole) > pasteAskBytes {
		text := strings.TrimSpace(whole)
		q := fmt.Sprintf("Send %d lines as one message? y/N", lines)
		if len(whole) > pasteAskBytes && lines <= pasteAskLines {
			q = fmt.Sprintf("Send %s as one message? y/N", byteSize(int64(len(whole))))
		}
		return m.confirm(q, "Not sent: the composer is as it was.", func() tea.Msg { return pasteSendMsg{text: text} })
	}
	lines := strings.Split(head+content, "\n")
	m.comp.above = lines[:len(lines)-1]
	last := lines[len(lines)-1]
	m.input.SetValue(last + after)
	m.input.SetCursor(len([]rune(last)))
	return nil
}

// sendPasted sends a confirmed paste as one message: as text even when it
// starts with a slash. Refused (no conversation open, a full outbox), the
// text stays in the composer.
func (m *Model) sendPasted(text string) tea.Cmd {
	line := text
	if strings.HasPrefix(line, "/") {
		line = "/" + line
	}
	cmd, ok := m.submit(line)
	if !ok {
		m.setComposer(text)
	}
	return cmd
}

// composerRows is how many rows the composer takes: the input and up to
// maxComposerRows-1 lines above it, as far as the window leaves room.
func (m *Model) composerRows() int {
	return 1 + min(len(m.comp.above), maxComposerRows-1, max(0, m.h-minHeight))
}

// composerLines renders the composer: the last lines above the input (the
// first of them says how many more there are), then the input.
func (m *Model) composerLines() []string {
	rows := m.composerRows() - 1
	var out []string
	if rows > 0 {
		shown := m.comp.above[len(m.comp.above)-rows:]
		pad := strings.Repeat(" ", 2)
		for i, l := range shown {
			if i == 0 && len(m.comp.above) > rows {
				more := len(m.comp.above) - rows + 1
				out = append(out, m.th.Muted.Render(padRight(fit(fmt.Sprintf("  … %d more lines", more), m.w), m.w)))
				continue
			}
			out = append(out, padRight(fit(pad+cleanLine(l), m.w), m.w))
		}
	}
	return append(out, m.input.View())
}
