package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	xterm "github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/tui/local"
)

func chatCmd() *cobra.Command {
	var o local.Options
	var activate, exportKey, importKey string
	var migrate, link bool
	cmd := &cobra.Command{
		Use:   "chat [flags] [user@]host[:port]",
		Short: "Chat in local mode: your secret key and history stay on this machine",
		Long: `parley chat runs the chat on this terminal. Your secret key and your history
live on this machine, under $XDG_DATA_HOME/parley/<host>/ (default
~/.local/share/parley/<host>/), sealed with your passphrase; the server relays
sealed envelopes and never sees the key.

It connects as ssh does: keys from your ssh-agent or -i FILE, ~/.ssh/config
(Host aliases, User, Port, IdentityFile, IdentitiesOnly), ~/.ssh/known_hosts
with trust on first use; a changed host key is refused.

Enrol this machine once with the activation code your admin gave you:

  parley chat --activate CODE host

then chat with:

  parley chat host

A hosted account (enrolled with ssh host activate CODE) moves here with

  parley chat --migrate host

which asks its passphrase, keeps the key on this machine, and has the server
delete its copy: hosted sessions stop for that account. To use this machine
as one more device and keep hosted sessions, link it instead:

  parley chat --link host

Every device then receives every message and shows what the others sent.

A local-mode account gets another machine from a device that holds its key:

  parley chat --export-key FILE host                  (on that device)
  parley chat --activate CODE --import FILE host      (on the new machine)

with an add-device code from your admin. FILE holds the key sealed with a
passphrase you choose for it; carry it over yourself and delete it after.`,
		Args: cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if n := btoi(migrate) + btoi(link) + btoi(activate != "") + btoi(exportKey != ""); n > 1 {
				return errors.New("--activate, --migrate, --link and --export-key exclude each other")
			}
			if importKey != "" && activate == "" {
				return errors.New("--import FILE goes with --activate CODE (an add-device code from your admin)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Target = args[0]
			o.Version = buildVersion()
			p := &ttyPrompt{in: os.Stdin, out: os.Stderr}
			o.Prompt = p
			if migrate {
				a, err := local.Migrate(cmd.Context(), o)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Moved %s (%s) to this machine: the server no longer holds your key.\nChat with: parley chat %s\n",
					a.Name, a.UserID, o.Target)
				return nil
			}
			if link {
				a, err := local.Link(cmd.Context(), o)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "This machine is now a device of %s (%s); your hosted sessions go on working.\nChat with: parley chat %s\n",
					a.Name, a.UserID, o.Target)
				return nil
			}
			if exportKey != "" {
				a, err := local.ExportKey(o, exportKey)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Wrote the key of %s (%s) to %s, sealed with the passphrase you chose.\nOn the new machine: parley chat --activate CODE --import %s %s\nDelete the file once that machine is enrolled.\n",
					a.Name, a.UserID, exportKey, filepath.Base(exportKey), o.Target)
				return nil
			}
			if importKey != "" {
				a, err := local.ImportDevice(cmd.Context(), o, activate, importKey)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "This machine is now a device of %s (%s) of %s.\nChat with: parley chat %s\n",
					a.Name, a.UserID, a.Tenant, o.Target)
				return nil
			}
			if activate != "" {
				a, err := local.Activate(cmd.Context(), o, activate)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Enrolled as %s (%s) of %s. Your secret key was made on this machine and stays here.\nChat with: parley chat %s\n",
					a.Name, a.UserID, a.Tenant, o.Target)
				return nil
			}
			return local.Chat(cmd.Context(), o, local.Terminal{In: os.Stdin, Out: os.Stdout})
		},
	}
	f := cmd.Flags()
	f.StringVar(&activate, "activate", "", "enrol this machine with an activation `CODE`")
	f.BoolVar(&migrate, "migrate", false, "move your hosted account's key from the server to this machine")
	f.StringVar(&exportKey, "export-key", "", "write this machine's key of the account to `FILE`, sealed, for another machine of yours")
	f.StringVar(&importKey, "import", "", "with --activate: enrol this machine with the key `FILE` of --export-key")
	f.BoolVar(&link, "link", false, "copy your hosted account's key to this machine as one more device; hosted sessions keep working")
	f.StringVarP(&o.Dial.IdentityFile, "identity", "i", "", "SSH private key `FILE` to authenticate with")
	f.StringVarP(&o.Dial.ConfigFile, "config", "F", "", "SSH config `FILE` (default ~/.ssh/config)")
	f.StringVar(&o.DataDir, "data", "", "local data `DIR` (default $XDG_DATA_HOME/parley)")
	return cmd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ttyPrompt asks on the terminal: secrets without echo; lines from a
// pipe when standard input is not a terminal.
type ttyPrompt struct {
	in  *os.File
	out io.Writer
	r   *bufio.Reader
}

func (p *ttyPrompt) line() (string, error) {
	if p.r == nil {
		p.r = bufio.NewReader(p.in)
	}
	s, err := p.r.ReadString('\n')
	if err != nil && s == "" {
		return "", fmt.Errorf("read the answer: %w", err)
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (p *ttyPrompt) Secret(prompt string) ([]byte, error) {
	fmt.Fprint(p.out, prompt)
	if xterm.IsTerminal(p.in.Fd()) {
		b, err := xterm.ReadPassword(p.in.Fd())
		fmt.Fprintln(p.out)
		if err != nil {
			return nil, fmt.Errorf("read the passphrase: %w", err)
		}
		return b, nil
	}
	s, err := p.line()
	return []byte(s), err
}

func (p *ttyPrompt) Confirm(question string) (bool, error) {
	fmt.Fprint(p.out, question)
	for {
		s, err := p.line()
		if err != nil {
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "yes":
			return true, nil
		case "no", "":
			return false, nil
		}
		fmt.Fprint(p.out, "Please type 'yes' or 'no': ")
	}
}

func (p *ttyPrompt) Say(text string) { fmt.Fprintln(p.out, text) }
