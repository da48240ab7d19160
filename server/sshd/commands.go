package sshd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"charm.land/ssh"
	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/auth"
)

// execTimeout bounds a command that waits for input (activate).
const execTimeout = 2 * time.Minute

// exec runs one exec request through a command tree built for this
// session and returns the exit status.
func (s *Server) exec(sess ssh.Session, p *auth.Principal) int {
	timeout := execTimeout
	if c := sess.Command(); len(c) > 0 && c[0] == "backup" {
		timeout = backupTimeout // streams the whole instance
	}
	ctx, cancel := context.WithTimeout(auth.With(sess.Context(), p), timeout)
	defer cancel()
	// A session that waits for input past the timeout is closed, which ends the read.
	stop := context.AfterFunc(ctx, func() { _ = sess.Close() })
	defer stop()

	root := s.commandTree(ctx, sess, p)
	root.SetArgs(joinFreeText(sess.Command(), "--name", "--label", "--first", "--last", "--nickname", "--category", "--display-name"))
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return int(ee)
	}
	fmt.Fprintf(sess.Stderr(), "error: %s\n", oneLine(err.Error()))
	return 1
}

// exitError ends a command with a status and no further message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// joinFreeText rejoins the words after a free-text flag. OpenSSH sends a
// command as one string, so `ssh host user create --name "Ada Lovelace"`
// arrives as `--name Ada Lovelace` once the local shell has removed the
// quotes: every word up to the next flag belongs to the value.
func joinFreeText(args []string, flags ...string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		name, inline, hasInline := strings.Cut(a, "=")
		if !slices.Contains(flags, name) {
			continue
		}
		var words []string
		if hasInline {
			words = append(words, inline)
			out = out[:len(out)-1]
		}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			words = append(words, args[i])
		}
		if hasInline {
			out = append(out, name+"="+strings.Join(words, " "))
		} else if len(words) > 0 {
			out = append(out, strings.Join(words, " "))
		}
	}
	return out
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// cmdEnv is what every command of one session shares.
type cmdEnv struct {
	s     *Server
	sess  ssh.Session
	p     *auth.Principal
	ctx   context.Context
	in    *bufio.Reader
	json  bool
	otp   string
	admin bool
}

func (e *cmdEnv) out() io.Writer { return e.sess }

// printJSON writes v as one JSON document.
func (e *cmdEnv) printJSON(v any) error {
	enc := json.NewEncoder(e.out())
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep otpauth:// links and names readable
	return enc.Encode(v)
}

// commandTree builds the commands this principal may run. Admin commands
// are hidden from others and gated once at their parent; the services check
// permissions again on every call.
func (s *Server) commandTree(ctx context.Context, sess ssh.Session, p *auth.Principal) *cobra.Command {
	e := &cmdEnv{s: s, sess: sess, p: p, ctx: ctx, in: bufio.NewReader(sess), admin: s.deps.Admin.IsAdmin(ctx)}
	root := &cobra.Command{
		Use:   "parley",
		Short: "Parley: end-to-end encrypted messaging in the terminal",
		Long: "Parley: end-to-end encrypted messaging in the terminal.\n\nRun a command with:  " +
			s.sshCommand("") + " <command> [flags]\nChat with:           " + s.sshCommand("-t"),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetIn(sess)
	root.SetOut(sess)
	root.SetErr(sess.Stderr())
	root.PersistentFlags().BoolVar(&e.json, "json", false, "print JSON for scripts")

	root.AddCommand(e.activateCmd(), e.versionCmd())
	// A user's own commands: the unlock window for scp and files.
	root.AddCommand(e.unlockCmd(), e.lockCmd(), e.filesCmd(), e.migrateCmd())
	// A user's own data and the company directory.
	root.AddCommand(e.userWhoamiCmd(), e.directoryCmd())
	// The admin commands: hidden from keys without a role, gated once here;
	// every service call checks permissions again.
	gate := func(*cobra.Command, []string) error {
		if !e.admin {
			return admin.ErrForbidden
		}
		if e.otp != "" {
			return e.s.deps.Admin.ProveSecondFactor(e.ctx, e.otp)
		}
		return nil
	}
	for _, c := range e.adminCommands() {
		c.PersistentPreRunE = gate
		c.Hidden = !e.admin
		c.PersistentFlags().StringVar(&e.otp, "otp", "", "the current two-factor code, when this key uses two-factor authentication")
		root.AddCommand(c)
	}
	return root
}

// adminCommands are the administrative nouns.
func (e *cmdEnv) adminCommands() []*cobra.Command {
	return []*cobra.Command{e.tenantCmd(), e.licenseCmd(), e.userCmd(), e.deviceCmd(), e.adminCmd(), e.apikeyCmd(), e.auditCmd(), e.exportCmd(), e.groupCmd(), e.statsCmd(), e.policyCmd(), e.quietCmd(), e.backupCmd()}
}

// group makes a parent command that only holds subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	c.AddCommand(subs...)
	return c
}

// table writes aligned columns; the first row is the header.
func (e *cmdEnv) table(rows [][]string) error {
	tw := tabwriter.NewWriter(e.out(), 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// done prints a one-line confirmation, or v as JSON.
func (e *cmdEnv) done(v any, format string, args ...any) error {
	if e.json {
		return e.printJSON(v)
	}
	_, err := fmt.Fprintf(e.out(), format+"\n", args...)
	return err
}

func parseID(s string) (crypto.ID, error) {
	id, err := crypto.ParseID(s)
	if err != nil {
		return crypto.ID{}, fmt.Errorf("%q is not a Parley ID (8 characters A-Z, 0-9)", s)
	}
	return id, nil
}

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: use YYYY-MM-DD", s)
	}
	return t.UTC(), nil
}
