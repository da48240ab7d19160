package chat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// The slash commands. One table, commandTable, holds every command: its
// names, its line in /help or /more, the policy feature that may forbid
// it, the service it needs and its handler. The composer's Enter looks a
// command up there once (command); /help and the /more pane list its
// lines from there, in the table's order.

// A command is one slash command.
type command struct {
	// names are the command's name and then its aliases, each with its
	// slash. A row without names is a help line only ("//text").
	names []string
	// usage and desc are the command's help line; in says which pane
	// lists it. Not listed: a command described on another's line
	// (/delete on /edit's).
	usage, desc string
	in          helpPane
	// feature is the core.Feature a policy may forbid, "" if none: its
	// help line is greyed with the reason, and the command is refused
	// before its handler runs. A partial feature covers only part of the
	// command (/group create, setting /quiet): the handler refuses that
	// part itself.
	feature string
	partial bool
	// needs is the service the handler uses beyond Service; a session
	// whose core lacks it refuses the command.
	needs need
	// run handles the command; arg is the rest of the line, trimmed. It
	// runs only once the checks above passed, so it may take the service
	// needs names as present. It reports whether the composer is cleared.
	run func(m *Model, arg string) (tea.Cmd, bool)
}

// helpPane is the pane a command's help line appears in.
type helpPane int

const (
	notListed helpPane = iota
	inHelp             // /help
	inMore             // /more
)

// line is the command's help line: syntax column, then description.
func (c command) line() string { return fmt.Sprintf("%-23s%s", c.usage, c.desc) }

// commandTable is every slash command; each help pane lists its lines in
// this order.
func commandTable() []command {
	return []command{
		// In /help.
		{names: []string{"/msg", "/m"}, usage: "/msg <ID|name> <text>", desc: "send a message", in: inHelp,
			run: (*Model).msgCommand},
		{names: []string{"/open"}, usage: "/open <ID|name>", desc: "open a conversation, group or list", in: inHelp,
			run: (*Model).openCommand},
		{names: []string{"/nick"}, usage: "/nick <name>", desc: "set your nickname", in: inHelp,
			feature: core.FeatureEditProfile, run: (*Model).nickCommand},
		{names: []string{"/quiet"}, usage: "/quiet <when>|off", desc: "set or remove your quiet hours", in: inHelp,
			feature: core.FeatureOwnQuietHours, partial: true, run: (*Model).quietCommand},
		{names: []string{"/group", "/g"}, usage: "/group create N ID…", desc: "new group; add, remove, leave", in: inHelp,
			feature: core.FeatureCreateGroup, partial: true, needs: needGroups, run: (*Model).groupCommand},
		{names: []string{"/list"}, usage: "/list create N ID…", desc: "create a distribution list", in: inHelp,
			needs: needGroups, run: (*Model).listCommand},
		{names: []string{"/reply"}, usage: "/reply <text>", desc: "answer the newest message", in: inHelp,
			needs: needGroups, run: (*Model).replyCommand},
		{names: []string{"/edit"}, usage: "/edit <text>, /delete", desc: "change the selected (↑) message", in: inHelp,
			needs: needGroups, run: (*Model).editCommand},
		{names: []string{"/delete"}, needs: needGroups, run: (*Model).deleteCommand},
		{names: []string{"/retry"}, usage: "/retry", desc: "send a failed message again", in: inHelp,
			needs: needGroups, run: (*Model).retryCommand},
		{names: []string{"/alarm"}, usage: "/alarm <text>", desc: "alarm: rings in quiet hours", in: inHelp,
			feature: core.FeatureAlarm, needs: needGroups, run: (*Model).alarmCommand},
		{names: []string{"/poll"}, usage: `/poll "Q" "A" "B"…`, desc: "a poll (/vote N, /close)", in: inHelp,
			needs: needGroups, run: (*Model).pollCommand},
		{names: []string{"/vote"}, needs: needGroups, run: (*Model).voteCommand},
		{names: []string{"/close"}, needs: needGroups, run: (*Model).closeCommand},
		{names: []string{"/agree"}, usage: "/agree, /disagree", desc: "react to the last message", in: inHelp,
			needs: needGroups, run: (*Model).agreeCommand},
		{names: []string{"/disagree"}, needs: needGroups, run: (*Model).disagreeCommand},
		{names: []string{"/location"}, needs: needGroups, run: (*Model).locationCommand},
		{names: []string{"/more"}, usage: "/more", desc: "search, contacts, PIN, theme, …", in: inHelp,
			run: (*Model).moreCommand},
		{names: []string{"/help", "/?"}, usage: "/help", desc: "show this help", in: inHelp,
			run: (*Model).helpCommand},
		{names: []string{"/quit", "/exit"}, usage: "/quit", desc: "leave (also Ctrl+C)", in: inHelp,
			run: (*Model).quitCommand},
		{usage: "//text", desc: "send text starting with /", in: inHelp}, // submit's escape, not a command

		// In /more.
		{names: []string{"/search", "/s"}, usage: "/search <text>", desc: "search your messages", in: inMore,
			needs: needLocal, run: (*Model).searchCommand},
		{names: []string{"/contacts"}, usage: "/contacts", desc: "your contacts and their trust", in: inMore,
			needs: needLocal, run: (*Model).contactsCommand},
		{names: []string{"/contact"}, usage: "/contact add|rm <ID>", desc: "add or remove a contact", in: inMore,
			needs: needLocal, run: (*Model).contactCommand},
		{names: []string{"/verify"}, usage: "/verify <ID> [<fp>]", desc: "show or check a contact's key", in: inMore,
			needs: needLocal, run: (*Model).verifyCommand},
		{names: []string{"/find"}, usage: "/find <name|#tag>", desc: "search the company directory", in: inMore,
			feature: core.FeatureWorkDirectory, needs: needDirectory, run: (*Model).findCommand},
		{names: []string{"/whoami"}, usage: "/whoami", desc: "your ID, key, devices, policies", in: inMore,
			needs: needDirectory, run: (*Model).whoamiCommand},
		{names: []string{"/hide"}, usage: "/hide, /unhide [chat]", desc: "hide a chat behind your PIN", in: inMore,
			needs: needLocal, run: (*Model).hideCommand},
		{names: []string{"/unhide"}, needs: needLocal, run: (*Model).unhideCommand},
		{names: []string{"/pin"}, usage: "/pin [off]", desc: "set, change or remove your PIN", in: inMore,
			needs: needLocal, run: (*Model).pinCommand},
		{names: []string{"/hidden"}, usage: "/hidden [PIN]", desc: "show hidden chats", in: inMore,
			needs: needLocal, run: (*Model).hiddenCommand},
		{names: []string{"/conceal"}, usage: "/conceal", desc: "hide hidden chats again", in: inMore,
			needs: needLocal, run: (*Model).concealCommand},
		{names: []string{"/theme"}, usage: "/theme dark|light", desc: "for a dark or a light terminal", in: inMore,
			needs: needLocal, run: (*Model).themeCommand},
		{names: []string{"/notify"}, usage: "/notify <how>", desc: "bell, desktop, both or off", in: inMore,
			needs: needLocal, run: (*Model).notifyCommand},
		{names: []string{"/receipts"}, usage: "/receipts on|off", desc: "send read receipts or not", in: inMore,
			needs: needLocal, run: (*Model).receiptsCommand},
		{names: []string{"/typing"}, usage: "/typing on|off", desc: "typing indicators in 1:1 chats", in: inMore,
			feature: core.FeatureTyping, needs: needLocal, run: (*Model).typingCommand},
		{names: []string{"/presence"}, usage: "/presence on|off", desc: "show colleagues you are online", in: inMore,
			feature: core.FeaturePresence, needs: needLocal, run: (*Model).presenceCommand},
		// Only where the chat runs on the user's machine (local mode).
		{names: []string{"/send"}, usage: "/send <path>", desc: "send a file from this machine", in: inMore,
			needs: needFiles, run: (*Model).sendFileCommand},
		{names: []string{"/save"}, usage: "/save [N]", desc: "save the newest (Nth) file here", in: inMore,
			needs: needFiles, run: (*Model).saveCommand},
	}
}

// registry is the command table with its names indexed, built once per
// session.
type registry struct {
	table  []command
	byName map[string]int // lower-case name or alias → index in table
}

// sharedCommands is the registry every model shares: built on first use and
// never changed after (lookup and listed only read it).
var sharedCommands = sync.OnceValue(newRegistry)

func newRegistry() registry {
	r := registry{table: commandTable(), byName: map[string]int{}}
	for i, c := range r.table {
		for _, n := range c.names {
			r.byName[n] = i
		}
	}
	return r
}

// lookup finds the command called name (lower case).
func (r registry) lookup(name string) (command, bool) {
	i, ok := r.byName[name]
	if !ok {
		return command{}, false
	}
	return r.table[i], true
}

// listed is the commands whose help lines pane p lists, in order.
func (r registry) listed(p helpPane) []command {
	var out []command
	for _, c := range r.table {
		if c.in == p {
			out = append(out, c)
		}
	}
	return out
}

// listedHere is listed without the commands this session cannot serve at
// all (the user's own files, in a hosted session).
func (m *Model) listedHere(p helpPane) []command {
	out := m.cmds.listed(p)
	return slices.DeleteFunc(out, func(c command) bool { return c.needs == needFiles && !m.has(needFiles) })
}

// commandLines are the help lines of the commands pane p lists; those
// policy forbids are greyed, with the reason under them.
func (m *Model) commandLines(p helpPane, w int) []string {
	th := m.th
	var lines []string
	for _, c := range m.listedHere(p) {
		reason := m.restr.Reason(c.feature)
		if reason == "" {
			lines = append(lines, " "+c.line())
			continue
		}
		lines = append(lines, th.Muted.Render(" "+c.line()))
		for _, l := range strings.Split(ansi.Wrap("not available: "+cleanLine(reason), max(10, w-5), ""), "\n") {
			lines = append(lines, th.Warning.Render("    "+l))
		}
	}
	return lines
}

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

// command runs a slash command line: it looks the name up, refuses what
// the session's service cannot serve or policy forbids, and hands the
// rest of the line to the handler.
func (m *Model) command(line string) (tea.Cmd, bool) {
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	c, ok := m.cmds.lookup(strings.ToLower(name))
	if !ok {
		m.setError(fmt.Sprintf("Unknown command %s: /help lists the commands.", cleanLine(name)))
		return nil, false
	}
	if !m.has(c.needs) {
		m.setError(c.names[0] + " is not available in this session.")
		return nil, false
	}
	if c.feature != "" && !c.partial && m.forbidden(c.names[0], c.feature) {
		return nil, false
	}
	return c.run(m, rest)
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

// --- the commands of the conversation UI ---

func (m *Model) helpCommand(string) (tea.Cmd, bool) {
	m.showHelp = true
	return nil, true
}

func (m *Model) quitCommand(string) (tea.Cmd, bool) { return m.quit(), true }

// openCommand is /open <ID|name>.
func (m *Model) openCommand(arg string) (tea.Cmd, bool) {
	if arg == "" {
		m.setError("Usage: /open <ID|name>")
		return nil, false
	}
	name, _ := splitName(arg)
	id, err := m.resolve(name)
	if errors.Is(err, errNotInChats) {
		if cmd := m.lookupCmd(name, "", "/open "+arg); cmd != nil {
			return cmd, true
		}
	}
	if err != nil {
		m.setError(err.Error())
		return nil, false
	}
	return m.openCmd(id, ""), true
}

// msgCommand is /msg <ID|name> <text>: open the conversation, and send.
func (m *Model) msgCommand(arg string) (tea.Cmd, bool) {
	who, text := splitName(arg)
	if who == "" || text == "" {
		m.setError("Usage: /msg <ID|name> <text>")
		return nil, false
	}
	if len(text) > crypto.MaxTextLen {
		m.setError(fmt.Sprintf("Message too long: %d bytes, the limit is %d.", len(text), crypto.MaxTextLen))
		return nil, false
	}
	id, err := m.resolve(who)
	if errors.Is(err, errNotInChats) {
		if cmd := m.lookupCmd(who, text, "/msg "+arg); cmd != nil {
			return cmd, true
		}
	}
	if err != nil {
		m.setError(err.Error())
		return nil, false
	}
	return m.openCmd(id, text), true
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
		return core.ConvRef{}, notInChats(fmt.Sprintf("%q is not a Parley ID (8 characters A-Z, 0-9) nor a name in your chats", cleanLine(s)))
	}
	return core.ConvRef{}, fmt.Errorf("%q matches %d chats: type more of the name, or the ID", cleanLine(s), len(hits))
}
