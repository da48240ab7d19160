package chat

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// Unread messages in the open conversation. A conversation opened with
// unread messages shows a marker line ("── 3 new ──") above the first of
// them until the user leaves it. While the user is scrolled up, messages
// that arrive are counted and announced at the bottom of the pane
// ("2 new ↓ end"), the view stays where the user is reading, and End
// jumps to the newest. The state is the messages pane's (messages.go).

// unreadState is the open conversation's unread marker and the count of
// messages that arrived while scrolled up.
type unreadState struct {
	// want is how many messages were unread when the conversation opened;
	// the marker is placed at the first load that brings messages.
	want int
	// at is the first unread message, n how many the marker announces
	// (0: no marker).
	at msgKey
	n  int
	// below counts the messages that arrived while scrolled up.
	below int
}

// msgKey names a message of the open conversation.
type msgKey struct {
	id  crypto.MessageID
	out bool
	at  int64 // Unix ns
}

func keyOf(msg *core.Message) msgKey {
	return msgKey{id: msg.ID, out: msg.Outgoing, at: msg.Time.UnixNano()}
}

// placeUnread puts the marker above the first of the unread messages,
// counted back from the newest incoming one.
func (p *messagesPane) placeUnread() {
	if p.unread.want <= 0 || len(p.msgs) == 0 {
		return
	}
	want := p.unread.want
	p.unread.want = 0
	n := 0
	for i := len(p.msgs) - 1; i >= 0; i-- {
		msg := &p.msgs[i]
		if msg.Outgoing || msg.Kind == core.KindSystem {
			continue
		}
		n++
		p.unread.at = keyOf(msg)
		if n == want {
			break
		}
	}
	p.unread.n = n
}

// arrived takes a newer page of the open conversation: while the user is
// scrolled up, the messages after the newest one shown are counted and
// the view keeps its place. lines counts the lines of all messages, as
// laid out now.
func (p *messagesPane) arrived(msgs []core.Message, lines func() int) {
	if p.scroll == 0 || len(p.msgs) == 0 {
		p.unread.below = 0
		p.msgs = msgs
		return
	}
	last := keyOf(&p.msgs[len(p.msgs)-1])
	i := len(msgs) - 1
	for ; i >= 0 && keyOf(&msgs[i]) != last; i-- {
	}
	if i < 0 || i == len(msgs)-1 {
		p.msgs = msgs // nothing new after it (or it is gone): nothing to count
		return
	}
	for _, msg := range msgs[i+1:] {
		if !msg.Outgoing && msg.Kind != core.KindSystem {
			p.unread.below++
		}
	}
	before := lines()
	p.msgs = msgs
	p.scroll += max(0, lines()-before)
}

// jumpNewest scrolls to the newest message.
func (p *messagesPane) jumpNewest() {
	p.scroll, p.unread.below = 0, 0
}

// unreadLine is the marker above the first unread message.
func (p *messagesPane) unreadLine(th *theme.Theme, w int) string {
	label := fmt.Sprintf(" %d new ", p.unread.n)
	side := max(1, (w-ansi.StringWidth(label))/2)
	return th.Warning.Render(fit(strings.Repeat("─", side)+label+strings.Repeat("─", side), w))
}

// belowLine is the bottom row of the pane while scrolled up with new
// messages below: how many, and the key that jumps to them.
func (p *messagesPane) belowLine(th *theme.Theme, w int) string {
	label := fmt.Sprintf(" %d new ↓ %s ", p.unread.below, p.keys.Newest.Help().Key)
	return padRight("", max(0, w-ansi.StringWidth(label)-1)) + th.Badge.Render(label)
}
