package admin

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// auditState is the audit screen: entries newest first, a filter, and the
// last verification of the hash chain.
type auditState struct {
	load loadState
	list []AuditEntry
	cur  cursor

	filter     textinput.Model
	filtering  bool
	applied    AuditFilter
	filterText string

	report    *AuditReport
	verifying bool
}

type (
	auditMsg struct {
		tenant string
		filter AuditFilter
		list   []AuditEntry
		err    error
	}
	verifyMsg struct {
		tenant string
		report AuditReport
		err    error
	}
)

func (m *Model) loadAudit() tea.Cmd {
	m.audit.load.loading = true
	svc, ctx, tenant, f := m.o.Service, m.o.Context, m.tenant.Name, m.audit.applied
	return func() tea.Msg {
		list, err := svc.Audit(ctx, tenant, f)
		return auditMsg{tenant: tenant, filter: f, list: list, err: err}
	}
}

func (m *Model) gotAudit(msg auditMsg) {
	a := &m.audit
	if msg.tenant != m.tenant.Name || msg.filter != a.applied {
		return
	}
	got(&a.load, msg.err)
	if msg.err != nil {
		m.loadFailed(msg.err)
		return
	}
	a.list = msg.list
	a.cur.clamp(len(a.list))
	a.cur.follow(m.auditRows())
}

func (m *Model) gotVerify(msg verifyMsg) {
	a := &m.audit
	if msg.tenant != m.tenant.Name {
		return
	}
	a.verifying = false
	if msg.err != nil {
		m.setError(msg.err.Error())
		return
	}
	r := msg.report
	a.report = &r
	if r.OK {
		what := "entries"
		if r.Entries == 1 {
			what = "entry"
		}
		m.setOK(fmt.Sprintf("Audit log verified: %d %s, the hash chain is intact.", r.Entries, what))
	} else {
		m.setError(fmt.Sprintf("Audit log broken at entry %d: %s", r.BadSeq, r.Problem))
	}
}

// auditRows is how many entries fit: the list less the verification line.
func (m *Model) auditRows() int {
	if r := m.audit.report; r != nil && !r.OK {
		return max(1, m.listRows()-1)
	}
	return m.listRows()
}

func (m *Model) auditKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	a := &m.audit
	switch {
	case key.Matches(msg, k.Back):
		m.clearStatus()
		if a.filterText != "" {
			a.filterText, a.applied = "", AuditFilter{}
			a.list, a.load = nil, loadState{}
			return m.loadAudit()
		}
	case key.Matches(msg, k.Filter):
		a.filter = newInput(m.th, "Filter: ", a.filterText)
		a.filter.Placeholder = "action prefix (user.), actor:NAME, target:TEXT"
		a.filter.SetWidth(max(1, m.w-12))
		a.filtering = true
		return a.filter.Focus()
	case key.Matches(msg, k.Verify):
		if a.verifying {
			return nil
		}
		a.verifying = true
		m.setInfo("Verifying the audit log's hash chain…")
		svc, ctx, tenant := m.o.Service, m.o.Context, m.tenant.Name
		return func() tea.Msg {
			r, err := svc.VerifyAudit(ctx, tenant)
			return verifyMsg{tenant: tenant, report: r, err: err}
		}
	case key.Matches(msg, k.Detail):
		if a.cur.sel < len(a.list) {
			m.dialog = m.auditEntryDialog(a.list[a.cur.sel])
		}
	default:
		a.cur.navigate(k, msg, len(a.list), m.auditRows())
	}
	return nil
}

func (m *Model) auditFilterKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	a := &m.audit
	switch {
	case key.Matches(msg, k.Cancel):
		a.filtering = false
		return nil
	case key.Matches(msg, k.Apply):
		a.filtering = false
		a.filterText = strings.TrimSpace(a.filter.Value())
		a.applied = parseAuditFilter(a.filterText)
		a.cur, a.list, a.load = cursor{}, nil, loadState{}
		return m.loadAudit()
	}
	var cmd tea.Cmd
	a.filter, cmd = a.filter.Update(msg)
	return cmd
}

// parseAuditFilter reads "actor:X", "target:X" and an action prefix.
func parseAuditFilter(s string) AuditFilter {
	var f AuditFilter
	var action []string
	for _, w := range strings.Fields(s) {
		switch {
		case strings.HasPrefix(w, "actor:"):
			f.Actor = strings.TrimPrefix(w, "actor:")
		case strings.HasPrefix(w, "target:"):
			f.Target = strings.TrimPrefix(w, "target:")
		case strings.HasPrefix(w, "action:"):
			action = append(action, strings.TrimPrefix(w, "action:"))
		default:
			action = append(action, w)
		}
	}
	f.Action = strings.Join(action, " ")
	return f
}

func (m *Model) auditEntryDialog(e AuditEntry) *infoDialog {
	th := m.th
	row := func(k, v string) string {
		return th.Muted.Render(padRight(k, 8)) + th.Text.Render(cleanLine(v))
	}
	lines := []string{
		row("When", m.when(e.Time)),
		row("Action", e.Action),
		row("Target", orDash(e.Target)),
		row("By", actorName(e)),
	}
	if e.Label != "" {
		lines = append(lines, row("Key", e.Actor))
	}
	if e.Before != "" {
		lines = append(lines, "", th.Muted.Render("Before"), th.Text.Render(cleanLine(e.Before)))
	}
	if e.After != "" {
		lines = append(lines, "", th.Muted.Render("After"), th.Text.Render(cleanLine(e.After)))
	}
	return &infoDialog{title: fmt.Sprintf("Audit entry %d", e.Seq), lines: lines}
}

func actorName(e AuditEntry) string {
	if e.Label != "" {
		return e.Label
	}
	return e.Actor
}

func (m *Model) auditView(h int) ([]string, *tea.Cursor) {
	th := m.th
	a := &m.audit
	var lines []string
	var cur *tea.Cursor
	note := ""
	if a.load.loaded {
		note = fmt.Sprintf("%d %s, newest first", len(a.list), plural(len(a.list), "entry", "entries"))
	}
	switch r := a.report; {
	case r == nil:
	case r.OK:
		note += " · chain ok"
	default:
		note += " · chain broken"
	}
	switch {
	case a.filtering:
		lines = append(lines, " "+a.filter.View())
		if c := a.filter.Cursor(); c != nil {
			c.X++
			cur = c
		}
	case a.filterText != "":
		lines = append(lines, m.titleLine("Audit · filter: "+a.filterText, note))
	default:
		lines = append(lines, m.titleLine("Audit log", note))
	}
	if r := a.report; r != nil && !r.OK {
		lines = append(lines, th.Error.Render(fit(fmt.Sprintf(" ✗ Broken at entry %d: %s", r.BadSeq, cleanLine(r.Problem)), m.w)))
	}
	if a.load.err != nil && !a.load.loaded {
		return append(lines, "", th.Error.Render(fit(" "+errText(a.load.err), m.w))), cur
	}
	if !a.load.loaded {
		return append(lines, "", th.Muted.Render(" Loading…")), cur
	}
	if len(a.list) == 0 {
		return append(lines, "", th.Muted.Render(" No entries.")), cur
	}
	cols := []column{{title: "SEQ", width: 5, right: true}, {title: "TIME", width: 16}, {title: "ACTION", flex: 3}, {title: "TARGET", flex: 2}, {title: "BY", flex: 2}}
	lines = append(lines, m.table(cols, len(a.list), func(i int) []cell {
		e := a.list[i]
		return []cell{styled(fmt.Sprint(e.Seq), th.Muted), styled(m.when(e.Time), th.Muted), {text: cleanLine(e.Action)},
			{text: cleanLine(e.Target)}, styled(cleanLine(actorName(e)), th.Muted)}
	}, a.cur, !a.filtering, m.w, h-len(lines))...)
	return lines, cur
}
