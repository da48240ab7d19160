package sshd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/apijson"
)

func (e *cmdEnv) statsCmd() *cobra.Command {
	var tenant string
	var days int
	cmd := &cobra.Command{
		Use:   "stats [--tenant T] [--days N]",
		Short: "Show a tenant's users, devices and messages per day (counts only, never content)",
		Long: fmt.Sprintf(`Show a tenant's statistics: active and pending users, the devices of active
users, and the messages its users sent per day (UTC) for the last N days,
today included (default %d, at most %d). Messages are the envelopes the
relay accepted, so delivery and read receipts count too: the server never
sees what is inside.`, admin.DefaultStatsDays, admin.MaxStatsDays),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			st, err := e.s.deps.Admin.Stats(e.ctx, tenant, days)
			if err != nil {
				return err
			}
			out := apijson.ToStats(st, e.tenantName(tenant))
			if e.json {
				return e.printJSON(out)
			}
			w := e.out()
			fmt.Fprintf(w, "Statistics of %s (counts only)\n\n", out.Tenant)
			if err := e.table([][]string{
				{"active users", fmt.Sprint(out.ActiveUsers)},
				{"pending users", fmt.Sprint(out.PendingUsers)},
				{"devices", fmt.Sprint(out.Devices)},
				{"messages", fmt.Sprintf("%d in the last %d days", out.MessagesTotal, out.Days)},
			}); err != nil {
				return err
			}
			fmt.Fprintln(w)
			rows := [][]string{{"DAY (UTC)", "MESSAGES"}}
			for _, d := range out.Messages {
				rows = append(rows, []string{d.Day, fmt.Sprint(d.Messages)})
			}
			return e.table(rows)
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	cmd.Flags().IntVar(&days, "days", admin.DefaultStatsDays, fmt.Sprintf("how many days, today included (1-%d)", admin.MaxStatsDays))
	return cmd
}
