package sshd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/apijson"
	"github.com/parley-chat/parley/store"
)

// groupDetail looks up the members' names and states; a member the caller
// cannot see keeps an empty name.
func (e *cmdEnv) groupDetail(tenant string, g store.Group) apijson.GroupDetail {
	out := apijson.GroupDetail{Group: apijson.ToGroup(g, e.tenantName(tenant)), MemberList: []apijson.GroupMember{}}
	if len(g.Members) == 0 {
		return out
	}
	users, err := e.s.deps.Admin.UsersByID(e.ctx, tenant, g.Members)
	if err != nil {
		users = map[crypto.ID]store.User{}
	}
	for _, id := range g.Members {
		u := users[id]
		out.MemberList = append(out.MemberList, apijson.GroupMember{ID: id.String(), Name: u.Name, Status: string(u.Status)})
	}
	return out
}

// parseMemberIDs parses the Parley IDs of group add and group remove.
func parseMemberIDs(args []string) ([]crypto.ID, error) {
	out := make([]crypto.ID, 0, len(args))
	for _, a := range args {
		id, err := crypto.ParseID(a)
		if err != nil {
			return nil, fmt.Errorf("%q is not a Parley ID (8 characters A-Z, 0-9); "+
				`quote a group name with spaces as "'Sales Team'", or give the group's ID`, a)
		}
		out = append(out, id)
	}
	return out, nil
}

func memberCount(n int) string {
	if n == 1 {
		return "1 member"
	}
	return fmt.Sprintf("%d members", n)
}

func (e *cmdEnv) groupCmd() *cobra.Command {
	var tenant string
	create := &cobra.Command{
		Use:   "create [--tenant T] NAME",
		Short: "Create a managed group (the words after the flags are its name)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			g, err := e.s.deps.Admin.CreateGroup(e.ctx, tenant, strings.Join(args, " "))
			if err != nil {
				return err
			}
			return e.done(e.groupDetail(tenant, g), "Created group %s (%s) in %s.", g.Name, g.ID, e.tenantName(tenant))
		},
	}

	list := &cobra.Command{
		Use:   "list [--tenant T]",
		Short: "List the managed groups (a group admin sees its own)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			gs, err := e.s.deps.Admin.Groups(e.ctx, tenant)
			if err != nil {
				return err
			}
			if e.json {
				name := e.tenantName(tenant)
				out := make([]apijson.Group, 0, len(gs))
				for _, g := range gs {
					out = append(out, apijson.ToGroup(g, name))
				}
				return e.printJSON(out)
			}
			rows := [][]string{{"ID", "NAME", "MEMBERS", "CREATED"}}
			for _, g := range gs {
				rows = append(rows, []string{g.ID, g.Name, fmt.Sprint(len(g.Members)), g.CreatedAt.Format(time.DateOnly)})
			}
			return e.table(rows)
		},
	}

	show := &cobra.Command{
		Use:   "show [--tenant T] GROUP",
		Short: "Show a managed group with its members (GROUP: its name or ID)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			g, err := e.s.deps.Admin.Group(e.ctx, tenant, strings.Join(args, " "))
			if err != nil {
				return err
			}
			d := e.groupDetail(tenant, g)
			if e.json {
				return e.printJSON(d)
			}
			fmt.Fprintf(e.out(), "%s (%s) in %s: %s\n", g.Name, g.ID, d.Tenant, memberCount(len(g.Members)))
			if len(d.MemberList) == 0 {
				return nil
			}
			fmt.Fprintln(e.out())
			rows := [][]string{{"ID", "NAME", "STATUS"}}
			for _, m := range d.MemberList {
				rows = append(rows, []string{m.ID, dash(m.Name), dash(m.Status)})
			}
			return e.table(rows)
		},
	}

	rename := &cobra.Command{
		Use:   "rename [--tenant T] GROUP NEWNAME",
		Short: "Rename a managed group (quote names with spaces: \"'Sales Team'\")",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("rename takes the group and its new name, got %d words: "+
					`quote names with spaces as "'Sales Team'", or give the group's ID`, len(args))
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			old, err := e.s.deps.Admin.Group(e.ctx, tenant, args[0])
			if err != nil {
				return err
			}
			g, err := e.s.deps.Admin.RenameGroup(e.ctx, tenant, old.ID, args[1])
			if err != nil {
				return err
			}
			return e.done(e.groupDetail(tenant, g), "Renamed group %s to %s (%s).", old.Name, g.Name, g.ID)
		},
	}

	del := &cobra.Command{
		Use:   "delete [--tenant T] GROUP",
		Short: "Delete a managed group; its members stay users, its group admins lose it",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			g, err := e.s.deps.Admin.DeleteGroup(e.ctx, tenant, strings.Join(args, " "))
			if err != nil {
				return err
			}
			return e.done(e.groupDetail(tenant, g), "Deleted group %s (%s); its %s stay users of %s.",
				g.Name, g.ID, memberCount(len(g.Members)), e.tenantName(tenant))
		},
	}

	change := func(verb, short string, add bool) *cobra.Command {
		return &cobra.Command{
			Use:   verb + " [--tenant T] GROUP ID...",
			Short: short,
			Args:  cobra.MinimumNArgs(2),
			RunE: func(_ *cobra.Command, args []string) error {
				ids, err := parseMemberIDs(args[1:])
				if err != nil {
					return err
				}
				var g store.Group
				if add {
					g, err = e.s.deps.Admin.AddGroupMembers(e.ctx, tenant, args[0], ids)
				} else {
					g, err = e.s.deps.Admin.RemoveGroupMembers(e.ctx, tenant, args[0], ids)
				}
				if err != nil {
					return err
				}
				return e.done(e.groupDetail(tenant, g), "%s (%s) now has %s.", g.Name, g.ID, memberCount(len(g.Members)))
			},
		}
	}
	add := change("add", fmt.Sprintf("Add users (Parley IDs) to a managed group; all or none, at most %d members",
		admin.MaxGroupMembers), true)
	remove := change("remove", "Remove members (Parley IDs) from a managed group; all or none", false)

	cmd := group("group", "Manage a tenant's managed groups and their members", create, list, show, rename, del, add, remove)
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	return cmd
}
