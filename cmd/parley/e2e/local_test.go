package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// fingerprintRow is one row of a fingerprint on the verify screen: four
// groups of four hex digits.
var fingerprintRow = regexp.MustCompile(`[0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}`)

// TestLocalFeatures drives the chat's local features through real OpenSSH
// sessions: search over the decrypted history, a PIN typed hidden, a
// hidden chat that leaves the search until revealed, a theme kept in the
// device store across sessions, and key verification with a wrong and the
// right fingerprint.
func TestLocalFeatures(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob := f.key("ann"), f.key("bob")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")
	f.chat("ann", ann)
	f.chat("bob", bob)
	x := f.x

	x.line("ann", "/msg "+b.ID+" the overhang route is open")
	x.waitFor("bob", "Ann Archer")
	x.line("bob", "/open Ann Archer")
	x.waitFor("bob", "the overhang route is open")

	// Search finds the message on both sides, case-insensitive.
	x.line("bob", "/search OVERHANG")
	x.waitFor("bob", "Search: OVERHANG (1)")
	x.line("ann", "/search overhang")
	x.waitFor("ann", "Search: overhang (1)")
	escape(x, "ann")

	// A PIN, typed hidden, then the chat with Bob hidden behind it.
	x.line("ann", "/pin")
	x.waitFor("ann", "New PIN:")
	x.line("ann", "1357")
	x.waitFor("ann", "Repeat new PIN:")
	x.line("ann", "1357")
	scr := x.waitFor("ann", "PIN set.")
	if strings.Contains(scr, "1357") {
		t.Fatalf("the PIN was shown:\n%s", scr)
	}
	x.line("ann", "/open "+b.ID)
	x.line("ann", "/hide")
	x.waitFor("ann", "is hidden. /hidden shows hidden chats")
	x.line("ann", "/search overhang")
	x.waitFor("ann", `Nothing found for "overhang".`)
	x.line("ann", "/hidden 2468")
	x.waitFor("ann", "wrong PIN")
	x.line("ann", "/hidden 1357")
	x.waitFor("ann", "Hidden chats are shown.")
	x.line("ann", "/search overhang")
	x.waitFor("ann", "Search: overhang (1)")
	escape(x, "ann")

	// Verify Bob's key: a wrong fingerprint is refused, the right one turns him green.
	x.line("ann", "/verify "+b.ID)
	scr = x.waitFor("ann", "Their fingerprint")
	rows := fingerprintRow.FindAllString(scr, 2)
	if len(rows) != 2 {
		t.Fatalf("no fingerprint on the verify screen:\n%s", scr)
	}
	theirs := rows[0] + " " + rows[1]
	x.line("ann", "/verify "+b.ID+" 0000 0000 0000 0000 0000 0000 0000 0000")
	x.waitFor("ann", "MISMATCH")
	x.line("ann", "/verify "+b.ID+" "+strings.ToUpper(theirs))
	x.waitFor("ann", "Bob Baker is verified")
	x.line("ann", "/contacts")
	x.waitFor("ann", "● verified")
	escape(x, "ann")

	// The theme is a preference of the user: a new session keeps it.
	x.line("ann", "/theme light")
	x.waitFor("ann", "Theme: light.")
	x.run("kill-session", "-t", "ann")
	f.chat("ann", ann)
	x.line("ann", "/theme")
	x.waitFor("ann", "Theme: light.")
	// A new session starts concealed: the hidden chat is not listed.
	x.line("ann", "/search overhang")
	x.waitFor("ann", `Nothing found for "overhang".`)

	for _, who := range []string{"ann", "bob"} {
		if x.dead(who) {
			t.Fatalf("the chat session of %s ended", who)
		}
	}
}
