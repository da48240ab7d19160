package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/backup"
	"github.com/parley-chat/parley/server/sshd"
	"github.com/parley-chat/parley/store"
)

// backupExtra are the files of the data directory a backup holds beside
// the database and the attachments: the SSH host key.
var backupExtra = []string{sshd.HostKeyFile, sshd.HostKeyFile + ".pub"} //nolint:gochecknoglobals // a constant list

func backupCmd() *cobra.Command {
	var data, to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE [--data DIR]",
		Short: "Back up a data directory no server runs on (online: ssh HOST backup > FILE)",
		Long: `Write a backup of a stopped server's data directory to FILE: a tar archive of
the database, the attachments it records, the SSH host key and a manifest of
SHA-256 checksums. While a server runs on the directory this refuses: take
an online backup through the server instead, as an instance admin:

  ssh -p PORT HOST backup > FILE

Check an archive with parley restore --from FILE --verify-only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return errors.New("--to FILE is required")
			}
			if _, err := os.Stat(to); err == nil {
				return fmt.Errorf("%s exists: choose a new file", to)
			}
			ro, err := store.OpenReadOnly(data)
			if errors.Is(err, store.ErrLocked) {
				return fmt.Errorf("%s is in use by a running server: take an online backup with `ssh -p PORT HOST backup > %s` as an instance admin", data, to)
			}
			if err != nil {
				return err
			}
			defer func() { _ = ro.Close() }()
			// Written beside the target and renamed at the end: no half archive under its name.
			f, err := os.CreateTemp(filepath.Dir(to), "."+filepath.Base(to)+".*")
			if err != nil {
				return fmt.Errorf("create %s: %w", to, err)
			}
			defer func() { _ = f.Close(); _ = os.Remove(f.Name()) }()
			m, err := backup.Write(cmd.Context(), f, ro, backup.Options{DataDir: data, Extra: backupExtra, Version: buildVersion()})
			if err != nil {
				return err
			}
			if err := f.Sync(); err != nil {
				return fmt.Errorf("write %s: %w", to, err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("write %s: %w", to, err)
			}
			if err := os.Rename(f.Name(), to); err != nil {
				return fmt.Errorf("write %s: %w", to, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "backup: %d files, %d bytes, schema %d → %s\n", len(m.Files), m.Bytes(), m.Schema, to)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "./data", "data directory of a stopped server")
	cmd.Flags().StringVar(&to, "to", "", "the archive to write (must not exist)")
	return cmd
}

func restoreCmd() *cobra.Command {
	var data, from string
	var verifyOnly bool
	cmd := &cobra.Command{
		Use:   "restore --from FILE --data DIR [--verify-only]",
		Short: "Check a backup and restore it into a new data directory",
		Long: `Check every file of a backup archive against its manifest (paths, sizes,
SHA-256) and restore it into DIR, which must not exist or be empty. The
files are written into a directory beside DIR and renamed to DIR only when
every check passed: a corrupt or truncated archive leaves nothing behind.
Start the server on it with parley serve --data DIR. --from - reads stdin;
--verify-only checks the archive and writes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return errors.New("--from FILE is required")
			}
			r := cmd.InOrStdin()
			if from != "-" {
				f, err := os.Open(from) //nolint:gosec // the operator names it
				if err != nil {
					return err
				}
				defer func() { _ = f.Close() }()
				r = f
			}
			if verifyOnly {
				m, err := backup.Verify(cmd.Context(), r)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ok: %d files, %d bytes, schema %d, taken %s by parley %s\n",
					len(m.Files), m.Bytes(), m.Schema, m.Created.Format("2006-01-02T15:04:05Z07:00"), m.ParleyVersion)
				return nil
			}
			if data == "" {
				return errors.New("--data DIR is required")
			}
			m, err := backup.Restore(cmd.Context(), r, data)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %d files, %d bytes, schema %d, taken %s, into %s\n",
				len(m.Files), m.Bytes(), m.Schema, m.Created.Format("2006-01-02T15:04:05Z07:00"), data)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the archive to read (- for stdin)")
	cmd.Flags().StringVar(&data, "data", "", "the data directory to create (must not exist or be empty)")
	cmd.Flags().BoolVar(&verifyOnly, "verify-only", false, "check the archive, write nothing")
	return cmd
}
