package sshd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
)

// importJSON is the outcome of user import.
type importJSON struct {
	DryRun    bool               `json:"dry_run"`
	Created   []importedUserJSON `json:"created"`
	Updated   []importedUserJSON `json:"updated"`
	Unchanged int                `json:"unchanged"`
}

type importedUserJSON struct {
	Line           int       `json:"line"`
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Email          string    `json:"email,omitempty"`
	ActivationCode string    `json:"activation_code,omitempty"`
	ExpiresAt      time.Time `json:"activation_expires_at,omitzero"`
}

// importProblemsJSON is what user import --json prints when it refuses a file.
type importProblemsJSON struct {
	Error    string              `json:"error"`
	Problems []importProblemJSON `json:"problems"`
	More     bool                `json:"more"` // more problems than listed
}

type importProblemJSON struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func toImportedJSON(us []admin.ImportedUser) []importedUserJSON {
	out := make([]importedUserJSON, 0, len(us))
	for _, u := range us {
		out = append(out, importedUserJSON{Line: u.Line, ID: u.User.ID.String(), Name: u.User.Name, Email: u.User.Email,
			ActivationCode: u.Code.Code, ExpiresAt: u.Code.ExpiresAt})
	}
	return out
}

// userImportCmd is user import; tenant is the user group's --tenant.
func (e *cmdEnv) userImportCmd(tenant *string) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "import --tenant NAME [--dry-run] < users.csv",
		Short: "Create and update users from a CSV file on stdin, all or nothing",
		Long: fmt.Sprintf(`Create and update users from a CSV file read from standard input.

The first line names the columns, in any order, from:
    %s
A row without id creates a user (the output lists its Parley ID and
activation code); a row with the id of one of the tenant's users updates it
in the columns the file has (an empty cell clears that field). tags are
separated by ';'. status is informational: an import changes no status.
The file of user export imports as it is.

All or nothing: every row is checked first, and when any is wrong nothing is
changed and the problems are listed by line (up to %d). At most %d rows and
%d MiB. --dry-run checks the file and reports what it would do.`,
			strings.Join(admin.UserCSVColumns(), ","), directory.MaxBatchProblems, admin.MaxImportRows, admin.MaxImportBytes>>20),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if _, _, tty := e.sess.Pty(); tty {
				return fmt.Errorf("send the file on standard input without a terminal: %s user import --tenant NAME < users.csv",
					e.s.sshCommand(""))
			}
			run := e.s.deps.Admin.ImportUsersCSV
			if dryRun {
				run = e.s.deps.Admin.CheckUsersCSV
			}
			res, err := run(e.ctx, *tenant, e.in)
			var be *directory.BatchError
			if errors.As(err, &be) {
				return e.importProblems(be)
			} else if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(importJSON{DryRun: res.DryRun, Created: toImportedJSON(res.Created),
					Updated: toImportedJSON(res.Updated), Unchanged: res.Unchanged})
			}
			return e.printImport(res, e.tenantName(*tenant))
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and report what would change, changing nothing")
	return cmd
}

// importProblems reports a refused file: every problem on its own line,
// and with --json as a document on stdout too.
func (e *cmdEnv) importProblems(be *directory.BatchError) error {
	if e.json {
		out := importProblemsJSON{Error: "nothing was changed", Problems: []importProblemJSON{}, More: be.More}
		for _, p := range be.Problems {
			out.Problems = append(out.Problems, importProblemJSON{Line: p.Line, Error: oneLine(p.Err.Error())})
		}
		if err := e.printJSON(out); err != nil {
			return err
		}
	}
	w := e.sess.Stderr()
	n := fmt.Sprint(len(be.Problems))
	if be.More {
		n = "more than " + n
	}
	fmt.Fprintf(w, "error: nothing was changed: %s problems in the file:\n", n)
	for _, p := range be.Problems {
		fmt.Fprintf(w, "  line %d: %s\n", p.Line, oneLine(p.Err.Error()))
	}
	return exitError(1)
}

func (e *cmdEnv) printImport(res admin.ImportResult, tenant string) error {
	w := e.out()
	if res.DryRun {
		fmt.Fprintf(w, "The file is valid. Importing it into %s would create %s, update %s and leave %s unchanged. Nothing was changed.\n",
			tenant, users(len(res.Created)), users(len(res.Updated)), users(res.Unchanged))
	} else {
		fmt.Fprintf(w, "Imported into %s: %s created, %d updated, %d unchanged.\n", tenant, users(len(res.Created)), len(res.Updated), res.Unchanged)
	}
	if len(res.Created) > 0 {
		fmt.Fprintln(w)
		rows := [][]string{{"LINE", "ID", "NAME", "ACTIVATION CODE"}}
		if res.DryRun {
			rows[0] = []string{"LINE", "NEW USER"}
		}
		for _, u := range res.Created {
			if res.DryRun {
				rows = append(rows, []string{fmt.Sprint(u.Line), u.User.Name})
				continue
			}
			rows = append(rows, []string{fmt.Sprint(u.Line), u.User.ID.String(), u.User.Name, u.Code.Code})
		}
		if err := e.table(rows); err != nil {
			return err
		}
		if !res.DryRun {
			fmt.Fprintf(w, "\nThe codes are single use and expire %s. Each user enrols their own SSH key with:\n    %s activate CODE\n",
				res.Created[0].Code.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), e.s.sshCommand("-t"))
		}
	}
	if len(res.Updated) > 0 {
		fmt.Fprintln(w)
		rows := [][]string{{"LINE", "UPDATED ID", "NAME"}}
		for _, u := range res.Updated {
			rows = append(rows, []string{fmt.Sprint(u.Line), u.User.ID.String(), u.User.Name})
		}
		return e.table(rows)
	}
	return nil
}

func users(n int) string {
	if n == 1 {
		return "1 user"
	}
	return fmt.Sprintf("%d users", n)
}

// userExportCmd is user export; tenant is the user group's --tenant.
func (e *cmdEnv) userExportCmd(tenant *string) *cobra.Command {
	var request string
	cmd := &cobra.Command{
		Use:   "export --tenant NAME --request ID > users.csv",
		Short: "Carry out an approved export of the tenant's users, as CSV",
		Long: fmt.Sprintf(`Carry out an export of the tenant's users that another admin approved (see:
export request users). Only the key that requested it may, once, within a
day of the approval. It writes CSV with the columns
    %s
which user import reads back unchanged.`, strings.Join(admin.UserCSVColumns(), ",")),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.s.deps.Admin.ExportUsersCSV(e.ctx, *tenant, request, e.out())
		},
	}
	cmd.Flags().StringVar(&request, "request", "", "the approved export request's ID (export list shows it)")
	_ = cmd.MarkFlagRequired("request")
	return cmd
}
