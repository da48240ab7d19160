package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/tui/bench"
)

func benchCmd() *cobra.Command {
	var c bench.Config
	var mode, adminKey, html string
	cmd := &cobra.Command{
		Use:   "bench --admin-key FILE [flags]",
		Short: "Load a running server the way people do, and report latency, throughput and cost",
		Long: `parley bench enrols its own tenant and users on a running server (with an
admin key), logs them in over real SSH — hosted sessions with a terminal, or
local-mode clients over the parley subsystem — lets --active of them chat in
pairs at --rate messages a second each while the rest stay idle, and reports
the time from send to the text on the recipient's screen (hosted) or in the
recipient's client (local): p50, p99, p99.9, throughput and errors; with
--server-pid (a server on this machine) also its CPU per delivered message
and memory per session. --html writes the report with a latency histogram and
a time series. It talks to loopback only unless --allow-remote, stops by
itself, deletes its users and suspends its tenant.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := os.ReadFile(adminKey)
			if err != nil {
				return fmt.Errorf("admin key: %w", err)
			}
			signer, err := ssh.ParsePrivateKey(b)
			if err != nil {
				return fmt.Errorf("admin key %s: %w (an unencrypted private key is needed)", adminKey, err)
			}
			c.Admin, c.Mode, c.Log = signer, bench.Mode(mode), cmd.ErrOrStderr()
			r, err := bench.Run(cmd.Context(), c)
			if err != nil {
				return err
			}
			if err := r.WriteText(cmd.OutOrStdout()); err != nil {
				return err
			}
			if html != "" {
				if err := r.WriteHTMLFile(html); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "report written to %s\n", html)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.Addr, "addr", "127.0.0.1:2222", "the server's SSH `address`")
	f.BoolVar(&c.AllowRemote, "allow-remote", false, "allow an address that is not on loopback")
	f.StringVar(&adminKey, "admin-key", "", "an instance admin's private key `FILE`")
	f.StringVar(&mode, "mode", "hosted", "hosted (ssh with a terminal) or local (the parley subsystem)")
	f.IntVar(&c.Users, "users", 20, "users logged in")
	f.IntVar(&c.Active, "active", 10, "users among them chatting in pairs (an even number)")
	f.Float64Var(&c.Rate, "rate", 1, "messages a second each active user sends")
	f.DurationVar(&c.Duration, "duration", 30*time.Second, "how long they chat")
	f.IntVar(&c.Parallel, "parallel", 8, "logins in flight at once (at most the server's --max-startups-per-source)")
	f.IntVar(&c.ServerPID, "server-pid", 0, "the server's process ID, when it runs on this machine: CPU and memory")
	f.StringVar(&html, "html", "", "also write the report as HTML to `FILE`")
	_ = cmd.MarkFlagRequired("admin-key")
	return cmd
}
