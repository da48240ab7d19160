package chat

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// commandInfo is one command as /help lists it.
type commandInfo struct {
	usage, desc string
	// feature is the core.Feature a policy may forbid; "" if none.
	feature string
}

// line is the command's help line: syntax column, then description.
func (c commandInfo) line() string { return fmt.Sprintf("%-23s%s", c.usage, c.desc) }

// commands lists the commands /help shows, in its order.
func commands() []commandInfo {
	return []commandInfo{
		{usage: "/msg <ID|name> <text>", desc: "send a message"},
		{usage: "/open <ID|name>", desc: "open a conversation, group or list"},
		{usage: "/nick <name>", desc: "set your nickname", feature: core.FeatureEditProfile},
		{usage: "/quiet <when>|off", desc: "set or remove your quiet hours", feature: core.FeatureOwnQuietHours},
		{usage: "/group create N ID…", desc: "new group; add, remove, leave", feature: core.FeatureCreateGroup},
		{usage: "/list create N ID…", desc: "create a distribution list"},
		{usage: "/reply <text>", desc: "answer the newest message"},
		{usage: "/edit <text>, /delete", desc: "change the selected (↑) message"},
		{usage: "/retry", desc: "send a failed message again"},
		{usage: "/alarm <text>", desc: "alarm: rings in quiet hours"},
		{usage: `/poll "Q" "A" "B"…`, desc: "a poll (/vote N, /close)"},
		{usage: "/agree, /disagree", desc: "react to the last message"},
		{usage: "/more", desc: "search, contacts, PIN, theme, …"},
		{usage: "/help", desc: "show this help"},
		{usage: "/quit", desc: "leave (also Ctrl+C)"},
		{usage: "//text", desc: "send text starting with /"},
	}
}

// quietUsage is /quiet's syntax, for a mistyped command.
const quietUsage = "Usage: /quiet Mon-Fri 18:00-08:00 [tz Europe/Zurich], or /quiet off"

// quietExample shows /quiet's schedule syntax in the help.
const quietExample = "/quiet Mon-Fri 18:00-08:00 tz Europe/Zurich"

// submit handles the composer's Enter: a slash command or a message to the
// open conversation. It reports whether the composer should be cleared.
func (m *Model) submit(raw string) (tea.Cmd, bool) {
	text := strings.TrimSpace(raw)
	if text == "" {
		return nil, true
	}
	m.clearStatus()
	if strings.HasPrefix(text, "//") {
		text = text[1:]
	} else if strings.HasPrefix(text, "/") {
		return m.command(text)
	}
	if m.open.IsZero() {
		m.setError("No conversation open: use /open <ID> or /msg <ID> <text>.")
		return nil, false
	}
	if len(text) > crypto.MaxTextLen {
		m.setError(fmt.Sprintf("Message too long: %d bytes, the limit is %d.", len(text), crypto.MaxTextLen))
		return nil, false
	}
	m.showHelp = false
	m.scroll = 0
	cmd := m.sendCmd(m.open, text)
	return cmd, cmd != nil // a full outbox keeps the text in the composer
}

func (m *Model) command(line string) (tea.Cmd, bool) {
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(name) {
	case "/help", "/?":
		m.showHelp = true
		return nil, true
	case "/quit", "/exit":
		return m.quit(), true
	case "/open":
		if rest == "" {
			m.setError("Usage: /open <ID|name>")
			return nil, false
		}
		id, err := m.resolve(rest)
		if err != nil {
			m.setError(err.Error())
			return nil, false
		}
		return m.openCmd(id, ""), true
	case "/nick":
		return m.nickCommand(rest)
	case "/quiet":
		return m.quietCommand(rest)
	case "/msg", "/m":
		who, text, _ := strings.Cut(rest, " ")
		text = strings.TrimSpace(text)
		if who == "" || text == "" {
			m.setError("Usage: /msg <ID|name> <text>")
			return nil, false
		}
		if len(text) > crypto.MaxTextLen {
			m.setError(fmt.Sprintf("Message too long: %d bytes, the limit is %d.", len(text), crypto.MaxTextLen))
			return nil, false
		}
		id, err := m.resolve(who)
		if err != nil {
			m.setError(err.Error())
			return nil, false
		}
		return m.openCmd(id, text), true
	}
	if cmd, ok, handled := m.localCommand(strings.ToLower(name), rest); handled {
		return cmd, ok
	}
	if cmd, ok, handled := m.groupCommand(strings.ToLower(name), rest); handled {
		return cmd, ok
	}
	m.setError(fmt.Sprintf("Unknown command %s: /help lists the commands.", cleanLine(name)))
	return nil, false
}

// resolve reads a Parley ID, or the name of a conversation the user has
// (a person, a group, a list; case-insensitive, unique prefix).
//
// A name the user's chats have wins over an ID spelled the same: a group
// called "Climbers" is also a valid Parley ID.
func (m *Model) resolve(s string) (core.ConvRef, error) {
	want := strings.ToLower(s)
	for _, c := range m.convs {
		if c.Name != "" && strings.ToLower(c.Name) == want {
			return c.Ref, nil
		}
	}
	if id, err := crypto.ParseID(s); err == nil {
		return core.Direct(id), nil
	}
	var hits []core.ConvRef
	for _, c := range m.convs {
		if name := strings.ToLower(c.Name); name != "" && strings.HasPrefix(name, want) {
			hits = append(hits, c.Ref)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return core.ConvRef{}, fmt.Errorf("%q is not a Parley ID (8 characters A-Z, 0-9) nor a name in your chats", cleanLine(s))
	}
	return core.ConvRef{}, fmt.Errorf("%q matches %d chats: type more of the name, or the ID", cleanLine(s), len(hits))
}

// forbidden shows why a command is not available, if policy forbids it. The
// UI only saves a round trip: the service refuses on its own either way.
func (m *Model) forbidden(command, feature string) bool {
	reason := m.restr.Reason(feature)
	if reason == "" {
		return false
	}
	m.setError(fmt.Sprintf("%s: %s.", command, strings.TrimSuffix(reason, ".")))
	return true
}

func (m *Model) nickCommand(name string) (tea.Cmd, bool) {
	if m.forbidden("/nick", core.FeatureEditProfile) {
		return nil, false
	}
	if name == "" {
		m.setError("Usage: /nick <name>")
		return nil, false
	}
	svc, ctx := m.o.Service, m.o.Context
	return func() tea.Msg {
		err := svc.SetNickname(ctx, name)
		return doneMsg{what: "Nickname not changed", info: "Your nickname is now " + name + ".", err: err}
	}, true
}

// quietCommand shows, sets or removes the user's own quiet hours:
// /quiet, /quiet off, /quiet SPEC [tz ZONE] (also --tz ZONE, --tz=ZONE).
// Without a zone the session's is used, else UTC.
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
