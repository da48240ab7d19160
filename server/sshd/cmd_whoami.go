package sshd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/directory"
)

// userWhoamiCmd is the user's data-access request: everything the server
// stores about the caller, and nothing about anyone else.
func (e *cmdEnv) userWhoamiCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show everything the server stores about you",
		Long: `Shows what the server stores about you: your Parley ID, public key and its
fingerprint, profile, the SHA-256 hash of your linked e-mail address, your
devices (SSH keys) with their last use, the groups you are in and the
policies in effect for you. Your messages are not listed: the server only
holds them encrypted.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if e.p == nil || e.p.User == nil {
				if e.admin {
					return errors.New("this key is not a user's: `admin whoami` shows its roles")
				}
				return errNotChatUser
			}
			if err := e.s.deps.Directory.CanConnect(e.ctx, *e.p.User); err != nil {
				return err // a revoked ID, a suspended tenant: nothing is shown
			}
			w, err := e.s.deps.Directory.Whoami(e.ctx, e.p.User.ID)
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(toUserDataJSON(w))
			}
			return e.printWhoami(w)
		},
	}
}

// userDataJSON is whoami --json; its field names are stable.
type userDataJSON struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	FirstName    string           `json:"first_name,omitempty"`
	LastName     string           `json:"last_name,omitempty"`
	Nickname     string           `json:"nickname,omitempty"`
	Category     string           `json:"category,omitempty"`
	CSI          string           `json:"csi,omitempty"`
	Tags         []string         `json:"tags"`
	Email        string           `json:"email,omitempty"`
	EmailSHA256  []string         `json:"email_sha256"`
	PublicKey    string           `json:"public_key,omitempty"`
	Fingerprint  string           `json:"fingerprint,omitempty"`
	SealedKey    bool             `json:"sealed_key"`
	PendingCode  bool             `json:"pending_activation_code"`
	Tenant       string           `json:"tenant"`
	Organisation string           `json:"organisation"`
	Status       string           `json:"status"`
	CreatedAt    time.Time        `json:"created_at"`
	ActivatedAt  time.Time        `json:"activated_at,omitzero"`
	Devices      []userDeviceJSON `json:"devices"`
	Groups       []userGroupJSON  `json:"groups"`
	Policies     []userPolicyJSON `json:"policies"`
}

type userDeviceJSON struct {
	Fingerprint string    `json:"fingerprint"`
	Label       string    `json:"label"`
	AddedAt     time.Time `json:"added_at"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
}

type userGroupJSON struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Managed bool   `json:"managed"`
	Admin   bool   `json:"admin"`
	Members int    `json:"members"`
}

type userPolicyJSON struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

func toUserDataJSON(w directory.Whoami) userDataJSON {
	out := userDataJSON{
		ID: w.ID.String(), Name: w.Name, FirstName: w.FirstName, LastName: w.LastName, Nickname: w.Nickname,
		Category: w.Category, CSI: w.CSI, Tags: nonNil(w.Tags), Email: w.Email, EmailSHA256: nonNil(w.EmailHashes),
		Fingerprint: w.Fingerprint, SealedKey: w.SealedKey, PendingCode: w.PendingCode, Tenant: w.Tenant,
		Organisation: w.Organisation, Status: string(w.Status), CreatedAt: w.CreatedAt, ActivatedAt: w.ActivatedAt,
		Devices: []userDeviceJSON{}, Groups: []userGroupJSON{}, Policies: []userPolicyJSON{},
	}
	if !w.PublicKey.IsZero() {
		out.PublicKey = w.PublicKey.String()
	}
	for _, d := range w.Devices {
		out.Devices = append(out.Devices, userDeviceJSON{Fingerprint: d.Fingerprint, Label: d.Label, AddedAt: d.AddedAt, LastSeen: d.LastSeen})
	}
	for _, g := range w.Groups {
		out.Groups = append(out.Groups, userGroupJSON{Key: g.Key, Name: g.Name, Managed: g.Managed, Admin: g.Admin,
			Members: g.Members})
	}
	for _, v := range w.Policies {
		out.Policies = append(out.Policies, userPolicyJSON{Key: v.Key, Value: v.Raw, Source: string(v.Source)})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// printWhoami writes the data-access answer for a person.
func (e *cmdEnv) printWhoami(w directory.Whoami) error {
	zone := sessionZone(e.sess.Environ())
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(zone).Format("2006-01-02 15:04 MST")
	}
	var b strings.Builder
	line := func(label, value string) { fmt.Fprintf(&b, "%-16s %s\n", label+":", dash(value)) }
	line("Parley ID", w.ID.String())
	line("Name", w.Name)
	line("First name", w.FirstName)
	line("Last name", w.LastName)
	line("Nickname", w.Nickname)
	line("Category", w.Category)
	if w.CSI != "" {
		line("CSI", w.CSI)
	}
	line("Tags", strings.Join(w.Tags, ", "))
	line("Organisation", w.Organisation)
	line("Status", string(w.Status))
	line("Created", when(w.CreatedAt))
	line("Activated", when(w.ActivatedAt))
	line("E-mail", w.Email)
	line("E-mail SHA-256", strings.Join(w.EmailHashes, ", "))
	if !w.PublicKey.IsZero() {
		line("Public key", w.PublicKey.String())
	}
	line("Fingerprint", w.Fingerprint)
	sealed := "no"
	switch {
	case w.SealedKey:
		sealed = "yes, sealed with your passphrase (the server cannot open it without it)"
	case !w.PublicKey.IsZero():
		sealed = "no, it stays on your own device (local mode)"
	}
	line("Secret key", sealed)
	if w.PendingCode {
		line("Activation", "a code is outstanding")
	}
	fmt.Fprintf(&b, "\nDevices (%d):\n", len(w.Devices))
	for _, d := range w.Devices {
		fmt.Fprintf(&b, "  %s  %s  added %s, last used %s\n", d.Fingerprint, dash(d.Label), when(d.AddedAt), when(d.LastSeen))
	}
	fmt.Fprintf(&b, "\nGroups (%d):\n", len(w.Groups))
	for _, g := range w.Groups {
		var notes []string
		if g.Managed {
			notes = append(notes, "managed")
		}
		if g.Admin {
			notes = append(notes, "you are an admin")
		}
		fmt.Fprintf(&b, "  %s (%s)\n", g.Name, strings.Join(append(notes, memberCount(g.Members)), ", "))
	}
	fmt.Fprintf(&b, "\nPolicies in effect:\n")
	for _, v := range w.Policies {
		fmt.Fprintf(&b, "  %-28s %-12s %s\n", v.Key, dash(v.Raw), v.Source)
	}
	_, err := fmt.Fprint(e.out(), b.String())
	return err
}

// directoryCmd is the company directory for users: `directory find`.
func (e *cmdEnv) directoryCmd() *cobra.Command {
	var tags []string
	var limit int
	find := &cobra.Command{
		Use:   "find QUERY... [--tag TAG]... [--limit N]",
		Short: "Search your organisation's directory by name (wildcards * and ?) or #tag",
		Long: `Searches the company directory: the active users of your organisation and of
the organisations sharing its directory. Every word must match: a name, where
* stands for any run of characters and ? for one ('*mül*' finds Müller; case
and accents do not matter), or a tag written #sales or given with --tag.
Quote the query: your shell treats * and # specially.`,
		Example: `  ssh HOST directory find '*mül*'
  ssh HOST directory find '#sales' --json
  ssh HOST directory find anna --tag berlin`,
		RunE: func(_ *cobra.Command, args []string) error {
			if !e.p.IsUser() {
				return errNotChatUser
			}
			if err := e.s.deps.Directory.CanConnect(e.ctx, *e.p.User); err != nil {
				return err
			}
			words := append([]string(nil), args...)
			for _, t := range tags {
				words = append(words, "#"+strings.TrimPrefix(t, "#"))
			}
			if limit <= 0 || limit > directory.MaxFindLimit {
				return fmt.Errorf("--limit must be between 1 and %d", directory.MaxFindLimit)
			}
			es, err := e.s.deps.Directory.Find(e.ctx, e.p.User.ID, strings.Join(words, " "), limit+1)
			if err != nil {
				return err
			}
			more := len(es) > limit
			if more {
				es = es[:limit]
				fmt.Fprintf(e.sess.Stderr(), "more than %d matches: showing the first %d; narrow the search or raise --limit\n", limit, limit)
			}
			if e.json {
				out := make([]entryJSON, 0, len(es))
				for _, en := range es {
					out = append(out, toEntryJSON(en))
				}
				return e.printJSON(out)
			}
			if len(es) == 0 {
				_, err := fmt.Fprintln(e.out(), "No one matches.")
				return err
			}
			rows := [][]string{{"ID", "NAME", "NICKNAME", "CATEGORY", "TAGS", "ORGANISATION"}}
			for _, en := range es {
				org := "(yours)"
				if !en.Internal {
					org = en.Organisation
				}
				rows = append(rows, []string{en.ID.String(), en.Name, dash(en.Nickname), dash(en.Category),
					dash(strings.Join(en.Tags, ",")), org})
			}
			return e.table(rows)
		},
	}
	find.Flags().StringArrayVar(&tags, "tag", nil, "only users with this tag (repeatable; wildcards allowed)")
	find.Flags().IntVar(&limit, "limit", directory.DefaultFindLimit, "at most this many entries")
	return group("directory", "Search your organisation's directory", find)
}

// entryJSON is one line of directory find --json.
type entryJSON struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Nickname     string   `json:"nickname,omitempty"`
	Category     string   `json:"category,omitempty"`
	Tags         []string `json:"tags"`
	Internal     bool     `json:"internal"`
	Organisation string   `json:"organisation,omitempty"`
}

func toEntryJSON(e directory.Entry) entryJSON {
	return entryJSON{ID: e.ID.String(), Name: e.Name, Nickname: e.Nickname, Category: e.Category, Tags: nonNil(e.Tags),
		Internal: e.Internal, Organisation: e.Organisation}
}
