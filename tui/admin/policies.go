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

// subject is the user whose policies and quiet hours are shown.
type subject struct {
	id   crypto.ID
	name string
}

// subjectID is the user the policy calls are about; nil: the tenant.
func (m *Model) subjectID() *crypto.ID {
	if m.subject == nil {
		return nil
	}
	id := m.subject.id
	return &id
}

// subjectKey tells results for one subject from those for another.
func (m *Model) subjectKey() string {
	if m.subject == nil {
		return ""
	}
	return m.subject.id.String()
}

// who names the subject in titles and messages.
func (m *Model) who() string {
	if m.subject == nil {
		return "the tenant"
	}
	if m.subject.name == "" {
		return m.subject.id.String()
	}
	return cleanLine(m.subject.name) + " (" + m.subject.id.String() + ")"
}

// subjectMsg switches the two screens to a user, or back to the tenant.
type subjectMsg struct {
	tenant string
	to     *subject
}

// chooseSubject asks for a Parley ID: the user selected on the users
// screen, typed over or emptied for the tenant's values.
func (m *Model) chooseSubject() tea.Cmd {
	prefill := ""
	if m.subject != nil {
		prefill = m.subject.id.String()
	}
	if u, ok := m.target(); ok {
		prefill = u.ID.String()
	}
	f := m.newForm("Policies and quiet hours of a user", []string{"Parley ID"}, []string{prefill}, func(v []string) (tea.Cmd, string) {
		svc, ctx, tenant := m.o.Service, m.o.Context, m.tenant.Name
		if v[0] == "" {
			return func() tea.Msg { return subjectMsg{tenant: tenant} }, ""
		}
		ids, problem := parseIDs(v[0])
		if problem != "" || len(ids) != 1 {
			return nil, "Give one Parley ID (8 characters A-Z, 0-9), or none for the tenant."
		}
		id := ids[0]
		return func() tea.Msg {
			d, err := svc.User(ctx, tenant, id)
			if err != nil {
				return doneMsg{tenant: tenant, err: err}
			}
			return subjectMsg{tenant: tenant, to: &subject{id: id, name: d.Name}}
		}, ""
	})
	f.hint = []string{"Pre-filled with the user selected on the Users screen. Empty: the tenant's values."}
	m.dialog = f
	return f.inputs[0].Focus()
}

func (m *Model) gotSubject(msg subjectMsg) tea.Cmd {
	if msg.tenant != m.tenant.Name {
		return nil
	}
	m.dialog = nil
	m.subject = msg.to
	m.pol.list, m.pol.load, m.pol.cur = nil, loadState{}, cursor{}
	m.quiet = quietState{}
	m.setInfo("Showing the values of " + m.who() + ".")
	return m.reload()
}

// --- the policies screen ---

// policiesState is the policies screen: every key's effective value for
// the subject, filtered by name.
type policiesState struct {
	keys map[string]PolicyKey // the registry, fetched once
	load loadState
	list []PolicyValue
	cur  cursor // among the rows the filter shows

	filter     textinput.Model
	filtering  bool
	filterText string
}

type policiesMsg struct {
	tenant, who string
	list        []PolicyValue
	err         error
}

func (m *Model) loadPolicies() tea.Cmd {
	if m.pol.keys == nil {
		m.pol.keys = map[string]PolicyKey{}
		for _, k := range m.o.Service.PolicyKeys() {
			m.pol.keys[k.Name] = k
		}
	}
	m.pol.load.loading = true
	svc, ctx, tenant, user, who := m.o.Service, m.o.Context, m.tenant.Name, m.subjectID(), m.subjectKey()
	return func() tea.Msg {
		list, err := svc.Policies(ctx, tenant, user)
		return policiesMsg{tenant: tenant, who: who, list: list, err: err}
	}
}

func (m *Model) gotPolicies(msg policiesMsg) {
	p := &m.pol
	if msg.tenant != m.tenant.Name || msg.who != m.subjectKey() {
		return
	}
	got(&p.load, msg.err)
	if msg.err != nil {
		m.loadFailed(msg.err)
		return
	}
	var sel string
	if v, ok := m.selectedPolicy(); ok {
		sel = v.Key
	}
	p.list = msg.list
	if i := slices.IndexFunc(m.policyRowsShown(), func(v PolicyValue) bool { return v.Key == sel }); i >= 0 {
		p.cur.sel = i
	}
	p.cur.clamp(len(m.policyRowsShown()))
	p.cur.follow(m.policyRows())
}

// policyRowsShown are the keys the filter lets through.
func (m *Model) policyRowsShown() []PolicyValue {
	p := &m.pol
	if p.filterText == "" {
		return p.list
	}
	needle := strings.ToLower(p.filterText)
	var out []PolicyValue
	for _, v := range p.list {
		if strings.Contains(strings.ToLower(v.Key), needle) || strings.Contains(strings.ToLower(p.keys[v.Key].Description), needle) {
			out = append(out, v)
		}
	}
	return out
}

func (m *Model) selectedPolicy() (PolicyValue, bool) {
	rows := m.policyRowsShown()
	if i := m.pol.cur.sel; i < len(rows) {
		return rows[i], true
	}
	return PolicyValue{}, false
}

// policyKey is the registry's entry for a key; a key the registry does
// not know is edited as text.
func (m *Model) policyKey(name string) PolicyKey {
	if k, ok := m.pol.keys[name]; ok {
		return k
	}
	return PolicyKey{Name: name, Type: PolicyString}
}

// policyDetail is the number of lines under the table that describe the
// selected key, in a body h lines high.
func policyDetail(h int) int {
	if h < 12 {
		return 0
	}
	return 4
}

// policyRows is how many keys the screen shows.
func (m *Model) policyRows() int {
	h := m.bodyHeight()
	return max(1, h-2-policyDetail(h))
}

func (m *Model) policiesKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	p := &m.pol
	switch {
	case key.Matches(msg, k.Back):
		m.clearStatus()
		switch {
		case p.filterText != "":
			p.filterText, p.cur = "", cursor{}
		case m.subject != nil:
			tenant := m.tenant.Name
			return func() tea.Msg { return subjectMsg{tenant: tenant} }
		}
		return nil
	case key.Matches(msg, k.Filter):
		p.filter = newInput(m.th, "Filter: ", p.filterText)
		p.filter.Placeholder = "part of a key's name or description"
		p.filter.SetWidth(max(1, m.w-12))
		p.filtering = true
		return p.filter.Focus()
	case key.Matches(msg, k.Subject):
		return m.chooseSubject()
	}
	if p.cur.navigate(k, msg, len(m.policyRowsShown()), m.policyRows()) {
		return nil
	}
	v, ok := m.selectedPolicy()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, k.EditValue):
		return m.editPolicy(v)
	case key.Matches(msg, k.Unset):
		return m.unsetPolicy(v)
	}
	return nil
}

// policiesFilterKey edits the filter; it applies as it is typed.
func (m *Model) policiesFilterKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	p := &m.pol
	switch {
	case key.Matches(msg, k.Cancel):
		p.filtering = false
		return nil
	case key.Matches(msg, k.Apply):
		p.filtering = false
		p.filterText = strings.TrimSpace(p.filter.Value())
		p.cur = cursor{}
		return nil
	}
	var cmd tea.Cmd
	p.filter, cmd = p.filter.Update(msg)
	return cmd
}

// setPolicy sends a value to the service.
func (m *Model) setPolicy(name, value string) tea.Cmd {
	user, who := m.subjectID(), m.who()
	return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
		v, err := svc.SetPolicy(ctx, tenant, user, name, value)
		if err != nil {
			return doneMsg{err: err}
		}
		return doneMsg{ok: fmt.Sprintf("%s is %s for %s.", v.Key, orDash(v.Value), who)}
	})
}

// editPolicy changes a value the way its type wants: a bool toggles,
// an enum is picked from its values, anything else is typed.
func (m *Model) editPolicy(v PolicyValue) tea.Cmd {
	pk := m.policyKey(v.Key)
	who := m.who()
	switch pk.Type {
	case PolicyBool:
		next := "true"
		if v.Value == "true" {
			next = "false"
		}
		lines := []string{fmt.Sprintf("Now %s (%s). ", v.Value, v.Source) + pk.Description}
		if m.subject != nil && !pk.PerUser {
			lines = append(lines, "This key cannot be set per user: the server will refuse it.")
		}
		m.dialog = &confirmDialog{
			title: fmt.Sprintf("Set %s to %s for %s?", v.Key, next, who),
			lines: lines,
			run:   m.setPolicy(v.Key, next),
		}
		return nil
	case PolicyEnum:
		if len(pk.Enum) > 0 {
			d := &pickDialog{title: fmt.Sprintf("%s for %s", v.Key, who), options: pk.Enum, note: pk.Description,
				pick: func(value string) tea.Cmd { return m.setPolicy(v.Key, value) }}
			d.cur.sel = max(0, slices.Index(pk.Enum, v.Value))
			m.dialog = d
			return nil
		}
	}
	f := m.newForm(fmt.Sprintf("%s for %s", v.Key, who), []string{"Value"}, []string{v.Value}, func(vals []string) (tea.Cmd, string) {
		if vals[0] == v.Value {
			return nil, "Nothing changed."
		}
		return m.setPolicy(v.Key, vals[0]), ""
	})
	f.hint = []string{m.keySummary(pk)}
	if pk.Description != "" {
		f.hint = append(f.hint, pk.Description)
	}
	if pk.Type == PolicySchedule {
		f.hint = append(f.hint, "The Quiet hours screen edits this with a preview.")
	}
	m.dialog = f
	return f.inputs[0].Focus()
}

// unsetPolicy removes the subject's own value, after a confirmation.
func (m *Model) unsetPolicy(v PolicyValue) tea.Cmd {
	own := SourceGlobal
	after := fmt.Sprintf("It goes back to its default: %s.", orDash(m.policyKey(v.Key).Default))
	if m.subject != nil {
		own = SourceIndividual
		after = "The user gets the tenant's value again."
	}
	if v.Source != own {
		m.setInfo(fmt.Sprintf("%s has no value of %s's own: nothing to unset.", v.Key, m.who()))
		return nil
	}
	user, who, name := m.subjectID(), m.who(), v.Key
	m.dialog = &confirmDialog{
		title: fmt.Sprintf("Unset %s for %s?", name, who),
		lines: []string{fmt.Sprintf("The value %s is removed. %s", orDash(v.Value), after)},
		run: m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
			if err := svc.UnsetPolicy(ctx, tenant, user, name); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: fmt.Sprintf("Unset %s for %s.", name, who)}
		}),
	}
	return nil
}

// keySummary is a key's type, default and scope on one line.
func (m *Model) keySummary(k PolicyKey) string {
	parts := []string{k.Name, k.Type}
	if k.Type == PolicyEnum && len(k.Enum) > 0 {
		parts[1] = "one of " + strings.Join(k.Enum, ", ")
	}
	parts = append(parts, "default "+orDash(k.Default))
	switch {
	case !k.PerUser && m.subject != nil:
		parts = append(parts, "tenant only, not per user")
	case !k.PerUser:
		parts = append(parts, "tenant only")
	default:
		parts = append(parts, "may be set per user")
	}
	return strings.Join(parts, " · ")
}

func (m *Model) sourceCell(source string) cell {
	switch source {
	case SourceGlobal:
		return styled(source, m.th.Info)
	case SourceIndividual:
		return styled(source, m.th.Success)
	}
	return styled(source, m.th.Muted)
}

func (m *Model) policiesView(h int) ([]string, *tea.Cursor) {
	th := m.th
	p := &m.pol
	title := "Policies · " + m.who()
	rows := m.policyRowsShown()
	note := ""
	if p.load.loaded {
		note = fmt.Sprintf("%d %s", len(rows), plural(len(rows), "key", "keys"))
		if p.filterText != "" || m.subject != nil {
			note += " · esc back"
		}
	}
	var lines []string
	var cur *tea.Cursor
	switch {
	case p.filtering:
		lines = append(lines, " "+p.filter.View())
		if c := p.filter.Cursor(); c != nil {
			c.X++
			cur = c
		}
	case p.filterText != "":
		lines = append(lines, m.titleLine(title+" · filter: "+p.filterText, note))
	default:
		lines = append(lines, m.titleLine(title, note))
	}
	if p.load.err != nil && !p.load.loaded {
		return append(lines, "", th.Error.Render(fit(" "+errText(p.load.err), m.w))), cur
	}
	if !p.load.loaded {
		return append(lines, "", th.Muted.Render(" Loading…")), cur
	}
	if len(rows) == 0 {
		return append(lines, "", th.Muted.Render(" No key matches the filter.")), cur
	}
	detail := policyDetail(h)
	cols := []column{{title: "KEY", width: 25}, {title: "VALUE", flex: 1}, {title: "SOURCE", width: 10}, {title: "PER USER", width: 8}}
	if m.w < 60 {
		cols[0].width, cols[3].width = 20, 0
		cols[3].title = ""
	}
	lines = append(lines, m.table(cols, len(rows), func(i int) []cell {
		v := rows[i]
		pk := m.policyKey(v.Key)
		value := cell{text: cleanLine(v.Value)}
		if v.Value == "" {
			value = styled("—", th.Muted)
		}
		per := styled("yes", th.Muted)
		if !pk.PerUser {
			per = styled("no", th.Muted)
			if m.subject != nil {
				per = styled("no", th.Warning)
			}
		}
		return []cell{{text: v.Key}, value, m.sourceCell(v.Source), per}
	}, p.cur, !p.filtering, m.w, h-len(lines)-detail)...)
	if detail == 0 {
		return lines, cur
	}
	v, _ := m.selectedPolicy()
	pk := m.policyKey(v.Key)
	for len(lines) < h-detail {
		lines = append(lines, "")
	}
	lines = append(lines, "")
	sum := m.keySummary(pk)
	lines = append(lines, th.Title.Render(fit(" "+sum, m.w)))
	if m.subject != nil && !pk.PerUser {
		// The scope is the point here: say it before the description.
		lines[len(lines)-1] = th.Warning.Render(fit(" "+sum, m.w))
	}
	desc := wrap(pk.Description, m.w-2)
	for i := range 2 {
		l := ""
		if i < len(desc) {
			l = desc[i]
			if i == 1 && len(desc) > 2 {
				l = fit(l+" …", m.w-2)
			}
		}
		lines = append(lines, th.Muted.Render(" "+l))
	}
	return lines, cur
}

// --- a list to pick from ---

// pickDialog picks one of a few values; the pick is sent at once.
type pickDialog struct {
	title   string
	note    string
	options []string
	cur     cursor
	pick    func(string) tea.Cmd
}

func (d *pickDialog) update(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Cancel):
		m.dialog = nil
		m.setInfo("Cancelled: nothing changed.")
	case key.Matches(msg, k.Pick):
		m.dialog = nil
		m.setInfo("Working…")
		return d.pick(d.options[d.cur.sel])
	default:
		d.cur.navigate(k, msg, len(d.options), len(d.options))
	}
	return nil
}

func (d *pickDialog) body(m *Model, w int) (string, []string, *tea.Cursor) {
	th := m.th
	var lines []string
	for _, l := range wrap(d.note, w) {
		lines = append(lines, th.Muted.Render(l))
	}
	if len(lines) > 0 {
		lines = append(lines, "")
	}
	for i, o := range d.options {
		if i == d.cur.sel {
			lines = append(lines, th.Selected.Render(padRight(fit("› "+cleanLine(o), w), w)))
			continue
		}
		lines = append(lines, th.Text.Render(fit("  "+cleanLine(o), w)))
	}
	return d.title, lines, nil
}

func (d *pickDialog) help(k *keyMap) []helpItem { return items(k.Up, k.Pick, k.Cancel) }
