package sshd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/qr"
)

// maxKeyInput bounds what admin add reads from stdin.
const maxKeyInput = 16 << 10

// adminJSON is an admin key with its role in a tenant (admin add, list, remove).
type adminJSON struct {
	Fingerprint   string    `json:"fingerprint"`
	AuthorizedKey string    `json:"authorized_key"`
	Tenant        string    `json:"tenant"`
	Role          string    `json:"role"`
	Groups        []string  `json:"groups"` // managed groups' names (group admins)
	GroupIDs      []string  `json:"group_ids"`
	Label         string    `json:"label,omitempty"`
	AddedAt       time.Time `json:"added_at"`
	AddedBy       string    `json:"added_by,omitempty"`
	TwoFactor     bool      `json:"two_factor"` // the key has TOTP on
}

func toAdminJSON(a admin.AdminInfo, tenant string) adminJSON {
	groups, ids := a.GroupNames, a.Groups
	if groups == nil {
		groups = []string{}
	}
	if ids == nil {
		ids = []string{}
	}
	return adminJSON{Fingerprint: a.Fingerprint, AuthorizedKey: a.AuthorizedKey, Tenant: tenant, Role: string(a.Role),
		Groups: groups, GroupIDs: ids, Label: a.Label, AddedAt: a.AddedAt, AddedBy: a.AddedBy, TwoFactor: a.TwoFactor}
}

func (e *cmdEnv) adminCmd() *cobra.Command {
	var tenant string
	var spec admin.AdminSpec
	var role string
	add := &cobra.Command{
		Use:   `add --tenant NAME --role ROLE [--group GROUP]... [--label "Full Name"] < key.pub`,
		Short: "Give an SSH key (its OpenSSH public key on stdin) a role in a tenant, or change its role",
		Long: `Give an SSH key a role in a tenant. The key's OpenSSH public key, one line
such as the contents of ~/.ssh/id_ed25519.pub, is read from standard input.
A key holds one role per tenant: adding it again changes its role.

Roles:
  owner        the tenant's legal representative: everything, including admins
  admin        users, devices, groups, API keys and admins below owner
  group-admin  the members of the managed groups named with --group
  auditor      reads everything and changes nothing (may request and approve exports)

Only an owner (or an instance admin) may make an owner.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			pk, comment, err := e.readPublicKey()
			if err != nil {
				return err
			}
			spec.Role = store.Role(role)
			// The comment goes along: the service labels a new key with it
			// when --label is not given.
			spec.AuthorizedKey = strings.TrimSpace(authorizedKey(pk) + " " + comment)
			spec.Fingerprint = fingerprint(pk)
			a, err := e.s.deps.Admin.AddAdmin(e.ctx, tenant, spec)
			if err != nil {
				return err
			}
			name := e.tenantName(tenant)
			info := e.adminInfo(tenant, a)
			what := string(a.Role)
			if len(info.GroupNames) > 0 {
				what += " of the groups " + strings.Join(info.GroupNames, ", ")
			}
			return e.done(toAdminJSON(info, name), "%s%s is now %s in %s.", a.Fingerprint, adminLabel(a.Label), what, name)
		},
	}
	add.Flags().StringVar(&role, "role", "", "owner, admin, group-admin or auditor")
	add.Flags().StringArrayVar(&spec.Groups, "group", nil, "a managed group, by name or ID, for a group admin (repeatable)")
	add.Flags().StringVar(&spec.Label, "label", "", "who the key belongs to (default: the key's comment)")
	_ = add.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list [--tenant NAME]",
		Short: "List a tenant's admins with their roles and whether they use two-factor authentication",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			as, err := e.s.deps.Admin.AdminDetails(e.ctx, tenant)
			if err != nil {
				return err
			}
			name := e.tenantName(tenant)
			if e.json {
				out := make([]adminJSON, 0, len(as))
				for _, a := range as {
					out = append(out, toAdminJSON(a, name))
				}
				return e.printJSON(out)
			}
			rows := [][]string{{"FINGERPRINT", "ROLE", "GROUPS", "LABEL", "ADDED", "2FA"}}
			for _, a := range as {
				rows = append(rows, []string{a.Fingerprint, string(a.Role), dash(strings.Join(a.GroupNames, ",")), dash(a.Label),
					a.AddedAt.Format(time.DateOnly), map[bool]string{true: "on", false: "off"}[a.TwoFactor]})
			}
			return e.table(rows)
		},
	}

	remove := &cobra.Command{
		Use:   "remove --tenant NAME FINGERPRINT",
		Short: "Take an admin key's role in a tenant away (the last owner stays)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			info := e.adminInfo(tenant, store.Admin{Fingerprint: args[0]})
			a, err := e.s.deps.Admin.RemoveAdmin(e.ctx, tenant, args[0])
			if err != nil {
				return err
			}
			info.Admin = a
			if info.GroupNames == nil {
				info.GroupNames = a.Groups
			}
			name := e.tenantName(tenant)
			return e.done(toAdminJSON(info, name), "Removed %s%s: no longer %s in %s.", a.Fingerprint, adminLabel(a.Label), a.Role, name)
		},
	}

	logout := &cobra.Command{
		Use:   "logout",
		Short: "End your key's two-factor window: its next sessions need a code again",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			was, err := e.s.deps.Admin.SecondFactorLogout(e.ctx)
			if err != nil {
				return err
			}
			msg := "No two-factor window was open for this key."
			if was {
				msg = "Two-factor window ended: the next admin command needs --otp again."
			}
			return e.done(map[string]bool{"window_was_open": was}, "%s", msg)
		},
	}
	cmd := group("admin", "Manage a tenant's admins, and your key's two-factor authentication",
		add, list, remove, e.totpCmd(), e.whoamiCmd(), logout)
	for _, c := range []*cobra.Command{add, list, remove} {
		c.Flags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	}
	return cmd
}

// adminInfo looks an admin up in the list, for its groups' names and its
// two-factor state; it falls back to what it was given.
func (e *cmdEnv) adminInfo(tenant string, a store.Admin) admin.AdminInfo {
	info := admin.AdminInfo{Admin: a, GroupNames: a.Groups}
	as, err := e.s.deps.Admin.AdminDetails(e.ctx, tenant)
	if err != nil {
		return info
	}
	for _, x := range as {
		if x.Fingerprint == a.Fingerprint {
			return x
		}
	}
	return info
}

// adminLabel shows a label after a fingerprint.
func adminLabel(label string) string {
	if label == "" {
		return ""
	}
	return " (" + label + ")"
}

// readPublicKey reads the one OpenSSH public key line of admin add: from
// a script, everything up to the end of stdin; at a terminal, one line.
func (e *cmdEnv) readPublicKey() (gossh.PublicKey, string, error) {
	var in []byte
	if _, _, tty := e.sess.Pty(); tty {
		fmt.Fprint(e.out(), "Paste the admin's OpenSSH public key (one line) and press Enter:\n")
		line, err := readTerminalLine(e, maxKeyInput)
		if err != nil {
			return nil, "", err
		}
		in = line
	} else {
		b, err := io.ReadAll(io.LimitReader(e.in, maxKeyInput+1))
		if err != nil {
			return nil, "", fmt.Errorf("read the public key from stdin: %w", err)
		}
		if len(b) > maxKeyInput {
			return nil, "", fmt.Errorf("standard input is longer than %d KiB: give one OpenSSH public key", maxKeyInput>>10)
		}
		in = b
	}
	return parsePublicKey(in)
}

// readTerminalLine reads a line typed or pasted on a client terminal in raw mode.
func readTerminalLine(e *cmdEnv, limit int) ([]byte, error) {
	var buf []byte
	for {
		b, err := e.in.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("read the public key: %w", err)
		}
		switch b {
		case '\r', '\n':
			fmt.Fprint(e.out(), "\r\n")
			return buf, nil
		case 0x03, 0x04:
			fmt.Fprint(e.out(), "\r\n")
			return nil, errAborted
		}
		if len(buf) >= limit {
			return nil, fmt.Errorf("the line is longer than %d KiB: give one OpenSSH public key", limit>>10)
		}
		buf = append(buf, b)
	}
}

// parsePublicKey finds the one public key in what admin add read: blank
// lines and # comments aside, exactly one authorized_keys line.
func parsePublicKey(in []byte) (gossh.PublicKey, string, error) {
	const hint = "give one line such as the contents of ~/.ssh/id_ed25519.pub on standard input"
	if bytes.Contains(in, []byte("PRIVATE KEY")) {
		return nil, "", errors.New("that is a private key: give the public key (the .pub file), and keep the private key to yourself")
	}
	var lines [][]byte
	for l := range bytes.Lines(in) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' {
			lines = append(lines, l)
		}
	}
	switch {
	case len(lines) == 0:
		return nil, "", errors.New("no public key on standard input: " + hint)
	case len(lines) > 1:
		return nil, "", fmt.Errorf("standard input has %d lines: %s", len(lines), hint)
	}
	pk, comment, _, rest, err := gossh.ParseAuthorizedKey(lines[0])
	if err != nil || len(bytes.TrimSpace(rest)) > 0 {
		return nil, "", errors.New("standard input is not an OpenSSH public key: " + hint)
	}
	if _, ok := pk.(*gossh.Certificate); ok {
		return nil, "", errors.New("that is an SSH certificate: give the plain public key")
	}
	return pk, comment, nil
}

func (e *cmdEnv) totpCmd() *cobra.Command {
	enable := &cobra.Command{
		Use:   "enable",
		Short: "Start two-factor authentication for your key: shows a QR code for your authenticator app",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			en, err := e.s.deps.Admin.EnrolTOTP(e.ctx)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(map[string]string{"secret": en.Secret, "url": en.URL})
			}
			code, err := qr.Render(en.URL)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.out(), `Scan this QR code with your authenticator app (Aegis, FreeOTP, Google Authenticator, 1Password, ...):

%s
Or type the secret in by hand (time-based, 6 digits, every 30 seconds):
    %s

otpauth URL: %s

Two-factor authentication is on only once you confirm it with the current code:
    %s admin totp confirm CODE
`, code, groupSecret(en.Secret), en.URL, e.s.sshCommand(""))
			return err
		},
	}

	confirm := &cobra.Command{
		Use:   "confirm CODE",
		Short: "Turn two-factor authentication on with the current code; prints recovery codes once",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			rec, err := e.s.deps.Admin.ConfirmTOTP(e.ctx, args[0])
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(map[string]any{"two_factor": true, "recovery_codes": rec})
			}
			w := e.out()
			fmt.Fprint(w, "Two-factor authentication is on for this key.\n\n")
			fmt.Fprint(w, "Recovery codes: each works once in place of a code, should you lose your authenticator.\n")
			fmt.Fprint(w, e.red("They are shown only now: store them somewhere safe, such as a password manager.")+"\n\n")
			for i := 0; i < len(rec); i += 2 {
				line := "    " + rec[i]
				if i+1 < len(rec) {
					line += "    " + rec[i+1]
				}
				fmt.Fprintln(w, line)
			}
			_, err = fmt.Fprintf(w, "\nFrom now on, admin commands need the current code once per session, e.g.\n    %s user list --otp CODE\n",
				e.s.sshCommand(""))
			return err
		},
	}

	disable := &cobra.Command{
		Use:   "disable CODE",
		Short: "Turn two-factor authentication off for your key (with a current code or a recovery code)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := e.s.deps.Admin.DisableTOTP(e.ctx, args[0]); err != nil {
				return err
			}
			return e.done(map[string]bool{"two_factor": false}, "Two-factor authentication is off for this key.")
		},
	}
	return group("totp", "Two-factor authentication (TOTP) for your own admin key", enable, confirm, disable)
}

// groupSecret writes a base32 secret in groups of four for typing.
func groupSecret(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), " ")
}

type whoamiRoleJSON struct {
	Tenant string `json:"tenant"` // "" for the instance
	Role   string `json:"role"`
	Label  string `json:"label,omitempty"`
}

type whoamiJSON struct {
	Fingerprint      string           `json:"fingerprint"`
	Roles            []whoamiRoleJSON `json:"roles"`
	TwoFactor        string           `json:"two_factor"` // on, pending or off
	RecoveryCodes    int              `json:"recovery_codes_left"`
	SecondFactorDone bool             `json:"second_factor_proved"`
}

func (e *cmdEnv) whoamiCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show your key, its roles and its two-factor state",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			st, err := e.s.deps.Admin.TOTPStatus(e.ctx)
			if err != nil {
				return err
			}
			out := whoamiJSON{Fingerprint: e.p.KeyFingerprint, Roles: []whoamiRoleJSON{}, TwoFactor: "off",
				RecoveryCodes: st.RecoveryLeft, SecondFactorDone: st.Proved}
			switch {
			case st.Enabled:
				out.TwoFactor = "on"
			case st.Pending:
				out.TwoFactor = "pending"
			}
			names := map[string]string{}
			if ts, err := e.s.deps.Admin.MyTenants(e.ctx); err == nil {
				for _, t := range ts {
					names[t.Tenant.ID] = t.Tenant.Name
				}
			}
			for _, r := range e.p.Roles {
				name := names[r.TenantID]
				if r.TenantID != "" && name == "" {
					name = r.TenantID
				}
				out.Roles = append(out.Roles, whoamiRoleJSON{Tenant: name, Role: string(r.Role), Label: r.Label})
			}
			if e.json {
				return e.printJSON(out)
			}
			w := e.out()
			fmt.Fprintf(w, "Key:         %s\n", out.Fingerprint)
			for _, r := range out.Roles {
				where := "the instance"
				if r.Tenant != "" {
					where = r.Tenant
				}
				fmt.Fprintf(w, "Role:        %s in %s%s\n", r.Role, where, adminLabel(r.Label))
			}
			note := ""
			if st.Enabled {
				note = fmt.Sprintf(" (%d recovery codes left)", st.RecoveryLeft)
			}
			_, err = fmt.Fprintf(w, "Two-factor:  %s%s\n", out.TwoFactor, note)
			return err
		},
	}
}
