package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestPolicyLive: a user has the chat open in a real OpenSSH session; the
// admin changes policies over exec, and the open session follows without
// reconnecting — /help greys /nick with the reason, /nick is refused with
// it, and the quiet-hours indicator appears when the tenant's quiet hours
// start.
func TestPolicyLive(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	alice := f.key("alice")
	f.activeUser("acme", []key{alice}, "--name", "Alice Example")
	f.chat("alice", alice)
	x := f.x

	// Before any policy: the user may change their nickname, not their
	// quiet hours (parley_user_quiet_hours defaults to false).
	x.line("alice", "/nick Ally")
	x.waitFor("alice", "Your nickname is now Ally.")
	x.line("alice", "/quiet Sat all-day tz UTC")
	x.waitFor("alice", "/quiet: your organisation sets your quiet hours")
	x.key("alice", "C-u") // a refused command stays in the composer
	escape(x, "alice")
	x.line("alice", "/help")
	scr := x.waitFor("alice", "/nick <name>")
	if strings.Contains(scr, "your organisation manages your profile") {
		t.Fatalf("/help shows /nick forbidden before any policy:\n%s", scr)
	}

	// The admin makes profiles read-only: the open help greys /nick with
	// the reason, and /nick is refused with it.
	f.run("policy", "set", "--tenant", "acme", "th_readonly_profile", "true")
	x.waitFor("alice", "not available: your organisation manages your profile")
	escape(x, "alice")
	x.line("alice", "/nick X")
	x.waitFor("alice", "/nick: your organisation manages your profile")
	x.key("alice", "C-u")
	if scr := x.screen("alice"); strings.Contains(scr, "Your nickname is now X") {
		t.Fatalf("/nick under th_readonly_profile was accepted:\n%s", scr)
	}

	// Quiet hours that cover now: the indicator appears in the open session.
	escape(x, "alice")
	if scr := x.screen("alice"); strings.Contains(scr, "quiet hours ─") {
		t.Fatalf("quiet indicator before any quiet hours:\n%s", scr)
	}
	f.run("policy", "set", "--tenant", "acme", "parley_quiet_hours", "UTC Mon-Sun all-day")
	x.waitFor("alice", "quiet hours ─")

	// Lifting the policy applies live too.
	f.run("policy", "set", "--tenant", "acme", "th_readonly_profile", "false")
	f.run("policy", "unset", "--tenant", "acme", "parley_quiet_hours")
	x.line("alice", "/help")
	waitGone(t, x, "alice", "quiet hours ─")
	waitGone(t, x, "alice", "your organisation manages your profile")
	x.waitFor("alice", "/nick <name>")
	if x.dead("alice") {
		t.Fatal("the chat session ended")
	}
}

// waitGone polls the window until it no longer shows text.
func waitGone(t *testing.T, x *tmux, name, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Contains(x.screen(name), text) {
		if time.Now().After(deadline) {
			t.Fatalf("window %s still shows %q:\n%s", name, text, x.screen(name))
		}
		time.Sleep(50 * time.Millisecond) // poll the terminal
	}
}

// escape presses Esc alone: a key right after it would read as Alt+key.
func escape(x *tmux, name string) {
	x.key(name, "Escape")
	time.Sleep(100 * time.Millisecond) // pace input
}
