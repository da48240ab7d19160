package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/local/device"
)

// A local-mode account's key exists only on the user's devices, so another
// machine gets it from one of them: ExportKey writes it to a file, sealed
// with a passphrase chosen for the transfer (Argon2id + secretbox, as on
// the device); the user carries the file over (scp, a USB stick) and
// ImportDevice, run with an add-device code from the admin, opens it,
// proves to the server that this machine holds the account's key
// (a challenge answered with crypto.ProveKey) and enrols this machine's
// SSH key. The server never sees the key or the file.

// keyFileFormat names the transfer file's format.
const keyFileFormat = "parley-device-key/1"

// keyFile is the transfer file.
type keyFile struct {
	Format    string           `json:"format"`
	Server    string           `json:"server"`
	UserID    crypto.ID        `json:"user_id"`
	Name      string           `json:"name"`
	Tenant    string           `json:"tenant"`
	PublicKey crypto.PublicKey `json:"public_key"`
	// SealedKey is crypto.SealSecretKey's output, in hex.
	SealedKey string    `json:"sealed_key"`
	Created   time.Time `json:"created"`
}

// ExportKey writes this machine's key of the account for o.Target to path
// (which must not exist), sealed with a new transfer passphrase.
func ExportKey(o Options, path string) (device.Account, error) {
	if err := o.fill(); err != nil {
		return device.Account{}, err
	}
	dir, err := accountDir(o)
	if err != nil {
		return device.Account{}, err
	}
	d, err := device.Open(dir)
	if err != nil {
		return device.Account{}, err
	}
	defer d.Close()
	pass, err := o.Prompt.Secret("Passphrase of your key on this machine: ")
	if err != nil {
		return device.Account{}, err
	}
	sk, err := d.OpenSecretKey(context.Background(), pass)
	wipe(pass)
	if err != nil {
		return device.Account{}, err
	}
	defer sk.Wipe()
	o.Prompt.Say("Choose a passphrase for the file; you type it once more on the other machine.")
	tpass, err := newPassphrase(o.Prompt)
	if err != nil {
		return device.Account{}, err
	}
	defer wipe(tpass)
	sealed, err := crypto.SealSecretKey(rand.Reader, tpass, sk, *o.KDF)
	if err != nil {
		return device.Account{}, fmt.Errorf("seal the key: %w", err)
	}
	a := d.Account
	js, err := json.MarshalIndent(keyFile{Format: keyFileFormat, Server: a.Server, UserID: a.UserID, Name: a.Name,
		Tenant: a.Tenant, PublicKey: a.PublicKey, SealedKey: hex.EncodeToString(sealed), Created: time.Now().UTC()}, "", "  ")
	if err != nil {
		return device.Account{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return device.Account{}, fmt.Errorf("write the key file: %w", err)
	}
	if _, err := f.Write(append(js, '\n')); err != nil {
		_ = f.Close()
		return device.Account{}, fmt.Errorf("write the key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return device.Account{}, fmt.Errorf("write the key file: %w", err)
	}
	return a, nil
}

// maxKeyFile bounds what ImportDevice reads.
const maxKeyFile = 64 << 10

// ImportDevice enrols this machine as one more device of a local-mode
// account: path is ExportKey's file, code the add-device code.
func ImportDevice(ctx context.Context, o Options, code, path string) (device.Account, error) {
	if err := o.fill(); err != nil {
		return device.Account{}, err
	}
	if !codeForm.MatchString(code) {
		return device.Account{}, errors.New("an activation code is letters, digits and dashes, as your admin gave it")
	}
	st, err := os.Stat(path)
	if err != nil {
		return device.Account{}, fmt.Errorf("read the key file: %w", err)
	}
	if st.Size() > maxKeyFile {
		return device.Account{}, fmt.Errorf("%s is %d bytes: not a key file", path, st.Size())
	}
	js, err := os.ReadFile(path)
	if err != nil {
		return device.Account{}, fmt.Errorf("read the key file: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(js, &kf); err != nil || kf.Format != keyFileFormat {
		return device.Account{}, fmt.Errorf("%s is not a key file of parley chat --export-key", path)
	}
	sealed, err := hex.DecodeString(kf.SealedKey)
	if err != nil {
		return device.Account{}, fmt.Errorf("%s: the sealed key is damaged", path)
	}
	dir, err := accountDir(o)
	if err != nil {
		return device.Account{}, err
	}
	if err := device.Prepare(dir); err != nil {
		return device.Account{}, err
	}
	pass, err := o.Prompt.Secret("Passphrase of the key file: ")
	if err != nil {
		return device.Account{}, err
	}
	sk, err := crypto.OpenSecretKey(pass, sealed, kf.PublicKey)
	wipe(pass)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return device.Account{}, errors.New("wrong passphrase for the key file: nothing was enrolled")
	} else if err != nil {
		return device.Account{}, fmt.Errorf("open the key file: %w", err)
	}
	defer sk.Wipe()

	cl, err := connect(ctx, o)
	if err != nil {
		return device.Account{}, err
	}
	defer cl.Close()
	out, err := run1(cl, "activate "+code+" --challenge", nil)
	if err != nil {
		return device.Account{}, fmt.Errorf("the server refused the code: %w", err)
	}
	var ch struct {
		Challenge   crypto.PublicKey `json:"challenge"`
		ID          crypto.ID        `json:"id"`
		PublicKey   crypto.PublicKey `json:"public_key"`
		Fingerprint string           `json:"fingerprint"`
	}
	if err := json.Unmarshal(out, &ch); err != nil {
		return device.Account{}, fmt.Errorf("the server's challenge: %w", err)
	}
	if ch.ID != kf.UserID || !ch.PublicKey.Equal(kf.PublicKey) {
		return device.Account{}, fmt.Errorf("this code adds a device to %s, but the key file holds the key of %s (%s)", ch.ID, kf.Name, kf.UserID)
	}
	// Seal here first, so nothing can fail between the server's enrolment
	// and the local account.
	lpass, err := newPassphrase(o.Prompt)
	if err != nil {
		return device.Account{}, err
	}
	defer wipe(lpass)
	local, err := crypto.SealSecretKey(rand.Reader, lpass, sk, *o.KDF)
	if err != nil {
		return device.Account{}, fmt.Errorf("seal the secret key: %w", err)
	}
	proof, err := crypto.ProveKey(rand.Reader, sk, ch.Challenge, crypto.DeviceStatement(ch.Challenge, kf.UserID, ch.Fingerprint))
	if err != nil {
		return device.Account{}, err
	}
	out, err = run1(cl, "activate "+code+" --proof "+hex.EncodeToString(proof)+" --json", nil)
	if err != nil {
		return device.Account{}, fmt.Errorf("the server refused the device: %w", err)
	}
	var a activation
	if err := json.Unmarshal(out, &a); err != nil {
		return device.Account{}, fmt.Errorf("the server's answer to activate: %w", err)
	}
	if !a.PublicKey.Equal(kf.PublicKey) {
		return device.Account{}, errors.New("the server answered with another public key than the key file's")
	}
	acct := device.Account{Server: o.Target, UserID: a.ID, Name: a.Name, Tenant: a.Tenant, PublicKey: kf.PublicKey, Created: time.Now().UTC()}
	if err := device.Write(dir, acct, local); err != nil {
		return device.Account{}, err
	}
	return acct, nil
}
