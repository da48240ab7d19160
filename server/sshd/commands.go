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
	"github.com/parley-chat/parley/server/directory"
)

// execTimeout bounds a command that waits for input (activate).
const execTimeout = 2 * time.Minute

// exec runs one exec request through a command tree built for this
// session and returns the exit status.
func (s *Server) exec(sess ssh.Session, p *auth.Principal) int {
	ctx, cancel := context.WithTimeout(auth.With(sess.Context(), p), execTimeout)
	defer cancel()
	// A session that waits for input past the timeout is closed, which ends the read.
	stop := context.AfterFunc(ctx, func() { _ = sess.Close() })
	defer stop()

	root := s.commandTree(ctx, sess, p)
	root.SetArgs(joinFreeText(sess.Command(), "--name"))
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
	admin bool
}

func (e *cmdEnv) out() io.Writer { return e.sess }

// printJSON writes v as one JSON document.
func (e *cmdEnv) printJSON(v any) error {
	enc := json.NewEncoder(e.out())
	enc.SetIndent("", "  ")
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
	gate := func(cmd *cobra.Command, _ []string) error {
		if !e.admin {
			return admin.ErrForbidden
		}
		return nil
	}
	for _, c := range []*cobra.Command{e.tenantCmd(), e.userCmd()} {
		c.PersistentPreRunE = gate
		c.Hidden = !e.admin
		root.AddCommand(c)
	}
	return root
}

func (e *cmdEnv) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the server's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if e.json {
				return e.printJSON(map[string]string{"version": e.s.cfg.Version})
			}
			_, err := fmt.Fprintf(e.out(), "parley %s\n", e.s.cfg.Version)
			return err
		},
	}
}

// --- tenants ---

type tenantJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Seats     int       `json:"seats"`
	Domains   []string  `json:"domains"`
	CreatedAt time.Time `json:"created_at"`
	Suspended bool      `json:"suspended"`
}

func (e *cmdEnv) tenantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Manage tenants (instance admins)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var seats int
	var domains []string
	create := &cobra.Command{
		Use:   "create NAME --seats N [--domain example.com]...",
		Short: "Create a tenant",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			t, err := e.s.deps.Admin.CreateTenant(e.ctx, directory.TenantSpec{Name: args[0], Seats: seats, Domains: domains})
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(toTenantJSON(t.ID, t.Name, t.Seats, t.Domains, t.CreatedAt, t.Suspended))
			}
			_, err = fmt.Fprintf(e.out(), "Created tenant %s with %d seats.\n", t.Name, t.Seats)
			return err
		},
	}
	create.Flags().IntVar(&seats, "seats", 0, "licensed seats")
	create.Flags().StringArrayVar(&domains, "domain", nil, "an e-mail domain the tenant owns (repeatable)")
	_ = create.MarkFlagRequired("seats")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tenants",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ts, err := e.s.deps.Admin.Tenants(e.ctx)
			if err != nil {
				return err
			}
			if e.json {
				out := make([]tenantJSON, 0, len(ts))
				for _, t := range ts {
					out = append(out, toTenantJSON(t.ID, t.Name, t.Seats, t.Domains, t.CreatedAt, t.Suspended))
				}
				return e.printJSON(out)
			}
			tw := tabwriter.NewWriter(e.out(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSEATS\tDOMAINS\tCREATED")
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", t.Name, t.Seats, dash(strings.Join(t.Domains, ", ")), t.CreatedAt.Format("2006-01-02"))
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

func toTenantJSON(id, name string, seats int, domains []string, created time.Time, suspended bool) tenantJSON {
	if domains == nil {
		domains = []string{}
	}
	return tenantJSON{ID: id, Name: name, Seats: seats, Domains: domains, CreatedAt: created, Suspended: suspended}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// --- users ---

type userJSON struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	Status    string    `json:"status"`
	Devices   int       `json:"devices"`
	CreatedAt time.Time `json:"created_at"`
}

type newUserJSON struct {
	userJSON
	ActivationCode string    `json:"activation_code"`
	ExpiresAt      time.Time `json:"activation_expires_at"`
}

func (e *cmdEnv) userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users of a tenant", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var tenant, name, email string
	create := &cobra.Command{
		Use:   `create --tenant NAME --name "Full Name" [--email a@example.com]`,
		Short: "Create a user and print its Parley ID and one-time activation code",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			nu, err := e.s.deps.Admin.CreateUser(e.ctx, tenant, name, email)
			if err != nil {
				return err
			}
			u := nu.User
			if e.json {
				return e.printJSON(newUserJSON{
					userJSON:       userJSON{ID: u.ID.String(), Tenant: nu.Tenant.Name, Name: u.Name, Email: u.Email, Status: string(u.Status), CreatedAt: u.CreatedAt},
					ActivationCode: nu.Code.Code, ExpiresAt: nu.Code.ExpiresAt,
				})
			}
			_, err = fmt.Fprintf(e.out(), `Created %s in tenant %s.
  Parley ID:        %s
  Activation code:  %s  (single use, expires %s)

The user enrols their own SSH key with:
    %s activate %s
`, u.Name, nu.Tenant.Name, u.ID, nu.Code.Code, nu.Code.ExpiresAt.Format("2006-01-02 15:04 MST"),
				e.s.sshCommand("-t"), nu.Code.Code)
			return err
		},
	}
	create.Flags().StringVar(&tenant, "tenant", "", "tenant name")
	create.Flags().StringVar(&name, "name", "", "the user's full name")
	create.Flags().StringVar(&email, "email", "", "e-mail address (in one of the tenant's domains)")
	_ = create.MarkFlagRequired("tenant")
	_ = create.MarkFlagRequired("name")

	var listTenant string
	list := &cobra.Command{
		Use:   "list --tenant NAME",
		Short: "List a tenant's users",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			us, err := e.s.deps.Admin.Users(e.ctx, listTenant)
			if err != nil {
				return err
			}
			if e.json {
				out := make([]userJSON, 0, len(us))
				for _, u := range us {
					out = append(out, userJSON{ID: u.ID.String(), Tenant: listTenant, Name: u.Name, Email: u.Email,
						Status: string(u.Status), Devices: len(u.Devices), CreatedAt: u.CreatedAt})
				}
				return e.printJSON(out)
			}
			tw := tabwriter.NewWriter(e.out(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tE-MAIL\tSTATUS\tDEVICES")
			for _, u := range us {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", u.ID, u.Name, dash(u.Email), u.Status, len(u.Devices))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&listTenant, "tenant", "", "tenant name")
	_ = list.MarkFlagRequired("tenant")
	cmd.AddCommand(create, list)
	return cmd
}

// --- activation ---

func (e *cmdEnv) activateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "activate CODE",
		Short: "Enrol this SSH key with the activation code from your admin",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.activate(args[0])
		},
	}
}

func (e *cmdEnv) activate(code string) error {
	if e.p.User != nil {
		return fmt.Errorf("this SSH key is already enrolled as %s: just connect with %s", e.p.User.ID, e.s.sshCommand("-t"))
	}
	if e.p.Admin != nil {
		// Most often the admin key was simply the first one the client
		// offered: enrolling it would tie the chat identity to admin power.
		return fmt.Errorf("this SSH key is an admin key: enrol your own key instead, e.g. %s activate CODE",
			e.s.sshCommand("-t", "-i ~/.ssh/id_ed25519", "-o IdentitiesOnly=yes"))
	}
	dir := e.s.deps.Directory
	u, err := dir.CheckActivation(e.ctx, code, e.p.KeyFingerprint)
	if err != nil {
		return err
	}
	pass, err := e.newPassphrase(u.Name, u.ID.String())
	if err != nil {
		return err
	}
	defer wipe(pass)
	u, err = dir.Activate(e.ctx, directory.ActivateSpec{
		Code: code, Fingerprint: e.p.KeyFingerprint, AuthorizedKey: e.p.AuthorizedKey, Passphrase: pass,
	})
	if err != nil {
		return err
	}
	fp := crypto.FingerprintOf(u.PublicKey)
	if e.json {
		return e.printJSON(map[string]string{"id": u.ID.String(), "name": u.Name, "fingerprint": fp.String()})
	}
	_, err = fmt.Fprintf(e.out(), `
Activated. Welcome, %s!
  Parley ID:    %s
  Fingerprint:  %s

Start chatting with:
    %s
`, u.Name, u.ID, fp, e.s.sshCommand("-t"))
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
