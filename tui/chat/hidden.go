package chat

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// Hidden chats and their PIN: /hide and /unhide put a chat behind the
// PIN, /hidden shows hidden chats once the PIN is typed, /conceal hides
// them again, /pin sets, changes or removes the PIN. The PINs are typed
// into the composer turned into a masked prompt, which takes every key
// until the answer is accepted or Esc: nothing typed into it ever reaches
// the composer or a conversation.

// askKind is what the masked prompt asks for.
type askKind int

const (
	askNone      askKind = iota
	askReveal            // the PIN, to show hidden chats
	askPINOld            // the current PIN, to change or remove it
	askPINNew            // a new PIN
	askPINRepeat         // the new PIN again
)

// hiddenState is the state of hidden chats and of the masked prompt.
type hiddenState struct {
	// revealed says this session showed hidden chats with the PIN.
	revealed bool

	// ask is the masked prompt in the composer; old and next hold the PINs
	// typed so far, remove says the PIN is being removed.
	ask       askKind
	old, next string
	remove    bool
	// checking says what was typed into the prompt is being checked: the
	// prompt stays, and takes no typing until the answer.
	checking bool
	saved    composerLook
}

// composerLook is what the masked prompt changes on the composer, to put
// back afterwards.
type composerLook struct {
	prompt, placeholder string
	limit               int
}

type (
	pinStateMsg struct {
		set, remove bool
		err         error
	}
	revealedMsg struct{ err error }
	// pinSetMsg answers a PIN change typed into the masked prompt.
	pinSetMsg struct {
		info string
		err  error
	}
	hiddenMsg struct {
		ref    core.ConvRef
		name   string
		hidden bool
		err    error
	}
)

// targetConv is the conversation a command names ("" the open one).
func (m *Model) targetConv(arg string) (core.Conversation, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		if m.open == (core.ConvRef{}) {
			return core.Conversation{}, errors.New("no conversation open: open one, or name it")
		}
		for _, c := range m.convs {
			if c.Ref == m.open {
				return c, nil
			}
		}
		return core.Conversation{Ref: m.open, Name: m.openName}, nil
	}
	if id, err := crypto.ParseID(arg); err == nil {
		for _, c := range m.convs {
			if c.Ref == core.Direct(id) {
				return c, nil
			}
		}
		return core.Conversation{Ref: core.Direct(id)}, nil
	}
	want := strings.ToLower(arg)
	var hits []core.Conversation
	for _, c := range m.convs {
		name := strings.ToLower(c.Title())
		if name == want {
			return c, nil
		}
		if strings.HasPrefix(name, want) {
			hits = append(hits, c)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return core.Conversation{}, fmt.Errorf("%q is neither an ID nor a chat in your list", cleanLine(arg))
	}
	return core.Conversation{}, fmt.Errorf("%q matches %d chats: type more of the name", cleanLine(arg), len(hits))
}

// hideCommand is /hide [chat], unhideCommand /unhide [chat].
func (m *Model) hideCommand(arg string) (tea.Cmd, bool)   { return m.setHidden(arg, true) }
func (m *Model) unhideCommand(arg string) (tea.Cmd, bool) { return m.setHidden(arg, false) }

func (m *Model) setHidden(arg string, hide bool) (tea.Cmd, bool) {
	command := "/unhide"
	if hide {
		command = "/hide"
	}
	svc := m.localSvc()
	c, err := m.targetConv(arg)
	if err != nil {
		m.setError(command + ": " + err.Error())
		return nil, false
	}
	ctx := m.o.Context
	ref, name := c.Ref, c.Title()
	return func() tea.Msg {
		var err error
		if hide {
			err = svc.Hide(ctx, ref)
		} else {
			err = svc.Unhide(ctx, ref)
		}
		return hiddenMsg{ref: ref, name: name, hidden: hide, err: err}
	}, true
}

// hiddenDone answers /hide and /unhide.
func (m *Model) hiddenDone(msg hiddenMsg) tea.Cmd {
	name := cleanLine(msg.name)
	if msg.err != nil {
		what := "Not hidden"
		if !msg.hidden {
			what = "Not unhidden"
		}
		m.setError(what + ": " + pinErr(msg.err))
		return nil
	}
	if !msg.hidden {
		m.setInfo(fmt.Sprintf("%s is no longer hidden.", name))
		return m.reloadCmd()
	}
	if m.loc.revealed {
		m.setInfo(fmt.Sprintf("%s is hidden: it leaves the list when you /conceal.", name))
	} else {
		if m.open == msg.ref {
			m.closeConversation()
		}
		m.setInfo(fmt.Sprintf("%s is hidden. /hidden shows hidden chats with your PIN.", name))
	}
	return m.reloadCmd()
}

// pinErr is a PIN-related error as the user reads it, with the command
// that helps.
func pinErr(err error) string {
	switch {
	case errors.Is(err, core.ErrNoPIN):
		return err.Error() + " with /pin"
	case errors.Is(err, core.ErrConcealed):
		return "hidden chats are concealed: show them with /hidden first"
	}
	return err.Error()
}

// pinCommand is /pin (set or change the PIN) and /pin off (remove it). The
// PINs are asked for in the composer with typing hidden.
func (m *Model) pinCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	remove := false
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "":
	case "off", "remove":
		remove = true
	default:
		m.setError("Usage: /pin to set or change your PIN, /pin off to remove it (the PIN is asked for hidden).")
		return nil, false
	}
	ctx := m.o.Context
	return func() tea.Msg {
		set, err := svc.PINSet(ctx)
		return pinStateMsg{set: set, remove: remove, err: err}
	}, true
}

// pinState starts asking for PINs once it is known whether one is set.
func (m *Model) pinState(msg pinStateMsg) tea.Cmd {
	switch {
	case msg.err != nil:
		m.setError("PIN not changed: " + msg.err.Error())
	case msg.remove && !msg.set:
		m.setInfo("No PIN is set.")
	case msg.set:
		m.loc.remove = msg.remove
		m.startAsk(askPINOld, "Current PIN: ")
	default:
		m.loc.remove = false
		m.startAsk(askPINNew, "New PIN: ")
	}
	return nil
}

// hiddenCommand is /hidden [PIN]: show hidden chats. Without the PIN it is
// asked for with typing hidden.
func (m *Model) hiddenCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if m.loc.revealed {
		m.setInfo("Hidden chats are already shown. /conceal hides them again.")
		return nil, true
	}
	pin := strings.TrimSpace(arg)
	if pin == "" {
		m.startAsk(askReveal, "PIN: ")
		return nil, true
	}
	return m.revealCmd(svc, pin), true
}

func (m *Model) revealCmd(svc LocalService, pin string) tea.Cmd {
	ctx := m.o.Context
	return func() tea.Msg { return revealedMsg{err: svc.Reveal(ctx, pin)} }
}

// revealedDone answers /hidden: a refused PIN typed into the prompt is
// asked for again.
func (m *Model) revealedDone(msg revealedMsg) tea.Cmd {
	m.loc.checking = false
	if msg.err != nil {
		if m.loc.ask == askReveal {
			m.askAgain(askReveal, "PIN: ", "Hidden chats not shown: "+pinErr(msg.err))
		} else {
			m.setError("Hidden chats not shown: " + pinErr(msg.err))
		}
		return nil
	}
	if m.loc.ask == askReveal {
		m.endAsk()
	}
	m.loc.revealed = true
	m.setInfo("Hidden chats are shown. /conceal hides them again.")
	return tea.Batch(m.reloadCmd(), m.draftsCmd()) // the hidden chats' drafts too
}

// concealCommand is /conceal: hidden chats leave the list again.
func (m *Model) concealCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if strings.TrimSpace(arg) != "" {
		m.setError("Usage: /conceal")
		return nil, false
	}
	for _, c := range m.convs {
		if c.Ref == m.open && c.Hidden {
			m.closeConversation()
		}
	}
	m.loc.revealed = false
	if m.loc.pane == paneSearch {
		m.closePane() // results may come from hidden chats
	}
	return func() tea.Msg {
		svc.Conceal()
		return changedMsg{info: "Hidden chats are concealed.", reload: true}
	}, true
}

// startAsk turns the composer into a masked prompt.
func (m *Model) startAsk(kind askKind, prompt string) {
	if m.loc.ask == askNone {
		m.loc.saved = composerLook{prompt: m.input.Prompt, placeholder: m.input.Placeholder, limit: m.input.CharLimit}
	}
	m.loc.ask = kind
	m.resetComposer()
	m.input.Prompt = prompt
	m.input.Placeholder = ""
	m.input.EchoMode = textinput.EchoNone
	m.input.CharLimit = 12
	m.focus = focusComposer
	m.input.Focus()
	m.setInfo("Typing is hidden. Enter confirms, Esc cancels.")
}

// endAsk puts the composer back and forgets the PINs typed.
func (m *Model) endAsk() {
	m.loc.ask, m.loc.old, m.loc.next, m.loc.remove, m.loc.checking = askNone, "", "", false, false
	m.input.Reset()
	m.input.Prompt = m.loc.saved.prompt
	m.input.Placeholder = m.loc.saved.placeholder
	m.input.CharLimit = m.loc.saved.limit
	m.input.EchoMode = textinput.EchoNormal
}

// askAgain keeps the masked prompt open after a refusal: it asks for kind
// again, with the reason (and the tries left, when the core counts them).
// Nothing typed so far is kept.
func (m *Model) askAgain(kind askKind, prompt, reason string) {
	m.loc.ask, m.loc.checking = kind, false
	m.input.Reset()
	m.input.Prompt = prompt
	m.setError(reason + " Esc cancels.")
}

// askKey handles a key while the masked prompt is open. Nothing typed
// into it ever reaches the composer or a conversation: the prompt stays
// open, through refusals, until the answer is accepted or Esc.
func (m *Model) askKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.endAsk()
		m.setInfo("Cancelled.")
		return nil
	case "enter":
		if m.loc.checking {
			return nil
		}
	default:
		if m.loc.checking {
			return nil // typed while the last answer is checked: dropped
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return cmd
	}
	pin := m.input.Value()
	m.input.Reset()
	svc := m.localSvc()
	switch m.loc.ask {
	case askReveal:
		if pin == "" {
			m.endAsk()
			m.setInfo("Cancelled.")
			return nil
		}
		m.loc.checking = true
		m.setInfo("Checking the PIN…")
		return m.revealCmd(svc, pin)
	case askPINOld:
		if pin == "" {
			m.askAgain(askPINOld, "Current PIN: ", "Type your current PIN.")
			return nil
		}
		m.loc.old = pin
		if m.loc.remove {
			m.loc.checking = true
			m.setInfo("Checking the PIN…")
			return m.setPINCmd(svc, pin, "")
		}
		m.loc.ask, m.input.Prompt = askPINNew, "New PIN: "
		return nil
	case askPINNew:
		if !validPIN(pin) {
			m.askAgain(askPINNew, "New PIN: ", "Not a PIN: "+core.ErrBadPIN.Error()+".")
			return nil
		}
		m.loc.next = pin
		m.loc.ask, m.input.Prompt = askPINRepeat, "Repeat new PIN: "
		return nil
	case askPINRepeat:
		if pin != m.loc.next {
			m.loc.next = ""
			m.askAgain(askPINNew, "New PIN: ", "The two new PINs differ: type the new PIN again.")
			return nil
		}
		m.loc.checking = true
		m.setInfo("Saving the PIN…")
		return m.setPINCmd(svc, m.loc.old, pin)
	}
	m.endAsk()
	return nil
}

// pinSet takes the answer to a PIN change: a wrong current PIN asks for it
// again, a refused new one asks for a new one; anything else ends the prompt.
func (m *Model) pinSet(msg pinSetMsg) tea.Cmd {
	m.loc.checking = false
	if m.loc.ask == askNone { // cancelled while it was checked
		if msg.err != nil {
			m.setError("PIN not changed: " + pinErr(msg.err))
		} else {
			m.setInfo(msg.info)
		}
		return nil
	}
	switch {
	case msg.err == nil:
		m.endAsk()
		m.setInfo(msg.info)
	case errors.Is(msg.err, core.ErrWrongPIN), errors.Is(msg.err, core.ErrPINThrottled):
		m.loc.old, m.loc.next = "", ""
		m.askAgain(askPINOld, "Current PIN: ", "PIN not changed: "+pinErr(msg.err)+".")
	case errors.Is(msg.err, core.ErrBadPIN):
		m.loc.next = ""
		m.askAgain(askPINNew, "New PIN: ", "PIN not changed: "+pinErr(msg.err)+".")
	default:
		m.endAsk()
		m.setError("PIN not changed: " + pinErr(msg.err))
	}
	return nil
}

// validPIN reports whether pin is 4 to 12 ASCII digits (the core checks
// again).
func validPIN(pin string) bool {
	if len(pin) < 4 || len(pin) > 12 {
		return false
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (m *Model) setPINCmd(svc LocalService, old, pin string) tea.Cmd {
	ctx := m.o.Context
	info := "PIN set. /hide hides the open chat."
	if pin == "" {
		info = "PIN removed."
	} else if old != "" {
		info = "PIN changed."
	}
	return func() tea.Msg {
		return pinSetMsg{info: info, err: svc.SetPIN(ctx, old, pin)}
	}
}
