package sshd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/apijson"
)

func (e *cmdEnv) licenseCmd() *cobra.Command {
	var tenant string
	show := &cobra.Command{
		Use:   "show [--tenant NAME]",
		Short: "Show seats, use, validity and warnings",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r, err := e.s.deps.Admin.License(e.ctx, tenant)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(apijson.ToLicenseReport(r))
			}
			return e.printLicense(r)
		},
	}

	var plan, until string
	var seats int
	add := &cobra.Command{
		Use:   "add --tenant NAME --plan PLAN --seats N [--valid-until YYYY-MM-DD]",
		Short: "Add a license package (instance admins)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			spec := admin.LicenseSpec{Plan: plan, Seats: seats}
			if until != "" {
				end, err := parseLastDay(until)
				if err != nil {
					return err
				}
				spec.ValidUntil = end
			}
			l, err := e.s.deps.Admin.AddLicense(e.ctx, tenant, spec)
			if err != nil {
				return err
			}
			return e.done(apijson.ToLicense(l), "Added package %s: %s of plan %s, %s.", l.ID, seatsText(l.Seats), l.Plan, validity(l.ValidUntil))
		},
	}
	add.Flags().StringVar(&plan, "plan", "standard", "plan name")
	add.Flags().IntVar(&seats, "seats", 0, "seats")
	add.Flags().StringVar(&until, "valid-until", "", "the package's last day, YYYY-MM-DD (UTC; default: no end)")
	_ = add.MarkFlagRequired("seats")

	trial := &cobra.Command{
		Use:   "trial --tenant NAME",
		Short: fmt.Sprintf("Start a trial: %d seats for one month (instance admins)", admin.TrialSeats),
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			l, err := e.s.deps.Admin.StartTrial(e.ctx, tenant)
			if err != nil {
				return err
			}
			return e.done(apijson.ToLicense(l), "Trial started: %d seats, %s.", l.Seats, validity(l.ValidUntil))
		},
	}

	change := func(use, short, defPkg string, fill func(c *admin.LicenseChange) error) *cobra.Command {
		var pkg string
		cmd := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				var c admin.LicenseChange
				if err := fill(&c); err != nil {
					return err
				}
				l, err := e.s.deps.Admin.ChangeLicense(e.ctx, tenant, pkg, c)
				if err != nil {
					return err
				}
				return e.done(apijson.ToLicense(l), "Package %s: %s of plan %s, %s.", l.ID, seatsText(l.Seats), l.Plan, validity(l.ValidUntil))
			},
		}
		cmd.Flags().StringVar(&pkg, "package", defPkg, "the package's ID (license show lists them)")
		if defPkg == "" {
			_ = cmd.MarkFlagRequired("package")
		}
		return cmd
	}
	var toPlan, convUntil string
	convert := change("convert --tenant NAME [--package trial] --plan PLAN [--valid-until YYYY-MM-DD]",
		"Convert a trial into a full package, keeping users and settings (instance admins)", "trial",
		func(c *admin.LicenseChange) error {
			c.Plan = toPlan
			if convUntil == "" {
				return nil // the service runs it twelve months from today
			}
			end, err := parseLastDay(convUntil)
			c.ValidUntil = end
			return err
		})
	convert.Flags().StringVar(&toPlan, "plan", "standard", "the full plan")
	convert.Flags().StringVar(&convUntil, "valid-until", "", fmt.Sprintf("the package's last day, YYYY-MM-DD (default: %d months from today)", admin.FullTerm))

	var extUntil string
	var noEnd bool
	extend := change("extend --tenant NAME --package ID (--until YYYY-MM-DD | --no-end)",
		"Move a package's end date (instance admins)", "",
		func(c *admin.LicenseChange) error {
			if noEnd == (extUntil != "") {
				return fmt.Errorf("give one of --until YYYY-MM-DD or --no-end")
			}
			if noEnd {
				c.NoEnd = true
				return nil
			}
			end, err := parseLastDay(extUntil)
			c.ValidUntil = end
			return err
		})
	extend.Flags().StringVar(&extUntil, "until", "", "the package's new last day, YYYY-MM-DD (UTC)")
	extend.Flags().BoolVar(&noEnd, "no-end", false, "remove the end date")

	var addSeats, setSeats int
	seatsCmd := change("seats --tenant NAME --package ID (--add N | --set N)",
		"Add seats to a package, or set its seats (not below what is in use) (instance admins)", "",
		func(c *admin.LicenseChange) error {
			if (addSeats == 0) == (setSeats == 0) {
				return fmt.Errorf("give one of --add N or --set N")
			}
			c.AddSeats, c.Seats = addSeats, setSeats
			return nil
		})
	seatsCmd.Flags().IntVar(&addSeats, "add", 0, "seats to add")
	seatsCmd.Flags().IntVar(&setSeats, "set", 0, "seats the package has")

	cmd := group("license", "Show and manage license packages", show, add, trial, convert, extend, seatsCmd)
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	return cmd
}

func (e *cmdEnv) printLicense(r admin.LicenseReport) error {
	w := e.out()
	var status string
	switch {
	case r.Expired && len(r.Packages) == 0:
		status = e.red("NO LICENSE")
	case r.Expired:
		status = e.red("EXPIRED")
	case r.ValidUntil.IsZero():
		status = "valid, no end date"
	default:
		status = "valid, last day " + admin.LastDay(r.ValidUntil)
	}
	fmt.Fprintf(w, "Tenant %s: %s\n", r.Tenant.Name, status)
	fmt.Fprintf(w, "  seats:        %d\n  active users: %d\n  devices:      %d\n", r.Usage.Seats, r.Usage.ActiveUsers, r.Usage.Devices)
	if len(r.Packages) > 0 {
		fmt.Fprintln(w)
		rows := [][]string{{"PACKAGE", "PLAN", "SEATS", "FROM", "LAST DAY"}}
		for _, l := range r.Packages {
			plan := l.Plan
			if l.Trial && plan != "trial" {
				plan += " (trial)"
			}
			rows = append(rows, []string{l.ID, plan, fmt.Sprint(l.Seats), l.ValidFrom.Format(time.DateOnly), until(l.ValidUntil)})
		}
		if err := e.table(rows); err != nil {
			return err
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, warning := range r.Warnings {
			fmt.Fprintf(w, "  %s %s\n", e.red("warning:"), warning)
		}
	}
	return nil
}

// red colours text on a terminal; output without one stays plain.
func (e *cmdEnv) red(s string) string {
	if _, _, tty := e.sess.Pty(); !tty {
		return s
	}
	return "\x1b[31m" + s + "\x1b[0m"
}

// seatsText counts seats: "1 seat", "30 seats".
func seatsText(n int) string {
	if n == 1 {
		return "1 seat"
	}
	return fmt.Sprintf("%d seats", n)
}

// until shows a package's end as its last day.
func until(end time.Time) string { return dash(admin.LastDay(end)) }

func validity(end time.Time) string {
	if end.IsZero() {
		return "no end date"
	}
	return "last day " + admin.LastDay(end)
}

// parseLastDay reads a package's last day (YYYY-MM-DD, UTC) and returns the
// instant the package ends: the start of the next day.
func parseLastDay(s string) (time.Time, error) {
	d, err := parseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return admin.EndOfDay(d), nil
}
