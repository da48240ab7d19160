package chat

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

// The user's settings on the server: the nickname (/nick) and their own
// quiet hours (/quiet), both of which a policy may forbid. The
// restrictions in force are read by the model (settingsCmd).

// quietUsage is /quiet's syntax, for a mistyped command.
const quietUsage = "Usage: /quiet Mon-Fri 18:00-08:00 [tz Europe/Zurich], or /quiet off"

// quietExample shows /quiet's schedule syntax in the help.
const quietExample = "/quiet Mon-Fri 18:00-08:00 tz Europe/Zurich"

// nickCommand is /nick <name>.
func (m *Model) nickCommand(name string) (tea.Cmd, bool) {
	if name == "" {
		m.setError("Usage: /nick <name>")
		return nil, false
	}
	svc, ctx := m.o.Service, m.o.Context
	return func() tea.Msg {
		err := svc.SetNickname(ctx, name)
		return doneMsg{what: "Nickname not changed", info: "Your nickname is now " + name + ".", err: err, nick: name}
	}, true
}

// ownNickCmd reads the user's own nickname from the directory, once at
// start, for the header; no answer leaves the header as it is.
func (m *Model) ownNickCmd() tea.Cmd {
	svc, ctx, me := m.o.Service, m.o.Context, m.o.Service.Me().ID
	return func() tea.Msg {
		ct, err := svc.Contact(ctx, me)
		if err != nil {
			return nil
		}
		return ownNickMsg{nick: ct.Nickname}
	}
}

// setOwnNick shows nick as the user's own nickname wherever the own name
// is shown: the header and an open /whoami.
func (m *Model) setOwnNick(nick string) {
	m.ownNick = nick
	if !m.loc.who.ID.IsZero() {
		m.loc.who.Nickname = nick
	}
}

// ownName is the user's own name as the header shows it: the name and,
// when there is one, "~nickname".
func (m *Model) ownName() string {
	name := cleanLine(m.o.Service.Me().Name)
	if m.ownNick != "" {
		name += " ~" + cleanLine(m.ownNick)
	}
	return name
}

// quietCommand shows, sets or removes the user's own quiet hours:
// /quiet, /quiet off, /quiet SPEC [tz ZONE] (also --tz ZONE, --tz=ZONE).
// Without a zone the session's is used, else UTC. Showing them is never
// forbidden.
func (m *Model) quietCommand(rest string) (tea.Cmd, bool) {
	if rest == "" {
		m.setInfo(m.quietSummary())
		return nil, true
	}
	if m.forbidden("/quiet", core.FeatureOwnQuietHours) {
		return nil, false
	}
	svc, ctx := m.o.Service, m.o.Context
	if strings.EqualFold(rest, "off") {
		return func() tea.Msg {
			err := svc.ClearQuietHours(ctx)
			return doneMsg{what: "Quiet hours not removed", info: "Your own quiet hours are removed.", err: err}
		}, true
	}
	spec, zone := splitZone(rest)
	if spec == "" || zone == "" {
		m.setError(quietUsage)
		return nil, false
	}
	if zone == "-" {
		zone = m.o.Location.String()
		if zone == "" || zone == "Local" {
			zone = "UTC"
		}
	}
	return func() tea.Msg {
		err := svc.SetQuietHours(ctx, zone, spec)
		return doneMsg{what: "Quiet hours not set", info: fmt.Sprintf("Quiet hours set: %s (%s).", spec, zone), err: err}
	}, true
}

// splitZone cuts a trailing "tz ZONE", "--tz ZONE" or "--tz=ZONE" off a
// quiet-hours schedule; the zone is "-" when none is given, "" when the
// keyword has no zone after it.
func splitZone(s string) (spec, zone string) {
	f := strings.Fields(s)
	n := len(f)
	switch {
	case n >= 1 && strings.HasPrefix(f[n-1], "--tz="):
		return strings.Join(f[:n-1], " "), strings.TrimPrefix(f[n-1], "--tz=")
	case n >= 1 && (f[n-1] == "tz" || f[n-1] == "--tz"):
		return strings.Join(f[:n-1], " "), ""
	case n >= 2 && (f[n-2] == "tz" || f[n-2] == "--tz"):
		return strings.Join(f[:n-2], " "), f[n-1]
	}
	return strings.Join(f, " "), "-"
}

// quietSummary says which quiet hours apply, and whose they are.
func (m *Model) quietSummary() string {
	r := m.restr
	if r.QuietSchedule == "" {
		return "No quiet hours."
	}
	whose := "your organisation's"
	if r.QuietOwn {
		whose = "your own"
	}
	return fmt.Sprintf("Quiet hours (%s): %s.", whose, r.QuietSchedule)
}
