package admin

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// adminsState is the admins screen.
type adminsState struct {
	load loadState
	list []Admin
	cur  cursor
}

type adminsMsg struct {
	tenant string
	list   []Admin
	err    error
}

func (m *Model) loadAdmins() tea.Cmd {
	m.admins.load.loading = true
	svc, ctx, tenant := m.o.Service, m.o.Context, m.tenant.Name
	return func() tea.Msg {
		list, err := svc.Admins(ctx, tenant)
		return adminsMsg{tenant: tenant, list: list, err: err}
	}
}

func (m *Model) gotAdmins(msg adminsMsg) {
	if msg.tenant != m.tenant.Name {
		return
	}
	got(&m.admins.load, msg.err)
	if msg.err != nil {
		m.loadFailed(msg.err)
		return
	}
	m.admins.list = msg.list
	m.admins.cur.clamp(len(msg.list))
	m.admins.cur.follow(m.listRows())
}

func (m *Model) adminsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	a := &m.admins
	switch {
	case key.Matches(msg, k.Back):
		m.clearStatus()
	case key.Matches(msg, k.AddAdmin):
		th := m.th
		w := m.dialogWidth()
		m.dialog = &infoDialog{title: "Add an admin", lines: []string{
			th.Text.Render("An admin is an SSH public key with a role. Adding one takes the key itself, so it is done with an exec command:"),
			"",
			th.Title.Render(fit(cleanLine(m.o.SSHCommand)+" admin add --tenant "+cleanLine(m.tenant.Name)+" \\", w)),
			th.Title.Render(fit(`    --role ROLE --label "Full Name" < key.pub`, w)),
			"",
			th.Muted.Render("ROLE is one of owner, admin, group-admin (with --group NAME) or auditor."),
		}}
	case key.Matches(msg, k.RemoveAdm):
		if a.cur.sel >= len(a.list) {
			return nil
		}
		ad := a.list[a.cur.sel]
		who := ad.Label
		if who == "" {
			who = ad.Fingerprint
		}
		m.dialog = &confirmDialog{
			title: "Remove the admin " + cleanLine(who) + "?",
			lines: []string{
				fmt.Sprintf("The key %s loses its role %s in %s: it can no longer administer this tenant.", ad.Fingerprint, ad.Role, m.tenant.Name),
				"A chat user with this key stays a chat user. The tenant's last owner cannot be removed.",
			},
			run: m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				if err := svc.RemoveAdmin(ctx, tenant, ad.Fingerprint); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: "Removed the admin " + who + "."}
			}),
		}
	default:
		a.cur.navigate(k, msg, len(a.list), m.listRows())
	}
	return nil
}

func (m *Model) adminsView(h int) []string {
	th := m.th
	a := &m.admins
	if lines, ok := m.state("Admins", a.load); ok {
		return lines
	}
	lines := []string{m.titleLine("Admins", fmt.Sprintf("%d %s", len(a.list), plural(len(a.list), "key", "keys")))}
	if len(a.list) == 0 {
		return append(lines, "", th.Muted.Render(" No admins."))
	}
	cols := []column{{title: "LABEL", flex: 2}, {title: "ROLE", width: 11}, {title: "2FA", width: 3}, {title: "KEY", flex: 3}, {title: "ADDED", width: 10}}
	return append(lines, m.table(cols, len(a.list), func(i int) []cell {
		ad := a.list[i]
		label := ad.Label
		if len(ad.Groups) > 0 {
			label += " (" + strings.Join(ad.Groups, ", ") + ")"
		}
		tfa := styled("off", th.Muted)
		if ad.TwoFactor {
			tfa = styled("on", th.Success)
		}
		return []cell{{text: cleanLine(orDash(label))}, {text: ad.Role}, tfa, styled(ad.Fingerprint, th.Muted), styled(m.day(ad.Added), th.Muted)}
	}, a.cur, true, m.w, h-1)...)
}
