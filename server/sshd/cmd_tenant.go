package sshd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/apijson"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

func (e *cmdEnv) tenantCmd() *cobra.Command {
	var seats int
	var domains []string
	create := &cobra.Command{
		Use:   "create NAME [--seats N] [--domain example.com]...",
		Short: "Create a tenant (with a first license package of N seats)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			t, err := e.s.deps.Admin.CreateTenant(e.ctx, directory.TenantSpec{Name: args[0], Seats: seats, Domains: domains})
			if err != nil {
				return err
			}
			return e.done(apijson.ToTenant(t, seats), "Created tenant %s%s.", t.Name, createdNote(seats, t.Domains))
		},
	}
	create.Flags().IntVar(&seats, "seats", 0, "seats of a first license package without end date")
	create.Flags().StringArrayVar(&domains, "domain", nil, "an e-mail domain the tenant owns (repeatable)")

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
				out := make([]apijson.Tenant, 0, len(ts))
				for _, t := range ts {
					out = append(out, apijson.ToTenant(t, e.seats(t.Name)))
				}
				return e.printJSON(out)
			}
			rows := [][]string{{"NAME", "STATUS", "SEATS", "DOMAINS", "CREATED"}}
			for _, t := range ts {
				rows = append(rows, []string{t.Name, tenantStatus(t.Suspended), fmt.Sprint(e.seats(t.Name)),
					dash(strings.Join(t.Domains, ", ")), t.CreatedAt.Format("2006-01-02")})
			}
			return e.table(rows)
		},
	}

	show := &cobra.Command{
		Use:   "show [NAME]",
		Short: "Show a tenant",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			t, err := e.s.deps.Admin.Tenant(e.ctx, firstArg(args))
			if err != nil {
				return err
			}
			seats := e.seats(t.Name)
			return e.done(apijson.ToTenant(t, seats), "%s (%s)\n  status:   %s\n  seats:    %d\n  domains:  %s\n  created:  %s\n  branding: %s\n  directory group: %s",
				t.Name, t.ID, tenantStatus(t.Suspended), seats, dash(strings.Join(t.Domains, ", ")), t.CreatedAt.Format("2006-01-02"),
				branding(t), dash(t.DirectoryGroup))
		},
	}

	suspend := func(use, short string, on bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(_ *cobra.Command, args []string) error {
				t, err := e.s.deps.Admin.SuspendTenant(e.ctx, args[0], on)
				if err != nil {
					return err
				}
				return e.done(apijson.ToTenant(t, e.seats(t.Name)), "Tenant %s is %s.", t.Name, tenantStatus(t.Suspended))
			},
		}
	}

	domainAdd := &cobra.Command{
		Use:   "add-domain NAME DOMAIN...",
		Short: "Give a tenant more e-mail domains",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			t, err := e.s.deps.Admin.AddDomains(e.ctx, args[0], args[1:])
			if err != nil {
				return err
			}
			return e.done(apijson.ToTenant(t, e.seats(t.Name)), "Tenant %s owns %s.", t.Name, strings.Join(t.Domains, ", "))
		},
	}

	var brandTenant, display, accent string
	brand := &cobra.Command{
		Use:   "brand [--tenant NAME] [--display-name TEXT] [--accent #RRGGBB]",
		Short: "Set the name and colour the tenant's screens show",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var dn, ac *string
			if cmd.Flags().Changed("display-name") {
				dn = &display
			}
			if cmd.Flags().Changed("accent") {
				ac = &accent
			}
			if dn == nil && ac == nil {
				return fmt.Errorf("nothing to change: give --display-name or --accent")
			}
			t, err := e.s.deps.Admin.Brand(e.ctx, brandTenant, dn, ac)
			if err != nil {
				return err
			}
			return e.done(apijson.ToTenant(t, e.seats(t.Name)), "Tenant %s: branding %s.", t.Name, branding(t))
		},
	}
	brand.Flags().StringVar(&brandTenant, "tenant", "", "tenant name (default: your only tenant)")
	brand.Flags().StringVar(&display, "display-name", "", "name shown in the header")
	brand.Flags().StringVar(&accent, "accent", "", "accent colour, #RRGGBB")

	var dirGroup string
	edit := &cobra.Command{
		Use:   "edit NAME --directory-group GROUP",
		Short: "Put a tenant in a directory group (tenants of one group share their directory); --directory-group= takes it out",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("directory-group") {
				return fmt.Errorf("nothing to change: give --directory-group GROUP (--directory-group= to leave the group)")
			}
			t, err := e.s.deps.Admin.SetDirectoryGroup(e.ctx, args[0], dirGroup)
			if err != nil {
				return err
			}
			if t.DirectoryGroup == "" {
				return e.done(apijson.ToTenant(t, e.seats(t.Name)), "Tenant %s is in no directory group.", t.Name)
			}
			return e.done(apijson.ToTenant(t, e.seats(t.Name)), "Tenant %s is in directory group %s.", t.Name, t.DirectoryGroup)
		},
	}
	edit.Flags().StringVar(&dirGroup, "directory-group", "", "directory group name (a-z, 0-9, '-'); empty (--directory-group=) leaves the group")

	return group("tenant", "Manage tenants", create, list, show,
		suspend("suspend", "Suspend a tenant: its users cannot connect or activate (nothing is deleted)", true),
		suspend("resume", "Resume a suspended tenant", false), domainAdd, brand, edit)
}

// branding shows a tenant's display name and accent colour.
func branding(t store.Tenant) string {
	var parts []string
	if t.DisplayName != "" {
		parts = append(parts, fmt.Sprintf("%q", t.DisplayName))
	}
	if t.Accent != "" {
		parts = append(parts, "accent "+t.Accent)
	}
	return dash(strings.Join(parts, ", "))
}

func tenantStatus(suspended bool) string {
	if suspended {
		return "suspended"
	}
	return "active"
}

// createdNote describes a new tenant's seats and domains.
func createdNote(seats int, domains []string) string {
	var b strings.Builder
	if seats > 0 {
		b.WriteString(" with " + seatsText(seats))
	}
	if len(domains) > 0 {
		b.WriteString(", owning " + strings.Join(domains, ", "))
	}
	if seats == 0 {
		b.WriteString(" (no license yet: add one with license add or license trial)")
	}
	return b.String()
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// tenantName is a tenant's name as stored, for output: the --tenant flag
// may be empty (the caller's only tenant) or spelled differently.
func (e *cmdEnv) tenantName(flag string) string {
	t, err := e.s.deps.Admin.Tenant(e.ctx, flag)
	if err != nil {
		return flag
	}
	return t.Name
}

// seats are the seats of a tenant's packages valid now (0 if unreadable).
func (e *cmdEnv) seats(tenant string) int {
	r, err := e.s.deps.Admin.License(e.ctx, tenant)
	if err != nil {
		return 0
	}
	return r.Usage.Seats
}
