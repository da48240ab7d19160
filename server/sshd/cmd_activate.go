package sshd

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

func (e *cmdEnv) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the server's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.done(map[string]string{"version": e.s.cfg.Version}, "parley %s", e.s.cfg.Version)
		},
	}
}

func (e *cmdEnv) activateCmd() *cobra.Command {
	var publicKey, proof string
	var challenge bool
	c := &cobra.Command{
		Use:   "activate CODE [--public-key HEX | --challenge | --proof HEX]",
		Short: "Enrol this SSH key with the activation code from your admin",
		Long: `Enrols this SSH key with the activation code from your admin. Without
--public-key the server makes your key pair and seals the secret key with a
passphrase it asks for (hosted mode: you chat with ssh -t HOST). With
--public-key HEX, the 64 hex characters of an X25519 public key your own
client made, the server stores that public key only and asks for nothing: the
secret key stays on your device (local mode: you chat with parley chat HOST).

A code that adds a device to a local-mode account needs proof that the new
device holds the account's key: parley chat --activate CODE --import FILE HOST
asks for a challenge (--challenge) and answers it (--proof HEX).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case challenge:
				return e.deviceChallenge(args[0])
			case cmd.Flags().Changed("proof"):
				return e.activateProved(args[0], proof)
			case cmd.Flags().Changed("public-key"):
				return e.activateLocal(args[0], publicKey)
			}
			return e.activate(args[0])
		},
	}
	c.Flags().StringVar(&publicKey, "public-key", "", "the X25519 public key your client made (64 hex characters): local mode, no passphrase")
	c.Flags().BoolVar(&challenge, "challenge", false, "print a one-time challenge for adding this key to a local-mode account")
	c.Flags().StringVar(&proof, "proof", "", "the answer to the challenge (hex), made with the account's key")
	c.MarkFlagsMutuallyExclusive("public-key", "challenge", "proof")
	return c
}

// deviceChallenge prints a challenge for an add-device code of a
// local-mode account (always JSON: a client reads it).
func (e *cmdEnv) deviceChallenge(code string) error {
	if err := e.mayActivate(); err != nil {
		return err
	}
	ch, u, err := e.s.deps.Directory.DeviceChallenge(e.ctx, code, e.p.KeyFingerprint)
	if err != nil {
		return err
	}
	return e.printJSON(map[string]string{"challenge": ch.String(), "id": u.ID.String(), "public_key": u.PublicKey.String(),
		"fingerprint": e.p.KeyFingerprint})
}

// activateProved enrols this SSH key as one more device of a local-mode
// account, with the proof that this device holds the account's key.
func (e *cmdEnv) activateProved(code, proof string) error {
	if err := e.mayActivate(); err != nil {
		return err
	}
	b, err := hex.DecodeString(proof)
	if err != nil || len(b) == 0 || len(b) > 1024 {
		return errors.New("--proof takes the hex answer to the challenge")
	}
	dir := e.s.deps.Directory
	u, err := dir.Activate(e.ctx, directory.ActivateSpec{
		Code: code, Fingerprint: e.p.KeyFingerprint, AuthorizedKey: e.p.AuthorizedKey, Proof: b,
	})
	if err != nil {
		return err
	}
	tenant := ""
	if t, err := dir.Tenant(e.ctx, u.TenantID); err == nil {
		tenant = t.Name
	}
	if e.json {
		return e.printJSON(localActivationJSON{ID: u.ID.String(), Name: u.Name, Tenant: tenant, PublicKey: u.PublicKey.String()})
	}
	_, err = fmt.Fprintf(e.out(), "This key is now a device of %s (%s). Chat with: parley chat %s\n", u.Name, u.ID, e.s.chatTarget())
	return err
}

// mayActivate refuses keys that must not enrol: one already enrolled, or an
// admin key.
func (e *cmdEnv) mayActivate() error {
	if e.p.User != nil {
		return fmt.Errorf("this SSH key is already enrolled as %s: just connect with %s", e.p.User.ID, e.s.sshCommand("-t"))
	}
	if len(e.p.Roles) > 0 {
		// Most often the admin key was simply the first one the client
		// offered: enrolling it would tie the chat identity to admin power.
		return fmt.Errorf("this SSH key is an admin key: enrol your own key instead, e.g. %s activate CODE",
			e.s.sshCommand("-t", "-i ~/.ssh/id_ed25519", "-o IdentitiesOnly=yes"))
	}
	return nil
}

func (e *cmdEnv) activate(code string) error {
	if err := e.mayActivate(); err != nil {
		return err
	}
	dir := e.s.deps.Directory
	u, err := dir.CheckActivation(e.ctx, code, e.p.KeyFingerprint)
	if err != nil {
		return err
	}
	var pass []byte
	if u.Status == store.UserActive {
		// No passphrase could confirm a device of a local-mode account:
		// refuse before asking for one.
		var local bool
		if local, err = dir.LocalMode(e.ctx, u.ID); err != nil {
			return err
		}
		if local {
			return directory.ErrLocalAddDevice
		}
		pass, err = e.existingPassphrase(u.Name, u.ID.String())
	} else {
		if err := dir.HostedAllowed(e.ctx, u.ID); errors.Is(err, policy.ErrForbiddenByPolicy) {
			return fmt.Errorf("%w. Enrol on your own device instead: parley chat --activate CODE %s", err, e.s.chatTarget())
		} else if err != nil {
			return err
		}
		pass, err = e.newPassphrase(u.Name, u.ID.String())
	}
	if err != nil {
		return err
	}
	defer wipe(pass)
	added := u.Status == store.UserActive
	u, err = dir.Activate(e.ctx, directory.ActivateSpec{
		Code: code, Fingerprint: e.p.KeyFingerprint, AuthorizedKey: e.p.AuthorizedKey, Passphrase: pass,
	})
	if err != nil {
		return err
	}
	fp := crypto.FingerprintOf(u.PublicKey)
	if e.json {
		return e.printJSON(map[string]any{"id": u.ID.String(), "name": u.Name, "fingerprint": fp.String(), "device_added": added})
	}
	what := "Activated. Welcome, " + u.Name + "!"
	if added {
		what = "This key is now a device of " + u.Name + "."
	}
	_, err = fmt.Fprintf(e.out(), `
%s
  Parley ID:    %s
  Fingerprint:  %s

Start chatting with:
    %s
`, what, u.ID, fp, e.s.sshCommand("-t"))
	return err
}

// localActivationJSON is activate --public-key --json; its field names are
// stable.
type localActivationJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Tenant    string `json:"tenant"`
	PublicKey string `json:"public_key"`
}

// activateLocal enrols this SSH key in local mode: the public key was made
// on the user's machine, and the server asks for no passphrase.
func (e *cmdEnv) activateLocal(code, publicKey string) error {
	if err := e.mayActivate(); err != nil {
		return err
	}
	pk, err := directory.ParseClientKey(publicKey)
	if err != nil {
		return err
	}
	dir := e.s.deps.Directory
	u, err := dir.Activate(e.ctx, directory.ActivateSpec{
		Code: code, Fingerprint: e.p.KeyFingerprint, AuthorizedKey: e.p.AuthorizedKey, PublicKey: &pk,
	})
	if err != nil {
		return err
	}
	tenant := ""
	if t, err := dir.Tenant(e.ctx, u.TenantID); err == nil {
		tenant = t.Name
	}
	if e.json {
		return e.printJSON(localActivationJSON{ID: u.ID.String(), Name: u.Name, Tenant: tenant, PublicKey: u.PublicKey.String()})
	}
	_, err = fmt.Fprintf(e.out(), `
Activated. Welcome, %s!
  Parley ID:    %s
  Fingerprint:  %s

Your secret key stays on your device (local mode). Chat with:
    parley chat %s
`, u.Name, u.ID, crypto.FingerprintOf(u.PublicKey), e.s.chatTarget())
	return err
}

// newPassphrase asks for a new passphrase: twice on a terminal, or one line
// from standard input without one.
func (e *cmdEnv) newPassphrase(name, id string) ([]byte, error) {
	if _, _, tty := e.sess.Pty(); !tty {
		pass, err := readLine(e.in)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase from standard input: %w", err)
		}
		if err := crypto.CheckPassphrase(pass); err != nil {
			return nil, err
		}
		return pass, nil
	}
	w := e.sess.Stderr()
	fmt.Fprintf(w, "Activating Parley ID %s for %s.\n", id, name)
	fmt.Fprintf(w, "Choose a passphrase (at least %d characters). It protects your key; nobody can reset it.\n",
		crypto.MinPassphraseLen)
	for try := 0; try < 3; try++ {
		pass, err := readSecret(e.in, w, "New passphrase: ")
		if err != nil {
			return nil, err
		}
		if err := crypto.CheckPassphrase(pass); err != nil {
			fmt.Fprintf(w, "%s.\n", capitalizeFirst(err.Error()))
			continue
		}
		again, err := readSecret(e.in, w, "Repeat passphrase: ")
		if err != nil {
			return nil, err
		}
		if string(again) != string(pass) {
			wipe(again)
			fmt.Fprintln(w, "The passphrases do not match.")
			continue
		}
		wipe(again)
		return pass, nil
	}
	return nil, errors.New("no passphrase chosen: nothing was changed, run activate again")
}

// existingPassphrase asks an active user adding a device for the
// passphrase they already have.
func (e *cmdEnv) existingPassphrase(name, id string) ([]byte, error) {
	if _, _, tty := e.sess.Pty(); !tty {
		pass, err := readLine(e.in)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase from standard input: %w", err)
		}
		return pass, nil
	}
	w := e.sess.Stderr()
	fmt.Fprintf(w, "Adding this key as a device of %s (%s).\n", name, id)
	return readSecret(e.in, w, "Your passphrase: ")
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
