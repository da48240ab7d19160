package term

import (
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
)

// escTimeout is how long a lone ESC (or the start of an escape sequence)
// waits for the rest before it is taken as typed.
const escTimeout = 50 * time.Millisecond

type decoder struct{ uv.EventDecoder }

// maxInput bounds buffered, undecoded input and a bracketed paste.
const maxInput = 1 << 20

// scan decodes buffered input into messages for the model. Unless expired,
// a trailing incomplete escape sequence waits for more input or the ESC
// timeout. It reports whether the model asked to quit.
func (p *Program[W]) scan(expired bool) bool {
	if p.escTmr != nil {
		p.escTmr.Stop()
	}
	buf := p.input
	for len(buf) > 0 {
		esc := buf[0] == 0x1b
		n, ev := p.dec.Decode(buf)
		if n == 0 {
			break
		}
		if !expired && esc && n == len(buf) && n <= 2 {
			break // maybe the start of a longer sequence
		}
		if _, unknown := ev.(uv.UnknownEvent); unknown && !expired && n == len(buf) {
			break // maybe incomplete
		}
		buf = buf[n:]
		if quit := p.input1(ev); quit {
			p.input = nil
			return true
		}
	}
	if len(buf) > maxInput {
		buf = nil
	}
	p.input = append(p.input[:0], buf...)
	if len(p.input) > 0 {
		p.escTmr = time.AfterFunc(escTimeout, func() { p.Send(escTimeoutMsg{}) })
	}
	return false
}

// input1 routes one decoded event, collecting bracketed pastes.
func (p *Program[W]) input1(ev uv.Event) bool {
	switch e := ev.(type) {
	case uv.PasteStartEvent:
		p.inPaste, p.paste = true, p.paste[:0]
		return false
	case uv.PasteEndEvent:
		p.inPaste = false
		s := string(p.paste)
		p.paste = nil
		if !utf8.ValidString(s) {
			s = string([]rune(s))
		}
		return p.apply(tea.PasteMsg{Content: s})
	case uv.KeyPressEvent:
		if p.inPaste {
			switch {
			case e.Text != "":
				p.paste = append(p.paste, e.Text...)
			case e.Code == uv.KeyEnter:
				p.paste = append(p.paste, '\n')
			case e.Code == uv.KeyTab:
				p.paste = append(p.paste, '\t')
			}
			if len(p.paste) > maxInput {
				p.paste = p.paste[:maxInput]
			}
			return false
		}
		return p.apply(tea.KeyPressMsg(e))
	case uv.KeyReleaseEvent:
		return p.apply(tea.KeyReleaseMsg(e))
	case uv.FocusEvent:
		return p.apply(tea.FocusMsg(e))
	case uv.BlurEvent:
		return p.apply(tea.BlurMsg(e))
	}
	return false // mouse, terminal replies and unknown sequences are ignored
}
