package chat

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

// Previews in the chat list: each conversation's newest message, its
// sender ("you:" for the user's own; in 1:1 chats the title names the
// sender) and its time. They are read from the core once per change of a
// conversation's summary (its last time or preview), one record per
// changed conversation, never by rendering. A hidden chat never shows a
// preview: the core gives none, and the list asks for none.

// previewState holds the previews read so far.
type previewState struct {
	got map[core.ConvRef]preview
	// reading says a read is under way; again that another follows it.
	reading, again bool
}

// preview is a conversation's last message, and the summary it was read for.
type preview struct {
	of   string // summaryKey of the conversation when read
	last core.LastMessage
	ok   bool // the conversation has a message
}

// previewsMsg answers previewCmd.
type previewsMsg struct {
	of   map[core.ConvRef]string
	last map[core.ConvRef]core.LastMessage
	err  error
}

// summaryKey changes whenever a conversation's newest message may have:
// a new message, an edit or a deletion.
func summaryKey(c *core.Conversation) string {
	return c.LastAt.UTC().Format(time.RFC3339Nano) + "\x00" + c.Preview
}

// previewCmd reads the previews of the conversations that changed since
// they were last read; nil when none did.
func (m *Model) previewCmd() tea.Cmd {
	svc := m.listSvc()
	if svc == nil {
		return nil
	}
	if m.prev.reading {
		m.prev.again = true
		return nil
	}
	of := map[core.ConvRef]string{}
	var refs []core.ConvRef
	for i := range m.convs {
		c := &m.convs[i]
		if c.Hidden {
			continue
		}
		if k := summaryKey(c); m.prev.got[c.Ref].of != k {
			of[c.Ref] = k
			refs = append(refs, c.Ref)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	m.prev.reading = true
	ctx := m.o.Context
	return func() tea.Msg {
		last, err := svc.LastMessages(ctx, refs)
		return previewsMsg{of: of, last: last, err: err}
	}
}

// previewsDone keeps the previews read.
func (m *Model) previewsDone(msg previewsMsg) tea.Cmd {
	m.prev.reading = false
	if msg.err != nil {
		m.setError("Could not read the chat list's previews: " + msg.err.Error())
	} else {
		if m.prev.got == nil {
			m.prev.got = map[core.ConvRef]preview{}
		}
		for ref, of := range msg.of {
			l, ok := msg.last[ref]
			m.prev.got[ref] = preview{of: of, last: l, ok: ok}
		}
	}
	if m.prev.again {
		m.prev.again = false
		return m.previewCmd()
	}
	return nil
}

// previewText is the list's second row for c: sender and text, "" for a
// hidden chat or one without messages.
func (m *Model) previewText(c *core.Conversation) string {
	p, ok := m.prev.got[c.Ref]
	if c.Hidden || !ok || !p.ok {
		return ""
	}
	text := cleanLine(p.last.Preview)
	switch {
	case p.last.Outgoing:
		return "you: " + text
	case p.last.System || c.Ref.Kind == core.ConvDirect:
		return text
	}
	name := m.personName(p.last.From)
	if n, ok := m.grp.names[p.last.From]; ok && n != "" {
		name = n
	}
	return cleanLine(name) + ": " + text
}

// previewTime is when c's newest message came, as the list shows it.
func (m *Model) previewTime(c *core.Conversation) string {
	at := c.LastAt
	if p, ok := m.prev.got[c.Ref]; ok && p.ok && !p.last.Time.IsZero() {
		at = p.last.Time
	}
	if at.IsZero() {
		return ""
	}
	return listTime(at.In(m.o.Location), m.o.Now().In(m.o.Location))
}

// listTime is HH:MM today, the weekday within the last week, the day and
// month before, only the year for another year (the list is narrow; the
// conversation shows the full date).
func listTime(t, now time.Time) string {
	switch {
	case sameDay(t, now):
		return t.Format("15:04")
	case t.Before(now) && now.Sub(t) < 6*24*time.Hour:
		return t.Format("Mon")
	case t.Year() == now.Year():
		return t.Format("2 Jan")
	}
	return t.Format("2006")
}
