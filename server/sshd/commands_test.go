package sshd

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJoinFreeText(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"user", "create", "--name", "Ada", "Lovelace", "--tenant", "acme"},
			[]string{"user", "create", "--name", "Ada Lovelace", "--tenant", "acme"}},
		{[]string{"user", "create", "--tenant", "acme", "--name", "Ada Lovelace"},
			[]string{"user", "create", "--tenant", "acme", "--name", "Ada Lovelace"}},
		{[]string{"--name=Ada", "B.", "King", "--json"}, []string{"--name=Ada B. King", "--json"}},
		{[]string{"--name"}, []string{"--name"}},
		{[]string{"tenant", "create", "acme", "--seats", "5"}, []string{"tenant", "create", "acme", "--seats", "5"}},
	} {
		if diff := cmp.Diff(c.want, joinFreeText(c.in, "--name")); diff != "" {
			t.Errorf("joinFreeText(%q): (-want +got)\n%s", c.in, diff)
		}
	}
}

func TestSSHCommand(t *testing.T) {
	s := &Server{cfg: Config{PublicHost: "chat.example.com", PublicPort: 2222}}
	if got, want := s.sshCommand("-t", "-i k"), "ssh -t -i k -p 2222 chat.example.com"; got != want {
		t.Errorf("sshCommand = %q, want %q (options before the host)", got, want)
	}
	s.cfg.PublicPort = 22
	if got, want := s.sshCommand(""), "ssh chat.example.com"; got != want {
		t.Errorf("port 22: %q, want %q", got, want)
	}
}

// TestCommandNamesLogged: every top-level exec command is one the log
// names; others are logged as unknown.
func TestCommandNamesLogged(t *testing.T) {
	e := &cmdEnv{s: &Server{}}
	cmds := append(e.adminCommands(), e.activateCmd(), e.versionCmd(), e.unlockCmd(), e.lockCmd(), e.filesCmd(),
		e.userWhoamiCmd(), e.directoryCmd())
	for _, c := range cmds {
		if !commandNames[c.Name()] {
			t.Errorf("command %q is logged as unknown", c.Name())
		}
	}
}
