package sshd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/apijson"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
)

// policyKeyJSON is one key of the registry, as policy keys --json prints it.
type policyKeyJSON struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Default     any      `json:"default"`
	PerUser     bool     `json:"per_user"`
	Description string   `json:"description"`
	Values      []string `json:"values,omitempty"` // an enum's
	Min         *int64   `json:"min,omitempty"`
	Max         *int64   `json:"max,omitempty"`
}

// policyImportJSON is what policy import --json prints.
type policyImportJSON struct {
	Tenant  string `json:"tenant"`
	Changed int    `json:"changed"`
}

func (e *cmdEnv) policyCmd() *cobra.Command {
	var tenant, user string
	// userFlag parses --user: nil for the tenant's global values.
	userFlag := func() (*crypto.ID, error) {
		if user == "" {
			return nil, nil
		}
		id, err := parseID(user)
		if err != nil {
			return nil, err
		}
		return &id, nil
	}
	// level names what a change applies to, for people.
	level := func(uid *crypto.ID) string {
		if uid == nil {
			return "tenant " + e.tenantName(tenant)
		}
		return "user " + uid.String() + " in " + e.tenantName(tenant)
	}

	set := &cobra.Command{
		Use:   "set --tenant NAME KEY VALUE [--user ID]",
		Short: "Set a policy for the whole tenant, or for one user (--user)",
		Long: `Set a policy value for the whole tenant (global), or for one user (--user ID):
an individual value wins over the global one, which wins over the default.
The value must fit the key's type (policy keys lists them); words after KEY
form the value, so names and schedules need no quotes.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			uid, err := userFlag()
			if err != nil {
				return err
			}
			v, err := e.s.deps.Admin.SetPolicy(e.ctx, tenant, uid, args[0], strings.Join(args[1:], " "))
			if err != nil {
				return err
			}
			return e.done(e.policyChange(tenant, uid, v), "Set %s to %s for %s.", v.Key, shown(v.Raw), level(uid))
		},
	}
	unset := &cobra.Command{
		Use:   "unset --tenant NAME KEY [--user ID]",
		Short: "Remove a policy value, so that the next level's applies again",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			uid, err := userFlag()
			if err != nil {
				return err
			}
			if err := e.s.deps.Admin.UnsetPolicy(e.ctx, tenant, uid, args[0]); err != nil {
				return err
			}
			vs, err := e.s.deps.Admin.Policies(e.ctx, tenant, uid)
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v.Key == strings.TrimSpace(args[0]) {
					return e.done(e.policyChange(tenant, uid, v), "Unset %s for %s: now %s (%s).", v.Key, level(uid), shown(v.Raw), v.Source)
				}
			}
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show --tenant NAME [--user ID]",
		Short: "Show the value in effect of every policy, and where it comes from",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			uid, err := userFlag()
			if err != nil {
				return err
			}
			vs, err := e.s.deps.Admin.Policies(e.ctx, tenant, uid)
			if err != nil {
				return err
			}
			if e.json {
				out := make([]apijson.Policy, 0, len(vs))
				for _, v := range vs {
					out = append(out, apijson.ToPolicy(v))
				}
				return e.printJSON(out)
			}
			rows := [][]string{{"KEY", "VALUE", "SOURCE"}}
			for _, v := range vs {
				rows = append(rows, []string{v.Key, shown(v.Raw), string(v.Source)})
			}
			return e.table(rows)
		},
	}
	keys := &cobra.Command{
		Use:   "keys",
		Short: "List every policy key with its type, default and description",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			reg := policy.Registry()
			if e.json {
				out := make([]policyKeyJSON, 0, len(reg))
				for _, k := range reg {
					j := policyKeyJSON{Name: k.Name, Type: string(k.Type), Default: k.TypedDefault(), PerUser: k.PerUser,
						Description: k.Description, Values: k.Enum}
					if k.Type == policy.TypeInt && (k.Min != 0 || k.Max != 0) {
						j.Min, j.Max = &k.Min, &k.Max
					}
					out = append(out, j)
				}
				return e.printJSON(out)
			}
			rows := [][]string{{"KEY", "TYPE", "DEFAULT", "PER USER", "TAKES"}}
			for _, k := range reg {
				per := "no"
				if k.PerUser {
					per = "yes"
				}
				rows = append(rows, []string{k.Name, string(k.Type), shown(k.Default), per, k.Expect()})
			}
			return e.table(rows)
		},
	}
	export := &cobra.Command{
		Use:   "export --tenant NAME > policies.csv",
		Short: "Write the tenant's policy values that are set as CSV (user,key,value)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.s.deps.Admin.ExportPoliciesCSV(e.ctx, tenant, e.out())
		},
	}
	imp := &cobra.Command{
		Use:   "import --tenant NAME < policies.csv",
		Short: "Set policy values from a CSV file on stdin, all or nothing",
		Long: fmt.Sprintf(`Set policy values from a CSV file read from standard input.

The first line names the columns %s, in any order. Each further
line sets one value: user is a Parley ID for an individual value, or empty
for the tenant's global value. Keys the file does not name stay as they
are (policy unset removes a value). The file of policy export imports as
it is.

All or nothing: every line is checked first, and when any is wrong nothing
is changed and the problems are listed by line (up to %d). At most %d rows
and %d MiB.`, strings.Join(policy.CSVColumns(), ","), policy.MaxCSVProblems, policy.MaxCSVRows, policy.MaxCSVBytes>>20),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if _, _, tty := e.sess.Pty(); tty {
				return fmt.Errorf("send the file on standard input without a terminal: %s policy import --tenant NAME < policies.csv",
					e.s.sshCommand(""))
			}
			n, err := e.s.deps.Admin.ImportPoliciesCSV(e.ctx, tenant, e.in)
			var be *directory.BatchError
			if errors.As(err, &be) {
				return e.importProblems(be)
			} else if err != nil {
				return err
			}
			name := e.tenantName(tenant)
			values := "values"
			if n == 1 {
				values = "value"
			}
			return e.done(policyImportJSON{Tenant: name, Changed: n}, "Imported into %s: %d policy %s changed.", name, n, values)
		},
	}
	for _, c := range []*cobra.Command{set, unset, show} {
		c.Flags().StringVar(&user, "user", "", "a user's Parley ID: the user's individual value instead of the tenant's")
	}
	cmd := group("policy", "Set, show, export and import the tenant's policies", set, unset, show, keys, export, imp)
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	return cmd
}

// policyChange is the JSON of a set or unset.
func (e *cmdEnv) policyChange(tenant string, uid *crypto.ID, v policy.Value) apijson.PolicyChange {
	out := apijson.PolicyChange{Tenant: e.tenantName(tenant), Policy: apijson.ToPolicy(v)}
	if uid != nil {
		out.User = uid.String()
	}
	return out
}

// shown prints an empty value visibly.
func shown(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
