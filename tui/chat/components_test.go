package chat

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// Tests of the components on their own: each is updated with keys and
// drawn at a size without a Model around it.

func keyPress(code rune, mod ...tea.KeyMod) tea.KeyPressMsg {
	k := tea.KeyPressMsg{Code: code}
	if len(mod) > 0 {
		k.Mod = mod[0]
	} else if code > ' ' && code < 0x7f {
		k.Text = string(code)
	}
	return k
}

func threeConvs() []core.Conversation {
	return []core.Conversation{
		{Ref: core.Direct(bob), Name: "Bob"},
		{Ref: core.Direct(carol), Name: "Carol", Unread: 2},
		{Ref: core.Direct(dave), Name: "Dave"},
	}
}

func TestChatListKeys(t *testing.T) {
	convs := threeConvs()
	l := chatList{keys: newListKeys()}
	for _, k := range []tea.KeyPressMsg{keyPress(tea.KeyUp), keyPress(tea.KeyDown), keyPress(tea.KeyDown),
		keyPress(tea.KeyDown), keyPress('x')} {
		if c := l.handleKey(convs, k); c != nil {
			t.Fatalf("%s opened %v, want nothing opened", k, c.Ref)
		}
	}
	if got, want := l.sel, 2; got != want {
		t.Errorf("selection after ↑ ↓ ↓ ↓ = %d, want %d (kept in the list)", got, want)
	}
	c := l.handleKey(convs, keyPress(tea.KeyEnter))
	if c == nil || c.Ref != core.Direct(dave) {
		t.Fatalf("Enter opened %v, want Dave", c)
	}
	if c := l.stepConv(convs, core.Direct(dave), true); c == nil || c.Ref != core.Direct(bob) {
		t.Errorf("next after the last = %v, want the first (Bob)", c)
	}
	if c := l.stepConv(convs, core.Direct(bob), false); c == nil || c.Ref != core.Direct(dave) {
		t.Errorf("previous before the first = %v, want the last (Dave)", c)
	}
	if c := l.stepConv(nil, core.Direct(bob), true); c != nil {
		t.Errorf("next in an empty list = %v, want none", c)
	}
	l.clampSelection(1)
	if l.sel != 0 {
		t.Errorf("selection clamped to one row = %d, want 0", l.sel)
	}
}

func TestChatListView(t *testing.T) {
	l := chatList{sel: 2, keys: newListKeys()}
	p := listProps{convs: threeConvs(), th: theme.Default(), focused: true, open: core.Direct(carol)}
	got := strings.Split(ansi.Strip(l.View(p, 20, 5)), "\n")
	want := []string{
		" Chats              ",
		"  Bob               ",
		"▸ Carol           2 ",
		"› Dave              ",
		"                    ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list view (-want +got):\n%s", diff)
	}
	// With previews, each conversation takes two rows.
	p.preview = func(c *core.Conversation) (string, string) { return "hi " + c.Name, "09:00" }
	got = strings.Split(ansi.Strip(l.View(p, 20, 5)), "\n")
	if len(got) != 5 || !strings.HasPrefix(got[1], "▸ Carol") || !strings.Contains(got[1], "09:00") ||
		!strings.HasPrefix(got[2], "  hi Carol") || !strings.HasPrefix(got[3], "› Dave") {
		t.Errorf("list view with previews = %q, want two rows a conversation, the selection kept in view", got)
	}
}

func TestComposerKeys(t *testing.T) {
	c := newComposer(theme.Default())
	c.input.Focus()
	for _, r := range "ab" {
		c.handleKey(keyPress(r))
	}
	c.handleKey(keyPress(tea.KeyLeft))
	if send, _, refused := c.handleKey(keyPress('j', tea.ModCtrl)); send || refused != "" {
		t.Fatalf("Ctrl+J: send %v, refused %q; want a new line", send, refused)
	}
	if got, want := c.composerValue(), "a\nb"; got != want {
		t.Fatalf("after a b ← ^j: value %q, want %q", got, want)
	}
	if got, want := c.composerHeight(10), 2; got != want {
		t.Errorf("rows = %d, want %d", got, want)
	}
	if got, want := c.composerHeight(0), 1; got != want {
		t.Errorf("rows without spare room = %d, want %d", got, want)
	}
	if got := ansi.Strip(c.View(theme.Default(), 20, 2)); !strings.HasPrefix(got, "  a") {
		t.Errorf("view = %q, want the line above the input first", got)
	}
	c.handleKey(keyPress(tea.KeyBackspace))
	if got, want := c.composerValue(), "ab"; got != want {
		t.Errorf("after Backspace at the line's start: value %q, want %q", got, want)
	}
	if send, _, _ := c.handleKey(keyPress(tea.KeyEnter)); !send {
		t.Errorf("Enter: send false, want true (the model submits)")
	}
	if got, want := c.composerValue(), "ab"; got != want {
		t.Errorf("after Enter: value %q, want %q (the composer does not send)", got, want)
	}
}

func TestComposerPaste(t *testing.T) {
	c := newComposer(theme.Default())
	if p, refused := c.paste("one\ntwo\nthree"); refused != "" || p.question != "" {
		t.Fatalf("small paste: %+v, refused %q; want it put in", p, refused)
	}
	if got, want := c.composerValue(), "one\ntwo\nthree"; got != want {
		t.Errorf("value = %q, want %q", got, want)
	}
	c.resetComposer()
	p, refused := c.paste(strings.Repeat("line\n", pasteAskLines+1))
	if refused != "" || p.question == "" {
		t.Fatalf("large paste: %+v, refused %q; want a question", p, refused)
	}
	if !c.composerEmpty() {
		t.Errorf("composer after a large paste = %q, want it as it was (empty)", c.composerValue())
	}
}

func TestMessagesPaneKeys(t *testing.T) {
	p := messagesPane{keys: newMessageKeys(), older: []byte("cursor")}
	for i := range 3 {
		p.msgs = append(p.msgs, core.Message{ID: crypto.MessageID{byte(i + 1)}, Conv: core.Direct(bob), Text: "m", Time: at(1, 9, i)})
	}
	lines := make([]string, 30)
	layout := func(int) []string { return lines }
	handled, older := p.handleKey(keyPress(tea.KeyPgUp), layout, 12)
	if !handled || older || p.scroll != 10 {
		t.Errorf("PgUp: handled %v, older %v, scroll %d; want handled, scroll 10, no older page yet", handled, older, p.scroll)
	}
	if _, older = p.handleKey(keyPress(tea.KeyPgUp), layout, 12); !older || p.scroll != 19 {
		t.Errorf("second PgUp: older %v, scroll %d; want the top reached (19) and an older page asked for", older, p.scroll)
	}
	p.unread.below = 2
	if handled, _ := p.handleKey(keyPress(tea.KeyEnd), layout, 12); !handled || p.scroll != 0 || p.unread.below != 0 {
		t.Errorf("End: handled %v, scroll %d, below %d; want the newest, nothing below", handled, p.scroll, p.unread.below)
	}
	if handled, _ := p.handleKey(keyPress(tea.KeyEnd), layout, 12); handled {
		t.Errorf("End at the newest: handled, want it left to the composer")
	}

	if got := p.pickKey(keyPress(tea.KeyDown)); got != pickNone {
		t.Errorf("↓ with nothing selected = %v, want not used", got)
	}
	p.pickKey(keyPress(tea.KeyUp))
	p.pickKey(keyPress(tea.KeyUp))
	if got, want := p.pickedIndex(), 1; got != want {
		t.Errorf("after ↑ ↑: selected %d, want %d", got, want)
	}
	if got := p.pickKey(keyPress(tea.KeyEscape)); got != pickDropped || p.picked != nil {
		t.Errorf("Esc = %v, picked %v; want the selection dropped", got, p.picked)
	}
}

func TestOverlayKeys(t *testing.T) {
	var o overlay
	o.show(paneContacts)
	for range 5 {
		o.handleKey(keyPress(tea.KeyDown), 3, 10, false)
	}
	if o.sel != 2 {
		t.Errorf("selection after ↓×5 in 3 rows = %d, want 2", o.sel)
	}
	if got := o.handleKey(keyPress(tea.KeyEnter), 3, 10, true); got != paneIgnored {
		t.Errorf("Enter while typing = %v, want it left to the composer", got)
	}
	if got := o.handleKey(keyPress(tea.KeyEnter), 3, 10, false); got != paneChosen {
		t.Errorf("Enter = %v, want the row chosen", got)
	}
	if got := o.handleKey(keyPress(tea.KeyEscape), 3, 10, false); got != paneClosed || o.pane != paneNone {
		t.Errorf("Esc = %v, pane %d; want it closed", got, o.pane)
	}

	o.show(paneWhoami)
	o.handleKey(keyPress(tea.KeyPgDown), 0, 4, false)
	text := []string{"a", "b", "c", "d", "e", "f"}
	got := strings.Split(ansi.Strip(o.View(theme.Default(), paneContent{text: text}, 40, 4)), "\n")
	if diff := cmp.Diff([]string{"d", "e", "f"}, got[:3]); diff != "" {
		t.Errorf("text pane scrolled past its end (-want +got):\n%s", diff)
	}
	if !strings.Contains(got[3], "esc close") {
		t.Errorf("help line = %q, want the pane's keys", got[3])
	}
}

// TestHelpFromBindings: the help lines come from the components' key maps.
func TestHelpFromBindings(t *testing.T) {
	m := New(Options{Service: newFakeService()})
	m.composer.keys.Send.SetHelp("⏎", "post")
	m.chatList.keys.Open = key.NewBinding(key.WithKeys("enter"), key.WithHelp("⏎", "show"))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if got := ansi.Strip(m.helpLines[1]); !strings.Contains(got, "⏎ post") {
		t.Errorf("composer help = %q, want the Send binding's help", got)
	}
	if got := ansi.Strip(m.helpLines[2]); !strings.Contains(got, "⏎ show") {
		t.Errorf("list help = %q, want the Open binding's help", got)
	}
}
