package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/crypto"
)

// previewChanges is how many changes the edit dialog previews.
const previewChanges = 5

// quietState is the quiet hours screen: the subject's schedule.
type quietState struct {
	load loadState
	st   QuietStatus
}

type quietMsg struct {
	tenant, who string
	st          QuietStatus
	err         error
}

func (m *Model) loadQuiet() tea.Cmd {
	m.quiet.load.loading = true
	svc, ctx, tenant, user, who := m.o.Service, m.o.Context, m.tenant.Name, m.subjectID(), m.subjectKey()
	return func() tea.Msg {
		st, err := svc.QuietHours(ctx, tenant, user)
		return quietMsg{tenant: tenant, who: who, st: st, err: err}
	}
}

func (m *Model) gotQuiet(msg quietMsg) {
	if msg.tenant != m.tenant.Name || msg.who != m.subjectKey() {
		return
	}
	got(&m.quiet.load, msg.err)
	if msg.err != nil {
		m.loadFailed(msg.err)
		return
	}
	m.quiet.st = msg.st
}

func (m *Model) quietKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Back):
		m.clearStatus()
		if m.subject != nil {
			tenant := m.tenant.Name
			return func() tea.Msg { return subjectMsg{tenant: tenant} }
		}
	case key.Matches(msg, k.Subject):
		return m.chooseSubject()
	case key.Matches(msg, k.Edit, k.Open):
		if !m.quiet.load.loaded {
			return nil
		}
		d := m.newQuietDialog()
		m.dialog = d
		return d.inputs[0].Focus()
	case key.Matches(msg, k.Unset):
		return m.unsetQuiet()
	}
	return nil
}

// ownSource is the source of a value the subject itself holds.
func (m *Model) ownSource() string {
	if m.subject != nil {
		return SourceIndividual
	}
	return SourceGlobal
}

func (m *Model) unsetQuiet() tea.Cmd {
	st := m.quiet.st
	if !m.quiet.load.loaded {
		return nil
	}
	if st.Source != m.ownSource() {
		m.setInfo(fmt.Sprintf("%s has no quiet hours of %s own: nothing to remove.", capitalize(m.who()), map[bool]string{true: "its", false: "their"}[m.subject == nil]))
		return nil
	}
	after := "Notifications and calls are no longer held back for the tenant's users; schedules set for single users stay."
	if m.subject != nil {
		after = "The user follows the tenant's quiet hours again."
	}
	user, who := m.subjectID(), m.who()
	m.dialog = &confirmDialog{
		title: "Remove the quiet hours of " + who + "?",
		lines: []string{fmt.Sprintf("The schedule %s (%s) is removed. %s", cleanLine(st.Schedule), cleanLine(st.Zone), after)},
		run: m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
			if err := svc.UnsetQuietHours(ctx, tenant, user); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: "Removed the quiet hours of " + who + "."}
		}),
	}
	return nil
}

// changeCells is one change of a schedule: weekday, date, time, zone and
// what it becomes.
func (m *Model) changeCells(c QuietChange) []cell {
	th := m.th
	becomes := styled("awake", th.Success)
	if c.Quiet {
		becomes = styled("quiet", th.Warning)
	}
	return []cell{{text: c.At.Format("Mon")}, {text: c.At.Format(time.DateOnly)}, {text: c.At.Format("15:04")},
		styled(c.At.Format("MST"), th.Muted), becomes}
}

func changeColumns() []column {
	return []column{{title: "DAY", width: 3}, {title: "DATE", width: 10}, {title: "TIME", width: 5}, {title: "ZONE", width: 6}, {title: "BECOMES", flex: 1}}
}

// nowText says whether it is quiet now and until when.
func nowText(st QuietStatus) string {
	at := func() string { return st.NextChange.Format("Mon 2006-01-02 15:04 MST") }
	switch {
	case st.QuietNow && st.NextChange.IsZero():
		return "quiet, with no end"
	case st.QuietNow:
		return "quiet until " + at()
	case st.NextChange.IsZero():
		return "not quiet"
	}
	return "not quiet; quiet from " + at()
}

func (m *Model) quietView(h int) []string {
	th := m.th
	q := &m.quiet
	title := "Quiet hours · " + m.who()
	if lines, ok := m.state(title, q.load); ok {
		return lines
	}
	st := q.st
	note := ""
	if m.subject != nil {
		note = "esc back"
	}
	lines := []string{m.titleLine(title, note), ""}
	row := func(label, value string) string {
		return "   " + th.Muted.Render(padRight(label, 11)) + value
	}
	if st.Schedule == "" {
		lines = append(lines, th.Muted.Render(fit(" No quiet hours: notifications and calls are never held back.", m.w)))
		if m.subject != nil {
			lines = append(lines, th.Muted.Render(fit(" Neither the tenant nor this user has a schedule.", m.w)))
		}
		return append(lines, "", th.Muted.Render(fit(" Press e to set a schedule.", m.w)))
	}
	from := "the tenant (global)"
	if st.Source == SourceIndividual {
		from = "this user (individual)"
	} else if m.subject != nil {
		from = "the tenant's schedule (global)"
	}
	now := th.Success.Render(cleanLine(nowText(st)))
	if st.QuietNow {
		now = th.Warning.Render(cleanLine(nowText(st)))
	}
	lines = append(lines,
		row("Schedule", th.Text.Render(cleanLine(st.Schedule))),
		row("Time zone", th.Text.Render(cleanLine(st.Zone))),
		row("Set for", th.Text.Render(from)),
		row("Now", now),
		"",
		th.Title.Render(" Next changes"),
	)
	if len(st.Next) == 0 {
		return append(lines, th.Muted.Render("   None: the schedule never changes."))
	}
	return append(lines, m.table(changeColumns(), len(st.Next), func(i int) []cell { return m.changeCells(st.Next[i]) },
		cursor{}, false, min(m.w, 50), h-len(lines))...)
}

// --- editing a schedule, with a preview ---

// quietDialog edits a schedule and its zone; the preview of the next
// changes follows what is typed.
type quietDialog struct {
	title  string
	user   *crypto.ID
	who    string
	inputs []textinput.Model
	focus  int
	err    string
	busy   bool

	next    []QuietChange // the preview
	nextErr string        // why there is none
}

func (m *Model) newQuietDialog() *quietDialog {
	st := m.quiet.st
	zone, spec := st.Zone, st.Schedule
	if st.Source != m.ownSource() {
		spec = "" // the user's own schedule starts empty, not as the tenant's
	}
	if zone == "" {
		zone = m.o.Location.String()
		if zone == "Local" {
			zone = "UTC"
		}
	}
	d := &quietDialog{title: "Quiet hours of " + m.who(), user: m.subjectID(), who: m.who()}
	d.inputs = []textinput.Model{newInput(m.th, "Schedule:  ", spec), newInput(m.th, "Time zone: ", zone)}
	d.inputs[0].Placeholder = "Mon-Fri 18:00-08:00; Sat,Sun all-day"
	d.inputs[1].Placeholder = "Europe/Zurich"
	d.layout(m.dialogWidth())
	d.preview(m)
	return d
}

func (d *quietDialog) layout(w int) {
	for i := range d.inputs {
		in := &d.inputs[i]
		in.SetWidth(max(1, w-ansi.StringWidth(in.Prompt)-1))
	}
}

// preview parses what is typed, without saving it.
func (d *quietDialog) preview(m *Model) {
	spec, zone := strings.TrimSpace(d.inputs[0].Value()), strings.TrimSpace(d.inputs[1].Value())
	d.next, d.nextErr = nil, ""
	if spec == "" {
		return
	}
	next, err := m.o.Service.PreviewQuietHours(zone, spec)
	if err != nil {
		d.nextErr = capitalize(cleanLine(err.Error()))
		return
	}
	d.next = next[:min(len(next), previewChanges)]
}

func (d *quietDialog) keep(err string) bool {
	if !d.busy {
		return false
	}
	d.busy, d.err = false, err
	return true
}

func (d *quietDialog) update(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if d.busy {
		if key.Matches(msg, m.keys.Cancel) {
			m.dialog = nil
		}
		return nil
	}
	k := &m.keys
	switch {
	case key.Matches(msg, k.Cancel):
		m.dialog = nil
		m.setInfo("Cancelled: nothing changed.")
		return nil
	case key.Matches(msg, k.Submit):
		spec, zone := strings.TrimSpace(d.inputs[0].Value()), strings.TrimSpace(d.inputs[1].Value())
		if spec == "" {
			d.err = "Give a schedule; to remove the quiet hours, press esc, then u."
			return nil
		}
		d.err, d.busy = "", true
		user, who := d.user, d.who
		return m.act(func(ctx context.Context, svc Service, tenant string) doneMsg {
			st, err := svc.SetQuietHours(ctx, tenant, user, zone, spec)
			if err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: fmt.Sprintf("Quiet hours of %s: %s (%s).", who, st.Schedule, st.Zone)}
		})
	case key.Matches(msg, k.NextField, k.PrevField):
		d.inputs[d.focus].Blur()
		d.focus = 1 - d.focus
		return d.inputs[d.focus].Focus()
	}
	var cmd tea.Cmd
	d.inputs[d.focus], cmd = d.inputs[d.focus].Update(msg)
	d.preview(m)
	return cmd
}

func (d *quietDialog) body(m *Model, w int) (string, []string, *tea.Cursor) {
	th := m.th
	var lines []string
	var cur *tea.Cursor
	for i := range d.inputs {
		in := &d.inputs[i]
		if i == d.focus && !d.busy {
			if c := in.Cursor(); c != nil {
				c.Y = len(lines)
				cur = c
			}
		}
		lines = append(lines, in.View())
	}
	lines = append(lines, "")
	for _, l := range wrap("Weekdays (Mon-Fri, Sat,Sun) with ranges (18:00-08:00 runs across midnight) or all-day; several separated by ';'.", w) {
		lines = append(lines, th.Muted.Render(l))
	}
	lines = append(lines, "")
	switch {
	case d.nextErr != "":
		for _, l := range wrap(d.nextErr, w) {
			lines = append(lines, th.Error.Render(l))
		}
	case len(d.next) > 0:
		lines = append(lines, th.Title.Render("Preview: the next changes"))
		cols := changeColumns()
		for _, c := range d.next {
			cells := m.changeCells(c)
			parts := make([]string, len(cells))
			for i, x := range cells {
				text := padRight(x.text, cols[i].width)
				if x.style != nil {
					text = x.style.Render(text)
				}
				parts[i] = text
			}
			lines = append(lines, "  "+strings.Join(parts, " "))
		}
	default:
		lines = append(lines, th.Muted.Render("Preview: type a schedule."))
	}
	switch {
	case d.busy:
		lines = append(lines, "", th.Info.Render("Saving…"))
	case d.err != "":
		lines = append(lines, "")
		for _, l := range wrap(d.err, w) {
			lines = append(lines, th.Error.Render(l))
		}
	}
	return d.title, lines, cur
}

func (d *quietDialog) help(k *keyMap) []helpItem { return items(k.Submit, k.NextField, k.Cancel) }
