package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/backup"
)

// backupTimeout bounds one backup command: it holds the session and its
// spool file beside the database that long at most.
const backupTimeout = 2 * time.Hour

// Backup is what the backup command needs: a writer of archives that
// checks the caller itself.
type Backup interface {
	Write(ctx context.Context, w io.Writer) (backup.Manifest, error)
}

func (e *cmdEnv) backupCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent backup of the whole instance to stdout (instance admins only)",
		Long: `Write a consistent backup of the whole instance, taken while the server
runs, to stdout as a tar archive: the database as of one moment, the files
it records, the SSH host key and a manifest of SHA-256 checksums. Redirect
it to a file:

  ssh -p PORT HOST backup > parley-backup.tar

and check or restore it with parley restore. The archive holds the sealed
keys and the host key: protect it like the data directory.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if e.s.deps.Backup == nil {
				return errors.New("this server takes no backups")
			}
			if _, _, pty := e.sess.Pty(); pty {
				return errors.New("backup writes a tar archive: run it without -t and redirect it to a file (ssh HOST backup > FILE)")
			}
			m, err := e.s.deps.Backup.Write(e.ctx, e.out())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.sess.Stderr(), "backup: %d files, %d bytes, schema %d, taken %s\n",
				len(m.Files), m.Bytes(), m.Schema, m.Created.Format(time.RFC3339))
			return err
		},
	}
}
