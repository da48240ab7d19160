package sshd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/store"
)

// apikeyJSON is an API key as apikey list and revoke print it: never the
// key itself, nor its hash.
type apikeyJSON struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Label     string    `json:"label,omitempty"`
	Scopes    []string  `json:"scopes"`
	Status    string    `json:"status"` // active or revoked
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	LastUsed  time.Time `json:"last_used,omitzero"` // to the minute
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

func toAPIKeyJSON(k store.APIKey, tenant string) apikeyJSON {
	scopes := k.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return apikeyJSON{ID: k.ID, Tenant: tenant, Label: k.Label, Scopes: scopes, Status: apikeyStatus(k),
		CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy, LastUsed: k.LastUsed, RevokedAt: k.RevokedAt}
}

// newAPIKeyJSON is a created key with its secret, which apikey create
// prints once.
type newAPIKeyJSON struct {
	apikeyJSON
	Key string `json:"key"`
}

func apikeyStatus(k store.APIKey) string {
	if k.RevokedAt.IsZero() {
		return "active"
	}
	return "revoked"
}

// scopeHelp lists the API scopes with what each allows.
func scopeHelp() string {
	var b strings.Builder
	for _, p := range admin.APIScopes() {
		fmt.Fprintf(&b, "  %-16s %s\n", p, p.Description())
	}
	return b.String()
}

func (e *cmdEnv) apikeyCmd() *cobra.Command {
	var tenant, label string
	var scopes []string
	create := &cobra.Command{
		Use:   `create --tenant NAME --scope SCOPE... [--label "what it is for"]`,
		Short: "Create a key for the HTTP admin API; it is shown once",
		Long: `Create an API key for the HTTP admin API (/api/v1/ on the HTTP listener).
The key belongs to one tenant and may do what its scopes allow, and no more
than you may do yourself. Give --scope once per scope, or comma-separated.
The key is printed once and only its hash is stored: keep it in a secret
store. Requests send it as "Authorization: Bearer <key>".

Scopes:
` + scopeHelp(),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			nk, err := e.s.deps.Admin.CreateAPIKey(e.ctx, tenant, scopes, label)
			if err != nil {
				return err
			}
			name := e.tenantName(tenant)
			const warning = "This is the only time the key is shown: store it now. Only its hash is kept; a lost key cannot be recovered, only revoked and replaced."
			if e.json {
				fmt.Fprintln(e.sess.Stderr(), "warning: "+warning)
				return e.printJSON(newAPIKeyJSON{apikeyJSON: toAPIKeyJSON(nk.Key, name), Key: nk.Secret})
			}
			_, err = fmt.Fprintf(e.out(), `Created API key %s for tenant %s (scopes: %s).

    %s

%s
Send it as:  Authorization: Bearer <key>
`, nk.Key.ID, name, strings.Join(nk.Key.Scopes, ", "), nk.Secret, warning)
			return err
		},
	}
	create.Flags().StringSliceVar(&scopes, "scope", nil, "a scope the key gets (repeatable, or comma-separated)")
	create.Flags().StringVar(&label, "label", "", "what the key is for, shown in lists and the audit log")
	_ = create.MarkFlagRequired("scope")

	list := &cobra.Command{
		Use:   "list [--tenant NAME]",
		Short: "List a tenant's API keys (never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ks, err := e.s.deps.Admin.APIKeys(e.ctx, tenant)
			if err != nil {
				return err
			}
			name := e.tenantName(tenant)
			if e.json {
				out := make([]apikeyJSON, 0, len(ks))
				for _, k := range ks {
					out = append(out, toAPIKeyJSON(k, name))
				}
				return e.printJSON(out)
			}
			rows := [][]string{{"ID", "LABEL", "STATUS", "SCOPES", "CREATED", "LAST USED"}}
			for _, k := range ks {
				rows = append(rows, []string{k.ID, dash(k.Label), apikeyStatus(k), strings.Join(k.Scopes, ","),
					k.CreatedAt.Format(time.DateOnly), lastSeen(k.LastUsed)})
			}
			return e.table(rows)
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke [--tenant NAME] ID",
		Short: "Revoke an API key: it stops working at once (irreversible)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			k, err := e.s.deps.Admin.RevokeAPIKey(e.ctx, tenant, args[0])
			if err != nil {
				return err
			}
			return e.done(toAPIKeyJSON(k, e.tenantName(tenant)), "Revoked API key %s%s. Requests with it are refused from now on.",
				k.ID, apikeyLabelNote(k.Label))
		},
	}

	cmd := group("apikey", "Manage keys for the HTTP admin API", create, list, revoke)
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant name (default: your only tenant)")
	return cmd
}

func apikeyLabelNote(label string) string {
	if label == "" {
		return ""
	}
	return " (" + label + ")"
}
