package e2e

import (
	"strings"
	"testing"
	"time"
)

// Typing indicators and presence (issue 17, item 15), with the real
// binary and OpenSSH in tmux: what one user types without Enter shows as
// "typing…" in the other's conversation title within seconds and goes
// away; a connected contact shows ●, one who left ○.

// waitGoneWithin polls the window until it no longer shows gone, for up to d.
func waitGoneWithin(t *testing.T, x *tmux, name, gone string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := x.screen(name)
		if !strings.Contains(scr, gone) {
			return scr
		}
		if time.Now().After(deadline) {
			t.Fatalf("window %s: still shows %q after %s; screen:\n%s", name, gone, d, scr)
		}
		time.Sleep(100 * time.Millisecond) // poll the terminal
	}
}

// waitLong is waitFor with a deadline of d.
func waitLong(t *testing.T, x *tmux, name, want string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := x.screen(name)
		if strings.Contains(scr, want) {
			return scr
		}
		if time.Now().After(deadline) {
			t.Fatalf("window %s: timed out after %s waiting for %q; screen:\n%s", name, d, want, scr)
		}
		time.Sleep(100 * time.Millisecond) // poll the terminal
	}
}

func TestTypingIndicator(t *testing.T) {
	f, _, _, a, b := uxPair(t)
	x := f.x
	x.line("ann", "/open "+b.ID)
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", "Ann Archer")

	// Typed, not sent: Bob sees it within seconds, then it goes.
	x.typeText("ann", "half a thought")
	x.waitFor("bob", "typing…")
	waitGoneWithin(t, x, "bob", "typing…", 15*time.Second)
	if scr := x.screen("bob"); strings.Contains(paneText(scr), "half a thought") {
		t.Fatalf("the unsent text reached Bob:\n%s", scr)
	}

	// Emptying the composer ends it at once.
	x.typeText("ann", " more")
	x.waitFor("bob", "typing…")
	x.key("ann", "C-u")
	waitGoneWithin(t, x, "bob", "typing…", 4*time.Second)

	// A command is nobody's business.
	x.key("ann", "C-u")
	x.typeText("ann", "/hidden 1234")
	time.Sleep(2 * time.Second) // give a typing indicator time to arrive, if one went
	if scr := x.screen("bob"); strings.Contains(scr, "typing…") {
		t.Fatalf("a command showed as typing:\n%s", scr)
	}
	x.key("ann", "C-u")

	// Bob turns typing indicators off: he sees none.
	x.line("bob", "/typing off")
	x.waitFor("bob", "Typing indicators off")
	x.typeText("ann", "again")
	time.Sleep(2 * time.Second) // give a typing indicator time to arrive, if one went
	if scr := x.screen("bob"); strings.Contains(scr, "typing…") {
		t.Fatalf("typing shown with /typing off:\n%s", scr)
	}
}

func TestPresenceMarker(t *testing.T) {
	f, _, _, a, b := uxPair(t)
	x := f.x
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", "Ann Archer ●")
	x.line("ann", "/quit")
	// Read again every 30 s while the conversation is open.
	waitLong(t, x, "bob", "Ann Archer ○", 45*time.Second)
	_ = b
}
