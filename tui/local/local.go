// Package local runs Parley in local mode: the chat TUI of hosted mode
// (tui/chat over tui/core) on the user's own terminal, with the secret key
// and the history on the user's machine (tui/local/device), talking to the
// server over the parley SSH subsystem (tui/local/remote), connected as ssh(1)
// would (tui/local/dial).
//
// It is glue: enrolment (Activate) and a chat session (Chat). What the
// user is asked (host keys, passphrases) comes through Prompter, so the
// terminal handling stays with the command.
package local

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/local/device"
	"github.com/parley-chat/parley/tui/local/dial"
	"github.com/parley-chat/parley/tui/local/remote"
)

// Prompter asks the user.
type Prompter interface {
	// Secret asks for something typed without echo (a passphrase).
	Secret(prompt string) ([]byte, error)
	// Confirm asks a yes/no question; only an explicit yes is true.
	Confirm(question string) (bool, error)
	// Say tells the user something, on its own line.
	Say(text string)
}

// Options say where to connect and where the account lives.
type Options struct {
	// Target is [user@]host[:port] or a ~/.ssh/config alias.
	Target string
	// Dial are the SSH options (-i, config, known_hosts, agent); their
	// Confirm and Passphrase are filled from Prompter when nil.
	Dial dial.Options
	// DataDir defaults to device.DataDir().
	DataDir string
	// KDF are the Argon2id parameters for the local seal (default
	// crypto.DefaultKDFParams(), the server's).
	KDF *crypto.KDFParams
	// Version names this client to the server.
	Version string
	Prompt  Prompter
	Logger  *slog.Logger
}

func (o *Options) fill() error {
	if o.Prompt == nil {
		return errors.New("localchat: no Prompter")
	}
	if o.DataDir == "" {
		d, err := device.DataDir()
		if err != nil {
			return err
		}
		o.DataDir = d
	}
	if o.KDF == nil {
		p := crypto.DefaultKDFParams()
		o.KDF = &p
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Dial.Confirm == nil {
		p := o.Prompt
		o.Dial.Confirm = func(host, keyType, fp string) bool {
			ok, err := p.Confirm(fmt.Sprintf("The authenticity of host '%s' can't be established.\r\n%s key fingerprint is %s.\r\nAre you sure you want to continue connecting (yes/no)? ", host, dial.KeyName(keyType), fp))
			return err == nil && ok
		}
	}
	if o.Dial.Passphrase == nil {
		p := o.Prompt
		o.Dial.Passphrase = func(file string) ([]byte, error) {
			return p.Secret(fmt.Sprintf("Enter passphrase for key '%s': ", file))
		}
	}
	return nil
}

// AccountDir is the directory of the account for the target: one per
// server (host, and port when it is not 22), whatever alias named it.
func AccountDir(o Options) (string, error) {
	if err := o.fill(); err != nil {
		return "", err
	}
	return accountDir(o)
}

func accountDir(o Options) (string, error) {
	t, err := dial.ParseTarget(o.Target)
	if err != nil {
		return "", err
	}
	r, err := dial.Resolve(t, o.Dial)
	if err != nil {
		return "", err
	}
	server := r.HostName
	if r.Port != 22 {
		server += ":" + strconv.Itoa(r.Port)
	}
	return device.ServerDir(o.DataDir, server), nil
}

func connect(ctx context.Context, o Options) (*ssh.Client, error) {
	t, err := dial.ParseTarget(o.Target)
	if err != nil {
		return nil, err
	}
	return dial.Dial(ctx, t, o.Dial)
}

// codeForm is what an activation code may hold: letters, digits, dashes.
var codeForm = regexp.MustCompile(`^[A-Za-z0-9-]{4,64}$`)

// activation is the server's answer to `activate CODE --public-key HEX --json`.
type activation struct {
	ID        crypto.ID        `json:"id"`
	Name      string           `json:"name"`
	Tenant    string           `json:"tenant"`
	PublicKey crypto.PublicKey `json:"public_key"`
}

// Activate enrols this machine with an activation code: it makes the key
// pair here, asks for a new passphrase and seals the secret key with it,
// registers only the public key with the server, and writes the local
// account. The secret key never leaves the machine.
func Activate(ctx context.Context, o Options, code string) (device.Account, error) {
	if err := o.fill(); err != nil {
		return device.Account{}, err
	}
	if !codeForm.MatchString(code) {
		return device.Account{}, errors.New("an activation code is letters, digits and dashes, as your admin gave it")
	}
	dir, err := accountDir(o)
	if err != nil {
		return device.Account{}, err
	}
	if err := device.Prepare(dir); err != nil {
		return device.Account{}, err
	}
	cl, err := connect(ctx, o)
	if err != nil {
		return device.Account{}, err
	}
	defer cl.Close()

	pass, err := newPassphrase(o.Prompt)
	if err != nil {
		return device.Account{}, err
	}
	defer wipe(pass)
	pub, sk, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		return device.Account{}, err
	}
	defer sk.Wipe()
	// Seal first, so nothing can fail between the server's enrolment and
	// the local account.
	sealed, err := crypto.SealSecretKey(nil, pass, sk, *o.KDF)
	if err != nil {
		return device.Account{}, fmt.Errorf("seal the secret key: %w", err)
	}
	s, err := cl.NewSession()
	if err != nil {
		return device.Account{}, fmt.Errorf("open a session: %w", err)
	}
	defer s.Close()
	var stderr limitedBuffer
	s.Stderr = &stderr
	out, err := s.Output("activate " + code + " --public-key " + pub.String() + " --json")
	if err != nil {
		if msg := stderr.String(); msg != "" {
			return device.Account{}, fmt.Errorf("the server refused the activation: %s", trimError(msg))
		}
		return device.Account{}, fmt.Errorf("activate: %w", err)
	}
	var a activation
	if err := json.Unmarshal(out, &a); err != nil {
		return device.Account{}, fmt.Errorf("the server's answer to activate: %w", err)
	}
	if !a.PublicKey.Equal(pub) {
		return device.Account{}, errors.New("the server registered a different public key than the one made here: not enrolled")
	}
	acct := device.Account{Server: o.Target, UserID: a.ID, Name: a.Name, Tenant: a.Tenant, PublicKey: pub, Created: time.Now().UTC()}
	if err := device.Write(dir, acct, sealed); err != nil {
		return device.Account{}, err
	}
	return acct, nil
}

func newPassphrase(p Prompter) ([]byte, error) {
	for range 3 {
		pass, err := p.Secret("New passphrase for your key on this machine: ")
		if err != nil {
			return nil, err
		}
		if err := crypto.CheckPassphrase(pass); err != nil {
			wipe(pass)
			p.Say(err.Error())
			continue
		}
		again, err := p.Secret("The same passphrase again: ")
		if err != nil {
			wipe(pass)
			return nil, err
		}
		same := string(again) == string(pass)
		wipe(again)
		if same {
			return pass, nil
		}
		wipe(pass)
		p.Say("The passphrases differ.")
	}
	return nil, errors.New("no passphrase set: nothing was enrolled")
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// openProtocol opens the parley subsystem on cl and runs the handshake.
func openProtocol(ctx context.Context, cl *ssh.Client, version string) (*remote.Conn, error) {
	ch, reqs, err := cl.OpenChannel("session", nil)
	if err != nil {
		return nil, fmt.Errorf("open a channel: %w", err)
	}
	go ssh.DiscardRequests(reqs)
	ok, err := ch.SendRequest("subsystem", true, ssh.Marshal(struct{ Name string }{"parley"}))
	if err != nil || !ok {
		_ = ch.Close()
		return nil, fmt.Errorf("the server does not offer the parley subsystem (%v): is it a Parley server?", err)
	}
	return remote.Open(ctx, ch, "parley-chat/"+version)
}

// limitedBuffer keeps the first 4 KiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

var _ io.Writer = (*limitedBuffer)(nil)

// trimError is the server's message without its "error: " and newline.
func trimError(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "error: ")
	return s
}
