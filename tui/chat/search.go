package chat

import (
	"fmt"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/tui/core"
)

// /search: the core searches the decrypted history on the device store (the
// server never sees the query); the results pane lists them newest first,
// the match highlighted, and Enter jumps to the conversation.

// searchLimit is how many results /search shows at most.
const searchLimit = 100

// maxQuery bounds a search query, in characters (as the core does).
const maxQuery = 200

type searchMsg struct {
	query   string
	results []core.Message
	err     error
}

// searchCommand is /search TEXT.
func (m *Model) searchCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	q := strings.TrimSpace(arg)
	if q == "" {
		m.setError("Usage: /search <text> (case does not matter)")
		return nil, false
	}
	if n := len([]rune(q)); n > maxQuery {
		m.setError(fmt.Sprintf("Search text too long: %d characters, the limit is %d.", n, maxQuery))
		return nil, false
	}
	ctx := m.o.Context
	return func() tea.Msg {
		res, err := svc.Search(ctx, q, searchLimit)
		return searchMsg{query: q, results: res, err: err}
	}, true
}

func (m *Model) searchDone(msg searchMsg) tea.Cmd {
	if msg.err != nil {
		m.setError("Search failed: " + msg.err.Error())
		return nil
	}
	m.loc.query, m.loc.results = msg.query, msg.results
	m.openPane(paneSearch)
	switch n := len(msg.results); {
	case n == 0:
		m.setInfo(fmt.Sprintf("Nothing found for %q.", msg.query))
	case n >= searchLimit:
		m.setInfo(fmt.Sprintf("The newest %d messages with %q: search for more words to narrow it down.", n, msg.query))
	default:
		m.setInfo(fmt.Sprintf("%d %s with %q.", n, plural(n, "message", "messages"), msg.query))
	}
	return nil
}

// jumpTo opens the conversation of a search result.
func (m *Model) jumpTo(r core.Message) tea.Cmd {
	name := ""
	for _, c := range m.convs {
		if c.Ref == r.Conv {
			name = c.Title()
		}
	}
	if name == "" && r.Conv.Kind == core.ConvDirect {
		name = m.personName(r.Conv.Peer)
	}
	m.openConversation(r.Conv, name)
	m.focus = focusComposer
	m.input.Focus()
	m.setInfo("Message of " + r.Time.In(m.o.Location).Format("2 Jan 2006 15:04") + ", from your search.")
	return m.reloadCmd()
}

// convTitle is the title of the conversation ref, as the list shows it.
func (m *Model) convTitle(ref core.ConvRef) string {
	for _, c := range m.convs {
		if c.Ref == ref {
			return c.Title()
		}
	}
	if ref.Kind == core.ConvDirect {
		return m.personName(ref.Peer)
	}
	return ref.String()
}

// shownText is what a message shows, on one line, for a search result.
func shownText(msg core.Message) string {
	switch {
	case msg.File != nil:
		s := "📎 " + msg.File.Name
		if msg.File.Caption != "" {
			s += " — " + msg.File.Caption
		}
		return s
	case msg.Location != nil:
		return "📍 " + msg.Location.Label
	case msg.Poll != nil:
		return "📊 " + msg.Poll.Question + " (" + strings.Join(msg.Poll.Choices, " / ") + ")"
	}
	return msg.Text
}

// searchContent is what the search results pane shows.
func (m *Model) searchContent(w int) paneContent {
	th := m.th
	rows := make([]string, 0, len(m.loc.results))
	for _, r := range m.loc.results {
		when := th.Muted.Render(r.Time.In(m.o.Location).Format("02 Jan 15:04"))
		where := cleanLine(m.convTitle(r.Conv))
		var head string
		switch {
		case r.Conv.Kind == core.ConvDirect && r.Outgoing:
			head = "you → " + where
		case r.Conv.Kind == core.ConvDirect:
			head = where
		case r.Outgoing:
			head = where + " · you"
		default:
			head = where + " · " + cleanLine(m.personName(r.From))
		}
		headW := max(8, min(22, w/3))
		head = fit(head, headW)
		pad := strings.Repeat(" ", max(0, headW-ansi.StringWidth(head)))
		prefix := when + " " + th.Peer.Render(head) + pad + " "
		room := max(8, w-2-ansi.StringWidth(prefix))
		rows = append(rows, prefix+m.snippet(cleanLine(shownText(r)), m.loc.query, room))
	}
	title := fmt.Sprintf("Search: %s (%d)", cleanLine(m.loc.query), len(rows))
	return paneContent{title: title, rows: rows, empty: "No message contains this text."}
}

// snippet fits text into w cells around the first match of query
// (case-insensitive), the match highlighted.
func (m *Model) snippet(text, query string, w int) string {
	rs := []rune(text)
	qs := []rune(strings.TrimSpace(query))
	at := indexFold(rs, qs)
	if at < 0 || len(qs) == 0 {
		return m.th.Text.Render(fit(text, w))
	}
	before, match, after := string(rs[:at]), string(rs[at:at+len(qs)]), string(rs[at+len(qs):])
	mw := ansi.StringWidth(match)
	if mw >= w {
		return m.th.Match.Render(fit(match, w))
	}
	if ansi.StringWidth(text) > w {
		// Keep the match in view: as much before it as leaves room for a
		// little after it.
		room := w - mw - min(ansi.StringWidth(after), w/3)
		if ansi.StringWidth(before) > room {
			cut := []rune(before)
			for len(cut) > 0 && ansi.StringWidth(string(cut))+1 > room {
				cut = cut[1:]
			}
			before = ""
			if room > 0 {
				before = "…" + string(cut)
			}
		}
	}
	out := m.th.Text.Render(before) + m.th.Match.Render(match)
	if rest := w - ansi.StringWidth(before) - mw; rest > 0 && after != "" {
		out += m.th.Text.Render(fit(after, rest))
	}
	return out
}

// indexFold finds q in s, comparing runes case-insensitively (simple
// folding); -1 if it is not there.
func indexFold(s, q []rune) int {
	if len(q) == 0 || len(q) > len(s) {
		return -1
	}
outer:
	for i := 0; i+len(q) <= len(s); i++ {
		for j, r := range q {
			if unicode.ToLower(s[i+j]) != unicode.ToLower(r) {
				continue outer
			}
		}
		return i
	}
	return -1
}
