package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
)

// usersState is the users screen: the list, its filter, and the open user
// with its devices.
type usersState struct {
	load loadState
	list []User
	cur  cursor
	// more says users follow the list: moving past its end loads them.
	// want is how many the list should hold, so that a reload keeps the
	// pages loaded so far (0: one page).
	more bool
	want int

	filter     textinput.Model
	filtering  bool
	applied    UserFilter
	filterText string

	detail     *UserDetail // the open user; nil: the list
	detailLoad loadState
	devCur     cursor
}

type (
	usersMsg struct {
		tenant string
		filter UserFilter
		list   []User
		more   bool
		err    error
	}
	userMsg struct {
		tenant string
		id     crypto.ID
		detail UserDetail
		err    error
	}
)

func (m *Model) filtering() bool {
	return (m.tab == tabUsers && m.users.filtering) || (m.tab == tabAudit && m.audit.filtering) ||
		(m.tab == tabPolicies && m.pol.filtering)
}

func (m *Model) loadUsers() tea.Cmd {
	m.users.load.loading = true
	svc, ctx, tenant, f, want := m.o.Service, m.o.Context, m.tenant.Name, m.users.applied, m.users.want
	list := func() tea.Msg {
		var all []User
		var after crypto.ID
		for {
			page, next, err := svc.UsersPage(ctx, tenant, f, after)
			if err != nil {
				return usersMsg{tenant: tenant, filter: f, err: err}
			}
			all = append(all, page...)
			if next.IsZero() || len(page) == 0 || len(all) >= want {
				return usersMsg{tenant: tenant, filter: f, list: all, more: !next.IsZero() && len(page) > 0}
			}
			after = next
		}
	}
	if m.users.detail == nil {
		return list
	}
	return tea.Batch(list, m.loadUser(m.users.detail.ID))
}

func (m *Model) loadUser(id crypto.ID) tea.Cmd {
	m.users.detailLoad.loading = true
	svc, ctx, tenant := m.o.Service, m.o.Context, m.tenant.Name
	return func() tea.Msg {
		d, err := svc.User(ctx, tenant, id)
		return userMsg{tenant: tenant, id: id, detail: d, err: err}
	}
}

func (m *Model) gotUsers(msg usersMsg) {
	u := &m.users
	if msg.tenant != m.tenant.Name || msg.filter != u.applied {
		return // another tenant or filter since
	}
	got(&u.load, msg.err)
	if msg.err != nil {
		m.loadFailed(msg.err)
		return
	}
	// Keep the same user selected when the list changes around it.
	var selID crypto.ID
	if u.cur.sel < len(u.list) {
		selID = u.list[u.cur.sel].ID
	}
	u.list, u.more = msg.list, msg.more
	if i := slices.IndexFunc(u.list, func(x User) bool { return x.ID == selID }); i >= 0 {
		u.cur.sel = i
	}
	u.cur.clamp(len(u.list))
	u.cur.follow(m.listRows())
}

func (m *Model) gotUser(msg userMsg) {
	u := &m.users
	if msg.tenant != m.tenant.Name || u.detail == nil || u.detail.ID != msg.id {
		return
	}
	got(&u.detailLoad, msg.err)
	if msg.err != nil {
		m.loadFailed(msg.err)
		return
	}
	d := msg.detail
	u.detail = &d
	u.devCur.clamp(len(d.Devices))
	u.devCur.follow(m.deviceRows())
}

// moreUsers loads the next page once the selection reached the last
// user loaded and more follow.
func (m *Model) moreUsers() tea.Cmd {
	u := &m.users
	if !u.more || u.load.loading || u.cur.sel < len(u.list)-1 {
		return nil
	}
	u.want = len(u.list) + 1 // the next page: the service's page size
	return m.loadUsers()
}

// target is the user an action is about: the open one, or the selected row.
func (m *Model) target() (User, bool) {
	u := &m.users
	if u.detail != nil {
		return u.detail.User, true
	}
	if u.cur.sel < len(u.list) {
		return u.list[u.cur.sel], true
	}
	return User{}, false
}

func (m *Model) usersKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	u := &m.users
	if u.detail != nil {
		switch {
		case key.Matches(msg, k.Back):
			u.detail = nil
			m.clearStatus()
			return nil
		case key.Matches(msg, k.RemoveDev):
			return m.removeDevice()
		}
		if u.devCur.navigate(k, msg, len(u.detail.Devices), m.deviceRows()) {
			return nil
		}
	} else {
		switch {
		case key.Matches(msg, k.Back):
			m.clearStatus()
			if u.filterText != "" {
				u.filterText, u.applied = "", UserFilter{}
				u.list, u.load, u.more, u.want = nil, loadState{}, false, 0
				return m.loadUsers()
			}
			return nil
		case key.Matches(msg, k.Filter):
			u.filter = newInput(m.th, "Filter: ", u.filterText)
			u.filter.Placeholder = "name (* and ? allowed) or #tag"
			u.filter.SetWidth(max(1, m.w-12))
			u.filtering = true
			return u.filter.Focus()
		case key.Matches(msg, k.Open):
			if sel, ok := m.target(); ok {
				u.detail = &UserDetail{User: sel}
				u.detailLoad = loadState{}
				u.devCur = cursor{}
				m.clearStatus()
				return m.loadUser(sel.ID)
			}
			return nil
		case key.Matches(msg, k.New):
			return m.createUserForm()
		}
		if u.cur.navigate(k, msg, len(u.list), m.listRows()) {
			return m.moreUsers()
		}
	}
	sel, ok := m.target()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, k.Edit):
		return m.editUserForm(sel)
	case key.Matches(msg, k.Code):
		return m.reissueCode(sel)
	case key.Matches(msg, k.Revoke):
		return m.revokeUser(sel)
	case key.Matches(msg, k.Delete):
		m.dialog = &deleteDialog{user: sel}
	}
	return nil
}

// filterKey edits the filter of the users or the audit screen.
func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	switch m.tab {
	case tabAudit:
		return m.auditFilterKey(msg)
	case tabPolicies:
		return m.policiesFilterKey(msg)
	}
	u := &m.users
	switch {
	case key.Matches(msg, k.Cancel):
		u.filtering = false
		return nil
	case key.Matches(msg, k.Apply):
		u.filtering = false
		u.filterText = strings.TrimSpace(u.filter.Value())
		u.applied = parseUserFilter(u.filterText)
		u.cur, u.list, u.load, u.more, u.want = cursor{}, nil, loadState{}, false, 0 // no stale rows under the new filter
		return m.loadUsers()
	}
	var cmd tea.Cmd
	u.filter, cmd = u.filter.Update(msg)
	return cmd
}

// parseUserFilter reads "#tag" and a name pattern, in any order.
func parseUserFilter(s string) UserFilter {
	var f UserFilter
	var name []string
	for _, w := range strings.Fields(s) {
		if t, ok := strings.CutPrefix(w, "#"); ok && t != "" {
			f.Tag = t
			continue
		}
		name = append(name, w)
	}
	f.Name = strings.Join(name, " ")
	return f
}

// --- actions ---

func (m *Model) createUserForm() tea.Cmd {
	f := m.newForm("New user", []string{"Name", "E-mail", "Tags"}, nil, func(v []string) (tea.Cmd, string) {
		spec := UserSpec{Name: v[0], Email: v[1], Tags: splitTags(v[2])}
		return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
			nu, err := svc.CreateUser(ctx, tenant, spec)
			if err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: fmt.Sprintf("Created %s (%s).", nu.User.Name, nu.User.ID),
				show: func(m *Model) dialog {
					return m.codeInfo("User created", nu, "The user enrols their own SSH key with:")
				}}
		}), ""
	})
	f.hint = []string{"The e-mail address must be in one of the tenant's domains. Tags: words, separated by spaces or commas."}
	m.dialog = f
	return f.inputs[0].Focus()
}

func (m *Model) editUserForm(u User) tea.Cmd {
	tags := strings.Join(u.Tags, " ")
	f := m.newForm("Edit "+u.Name+" · "+u.ID.String(), []string{"Name", "E-mail", "Tags"}, []string{u.Name, u.Email, tags},
		func(v []string) (tea.Cmd, string) {
			var c UserChange
			if v[0] != u.Name {
				c.Name = &v[0]
			}
			if v[1] != u.Email {
				c.Email = &v[1]
			}
			if t := splitTags(v[2]); strings.Join(t, " ") != tags {
				c.Tags = &t
			}
			if c == (UserChange{}) {
				return nil, "Nothing changed."
			}
			return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				nu, err := svc.EditUser(ctx, tenant, u.ID, c)
				if err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: fmt.Sprintf("Updated %s (%s).", nu.Name, nu.ID)}
			}), ""
		})
	f.hint = []string{"Tags: words, separated by spaces or commas; empty removes them."}
	m.dialog = f
	return f.inputs[0].Focus()
}

func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func (m *Model) reissueCode(u User) tea.Cmd {
	m.setInfo("Issuing a new activation code…")
	return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
		nu, err := svc.ReissueCode(ctx, tenant, u.ID)
		if err != nil {
			return doneMsg{err: err}
		}
		what := "The user enrols their own SSH key with:"
		if nu.User.Status == "active" {
			what = "A code to add a device: the user confirms it with their passphrase, on the new device:"
		}
		return doneMsg{ok: fmt.Sprintf("New activation code for %s (%s).", nu.User.Name, nu.User.ID),
			show: func(m *Model) dialog { return m.codeInfo("New activation code", nu, what) }}
	})
}

// codeInfo shows an activation code once.
func (m *Model) codeInfo(title string, nu NewUser, what string) *infoDialog {
	th := m.th
	return &infoDialog{title: title, lines: []string{
		th.Muted.Render("Name:            ") + th.Text.Render(cleanLine(nu.User.Name)),
		th.Muted.Render("Parley ID:       ") + th.Text.Render(nu.User.ID.String()),
		th.Muted.Render("Activation code: ") + th.Title.Render(cleanLine(nu.Code)),
		th.Muted.Render("Expires:         ") + th.Text.Render(m.when(nu.ExpiresAt)),
		"",
		th.Text.Render(what),
		th.Text.Render("  " + cleanLine(m.o.ActivateCommand) + " activate " + cleanLine(nu.Code)),
		"",
		th.Warning.Render("The code is single use and shown only now."),
	}}
}

func (m *Model) revokeUser(u User) tea.Cmd {
	m.dialog = &confirmDialog{
		title: "Revoke the ID of " + cleanLine(u.Name) + "?",
		lines: []string{
			fmt.Sprintf("The Parley ID %s is revoked. This cannot be undone: the ID never works again, and contacts see it as revoked.", u.ID),
			map[bool]string{true: "Its device stays bound but can no longer open sessions.",
				false: fmt.Sprintf("Its %d devices stay bound but can no longer open sessions.", u.Devices)}[u.Devices == 1],
		},
		run: m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
			ru, err := svc.RevokeUser(ctx, tenant, u.ID)
			if err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: fmt.Sprintf("Revoked %s (%s). This cannot be undone.", ru.Name, ru.ID)}
		}),
	}
	return nil
}

func (m *Model) removeDevice() tea.Cmd {
	d := m.users.detail
	if d == nil || m.users.devCur.sel >= len(d.Devices) {
		return nil
	}
	dev := d.Devices[m.users.devCur.sel]
	id, name, others := d.ID, d.Name, len(d.Devices)-1
	m.dialog = &confirmDialog{
		title: "Remove a device of " + cleanLine(name) + "?",
		lines: []string{
			"The SSH key " + dev.Fingerprint + " can no longer open sessions as " + id.String() + ".",
			fmt.Sprintf("The user and %s stay as they are.", map[bool]string{true: "its other devices", false: "its ID"}[others > 0]),
		},
		run: m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
			if err := svc.RemoveDevice(ctx, tenant, id, dev.Fingerprint); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: "Removed device " + dev.Fingerprint + " of " + id.String() + "."}
		}),
	}
	return nil
}

// deleteDialog asks the seeds' two questions, then what will happen.
type deleteDialog struct {
	user    User
	step    int // 0: keep the ID? 1: keep the app? 2: confirm
	keepID  bool
	keepApp bool
}

func (d *deleteDialog) update(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	if key.Matches(msg, k.Cancel) {
		m.dialog = nil
		m.setInfo("Cancelled: nothing changed.")
		return nil
	}
	switch d.step {
	case 0, 1:
		yes, no := key.Matches(msg, k.Yes), key.Matches(msg, k.No)
		if !yes && !no {
			return nil
		}
		if d.step == 0 {
			d.keepID = yes
		} else {
			d.keepApp = yes
		}
		d.step++
	case 2:
		switch {
		case key.Matches(msg, k.Confirm):
			u, keepID, keepApp := d.user, d.keepID, d.keepApp
			m.dialog = nil
			m.setInfo("Working…")
			return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
				du, err := svc.DeleteUser(ctx, tenant, u.ID, keepID, keepApp)
				if err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{back: true, ok: fmt.Sprintf("Removed %s (%s): ID %s, devices %s.", du.Name, du.ID,
					map[bool]string{true: "kept (detached)", false: "revoked"}[keepID], map[bool]string{true: "kept", false: "removed"}[keepApp])}
			})
		case key.Matches(msg, k.No):
			m.dialog = nil
			m.setInfo("Cancelled: nothing changed.")
		}
	}
	return nil
}

func (d *deleteDialog) body(m *Model, w int) (string, []string, *tea.Cursor) {
	th := m.th
	u := d.user
	devs := fmt.Sprintf("%d %s", u.Devices, plural(u.Devices, "device", "devices"))
	var lines []string
	add := func(st func(...string) string, s string) {
		for _, l := range wrap(s, w) {
			lines = append(lines, st(l))
		}
	}
	answer := func(q string, yes bool) {
		a := "no"
		if yes {
			a = "yes"
		}
		lines = append(lines, th.Muted.Render(fit(q+" ", w-len(a)))+th.Text.Render(a))
	}
	option := func(k, s string) {
		for i, l := range wrap(s, w-5) {
			prefix := "     "
			if i == 0 {
				prefix = "  " + k + "  "
			}
			lines = append(lines, th.Text.Render(prefix+l))
		}
	}
	switch d.step {
	case 0:
		add(th.Text.Render, "May the user keep the Parley ID "+u.ID.String()+"?")
		lines = append(lines, "")
		option("y", "yes: the ID leaves the tenant's directory and license, and stays valid.")
		option("n", "no: the ID is revoked. This cannot be undone: contacts see it as revoked.")
	case 1:
		answer("Keep the ID?", d.keepID)
		lines = append(lines, "")
		add(th.Text.Render, "May the user keep using the app?")
		lines = append(lines, "")
		option("y", "yes: the "+devs+" stay, so the user can still open their history.")
		option("n", "no: the "+devs+" are removed: no session can open.")
	default:
		answer("Keep the ID?", d.keepID)
		answer("Keep using the app?", d.keepApp)
		lines = append(lines, "")
		add(th.Text.Render, "This will:")
		if d.keepID {
			add(th.Text.Render, "• detach "+u.ID.String()+": it leaves the tenant's directory and license and stays valid")
		} else {
			add(th.Error.Render, "• revoke "+u.ID.String()+": irreversible, contacts see it as revoked")
		}
		if d.keepApp {
			add(th.Text.Render, "• keep the "+devs)
		} else {
			add(th.Error.Render, "• remove the "+devs+": no session can open")
		}
		lines = append(lines, "")
		add(th.Warning.Render, "Press y to delete, n or esc to cancel.")
	}
	return "Delete " + cleanLine(u.Name) + " (" + u.ID.String() + ")", lines, nil
}

func (d *deleteDialog) help(k *keyMap) []helpItem {
	if d.step < 2 {
		return items(k.Yes, k.No, k.Cancel)
	}
	return items(k.Confirm, k.Cancel)
}

// --- views ---

func (m *Model) usersView(h int) ([]string, *tea.Cursor) {
	u := &m.users
	if u.detail != nil {
		return m.userDetailView(h), nil
	}
	th := m.th
	note := ""
	if u.load.loaded {
		note = fmt.Sprintf("%d %s", len(u.list), plural(len(u.list), "user", "users"))
		if u.more {
			note = fmt.Sprintf("first %d users · more below", len(u.list))
		}
	}
	var lines []string
	var cur *tea.Cursor
	switch {
	case u.filtering:
		lines = append(lines, " "+u.filter.View())
		if c := u.filter.Cursor(); c != nil {
			c.X++
			cur = c
		}
	case u.filterText != "":
		lines = append(lines, m.titleLine("Users · filter: "+u.filterText, note+" · esc clears"))
	default:
		lines = append(lines, m.titleLine("Users", note))
	}
	if u.load.err != nil && !u.load.loaded {
		return append(lines, "", th.Error.Render(fit(" "+errText(u.load.err), m.w))), cur
	}
	if !u.load.loaded {
		return append(lines, "", th.Muted.Render(" Loading…")), cur
	}
	if len(u.list) == 0 {
		msg := " No users yet: press n to create one."
		if u.filterText != "" {
			msg = " No user matches the filter."
		}
		return append(lines, "", th.Muted.Render(msg)), cur
	}
	cols := []column{{title: "ID", width: 8}, {title: "NAME", flex: 5}, {title: "E-MAIL", flex: 5}, {title: "STATUS", width: 8}, {title: "DEV", width: 3, right: true}}
	if m.w < 60 {
		cols[2].flex = 0
	}
	lines = append(lines, m.table(cols, len(u.list), func(i int) []cell {
		x := u.list[i]
		return []cell{{text: x.ID.String()}, {text: cleanLine(x.Name)}, styled(cleanLine(x.Email), th.Muted),
			m.statusCell(x.Status), {text: fmt.Sprint(x.Devices)}}
	}, u.cur, !u.filtering, m.w, h-1)...)
	return lines, cur
}

func (m *Model) statusCell(s string) cell {
	switch s {
	case "active":
		return styled(s, m.th.Success)
	case "pending":
		return styled(s, m.th.Warning)
	case "revoked":
		return styled(s, m.th.Error)
	}
	return styled(s, m.th.Muted)
}

// detailFields are the label and value rows of the open user.
func (m *Model) detailFields(d *UserDetail) [][2]string {
	rows := [][2]string{{"Status", d.Status}, {"E-mail", orDash(d.Email)}}
	var names []string
	for _, p := range [][2]string{{"first", d.FirstName}, {"last", d.LastName}, {"nickname", d.Nickname}} {
		if p[1] != "" {
			names = append(names, p[0]+" "+p[1])
		}
	}
	name := d.Name
	if len(names) > 0 {
		name += " (" + strings.Join(names, ", ") + ")"
	}
	rows = append(rows, [2]string{"Name", name})
	if d.Category != "" {
		rows = append(rows, [2]string{"Category", d.Category})
	}
	if len(d.Tags) > 0 {
		rows = append(rows, [2]string{"Tags", "#" + strings.Join(d.Tags, " #")})
	}
	rows = append(rows, [2]string{"Created", m.when(d.Created)})
	if !d.Activated.IsZero() {
		rows = append(rows, [2]string{"Activated", m.when(d.Activated)})
	}
	if !d.Removed.IsZero() {
		rows = append(rows, [2]string{"Removed", m.when(d.Removed)})
	}
	return rows
}

// deviceRows is how many devices the detail screen shows.
func (m *Model) deviceRows() int {
	d := m.users.detail
	if d == nil {
		return 1
	}
	return max(1, m.bodyHeight()-len(m.detailFields(d))-4)
}

func (m *Model) userDetailView(h int) []string {
	th := m.th
	d := m.users.detail
	lines := []string{m.titleLine(d.Name+" · "+d.ID.String(), "esc back")}
	if d.Created.IsZero() && !m.users.detailLoad.loaded {
		if err := m.users.detailLoad.err; err != nil {
			return append(lines, "", th.Error.Render(fit(" "+errText(err), m.w)))
		}
		return append(lines, "", th.Muted.Render(" Loading…"))
	}
	for _, f := range m.detailFields(d) {
		v := th.Text.Render(cleanLine(f[1]))
		if f[0] == "Status" {
			c := m.statusCell(f[1])
			v = c.style.Render(f[1])
		}
		lines = append(lines, "   "+th.Muted.Render(padRight(f[0], 11))+v)
	}
	lines = append(lines, "", th.Title.Render(fmt.Sprintf(" Devices (%d)", len(d.Devices))))
	if len(d.Devices) == 0 {
		return append(lines, th.Muted.Render("   No devices: the user has not enrolled an SSH key."))
	}
	cols := []column{{title: "DEVICE (SSH KEY)", flex: 1}, {title: "ADDED", width: 10}, {title: "LAST ACTIVE", width: 16}}
	return append(lines, m.table(cols, len(d.Devices), func(i int) []cell {
		dv := d.Devices[i]
		return []cell{{text: dv.Fingerprint}, styled(m.day(dv.Added), th.Muted), {text: m.when(dv.LastSeen)}}
	}, m.users.devCur, true, m.w, h-len(lines))...)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
