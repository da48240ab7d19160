package admin

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// dialog is a box over the screen that has the keyboard until it closes
// (by setting m.dialog to nil).
type dialog interface {
	update(m *Model, msg tea.KeyPressMsg) tea.Cmd
	// body renders the dialog's lines, w cells wide, and where the cursor
	// is among them (nil: hidden).
	body(m *Model, w int) (title string, lines []string, cur *tea.Cursor)
	help(k *keyMap) []helpItem
}

// keeper is a dialog that stays open when the service refuses what it
// sent, so that what was typed can be fixed.
type keeper interface {
	// keep takes the service's error; it reports false when the dialog
	// was not waiting for an answer.
	keep(err string) bool
}

// --- confirm: a destructive action waits for y ---

type confirmDialog struct {
	title string
	lines []string // what will happen
	run   tea.Cmd
}

func (d *confirmDialog) update(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Confirm):
		m.dialog = nil
		m.setInfo("Working…")
		return d.run
	case key.Matches(msg, m.keys.No, m.keys.Cancel):
		m.dialog = nil
		m.setInfo("Cancelled: nothing changed.")
	}
	return nil
}

func (d *confirmDialog) body(m *Model, w int) (string, []string, *tea.Cursor) {
	var lines []string
	for _, l := range d.lines {
		lines = append(lines, wrap(l, w)...)
	}
	lines = append(lines, "", m.th.Warning.Render(fit("Press y to go ahead, n or esc to cancel.", w)))
	return d.title, lines, nil
}

func (d *confirmDialog) help(k *keyMap) []helpItem { return items(k.Confirm, k.Cancel) }

// --- info: something to read, such as a code shown once ---

type infoDialog struct {
	title string
	lines []string
}

func (d *infoDialog) update(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.Close) || key.Matches(msg, m.keys.Quit) {
		m.dialog = nil
	}
	return nil
}

func (d *infoDialog) body(_ *Model, w int) (string, []string, *tea.Cursor) {
	var lines []string
	for _, l := range d.lines {
		lines = append(lines, wrapStyled(l, w)...)
	}
	return d.title, lines, nil
}

func (d *infoDialog) help(k *keyMap) []helpItem { return items(k.Close) }

// --- form: a few text fields ---

type formDialog struct {
	title  string
	labels []string
	inputs []textinput.Model
	hint   []string
	focus  int
	err    string
	busy   bool // submitted, waiting for the service
	// submit builds the command for the values typed; it returns a
	// message instead when the input cannot be sent as it is.
	submit func(values []string) (tea.Cmd, string)
}

func (m *Model) newForm(title string, labels, values []string, submit func([]string) (tea.Cmd, string)) *formDialog {
	f := &formDialog{title: title, labels: labels, submit: submit}
	width := 0
	for _, l := range labels {
		width = max(width, ansi.StringWidth(l))
	}
	for i, l := range labels {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		in := newInput(m.th, padRight(l+":", width+1)+" ", v)
		f.inputs = append(f.inputs, in)
	}
	f.inputs[0].Focus()
	f.layout(m.dialogWidth())
	return f
}

// layout fits the fields to a dialog w cells wide.
func (f *formDialog) layout(w int) {
	for i := range f.inputs {
		in := &f.inputs[i]
		in.SetWidth(max(1, w-ansi.StringWidth(in.Prompt)-1))
	}
}

func (f *formDialog) keep(err string) bool {
	if !f.busy {
		return false
	}
	f.busy, f.err = false, err
	return true
}

func (f *formDialog) update(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if f.busy {
		if key.Matches(msg, m.keys.Cancel) {
			m.dialog = nil // the call goes on; its result shows in the status line
		}
		return nil
	}
	k := &m.keys
	switch {
	case key.Matches(msg, k.Cancel):
		m.dialog = nil
		m.setInfo("Cancelled: nothing changed.")
		return nil
	case key.Matches(msg, k.Submit):
		values := make([]string, len(f.inputs))
		for i, in := range f.inputs {
			values[i] = strings.TrimSpace(in.Value())
		}
		cmd, problem := f.submit(values)
		if problem != "" {
			f.err = problem
			return nil
		}
		f.err, f.busy = "", true
		return cmd
	case key.Matches(msg, k.NextField, k.PrevField):
		if len(f.inputs) < 2 {
			return nil
		}
		f.inputs[f.focus].Blur()
		if key.Matches(msg, k.NextField) {
			f.focus = (f.focus + 1) % len(f.inputs)
		} else {
			f.focus = (f.focus + len(f.inputs) - 1) % len(f.inputs)
		}
		return f.inputs[f.focus].Focus()
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	return cmd
}

func (f *formDialog) body(m *Model, w int) (string, []string, *tea.Cursor) {
	var lines []string
	var cur *tea.Cursor
	for i := range f.inputs {
		in := &f.inputs[i]
		if i == f.focus && !f.busy {
			if c := in.Cursor(); c != nil {
				c.Y = len(lines)
				cur = c
			}
		}
		lines = append(lines, in.View())
	}
	if len(f.hint) > 0 {
		lines = append(lines, "")
		for _, h := range f.hint {
			for _, l := range wrap(h, w) {
				lines = append(lines, m.th.Muted.Render(l))
			}
		}
	}
	switch {
	case f.busy:
		lines = append(lines, "", m.th.Info.Render("Saving…"))
	case f.err != "":
		lines = append(lines, "")
		for _, l := range wrap(f.err, w) {
			lines = append(lines, m.th.Error.Render(l))
		}
	}
	return f.title, lines, cur
}

func (f *formDialog) help(k *keyMap) []helpItem {
	if len(f.inputs) > 1 {
		return items(k.Submit, k.NextField, k.Cancel)
	}
	return items(k.Submit, k.Cancel)
}
