package chat

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// fakeList adds previews and drafts to the fake service.
type fakeList struct {
	*fakeService
	mu     sync.Mutex // guards the fields below
	drafts map[core.ConvRef]string
	saves  []string // SetDraft calls, "REF text"
	reads  int      // LastMessages calls
}

var _ ListService = (*fakeList)(nil)

func newFakeList(svc *fakeService) *fakeList {
	return &fakeList{fakeService: svc, drafts: map[core.ConvRef]string{}}
}

func (f *fakeList) LastMessages(_ context.Context, refs []core.ConvRef) (map[core.ConvRef]core.LastMessage, error) {
	f.mu.Lock()
	f.reads++
	f.mu.Unlock()
	f.fakeService.mu.Lock()
	defer f.fakeService.mu.Unlock()
	out := map[core.ConvRef]core.LastMessage{}
	for _, ref := range refs {
		ms := f.msgs[ref.Peer]
		if len(ms) == 0 {
			continue
		}
		m := ms[len(ms)-1]
		from := m.From
		if !m.Outgoing && from.IsZero() {
			from = ref.Peer
		}
		out[ref] = core.LastMessage{From: from, Outgoing: m.Outgoing, Preview: strings.ReplaceAll(m.Text, "\n", " "), Time: m.Time}
	}
	return out, nil
}

func (f *fakeList) Drafts(context.Context) (map[core.ConvRef]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.drafts), nil
}

func (f *fakeList) SetDraft(_ context.Context, ref core.ConvRef, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saves = append(f.saves, ref.String()+" "+text)
	if text == "" {
		delete(f.drafts, ref)
	} else {
		f.drafts[ref] = text
	}
	return nil
}

func (f *fakeList) draft(ref core.ConvRef) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.drafts[ref]
}

// listDriver is chatDriver on a service with previews and drafts.
func listDriver(t *testing.T, svc *fakeService, list *fakeList) *driver {
	t.Helper()
	return chatDriver(t, svc, func(o *Options) {
		o.Service, o.Tenant = list, "Acme Climbing"
		o.Now = func() time.Time { return testNow }
	})
}

// withIDs numbers the messages, as the core does.
func withIDs(base uint64, ms ...core.Message) []core.Message {
	for i := range ms {
		ms[i].ID = crypto.MessageID(fmt.Appendf(nil, "%08d", base+uint64(i)))
	}
	return ms
}

func TestNewlineKeysBuildOneMessage(t *testing.T) {
	for _, k := range []tea.KeyPressMsg{{Code: tea.KeyEnter, Mod: tea.ModAlt}, {Code: 'j', Mod: tea.ModCtrl}} {
		t.Run(k.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.press('n', tea.ModCtrl)
				d.svc.takeCalls()
				d.typeText("first")
				d.send(k)
				d.typeText("second")
				d.send(k)
				d.typeText("third")
				d.wantScreen("\n  first ")
				d.wantScreen("\n  second ")
				d.wantScreen("› third")
				// The layout still fits: the composer took rows from the pane.
				if n := strings.Count(d.plain(), "\n") + 1; n != 24 {
					t.Fatalf("screen has %d rows, want 24", n)
				}
				d.press(tea.KeyEnter)
				if got, want := d.svc.countCalls(`Send BOB00001 "first\nsecond\nthird"`), 1; got != want {
					t.Fatalf("sends of the three lines = %d, want %d; calls %q", got, want, d.svc.takeCalls())
				}
				if !d.m.composerEmpty() || d.m.composerRows() != 1 {
					t.Fatalf("composer after sending = %q in %d rows, want empty in one", d.m.composerValue(), d.m.composerRows())
				}
			})
		})
	}
}

func TestBackspaceJoinsLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.press('n', tea.ModCtrl)
		d.typeText("ab")
		d.press(tea.KeyLeft)
		d.send(tea.KeyPressMsg{Code: tea.KeyEnter, Mod: tea.ModAlt}) // breaks "a|b"
		if got, want := d.m.composerValue(), "a\nb"; got != want {
			t.Fatalf("after the newline key: %q, want %q", got, want)
		}
		d.press(tea.KeyBackspace)
		if got, want := d.m.composerValue(), "ab"; got != want {
			t.Fatalf("after Backspace at the line's start: %q, want %q", got, want)
		}
		d.typeText("X")
		if got, want := d.m.composerValue(), "aXb"; got != want {
			t.Fatalf("typing after the join: %q, want %q (the cursor stays at the join)", got, want)
		}
	})
}

func TestPasteOfSeveralLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.press('n', tea.ModCtrl)
		d.svc.takeCalls()
		d.send(tea.PasteMsg{Content: "one\r\ntwo\rthree"})
		if got, want := d.m.composerValue(), "one\ntwo\nthree"; got != want {
			t.Fatalf("small paste in the composer = %q, want %q", got, want)
		}
		if n := d.svc.countCalls("Send"); n != 0 {
			t.Fatalf("a small paste was sent at once (%d sends)", n)
		}
		d.m.resetComposer()

		// A large paste asks, and No leaves everything as it was.
		var lines []string
		for i := 1; i <= 40; i++ {
			lines = append(lines, fmt.Sprintf("%02d", i))
		}
		d.typeText("kept")
		d.send(tea.PasteMsg{Content: "\n" + strings.Join(lines, "\n")})
		d.wantScreen("Send 41 lines as one message? y/N")
		d.typeText("n")
		if got := d.m.composerValue(); got != "kept" {
			t.Fatalf("composer after No = %q, want it as before", got)
		}
		if n := d.svc.countCalls("Send"); n != 0 {
			t.Fatalf("No sent something (%d sends)", n)
		}
		d.m.resetComposer()

		// Yes sends the lines, in order, as one message.
		d.send(tea.PasteMsg{Content: strings.Join(lines, "\n")})
		d.wantScreen("Send 40 lines as one message? y/N")
		d.typeText("y")
		want := fmt.Sprintf("Send BOB00001 %q", strings.Join(lines, "\n"))
		if got := d.svc.countCalls(want); got != 1 {
			t.Fatalf("one message of 40 lines: %d sends of it; calls %q", got, d.svc.takeCalls())
		}
		if !d.m.composerEmpty() {
			t.Fatalf("composer after the paste was sent = %q", d.m.composerValue())
		}

		// A large paste starting with a slash is text, not a command.
		d.send(tea.PasteMsg{Content: "/quit\n" + strings.Repeat("x", pasteAskBytes)})
		d.typeText("y")
		if d.quit || d.svc.countCalls(`Send BOB00001 "/quit\n`) != 1 {
			t.Fatalf("a pasted /quit was not sent as text (quit %v)", d.quit)
		}
	})
}

func TestPasteIntoMaskedPromptKeepsOneLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.m.startAsk(askReveal, "PIN: ")
		d.send(tea.PasteMsg{Content: "12\n34"})
		if len(d.m.comp.above) != 0 || d.m.grp.confirm != nil {
			t.Fatalf("a paste into the PIN prompt made lines %q or a question", d.m.comp.above)
		}
	})
}

func TestMessageLinesShownIndentedAndCleaned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob", LastAt: at(15, 9, 0)},
			in(at(15, 9, 0), "first line\n*bold* second \x1b]0;pwned\x07line\n\nafter a blank line, and a long one that must wrap within the pane's width"))
		d := chatDriver(t, svc)
		d.press('n', tea.ModCtrl)
		for _, want := range []string{
			"│       first line ",
			"│       bold second \uFFFD]0;pwned\uFFFDline",
			"│       after a blank line, and a long one that must wrap",
		} {
			d.wantScreen(want)
		}
		if strings.Contains(d.content(), "\x1b]0;") || strings.Contains(d.content(), "\x07") {
			t.Fatal("a terminal escape of the message reached the screen")
		}
		// The bold of the second line ends on it.
		for _, l := range strings.Split(d.content(), "\n") {
			if strings.Contains(l, "after a blank") && strings.Contains(l, "\x1b[1m") {
				t.Fatalf("bold ran into the next line: %q", l)
			}
		}
	})
}

// unreadChat is Bob's chat: five read messages, then three unread ones.
func unreadChat() *fakeService {
	svc := newFakeService()
	var ms []core.Message
	for i := range 5 {
		ms = append(ms, in(at(15, 8, i), fmt.Sprintf("old %d", i)))
	}
	ms = append(ms, out(at(15, 8, 10), "my answer", core.StateRead))
	for i := range 3 {
		ms = append(ms, in(at(15, 9, i), fmt.Sprintf("new %d", i)))
	}
	svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob", LastAt: at(15, 9, 2), Unread: 3}, withIDs(1, ms...)...)
	svc.addConv(core.Conversation{Ref: core.Direct(carol), Name: "Carol", LastAt: at(15, 7, 0)}, withIDs(50, in(at(15, 7, 0), "hello"))...)
	return svc
}

func TestUnreadMarker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, unreadChat())
		d.press('n', tea.ModCtrl)
		screen := d.plain()
		marker := strings.Index(screen, " 3 new ")
		if marker < 0 {
			t.Fatalf("no unread marker:\n%s", screen)
		}
		if strings.Index(screen, "my answer") > marker || marker > strings.Index(screen, "new 0") {
			t.Fatalf("the marker is not right above the first unread message:\n%s", screen)
		}
		// It stays while the conversation is open (the messages are read now).
		d.send(SyncMsg{})
		d.wantScreen(" 3 new ")
		// Leaving and coming back: nothing is unread, no marker.
		d.press('n', tea.ModCtrl)
		d.press('n', tea.ModCtrl)
		if strings.Contains(d.plain(), " 3 new ") {
			t.Fatalf("the marker came back with nothing unread:\n%s", d.plain())
		}
	})
}

func TestNewBelowWhileScrolledUpAndEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		var ms []core.Message
		for i := range 60 {
			ms = append(ms, in(at(15, 8, i), fmt.Sprintf("message %02d", i)))
		}
		svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob", LastAt: at(15, 9, 0)}, withIDs(1, ms...)...)
		d := chatDriver(t, svc)
		d.press('n', tea.ModCtrl)
		d.press(tea.KeyPgUp)
		top := strings.Split(d.plain(), "\n")[2]
		d.wantScreen("end newest") // the key hint while scrolled up

		fresh := withIDs(100, in(at(15, 10, 0), "fresh one"), in(at(15, 10, 1), "fresh two"))
		svc.mu.Lock()
		for i := range fresh {
			fresh[i].Conv = core.Direct(bob)
		}
		svc.msgs[bob] = append(svc.msgs[bob], fresh...)
		svc.mu.Unlock()
		svc.syncs = append(svc.syncs, core.Changes{Reload: true})
		d.send(SyncMsg{})
		d.wantScreen("2 new ↓ end")
		if got := strings.Split(d.plain(), "\n")[2]; got != top {
			t.Errorf("the view moved while scrolled up: top row %q, was %q", got, top)
		}
		if strings.Contains(d.plain(), "fresh two") {
			t.Fatal("scrolled up, yet the newest message is on screen")
		}
		d.press(tea.KeyEnd)
		if d.m.scroll != 0 {
			t.Fatalf("End left scroll at %d", d.m.scroll)
		}
		d.wantScreen("fresh two")
		if strings.Contains(d.plain(), "new ↓") {
			t.Fatal("the indicator stayed at the newest message")
		}
		// At the newest, End is the composer's again (the end of the line).
		d.typeText("ab")
		d.press(tea.KeyHome)
		d.press(tea.KeyEnd)
		d.typeText("c")
		if got := d.m.composerValue(); got != "abc" {
			t.Fatalf("End in the composer: %q, want abc", got)
		}
	})
}

func previewService() *fakeService {
	svc := newFakeService()
	svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob Builder", LastAt: testNow.Add(-time.Hour)},
		in(testNow.Add(-2*time.Hour), "hi"),
		out(testNow.Add(-time.Hour), "see you at the\ngym \x1b[31mtomorrow", core.StateRead))
	svc.addConv(core.Conversation{Ref: core.Direct(carol), Name: "Carol", LastAt: testNow.Add(-48 * time.Hour), Unread: 2},
		in(testNow.Add(-48*time.Hour), "are you there? I have a question about the route"))
	svc.addConv(core.Conversation{Ref: core.Direct(dave), Name: "Dave", LastAt: testNow.Add(-30 * 24 * time.Hour), Hidden: true},
		in(testNow.Add(-30*24*time.Hour), "the secret"))
	return svc
}

func TestListPreviews(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := previewService()
		list := newFakeList(svc)
		d := listDriver(t, svc, list)
		d.send(tea.WindowSizeMsg{Width: 120, Height: 24})
		screen := d.plain()
		for _, want := range []string{"you: see you at the gym", "are you there? I hav"} {
			if !strings.Contains(screen, want) {
				t.Errorf("the list does not show %q:\n%s", want, screen)
			}
		}
		if strings.Contains(screen, "secret") {
			t.Errorf("a hidden chat shows a preview:\n%s", screen)
		}
		if strings.Contains(d.content(), "\x1b[31m") {
			t.Error("an escape sequence of a preview reached the screen")
		}
		// Rendering again reads nothing; a reload without changes neither.
		reads := list.reads
		d.plain()
		d.send(SyncMsg{})
		if list.reads != reads {
			t.Errorf("previews read again without a change: %d reads, want %d", list.reads, reads)
		}
		d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
		golden(t, "list_previews.golden", d.plain())
	})
}

func TestListTime(t *testing.T) {
	now := time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC) // a Saturday
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(-3 * time.Hour), "09:00"},
		{now.Add(-24 * time.Hour), "Fri"},
		{now.Add(-5 * 24 * time.Hour), "Mon"},
		{now.Add(-7 * 24 * time.Hour), "8 Mar"},
		{time.Date(2024, 12, 31, 9, 0, 0, 0, time.UTC), "2024"},
	} {
		if got := listTime(tc.at, now); got != tc.want {
			t.Errorf("listTime(%v) = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestDraftsFollowTheConversation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		list := newFakeList(svc)
		list.drafts[core.Direct(carol)] = "from last session"
		d := listDriver(t, svc, list)
		d.press('n', tea.ModCtrl) // Bob
		d.typeText("half a thought")
		d.press('n', tea.ModCtrl) // Carol: her stored draft
		if got := d.m.composerValue(); got != "from last session" {
			t.Fatalf("Carol's composer = %q, want her stored draft", got)
		}
		if got := list.draft(core.Direct(bob)); got != "half a thought" {
			t.Fatalf("Bob's draft stored = %q, want it saved on the switch", got)
		}
		d.press('p', tea.ModCtrl) // back to Bob
		if got := d.m.composerValue(); got != "half a thought" {
			t.Fatalf("Bob's composer = %q, want his draft back", got)
		}
		// Typing is saved once it pauses.
		d.typeText("!")
		if got := list.draft(core.Direct(bob)); got != "half a thought" {
			t.Fatalf("saved while typing: %q", got)
		}
		time.Sleep(draftDelay)
		d.fire()
		if got := list.draft(core.Direct(bob)); got != "half a thought!" {
			t.Fatalf("Bob's draft after the pause = %q", got)
		}
		// Sent: the draft goes at once.
		d.press(tea.KeyEnter)
		if got := list.draft(core.Direct(bob)); got != "" {
			t.Fatalf("draft after sending = %q, want none", got)
		}
	})
}

// TestTypedWhileOpeningGoesToTheOpenedChat: what is typed while /open runs
// is for the conversation it opens, not a draft of the one left.
func TestTypedWhileOpeningGoesToTheOpenedChat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		list := newFakeList(svc)
		d := listDriver(t, svc, list)
		d.press('n', tea.ModCtrl) // Bob
		d.typeText("/open CAROL002")
		cmd := d.update(tea.KeyPressMsg{Code: tea.KeyEnter}) // the lookup, not run yet
		d.typeText("quick")
		d.settle(cmd)
		if got := d.m.composerValue(); d.m.open != core.Direct(carol) || got != "quick" {
			t.Fatalf("after /open: open %v, composer %q; want Carol's chat with what was typed", d.m.open, got)
		}
		d.press('p', tea.ModCtrl) // back to Bob
		if got := d.m.composerValue(); got != "" {
			t.Fatalf("Bob's composer = %q, want no draft", got)
		}
	})
}

func TestNoDraftOfAMaskedPrompt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		list := newFakeList(svc)
		d := listDriver(t, svc, list)
		d.press('n', tea.ModCtrl)
		d.m.startAsk(askReveal, "PIN: ")
		d.typeText("4711")
		time.Sleep(draftDelay)
		d.fire()
		d.press('n', tea.ModCtrl)
		time.Sleep(draftDelay)
		d.fire()
		d.m.endAsk()
		d.typeText("/hidden 4711") // a command with a PIN
		time.Sleep(draftDelay)
		d.fire()
		d.press('n', tea.ModCtrl)
		for _, s := range list.saves {
			if strings.Contains(s, "4711") {
				t.Fatalf("a PIN typed into the masked prompt was kept as a draft: %q", list.saves)
			}
		}
	})
}

// TestGoldenUnreadAndComposer pins a conversation opened with unread
// messages (the marker) while the composer holds three lines.
func TestGoldenUnreadAndComposer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, unreadChat(), func(o *Options) { o.Tenant = "Acme Climbing" })
		d.press('n', tea.ModCtrl)
		d.typeText("first line")
		d.send(tea.KeyPressMsg{Code: tea.KeyEnter, Mod: tea.ModAlt})
		d.typeText("second line")
		d.send(tea.KeyPressMsg{Code: 'j', Mod: tea.ModCtrl})
		d.typeText("third")
		golden(t, "unread_composer.golden", d.plain())
	})
}

// TestHelpAndMoreListTheKeys: /help names the new-line and End keys, /more
// lists every key; both from the key map.
func TestHelpAndMoreListTheKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/help")
		d.wantScreen("Keys: alt+enter/^j new line · end newest")
		d.press(tea.KeyEscape)
		d = vChatDriver(t, threeChatsLocal())
		d.send(tea.WindowSizeMsg{Width: 80, Height: 60})
		d.run("/more")
		for _, want := range []string{"alt+enter/^j   new line", "end            newest", "pgup/pgdn      scroll"} {
			d.wantScreen(want)
		}
	})
}
