package chat

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

// Drafts: what the user typed into a conversation and did not send stays
// with that conversation. Switching conversations puts the other one's
// draft in the composer; the drafts are kept in the device store (sealed,
// like the history) so the next session finds them. A change is saved
// draftDelay after the user stops typing, at once when they switch
// conversations or empty the composer. Nothing typed into a masked prompt
// (a PIN) is ever taken as a draft: while one is open the composer is not
// looked at. Nor is a command ("/hidden 1234" carries a PIN): a composer
// holding one keeps no draft.

// draftDelay is how long typing pauses before the draft is saved.
const draftDelay = time.Second

// draftState holds the drafts and what is not saved yet.
type draftState struct {
	text  map[core.ConvRef]string
	dirty map[core.ConvRef]bool
	// now asks for the dirty drafts to be saved without waiting.
	now bool
	// gen tells the current save timer from stale ones; timer says one runs.
	gen   int
	timer bool
	// saving says a save is under way (one at a time, so an older text
	// never overwrites a newer one).
	saving bool
	// loaded says the stored drafts were read: until then nothing is saved,
	// so an empty composer at start does not erase a stored draft.
	loaded bool
}

type (
	draftsMsg struct {
		text map[core.ConvRef]string
		err  error
	}
	draftTimerMsg struct{ gen int }
	draftSavedMsg struct{ err error }
)

// draftsCmd reads the stored drafts.
func (m *Model) draftsCmd() tea.Cmd {
	svc, ctx := m.listSvc(), m.o.Context
	if svc == nil {
		return nil
	}
	return func() tea.Msg {
		text, err := svc.Drafts(ctx)
		return draftsMsg{text: text, err: err}
	}
}

// updateDrafts handles the drafts' messages; ok says it handled msg.
func (m *Model) updateDrafts(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case draftsMsg:
		if msg.err != nil {
			m.setError("Could not read your drafts: " + msg.err.Error())
			return nil, true
		}
		m.drafts.loaded = true
		if m.drafts.text == nil {
			m.drafts.text = map[core.ConvRef]string{}
		}
		for ref, t := range msg.text {
			if _, typed := m.drafts.text[ref]; !typed {
				m.drafts.text[ref] = t
			}
		}
		if t := m.drafts.text[m.open]; !m.open.IsZero() && m.composerEmpty() && m.loc.ask == askNone {
			m.setComposer(t)
		}
		return nil, true
	case draftTimerMsg:
		if msg.gen == m.drafts.gen {
			m.drafts.timer = false
			m.drafts.now = true
		}
		return nil, true
	case draftSavedMsg:
		m.drafts.saving = false
		if msg.err != nil {
			m.setError("Draft not kept: " + msg.err.Error())
		}
		return nil, true
	}
	return nil, false
}

// switchDraft keeps the composer as the draft of the conversation the
// user leaves and puts the draft of the one they open in its place.
func (m *Model) switchDraft(from, to core.ConvRef) {
	if m.listSvc() == nil || m.loc.ask != askNone {
		return
	}
	m.noteDraft(from)
	m.drafts.now = true
	draft := ""
	if m.conv(to) != nil {
		// Only a chat of the list: a hidden one, concealed, shows no draft.
		draft = m.drafts.text[to]
	}
	m.setComposer(draft)
}

// openByCommand opens a conversation a command asked for. The command
// left the composer empty: what was typed while it ran was meant for the
// conversation it opens, so it goes there (after that one's draft), not
// into the draft of the one left.
func (m *Model) openByCommand(peer core.ConvRef, name string) {
	typed := ""
	if m.open != peer && m.listSvc() != nil && m.loc.ask == askNone {
		typed = m.composerValue()
		m.resetComposer()
	}
	m.openConversation(peer, name)
	if typed != "" {
		m.setComposer(m.composerValue() + typed)
	}
}

// noteDraft takes the composer as ref's draft if it changed.
func (m *Model) noteDraft(ref core.ConvRef) {
	if ref.IsZero() || !m.drafts.loaded || m.loc.ask != askNone {
		return
	}
	v := m.composerValue()
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "/") && !strings.HasPrefix(t, "//") {
		v = "" // a command is no draft, and some take a secret ("/hidden PIN")
	}
	if m.drafts.text[ref] == v {
		return
	}
	if m.drafts.dirty == nil {
		m.drafts.dirty = map[core.ConvRef]bool{}
	}
	m.drafts.text[ref] = v
	m.drafts.dirty[ref] = true
	if v == "" {
		m.drafts.now = true // sent or cleared: it must not come back
	}
}

// flushDrafts runs after every message: it notes the open conversation's
// draft and saves what is due, or arranges for it to be saved.
func (m *Model) flushDrafts() tea.Cmd {
	svc := m.listSvc()
	if svc == nil || m.screen != screenChat {
		return nil
	}
	m.noteDraft(m.open)
	if len(m.drafts.dirty) == 0 {
		m.drafts.now = false
		return nil
	}
	if !m.drafts.now || m.drafts.saving {
		if m.drafts.timer {
			return nil
		}
		m.drafts.timer = true
		m.drafts.gen++
		msg := draftTimerMsg{gen: m.drafts.gen}
		if m.o.After != nil {
			m.o.After(draftDelay, msg)
			return nil
		}
		return tea.Tick(draftDelay, func(time.Time) tea.Msg { return msg })
	}
	m.drafts.now, m.drafts.saving = false, true
	save := make(map[core.ConvRef]string, len(m.drafts.dirty))
	for ref := range m.drafts.dirty {
		save[ref] = m.drafts.text[ref]
	}
	clear(m.drafts.dirty)
	ctx := m.o.Context
	return func() tea.Msg {
		return draftSavedMsg{err: saveDrafts(ctx, svc, save)}
	}
}

// saveDrafts stores each draft given.
func saveDrafts(ctx context.Context, svc ListService, save map[core.ConvRef]string) error {
	for ref, text := range save {
		if err := svc.SetDraft(ctx, ref, text); err != nil {
			return err
		}
	}
	return nil
}
