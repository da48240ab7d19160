package admin

import (
	"slices"

	"charm.land/bubbles/v2/key"
)

// keyMap holds every binding of the console; the help bar and the full
// help are rendered from it.
type keyMap struct {
	Quit      key.Binding
	ForceQuit key.Binding
	Help      key.Binding
	Back      key.Binding
	NextTab   key.Binding
	PrevTab   key.Binding
	Screens   key.Binding // 1-8, help only
	Tab       [tabCount]key.Binding
	Tenant    key.Binding
	Refresh   key.Binding

	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding
	Open     key.Binding
	Filter   key.Binding

	New       key.Binding
	Edit      key.Binding
	Code      key.Binding
	Revoke    key.Binding
	Delete    key.Binding
	RemoveDev key.Binding
	AddAdmin  key.Binding
	RemoveAdm key.Binding
	Rename    key.Binding
	AddMember key.Binding
	RemoveMem key.Binding
	Verify    key.Binding
	RevokeKey key.Binding
	Detail    key.Binding
	EditValue key.Binding
	Unset     key.Binding
	Subject   key.Binding

	// In text inputs and dialogs.
	Submit    key.Binding
	Apply     key.Binding
	Cancel    key.Binding
	NextField key.Binding
	PrevField key.Binding
	Yes       key.Binding
	No        key.Binding
	Confirm   key.Binding
	Close     key.Binding
	Verify2FA key.Binding
	Pick      key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	one := func(k, desc string) key.Binding { return b([]string{k}, k, desc) }
	km := keyMap{
		Quit:      one("q", "quit"),
		ForceQuit: b([]string{"ctrl+c"}, "^c", "quit"),
		Help:      one("?", "help"),
		Back:      one("esc", "back"),
		NextTab:   b([]string{"tab"}, "tab", "next screen"),
		PrevTab:   b([]string{"shift+tab"}, "⇧tab", "previous screen"),
		Screens:   key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8"), key.WithHelp("1-8", "screens")),
		Tenant:    one("t", "switch tenant"),
		Refresh:   b([]string{"ctrl+r"}, "^r", "refresh"),

		Up:       b([]string{"up", "k"}, "↑/↓", "select"),
		Down:     b([]string{"down", "j"}, "↓", "down"),
		PageUp:   b([]string{"pgup"}, "pgup/pgdn", "page"),
		PageDown: b([]string{"pgdown"}, "pgdn", "page down"),
		Home:     b([]string{"home", "g"}, "home/end", "first/last"),
		End:      b([]string{"end", "G"}, "end", "last"),
		Open:     one("enter", "open"),
		Filter:   one("/", "filter"),

		New:       one("n", "new"),
		Edit:      one("e", "edit"),
		Code:      one("c", "new code"),
		Revoke:    one("r", "revoke ID"),
		Delete:    one("d", "delete"),
		RemoveDev: one("x", "remove device"),
		AddAdmin:  one("a", "add admin"),
		RemoveAdm: one("x", "remove"),
		Rename:    one("r", "rename"),
		AddMember: one("a", "add member"),
		RemoveMem: one("x", "remove member"),
		Verify:    one("v", "verify chain"),
		RevokeKey: one("x", "revoke"),
		Detail:    one("enter", "details"),
		EditValue: b([]string{"enter", "e"}, "enter/e", "edit"),
		Unset:     one("u", "unset"),
		Subject:   one("U", "user…"),

		Submit:    one("enter", "save"),
		Apply:     one("enter", "apply"),
		Cancel:    one("esc", "cancel"),
		NextField: b([]string{"tab", "down"}, "tab/↓", "next field"),
		PrevField: b([]string{"shift+tab", "up"}, "⇧tab/↑", "previous field"),
		Yes:       one("y", "yes"),
		No:        one("n", "no"),
		Confirm:   b([]string{"y"}, "y", "confirm"),
		Close:     b([]string{"enter", "esc"}, "enter", "close"),
		Verify2FA: one("enter", "verify"),
		Pick:      one("enter", "choose"),
	}
	for i := range km.Tab {
		n := string(rune('1' + i))
		km.Tab[i] = key.NewBinding(key.WithKeys(n), key.WithHelp(n, tabName(tab(i))))
	}
	return km
}

// helpItem is a binding in the help bar; perm, when set, greys it out
// for roles without that permission.
type helpItem struct {
	b    key.Binding
	perm Perm
}

func items(bs ...key.Binding) []helpItem {
	out := make([]helpItem, len(bs))
	for i, b := range bs {
		out[i] = helpItem{b: b}
	}
	return out
}

func guarded(p Perm, bs ...key.Binding) []helpItem {
	out := items(bs...)
	for i := range out {
		out[i].perm = p
	}
	return out
}

// screenHelp is what the help bar shows for the current screen, and the
// screen's own group of the full help.
func (m *Model) screenHelp() (short, full []helpItem) {
	k := &m.keys
	tail := items(k.Help, k.Quit)
	switch {
	case m.phase == phaseCode:
		return items(k.Verify2FA, k.ForceQuit), nil
	case m.phase == phasePicker:
		s := items(k.Up, k.Pick)
		if m.tenant.Name != "" {
			s = append(s, items(k.Back)...)
		}
		return append(s, k.quitItem()...), nil
	case m.phase != phaseConsole:
		return items(k.Quit), nil
	case m.dialog != nil:
		return m.dialog.help(k), nil
	case m.filtering():
		return items(k.Apply, k.Cancel), nil
	}
	switch m.tab {
	case tabDashboard:
		full = items(k.Refresh)
		short = items(k.Screens, k.NextTab, k.Refresh)
	case tabUsers:
		if m.users.detail != nil {
			short = append(guarded(PermDevicesWrite, k.RemoveDev), guarded(PermUsersWrite, k.Edit, k.Code, k.Revoke, k.Delete)...)
			full = append(append(items(k.Up), short...), items(k.Back)...)
			break
		}
		full = append(items(k.Up, k.Open, k.Filter), guarded(PermUsersWrite, k.New, k.Edit, k.Code, k.Revoke, k.Delete)...)
		short = append(items(k.Open, k.Filter), guarded(PermUsersWrite, k.New, k.Edit, k.Code, k.Delete)...)
	case tabAdmins:
		full = append(items(k.Up), guarded(PermAdminsWrite, k.AddAdmin, k.RemoveAdm)...)
		short = full
	case tabGroups:
		if m.groups.open != "" {
			short = append(guarded(PermGroupMembers, k.AddMember, k.RemoveMem), guarded(PermGroupsWrite, k.Rename, k.Delete)...)
			full = append(append(items(k.Up), short...), items(k.Back)...)
			break
		}
		full = append(items(k.Up, k.Open), guarded(PermGroupsWrite, k.New, k.Rename, k.Delete)...)
		short = full
	case tabAudit:
		full = items(k.Up, k.Detail, k.Filter, k.Verify)
		short = full
	case tabAPIKeys:
		full = append(items(k.Up), guarded(PermAPIKeysWrite, k.New, k.RevokeKey)...)
		short = full
	case tabPolicies:
		short = append(append(items(k.Filter), guarded(PermPoliciesWrite, k.EditValue, k.Unset)...), items(k.Subject)...)
		full = append(items(k.Up), short...)
		if m.subject != nil || m.pol.filterText != "" {
			full = append(full, k.backItem())
		}
	case tabQuiet:
		short = append(guarded(PermPoliciesWrite, k.Edit, k.Unset), items(k.Subject)...)
		// Enter opens the same form as e.
		full = append(slices.Clone(short), guarded(PermPoliciesWrite, k.Open)...)
		if m.subject != nil {
			full = append(full, k.backItem())
		}
	}
	return append(short, tail...), full
}

func (k *keyMap) quitItem() []helpItem { return items(k.Quit) }

func (k *keyMap) backItem() helpItem { return helpItem{b: k.Back} }

// globalHelp is the full help's group of keys that work on every screen.
func (k *keyMap) globalHelp(tenants int) []key.Binding {
	out := []key.Binding{k.Screens, k.NextTab, k.PrevTab, k.Refresh}
	if tenants > 1 {
		out = append(out, k.Tenant)
	}
	return append(out, k.PageUp, k.Home, k.Back, k.Help, k.Quit, k.ForceQuit)
}
