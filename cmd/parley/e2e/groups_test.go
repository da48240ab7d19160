package e2e

import (
	"strings"
	"testing"
)

// TestGroupChatThreePeople: three users of a tenant in real OpenSSH
// sessions. Ann creates a group with Bob and Cat; all three see each
// other's messages, with the sender's name; a reply shows its quote; the
// policy th_disable_create_group refuses a group to Bob, and nothing
// appears.
func TestGroupChatThreePeople(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob, cat := f.key("ann"), f.key("bob"), f.key("cat")
	a := f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")
	c := f.activeUser("acme", []key{cat}, "--name", "Cat Cooper")
	f.chat("ann", ann)
	f.chat("bob", bob)
	f.chat("cat", cat)
	x := f.x

	x.line("ann", "/group create Climbers "+b.ID+" "+c.ID)
	x.waitFor("ann", "Group Climbers created with 3 members.")
	// The others see the group appear without doing anything.
	x.waitFor("bob", "# Climbers")
	x.waitFor("cat", "# Climbers")

	x.line("ann", "hello climbers")
	for _, who := range []string{"bob", "cat"} {
		x.line(who, "/open Climbers")
		scr := x.waitFor(who, "hello climbers")
		if !strings.Contains(scr, "Ann Archer") {
			t.Fatalf("%s does not see who wrote:\n%s", who, scr)
		}
	}
	x.line("bob", "/reply rope is packed")
	x.waitFor("ann", "rope is packed")
	scr := x.waitFor("cat", "rope is packed")
	if !strings.Contains(scr, "┃ hello climbers") || !strings.Contains(scr, "Bob Baker") {
		t.Fatalf("Cat sees the reply without its quote or sender:\n%s", scr)
	}
	x.line("cat", "see you at the wall")
	x.waitFor("ann", "see you at the wall")
	x.waitFor("bob", "see you at the wall")
	// Ann's first message was read by both.
	x.waitFor("ann", "read 2/2")
	// Agreeing is silent and shows as a count under the message.
	x.line("ann", "/agree")
	x.waitFor("ann", "Agree sent (silently).")
	x.waitFor("bob", "👍 1")
	// Markup is rendered, not shown as asterisks.
	x.line("cat", "this is *important*")
	scr = x.waitFor("bob", "this is important")
	if strings.Contains(scr, "*important*") {
		t.Fatalf("markup shown raw:\n%s", scr)
	}

	// A poll voted by two members: the creator sees the live results.
	x.line("ann", `/poll "Which crag?" "Grotto" "Wall" "Gym"`)
	x.waitFor("bob", "Which crag?")
	x.waitFor("cat", "Which crag?")
	x.line("bob", "/vote 2")
	x.waitFor("bob", "Vote counted.")
	x.line("cat", "/vote 2")
	x.waitFor("cat", "Vote counted.")
	scr = x.waitFor("ann", "2 voted")
	if !strings.Contains(scr, "2. Wall ██ 2") {
		t.Fatalf("Ann does not see the results:\n%s", scr)
	}
	// Closed, the poll takes no more votes: the refusal is clear.
	x.line("ann", "/close")
	x.waitFor("ann", "Poll closed.")
	x.waitFor("bob", "closed · 2 voted")
	x.line("bob", "/vote 1")
	x.waitFor("bob", "Vote: the poll is closed")
	x.key("bob", "C-u")

	// The policy is enforced by the server, whatever the client asks.
	f.run("policy", "set", "--tenant", "acme", "th_disable_create_group", "true", "--user", b.ID)
	escape(x, "bob")
	x.line("bob", "/group create Secret "+a.ID)
	x.waitFor("bob", "your organisation does not allow you to create groups")
	if scr := x.screen("ann"); strings.Contains(scr, "Secret") {
		t.Fatalf("a refused group reached Ann:\n%s", scr)
	}
	// A managed group an admin creates appears live in the members' open
	// sessions, with fixed membership.
	f.run("group", "create", "--tenant", "acme", "Safety")
	f.run("group", "add", "--tenant", "acme", "Safety", a.ID, c.ID)
	x.waitFor("ann", "# Safety")
	x.waitFor("cat", "# Safety")
	escape(x, "ann")
	x.line("ann", "/open Safety")
	x.waitFor("ann", "Safety · group:")
	x.line("ann", "/group add "+b.ID)
	x.waitFor("ann", "Add: ")
	if scr := x.screen("ann"); !strings.Contains(scr, "managed") {
		t.Fatalf("adding to a managed group was not refused as managed:\n%s", scr)
	}
	x.key("ann", "C-u")
	x.line("ann", "safety briefing at 8")
	x.line("cat", "/open Safety")
	x.waitFor("cat", "safety briefing at 8")

	for _, who := range []string{"ann", "bob", "cat"} {
		if x.dead(who) {
			t.Fatalf("the chat session of %s ended", who)
		}
	}
}
