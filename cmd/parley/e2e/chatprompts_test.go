package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestWrongPINThenDigitsSendsNothing: after a wrong PIN at the /hidden
// prompt the prompt stays, with the tries left; the digits typed next go
// into it, never to the open chat. The same for a wrong current PIN at /pin.
func TestWrongPINThenDigitsSendsNothing(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob := f.key("ann"), f.key("bob")
	a := f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")
	x := f.x
	f.chat("ann", ann)
	f.chat("bob", bob)
	x.line("ann", "/open "+b.ID)
	x.line("ann", "hello bob")
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", "hello bob")

	x.line("ann", "/pin")
	x.waitFor("ann", "New PIN:")
	x.line("ann", "2468")
	x.waitFor("ann", "Repeat new PIN:")
	x.line("ann", "2468")
	x.waitFor("ann", "PIN set.")

	x.line("ann", "/hidden")
	x.waitFor("ann", "PIN:")
	x.line("ann", "1357")
	first := triesLeft(x.waitFor("ann", "tries left"))
	x.line("ann", "9753") // what a user types next, thinking the prompt closed
	waitTriesChange(t, x, "ann", first)
	x.line("ann", "2468")
	x.waitFor("ann", "Hidden chats are shown.")

	x.line("ann", "/pin off")
	x.waitFor("ann", "Current PIN:")
	x.line("ann", "1111")
	x.waitFor("ann", "PIN not changed")
	first = triesLeft(x.waitFor("ann", "Current PIN:"))
	x.line("ann", "8642")
	// The second refusal counts one more wrong PIN, and the prompt stays.
	waitTriesChange(t, x, "ann", first)
	x.waitFor("ann", "Current PIN:")
	x.key("ann", "Escape")
	x.waitFor("ann", "Type a message") // the prompt is gone: the composer is back
	x.line("ann", "after the prompts")
	x.waitFor("bob", "after the prompts")

	scrA, scrB := x.screen("ann"), x.screen("bob")
	for _, pin := range []string{"1357", "9753", "2468", "1111", "8642"} {
		if strings.Contains(scrB, pin) || strings.Contains(scrA, pin) {
			t.Fatalf("PIN %s was shown or sent:\nAnn:\n%s\nBob:\n%s", pin, scrA, scrB)
		}
	}
}

// waitTriesChange waits until the window shows tries left again, and
// different from was: the last PIN typed was checked and refused. While it
// is checked the screen shows no tries at all, and typing then is dropped,
// so the next PIN must wait for this.
func waitTriesChange(t *testing.T, x *tmux, name, was string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for now := triesLeft(x.screen(name)); now == "" || now == was; now = triesLeft(x.screen(name)) {
		if time.Now().After(deadline) {
			t.Fatalf("the wrong PIN was not refused:\n%s", x.screen(name))
		}
		time.Sleep(50 * time.Millisecond) // poll the terminal
	}
}

// triesLeft is the "(N tries left)" a screen shows, or "".
func triesLeft(scr string) string {
	i := strings.Index(scr, " tries left")
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(scr[:i], '(')
	if j < 0 {
		return ""
	}
	return scr[j:i]
}

// TestEditDeleteSelectedOthersMessage: with someone else's message
// selected, /edit refuses and changes nothing for anyone; /delete asks
// y/N, n keeps everything, y deletes it only in the user's own history.
func TestEditDeleteSelectedOthersMessage(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob := f.key("ann"), f.key("bob")
	a := f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")
	x := f.x
	f.chat("ann", ann)
	f.chat("bob", bob)
	x.line("ann", "/open "+b.ID)
	x.line("ann", "ann wrote this")
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", "ann wrote this")
	x.line("bob", "bob wrote that")
	x.waitFor("ann", "bob wrote that")

	x.key("ann", "Up")
	x.waitFor("ann", "Selected:")
	x.line("ann", "/edit rewritten")
	x.waitFor("ann", "You can only edit your own messages.")
	x.key("ann", "C-u")
	x.line("ann", "/delete")
	x.waitFor("ann", "Delete Bob Baker's message here only (they and others keep it)? y/N")
	x.typeText("ann", "n")
	x.waitFor("ann", "Nothing deleted.")

	x.key("ann", "Up")
	x.waitFor("ann", "Selected:")
	x.line("ann", "/delete")
	x.waitFor("ann", "y/N")
	x.typeText("ann", "y")
	x.waitFor("ann", "(message deleted here)")

	time.Sleep(500 * time.Millisecond) // what would have changed Bob's screen has had time
	scrB := x.screen("bob")
	if !strings.Contains(scrB, "ann wrote this") || !strings.Contains(scrB, "bob wrote that") ||
		strings.Contains(scrB, "rewritten") || strings.Contains(scrB, "deleted") {
		t.Fatalf("Bob's history changed:\n%s", scrB)
	}
	if scrA := x.screen("ann"); !strings.Contains(scrA, "ann wrote this") || strings.Contains(scrA, "rewritten") {
		t.Fatalf("Ann's own message changed:\n%s", scrA)
	}
}
