package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/local/device"
)

// exported is the server's answer to `migrate export`.
type exported struct {
	ID        crypto.ID        `json:"id"`
	Name      string           `json:"name"`
	Tenant    string           `json:"tenant"`
	PublicKey crypto.PublicKey `json:"public_key"`
	SecretKey string           `json:"secret_key"`
}

// Migrate moves a hosted account to this machine: the server opens the
// key with the user's hosted passphrase and hands it over; it is sealed
// here with a passphrase for this machine and written to the local
// account; only then is the server told to delete its sealed copy. If
// the last step fails, running Migrate again finishes it.
func Migrate(ctx context.Context, o Options) (device.Account, error) {
	return copyKey(ctx, o, true)
}

// Link makes this machine one more device of a hosted account: the key is
// copied here as Migrate does, and the server keeps its sealed copy, so
// hosted sessions go on working. Both devices receive every message and
// show what the other sent (where policy parley_multi_device allows it).
// Migrate later finishes the move to local mode.
func Link(ctx context.Context, o Options) (device.Account, error) {
	return copyKey(ctx, o, false)
}

// copyKey brings the hosted account's key here; finish deletes the
// server's copy.
func copyKey(ctx context.Context, o Options, finish bool) (device.Account, error) {
	if err := o.fill(); err != nil {
		return device.Account{}, err
	}
	dir, err := accountDir(o)
	if err != nil {
		return device.Account{}, err
	}
	cl, err := connect(ctx, o)
	if err != nil {
		return device.Account{}, err
	}
	defer cl.Close()

	// A move that stopped before its last step, or a linked machine that
	// moves now: the key is here already.
	if d, err := device.Open(dir); err == nil {
		a := d.Account
		_ = d.Close()
		if !finish {
			return device.Account{}, fmt.Errorf("this machine holds the key of %s (%s) for %s already: chat with parley chat %s", a.Name, a.UserID, o.Target, o.Target)
		}
		if err := finishMigration(cl, a.PublicKey); err != nil {
			return device.Account{}, err
		}
		return a, nil
	} else if !errors.Is(err, device.ErrNoAccount) {
		return device.Account{}, err
	}
	if err := device.Prepare(dir); err != nil {
		return device.Account{}, err
	}

	pass, err := o.Prompt.Secret("Passphrase of your hosted account: ")
	if err != nil {
		return device.Account{}, err
	}
	out, err := run1(cl, "migrate export", append(pass, '\n'))
	wipe(pass)
	if err != nil {
		return device.Account{}, err
	}
	defer wipe(out)
	var ex exported
	if err := json.Unmarshal(out, &ex); err != nil {
		return device.Account{}, fmt.Errorf("the server's answer to migrate export: %w", err)
	}
	b, err := hex.DecodeString(ex.SecretKey)
	if err != nil || len(b) != crypto.KeySize {
		return device.Account{}, errors.New("the server's answer to migrate export holds no key")
	}
	sk := crypto.SecretKey(b)
	wipe(b)
	defer sk.Wipe()
	if !sk.Public().Equal(ex.PublicKey) {
		return device.Account{}, errors.New("the key the server handed over does not match your public key: nothing was moved")
	}

	o.Prompt.Say("Your key is here now. Choose the passphrase that protects it on this machine (it may be the same).")
	lpass, err := newPassphrase(o.Prompt)
	if err != nil {
		return device.Account{}, err
	}
	defer wipe(lpass)
	sealed, err := crypto.SealSecretKey(rand.Reader, lpass, &sk, *o.KDF)
	if err != nil {
		return device.Account{}, fmt.Errorf("seal the secret key: %w", err)
	}
	a := device.Account{Server: o.Target, UserID: ex.ID, Name: ex.Name, Tenant: ex.Tenant, PublicKey: ex.PublicKey, Created: time.Now().UTC()}
	if err := device.Write(dir, a, sealed); err != nil {
		return device.Account{}, err
	}
	if !finish {
		return a, nil
	}
	if err := finishMigration(cl, a.PublicKey); err != nil {
		return device.Account{}, fmt.Errorf("%w\nYour key is kept on this machine; run parley chat --migrate %s again to finish", err, o.Target)
	}
	return a, nil
}

func finishMigration(cl *ssh.Client, pub crypto.PublicKey) error {
	_, err := run1(cl, "migrate finish --public-key "+pub.String(), nil)
	return err
}

// run1 runs one exec command with stdin and returns its standard output;
// a refusal is the server's message.
func run1(cl *ssh.Client, cmd string, stdin []byte) ([]byte, error) {
	s, err := cl.NewSession()
	if err != nil {
		return nil, fmt.Errorf("open a session: %w", err)
	}
	defer s.Close()
	var stderr limitedBuffer
	s.Stderr = &stderr
	s.Stdin = bytes.NewReader(stdin)
	out, err := s.Output(cmd)
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, errors.New(trimError(msg))
		}
		return nil, fmt.Errorf("%s: %w", strings.Fields(cmd)[0], err)
	}
	return out, nil
}
