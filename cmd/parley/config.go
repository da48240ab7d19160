package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	gossh "golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/cmd/parley/internal/flagfile"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/relay"
)

// configFlag names the config file; it cannot be set in the file itself.
const configFlag = "config"

const templateHeader = `Parley server settings (parley serve --config FILE).
Every key is a flag of parley serve without its dashes; this file sets
each one to its default. The environment (PARLEY_SSH_LISTEN, ...) wins
over this file, and the command line over both. Durations are text
("30s", "720h"). Send SIGHUP to the server to apply changes to
log-level, bootstrap-admin-key, rate and retention; the others need a
restart (the log names them).`

// serveTemplate is a config file with every serve setting at its default.
func serveTemplate() []byte {
	var c serveConfig
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	bindServeFlags(fs, &c)
	return flagfile.Template(fs, templateHeader)
}

// reloader reads serve's settings: the command line as given at start,
// then the environment, then the config file (when there is one). A
// start and every SIGHUP read them afresh.
type reloader struct {
	path          string            // the config file; empty: none
	cmdline       map[string]string // flags set on the command line, by name
	wroteTemplate bool              // the file was missing and was written at start
}

// commandLine returns the flags set on the command line and their values.
func commandLine(fs *pflag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.Visit(func(fl *pflag.Flag) {
		if fl.Name != configFlag {
			m[fl.Name] = fl.Value.String()
		}
	})
	return m
}

// ensureFile writes the template to the config file if there is none,
// reporting whether it did.
func (r *reloader) ensureFile() (bool, error) {
	if r.path == "" {
		return false, nil
	}
	if _, err := os.Stat(r.path); !errors.Is(err, os.ErrNotExist) {
		return false, nil // there is one (or Load says why it cannot be read)
	}
	if err := writeNew(r.path, serveTemplate()); err != nil {
		return false, fmt.Errorf("write a config file template: %w", err)
	}
	return true, nil
}

// writeNew writes data to a file that must not exist yet.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // the operator names the file
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// load reads the settings afresh.
func (r *reloader) load() (serveConfig, error) {
	var c serveConfig
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	bindServeFlags(fs, &c)
	for name, v := range r.cmdline {
		if err := fs.Set(name, v); err != nil {
			return c, fmt.Errorf("--%s: %w", name, err)
		}
	}
	if err := bindEnv(fs); err != nil {
		return c, err
	}
	if r.path != "" {
		if err := flagfile.Load(fs, r.path, configFlag); err != nil {
			return c, err
		}
	}
	return c, nil
}

// settings returns every setting of c as its flag's text, by flag name.
func settings(c serveConfig) map[string]string {
	var bound serveConfig
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	bindServeFlags(fs, &bound)
	bound = c // the flags now read c's values
	m := map[string]string{}
	fs.VisitAll(func(fl *pflag.Flag) { m[fl.Name] = fl.Value.String() })
	return m
}

// live is what a reload can change in the running server.
type live struct {
	log    *slog.Logger
	level  *slog.LevelVar
	dir    *directory.Service
	rel    *relay.Service
	files  *blobs.Store
	admins map[string]bool // bootstrap admin keys already made admins
}

// reload reads the settings again and applies to the running server those
// that can change safely, logging each change and each one that needs a
// restart; it returns the settings now in force. A bad file or value
// changes nothing.
func (r *reloader) reload(ctx context.Context, running serveConfig, l live) serveConfig {
	next, err := r.load()
	if err == nil {
		err = validate(&next)
	}
	var keys []gossh.PublicKey
	if err == nil && next.BootstrapAdmin != "" {
		keys, err = readAuthorizedKeys(next.BootstrapAdmin)
	}
	if err != nil {
		l.log.Error("config not reloaded: keeping the running settings", "err", err)
		return running
	}
	// The admin keys file is read again even when its name did not change.
	if err := ensureAdmins(ctx, l.dir, keys, l.admins, l.log); err != nil {
		l.log.Error("bootstrap admin keys not reloaded", "err", err)
		next.BootstrapAdmin = running.BootstrapAdmin
	}
	old, now := settings(running), settings(next)
	names := make([]string, 0, len(now))
	for k := range now {
		names = append(names, k)
	}
	slices.Sort(names)
	applied := running
	changed := 0
	for _, k := range names {
		if old[k] == now[k] {
			continue
		}
		changed++
		switch k {
		case "log-level":
			lv, _ := parseLevel(next.LogLevel)
			l.level.Set(lv)
			applied.LogLevel = next.LogLevel
		case "bootstrap-admin-key":
			applied.BootstrapAdmin = next.BootstrapAdmin
		case "rate":
			l.rel.SetRate(relayRate(next.Rate), relayBurst(next.Rate))
			applied.Rate = next.Rate
		case "retention":
			l.rel.SetRetention(next.Retention)
			l.files.SetRetention(next.Retention)
			applied.Retention = next.Retention
		default:
			l.log.Warn("config change needs a restart", "key", k, "running", old[k], "new", now[k])
			continue
		}
		l.log.Info("config reloaded", "key", k, "old", old[k], "new", now[k])
	}
	l.log.Info("config read again", "changes", changed)
	return applied
}

func configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the server's config file",
		Args:  cobra.NoArgs,
	}
	var to string
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Write a config file with every setting of parley serve at its default",
		Long: `Write a TOML config file for parley serve --config: every setting, at its
default, under its description. With no --to it goes to standard output. An
existing file is never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				_, err := cmd.OutOrStdout().Write(serveTemplate())
				return err
			}
			if err := writeNew(to, serveTemplate()); err != nil {
				return fmt.Errorf("config init: %w", err)
			}
			_, err := io.WriteString(cmd.ErrOrStderr(), "wrote "+to+"\n")
			return err
		},
	}
	initCmd.Flags().StringVar(&to, "to", "", "file to write (default: standard output)")
	cmd.AddCommand(initCmd)
	return cmd
}
