package sshd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/quiet"
)

// quietJSON is what quiet-hours set and show print.
type quietJSON struct {
	Tenant     string         `json:"tenant"`
	User       string         `json:"user,omitempty"`
	Schedule   string         `json:"schedule"` // "" when there are no quiet hours
	Zone       string         `json:"zone,omitempty"`
	Source     string         `json:"source"` // default, global or individual
	QuietNow   bool           `json:"quiet_now"`
	NextChange *time.Time     `json:"next_change"` // null when it never changes
	Next       []quiet.Change `json:"next"`
}

func (e *cmdEnv) toQuietJSON(tenant string, user *crypto.ID, st admin.QuietStatus) quietJSON {
	out := quietJSON{Tenant: e.tenantName(tenant), Schedule: st.Schedule, Zone: st.Zone, Source: string(st.Source),
		QuietNow: st.QuietNow, Next: st.Next}
	if user != nil {
		out.User = user.String()
	}
	if !st.NextChange.IsZero() {
		t := st.NextChange
		out.NextChange = &t
	}
	if out.Next == nil {
		out.Next = []quiet.Change{}
	}
	return out
}

// printQuiet shows a status for people.
func (e *cmdEnv) printQuiet(j quietJSON) error {
	if e.json {
		return e.printJSON(j)
	}
	who := "Tenant " + j.Tenant
	if j.User != "" {
		who = "User " + j.User + " in " + j.Tenant
	}
	if j.Schedule == "" {
		_, err := fmt.Fprintf(e.out(), "%s has no quiet hours.\n", who)
		return err
	}
	now := "awake now"
	if j.QuietNow {
		now = "quiet now"
	}
	fmt.Fprintf(e.out(), "%s: quiet hours %s (%s), %s (%s).\n", who, j.Schedule, j.Zone, now, j.Source)
	if len(j.Next) == 0 {
		_, err := fmt.Fprintln(e.out(), "The schedule never changes.")
		return err
	}
	rows := [][]string{{"WHEN", "THEN"}}
	for _, c := range j.Next {
		state := "awake"
		if c.Quiet {
			state = "quiet"
		}
		rows = append(rows, []string{c.At.Format("Mon 2006-01-02 15:04 MST"), state})
	}
	return e.table(rows)
}

func (e *cmdEnv) quietCmd() *cobra.Command {
	var tenant, user, zone string
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
	set := &cobra.Command{
		Use:   `set --tenant NAME "Mon-Fri 18:00-08:00; Sat,Sun all-day" --tz ZONE [--user ID]`,
		Short: "Set the quiet hours of the tenant, or of one user (--user)",
		Long: `Set quiet hours: during them messages are still delivered, but no
notification is raised and calls are rejected. The schedule is one or more
ranges separated by ";": days (Mon, Mon-Fri, Sat,Sun) and times (18:00-08:00
crosses midnight), or all-day, in the IANA time zone --tz. Every word after
the flags is part of the schedule; quote it for your local shell, which
would otherwise end the command at ";":
  quiet-hours set --tenant acme "Mon-Fri 18:00-08:00; Sat,Sun all-day" --tz Europe/Zurich`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			uid, err := userFlag()
			if err != nil {
				return err
			}
			if zone == "" {
				return fmt.Errorf("name the time zone with --tz, e.g. --tz Europe/Zurich")
			}
			st, err := e.s.deps.Admin.SetQuietHours(e.ctx, tenant, uid, zone, strings.Join(args, " "))
			if err != nil {
				return err
			}
			return e.printQuiet(e.toQuietJSON(tenant, uid, st))
		},
	}
	set.Flags().StringVar(&zone, "tz", "", "the schedule's IANA time zone, e.g. Europe/Zurich")

	unset := &cobra.Command{
		Use:   "unset --tenant NAME [--user ID]",
		Short: "Remove the quiet hours of the tenant, or of one user (who then follows the tenant's)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			uid, err := userFlag()
			if err != nil {
				return err
			}
			if err := e.s.deps.Admin.UnsetQuietHours(e.ctx, tenant, uid); err != nil {
				return err
			}
			st, err := e.s.deps.Admin.QuietHours(e.ctx, tenant, uid)
			if err != nil {
				return err
			}
			return e.printQuiet(e.toQuietJSON(tenant, uid, st))
		},
	}
	show := &cobra.Command{
		Use:   "show --tenant NAME [--user ID] [--json]",
		Short: "Show the quiet hours in effect, whether it is quiet now, and the next changes",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			uid, err := userFlag()
			if err != nil {
				return err
			}
			st, err := e.s.deps.Admin.QuietHours(e.ctx, tenant, uid)
			if err != nil {
				return err
			}
			return e.printQuiet(e.toQuietJSON(tenant, uid, st))
		},
	}
	cmd := group("quiet-hours", "Set and show quiet hours (no notifications, calls rejected)", set, unset, show)
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	cmd.PersistentFlags().StringVar(&user, "user", "", "a user's Parley ID: that user's own quiet hours")
	return cmd
}
