package sshd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/admin"
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
				return e.printJSON(toLicenseReportJSON(r))
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
				d, err := parseDate(until)
				if err != nil {
					return err
				}
				spec.ValidUntil = d
			}
			l, err := e.s.deps.Admin.AddLicense(e.ctx, tenant, spec)
			if err != nil {
				return err
			}
			return e.done(toLicenseJSON(l), "Added package %s: %d seats of plan %s, %s.", l.ID, l.Seats, l.Plan, validity(l.ValidUntil))
		},
	}
	add.Flags().StringVar(&plan, "plan", "standard", "plan name")
	add.Flags().IntVar(&seats, "seats", 0, "seats")
	add.Flags().StringVar(&until, "valid-until", "", "last day, YYYY-MM-DD (default: no end)")
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
			return e.done(toLicenseJSON(l), "Trial started: %d seats, %s.", l.Seats, validity(l.ValidUntil))
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
				return e.done(toLicenseJSON(l), "Package %s: %d seats of plan %s, %s.", l.ID, l.Seats, l.Plan, validity(l.ValidUntil))
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
			if convUntil != "" {
				d, err := parseDate(convUntil)
				if err != nil {
					return err
				}
				c.ValidUntil = d
			} else {
				c.ValidUntil = time.Now().UTC().AddDate(1, 0, 0) // licenses run twelve months
			}
			return nil
		})
	convert.Flags().StringVar(&toPlan, "plan", "standard", "the full plan")
	convert.Flags().StringVar(&convUntil, "valid-until", "", "last day (default: a year from today)")

	var extUntil string
	var noEnd bool
	extend := change("extend --tenant NAME --package ID (--until YYYY-MM-DD | --no-end)",
		"Move a package's end date (instance admins)", "",
		func(c *admin.LicenseChange) error {
			if noEnd {
				c.NoEnd = true
				return nil
			}
			if extUntil == "" {
				return fmt.Errorf("give --until YYYY-MM-DD or --no-end")
			}
			d, err := parseDate(extUntil)
			c.ValidUntil = d
			return err
		})
	extend.Flags().StringVar(&extUntil, "until", "", "new last day, YYYY-MM-DD")
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
	status := "valid"
	switch {
	case r.Expired:
		status = "EXPIRED"
	case r.ValidUntil.IsZero():
		status = "valid, no end date"
	default:
		status = "valid until " + r.ValidUntil.Format(time.DateOnly)
	}
	fmt.Fprintf(w, "Tenant %s: %s\n", r.Tenant.Name, status)
	fmt.Fprintf(w, "  seats:        %d\n  active users: %d\n  devices:      %d\n", r.Usage.Seats, r.Usage.ActiveUsers, r.Usage.Devices)
	if len(r.Packages) > 0 {
		fmt.Fprintln(w)
		rows := [][]string{{"PACKAGE", "PLAN", "SEATS", "FROM", "UNTIL"}}
		for _, l := range r.Packages {
			plan := l.Plan
			if l.Trial {
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

func until(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}

func validity(t time.Time) string {
	if t.IsZero() {
		return "no end date"
	}
	return "valid until " + t.Format(time.DateOnly)
}
