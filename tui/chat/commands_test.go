package chat

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
)

// commands lists the commands /help shows, in its order.
func commands() []command { return newRegistry().listed(inHelp) }

// moreCommands lists the commands the /more pane shows in a session
// without the user's disk (hosted), in its order.
func moreCommands() []command {
	return slices.DeleteFunc(newRegistry().listed(inMore), func(c command) bool { return c.needs == needFiles })
}

// TestCommandTable: every name is a lower-case slash word that names one
// command; every command has a handler; every listed line has its text.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commandTable() {
		for _, n := range c.names {
			if !strings.HasPrefix(n, "/") || strings.ToLower(n) != n || strings.ContainsAny(n, " \t") {
				t.Errorf("name %q: want a lower-case /word", n)
			}
			if seen[n] {
				t.Errorf("name %q names two commands", n)
			}
			seen[n] = true
		}
		if len(c.names) > 0 && c.run == nil {
			t.Errorf("%s has no handler", c.names[0])
		}
		if len(c.names) == 0 && (c.run != nil || c.in == notListed) {
			t.Errorf("a row without names must be a listed help line only: %+v", c)
		}
		if c.in != notListed && (c.usage == "" || c.desc == "") {
			t.Errorf("%v: listed without its usage or description", c.names)
		}
		if c.in == notListed && (c.usage != "" || c.desc != "" || c.feature != "") {
			t.Errorf("%v: not listed, yet has help text or a feature", c.names)
		}
	}
}

// TestCommandNames keeps every name and alias the composer takes.
func TestCommandNames(t *testing.T) {
	want := []string{"/?", "/agree", "/alarm", "/close", "/conceal", "/contact", "/contacts", "/delete",
		"/disagree", "/edit", "/exit", "/find", "/g", "/group", "/help", "/hidden", "/hide", "/list", "/location",
		"/m", "/more", "/msg", "/nick", "/notify", "/open", "/pin", "/poll", "/presence", "/quiet", "/quit", "/receipts",
		"/reply", "/retry", "/s", "/save", "/search", "/send", "/theme", "/typing", "/unhide", "/verify", "/vote", "/whoami"}
	var got []string
	for _, c := range commandTable() {
		got = append(got, c.names...)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("command names = %q, want %q", got, want)
	}
}

// TestUnknownCommandNamesItself: an unknown name is quoted as typed.
func TestUnknownCommandNamesItself(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.run("/Frobnicate now")
		if got, want := d.statusText(), "Unknown command /Frobnicate: /help lists the commands."; !strings.HasPrefix(got, want) {
			t.Errorf("status = %q, want %q", got, want)
		}
	})
}

// TestGroupCommandsUnavailable: a service without groups refuses their
// commands, by the command's name.
func TestGroupCommandsUnavailable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		for _, line := range []string{"/group create T bob", "/g members", "/list create L bob", "/reply hi",
			"/alarm fire", "/edit x", "/delete", "/poll \"Q\" \"A\" \"B\"", "/vote 1", "/close", "/agree",
			"/disagree", "/location 1,2", "/retry"} {
			d.run(line)
			name, _, _ := strings.Cut(line, " ")
			if name == "/g" {
				name = "/group"
			}
			d.wantStatus(name + " is not available in this session.")
		}
	})
}

func TestLocalCommandsUnavailable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats()) // a service without the local features
		for _, line := range []string{"/search x", "/contacts", "/contact add BOB00001", "/verify BOB00001",
			"/find bob", "/whoami", "/hide", "/unhide", "/pin", "/hidden", "/conceal", "/theme light",
			"/notify off", "/receipts off"} {
			d.run(line)
			name, _, _ := strings.Cut(line, " ")
			d.wantStatus(name + " is not available in this session.")
		}
	})
}

// FuzzLocalCommand: no command line crashes the model or leaves more than
// one status line, and none leaves the composer masked.
func FuzzLocalCommand(f *testing.F) {
	for _, s := range []string{"/search ping", "/verify bob 1234", "/contact add \x1b[2J", "/pin off", "/hidden 12",
		"/theme light", "/notify both", "/receipts off", "/find *a*", "/whoami", "/hide carol", "/unhide ~", "/contact remove"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		synctest.Test(t, func(t *testing.T) {
			d := vChatDriver(t, threeChatsLocal())
			d.run(line)
			d.press(tea.KeyEscape)
			if d.m.loc.ask != askNone {
				d.press(tea.KeyEscape)
			}
			if strings.Contains(d.statusText(), "\n") {
				t.Fatalf("status spans lines after %q", line)
			}
			if d.m.input.EchoMode != 0 {
				t.Fatalf("composer left masked after %q", line)
			}
		})
	})
}
