package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/anmitsu/go-shlex"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// Groups, distribution lists and what acts on a message: /group, /list,
// /reply, /alarm, /edit, /delete, /retry, polls (/poll, /vote, /close),
// reactions (/agree, /disagree) and /location, all through GroupService.
// They act on the message selected with ↑/↓ in an empty composer, which
// the messages pane keeps (messages.go), or on the newest one.

// groupState is what the chat keeps for groups: the names of members it
// has looked up, for showing who wrote what.
type groupState struct {
	names   map[crypto.ID]string
	looking bool
	// confirm is a question waiting for y or n (a deletion).
	confirm *confirmation
}

// pick names a selected message: by ID, direction and sender, since an ID
// alone may name both a message of the user's and one of someone else's.
type pick struct {
	id   crypto.MessageID
	out  bool
	from crypto.ID
}

func (p *pick) is(msg core.Message) bool {
	return p != nil && msg.ID == p.id && msg.Outgoing == p.out && msg.From == p.from
}

// confirmation is a yes/no question in the status line; yes runs do.
type confirmation struct {
	question string
	no       string // said when the answer is not yes
	do       tea.Cmd
}

type (
	// groupDoneMsg is the answer of a group, list or message command.
	groupDoneMsg struct {
		what, info string
		err        error
		open       *core.Conversation // a conversation to open (a new group or list)
	}
	// namesMsg brings the names of group members.
	namesMsg struct{ names map[crypto.ID]string }
)

const (
	groupUsage = "Usage: /group create NAME ID..., or in a group: /group members, /group add|remove|admin|unadmin ID..., /group rename NAME, /group leave"
	listUsage  = "Usage: /list create NAME ID..., or in a list: /list delete"
)

const pollUsage = `Usage: /poll "Question?" "Choice 1" "Choice 2" ... [--multi]`

// pollCommand asks the open conversation a question.
func (m *Model) pollCommand(rest string) (tea.Cmd, bool) {
	svc := m.groupSvc()
	words, err := shlex.Split(rest, true)
	if err != nil {
		m.setError("Poll: " + err.Error() + ". " + pollUsage)
		return nil, false
	}
	multi := false
	words = slices.DeleteFunc(words, func(w string) bool {
		if w == "--multi" {
			multi = true
			return true
		}
		return false
	})
	if len(words) < 3 {
		m.setError(pollUsage)
		return nil, false
	}
	if m.open.IsZero() {
		m.setError("No conversation open: use /open <ID|name> first.")
		return nil, false
	}
	ref := m.open
	cmd := m.enqueue(ref, "📊 "+words[0], func(ctx context.Context) error {
		_, err := svc.CreatePoll(ctx, ref, words[0], words[1:], multi)
		return err
	})
	return cmd, cmd != nil
}

// latestPoll is the selected or newest poll of the open conversation.
func (m *Model) latestPoll(open bool) *core.Message {
	return m.target("No poll in this chat.", "The selected message is not a poll.", func(msg core.Message) bool {
		return msg.Poll != nil && !msg.Deleted && (!open || !msg.Poll.Closed)
	})
}

// voteCommand votes in the newest poll of the open conversation: "/vote 2"
// or "/vote 1,3"; "/vote -" withdraws the vote.
func (m *Model) voteCommand(rest string) (tea.Cmd, bool) {
	svc := m.groupSvc()
	pm := m.latestPoll(false)
	if pm == nil {
		return nil, false
	}
	var choices []int
	if rest = strings.TrimSpace(rest); rest != "-" {
		for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' }) {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				m.setError("Usage: /vote N or /vote N,M (choice numbers from 1), /vote - withdraws")
				return nil, false
			}
			choices = append(choices, n-1)
		}
		if len(choices) == 0 {
			m.setError("Usage: /vote N or /vote N,M (choice numbers from 1), /vote - withdraws")
			return nil, false
		}
	}
	ref, id, ctx := m.open, pm.ID, m.o.Context
	return func() tea.Msg {
		return groupDoneMsg{what: "Vote", info: "Vote counted.", err: svc.Vote(ctx, ref, id, choices)}
	}, true
}

// closeCommand is /close: it closes the user's newest open poll of the
// conversation.
func (m *Model) closeCommand(string) (tea.Cmd, bool) {
	svc := m.groupSvc()
	me := m.o.Service.Me().ID
	for i := len(m.msgs) - 1; i >= 0; i-- {
		msg := m.msgs[i]
		if msg.Poll == nil || msg.Deleted || msg.Poll.Closed || msg.Poll.Creator != me {
			continue
		}
		ref, id, ctx := m.open, msg.ID, m.o.Context
		return func() tea.Msg {
			return groupDoneMsg{what: "Close poll", info: "Poll closed.", err: svc.ClosePoll(ctx, ref, id)}
		}, true
	}
	m.setError("You have no open poll in this chat.")
	return nil, false
}

// pollLines renders a poll with its live results.
func (m *Model) pollLines(p *core.Poll, w int) []string {
	th := m.th
	kind := "one choice"
	if p.Multi {
		kind = "several choices"
	}
	state := "open · /vote N"
	if p.Closed {
		state = "closed"
	}
	lines := []string{th.Text.Render(fit("📊 "+cleanLine(p.Question), w)),
		th.Muted.Render(fit(fmt.Sprintf("   %s · %s · %d voted", kind, state, len(p.Votes)), w))}
	res := p.Results()
	mine := p.Votes[m.o.Service.Me().ID]
	for i, ch := range p.Choices {
		mark := " "
		if slices.Contains(mine, i) {
			mark = "✓"
		}
		bar := strings.Repeat("█", min(res[i], 20))
		lines = append(lines, fit(fmt.Sprintf(" %s %d. %s %s %d", mark, i+1, cleanLine(ch), bar, res[i]), w))
	}
	return lines
}

// groupCommand is /group: create a group, or in one: members, add, remove,
// admin, unadmin, rename, leave.
func (m *Model) groupCommand(rest string) (tea.Cmd, bool) {
	svc := m.groupSvc()
	verb, args, _ := strings.Cut(strings.TrimSpace(rest), " ")
	args = strings.TrimSpace(args)
	ctx := m.o.Context
	if strings.ToLower(verb) == "create" {
		if m.forbidden("/group create", core.FeatureCreateGroup) {
			return nil, false
		}
		name, ids, err := m.nameAndMembers(args)
		if err != nil {
			m.setError(err.Error() + " — " + groupUsage)
			return nil, false
		}
		return func() tea.Msg {
			conv, err := svc.CreateGroup(ctx, name, ids)
			return groupDoneMsg{what: "Create group", info: fmt.Sprintf("Group %s created with %d members.", name, len(conv.Members)), err: err, open: &conv}
		}, true
	}
	c := m.conv(m.open)
	if c == nil || c.Ref.Kind != core.ConvGroup {
		m.setError("Open a group first (/open NAME). " + groupUsage)
		return nil, false
	}
	key := c.Ref.Group
	title := c.Title()
	switch strings.ToLower(verb) {
	case "add", "remove", "admin", "unadmin":
		ids, err := m.members(strings.Fields(args))
		if err != nil || len(ids) == 0 {
			if err == nil {
				err = errors.New("name at least one member")
			}
			m.setError(err.Error())
			return nil, false
		}
		v := strings.ToLower(verb)
		return func() tea.Msg {
			var err error
			switch v {
			case "add":
				err = svc.AddMembers(ctx, key, ids)
			case "remove":
				err = svc.RemoveMembers(ctx, key, ids)
			default:
				for _, id := range ids {
					if err = svc.SetGroupAdmin(ctx, key, id, v == "admin"); err != nil {
						break
					}
				}
			}
			return groupDoneMsg{what: capitalize(v), info: fmt.Sprintf("%s: %s done for %d.", title, v, len(ids)), err: err}
		}, true
	case "rename":
		if args == "" {
			m.setError("Usage: /group rename NAME")
			return nil, false
		}
		return func() tea.Msg {
			return groupDoneMsg{what: "Rename", info: "Group renamed to " + args + ".", err: svc.RenameGroup(ctx, key, args)}
		}, true
	case "leave":
		return func() tea.Msg {
			return groupDoneMsg{what: "Leave", info: "You left " + title + ".", err: svc.LeaveGroup(ctx, key)}
		}, true
	case "members":
		var names []string
		for _, id := range c.Members {
			n := id.String()
			switch {
			case id == m.o.Service.Me().ID:
				n = "you"
			case m.grp.names[id] != "":
				n = m.grp.names[id] + " (" + id.String() + ")"
			}
			if slices.Contains(c.Admins, id) {
				n += " [admin]"
			}
			names = append(names, n)
		}
		kind := ""
		if c.Managed {
			kind = ", managed by your organisation"
		}
		m.setInfo(fmt.Sprintf("%s: %d members%s: %s", title, len(c.Members), kind, strings.Join(names, ", ")))
		return nil, true
	}
	m.setError(groupUsage)
	return nil, false
}

// listCommand is /list: create a distribution list, or delete the open one.
func (m *Model) listCommand(rest string) (tea.Cmd, bool) {
	svc := m.groupSvc()
	verb, args, _ := strings.Cut(strings.TrimSpace(rest), " ")
	ctx := m.o.Context
	switch strings.ToLower(verb) {
	case "create":
		name, ids, err := m.nameAndMembers(strings.TrimSpace(args))
		if err != nil {
			m.setError(err.Error() + " — " + listUsage)
			return nil, false
		}
		return func() tea.Msg {
			conv, err := svc.CreateList(ctx, name, ids)
			return groupDoneMsg{what: "Create list", info: fmt.Sprintf("List %s created: a message to it goes to %d people, each 1:1.", name, len(ids)), err: err, open: &conv}
		}, true
	case "delete":
		c := m.conv(m.open)
		if c == nil || c.Ref.Kind != core.ConvList {
			m.setError("Open a list first. " + listUsage)
			return nil, false
		}
		id := c.Ref.List
		m.open, m.msgs = core.ConvRef{}, nil
		return func() tea.Msg {
			return groupDoneMsg{what: "Delete list", info: "List deleted; the 1:1 messages stay.", err: svc.DeleteList(ctx, id)}
		}, true
	}
	m.setError(listUsage)
	return nil, false
}

// nameAndMembers splits "NAME ID..." (a quoted name may have spaces).
func (m *Model) nameAndMembers(args string) (string, []crypto.ID, error) {
	var name string
	if strings.HasPrefix(args, `"`) {
		end := strings.Index(args[1:], `"`)
		if end < 0 {
			return "", nil, errors.New("unterminated quote in the name")
		}
		name, args = args[1:1+end], args[2+end:]
	} else {
		name, args, _ = strings.Cut(args, " ")
	}
	if strings.TrimSpace(name) == "" {
		return "", nil, errors.New("name missing")
	}
	ids, err := m.members(strings.Fields(args))
	if err != nil {
		return "", nil, err
	}
	if len(ids) == 0 {
		return "", nil, errors.New("name at least one member")
	}
	return strings.TrimSpace(name), ids, nil
}

// members resolves IDs or names of people the user has chats with.
func (m *Model) members(words []string) ([]crypto.ID, error) {
	var ids []crypto.ID
	for _, w := range words {
		ref, err := m.resolve(w)
		if err != nil {
			return nil, err
		}
		if ref.Kind != core.ConvDirect {
			return nil, fmt.Errorf("%q is a group or list, not a person", cleanLine(w))
		}
		ids = append(ids, ref.Peer)
	}
	return ids, nil
}

// replyCommand answers the newest incoming message of the open chat.
func (m *Model) replyCommand(text string) (tea.Cmd, bool) {
	svc := m.groupSvc()
	t := m.target("Nothing to reply to in this chat.", "The selected message was deleted: there is nothing to reply to.",
		func(msg core.Message) bool {
			return (!msg.Outgoing || m.picked != nil) && !msg.Deleted && msg.Kind != core.KindSystem
		})
	if t == nil {
		return nil, false
	}
	id := t.ID
	m.picked = nil
	return m.sendWith(svc, text, core.SendOptions{ReplyTo: &id}, "Usage: /reply TEXT (answers the selected or newest message)")
}

func (m *Model) sendWith(svc GroupService, text string, o core.SendOptions, usage string) (tea.Cmd, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		m.setError(usage)
		return nil, false
	}
	if m.open.IsZero() {
		m.setError("No conversation open: use /open <ID|name> first.")
		return nil, false
	}
	if len(text) > crypto.MaxTextLen {
		m.setError(fmt.Sprintf("Message too long: %d bytes, the limit is %d.", len(text), crypto.MaxTextLen))
		return nil, false
	}
	ref := m.open
	cmd := m.enqueue(ref, text, func(ctx context.Context) error {
		_, err := svc.SendWith(ctx, ref, text, o)
		return err
	})
	return cmd, cmd != nil
}

// alarmCommand is /alarm TEXT: a message that rings even in quiet hours.
func (m *Model) alarmCommand(text string) (tea.Cmd, bool) {
	return m.sendWith(m.groupSvc(), text, core.SendOptions{Alarm: true}, "Usage: /alarm TEXT")
}

// editCommand is /edit NEW TEXT.
func (m *Model) editCommand(text string) (tea.Cmd, bool) {
	return m.changeLast(m.groupSvc(), text, false)
}

// deleteCommand is /delete.
func (m *Model) deleteCommand(text string) (tea.Cmd, bool) {
	return m.changeLast(m.groupSvc(), text, true)
}

// changeLast edits (or deletes) the selected message of the open chat, or
// with none selected the user's newest. Only the user's own messages can
// be edited; deleting asks first, and says for whom it deletes: the
// user's own sent message for everyone, anything else only here.
func (m *Model) changeLast(svc GroupService, text string, del bool) (tea.Cmd, bool) {
	text = strings.TrimSpace(text)
	if !del && text == "" {
		m.setError("Usage: /edit NEW TEXT (changes the selected message, or your newest)")
		return nil, false
	}
	verb := "edit"
	if del {
		verb = "delete"
	}
	ok := func(msg core.Message) bool {
		return msg.Outgoing && !msg.Deleted && msg.Kind != core.KindSystem && (del || msg.State != core.StateFailed)
	}
	if m.picked != nil {
		i := m.pickedIndex()
		if del && i >= 0 && !m.msgs[i].Outgoing && !m.msgs[i].Deleted && m.msgs[i].Kind != core.KindSystem {
			return m.deleteOther(svc)
		}
		if i < 0 || !ok(m.msgs[i]) {
			m.setError(m.whyNot(verb))
			return nil, false
		}
	}
	msg := m.target("You have no message to "+verb+" in this chat.", "", ok)
	if msg == nil {
		return nil, false
	}
	ref, id, ctx := m.open, msg.ID, m.o.Context
	m.picked = nil
	if !del {
		if msg.Conv.Kind == core.ConvList {
			m.setError(core.ErrListChange.Error())
			return nil, false
		}
		return func() tea.Msg {
			return groupDoneMsg{what: "Edit", info: "Message edited for everyone.", err: svc.Edit(ctx, ref, id, text)}
		}, true
	}
	if msg.State == core.StateFailed || msg.Conv.Kind == core.ConvList {
		return m.ask("Delete this message here only (it was never sent to anyone from here)? y/N", func() tea.Msg {
			return groupDoneMsg{what: "Delete", info: "Message deleted here.", err: svc.DeleteHere(ctx, ref, id, true)}
		}), true
	}
	return m.ask("Delete your message for everyone? y/N", func() tea.Msg {
		return groupDoneMsg{what: "Delete", info: "Message deleted for everyone.", err: svc.Delete(ctx, ref, id)}
	}), true
}

// retryCommand is /retry: it sends the selected failed message, or the
// newest one, again: through the outbox, in its turn, keeping the
// message's place.
func (m *Model) retryCommand(string) (tea.Cmd, bool) {
	svc := m.groupSvc()
	msg := m.target("No message failed in this chat: there is nothing to retry.",
		"The selected message is not one of yours that failed: there is nothing to retry.",
		func(msg core.Message) bool { return msg.Outgoing && msg.State == core.StateFailed && !msg.Deleted })
	if msg == nil {
		return nil, false
	}
	ref, id := m.open, msg.ID
	m.picked = nil
	cmd := m.enqueueStored(ref, func(ctx context.Context) error {
		_, err := svc.Retry(ctx, ref, id)
		return err
	})
	return cmd, cmd != nil
}

// whyNot says why the selected message cannot be edited or deleted.
func (m *Model) whyNot(verb string) string {
	i := m.pickedIndex()
	switch {
	case i < 0:
		return "The selected message is no longer in view: select it again (↑)."
	case m.msgs[i].Kind == core.KindSystem:
		return "That is an event of the conversation, not a message: there is nothing to " + verb + "."
	case m.msgs[i].Deleted:
		return "That message was deleted."
	case !m.msgs[i].Outgoing:
		return "You can only " + verb + " your own messages."
	}
	return "That message was not sent: delete it, or send it again with /retry."
}

// deleteOther asks to delete someone else's selected message from the
// user's own history only.
func (m *Model) deleteOther(svc GroupService) (tea.Cmd, bool) {
	i := m.pickedIndex()
	if i < 0 || m.msgs[i].Outgoing || m.msgs[i].Deleted || m.msgs[i].Kind == core.KindSystem {
		return nil, false
	}
	ref, id, ctx := m.open, m.msgs[i].ID, m.o.Context
	m.picked = nil
	return m.ask("Delete "+cleanLine(m.senderName(m.msgs[i]))+"'s message here only (they and others keep it)? y/N", func() tea.Msg {
		return groupDoneMsg{what: "Delete", info: "Message deleted here; the others keep it.", err: svc.DeleteHere(ctx, ref, id, false)}
	}), true
}

// ask puts a yes/no question in the status line; y runs do, any other
// key drops it.
func (m *Model) ask(question string, do tea.Cmd) tea.Cmd {
	return m.confirm(question, "Nothing deleted.", do)
}

// confirm asks a y/N question: y runs do, anything else says no.
func (m *Model) confirm(question, no string, do tea.Cmd) tea.Cmd {
	m.grp.confirm = &confirmation{question: question, no: no, do: do}
	m.setInfo(question)
	return nil
}

// answer takes the key that answers a pending question.
func (m *Model) answer(msg tea.KeyPressMsg) tea.Cmd {
	c := m.grp.confirm
	m.grp.confirm = nil
	if msg.String() == "y" || msg.String() == "Y" {
		m.clearStatus()
		return c.do
	}
	m.setInfo(c.no)
	return nil
}

// updateGroups handles the answers of group commands and name lookups.
func (m *Model) updateGroups(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case groupDoneMsg:
		if msg.err != nil {
			m.setError(msg.what + ": " + msg.err.Error())
			return nil, true
		}
		m.setInfo(msg.info)
		if msg.open != nil && !msg.open.Ref.IsZero() {
			m.openConversation(msg.open.Ref, msg.open.Title())
		}
		return m.reloadCmd(), true
	case namesMsg:
		m.grp.looking = false
		if m.grp.names == nil {
			m.grp.names = map[crypto.ID]string{}
		}
		for id, n := range msg.names {
			m.grp.names[id] = n
		}
		return nil, true
	}
	return nil, false
}

// followTitle gives the open group or list the title the conversations
// just read hold: a rename, by anyone, shows in the header without
// reopening. A 1:1 chat keeps the name it was opened under.
func (m *Model) followTitle() {
	if m.open.Kind == core.ConvDirect {
		return
	}
	if c := m.conv(m.open); c != nil && c.Name != "" {
		m.openName = c.Title()
	}
}

// namesCmd looks up the names of the open group's members not known yet.
func (m *Model) namesCmd() tea.Cmd {
	c := m.conv(m.open)
	if c == nil || c.Ref.Kind != core.ConvGroup || m.grp.looking {
		return nil
	}
	var want []crypto.ID
	for _, id := range c.Members {
		if _, ok := m.grp.names[id]; !ok && id != m.o.Service.Me().ID {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	m.grp.looking = true
	svc, ctx := m.o.Service, m.o.Context
	return func() tea.Msg {
		out := map[crypto.ID]string{}
		for _, id := range want {
			ct, err := svc.Contact(ctx, id)
			switch {
			case err != nil:
				out[id] = id.String()
			case ct.Name != "":
				out[id] = ct.Name
			case ct.Nickname != "":
				out[id] = "~" + ct.Nickname
			default:
				out[id] = id.String()
			}
		}
		return namesMsg{names: out}
	}
}

// senderName is who wrote an incoming message, as the message list shows it.
func (m *Model) senderName(msg core.Message) string {
	if m.open.Kind != core.ConvGroup {
		return m.openName
	}
	if n, ok := m.grp.names[msg.From]; ok {
		return n
	}
	return msg.From.String()
}

// agreeCommand is /agree, disagreeCommand /disagree.
func (m *Model) agreeCommand(string) (tea.Cmd, bool)    { return m.reactCommand(m.groupSvc(), true) }
func (m *Model) disagreeCommand(string) (tea.Cmd, bool) { return m.reactCommand(m.groupSvc(), false) }

// reactCommand agrees or disagrees with the newest message of someone
// else in the open chat; the same again takes it back.
func (m *Model) reactCommand(svc GroupService, agree bool) (tea.Cmd, bool) {
	if msg := m.target("No message of someone else to react to in this chat.", "The selected message was deleted: there is nothing to react to.",
		func(msg core.Message) bool {
			return (!msg.Outgoing || m.picked != nil) && !msg.Deleted && msg.Kind != core.KindSystem
		}); msg != nil {
		ref, id, ctx := m.open, msg.ID, m.o.Context
		m.picked = nil
		what := "Agree"
		if !agree {
			what = "Disagree"
		}
		return func() tea.Msg {
			return groupDoneMsg{what: what, info: what + " sent (silently).", err: svc.React(ctx, ref, id, agree)}
		}, true
	}
	return nil, false
}

const locationUsage = "Usage: /location LAT,LON [label], e.g. /location 47.3769,8.5417 Zurich HB"

// locationCommand shares a position in the open chat.
func (m *Model) locationCommand(rest string) (tea.Cmd, bool) {
	svc := m.groupSvc()
	coords, label, _ := strings.Cut(strings.TrimSpace(rest), " ")
	lat, lon, ok := strings.Cut(coords, ",")
	if !ok {
		m.setError(locationUsage)
		return nil, false
	}
	la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
	if err1 != nil || err2 != nil {
		m.setError(locationUsage)
		return nil, false
	}
	if m.open.IsZero() {
		m.setError("No conversation open: use /open <ID|name> first.")
		return nil, false
	}
	ref := m.open
	loc := crypto.Location{Lat: la, Lon: lo, Label: strings.TrimSpace(label)}
	cmd := m.enqueue(ref, fmt.Sprintf("📍 %.5f, %.5f %s", loc.Lat, loc.Lon, loc.Label), func(ctx context.Context) error {
		_, err := svc.SendLocation(ctx, ref, loc)
		return err
	})
	return cmd, cmd != nil
}

// reactionLine shows who agrees and disagrees, if anyone does.
func (m *Model) reactionLine(msg core.Message) string {
	if len(msg.Agree) == 0 && len(msg.Disagree) == 0 {
		return ""
	}
	var parts []string
	if n := len(msg.Agree); n > 0 {
		parts = append(parts, fmt.Sprintf("👍 %d", n))
	}
	if n := len(msg.Disagree); n > 0 {
		parts = append(parts, fmt.Sprintf("👎 %d", n))
	}
	return m.th.Muted.Render(strings.Join(parts, "  "))
}

// pickKey moves the message selection (messagesPane.pickKey): ↑ and ↓
// in an empty composer of an open chat, Esc to drop it. It reports
// whether it used the key.
func (m *Model) pickKey(msg tea.KeyPressMsg) bool {
	if m.screen != screenChat || m.focus != focusComposer || m.open.IsZero() || !m.composerEmpty() {
		return false
	}
	switch m.messagesPane.pickKey(msg) {
	case pickMoved:
		m.setInfo("Selected: /reply, /agree, /disagree, /edit, /delete, /vote act on it · Esc to drop")
	case pickDropped:
		m.clearStatus()
	default:
		return false
	}
	return true
}

// target is the message a command acts on: the selected one if it
// qualifies, or with none selected the newest that does. A selected
// message that does not qualify is refused with the reason refused, never
// replaced by another; with none selected and none qualifying, the reason
// is none. Nil means the reason is in the status line.
func (m *Model) target(none, refused string, ok func(core.Message) bool) *core.Message {
	if m.picked != nil {
		i := m.pickedIndex()
		switch {
		case i < 0:
			m.setError("The selected message is no longer in view: select it again (↑).")
		case !ok(m.msgs[i]):
			m.setError(refused)
		default:
			return &m.msgs[i]
		}
		return nil
	}
	for i := len(m.msgs) - 1; i >= 0; i-- {
		if ok(m.msgs[i]) {
			return &m.msgs[i]
		}
	}
	m.setError(none)
	return nil
}
