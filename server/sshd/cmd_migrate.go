package sshd

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/directory"
)

// migrateCmd is the server's half of `parley chat --migrate`: a hosted user
// moves their key to their own device. The client runs `migrate export`,
// keeps the key, then `migrate finish`; the two steps make sure the key is
// never lost in between.
func (e *cmdEnv) migrateCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Move your key from the server to your own device (run by parley chat --migrate)",
		Long: `Moves a hosted account to local mode. parley chat --migrate HOST runs these
for you: migrate export opens your key with your passphrase (read from the
first line of standard input, throttled like unlock) and prints it, as JSON,
for your client to keep; migrate finish --public-key HEX then deletes the
server's sealed copy. After that your key exists only on your device, and
hosted sessions, unlock, scp and files stop for you. parley chat --link HOST
runs only migrate export: your client keeps a copy of the key as one more
device, and hosted sessions go on working. Each export is in the audit log.`,
	}
	export := &cobra.Command{
		Use:   "export",
		Short: "Print your opened key for your local client (first step of the move)",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return e.migrateExport() },
	}
	var public string
	finish := &cobra.Command{
		Use:   "finish --public-key HEX",
		Short: "Delete the server's sealed copy of your key (last step of the move)",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return e.migrateFinish(public) },
	}
	finish.Flags().StringVar(&public, "public-key", "", "your public key (64 hex characters), as your client holds it")
	_ = finish.MarkFlagRequired("public-key")
	c.AddCommand(export, finish)
	return c
}

// migrateExportJSON is what migrate export prints; its field names are
// stable.
type migrateExportJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Tenant    string `json:"tenant"`
	PublicKey string `json:"public_key"`
	SecretKey string `json:"secret_key"`
}

func (e *cmdEnv) migrateExport() error {
	if !e.p.CanChat() {
		return errNotChatUser
	}
	dir := e.s.deps.Directory
	if err := dir.CanConnect(e.ctx, *e.p.User); err != nil {
		return err
	}
	if local, err := dir.LocalMode(e.ctx, e.p.User.ID); err != nil {
		return err
	} else if local {
		return errors.New("this account is in local mode already: your key is on your device")
	}
	if _, _, tty := e.sess.Pty(); tty {
		return errors.New("migrate export prints your secret key: run it through parley chat --migrate, not on a terminal")
	}
	pass, err := readLine(e.in)
	if err != nil {
		return fmt.Errorf("reading the passphrase: %w", err)
	}
	defer wipe(pass)
	sk, err := dir.ExportSecretKey(e.ctx, e.p.User.ID, pass, e.p.KeyFingerprint)
	if err != nil {
		return err
	}
	defer sk.Wipe()
	tenant := ""
	if t, err := dir.Tenant(e.ctx, e.p.User.TenantID); err == nil {
		tenant = t.Name
	}
	secret := hex.AppendEncode(nil, sk[:])
	defer wipe(secret)
	return e.printJSON(migrateExportJSON{ID: e.p.User.ID.String(), Name: e.p.User.Name, Tenant: tenant,
		PublicKey: e.p.User.PublicKey.String(), SecretKey: string(secret)})
}

func (e *cmdEnv) migrateFinish(public string) error {
	if !e.p.CanChat() {
		return errNotChatUser
	}
	pk, err := directory.ParseClientKey(public)
	if err != nil {
		return err
	}
	dir := e.s.deps.Directory
	if err := dir.FinishMigration(e.ctx, e.p.User.ID, pk, e.p.KeyFingerprint); err != nil {
		return err
	}
	if ring := e.s.deps.Hosted.Keyring; ring != nil {
		ring.Lock(e.p.User.ID) // the unlock window ends; open hosted sessions end with Recheck
	}
	_, err = fmt.Fprintf(e.out(), "Moved to local mode: the server no longer holds your key. Chat with: parley chat %s\n", e.s.chatTarget())
	return err
}
