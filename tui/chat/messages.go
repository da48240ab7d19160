package chat

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// The messages pane: the open conversation. It keeps which conversation
// is open, its loaded messages and the cursor for older ones, how far the
// user scrolled up, the message selected with ↑/↓ (that /reply, /agree,
// /edit, /delete and /vote act on), and the unread marker and "N new ↓"
// count (unread.go). Its keys scroll and select; its view frames the
// conversation: the title, the lines in view, the count of news below.
//
// How one message is drawn (polls, reactions, files, the outbox's pending
// messages, names of group members) draws on the features beside the
// conversation: the model lays the messages out (Model.layoutMessages,
// view.go) and hands that to the pane. Loading pages is the model's too:
// the pane says when an older page is wanted.

// messagesPane is the open conversation component.
type messagesPane struct {
	open     core.ConvRef // the open conversation, zero if none
	openName string       // its title
	msgs     []core.Message
	older    []byte // cursor for older messages of the open conversation
	// olderPending is the cursor of the older page being loaded; olderGen
	// tells its answer from one made stale by a reload.
	olderPending []byte
	olderGen     int
	scroll       int // lines scrolled up from the bottom
	// picked is the message the user selected with ↑/↓ in an empty
	// composer: /reply, /agree, /edit, /delete and /vote act on it
	// instead of the newest one, or refuse. Nil: none.
	picked *pick
	// unread is the unread marker and the news below (unread.go).
	unread unreadState
	// blocks are the messages as last laid out (blocks.go).
	blocks blockCache
	keys   messageKeys
}

// messageKeys are the open conversation's keys.
type messageKeys struct {
	PageUp, PageDown, Newest key.Binding
	// Pick moves the message selection (in an empty composer), Drop drops it.
	PickUp, PickDown, Drop key.Binding
}

func newMessageKeys() messageKeys {
	return messageKeys{
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup/pgdn", "scroll")),
		PageDown: key.NewBinding(key.WithKeys("pgdown")),
		Newest:   key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "newest")),
		PickUp:   key.NewBinding(key.WithKeys("up")),
		PickDown: key.NewBinding(key.WithKeys("down")),
		Drop:     key.NewBinding(key.WithKeys("esc")),
	}
}

// layoutFunc lays the open conversation's messages out w columns wide,
// from the newest back until at least need lines exist.
type layoutFunc func(w, need int) []string

// show opens peer (titled name) in the pane, at the newest message. A
// conversation other than the one open starts empty, its unread marker
// to be placed above the unread newest ones.
func (p *messagesPane) showConv(peer core.ConvRef, name string, unread int) {
	if p.open != peer {
		p.msgs, p.older = nil, nil
		p.unread = unreadState{want: unread}
		clear(p.blocks.entries)
	}
	if name == "" {
		name = peer.String()
	}
	p.open, p.openName, p.scroll = peer, name, 0
}

// close leaves the open conversation: the pane is empty again.
func (p *messagesPane) clearConv() {
	p.open, p.openName = core.ConvRef{}, ""
	p.msgs, p.older = nil, nil
	p.scroll = 0
	p.unread = unreadState{}
	clear(p.blocks.entries)
}

// loaded takes a fresh page of the open conversation; lines counts the
// lines of all its messages (for keeping the place while scrolled up).
func (p *messagesPane) pageLoaded(page core.Page, lines func() int) {
	p.arrived(page.Messages, lines)
	p.older = page.Older
	p.placeUnread()
	p.olderGen++ // an older page requested before this load no longer fits
	p.olderPending = nil
}

// fits says whether an older page answers the pane's last request: no
// reload or other conversation came in between.
func (p *messagesPane) olderFits(msg olderMsg) bool {
	return msg.peer == p.open && msg.gen == p.olderGen
}

// olderFailed lets the user ask for the older page again.
func (p *messagesPane) olderFailed() { p.older, p.olderPending = p.olderPending, nil }

// prepend takes the older page that was asked for.
func (p *messagesPane) prependOlder(page core.Page) {
	p.msgs = append(page.Messages, p.msgs...)
	p.older, p.olderPending = page.Older, nil
}

// handleKey scrolls the pane, h rows high: PgUp and PgDn by a page, End
// to the newest once scrolled up. older says the user reached the top of
// what is loaded and an older page should come.
func (p *messagesPane) handleKey(msg tea.KeyPressMsg, layout func(need int) []string, h int) (handled, older bool) {
	switch {
	case key.Matches(msg, p.keys.PageUp):
		step := max(1, h-2)
		view := h - 1 // the pane's title takes a line
		// Lay out only as far as the new position needs.
		have := len(layout(p.scroll + step + view))
		p.scroll = max(0, min(p.scroll+step, have-view))
		return true, p.older != nil && p.scroll+view >= have
	case key.Matches(msg, p.keys.PageDown):
		p.scroll = max(0, p.scroll-max(1, h-2))
		if p.scroll == 0 {
			p.jumpNewest()
		}
		return true, false
	case p.scroll > 0 && key.Matches(msg, p.keys.Newest):
		p.jumpNewest()
		return true, false
	}
	return false, false
}

// pickResult is what a selection key did.
type pickResult int

const (
	pickNone    pickResult = iota // not a selection key here
	pickMoved                     // a message is selected
	pickDropped                   // the selection is gone
)

// pickKey moves the message selection: ↑ from the newest back, ↓ towards
// it and past it to none, Esc to drop it.
func (p *messagesPane) pickKey(msg tea.KeyPressMsg) pickResult {
	if len(p.msgs) == 0 {
		return pickNone
	}
	cur := p.pickedIndex()
	switch {
	case key.Matches(msg, p.keys.PickUp):
		switch {
		case cur < 0:
			cur = len(p.msgs) - 1
		case cur > 0:
			cur--
		}
	case key.Matches(msg, p.keys.PickDown):
		if cur < 0 {
			return pickNone
		}
		cur++
		if cur >= len(p.msgs) {
			p.picked = nil
			return pickDropped
		}
	case key.Matches(msg, p.keys.Drop):
		if cur < 0 {
			return pickNone
		}
		p.picked = nil
		return pickDropped
	default:
		return pickNone
	}
	m := p.msgs[cur]
	p.picked = &pick{id: m.ID, out: m.Outgoing, from: m.From}
	return pickMoved
}

// pickedIndex is the index of the selected message in msgs; -1 if none.
func (p *messagesPane) pickedIndex() int {
	if p.picked == nil {
		return -1
	}
	for i := len(p.msgs) - 1; i >= 0; i-- {
		if p.picked.is(p.msgs[i]) {
			return i
		}
	}
	return -1
}

// messagesProps is what the pane's view needs beside its own state.
type messagesProps struct {
	th     *theme.Theme
	pt     *paints // th's styles made ready; nil: th's own
	layout layoutFunc
	// mark follows the title: the peer's presence, "typing…" (typing.go).
	mark string
}

// View renders the open conversation, w columns by h rows at most: its
// title, then the bottom of the conversation scrolled up by scroll, the
// last row saying how many new messages are below.
func (p *messagesPane) View(pr messagesProps, w, h int) string {
	return strings.Join(p.lines(pr, w, h), "\n")
}

// lines are View's lines, each fitted to w columns.
func (p *messagesPane) lines(pr messagesProps, w, h int) []string {
	p.blocks.viewStart()
	defer p.blocks.viewEnd()
	title := " " + cleanLine(p.openName) + pr.mark + " · " + p.open.String()
	var head string
	if pr.pt != nil {
		head = pr.pt.title.Render(fit(title, w))
	} else {
		head = pr.th.Title.Render(fit(title, w))
	}
	lines := []string{fitPad(head, w)}
	body := p.messageLines(pr, w, h-1)
	if p.scroll > 0 && p.unread.below > 0 && len(body) > 0 {
		body[len(body)-1] = fitPad(p.belowLine(pr.th, w), w)
	}
	return append(lines, body...)
}

// messageLines are the h lines in view.
func (p *messagesPane) messageLines(pr messagesProps, w, h int) []string {
	lines := pr.layout(w, h+p.scroll)
	if len(lines) == 0 {
		return []string{fitPad("", w), fitPad(pr.th.Muted.Render(" No messages yet. Say hello!"), w)}
	}
	end := max(0, len(lines)-p.scroll)
	start := max(0, end-h)
	if start == 0 && end < h && len(lines) >= h {
		end = min(len(lines), h)
	}
	return lines[start:end]
}

// How the model draws the open conversation's messages for the pane: from
// the newest back, only as far as the pane needs.

// lineCount is how many lines all messages of the open conversation take.
func (m *Model) lineCount() int { return len(m.layoutMessages(m.paneWidth(), math.MaxInt)) }

const indent = 7

// layoutMessages lays out messages from the newest backwards until at
// least need lines exist, so only what can be seen is wrapped and styled.
// Each message's lines come from the pane's block cache (blocks.go) when
// nothing that shapes them changed since they were laid out.
func (m *Model) layoutMessages(w, need int) []string {
	c := m.blocks.use(w, m.th)
	me := m.o.Service.Me()
	msgs := m.msgs
	stored := len(msgs)
	if q := m.waiting(); len(q) > 0 {
		msgs = append(slices.Clip(msgs), q...)
	}
	out := c.scratch[:0] // blocks, newest first
	total := 0
	for i := len(msgs) - 1; i >= 0 && total < need; i-- {
		msg := &msgs[i]
		var prev *core.Message
		if i > 0 {
			prev = &msgs[i-1]
		}
		k := m.blockKeyOf(msg, prev, me, c)
		id := blockID{msgKey: keyOf(msg)}
		if i >= stored {
			id.pending = i - stored + 1
		}
		block, ok := c.get(id, &k)
		if !ok {
			block = m.messageBlock(msg, &k, w)
			for j, l := range block {
				block[j] = fitPad(l, w) // as the pane fits its lines
			}
			c.put(id, k, block)
		}
		out = append(out, block)
		total += len(block)
	}
	lines := make([]string, 0, total)
	for i := len(out) - 1; i >= 0; i-- {
		lines = append(lines, out[i]...)
	}
	clear(out)
	c.scratch = out[:0]
	return lines
}

// blockKeyOf is everything that shapes msg's lines besides the width and
// the theme: the message's own fields that are shown, and where it stands
// (below prev, the unread marker, the selection). messageBlock reads
// nothing else.
func (m *Model) blockKeyOf(msg, prev *core.Message, me core.Identity, c *blockCache) blockKey {
	local := msg.Time.In(m.o.Location)
	k := blockKey{
		newDay:      prev == nil || !sameDay(prev.Time.In(m.o.Location), local),
		picked:      m.picked.is(*msg),
		kind:        msg.Kind,
		outgoing:    msg.Outgoing,
		text:        msg.Text,
		quote:       msg.Quote,
		state:       msg.State,
		errText:     msg.Error,
		edited:      !msg.Edited.IsZero(),
		deleted:     msg.Deleted,
		deletedHere: msg.DeletedHere,
		alarm:       msg.Alarm,
		agree:       len(msg.Agree),
		disagree:    len(msg.Disagree),
	}
	if m.unread.n > 0 && keyOf(msg) == m.unread.at {
		k.unread = m.unread.n
	}
	k.grouped = !k.newDay && prev != nil && prev.Outgoing == msg.Outgoing && prev.From == msg.From &&
		prev.Kind != core.KindSystem && msg.Time.Sub(prev.Time) < 5*time.Minute
	switch {
	case msg.Outgoing:
		k.name = me.Name
	default:
		k.name = m.senderName(*msg)
	}
	if msg.Outgoing && !msg.DeletedHere {
		k.read, k.of = msg.ReadCount()
	}
	if msg.File != nil {
		k.file, k.fileName, k.fileSize = true, msg.File.Name, msg.File.Size
	}
	if msg.Location != nil {
		k.loc, k.where = true, *msg.Location
	}
	if msg.Poll != nil && !msg.Deleted {
		k.poll = c.pollSum(msg.Poll, me.ID)
	}
	return k
}

// messageBlock lays out one message w columns wide: the unread marker
// and the day above it if k says so, its header, quote, body, state and
// reactions. It reads only what blockKeyOf put in k (the poll as k.poll
// sums it), the width, the theme and the session's options.
func (m *Model) messageBlock(msg *core.Message, k *blockKey, w int) []string {
	th := m.paints()
	textW := max(10, w-indent-1)
	var block []string
	local := msg.Time.In(m.o.Location)
	if k.unread > 0 {
		block = append(block, m.unreadLine(m.th, w))
	}
	if k.newDay {
		block = append(block, th.muted.Render(fit(" ── "+local.Format("Monday, 2 January 2006")+" ──", w)))
	}
	if msg.Kind == core.KindSystem {
		// An event of the conversation (members, name): one muted line.
		return append(block, th.muted.Render(fit(" "+local.Format("15:04")+" · "+cleanLine(msg.Text), w)))
	}
	if !k.grouped {
		name := th.peer.Render(cleanLine(k.name))
		if msg.Outgoing {
			name = th.own.Render("You")
			if k.name != "" {
				name = th.own.Render(cleanLine(k.name))
			}
		}
		block = append(block, " "+th.muted.Render(local.Format("15:04"))+" "+name)
	}
	if msg.Quote != "" {
		block = append(block, strings.Repeat(" ", indent)+th.muted.Render(fit("┃ "+cleanLine(msg.Quote), textW)))
	}
	var body []string
	if msg.Poll != nil && !msg.Deleted {
		body = m.pollLines(msg.Poll, textW)
	} else {
		body = bodyLines(m.messageText(*msg), textW)
	}
	for j, l := range body {
		line := strings.Repeat(" ", indent) + th.text.Render(l)
		if j == 0 && k.picked {
			line = "  " + th.own.Render("▶") + strings.Repeat(" ", indent-3) + th.text.Render(l)
		}
		if j == len(body)-1 && msg.Outgoing && !msg.DeletedHere {
			mark := m.stateMark(*msg)
			if ansi.StringWidth(l)+1+ansi.StringWidth(mark) <= textW {
				line += " " + mark
			} else {
				block = append(block, line)
				line = strings.Repeat(" ", indent) + mark
			}
		}
		block = append(block, line)
	}
	if r := m.reactionLine(*msg); r != "" {
		block = append(block, strings.Repeat(" ", indent)+r)
	}
	return block
}

// bodyLines lays out a message's text: each of its lines cleaned, marked
// up and wrapped on its own, so a style never runs into the next line.
func bodyLines(text string, w int) []string {
	var out []string
	for _, l := range strings.Split(clean(text), "\n") {
		out = append(out, strings.Split(ansi.Wrap(markup(l), w, ""), "\n")...)
	}
	return out
}

func (m *Model) stateMark(msg core.Message) string {
	th := m.paints()
	switch msg.State {
	case core.StatePending:
		return th.muted.Render("… sending")
	case core.StateSent:
		if r, of := msg.ReadCount(); of > 0 && r > 0 {
			return th.muted.Render(fmt.Sprintf("✓ sent · read %d/%d", r, of))
		}
		return th.muted.Render("✓ sent")
	case core.StateDelivered:
		if r, of := msg.ReadCount(); of > 0 {
			return th.muted.Render(fmt.Sprintf("✓✓ delivered · read %d/%d", r, of))
		}
		return th.muted.Render("✓✓ delivered")
	case core.StateRead:
		if r, of := msg.ReadCount(); of > 0 {
			return th.stateRead.Render(fmt.Sprintf("✓✓ read %d/%d", r, of))
		}
		return th.stateRead.Render("✓✓ read")
	case core.StateFailed:
		return th.errorS.Render("✗ not sent: " + cleanLine(msg.Error) + " · /retry")
	}
	return ""
}

// messageText is what a message shows as its text: files, locations and
// deletions say what they are.
func (m *Model) messageText(msg core.Message) string {
	var s string
	switch {
	case msg.DeletedHere:
		return "(message deleted here)"
	case msg.Deleted:
		return "(message deleted)"
	case msg.File != nil:
		s = fmt.Sprintf("📎 %s (%s) · %s", msg.File.Name, byteSize(msg.File.Size), m.fetchHint(msg))
	case msg.Location != nil:
		l := msg.Location
		s = fmt.Sprintf("📍 %.5f, %.5f %s %s", l.Lat, l.Lon, l.Label, osmLink(l.Lat, l.Lon))
	default:
		s = msg.Text
	}
	if msg.Alarm {
		s = "🚨 ALARM " + s
	}
	if !msg.Edited.IsZero() {
		s += " (edited)"
	}
	return s
}

// byteSize shows a size in B, KiB, MiB or GiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 2; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMG"[exp])
}

// fetchHint says how the user gets a file: /save where the chat runs on
// their machine, the scp command that works against this server in a
// hosted session.
func (m *Model) fetchHint(msg core.Message) string {
	if m.o.Files != nil {
		return "/save keeps it"
	}
	host := m.o.SCPHost
	if host == "" {
		host = "HOST"
	}
	return fmt.Sprintf("fetch: scp %s:inbox/%s .", host, msg.ID)
}

// osmLink is an OpenStreetMap link to a position.
func osmLink(lat, lon float64) string {
	return fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=16/%.5f/%.5f", lat, lon, lat, lon)
}
