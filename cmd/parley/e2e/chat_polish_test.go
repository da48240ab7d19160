package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The smaller things of issue 17, items 8 and 10, with the real binary and
// OpenSSH in tmux: a group's header follows a rename, the user's own
// nickname shows after /nick, a long error wraps at 80 columns, the
// quiet-hours indicator is in the user's time zone, and a console role
// that may not write opens no form.

// TestChatHeaderFollowsRenameAndNick: Bob's header for the group follows
// Ann's rename; Ann's own header shows the nickname she set.
func TestChatHeaderFollowsRenameAndNick(t *testing.T) {
	f, _, _, _, b := uxPair(t)
	x := f.x
	x.line("ann", "/group create Climbers "+b.ID)
	x.waitFor("ann", "Group Climbers created with 2 members.")
	x.waitFor("bob", "# Climbers")
	x.line("bob", "/open Climbers")
	x.waitFor("bob", "│ Climbers")

	x.line("ann", "/open Climbers")
	x.line("ann", "/group rename Boulderers")
	x.waitFor("ann", "Group renamed to Boulderers.")
	scr := x.waitFor("bob", "│ Boulderers")
	if header := strings.Split(scr, "\n")[1]; strings.Contains(header, "Climbers") {
		t.Fatalf("Bob's header still names the old group name: %q", header)
	}
	if !strings.Contains(scr, `Renamed to "Boulderers"`) {
		t.Fatalf("Bob's history does not say the group was renamed:\n%s", scr)
	}

	x.line("ann", "/nick Annie")
	x.waitFor("ann", "Your nickname is now Annie.")
	if scr = x.waitFor("ann", "Annie"); !strings.Contains(strings.SplitN(scr, "\n", 2)[0], "Annie") {
		t.Fatalf("Ann's header does not show her new nickname:\n%s", scr)
	}
}

// TestChatLongErrorWraps: at 80 columns an error longer than a line is
// shown whole, wrapped, and the refused command stays in the composer.
func TestChatLongErrorWraps(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann := f.key("ann")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	x := f.x
	x.start("ann", 80, 24, append([]string{"ssh", "-t"}, f.srv.sshArgs(ann)...)...)
	x.waitFor("ann", "Passphrase")
	x.line("ann", "the passphrase")
	x.waitFor("ann", "Welcome to Parley")

	bogus := "/" + strings.Repeat("x", 70) + "end"
	x.line("ann", bogus)
	scr := x.waitFor("ann", "Unknown command")
	joined := strings.Join(strings.Fields(strings.ReplaceAll(scr, "\n", " ")), "")
	if !strings.Contains(joined, strings.TrimPrefix(bogus, "/")) {
		t.Fatalf("the error at 80 columns does not show the whole command:\n%s", scr)
	}
	if strings.Contains(scr, "…") {
		t.Fatalf("the error is cut instead of wrapped:\n%s", scr)
	}
	for _, row := range strings.Split(scr, "\n") {
		if len([]rune(row)) > 80 {
			t.Fatalf("a row is wider than the terminal: %q", row)
		}
	}
	if !strings.Contains(scr, "› /xxxx") {
		t.Fatalf("the refused command is not kept in the composer:\n%s", scr)
	}
}

// quietUntil is what the indicator shows for quiet hours ending at until,
// read in loc at now (the chat's rule: the day is named when not today).
func quietUntil(now, until time.Time, loc *time.Location, zone string) string {
	n, u := now.In(loc), until.In(loc)
	layout := "Mon 15:04"
	if n.YearDay() == u.YearDay() && n.Year() == u.Year() {
		layout = "15:04"
	}
	return "quiet until " + u.Format(layout+zone)
}

// TestQuietIndicatorInUsersZone: a user's own quiet hours in Asia/Tokyo
// show as Tokyo time, named, in a session that sent no time zone, and as
// London time in one that sent TZ=Europe/London.
func TestQuietIndicatorInUsersZone(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	f.run("policy", "set", "--tenant", "acme", "parley_user_quiet_hours", "true")
	ann := f.key("ann")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	f.chat("ann", ann)
	x := f.x

	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	// Quiet from an hour ago to three hours from now, Tokyo time, every day.
	now := time.Now().In(tokyo).Truncate(time.Minute)
	start, end := now.Add(-time.Hour), now.Add(3*time.Hour)
	x.line("ann", fmt.Sprintf("/quiet Mon-Sun %s-%s tz Asia/Tokyo", start.Format("15:04"), end.Format("15:04")))

	zone := " JST"
	if end.In(time.Local).Format("15:04 MST") == end.Format("15:04 MST") {
		zone = "" // this machine keeps Tokyo time: nothing to tell apart
	}
	want := quietUntil(now, end, tokyo, zone)
	x.waitFor("ann", want+" ─")

	x.start("ann-london", 100, 30, append([]string{"env", "TZ=Europe/London", "ssh", "-o", "SendEnv=TZ", "-t"}, f.srv.sshArgs(ann)...)...)
	x.waitFor("ann-london", "Passphrase")
	x.line("ann-london", "the passphrase")
	x.waitFor("ann-london", "Welcome to Parley")
	x.waitFor("ann-london", quietUntil(now, end, london, "")+" ─")
}

// TestConsoleAuditorOpensNoForm: an auditor's "new user" key opens no
// form; the console says which permission the role lacks.
func TestConsoleAuditorOpensNoForm(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	f.createUser("acme", "--name", "Ann Archer")
	auditor := f.key("auditor")
	f.srv.mustSSH(f.root, auditor.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "auditor")
	x := f.x
	x.start("aud", 80, 24, append([]string{"ssh", "-t"}, append(f.srv.sshArgs(auditor), "admin")...)...)
	x.waitFor("aud", "auditor")
	x.typeText("aud", "2")
	x.waitFor("aud", "Ann Archer")
	x.typeText("aud", "n")
	scr := x.waitFor("aud", "Role auditor may not change users (users:write)")
	if strings.Contains(scr, "New user") || strings.Contains(scr, "First name") {
		t.Fatalf("the auditor's console opened the new-user form:\n%s", scr)
	}
	if n := len(f.users("acme")); n != 1 {
		t.Fatalf("acme has %d users after the auditor's try, want 1", n)
	}
	x.typeText("aud", "q")
	x.waitDead("aud")
}

// TestChatNamesResolveThroughDirectory (item 10): /msg and /open find
// people by name in the directory, not only among existing chats; a name
// that fits several asks which one.
func TestChatNamesResolveThroughDirectory(t *testing.T) {
	f, _, _, _, _ := uxPair(t)
	f.activeUser("acme", []key{f.key("cat1")}, "--name", "Cat Cooper")
	f.activeUser("acme", []key{f.key("cat2")}, "--name", "Cat Carter")
	x := f.x
	x.line("ann", `/msg "Bob Baker" found you in the directory`)
	x.waitFor("bob", "found you in the d") // the chat list's preview
	x.waitFor("ann", "found you in the directory ✓")

	x.line("ann", "/open Cat")
	scr := x.waitFor("ann", `2 people match "Cat"`)
	if !strings.Contains(scr, "Cat Cooper") || !strings.Contains(scr, "Cat Carter") {
		t.Fatalf("the choice does not show both people called Cat:\n%s", scr)
	}
}

// TestQuoteFollowsEditAndDelete (item 4): a reply's quote shows the quoted
// message as it is now; once deleted, "(message deleted)", and the old
// text is nowhere on screen.
func TestQuoteFollowsEditAndDelete(t *testing.T) {
	f, _, _, a, b := uxPair(t)
	x := f.x
	x.line("ann", "/open "+b.ID)
	x.line("ann", "first version")
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", "first version")
	x.line("bob", "/reply noted")
	x.waitFor("ann", "noted")
	x.waitFor("bob", "┃ first version")

	x.line("ann", "/edit second version")
	scr := x.waitFor("bob", "┃ second version")
	if strings.Contains(scr, "first version") {
		t.Fatalf("the old text survives on Bob's screen after the edit:\n%s", scr)
	}
	x.waitFor("ann", "┃ second version")

	x.key("ann", "Up", "Up")
	x.waitFor("ann", "Selected:")
	x.line("ann", "/delete")
	x.waitFor("ann", "for everyone")
	x.typeText("ann", "y")
	scr = x.waitFor("bob", "┃ (message deleted)")
	if strings.Contains(scr, "second version") || strings.Contains(scr, "first version") {
		t.Fatalf("the deleted text survives on Bob's screen:\n%s", scr)
	}
	if scr := x.waitFor("ann", "┃ (message deleted)"); strings.Contains(scr, "version") {
		t.Fatalf("the deleted text survives on Ann's screen:\n%s", scr)
	}
}

// TestDirectoryFindsNameOnlyUsers (item 6): a user created with --name
// only is found by any part of the name.
func TestDirectoryFindsNameOnlyUsers(t *testing.T) {
	f, _, _, _, _ := uxPair(t)
	f.activeUser("acme", []key{f.key("dee")}, "--name", "Dee Dorothea Quist")
	x := f.x
	for _, q := range []string{"Dorothea", "quist"} {
		x.line("ann", "/find "+q)
		x.waitFor("ann", "Dee Dorothea Quist")
		x.key("ann", "Escape")
		waitGone(t, x, "ann", "Dee Dorothea Quist")
	}
}

// TestEscThenSlashKeepsTheSlash (item 10): Esc and "/" typed at once (the
// terminal sends them as one Alt+/) clear the error and start a command.
func TestEscThenSlashKeepsTheSlash(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann := f.key("ann")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	f.chat("ann", ann)
	x := f.x
	x.line("ann", "/frobnicate")
	x.waitFor("ann", "Unknown command /frobnicate")
	x.key("ann", "C-u")
	x.waitFor("ann", "› Type a message")
	x.typeText("ann", "\x1b/")
	x.waitFor("ann", "› /")
	waitGone(t, x, "ann", "Unknown command")
	x.typeText("ann", "quit") // a command only with the slash kept
	x.key("ann", "Enter")
	x.waitDead("ann")
}
