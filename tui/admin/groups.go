package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
)

// groupsState is the groups screen: the list, and the open group's members.
type groupsState struct {
	load      loadState
	list      []Group
	cur       cursor
	open      string // the open group's ID; "": the list
	memberCur cursor
}

type groupsMsg struct {
	tenant string
	list   []Group
	err    error
}

func (m *Model) loadGroups() tea.Cmd {
	m.groups.load.loading = true
	svc, ctx, tenant := m.o.Service, m.o.Context, m.tenant.Name
	return func() tea.Msg {
		list, err := svc.Groups(ctx, tenant)
		return groupsMsg{tenant: tenant, list: list, err: err}
	}
}

func (m *Model) gotGroups(msg groupsMsg) {
	g := &m.groups
	if msg.tenant != m.tenant.Name {
		return
	}
	got(&g.load, msg.err)
	if msg.err != nil {
		m.loadFailed(msg.err)
		return
	}
	g.list = msg.list
	g.cur.clamp(len(g.list))
	g.cur.follow(m.listRows())
	if g.open != "" {
		if og := m.openGroup(); og == nil {
			g.open = "" // deleted elsewhere
		} else {
			g.memberCur.clamp(len(og.Members))
			g.memberCur.follow(m.memberRows())
		}
	}
}

// openGroup is the group whose members are shown, or nil.
func (m *Model) openGroup() *Group {
	g := &m.groups
	if i := slices.IndexFunc(g.list, func(x Group) bool { return x.ID == g.open }); g.open != "" && i >= 0 {
		return &g.list[i]
	}
	return nil
}

// selectedGroup is the group an action is about: the open one, or the selected row.
func (m *Model) selectedGroup() *Group {
	if og := m.openGroup(); og != nil {
		return og
	}
	if g := &m.groups; g.cur.sel < len(g.list) {
		return &g.list[g.cur.sel]
	}
	return nil
}

func (m *Model) memberRows() int { return max(1, m.listRows()-2) }

func (m *Model) groupsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	g := &m.groups
	og := m.openGroup()
	switch {
	case key.Matches(msg, k.Back):
		g.open = ""
		m.clearStatus()
		return nil
	case og == nil && key.Matches(msg, k.Open):
		if sel := m.selectedGroup(); sel != nil {
			g.open, g.memberCur = sel.ID, cursor{}
			m.clearStatus()
		}
		return nil
	case og == nil && key.Matches(msg, k.New):
		f := m.newForm("New managed group", []string{"Name"}, nil, func(v []string) (tea.Cmd, string) {
			name := v[0]
			return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				ng, err := svc.CreateGroup(ctx, tenant, name)
				if err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: "Created the group " + ng.Name + "."}
			}), ""
		})
		m.dialog = f
		return f.inputs[0].Focus()
	case og != nil && key.Matches(msg, k.AddMember):
		id, name := og.ID, og.Name
		f := m.newForm("Add members to "+cleanLine(name), []string{"Parley IDs"}, nil, func(v []string) (tea.Cmd, string) {
			ids, problem := parseIDs(v[0])
			if problem != "" {
				return nil, problem
			}
			return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				if _, err := svc.AddGroupMembers(ctx, tenant, id, ids); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: fmt.Sprintf("Added %d %s to %s.", len(ids), plural(len(ids), "member", "members"), name)}
			}), ""
		})
		f.hint = []string{"One or more Parley IDs, separated by spaces."}
		m.dialog = f
		return f.inputs[0].Focus()
	case og != nil && key.Matches(msg, k.RemoveMem):
		if g.memberCur.sel >= len(og.Members) {
			return nil
		}
		mem := og.Members[g.memberCur.sel]
		id, name := og.ID, og.Name
		who := mem.ID.String()
		if mem.Name != "" {
			who = mem.Name + " (" + who + ")"
		}
		m.dialog = &confirmDialog{
			title: "Remove " + cleanLine(who) + " from " + cleanLine(name) + "?",
			lines: []string{"The user leaves the managed group " + name + " and no longer receives its messages. The user stays as it is."},
			run: m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				if _, err := svc.RemoveGroupMembers(ctx, tenant, id, []crypto.ID{mem.ID}); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: "Removed " + who + " from " + name + "."}
			}),
		}
		return nil
	}
	if og != nil {
		if g.memberCur.navigate(k, msg, len(og.Members), m.memberRows()) {
			return nil
		}
	} else if g.cur.navigate(k, msg, len(g.list), m.listRows()) {
		return nil
	}
	sel := m.selectedGroup()
	if sel == nil {
		return nil
	}
	id, name, members := sel.ID, sel.Name, len(sel.Members)
	switch {
	case key.Matches(msg, k.Rename):
		f := m.newForm("Rename "+cleanLine(name), []string{"New name"}, []string{name}, func(v []string) (tea.Cmd, string) {
			newName := v[0]
			if newName == name {
				return nil, "Nothing changed."
			}
			return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				ng, err := svc.RenameGroup(ctx, tenant, id, newName)
				if err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: "Renamed " + name + " to " + ng.Name + "."}
			}), ""
		})
		m.dialog = f
		return f.inputs[0].Focus()
	case key.Matches(msg, k.Delete):
		m.dialog = &confirmDialog{
			title: "Delete the group " + cleanLine(name) + "?",
			lines: []string{fmt.Sprintf("The managed group %s and its membership list (%d %s) are deleted. The members stay users of the tenant.",
				name, members, plural(members, "member", "members"))},
			run: m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				if err := svc.DeleteGroup(ctx, tenant, id); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{back: true, ok: "Deleted the group " + name + "."}
			}),
		}
	}
	return nil
}

// parseIDs reads Parley IDs separated by spaces or commas.
func parseIDs(s string) ([]crypto.ID, string) {
	var ids []crypto.ID
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
		id, err := crypto.ParseID(strings.ToUpper(w))
		if err != nil {
			return nil, fmt.Sprintf("%q is not a Parley ID (8 characters A-Z, 0-9).", w)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, "Give at least one Parley ID."
	}
	return ids, ""
}

func (m *Model) groupsView(h int) []string {
	th := m.th
	g := &m.groups
	if lines, ok := m.state("Managed groups", g.load); ok {
		return lines
	}
	if og := m.openGroup(); og != nil {
		lines := []string{m.titleLine(og.Name, "esc back"),
			th.Muted.Render(fit(fmt.Sprintf("   %s · created %s · %d %s", og.ID, m.day(og.Created), len(og.Members), plural(len(og.Members), "member", "members")), m.w)), ""}
		if len(og.Members) == 0 {
			return append(lines, th.Muted.Render(" No members yet: press a to add some."))
		}
		cols := []column{{title: "ID", width: 8}, {title: "NAME", flex: 1}}
		return append(lines, m.table(cols, len(og.Members), func(i int) []cell {
			mem := og.Members[i]
			return []cell{{text: mem.ID.String()}, {text: cleanLine(orDash(mem.Name))}}
		}, g.memberCur, true, m.w, h-len(lines))...)
	}
	lines := []string{m.titleLine("Managed groups", fmt.Sprintf("%d %s", len(g.list), plural(len(g.list), "group", "groups")))}
	if len(g.list) == 0 {
		return append(lines, "", th.Muted.Render(" No managed groups yet: press n to create one."))
	}
	cols := []column{{title: "NAME", flex: 2}, {title: "MEMBERS", width: 7, right: true}, {title: "CREATED", width: 10}, {title: "ID", flex: 1}}
	return append(lines, m.table(cols, len(g.list), func(i int) []cell {
		x := g.list[i]
		return []cell{{text: cleanLine(x.Name)}, {text: fmt.Sprint(len(x.Members))}, styled(m.day(x.Created), th.Muted), styled(x.ID, th.Muted)}
	}, g.cur, true, m.w, h-1)...)
}
