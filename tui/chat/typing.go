package chat

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// Typing indicators and presence in the open 1:1 conversation's title:
// "typing…" while the peer types (the core reports it in
// core.Changes.Typing and forgets it after 6 s), and a presence marker
// (● online, ○ away, ☾ in quiet hours) read when the conversation opens
// and every presenceEvery while it stays open.
//
// After every message the composer is looked at (observeTyping): a 1:1
// conversation whose composer holds text that is no command tells the
// core the user types (the core sends at most one signal every 3 s, and
// nothing for hidden chats or when the user or the policy turned typing
// indicators off); emptied, sent or left, it tells the core they stopped.
// Nothing typed into a masked prompt (a PIN) counts. There is no typing
// indicator in groups.

// TypingService is what typing indicators and presence need from the
// client core.
type TypingService interface {
	Typing(ctx context.Context, ref core.ConvRef, on bool) error
	Presence(ctx context.Context, id crypto.ID) (core.Presence, error)
}

var _ TypingService = (*core.Core)(nil)

// presenceEvery is how often the open conversation's presence is read.
const presenceEvery = 30 * time.Second

// typingState is what the chat knows of typing and presence.
type typingState struct {
	// peers type until the times given (by the core's clock).
	peers map[crypto.ID]time.Time
	// gen tells the current expiry timer from stale ones.
	gen int
	// told is the conversation the core was told the user types in; zero
	// if none. last is the composer's text when it was last looked at.
	told core.ConvRef
	last string
	// presence is the open conversation's peer's, presenceOf whose it is.
	presence   core.Presence
	presenceOf crypto.ID
	// presenceGen tells the current presence timer from stale ones.
	presenceGen int
}

type (
	typingTimerMsg   struct{ gen int }
	typingSentMsg    struct{}
	presenceTimerMsg struct{ gen int }
	presenceMsg      struct {
		id  crypto.ID
		p   core.Presence
		err error
	}
)

// typingSvc is the core's typing features, nil when the service has none.
func (m *Model) typingSvc() TypingService {
	t, _ := m.o.Service.(TypingService)
	return t
}

// observeTyping runs after every message: it takes in who types and the
// presence read, and tells the core whether the user types.
func (m *Model) observeTyping(msg tea.Msg) tea.Cmd {
	svc := m.typingSvc()
	if svc == nil || m.screen != screenChat {
		return nil
	}
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case syncedMsg:
		if msg.ch.Typing != nil {
			m.typing.peers = msg.ch.Typing
			cmds = append(cmds, m.typingTimer())
		}
	case typingTimerMsg:
		if msg.gen == m.typing.gen {
			cmds = append(cmds, m.typingTimer())
		}
	case presenceMsg:
		if msg.err == nil && msg.id == m.open.Peer && m.open.Kind == core.ConvDirect {
			m.typing.presence, m.typing.presenceOf = msg.p, msg.id
		}
	case presenceTimerMsg:
		if msg.gen == m.typing.presenceGen {
			cmds = append(cmds, m.presenceCmd(svc, false))
		}
	}
	if m.open.Kind != core.ConvDirect {
		m.typing.presenceOf = crypto.ID{} // read again when a 1:1 chat opens
	} else if m.typing.presenceOf != m.open.Peer {
		// A conversation just opened: read its peer's presence now.
		m.typing.presence, m.typing.presenceOf = core.Presence{}, m.open.Peer
		cmds = append(cmds, m.presenceCmd(svc, true))
	}
	cmds = append(cmds, m.tellTyping(svc))
	return tea.Batch(cmds...)
}

// tellTyping tells the core when the user starts or stops typing in the
// open 1:1 conversation.
func (m *Model) tellTyping(svc TypingService) tea.Cmd {
	v := ""
	if m.loc.ask == askNone {
		v = m.composerValue()
	}
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "/") && !strings.HasPrefix(t, "//") {
		v = "" // a command is not typing to anyone
	}
	ref := core.ConvRef{}
	if m.open.Kind == core.ConvDirect && strings.TrimSpace(v) != "" {
		ref = m.open
	}
	ctx := m.o.Context
	var cmds []tea.Cmd
	if told := m.typing.told; !told.IsZero() && told != ref {
		m.typing.told = core.ConvRef{}
		cmds = append(cmds, func() tea.Msg { _ = svc.Typing(ctx, told, false); return typingSentMsg{} })
	}
	if !ref.IsZero() && v != m.typing.last {
		m.typing.told = ref
		cmds = append(cmds, func() tea.Msg { _ = svc.Typing(ctx, ref, true); return typingSentMsg{} })
	}
	m.typing.last = v
	return tea.Batch(cmds...)
}

// typingTimer drops who stopped typing and arranges to look again when
// the next one does.
func (m *Model) typingTimer() tea.Cmd {
	now := m.o.Now()
	var next time.Time
	for id, until := range m.typing.peers {
		if !until.After(now) {
			delete(m.typing.peers, id)
			continue
		}
		if next.IsZero() || until.Before(next) {
			next = until
		}
	}
	m.typing.gen++
	if next.IsZero() {
		return nil
	}
	msg := typingTimerMsg{gen: m.typing.gen}
	d := max(next.Sub(now), 100*time.Millisecond)
	if m.o.After != nil {
		m.o.After(d, msg)
		return nil
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return msg })
}

// presenceCmd reads the open conversation's peer's presence and, unless
// now, after presenceEvery; each read arranges the next.
func (m *Model) presenceCmd(svc TypingService, now bool) tea.Cmd {
	if m.open.Kind != core.ConvDirect {
		return nil
	}
	m.typing.presenceGen++
	next := presenceTimerMsg{gen: m.typing.presenceGen}
	var timer tea.Cmd
	if m.o.After != nil {
		m.o.After(presenceEvery, next)
	} else {
		timer = tea.Tick(presenceEvery, func(time.Time) tea.Msg { return next })
	}
	id, ctx := m.open.Peer, m.o.Context
	read := func() tea.Msg {
		p, err := svc.Presence(ctx, id)
		return presenceMsg{id: id, p: p, err: err}
	}
	return tea.Batch(read, timer)
}

// titleMark is what the open conversation's title shows after the name:
// the peer's presence and "typing…".
func (m *Model) titleMark() string {
	if m.open.Kind != core.ConvDirect {
		return ""
	}
	var out string
	if m.typing.presenceOf == m.open.Peer {
		switch m.typing.presence.State {
		case core.PresenceOnline:
			out = " ●"
		case core.PresenceAway:
			out = " ○"
		case core.PresenceQuiet:
			out = " ☾"
		}
	}
	if until, ok := m.typing.peers[m.open.Peer]; ok && until.After(m.o.Now()) {
		out += " · typing…"
	}
	return out
}

// onOff reads a setting's state for /typing and /presence.
func onOff(read, on bool) string {
	if read && !on {
		return "off"
	}
	return "on"
}

// typingCommand is /typing [on|off].
func (m *Model) typingCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if strings.TrimSpace(arg) == "" {
		m.setInfo("Typing indicators: " + onOff(m.loc.prefsRead, m.loc.prefs.TypingIndicators) +
			". /typing on or off changes it.")
		return nil, true
	}
	v, ok := oneOf(arg, "on", "off")
	if !ok {
		m.setError("Usage: /typing on or /typing off")
		return nil, false
	}
	on := v == "on"
	info := "Typing indicators on: in 1:1 chats your contacts see when you type, and you see when they do."
	if !on {
		info = "Typing indicators off: nobody sees you type, and you see nobody typing."
	}
	return m.setPrefsCmd(svc, "typing indicators not changed", info, func(p *core.Prefs) { p.TypingIndicators = on }), true
}

// presenceCommand is /presence [on|off].
func (m *Model) presenceCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if strings.TrimSpace(arg) == "" {
		m.setInfo("Your presence: " + onOff(m.loc.prefsRead, m.loc.prefs.ShowPresence) +
			". /presence on or off changes it.")
		return nil, true
	}
	v, ok := oneOf(arg, "on", "off")
	if !ok {
		m.setError("Usage: /presence on or /presence off")
		return nil, false
	}
	on := v == "on"
	info := "Presence on: your colleagues see whether you are online (●), away (○) or in quiet hours (☾)."
	if !on {
		info = "Presence off: nobody sees whether you are online."
	}
	return m.setPrefsCmd(svc, "presence not changed", info, func(p *core.Prefs) { p.ShowPresence = on }), true
}
