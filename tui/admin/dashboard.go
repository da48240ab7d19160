package admin

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// dashState is the dashboard's data: license use and statistics, loaded
// separately so that one failing leaves the other.
type dashState struct {
	lic      License
	licLoad  loadState
	stats    Stats
	statLoad loadState
}

type (
	licenseMsg struct {
		tenant string
		lic    License
		err    error
	}
	statsMsg struct {
		tenant string
		stats  Stats
		err    error
	}
)

func (m *Model) loadDashboard() tea.Cmd {
	m.dash.licLoad.loading, m.dash.statLoad.loading = true, true
	svc, ctx, tenant, days := m.o.Service, m.o.Context, m.tenant.Name, m.o.StatsDays
	return tea.Batch(func() tea.Msg {
		l, err := svc.License(ctx, tenant)
		return licenseMsg{tenant: tenant, lic: l, err: err}
	}, func() tea.Msg {
		s, err := svc.Stats(ctx, tenant, days)
		return statsMsg{tenant: tenant, stats: s, err: err}
	})
}

func (m *Model) gotDashboard(msg tea.Msg) {
	switch msg := msg.(type) {
	case licenseMsg:
		if msg.tenant != m.tenant.Name {
			return
		}
		got(&m.dash.licLoad, msg.err)
		if msg.err == nil {
			m.dash.lic = msg.lic
		}
	case statsMsg:
		if msg.tenant != m.tenant.Name {
			return
		}
		got(&m.dash.statLoad, msg.err)
		if msg.err == nil {
			m.dash.stats = msg.stats
		}
	}
}

// got records the end of a load.
func got(s *loadState, err error) {
	s.loading, s.err = false, err
	if err == nil {
		s.loaded = true
	}
}

func (m *Model) dashboardView(h int) []string {
	th := m.th
	var lines []string
	row := func(label, value string) string {
		return "   " + th.Muted.Render(padRight(label, 14)) + value
	}
	lines = append(lines, th.Title.Render(" License"))
	switch s := m.dash.licLoad; {
	case s.err != nil && !s.loaded:
		lines = append(lines, th.Error.Render(fit("   "+errText(s.err), m.w)))
	case !s.loaded:
		lines = append(lines, th.Muted.Render("   Loading…"))
	default:
		l := m.dash.lic
		over := func(n int) string {
			v := fmt.Sprintf("%d of %d seats", n, l.Seats)
			if n > l.Seats {
				return th.Error.Render(v)
			}
			return th.Text.Render(v)
		}
		lines = append(lines,
			row("Seats", th.Text.Render(fmt.Sprint(l.Seats))+th.Muted.Render(m.packages(l))),
			row("Active users", over(l.ActiveUsers)),
			row("Devices", over(l.Devices)),
			row("Valid until", m.validUntil(l)))
		lines = append(lines, "")
		if len(l.Warnings) == 0 {
			lines = append(lines, th.Success.Render("   ✓ No warnings"))
		}
		for _, w := range l.Warnings {
			for i, part := range wrap(w, m.w-6) {
				prefix := "   ✗ "
				if i > 0 {
					prefix = "     "
				}
				lines = append(lines, th.Error.Render(prefix+part))
			}
		}
	}
	lines = append(lines, "", th.Title.Render(" Statistics"))
	switch s := m.dash.statLoad; {
	case s.err != nil && !s.loaded:
		lines = append(lines, th.Muted.Render(fit("   "+errText(s.err), m.w)))
	case !s.loaded:
		lines = append(lines, th.Muted.Render("   Loading…"))
	default:
		st := m.dash.stats
		lines = append(lines, row("Users", th.Text.Render(fmt.Sprintf("%d active, %d pending · %d %s", st.ActiveUsers, st.PendingUsers, st.Devices, plural(st.Devices, "device", "devices")))))
		lines = append(lines, m.sparkline(st.Messages)...)
	}
	return lines[:min(len(lines), h)]
}

// packages describes the license packages after the seat count.
func (m *Model) packages(l License) string {
	var parts []string
	for _, p := range l.Packages {
		s := fmt.Sprintf("%s %d", p.Plan, p.Seats)
		if !p.LastDay.IsZero() {
			s += " to " + p.LastDay.Format(time.DateOnly)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, " · ") + ")"
}

// validUntil shows the last valid day with the days left, in red when
// the license has ended or ends within 30 days.
func (m *Model) validUntil(l License) string {
	th := m.th
	switch {
	case l.Expired:
		return th.Error.Render("expired")
	case l.NoEnd:
		return th.Text.Render("no end date")
	}
	now := m.o.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	last := l.LastDay.UTC()
	days := int(time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC).Sub(today).Hours()/24) + 1
	left := fmt.Sprintf(" · %d %s left", days, plural(days, "day", "days"))
	st := th.Text
	if days <= 30 {
		st = th.Error
	}
	return st.Render(last.Format(time.DateOnly) + left)
}

// sparkline draws messages per day as a bar line with its first and last
// day beneath.
func (m *Model) sparkline(days []DayCount) []string {
	th := m.th
	label := "   " + th.Muted.Render(padRight("Messages/day", 14))
	if len(days) == 0 {
		return []string{label + th.Muted.Render("no data")}
	}
	room := m.w - 3 - 14 - 1
	// Two cells a day when there is room, one otherwise; the newest days win.
	cellW := 2
	if len(days)*2 > room-24 {
		cellW = 1
	}
	if n := room / cellW; len(days) > n {
		days = days[len(days)-max(1, n):]
	}
	var peak uint64
	for _, d := range days {
		peak = max(peak, d.Messages)
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, d := range days {
		i := 0
		if peak > 0 {
			i = int(float64(d.Messages) / float64(peak) * float64(len(bars)-1))
		}
		b.WriteString(strings.Repeat(string(bars[i]), cellW))
	}
	line := label + th.Info.Render(b.String())
	today := days[len(days)-1].Messages
	if note := fmt.Sprintf("  today %d · peak %d", today, peak); ansi.StringWidth(line+note) <= m.w {
		line += th.Muted.Render(note)
	}
	first, last := days[0].Day.Format("Jan 02"), days[len(days)-1].Day.Format("Jan 02")
	span := len(days) * cellW
	under := first
	if gap := span - len(first) - len(last); gap >= 1 {
		under = first + strings.Repeat(" ", gap) + last
	}
	return []string{line, "   " + strings.Repeat(" ", 14) + th.Muted.Render(under)}
}
