package chat

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// The user's preferences, kept in the device store: the theme (/theme),
// how new messages are announced (/notify; notify.go raises them) and
// whether read receipts are sent (/receipts). They are read once the
// session has started, and applied as they come in.

// prefsState is the user's preferences once read.
type prefsState struct {
	prefs     core.Prefs
	prefsRead bool
}

type prefsMsg struct {
	p    core.Prefs
	info string // set when a command changed the preferences
	err  error
}

// prefsCmd reads the user's preferences (theme, notifications) and, for
// the names notifications show, the contacts, once the session has started.
func (m *Model) prefsCmd() tea.Cmd {
	svc := m.localSvc()
	if svc == nil {
		return nil
	}
	ctx := m.o.Context
	return tea.Batch(func() tea.Msg {
		p, err := svc.Prefs(ctx)
		return prefsMsg{p: p, err: err}
	}, m.contactsCmd(true))
}

// setPrefsCmd changes the preferences with change, reading them first so
// that a change made meanwhile in another session is kept.
func (m *Model) setPrefsCmd(svc LocalService, what, info string, change func(*core.Prefs)) tea.Cmd {
	ctx := m.o.Context
	return func() tea.Msg {
		p, err := svc.Prefs(ctx)
		if err != nil {
			return prefsMsg{info: info, err: fmt.Errorf("%s: %w", what, err)}
		}
		change(&p)
		if err := svc.SetPrefs(ctx, p); err != nil {
			return prefsMsg{info: info, err: fmt.Errorf("%s: %w", what, err)}
		}
		return prefsMsg{p: p, info: info}
	}
}

// prefsRead takes in preferences read or changed.
func (m *Model) prefsRead(msg prefsMsg) tea.Cmd {
	if msg.err != nil {
		if msg.info != "" {
			m.setError(capitalize(msg.err.Error()))
		} else {
			m.setError("Could not read your preferences: " + msg.err.Error())
		}
		return nil
	}
	m.loc.prefs, m.loc.prefsRead = msg.p, true
	if want := msg.p.Theme; want != "" && (want == theme.Light) != (m.th.Name == theme.Light) {
		m.applyTheme(want)
	}
	if msg.info != "" {
		m.setInfo(msg.info)
	}
	return nil
}

// applyTheme switches the session to the theme called name, keeping the
// tenant's accent colour.
func (m *Model) applyTheme(name string) {
	m.th = theme.Named(name, m.th.Accent)
	m.o.Theme = m.th
	styleComposer(&m.input, m.th)
	m.layout()
}

// styleComposer styles a text input with th.
func styleComposer(in *textinput.Model, th *theme.Theme) {
	st := in.Styles()
	st.Focused.Prompt = th.Prompt
	st.Blurred.Prompt = th.Muted
	st.Focused.Text = th.Text
	st.Focused.Placeholder = th.Muted
	st.Blurred.Placeholder = th.Muted
	in.SetStyles(st)
}

// oneOf reads a command's single argument out of choices, case-insensitive.
func oneOf(arg string, choices ...string) (string, bool) {
	arg = strings.ToLower(strings.TrimSpace(arg))
	for _, c := range choices {
		if arg == c {
			return c, true
		}
	}
	return "", false
}

// themeCommand is /theme [dark|light].
func (m *Model) themeCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if strings.TrimSpace(arg) == "" {
		name := m.th.Name
		if name == "" {
			name = theme.Dark
		}
		m.setInfo(fmt.Sprintf("Theme: %s. /theme dark or /theme light changes it.", name))
		return nil, true
	}
	name, ok := oneOf(arg, core.ThemeDark, core.ThemeLight)
	if !ok {
		m.setError("Usage: /theme dark or /theme light (for a light terminal background)")
		return nil, false
	}
	return m.setPrefsCmd(svc, "theme not changed", "Theme: "+name+".", func(p *core.Prefs) { p.Theme = name }), true
}

// notifyCommand is /notify [bell|desktop|both|off].
func (m *Model) notifyCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if strings.TrimSpace(arg) == "" {
		m.setInfo("Notifications: " + m.notifyStyle() + ". /notify bell, desktop, both or off changes it.")
		return nil, true
	}
	style, ok := oneOf(arg, core.NotifyBell, core.NotifyDesktop, core.NotifyBoth, core.NotifyOff)
	if !ok {
		m.setError("Usage: /notify bell, desktop (a desktop notification), both, or off")
		return nil, false
	}
	info := map[string]string{
		core.NotifyBell:    "Notifications: the terminal bell.",
		core.NotifyDesktop: "Notifications: desktop notifications (if your terminal shows them).",
		core.NotifyBoth:    "Notifications: the bell and desktop notifications.",
		core.NotifyOff:     "Notifications: off (alarms still ring).",
	}[style]
	return m.setPrefsCmd(svc, "notifications not changed", info, func(p *core.Prefs) { p.Notify = style }), true
}

// receiptsCommand is /receipts [on|off].
func (m *Model) receiptsCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if strings.TrimSpace(arg) == "" {
		state := "on"
		if m.loc.prefsRead && !m.loc.prefs.ReadReceipts {
			state = "off"
		}
		m.setInfo("Read receipts: " + state + ". /receipts on or off changes it.")
		return nil, true
	}
	v, ok := oneOf(arg, "on", "off")
	if !ok {
		m.setError("Usage: /receipts on or /receipts off")
		return nil, false
	}
	on := v == "on"
	info := "Read receipts on: people see when you have read their messages."
	if !on {
		info = "Read receipts off: people no longer see when you read their messages (delivery still shows)."
	}
	return m.setPrefsCmd(svc, "read receipts not changed", info, func(p *core.Prefs) { p.ReadReceipts = on }), true
}
