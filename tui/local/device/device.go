// Package device keeps a local-mode account on the user's own machine: who
// the user is on which server, their secret key sealed with their
// passphrase, and their device store (history, contacts, preferences) in
// a bbolt file of the same format the server uses for hosted users.
//
// One directory per server, under the user's data directory:
//
//	$XDG_DATA_HOME/parley/<host>/     (default ~/.local/share/parley/<host>/), 0700
//	  account.json   who: server, user ID, name, tenant, public key       0600
//	  key.sealed     the X25519 secret key, sealed (Argon2id + secretbox) 0600
//	  parley.db      the device store                                     0600
//
// The secret key exists in clear only in memory, after the passphrase
// opened it; the device store's records are sealed with a key derived
// from it, as in hosted mode. The server never sees either.
package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// Errors of the local account.
var (
	// ErrNoAccount: nothing is enrolled for this server on this machine.
	ErrNoAccount = errors.New("no local account for this server: enrol with `parley chat --activate CODE HOST`")
	// ErrExists: an account for this server is here already.
	ErrExists = errors.New("a local account for this server exists already")
	// ErrInUse: another client has the account open.
	ErrInUse = errors.New("another parley chat has this account open")
)

const (
	accountFile = "account.json"
	keyFile     = "key.sealed"
)

// Account is who the user is on one server.
type Account struct {
	Server    string           `json:"server"` // the host as the user names it
	UserID    crypto.ID        `json:"user_id"`
	Name      string           `json:"name"`
	Tenant    string           `json:"tenant"`
	PublicKey crypto.PublicKey `json:"public_key"`
	Created   time.Time        `json:"created"`
}

// DataDir is the user's Parley data directory: $XDG_DATA_HOME/parley, or
// ~/.local/share/parley.
func DataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "parley"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the data directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "parley"), nil
}

// ServerDir is the directory of the account for server (a host, or
// host:port) under data.
func ServerDir(data, server string) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, server)
	if name == "" || name == "." || name == ".." {
		name = "_" + name
	}
	return filepath.Join(data, name)
}

// Prepare makes sure an account can be written to dir: it creates the
// directory (0700) and refuses if an account is there. Enrolment calls it
// before it asks the server, so that writing the account afterwards does
// not fail on a path.
func Prepare(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, accountFile)); err == nil {
		return fmt.Errorf("%s: %w", dir, ErrExists)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	probe := filepath.Join(dir, ".probe")
	if err := writeFile(probe, nil); err != nil {
		return err
	}
	return os.Remove(probe)
}

// Write writes a new account to dir: the sealed secret key
// (crypto.SealSecretKey), then the account. It refuses if an account is
// there.
func Write(dir string, a Account, sealedKey []byte) error {
	if err := Prepare(dir); err != nil {
		return err
	}
	js, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	// The key first: an account file without its key would be a dead end.
	if err := writeFile(filepath.Join(dir, keyFile), sealedKey); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, accountFile), append(js, '\n'))
}

// writeFile writes b to path durably: a temporary file, fsync, rename.
func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Device is an open local account: its identity, its keys and its store.
type Device struct {
	Account Account
	dir     string
	db      *store.Bolt
}

// Open opens the account in dir; ErrNoAccount when there is none,
// ErrInUse while another client holds it.
func Open(dir string) (*Device, error) {
	js, err := os.ReadFile(filepath.Join(dir, accountFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoAccount
	} else if err != nil {
		return nil, fmt.Errorf("read the local account: %w", err)
	}
	var a Account
	if err := json.Unmarshal(js, &a); err != nil {
		return nil, fmt.Errorf("read the local account %s: %w", filepath.Join(dir, accountFile), err)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, ErrInUse
		}
		return nil, fmt.Errorf("open the local store: %w", err)
	}
	return &Device{Account: a, dir: dir, db: db}, nil
}

// Close closes the store.
func (d *Device) Close() error { return d.db.Close() }

// Dir is the account's directory.
func (d *Device) Dir() string { return d.dir }

// Identity is the account as the client core knows it.
func (d *Device) Identity() core.Identity {
	return core.Identity{ID: d.Account.UserID, Name: d.Account.Name, PublicKey: d.Account.PublicKey}
}

// OpenSecretKey opens the sealed secret key with the passphrase; a wrong
// one is core.ErrWrongPassphrase.
func (d *Device) OpenSecretKey(_ context.Context, pass []byte) (*crypto.SecretKey, error) {
	sealed, err := os.ReadFile(filepath.Join(d.dir, keyFile))
	if err != nil {
		return nil, fmt.Errorf("read the sealed key: %w", err)
	}
	sk, err := crypto.OpenSecretKey(pass, sealed, d.Account.PublicKey)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return nil, core.ErrWrongPassphrase
	}
	return sk, err
}

// Store is the device store.
func (d *Device) Store() core.Store { return deviceStore{db: d.db, user: d.Account.UserID} }

type deviceStore struct {
	db   store.DB
	user crypto.ID
}

func (s deviceStore) View(ctx context.Context, fn func(core.Tx) error) error {
	return s.db.View(ctx, func(tx store.Tx) error { return fn(spaceTx{tx, s.user}) })
}

func (s deviceStore) Update(ctx context.Context, fn func(core.Tx) error) error {
	return s.db.Update(ctx, func(tx store.Tx) error { return fn(spaceTx{tx, s.user}) })
}

type spaceTx struct {
	tx   store.Tx
	user crypto.ID
}

func (t spaceTx) Space(name string) core.Space { return t.tx.Space(t.user, name) }
