package sshd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/apijson"
	"github.com/parley-chat/parley/server/audit"
)

func (e *cmdEnv) auditCmd() *cobra.Command {
	var tenant string
	var f audit.Filter
	var since, until string
	list := &cobra.Command{
		Use: "list [--tenant NAME] [--actor FINGERPRINT|apikey:ID|LABEL] [--target TEXT] [--action PREFIX] " +
			"[--since WHEN] [--until WHEN] [--limit N] [--before SEQ|--after SEQ]",
		Short: "List audit entries, oldest first, a page of at most 100 at a time",
		Long: `List audit entries, oldest first: the newest --limit entries (at most 100)
that match every filter given. --before SEQ shows the page before entry SEQ,
--after SEQ the page after it. A tenant's entries are numbered on their own:
1, 2, 3, … The whole log in one piece leaves only through an approved export
(export request audit), under the four-eyes rule.

  --actor    an admin key's fingerprint (SHA256:...) or API key (apikey:ID),
             exactly, or part of the admin's label, in any case
  --target   part of the target, e.g. a Parley ID
  --action   the start of the action, e.g. "user." or "export.approve"
  --since    from this time on: YYYY-MM-DD (UTC) or RFC 3339
  --until    before this time; a day (YYYY-MM-DD) includes that whole day

With --json, every entry comes with its before and after documents and its
hashes.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var err error
			if f.Since, err = parseAuditTime(since, "--since", false); err != nil {
				return err
			}
			if f.Until, err = parseAuditTime(until, "--until", true); err != nil {
				return err
			}
			switch {
			case f.Limit < 0 || f.Limit > audit.MaxLimit:
				return fmt.Errorf("--limit %d: give 1 to %d entries (0: %d); page on with --before or --after, "+
					"or export the whole log with an approved export", f.Limit, audit.MaxLimit, audit.DefaultLimit)
			case f.Before > 0 && f.After > 0:
				return fmt.Errorf("give --before or --after, not both")
			}
			es, err := e.s.deps.Admin.Audit(e.ctx, tenant, f)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(apijson.AuditEntries(es))
			}
			if len(es) == 0 {
				return e.done(nil, "No audit entries match.")
			}
			page := f.Limit
			if page == 0 {
				page = audit.DefaultLimit
			}
			rows := [][]string{{"SEQ", "TIME (UTC)", "ACTOR/LABEL", "ACTION", "TARGET"}}
			for _, en := range es {
				who := en.Actor
				if en.Label != "" {
					who = en.Label
				}
				rows = append(rows, []string{fmt.Sprint(en.Seq), en.Time.UTC().Format(time.DateTime), who, en.Action, dash(en.Target)})
			}
			if err := e.table(rows); err != nil {
				return err
			}
			if len(es) == page {
				fmt.Fprintf(e.out(), "A page of %d: older entries with --before %d, newer with --after %d.\n",
					page, es[0].Seq, es[len(es)-1].Seq)
			}
			return nil
		},
	}
	list.Flags().StringVar(&f.Actor, "actor", "", "an admin key's fingerprint, apikey:ID, or part of an admin's label")
	list.Flags().StringVar(&f.Target, "target", "", "part of the target, e.g. a Parley ID")
	list.Flags().StringVar(&f.Action, "action", "", `the start of the action, e.g. "user."`)
	list.Flags().StringVar(&since, "since", "", "from this time on: YYYY-MM-DD (UTC) or RFC 3339")
	list.Flags().StringVar(&until, "until", "", "before this time; a day includes the whole day")
	list.Flags().IntVar(&f.Limit, "limit", audit.DefaultLimit, "the newest N matching entries, at most 100")
	list.Flags().Uint64Var(&f.Before, "before", 0, "the page before this entry number")
	list.Flags().Uint64Var(&f.After, "after", 0, "the page after this entry number")

	var anchors []string
	verify := &cobra.Command{
		Use:   "verify [--tenant NAME]",
		Short: "Check the audit log's hash chain: exit status 1 when an entry was changed, inserted or removed",
		Long: `Check the whole audit log: every entry must link to the hash of the one
before it, hash to what it says, and the last one must be the recorded head.
Any change, insertion or removal of an entry — down to a single byte — breaks
the chain: the command then names the first broken entry and exits with
status 1. The log is one chain for the whole instance, so the check covers
every tenant's entries; a tenant admin sees its own tenant's count, head and
broken entry, numbered in the tenant's own sequence (1, 2, 3, …), and
anchors of a tenant use those numbers.

Someone who can write the database file could rewrite the chain from some
entry on and its head, so that it chains again. To detect that, keep the
anchor this command prints (SEQ:HASH of the last entry) somewhere outside the
server — a ticket, a daily e-mail — and pass it later with --anchor: the
entry it names must still have that hash.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var as []audit.Anchor
			for _, s := range anchors {
				a, err := audit.ParseAnchor(s)
				if err != nil {
					return err
				}
				as = append(as, a)
			}
			r, err := e.s.deps.Admin.VerifyAudit(e.ctx, tenant, as...)
			if err != nil {
				return err
			}
			anchor := ""
			if r.OK && r.Entries > 0 {
				anchor = audit.Anchor{Seq: r.Entries, Hash: r.Head}.String()
			}
			if e.json {
				if err := e.printJSON(apijson.AuditReport{OK: r.OK, Entries: r.Entries, BadSeq: r.BadSeq, Problem: r.Problem, Anchor: anchor}); err != nil {
					return err
				}
				if !r.OK {
					fmt.Fprintf(e.sess.Stderr(), "error: the audit log is broken at entry %d: %s\n", r.BadSeq, r.Problem)
					return exitError(1)
				}
				return nil
			}
			if !r.OK {
				return fmt.Errorf("the audit log is broken at entry %d: %s", r.BadSeq, r.Problem)
			}
			if anchor == "" {
				return e.done(nil, "The audit log is empty.")
			}
			return e.done(nil, "The audit log is intact: %d entries, every link and hash checked.\nAnchor (keep it outside the server; check later with --anchor): %s", r.Entries, anchor)
		},
	}
	verify.Flags().StringArrayVar(&anchors, "anchor", nil, "SEQ:HASH printed by an earlier verify: that entry must still have that hash (repeatable)")

	var request string
	export := &cobra.Command{
		Use:   "export --tenant NAME --request ID > audit.jsonl",
		Short: "Carry out an approved export of the tenant's audit log: one JSON object per line",
		Long: `Carry out an export of the tenant's audit log that another admin approved
(see: export request audit). Only the key that requested it may, once, within
a day of the approval. It writes every entry of the tenant, oldest first, as
one JSON object per line, with the before and after documents as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.s.deps.Admin.ExportAudit(e.ctx, tenant, request, e.out())
		},
	}
	export.Flags().StringVar(&request, "request", "", "the approved export request's ID (export list shows it)")
	_ = export.MarkFlagRequired("request")

	cmd := group("audit", "List, verify and export the audit log", list, verify, export)
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant; instance admins: every tenant)")
	return cmd
}

// parseAuditTime reads --since and --until: an RFC 3339 time, or a day
// (UTC); as an end, a day includes the whole day.
func parseAuditTime(s, flag string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: use YYYY-MM-DD or an RFC 3339 time such as 2030-03-04T05:06:07Z", flag, s)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}
