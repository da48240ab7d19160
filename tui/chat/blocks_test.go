package chat

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// The block cache (blocks.go) must never show what an uncached render
// would not: each change below is made to a model that has drawn its
// screen, and its next screen is compared with that of a fresh model
// given the same state.

// cacheState is what a model is built from for these tests.
type cacheState struct {
	w, h   int
	msgs   []core.Message
	theme  string
	picked int // index of the selected message; -1: none
	// status is the status line's text (info).
	status string
}

func (s cacheState) model(t testing.TB) *Model {
	t.Helper()
	m := benchModel(t, s.w, s.h, s.msgs, len(s.msgs))
	if s.theme != "" {
		m.applyTheme(s.theme)
	}
	if s.picked >= 0 {
		msg := m.msgs[s.picked]
		m.picked = &pick{id: msg.ID, out: msg.Outgoing, from: msg.From}
	}
	if s.status != "" {
		m.setInfo(s.status)
	}
	return m
}

// reload hands m a fresh page of msgs, as a reload does.
func reload(m *Model, msgs []core.Message) {
	m.Update(loadedMsg{convs: m.convs, peer: m.open, page: core.Page{Messages: slices.Clone(msgs)}})
}

// wantSameScreen compares m's screen with a fresh model's in state s.
func wantSameScreen(t *testing.T, m *Model, s cacheState, what string) {
	t.Helper()
	got := m.View().Content
	want := s.model(t).View().Content
	if got != want {
		t.Errorf("%s: the screen differs from an uncached one (-want +got):\n%s", what,
			cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")))
	}
}

func cacheHistory() []core.Message {
	msgs := benchHistory(20)
	// A group-like read count, a poll and a file among them.
	msgs[15].Poll = &core.Poll{Question: "Climb on Sunday?", Choices: []string{"yes", "no"},
		Votes: map[crypto.ID][]int{bob: {0}}}
	msgs[16].Kind, msgs[16].File = core.KindFile, &core.FileInfo{Name: "route.pdf", Size: 2048}
	return msgs
}

func TestBlockCacheFollowsChanges(t *testing.T) {
	last := 19 // outgoing? benchHistory: i%5 < 2 is outgoing
	out := 16  // 16%5 == 1: outgoing
	if !cacheHistory()[out].Outgoing {
		t.Fatal("the fixture's message 16 should be outgoing")
	}
	tests := []struct {
		name   string
		change func(msgs []core.Message)
	}{
		{"edit", func(msgs []core.Message) {
			msgs[last].Text = "changed my mind"
			msgs[last].Edited = msgs[last].Time
		}},
		{"delete", func(msgs []core.Message) { msgs[last].Deleted = true }},
		{"delete here", func(msgs []core.Message) { msgs[out].DeletedHere = true }},
		{"failed", func(msgs []core.Message) { msgs[out].State, msgs[out].Error = core.StateFailed, "relay unreachable" }},
		{"reaction", func(msgs []core.Message) { msgs[last].Agree = append(msgs[last].Agree, mustID("ALICE001")) }},
		{"disagree", func(msgs []core.Message) { msgs[last].Disagree = []crypto.ID{bob} }},
		{"vote", func(msgs []core.Message) {
			msgs[15].Poll = &core.Poll{Question: "Climb on Sunday?", Choices: []string{"yes", "no"},
				Votes: map[crypto.ID][]int{bob: {0}, mustID("ALICE001"): {1}}}
		}},
		{"vote changed", func(msgs []core.Message) {
			msgs[15].Poll = &core.Poll{Question: "Climb on Sunday?", Choices: []string{"yes", "no"},
				Votes: map[crypto.ID][]int{bob: {1}}}
		}},
		{"poll closed", func(msgs []core.Message) {
			p := *msgs[15].Poll
			p.Closed = true
			msgs[15].Poll = &p
		}},
		{"read receipts", func(msgs []core.Message) {
			msgs[out].Recipients = map[crypto.ID]core.State{bob: core.StateRead, carol: core.StateDelivered}
		}},
		{"quote", func(msgs []core.Message) { msgs[last].Quote = "See you at the gym" }},
		{"file renamed", func(msgs []core.Message) {
			msgs[out].File = &core.FileInfo{Name: "route-v2.pdf", Size: 4 << 20}
		}},
		{"new message", func(msgs []core.Message) {}}, // see below: appended
		{"message gone", func(msgs []core.Message) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := cacheHistory()
			s := cacheState{w: 100, h: 30, msgs: msgs, picked: -1}
			m := s.model(t)
			before := m.View().Content
			next := slices.Clone(msgs)
			tt.change(next)
			switch tt.name {
			case "new message":
				n := benchHistory(21)[20]
				next = append(next, n)
			case "message gone":
				next = slices.Delete(next, 17, 18)
			}
			reload(m, next)
			s.msgs = next
			wantSameScreen(t, m, s, tt.name)
			if m.View().Content == before {
				t.Errorf("%s: the screen did not change", tt.name)
			}
		})
	}
}

// A message goes sent → delivered → read: each step shows at once.
func TestBlockCacheFollowsStates(t *testing.T) {
	msgs := cacheHistory()
	out := 16
	msgs[out].State = core.StatePending
	s := cacheState{w: 100, h: 30, msgs: msgs, picked: -1}
	m := s.model(t)
	prev := m.View().Content
	for _, st := range []core.State{core.StateSent, core.StateDelivered, core.StateRead} {
		next := slices.Clone(s.msgs)
		next[out].State = st
		reload(m, next)
		s.msgs = next
		wantSameScreen(t, m, s, st.String())
		got := m.View().Content
		if got == prev {
			t.Errorf("%s: the screen did not change", st)
		}
		prev = got
	}
}

func TestBlockCacheFollowsViewChanges(t *testing.T) {
	t.Run("width", func(t *testing.T) {
		s := cacheState{w: 100, h: 30, msgs: cacheHistory(), picked: -1}
		m := s.model(t)
		_ = m.View()
		for _, w := range []int{200, 61, 59, 100} { // 59: no chat list, the pane is the whole width
			m.Update(tea.WindowSizeMsg{Width: w, Height: 30})
			s.w = w
			wantSameScreen(t, m, s, fmt.Sprint("width ", w))
		}
	})
	t.Run("theme", func(t *testing.T) {
		s := cacheState{w: 100, h: 30, msgs: cacheHistory(), picked: -1}
		m := s.model(t)
		dark := m.View().Content
		m.applyTheme(theme.Light)
		s.theme = theme.Light
		wantSameScreen(t, m, s, "light theme")
		if m.View().Content == dark {
			t.Error("the light theme shows the dark one's screen")
		}
		m.applyTheme(theme.Dark)
		s.theme = theme.Dark
		wantSameScreen(t, m, s, "dark theme again")
	})
	t.Run("selection", func(t *testing.T) {
		s := cacheState{w: 100, h: 30, msgs: cacheHistory(), picked: -1}
		m := s.model(t)
		_ = m.View()
		for i, want := range []int{19, 18, 19, -1} {
			k := tea.KeyPressMsg{Code: tea.KeyUp}
			if i >= 2 {
				k = tea.KeyPressMsg{Code: tea.KeyDown}
			}
			m.Update(k)
			s.picked, s.status = want, m.status
			wantSameScreen(t, m, s, fmt.Sprint("selection ", want))
		}
	})
	t.Run("group names", func(t *testing.T) {
		s := cacheState{w: 100, h: 30, msgs: cacheHistory(), picked: -1}
		m := s.model(t)
		_ = m.View()
		m.openName = "Bob the Builder" // a rename of the contact
		fresh := s.model(t)
		fresh.openName = "Bob the Builder"
		if got, want := m.View().Content, fresh.View().Content; got != want {
			t.Errorf("after a rename the screen differs from an uncached one:\n%s", cmp.Diff(want, got))
		}
	})
}

// The cache keeps only what the last View showed: messages no longer
// loaded, or scrolled out of view, are dropped.
func TestBlockCacheDropsUnseen(t *testing.T) {
	s := cacheState{w: 100, h: 30, msgs: benchHistory(200), picked: -1}
	m := s.model(t)
	_ = m.View()
	if n := len(m.blocks.entries); n == 0 || n > 30 {
		t.Fatalf("after one View the cache holds %d messages, want those in view (at most 30)", n)
	}
	m.lineCount() // lays out every message
	_ = m.View()
	if n := len(m.blocks.entries); n > 30 {
		t.Errorf("after a View the cache holds %d messages, want only those in view", n)
	}
	reload(m, benchHistory(200)[150:])
	_ = m.View()
	for id := range m.blocks.entries {
		if !slices.ContainsFunc(m.msgs, func(msg core.Message) bool { return keyOf(&msg) == id.msgKey }) {
			t.Errorf("the cache keeps message %x, which is no longer loaded", id.id[:3])
		}
	}
	m.closeConversation()
	if n := len(m.blocks.entries); n != 0 {
		t.Errorf("with no conversation open the cache holds %d messages", n)
	}
}

// paint renders as the style does, for every style it is made from.
func TestPaintRendersAsStyle(t *testing.T) {
	for _, th := range []*theme.Theme{theme.Default(), theme.Named(theme.Light, "#FFCC00")} {
		m := New(Options{Service: newFakeService(), Theme: th})
		p := m.paints()
		for name, pt := range map[string]paint{"header": p.header, "title": p.title, "text": p.text, "muted": p.muted,
			"rule": p.rule, "own": p.own, "peer": p.peer, "warning": p.warning, "error": p.errorS, "info": p.info,
			"stateRead": p.stateRead} {
			if !pt.ok {
				t.Errorf("%s: not painted ahead", name)
			}
			for _, s := range []string{"", " x ", "a\nb", "tab\there", "cr\r\n", "\x1b[1mbold\x1b[22m", "   ", "日本語 ✓✓"} {
				if got, want := pt.Render(s), pt.st.Render(s); got != want {
					t.Errorf("%s.Render(%q) = %q, want %q", name, s, got, want)
				}
			}
		}
		if got, want := ansi.Strip(p.sep), "│"; got != want {
			t.Errorf("sep = %q, want %q", got, want)
		}
	}
}

// The empty composer's kept view is the input's own, through focus,
// width, theme and prompt changes.
func TestComposerPlaceholderMemo(t *testing.T) {
	m := benchModel(t, 100, 30, benchHistory(5), 5)
	check := func(what string) {
		t.Helper()
		if got, want := m.composer.inputView(m.th), m.input.View(); got != want {
			t.Errorf("%s: composer shows %q, want %q", what, got, want)
		}
	}
	check("focused")
	m.input.Blur()
	check("blurred")
	m.input.Focus()
	check("focused again")
	m.Update(tea.WindowSizeMsg{Width: 61, Height: 30})
	check("narrower")
	m.applyTheme(theme.Light)
	check("light theme")
	m.input.Prompt = "PIN: "
	check("another prompt")
	m.input.Placeholder = "something else"
	check("another placeholder")
	m.input.SetValue("typed")
	check("typed")
	m.input.SetValue("")
	check("empty again")
}
