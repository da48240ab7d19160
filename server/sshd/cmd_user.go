package sshd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/apijson"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// profileFlags are the profile fields of user create and user edit.
type profileFlags struct {
	name, first, last, nickname, category, email string
	tags                                         []string
}

func (f *profileFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.name, "name", "", "display name (default: first and last name)")
	c.Flags().StringVar(&f.first, "first", "", "first name")
	c.Flags().StringVar(&f.last, "last", "", "last name")
	c.Flags().StringVar(&f.nickname, "nickname", "", "nickname")
	c.Flags().StringVar(&f.category, "category", "", "category, e.g. a department")
	c.Flags().StringArrayVar(&f.tags, "tag", nil, "a tag, e.g. sales (repeatable)")
	c.Flags().StringVar(&f.email, "email", "", "e-mail address, in one of the tenant's domains")
}

func (e *cmdEnv) userCmd() *cobra.Command {
	var tenant string
	var pf profileFlags
	create := &cobra.Command{
		Use:   `create --tenant NAME --name "Full Name" [--first F --last L] [--email a@example.com] [--tag T]...`,
		Short: "Create a user and print its Parley ID and one-time activation code",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			nu, err := e.s.deps.Admin.CreateUser(e.ctx, tenant, directory.UserSpec{Name: pf.name, FirstName: pf.first,
				LastName: pf.last, Nickname: pf.nickname, Category: pf.category, Tags: pf.tags, Email: pf.email})
			if err != nil {
				return err
			}
			u := nu.User
			if e.json {
				return e.printJSON(apijson.NewUser{User: apijson.ToUser(u, nu.Tenant.Name, 0),
					ActivationCode: nu.Code.Code, ExpiresAt: nu.Code.ExpiresAt})
			}
			return e.printCode(fmt.Sprintf("Created %s in tenant %s.", u.Name, nu.Tenant.Name), u.ID.String(), nu.Code,
				e.enrolHint(u.ID, nu.Code.Code))
		},
	}
	pf.register(create)

	var filter directory.UserFilter
	var status, after string
	list := &cobra.Command{
		Use:   "list [--tenant NAME] [--tag TAG] [--name PATTERN] [--status STATUS] [--after ID]",
		Short: "List a tenant's users by name, 100 at a time (PATTERN may use * and ?)",
		Long: `List a tenant's users by name, a page of at most 100: --after ID (the last
ID of a page) shows the next one. The whole list in one piece leaves only
through an approved export (export request users), under the four-eyes rule.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			filter.Status = store.UserStatus(status)
			var page admin.UserPage
			if after != "" {
				id, err := parseID(after)
				if err != nil {
					return fmt.Errorf("--after: %w", err)
				}
				page.After = id
			}
			us, next, err := e.s.deps.Admin.UsersPage(e.ctx, tenant, filter, page)
			if err != nil {
				return err
			}
			if e.json {
				name := e.tenantName(tenant)
				out := make([]apijson.User, 0, len(us))
				for _, u := range us {
					out = append(out, apijson.ToUser(u.User, name, len(u.Devices)))
				}
				return e.printJSON(out)
			}
			rows := [][]string{{"ID", "NAME", "E-MAIL", "STATUS", "DEVICES", "TAGS"}}
			for _, u := range us {
				rows = append(rows, []string{u.ID.String(), u.Name, dash(u.Email), string(u.Status), fmt.Sprint(len(u.Devices)), dash(strings.Join(u.Tags, ","))})
			}
			if err := e.table(rows); err != nil {
				return err
			}
			if !next.IsZero() {
				fmt.Fprintf(e.out(), "More users: add --after %s for the next page.\n", next)
			}
			return nil
		},
	}
	list.Flags().StringVar(&filter.Tag, "tag", "", "only users with this tag")
	list.Flags().StringVar(&filter.Name, "name", "", "only names matching, e.g. '*mül*'")
	list.Flags().StringVar(&status, "status", "", "only users in this state: pending, active, detached, revoked")
	list.Flags().StringVar(&after, "after", "", "the next page: users after this ID (the last of the page before)")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a user with its devices",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			d, err := e.s.deps.Admin.User(e.ctx, tenant, id)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(apijson.ToUserDetail(d, e.tenantName(tenant)))
			}
			return e.printUser(d)
		},
	}

	var epf profileFlags
	edit := &cobra.Command{
		Use:   "edit ID [--first F] [--last L] [--name N] [--nickname N] [--category C] [--tag T]... [--email E]",
		Short: "Change a user's name, nickname, category, tags or e-mail",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			var c directory.ProfileChange
			set := func(flag string, v *string, dst **string) {
				if cmd.Flags().Changed(flag) {
					*dst = v
				}
			}
			set("name", &epf.name, &c.Name)
			set("first", &epf.first, &c.FirstName)
			set("last", &epf.last, &c.LastName)
			set("nickname", &epf.nickname, &c.Nickname)
			set("category", &epf.category, &c.Category)
			set("email", &epf.email, &c.Email)
			if cmd.Flags().Changed("tag") {
				c.Tags = &epf.tags
			}
			if c == (directory.ProfileChange{}) {
				return fmt.Errorf("nothing to change: give at least one of the flags")
			}
			u, err := e.s.deps.Admin.EditUser(e.ctx, tenant, id, c)
			if err != nil {
				return err
			}
			return e.done(e.userJSON(tenant, u), "Updated %s (%s).", u.Name, u.ID)
		},
	}
	epf.register(edit)

	var keepID, keepApp bool
	del := &cobra.Command{
		Use:   "delete ID --keep-id=BOOL --keep-app=BOOL",
		Short: "Remove a user from the tenant, answering: may the user keep the ID? keep using the app?",
		Long: `Remove a user from the tenant. Both questions must be answered:

  --keep-id=false   revoke the Parley ID: irreversible; it never works again
                    and contacts see it as revoked.
  --keep-id=true    keep the ID: it leaves the tenant (and its license) but
                    stays valid.
  --keep-app=false  remove every device: no session can open any more.
  --keep-app=true   leave the devices.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			u, err := e.s.deps.Admin.DeleteUser(e.ctx, tenant, id, keepID, keepApp)
			if err != nil {
				return err
			}
			return e.done(e.userJSON(tenant, u), "Removed %s (%s): ID %s, devices %s.", u.Name, u.ID,
				map[bool]string{true: "kept (detached)", false: "revoked"}[keepID], map[bool]string{true: "kept", false: "removed"}[keepApp])
		},
	}
	del.Flags().BoolVar(&keepID, "keep-id", false, "may the user keep the Parley ID?")
	del.Flags().BoolVar(&keepApp, "keep-app", false, "may the user keep using the app (devices)?")
	_ = del.MarkFlagRequired("keep-id")
	_ = del.MarkFlagRequired("keep-app")

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a user's Parley ID (irreversible)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			u, err := e.s.deps.Admin.RevokeUser(e.ctx, tenant, id)
			if err != nil {
				return err
			}
			return e.done(e.userJSON(tenant, u), "Revoked %s (%s). This cannot be undone.", u.Name, u.ID)
		},
	}

	code := &cobra.Command{
		Use:   "code ID",
		Short: "Issue a new activation code (a pending user activates; an active user adds a device)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			u, c, err := e.s.deps.Admin.ReissueCode(e.ctx, tenant, id)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(apijson.NewUser{User: e.userJSON(tenant, u), ActivationCode: c.Code, ExpiresAt: c.ExpiresAt})
			}
			what := "New activation code for " + u.Name + "."
			enrol := e.enrolHint(u.ID, c.Code)
			if u.Status == store.UserActive {
				what = "Code to add a device for " + u.Name + " (confirmed with the user's passphrase)."
				if local, err := e.s.deps.Directory.LocalMode(e.ctx, u.ID); err == nil && local {
					what = "Code to add a device for " + u.Name + " (local mode: the new machine proves it holds the user's key)."
					enrol = "parley chat --activate " + c.Code + " --import KEYFILE " + e.s.chatTarget() +
						"\n  (KEYFILE: made by parley chat --export-key KEYFILE " + e.s.chatTarget() + " on one of the user's devices)"
				}
			}
			return e.printCode(what, u.ID.String(), c, enrol)
		},
	}

	cmd := group("user", "Manage a tenant's users", create, list, show, edit, del, revoke, code, e.userImportCmd(&tenant), e.userExportCmd(&tenant))
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	return cmd
}

// userJSON is a changed user as --json prints it, with its tenant's name
// and its devices counted after the change.
func (e *cmdEnv) userJSON(tenant string, u store.User) apijson.User {
	devices := 0
	if d, err := e.s.deps.Admin.User(e.ctx, tenant, u.ID); err == nil {
		devices = len(d.Devices)
	}
	return apijson.ToUser(u, e.tenantName(tenant), devices)
}

// enrolHint is the command a new user runs with code: hosted activation,
// or the local client's where policy forbids hosted mode for them.
func (e *cmdEnv) enrolHint(id crypto.ID, code string) string {
	if err := e.s.deps.Directory.HostedAllowed(e.ctx, id); errors.Is(err, policy.ErrForbiddenByPolicy) {
		return "parley chat --activate " + code + " " + e.s.chatTarget() + "   (hosted mode is forbidden for this user)"
	}
	return e.s.sshCommand("-t") + " activate " + code
}

func (e *cmdEnv) printCode(what, id string, c directory.Code, enrol string) error {
	_, err := fmt.Fprintf(e.out(), `%s
  Parley ID:        %s
  Activation code:  %s  (single use, expires %s)

The user enrols their own SSH key with:
    %s
`, what, id, c.Code, c.ExpiresAt.Format("2006-01-02 15:04 MST"), enrol)
	return err
}

func (e *cmdEnv) printUser(d directory.UserDetail) error {
	w := e.out()
	u := d.User
	fmt.Fprintf(w, "%s (%s)\n", u.Name, u.ID)
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-10s %s\n", k+":", v)
		}
	}
	field("status", string(u.Status))
	field("first", u.FirstName)
	field("last", u.LastName)
	field("nickname", u.Nickname)
	field("category", u.Category)
	field("tags", strings.Join(u.Tags, ", "))
	field("e-mail", u.Email)
	field("created", u.CreatedAt.Format(time.DateTime))
	if !u.ActivatedAt.IsZero() {
		field("activated", u.ActivatedAt.Format(time.DateTime))
	}
	if !u.RemovedAt.IsZero() {
		field("removed", u.RemovedAt.Format(time.DateTime))
	}
	if len(d.Devices) == 0 {
		fmt.Fprintln(w, "  no devices")
		return nil
	}
	fmt.Fprintln(w)
	rows := [][]string{{"DEVICE (SSH KEY)", "ADDED", "LAST ACTIVE"}}
	for _, dv := range d.Devices {
		rows = append(rows, []string{dv.Fingerprint, dv.AddedAt.Format(time.DateTime), lastSeen(dv.LastSeen)})
	}
	return e.table(rows)
}

func lastSeen(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.DateTime)
}

func (e *cmdEnv) deviceCmd() *cobra.Command {
	var tenant, user string
	list := &cobra.Command{
		Use:   "list --user ID",
		Short: "List a user's devices (SSH keys) with their last activity",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			id, err := parseID(user)
			if err != nil {
				return err
			}
			ds, err := e.s.deps.Admin.Devices(e.ctx, tenant, id)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(apijson.ToDevices(ds))
			}
			rows := [][]string{{"DEVICE (SSH KEY)", "ADDED", "LAST ACTIVE"}}
			for _, d := range ds {
				rows = append(rows, []string{d.Fingerprint, d.AddedAt.Format(time.DateTime), lastSeen(d.LastSeen)})
			}
			return e.table(rows)
		},
	}
	remove := &cobra.Command{
		Use:   "remove --user ID FINGERPRINT",
		Short: "Remove one device of a user; the user and its other devices stay",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			id, err := parseID(user)
			if err != nil {
				return err
			}
			if err := e.s.deps.Admin.RemoveDevice(e.ctx, tenant, id, args[0]); err != nil {
				return err
			}
			return e.done(map[string]string{"user": id.String(), "removed": args[0]}, "Removed device %s of %s.", args[0], id)
		},
	}
	cmd := group("device", "List and remove users' devices", list, remove)
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	cmd.PersistentFlags().StringVar(&user, "user", "", "the user's Parley ID")
	_ = cmd.MarkPersistentFlagRequired("user")
	return cmd
}
