package chat

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/theme"
)

// The composer holds a message of several lines: the line being typed is
// the text input, the lines above it are kept beside it. The newline key
// (Alt+Enter, Ctrl+J) breaks the line at the cursor; Backspace at the start
// of a line joins it to the one above. A bracketed paste of several lines
// goes in as it is, and a large one asks first, then leaves as one message.
// The composer grows by up to maxComposerRows-1 lines above the input; the
// conversation pane gives up the rows.
//
// The composer component edits and shows the text; what Enter does with
// it (a slash command or a message) is the model's (commands.go), and so
// is the masked prompt that borrows the input for a PIN (hidden.go).

// maxComposerRows is how many rows the composer takes at most.
const maxComposerRows = 5

// A paste larger than this asks before it is sent as one message.
const (
	pasteAskLines = 20
	pasteAskBytes = 2000
)

// composer is the composer component.
type composer struct {
	// input is the line being typed.
	input textinput.Model
	// comp are the lines above it.
	comp composerLines
	keys composerKeys
	// shown is the empty input's view (its placeholder) as last drawn.
	shown placeholderMemo
}

// placeholderMemo keeps the empty input's view: the text input styles its
// placeholder cell by cell, on every View, though it seldom changes.
type placeholderMemo struct {
	key  placeholderKey
	view string
}

// placeholderKey is what the empty input's view is drawn from.
type placeholderKey struct {
	th                  *theme.Theme // the styles (styleComposer)
	prompt, placeholder string
	width               int
	focused, virtual    bool
}

// composerLines are the lines above the one being typed.
type composerLines struct {
	// above are the lines, oldest first.
	above []string
}

// composerKeys are the composer's keys.
type composerKeys struct {
	Send, Newline key.Binding
}

func newComposerKeys() composerKeys {
	return composerKeys{
		Send:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		Newline: key.NewBinding(key.WithKeys("alt+enter", "ctrl+j"), key.WithHelp("alt+enter/^j", "new line")),
	}
}

// newComposer returns an empty composer styled with th.
func newComposer(th *theme.Theme) composer {
	c := composer{input: newInput(th), keys: newComposerKeys()}
	c.input.Placeholder = "Type a message, or /help"
	c.input.CharLimit = crypto.MaxTextLen
	return c
}

func newInput(th *theme.Theme) textinput.Model {
	in := textinput.New()
	in.SetVirtualCursor(false) // the terminal's own cursor: no blink timer
	in.Prompt = "› "
	styleComposer(&in, th)
	// Ctrl+V would read the clipboard of the machine the UI runs on, which
	// for a hosted session is the server's: terminals paste on their own.
	in.KeyMap.Paste.SetEnabled(false)
	return in
}

// pasteSendMsg sends a confirmed large paste as one message.
type pasteSendMsg struct{ text string }

// value is the whole message in the composer, lines joined.
func (c *composer) composerValue() string {
	if len(c.comp.above) == 0 {
		return c.input.Value()
	}
	return strings.Join(c.comp.above, "\n") + "\n" + c.input.Value()
}

// empty reports an empty composer.
func (c *composer) composerEmpty() bool {
	return len(c.comp.above) == 0 && c.input.Value() == ""
}

// set puts s in the composer, the cursor at its end.
func (c *composer) setComposer(s string) {
	lines := strings.Split(s, "\n")
	c.comp.above = lines[:len(lines)-1]
	c.input.SetValue(lines[len(lines)-1])
	c.input.CursorEnd()
}

// reset empties the composer.
func (c *composer) resetComposer() {
	c.comp.above = nil
	c.input.Reset()
}

// handleKey edits the composer with a key: the newline key breaks the
// line at the cursor, Backspace at the start of a line joins it to the one
// above, other keys go to the input. The send key is not the composer's
// to act on: send says it was pressed, and the model submits value().
// refused is a refusal for the status line (the message would be too long).
func (c *composer) handleKey(msg tea.KeyPressMsg) (send bool, cmd tea.Cmd, refused string) {
	switch {
	case key.Matches(msg, c.keys.Send):
		return true, nil, ""
	case key.Matches(msg, c.keys.Newline):
		return false, nil, c.newline()
	case msg.Code == tea.KeyBackspace && msg.Mod == 0 && c.joinLine():
		return false, nil, ""
	}
	c.input, cmd = c.input.Update(msg)
	return false, cmd, ""
}

// newline breaks the line being typed at the cursor; refused says why not.
func (c *composer) newline() (refused string) {
	if len(c.composerValue())+1 > crypto.MaxTextLen {
		return fmt.Sprintf("Message too long: the limit is %d bytes.", crypto.MaxTextLen)
	}
	r := []rune(c.input.Value())
	pos := min(c.input.Position(), len(r))
	c.comp.above = append(c.comp.above, string(r[:pos]))
	c.input.SetValue(string(r[pos:]))
	c.input.SetCursor(0)
	return ""
}

// joinLine joins the line being typed to the one above, when the cursor
// is at its start; it reports whether it did.
func (c *composer) joinLine() bool {
	n := len(c.comp.above)
	if n == 0 || c.input.Position() > 0 {
		return false
	}
	prev := c.comp.above[n-1]
	c.comp.above = c.comp.above[:n-1]
	c.input.SetValue(prev + c.input.Value())
	c.input.SetCursor(len([]rune(prev)))
	return true
}

// pasted is what a paste did: the input's command, or, for a paste too
// large to put in without asking, the question and the text to send.
type pasted struct {
	cmd      tea.Cmd
	question string
	text     string
}

// paste takes a bracketed paste. One line goes to the text input as
// before; several lines are put in place, or, beyond pasteAskLines or
// pasteAskBytes, left as they are with a question for the model to ask.
// refused says why nothing was put in: beyond the message limit.
func (c *composer) paste(content string) (p pasted, refused string) {
	content = strings.ReplaceAll(strings.ReplaceAll(content, "\r\n", "\n"), "\r", "\n")
	if n := len(c.composerValue()) + len(content); n > crypto.MaxTextLen {
		return pasted{}, fmt.Sprintf("Paste refused: the message would be %d bytes, the limit is %d.", n, crypto.MaxTextLen)
	}
	if !strings.Contains(content, "\n") {
		var cmd tea.Cmd
		c.input, cmd = c.input.Update(tea.PasteMsg{Content: content})
		return pasted{cmd: cmd}, ""
	}
	r := []rune(c.input.Value())
	pos := min(c.input.Position(), len(r))
	before, after := string(r[:pos]), string(r[pos:])
	head := strings.Join(append(append([]string{}, c.comp.above...), before), "\n")
	whole := head + content + after
	if lines := strings.Count(whole, "\n") + 1; lines > pasteAskLines || len(whole) > pasteAskBytes {
		q := fmt.Sprintf("Send %d lines as one message? y/N", lines)
		if len(whole) > pasteAskBytes && lines <= pasteAskLines {
			q = fmt.Sprintf("Send %s as one message? y/N", byteSize(int64(len(whole))))
		}
		return pasted{question: q, text: strings.TrimSpace(whole)}, ""
	}
	lines := strings.Split(head+content, "\n")
	c.comp.above = lines[:len(lines)-1]
	last := lines[len(lines)-1]
	c.input.SetValue(last + after)
	c.input.SetCursor(len([]rune(last)))
	return pasted{}, ""
}

// rows is how many rows the composer takes: the input and up to
// maxComposerRows-1 lines above it, as far as spare rows of the window
// leave room.
func (c *composer) composerHeight(spare int) int {
	return 1 + min(len(c.comp.above), maxComposerRows-1, max(0, spare))
}

// View renders the composer in w columns and h rows (as rows gave): the
// last lines above the input (the first of them says how many more there
// are), then the input.
func (c *composer) View(th *theme.Theme, w, h int) string {
	rows := h - 1
	var out []string
	if rows > 0 {
		shown := c.comp.above[len(c.comp.above)-rows:]
		pad := strings.Repeat(" ", 2)
		for i, l := range shown {
			if i == 0 && len(c.comp.above) > rows {
				more := len(c.comp.above) - rows + 1
				out = append(out, th.Muted.Render(padRight(fit(fmt.Sprintf("  … %d more lines", more), w), w)))
				continue
			}
			out = append(out, padRight(fit(pad+cleanLine(l), w), w))
		}
	}
	return strings.Join(append(out, c.inputView(th)), "\n")
}

// inputView is the input's view, the empty one's kept while it does not
// change.
func (c *composer) inputView(th *theme.Theme) string {
	in := &c.input
	if in.Placeholder == "" || in.Value() != "" {
		return in.View()
	}
	k := placeholderKey{th: th, prompt: in.Prompt, placeholder: in.Placeholder, width: in.Width(),
		focused: in.Focused(), virtual: in.VirtualCursor()}
	if c.shown.key != k || c.shown.view == "" {
		c.shown = placeholderMemo{key: k, view: in.View()}
	}
	return c.shown.view
}

// The model's side of the composer.

// composerRows is how many rows the composer takes in this window.
func (m *Model) composerRows() int { return m.composerHeight(m.h - minHeight) }

// paste takes a bracketed paste into the composer; a large one is sent
// as one message once the user says yes.
func (m *Model) paste(content string) tea.Cmd {
	p, refused := m.composer.paste(content)
	switch {
	case refused != "":
		m.setError(refused)
		return nil
	case p.question != "":
		text := p.text
		return m.confirm(p.question, "Not sent: the composer is as it was.", func() tea.Msg { return pasteSendMsg{text: text} })
	}
	return p.cmd
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
