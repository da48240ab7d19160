package chat

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// Notifications. New messages in a conversation that is not open are
// announced the way the user chose (Prefs.Notify): the terminal bell
// (BEL), a desktop notification through the terminal (OSC 9 as iTerm2,
// WezTerm, Ghostty and kitty read it, and OSC 777 as foot, rxvt-unicode
// and VTE-based terminals read it), both, or nothing.
//
// A notification names the sender only, never the message text or a
// conversation's name: a shared or projected screen must not give away
// what was written. The name is sanitized, since another user chose it
// and a terminal would act on escape sequences in it.
//
// During quiet hours nothing is raised, and nothing before the quiet
// status and the preferences were first read. Alarm messages are the
// exception: they ring even then, and even with notifications off (the
// bell at least).

// maxNotifyName is how many characters of a name a notification shows.
const maxNotifyName = 40

// notifyStyle is the user's notification style, the default until the
// preferences are read.
func (m *Model) notifyStyle() string {
	if m.loc.prefsRead && m.loc.prefs.Notify != "" {
		return m.loc.prefs.Notify
	}
	return core.NotifyBell
}

// alert is the notification for incoming messages, or nil. It is the one
// place that decides whether the UI raises a notification.
func (m *Model) alert(incoming []core.Message) tea.Cmd {
	// A service without preferences (no LocalService) has the defaults.
	prefsKnown := m.loc.prefsRead || m.localSvc() == nil
	ready := m.restrRead && prefsKnown && !m.restr.Quiet
	var alarms, others []crypto.ID
	for _, in := range incoming {
		switch {
		case in.Outgoing:
		case in.Alarm:
			alarms = append(alarms, in.From)
		case ready && in.Conv != m.open:
			others = append(others, in.From)
		}
	}
	style := m.notifyStyle()
	switch {
	case len(alarms) > 0:
		if style == core.NotifyOff {
			style = core.NotifyBell
		}
		return tea.Raw(notification(style, "Parley alarm", m.senders(alarms)))
	case len(others) > 0 && style != core.NotifyOff:
		return tea.Raw(notification(style, "Parley", m.senders(others)))
	}
	return nil
}

// senders names the first sender, and how many others there are.
func (m *Model) senders(ids []crypto.ID) string {
	seen := map[crypto.ID]bool{}
	var uniq []crypto.ID
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	name := notifyText(m.personName(uniq[0]))
	if n := len(uniq) - 1; n > 0 {
		name += fmt.Sprintf(" and %d more", n)
	}
	return name
}

// personName is the name the user knows someone by: the title of the
// direct chat with them, their contact name, or their ID.
func (m *Model) personName(id crypto.ID) string {
	for _, c := range m.convs {
		if c.Ref.Kind == core.ConvDirect && c.Ref.Peer == id {
			return c.Title()
		}
	}
	for _, c := range m.loc.contacts {
		if c.ID == id {
			return c.Name
		}
	}
	return id.String()
}

// notification is what the terminal is sent: a bell, desktop
// notifications or both, with title and body (already sanitized).
func notification(style, title, body string) string {
	const bel = "\a"
	desktop := "\x1b]9;" + title + ": " + body + bel + // OSC 9: one text
		"\x1b]777;notify;" + title + ";" + body + bel // OSC 777: title and body
	switch style {
	case core.NotifyDesktop:
		return desktop
	case core.NotifyBoth:
		return bel + desktop
	case core.NotifyOff:
		return ""
	}
	return bel
}

// notifyText makes a name safe inside an OSC string: only printable
// characters (no escape, BEL, C1 controls or bidirectional overrides),
// ";" (OSC 777's separator) as ",", spaces collapsed, at most
// maxNotifyName characters. An empty result becomes "someone".
func notifyText(s string) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			continue
		}
		if unicode.IsSpace(r) {
			space = n > 0
			continue
		}
		need := 1
		if space {
			need++
		}
		if n+need > maxNotifyName {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r == ';' {
			r = ','
		}
		b.WriteRune(r)
		n += need
	}
	if b.Len() == 0 {
		return "someone"
	}
	return b.String()
}
