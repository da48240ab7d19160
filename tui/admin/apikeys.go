package admin

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// apiKeysState is the API keys screen.
type apiKeysState struct {
	load loadState
	list []APIKey
	cur  cursor
}

type apiKeysMsg struct {
	tenant string
	list   []APIKey
	err    error
}

func (m *Model) loadAPIKeys() tea.Cmd {
	m.apikeys.load.loading = true
	svc, ctx, tenant := m.o.Service, m.o.Context, m.tenant.Name
	return func() tea.Msg {
		list, err := svc.APIKeys(ctx, tenant)
		return apiKeysMsg{tenant: tenant, list: list, err: err}
	}
}

func (m *Model) gotAPIKeys(msg apiKeysMsg) {
	if msg.tenant != m.tenant.Name {
		return
	}
	got(&m.apikeys.load, msg.err)
	if msg.err != nil {
		m.loadFailed(msg.err)
		return
	}
	m.apikeys.list = msg.list
	m.apikeys.cur.clamp(len(msg.list))
	m.apikeys.cur.follow(m.listRows())
}

func (m *Model) apiKeysKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	a := &m.apikeys
	switch {
	case key.Matches(msg, k.Back):
		m.clearStatus()
	case key.Matches(msg, k.New):
		scopes := m.o.Service.APIScopes()
		f := m.newForm("New API key", []string{"Label", "Scopes"}, []string{"", strings.Join(scopes, " ")}, func(v []string) (tea.Cmd, string) {
			label, sc := v[0], strings.Fields(strings.ReplaceAll(v[1], ",", " "))
			return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				nk, err := svc.CreateAPIKey(ctx, tenant, label, sc)
				if err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: "Created the API key " + nk.Key.ID + ".", show: func(m *Model) dialog { return m.secretInfo(nk) }}
			}), ""
		})
		f.hint = []string{"Scopes, separated by spaces; remove the ones the key does not need. Available: " + strings.Join(scopes, " ")}
		m.dialog = f
		return f.inputs[0].Focus()
	case key.Matches(msg, k.RevokeKey):
		if a.cur.sel >= len(a.list) {
			return nil
		}
		ak := a.list[a.cur.sel]
		m.dialog = &confirmDialog{
			title: "Revoke the API key " + ak.ID + "?",
			lines: []string{"Programs using the key " + ak.ID + " (" + orDash(ak.Label) + ") are refused from now on. This cannot be undone: create a new key instead."},
			run: m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				if err := svc.RevokeAPIKey(ctx, tenant, ak.ID); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: "Revoked the API key " + ak.ID + "."}
			}),
		}
	default:
		a.cur.navigate(k, msg, len(a.list), m.listRows())
	}
	return nil
}

// secretInfo shows a new API key's secret, once.
func (m *Model) secretInfo(nk NewAPIKey) *infoDialog {
	th := m.th
	return &infoDialog{title: "API key created", lines: []string{
		th.Muted.Render("ID:     ") + th.Text.Render(cleanLine(nk.Key.ID)),
		th.Muted.Render("Label:  ") + th.Text.Render(cleanLine(orDash(nk.Key.Label))),
		th.Muted.Render("Scopes: ") + th.Text.Render(cleanLine(strings.Join(nk.Key.Scopes, " "))),
		"",
		th.Muted.Render("Key:"),
		th.Title.Render(cleanLine(nk.Secret)),
		"",
		th.Warning.Render("Copy the key now: it is stored hashed and shown only this once."),
		th.Muted.Render("Programs send it as:  Authorization: Bearer <key>"),
	}}
}

func (m *Model) apiKeysView(h int) []string {
	th := m.th
	a := &m.apikeys
	if lines, ok := m.state("API keys", a.load); ok {
		return lines
	}
	lines := []string{m.titleLine("API keys", fmt.Sprintf("%d %s", len(a.list), plural(len(a.list), "key", "keys")))}
	if len(a.list) == 0 {
		return append(lines, "", th.Muted.Render(" No API keys: press n to create one for the HTTP admin API."))
	}
	cols := []column{{title: "ID", width: 12}, {title: "LABEL", flex: 2}, {title: "SCOPES", flex: 3}, {title: "LAST USED", width: 10}, {title: "STATE", width: 7}}
	return append(lines, m.table(cols, len(a.list), func(i int) []cell {
		k := a.list[i]
		state := styled("active", th.Success)
		if !k.Revoked.IsZero() {
			state = styled("revoked", th.Error)
		}
		used := "never"
		if !k.LastUsed.IsZero() {
			used = m.day(k.LastUsed)
		}
		return []cell{{text: cleanLine(k.ID)}, {text: cleanLine(orDash(k.Label))}, styled(cleanLine(strings.Join(k.Scopes, " ")), th.Muted),
			styled(used, th.Muted), state}
	}, a.cur, true, m.w, h-1)...)
}
