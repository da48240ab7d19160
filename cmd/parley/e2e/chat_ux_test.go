package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The chat's everyday behaviour (issue 17, items 11–14), with the real
// binary and OpenSSH in tmux: multi-line messages and pastes, the unread
// marker and jumping to the newest, the chat list's previews, drafts.

// uxPair is Ann and Bob of one tenant, each in a chat session.
func uxPair(t *testing.T) (f *adminFx, ann, bob key, a, b userOut) {
	t.Helper()
	f = newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob = f.key("ann"), f.key("bob")
	a = f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b = f.activeUser("acme", []key{bob}, "--name", "Bob Baker")
	f.chat("ann", ann)
	f.chat("bob", bob)
	return f, ann, bob, a, b
}

// rowsInOrder reports whether the screen shows each of want on its own
// row, the rows one after another.
func rowsInOrder(scr string, want ...string) bool {
	rows := strings.Split(scr, "\n")
	for i := range rows {
		ok := true
		for j, w := range want {
			if i+j >= len(rows) || !strings.Contains(rows[i+j], w) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// paneText is the screen without the chat list's column (whose previews
// repeat the newest message): what is right of the list's rule on each row.
func paneText(scr string) string {
	rows := strings.Split(scr, "\n")
	for i, row := range rows {
		if _, pane, ok := strings.Cut(row, "│"); ok {
			rows[i] = pane
		}
	}
	return strings.Join(rows, "\n")
}

// paste pastes text into the window as a terminal does: bracketed, if the
// program asked for it (tmux sends each line break as Enter).
func paste(x *tmux, name, text string) {
	x.t.Helper()
	x.run("set-buffer", "-b", "ux", text)
	x.run("paste-buffer", "-p", "-d", "-b", "ux", "-t", name)
}

// TestChatUXMultiline (item 11): Alt+Enter and Ctrl+J break lines in the
// composer and the message arrives as one, shown with its line breaks; a
// bracketed paste of 40 lines asks, then arrives as one message in order.
func TestChatUXMultiline(t *testing.T) {
	f, _, _, a, b := uxPair(t)
	x := f.x
	x.line("ann", "/open "+b.ID)
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", "Ann Archer")

	x.typeText("ann", "line one")
	x.key("ann", "M-Enter")
	x.typeText("ann", "line two")
	x.key("ann", "C-j")
	x.typeText("ann", "line three")
	scr := x.waitFor("ann", "› line three")
	if !rowsInOrder(scr, "  line one", "  line two", "› line three") {
		t.Fatalf("the composer does not show the three lines:\n%s", scr)
	}
	x.key("ann", "Enter")
	scr = x.waitFor("bob", "line three")
	if !rowsInOrder(scr, "       line one", "       line two", "       line three") {
		t.Fatalf("Bob does not see one message of three lines:\n%s", scr)
	}
	if n := len(regexp.MustCompile(`\d\d:\d\d Ann Archer`).FindAllString(scr, -1)); n != 1 {
		t.Fatalf("Bob sees %d message headers for Ann, want one message:\n%s", n, scr)
	}

	var lines []string
	for i := 1; i <= 40; i++ {
		lines = append(lines, fmt.Sprintf("pasted%02d", i))
	}
	paste(x, "ann", strings.Join(lines, "\n"))
	x.waitFor("ann", "Send 40 lines as one message? y/N")
	x.typeText("ann", "y")
	x.waitFor("bob", "pasted40")
	scr = settled(x, "bob")
	if !rowsInOrder(scr, "pasted35", "pasted36", "pasted37", "pasted38", "pasted39", "pasted40") {
		t.Fatalf("the pasted lines are not one message in order on Bob's screen:\n%s", scr)
	}
	scr = settled(x, "ann")
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, "pasted") && strings.Contains(l, "✓") && !strings.Contains(l, "pasted40") {
			t.Fatalf("a pasted line has its own state mark, so it went as its own message:\n%s", scr)
		}
	}
}

// TestChatUXUnread (item 12): a conversation opened with unread messages
// shows "3 new" above the first; scrolled up, new messages are counted at
// the bottom, and End jumps to them.
func TestChatUXUnread(t *testing.T) {
	f, _, _, a, b := uxPair(t)
	x := f.x
	c := f.activeUser("acme", []key{f.key("cat")}, "--name", "Cat Cooper")
	x.line("ann", "/open "+b.ID)
	for i := 1; i <= 30; i++ {
		x.line("ann", fmt.Sprintf("older%02d", i))
	}
	x.waitFor("ann", "older30 ✓")
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", "older30")
	x.line("bob", "read them")
	x.waitFor("ann", "read them")
	x.line("bob", "/open "+c.ID)     // another conversation
	x.waitFor("bob", "│ Cat Cooper") // the open conversation's header (a presence mark may follow)
	for _, s := range []string{"unread one", "unread two", "unread three"} {
		x.line("ann", s)
	}
	x.waitFor("ann", "unread three ✓")
	x.waitFor("bob", " 3 ") // the list's unread count
	x.line("bob", "/open "+a.ID)
	scr := x.waitFor("bob", "│       unread three")
	if !regexp.MustCompile(`─+ 3 new ─+`).MatchString(scr) || !rowsInOrder(scr, "read them", "3 new", "Ann Archer", "unread one") {
		t.Fatalf("no marker right above the first unread message:\n%s", scr)
	}

	x.key("bob", "PageUp")
	x.waitFor("bob", "end newest") // the key hint while scrolled up
	x.line("ann", "fresh one")
	x.line("ann", "fresh two")
	x.waitFor("ann", "fresh two ✓")
	scr = x.waitFor("bob", "2 new ↓ end")
	if strings.Contains(scr, "│       fresh two") {
		t.Fatalf("scrolled up, Bob's view jumped to the newest message:\n%s", scr)
	}
	// Not on Bob's screen, so not read (item 10): Ann sees them delivered.
	x.waitFor("ann", "fresh two ✓✓ delivered")
	time.Sleep(time.Second)
	if scr := x.screen("ann"); !strings.Contains(scr, "fresh two ✓✓ delivered") {
		t.Fatalf("a message Bob has not seen (scrolled up) is marked read for Ann:\n%s", scr)
	}
	x.key("bob", "End")
	x.waitFor("bob", "│       fresh two")
	waitGone(t, x, "bob", "new ↓")
	x.waitFor("ann", "fresh two ✓✓ read") // on Bob's screen now
}

// TestChatUXPreviews (item 13): the chat list shows the last message with
// "you:" for one's own and its time; a hidden chat shows none.
func TestChatUXPreviews(t *testing.T) {
	f, _, _, a, b := uxPair(t)
	x := f.x
	x.line("ann", "/open "+b.ID)
	x.line("ann", "hello from ann")
	scr := x.waitFor("bob", "hello from ann")
	if !rowsInOrder(scr, "Ann Archer", "  hello from ann") {
		t.Fatalf("Bob's list does not show Ann's last message under her name:\n%s", scr)
	}
	title := regexp.MustCompile(`Ann Archer +\d\d:\d\d`)
	if !title.MatchString(scr) {
		t.Fatalf("Bob's list does not show the time (HH:MM today):\n%s", scr)
	}
	x.waitFor("ann", "you: hello from ann")

	// Hidden: no preview, even while shown.
	x.line("bob", "/pin")
	x.waitFor("bob", "New PIN:")
	x.line("bob", "2468")
	x.waitFor("bob", "Repeat new PIN:")
	x.line("bob", "2468")
	x.waitFor("bob", "PIN set.")
	x.line("bob", "/hide "+a.ID)
	x.waitFor("bob", "is hidden")
	x.line("bob", "/conceal")
	x.waitFor("bob", "Hidden chats are concealed.")
	x.line("ann", "second secret")
	x.waitFor("ann", "second secret ✓")
	x.line("bob", "/hidden")
	x.waitFor("bob", "PIN:")
	x.line("bob", "2468")
	x.waitFor("bob", "Hidden chats are shown.")
	x.waitFor("bob", "Ann Archer")
	scr = settled(x, "bob")
	if strings.Contains(scr, "hello from ann") || strings.Contains(scr, "second secret") {
		t.Fatalf("a hidden chat shows a preview:\n%s", scr)
	}
}

// TestChatUXDrafts (item 14): what was typed and not sent stays with its
// conversation when the user switches, and in the next session.
func TestChatUXDrafts(t *testing.T) {
	f, ann, _, _, b := uxPair(t)
	x := f.x
	cat := f.key("cat")
	c := f.activeUser("acme", []key{cat}, "--name", "Cat Cooper")
	x.line("ann", "/open "+b.ID)
	x.line("ann", "hello bob")
	x.waitFor("ann", "hello bob ✓")
	x.line("ann", "/open "+c.ID)
	x.waitFor("ann", "│ Cat Cooper") // the open conversation's header (a presence mark may follow)
	x.line("ann", "hello cat")
	x.waitFor("ann", "hello cat ✓")

	x.typeText("ann", "draft for cat")
	x.waitFor("ann", "› draft for cat")
	x.key("ann", "C-n")             // to Bob
	x.waitFor("ann", "│ Bob Baker") // the header; a presence mark may follow
	x.waitFor("ann", "› Type a message")
	x.typeText("ann", "draft for bob")
	x.waitFor("ann", "› draft for bob")
	x.key("ann", "C-p") // back to Cat
	x.waitFor("ann", "› draft for cat")
	x.key("ann", "C-n")
	x.waitFor("ann", "› draft for bob")
	time.Sleep(2 * time.Second) // the draft is saved once typing pauses
	x.key("ann", "C-c")
	x.waitDead("ann")

	f.chat("ann2", ann)
	x.line("ann2", "/open "+b.ID)
	x.waitFor("ann2", "› draft for bob")
	x.key("ann2", "C-n") // to Cat
	x.waitFor("ann2", "› draft for cat")
	scr := x.screen("ann2")
	if strings.Contains(scr, "draft for bob") {
		t.Fatalf("Bob's draft shows in Cat's chat:\n%s", scr)
	}
}
