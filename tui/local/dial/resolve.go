package dial

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"
)

// DefaultTimeout bounds the TCP connect and the SSH handshake.
const DefaultTimeout = 15 * time.Second

// AgentNone, as Options.AgentSocket, asks no agent whatever the
// environment says (like IdentityAgent none).
const AgentNone = "none"

// Options says how to connect. The zero value follows ssh(1) for the
// current user.
type Options struct {
	// IdentityFile is ssh's -i FILE. It is offered first, before the
	// config's IdentityFile entries; the default files are then not used.
	// Agent keys are still offered unless IdentitiesOnly is set, as in
	// OpenSSH. A missing file is an error (missing config or default
	// files are skipped).
	IdentityFile string
	// ConfigFile defaults to ~/.ssh/config; a missing file is no config.
	ConfigFile string
	// KnownHosts defaults to the config's UserKnownHostsFile, then
	// ~/.ssh/known_hosts. It is created 0600, with its directory 0700,
	// when missing.
	KnownHosts string
	// AgentSocket defaults to the config's IdentityAgent, then
	// $SSH_AUTH_SOCK; AgentNone or nothing set: no agent. An agent named
	// here must answer; one from the environment or config that does not
	// is skipped, as ssh does.
	AgentSocket string
	// HomeDir is where "~" points, and the home of the default paths;
	// default os.UserHomeDir().
	HomeDir string
	// Confirm is asked on first contact with a host key not in
	// known_hosts: it gets the host as OpenSSH names it in known_hosts
	// ("[host]:port" for a port other than 22), the key's type
	// ("ssh-ed25519") and its SHA256 fingerprint ("SHA256:..."). True
	// accepts, and the key is appended to KnownHosts; false refuses. Nil
	// refuses unknown hosts.
	Confirm func(host, keyType, fingerprint string) bool
	// Passphrase is asked for an encrypted identity file, up to three
	// times while the answer is wrong. Nil: using such a file fails with
	// ErrPassphraseRequired.
	Passphrase func(file string) ([]byte, error)
	// Timeout bounds the TCP connect and the handshake (not the time a
	// prompt waits for its answer); default DefaultTimeout.
	Timeout time.Duration
}

// Resolved is what Dial will use, after ~/.ssh/config.
type Resolved struct {
	Alias          string   // the host as the user wrote it
	HostName       string   // the host to connect to
	User           string   // default $USER
	Port           int      // default 22
	IdentityFiles  []string // in the order they are offered
	IdentitiesOnly bool
	KnownHosts     string // the known_hosts file read and appended to
	AgentSocket    string // "" for no agent

	agentRequired bool // AgentSocket came from Options: it must answer
}

// Addr is the host:port to dial.
func (r Resolved) Addr() string {
	return net.JoinHostPort(r.HostName, strconv.Itoa(r.Port))
}

// KnownHostsName is the host as known_hosts names it: "host" for port 22,
// "[host]:port" otherwise.
func (r Resolved) KnownHostsName() string {
	return knownHostsName(r.Addr())
}

// Resolve applies the ssh config to t: the user and port written in t win
// over the config's.
func Resolve(t Target, o Options) (Resolved, error) {
	if err := checkHost(t.Host); err != nil {
		return Resolved{}, fmt.Errorf("resolve: %w: %w", ErrInvalidTarget, err)
	}
	home := o.HomeDir
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return Resolved{}, fmt.Errorf("resolve %s: find home directory: %w", t.Host, err)
		}
		home = h
	}
	cfgPath := o.ConfigFile
	if cfgPath == "" {
		cfgPath = filepath.Join(home, ".ssh", "config")
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return Resolved{}, fmt.Errorf("resolve %s: %w", t.Host, err)
	}
	r, err := resolve(t, o, home, cfg)
	switch {
	case err != nil && cfg != nil:
		return Resolved{}, fmt.Errorf("resolve %s with %s: %w", t.Host, cfgPath, err)
	case err != nil:
		return Resolved{}, fmt.Errorf("resolve %s: %w", t.Host, err)
	}
	return r, nil
}

func resolve(t Target, o Options, home string, cfg *ssh_config.Config) (Resolved, error) {
	get := func(key string) (string, error) {
		if cfg == nil {
			return "", nil
		}
		v, err := cfg.Get(t.Host, key)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", key, err)
		}
		return strings.TrimSpace(v), nil
	}
	r := Resolved{Alias: t.Host, HostName: t.Host, User: t.User, Port: t.Port}

	v, err := get("HostName")
	if err != nil {
		return Resolved{}, err
	}
	if v != "" {
		hn, err := expandTokens(v, map[byte]string{'h': t.Host})
		if err != nil {
			return Resolved{}, fmt.Errorf("HostName %q: %w", v, err)
		}
		if err := checkHost(hn); err != nil {
			return Resolved{}, fmt.Errorf("HostName %q: %w", v, err)
		}
		r.HostName = hn
	}

	if r.User == "" {
		if r.User, err = get("User"); err != nil {
			return Resolved{}, err
		}
	}
	local, err := localUser()
	if err != nil {
		return Resolved{}, err
	}
	if r.User == "" {
		r.User = local
	}

	if r.Port == 0 {
		v, err := get("Port")
		if err != nil {
			return Resolved{}, err
		}
		r.Port = 22
		if v != "" {
			if r.Port, err = parsePort(v); err != nil {
				return Resolved{}, fmt.Errorf("port: %w", err)
			}
		}
	}

	switch v, err := get("IdentitiesOnly"); {
	case err != nil:
		return Resolved{}, err
	case strings.EqualFold(v, "yes"):
		r.IdentitiesOnly = true
	case v == "" || strings.EqualFold(v, "no"):
	default:
		return Resolved{}, fmt.Errorf("IdentitiesOnly %q: want yes or no", v)
	}

	tokens := map[byte]string{
		'd': home, 'h': r.HostName, 'n': t.Host, 'p': strconv.Itoa(r.Port),
		'r': r.User, 'u': local,
	}
	path := func(key, v string) (string, error) {
		p, err := expandTokens(v, tokens)
		if err == nil {
			p, err = expandTilde(p, home)
		}
		if err != nil {
			return "", fmt.Errorf("%s %q: %w", key, v, err)
		}
		return p, nil
	}

	if o.IdentityFile != "" {
		p, err := path("identity file", o.IdentityFile)
		if err != nil {
			return Resolved{}, err
		}
		r.IdentityFiles = append(r.IdentityFiles, p)
	}
	if cfg != nil {
		files, err := cfg.GetAll(t.Host, "IdentityFile")
		if err != nil {
			return Resolved{}, fmt.Errorf("read IdentityFile: %w", err)
		}
		for _, f := range files {
			p, err := path("IdentityFile", strings.TrimSpace(f))
			if err != nil {
				return Resolved{}, err
			}
			r.IdentityFiles = append(r.IdentityFiles, p)
		}
	}
	if len(r.IdentityFiles) == 0 {
		for _, name := range [...]string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			p := filepath.Join(home, ".ssh", name)
			if _, err := os.Stat(p); err == nil {
				r.IdentityFiles = append(r.IdentityFiles, p)
			}
		}
	}

	r.KnownHosts = o.KnownHosts
	if r.KnownHosts == "" {
		v, err := get("UserKnownHostsFile")
		if err != nil {
			return Resolved{}, err
		}
		if f := strings.Fields(v); len(f) > 0 {
			if r.KnownHosts, err = path("UserKnownHostsFile", f[0]); err != nil {
				return Resolved{}, err
			}
		} else {
			r.KnownHosts = filepath.Join(home, ".ssh", "known_hosts")
		}
	}

	switch {
	case o.AgentSocket == AgentNone:
	case o.AgentSocket != "":
		if r.AgentSocket, err = path("agent socket", o.AgentSocket); err != nil {
			return Resolved{}, err
		}
		r.agentRequired = true
	default:
		v, err := get("IdentityAgent")
		if err != nil {
			return Resolved{}, err
		}
		switch v {
		case "", "SSH_AUTH_SOCK":
			r.AgentSocket = os.Getenv("SSH_AUTH_SOCK")
		case AgentNone:
		default:
			if r.AgentSocket, err = path("IdentityAgent", v); err != nil {
				return Resolved{}, err
			}
		}
	}
	return r, nil
}

// loadConfig parses an ssh config file; a missing file is no config (nil).
func loadConfig(path string) (*ssh_config.Config, error) {
	f, err := os.Open(path) //nolint:gosec // the user's own ssh config
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open ssh config: %w", err)
	}
	defer func() { _ = f.Close() }()
	cfg, err := ssh_config.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("parse ssh config %s: %w", path, err)
	}
	return cfg, nil
}

// localUser is $USER, or the account's name when it is unset.
func localUser() (string, error) {
	if u := os.Getenv("USER"); u != "" {
		return u, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("find local user: %w", err)
	}
	return u.Username, nil
}

// expandTokens replaces ssh_config(5) tokens ("%h", "%%", ...) from the
// given table; an unknown token is an error.
func expandTokens(s string, tokens map[byte]string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("'%%' at the end")
		}
		i++
		if s[i] == '%' {
			b.WriteByte('%')
			continue
		}
		v, ok := tokens[s[i]]
		if !ok {
			return "", fmt.Errorf("unsupported token %%%c", s[i])
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// expandTilde replaces a leading "~" or "~/" with home.
func expandTilde(p, home string) (string, error) {
	switch {
	case p == "~":
		return home, nil
	case strings.HasPrefix(p, "~/"):
		return filepath.Join(home, p[2:]), nil
	case strings.HasPrefix(p, "~"):
		return "", fmt.Errorf("~user paths are not supported")
	}
	return p, nil
}
