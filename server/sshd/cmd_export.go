package sshd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/store"
)

// exportJSON is a four-eyes export request.
type exportJSON struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant"`
	Kind        string    `json:"kind"`  // audit or users
	State       string    `json:"state"` // pending, approved, used or expired
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
	UsedAt      time.Time `json:"used_at,omitzero"`
	ExpiresAt   time.Time `json:"expires_at"`
}

func toExportJSON(x store.Export, tenant string, now time.Time) exportJSON {
	return exportJSON{ID: x.ID, Tenant: tenant, Kind: x.Kind, State: admin.ExportState(x, now), RequestedBy: x.RequestedBy,
		RequestedAt: x.RequestedAt, ApprovedBy: x.ApprovedBy, ApprovedAt: x.ApprovedAt, UsedAt: x.UsedAt, ExpiresAt: x.ExpiresAt}
}

func (e *cmdEnv) exportCmd() *cobra.Command {
	var tenant string
	request := &cobra.Command{
		Use:   "request --tenant NAME audit|users",
		Short: "Ask to export the tenant's audit log or users; another admin must approve",
		Long: `Ask to export the tenant's audit log (audit) or users (users). Exports need
two admins: another admin of the tenant approves the request (export approve)
within a day, then you — with the same key — carry it out once within a day
of the approval:

  audit export --tenant NAME --request ID > audit.jsonl
  user export --tenant NAME --request ID > users.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			x, err := e.s.deps.Admin.RequestExport(e.ctx, tenant, args[0])
			if err != nil {
				return err
			}
			name := e.tenantName(tenant)
			if e.json {
				return e.printJSON(toExportJSON(x, name, time.Now()))
			}
			_, err = fmt.Fprintf(e.out(), `Requested export %s of %s's %s.
Another admin of %s approves it before %s with:
    %s export approve --tenant %s %s
Then you carry it out with:
    %s
`, x.ID, name, kindWords(x.Kind), name, x.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"),
				e.s.sshCommand(""), name, x.ID, e.useCommand(x, name))
			return err
		},
	}

	approve := &cobra.Command{
		Use:   "approve --tenant NAME ID",
		Short: "Approve another admin's export request",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			x, err := e.s.deps.Admin.ApproveExport(e.ctx, tenant, args[0])
			if err != nil {
				return err
			}
			name := e.tenantName(tenant)
			who := x.RequestedBy
			if l := e.adminLabels(tenant)[who]; l != "" {
				who = l + " (" + who + ")"
			}
			return e.done(toExportJSON(x, name, time.Now()), "Approved export %s of %s's %s, requested by %s. It may be carried out once, by that key, before %s.",
				x.ID, name, kindWords(x.Kind), who, x.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"))
		},
	}

	list := &cobra.Command{
		Use:   "list --tenant NAME",
		Short: "List the tenant's export requests and where they stand",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			xs, err := e.s.deps.Admin.Exports(e.ctx, tenant)
			if err != nil {
				return err
			}
			name, now := e.tenantName(tenant), time.Now()
			if e.json {
				out := make([]exportJSON, 0, len(xs))
				for _, x := range xs {
					out = append(out, toExportJSON(x, name, now))
				}
				return e.printJSON(out)
			}
			if len(xs) == 0 {
				return e.done(nil, "No export requests in %s.", name)
			}
			labels := e.adminLabels(tenant)
			who := func(fp string) string {
				if l := labels[fp]; l != "" {
					return l
				}
				return dash(fp)
			}
			rows := [][]string{{"ID", "KIND", "STATE", "REQUESTED BY", "REQUESTED (UTC)", "APPROVED BY", "EXPIRES (UTC)"}}
			for _, x := range xs {
				expires := x.ExpiresAt.UTC().Format(time.DateTime)
				if !x.UsedAt.IsZero() {
					expires = "-"
				}
				rows = append(rows, []string{x.ID, x.Kind, admin.ExportState(x, now), who(x.RequestedBy),
					x.RequestedAt.UTC().Format(time.DateTime), who(x.ApprovedBy), expires})
			}
			return e.table(rows)
		},
	}

	cmd := group("export", "Four-eyes exports of the audit log and the users: request, approve, list", request, approve, list)
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	return cmd
}

// adminLabels maps the tenant's admin keys to their labels, for people to
// read; keys without a label, or a caller who may not list admins, show
// fingerprints.
func (e *cmdEnv) adminLabels(tenant string) map[string]string {
	out := map[string]string{}
	as, err := e.s.deps.Admin.Admins(e.ctx, tenant)
	if err != nil {
		return out
	}
	for _, a := range as {
		out[a.Fingerprint] = a.Label
	}
	return out
}

func kindWords(kind string) string {
	if kind == admin.ExportKindAudit {
		return "audit log"
	}
	return kind
}

// useCommand is the command that carries out an approved export.
func (e *cmdEnv) useCommand(x store.Export, tenant string) string {
	if x.Kind == admin.ExportKindAudit {
		return fmt.Sprintf("%s audit export --tenant %s --request %s > audit.jsonl", e.s.sshCommand(""), tenant, x.ID)
	}
	return fmt.Sprintf("%s user export --tenant %s --request %s > users.csv", e.s.sshCommand(""), tenant, x.ID)
}
