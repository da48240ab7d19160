package dial

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testConfig = `
Host chat
  HostName chat.example.com
  User ann
  Port 2222
  IdentityFile ~/.ssh/parley_ed25519
  IdentityFile "%d/keys/%r@%h:%p"
  IdentitiesOnly yes
  IdentityAgent ~/agent.sock
  UserKnownHostsFile ~/.ssh/known_parley

Host *.internal
  HostName %h.corp.example
  User ops

Host badport
  Port http

Host badonly
  IdentitiesOnly maybe

Host noagent
  IdentityAgent none
`

// resolveOptions are Options for a temp home with testConfig, asking no
// agent unless the test says otherwise.
func resolveOptions(t *testing.T) (Options, string) {
	t.Helper()
	home := t.TempDir()
	cfg := filepath.Join(home, ".ssh", "config")
	writeFile(t, cfg, testConfig)
	return Options{HomeDir: home, ConfigFile: cfg, AgentSocket: AgentNone}, home
}

func TestResolve(t *testing.T) {
	t.Setenv("USER", "localme")
	t.Setenv("SSH_AUTH_SOCK", "/env/agent.sock")
	o, home := resolveOptions(t)
	ssh := filepath.Join(home, ".ssh")
	writeKey(t, filepath.Join(ssh, "id_rsa"), newKey(t), "") // the one default key that exists

	tests := []struct {
		name   string
		target string
		edit   func(*Options)
		want   Resolved
	}{
		{
			name:   "alias",
			target: "chat",
			want: Resolved{
				Alias: "chat", HostName: "chat.example.com", User: "ann", Port: 2222,
				IdentityFiles: []string{
					filepath.Join(ssh, "parley_ed25519"),
					filepath.Join(home, "keys", "ann@chat.example.com:2222"),
				},
				IdentitiesOnly: true,
				KnownHosts:     filepath.Join(ssh, "known_parley"),
			},
		},
		{
			name:   "command line wins",
			target: "bob@chat:2200",
			edit: func(o *Options) {
				o.IdentityFile = "~/cli_key"
				o.KnownHosts = "/kh"
			},
			want: Resolved{
				Alias: "chat", HostName: "chat.example.com", User: "bob", Port: 2200,
				IdentityFiles: []string{
					filepath.Join(home, "cli_key"),
					filepath.Join(ssh, "parley_ed25519"),
					filepath.Join(home, "keys", "bob@chat.example.com:2200"),
				},
				IdentitiesOnly: true,
				KnownHosts:     "/kh",
			},
		},
		{
			name:   "pattern with %h",
			target: "db.internal",
			want: Resolved{
				Alias: "db.internal", HostName: "db.internal.corp.example", User: "ops", Port: 22,
				IdentityFiles: []string{filepath.Join(ssh, "id_rsa")},
				KnownHosts:    filepath.Join(ssh, "known_hosts"),
			},
		},
		{
			name:   "no config entry: defaults",
			target: "chat.example:2022",
			want: Resolved{
				Alias: "chat.example", HostName: "chat.example", User: "localme", Port: 2022,
				IdentityFiles: []string{filepath.Join(ssh, "id_rsa")},
				KnownHosts:    filepath.Join(ssh, "known_hosts"),
			},
		},
		{
			name:   "missing config file",
			target: "chat",
			edit:   func(o *Options) { o.ConfigFile = filepath.Join(home, "nope") },
			want: Resolved{
				Alias: "chat", HostName: "chat", User: "localme", Port: 22,
				IdentityFiles: []string{filepath.Join(ssh, "id_rsa")},
				KnownHosts:    filepath.Join(ssh, "known_hosts"),
			},
		},
		{
			name:   "agent from the environment",
			target: "chat.example",
			edit:   func(o *Options) { o.AgentSocket = "" },
			want: Resolved{
				Alias: "chat.example", HostName: "chat.example", User: "localme", Port: 22,
				IdentityFiles: []string{filepath.Join(ssh, "id_rsa")},
				KnownHosts:    filepath.Join(ssh, "known_hosts"),
				AgentSocket:   "/env/agent.sock",
			},
		},
		{
			name:   "agent from the config",
			target: "chat",
			edit:   func(o *Options) { o.AgentSocket = "" },
			want: Resolved{
				Alias: "chat", HostName: "chat.example.com", User: "ann", Port: 2222,
				IdentityFiles: []string{
					filepath.Join(ssh, "parley_ed25519"),
					filepath.Join(home, "keys", "ann@chat.example.com:2222"),
				},
				IdentitiesOnly: true,
				KnownHosts:     filepath.Join(ssh, "known_parley"),
				AgentSocket:    filepath.Join(home, "agent.sock"),
			},
		},
		{
			name:   "IdentityAgent none",
			target: "noagent",
			edit:   func(o *Options) { o.AgentSocket = "" },
			want: Resolved{
				Alias: "noagent", HostName: "noagent", User: "localme", Port: 22,
				IdentityFiles: []string{filepath.Join(ssh, "id_rsa")},
				KnownHosts:    filepath.Join(ssh, "known_hosts"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := ParseTarget(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			o := o
			if tt.edit != nil {
				tt.edit(&o)
			}
			got, err := Resolve(target, o)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Resolved{}), ignoreAgentRequired); diff != "" {
				t.Errorf("Resolve(%q) mismatch (-want +got):\n%s", tt.target, diff)
			}
		})
	}
}

var ignoreAgentRequired = cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".agentRequired"
}, cmp.Ignore())

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	o, _ := resolveOptions(t)
	for _, tt := range []struct {
		target  Target
		wantErr string
	}{
		{Target{Host: "badport"}, `port: invalid port "http"`},
		{Target{Host: "badonly"}, `IdentitiesOnly "maybe"`},
		{Target{}, "empty host"},
	} {
		_, err := Resolve(tt.target, o)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Resolve(%+v) error = %v, want one with %q", tt.target, err, tt.wantErr)
		}
	}
	o.IdentityFile = "~other/key"
	if _, err := Resolve(Target{Host: "x"}, o); err == nil || !strings.Contains(err.Error(), "~user") {
		t.Errorf("Resolve with -i ~other/key: error = %v, want one about ~user", err)
	}
	if _, err := Resolve(Target{}, o); !errors.Is(err, ErrInvalidTarget) {
		t.Errorf("Resolve(Target{}) error = %v, want ErrInvalidTarget", err)
	}
}

func TestKnownHostsName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    Resolved
		want string
	}{
		{Resolved{HostName: "127.0.0.1", Port: 22}, "127.0.0.1"},
		{Resolved{HostName: "127.0.0.1", Port: 2222}, "[127.0.0.1]:2222"},
		{Resolved{HostName: "::1", Port: 2222}, "[::1]:2222"},
		{Resolved{HostName: "chat.example", Port: 22}, "chat.example"},
	} {
		if got := tt.r.KnownHostsName(); got != tt.want {
			t.Errorf("KnownHostsName(%s) = %q, want %q", tt.r.Addr(), got, tt.want)
		}
	}
}
