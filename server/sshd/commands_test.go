package sshd

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/server/directory"
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

// TestLocalModeMessage: a local-mode user is sent to the local client,
// with the server named as `parley chat` reads it.
func TestLocalModeMessage(t *testing.T) {
	for _, c := range []struct {
		host string
		port int
		want string
	}{
		{"chat.example.com", 22, "chat.example.com"},
		{"chat.example.com", 2222, "chat.example.com:2222"},
		{"::1", 22, "[::1]"},
		{"::1", 2222, "[::1]:2222"},
		{"", 22, "HOST"},
	} {
		s := &Server{cfg: Config{PublicHost: c.host, PublicPort: c.port}}
		if got := s.chatTarget(); got != c.want {
			t.Errorf("chatTarget(%q, %d) = %q, want %q", c.host, c.port, got, c.want)
		}
	}
	s := &Server{cfg: Config{PublicHost: "chat.example.com", PublicPort: 22}}
	err := s.errLocalMode()
	if !errors.Is(err, directory.ErrLocalMode) {
		t.Errorf("errLocalMode() = %v, want it to wrap directory.ErrLocalMode", err)
	}
	want := "This account keeps its secret key on your own device (local mode): chat with `parley chat chat.example.com`"
	if got := capitalizeFirst(err.Error()); got != want {
		t.Errorf("the message reads %q, want %q", got, want)
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
