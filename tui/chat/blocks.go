package chat

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// The messages pane's block cache: each message of the open conversation
// is laid out (wrapped, styled, fitted to the pane) once, and its lines
// are kept until something that shapes them changes. A hosted server
// renders every session on every event, and most events change one
// message or add one; without the cache every visible message was laid
// out again each time.
//
// An entry is found by the message (its ID, direction and time; pending
// messages of the outbox by their place in it) and used only while its
// blockKey equals the one computed now: the key holds every input of
// messageBlock besides the width, the theme and the session's options.
// A change of width or theme empties the cache. Each View keeps only the
// entries it used, so the cache holds the messages in view and never
// messages that are no longer loaded.

// blockCache holds laid-out messages for one width and theme.
type blockCache struct {
	w       int
	th      *theme.Theme
	entries map[blockID]*blockEntry
	// gen counts Views; an entry used by the current one has seen == gen.
	gen  uint64
	used int // entries used in the current View
	seed maphash.Seed
	// scratch is layoutMessages' list of blocks, kept between calls.
	scratch [][]string
}

// blockID names a message of the open conversation in the cache.
type blockID struct {
	msgKey
	pending int // 1 + its place among the outbox's waiting messages; 0: stored
}

// blockKey is what a message's lines are made of (see messageBlock).
type blockKey struct {
	unread   int  // the unread marker above it announces this many; 0: none
	newDay   bool // the day's separator is above it
	grouped  bool // it goes under the previous message's header
	picked   bool // it is the selected message
	kind     core.MessageKind
	outgoing bool
	// name is the sender as named (the user's own name for outgoing ones).
	name, text, quote string
	state             core.State
	errText           string
	read, of          int // read receipts of a group message
	edited            bool
	deleted           bool
	deletedHere       bool
	alarm             bool
	agree, disagree   int
	file              bool
	fileName          string
	fileSize          int64
	loc               bool
	where             crypto.Location
	poll              uint64 // pollSum of a poll shown; 0: none
}

type blockEntry struct {
	key   blockKey
	lines []string
	seen  uint64
}

// use readies the cache for laying out at width w in theme th: it starts
// empty if either changed.
func (c *blockCache) use(w int, th *theme.Theme) *blockCache {
	if c.entries == nil || c.w != w || c.th != th {
		if c.entries == nil {
			c.seed = maphash.MakeSeed()
		}
		c.reset()
		c.w, c.th = w, th
	}
	return c
}

// reset forgets every entry.
func (c *blockCache) reset() {
	if c.entries == nil {
		c.entries = map[blockID]*blockEntry{}
	}
	clear(c.entries)
	c.used = 0
}

// get returns the lines kept for id if they were made from k.
func (c *blockCache) get(id blockID, k *blockKey) ([]string, bool) {
	e, ok := c.entries[id]
	if !ok || e.key != *k {
		return nil, false
	}
	c.mark(e)
	return e.lines, true
}

// put keeps the lines made for id from k.
func (c *blockCache) put(id blockID, k blockKey, lines []string) {
	e, ok := c.entries[id]
	if !ok {
		e = &blockEntry{}
		c.entries[id] = e
	}
	e.key, e.lines = k, lines
	c.mark(e)
}

func (c *blockCache) mark(e *blockEntry) {
	if e.seen != c.gen {
		e.seen = c.gen
		c.used++
	}
}

// viewStart begins a View: the entries it uses are marked.
func (c *blockCache) viewStart() {
	c.gen++
	c.used = 0
}

// viewEnd ends a View: the entries it did not use are dropped.
func (c *blockCache) viewEnd() {
	if len(c.entries) <= c.used {
		return
	}
	for id, e := range c.entries {
		if e.seen != c.gen {
			delete(c.entries, id)
		}
	}
}

// pollSum sums up what a poll shows: question, choices, kind, state and
// every vote (me's marked). The votes are summed in any order, as a map
// yields them.
func (c *blockCache) pollSum(p *core.Poll, me crypto.ID) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(p.Question)
	for _, ch := range p.Choices {
		writeLen(&h, len(ch))
		h.WriteString(ch)
	}
	var flags byte
	if p.Multi {
		flags |= 1
	}
	if p.Closed {
		flags |= 2
	}
	_ = h.WriteByte(flags)
	_, _ = h.Write(me[:])
	sum := h.Sum64()
	for voter, cs := range p.Votes {
		var v maphash.Hash
		v.SetSeed(c.seed)
		_, _ = v.Write(voter[:])
		for _, i := range cs {
			writeLen(&v, i)
		}
		sum += v.Sum64()
	}
	sum += uint64(len(p.Votes))
	if sum == 0 {
		sum = math.MaxUint64 // 0 is "no poll"
	}
	return sum
}

func writeLen(h *maphash.Hash, n int) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	_, _ = h.Write(b[:])
}

// paint is a style made ready once per theme: for the text lipgloss
// styles in one piece (one line, no tab or carriage return), rendering is
// the style's opening sequence, the text and its reset, which paint
// writes without asking the style again. Other text goes to the style.
type paint struct {
	st       *lipgloss.Style // the theme's, which sessions share and never change
	pre, suf string
	ok       bool // pre and suf render every text in one piece
}

func newPaint(st *lipgloss.Style) paint {
	const probe = "x"
	r := st.Render(probe)
	i := strings.Index(r, probe)
	p := paint{st: st}
	if i < 0 {
		return p
	}
	p.pre, p.suf = r[:i], r[i+len(probe):]
	// Only styles that add nothing around the text but the sequences
	// (no padding, width, border or margin) can be painted so.
	for _, s := range []string{"", " ", "ab c", "é ✓✓ 👍"} {
		if st.Render(s) != p.pre+s+p.suf {
			return p
		}
	}
	p.ok = true
	return p
}

// Render renders s as the style would.
func (p paint) Render(s string) string {
	if !p.ok || strings.ContainsAny(s, "\n\t\r") {
		return p.st.Render(s)
	}
	return p.pre + s + p.suf
}

// paints are the theme's styles the hot paths of the view use.
type paints struct {
	th                                     *theme.Theme
	header, title, text, muted, rule, own  paint
	peer, warning, errorS, info, stateRead paint
	sep                                    string // the rule between the list and the pane
}

// paints returns the paints of the model's theme, made again when the
// theme changed.
func (m *Model) paints() *paints {
	if m.pt == nil || m.pt.th != m.th {
		th := m.th
		m.pt = &paints{th: th,
			header: newPaint(&th.Header), title: newPaint(&th.Title), text: newPaint(&th.Text),
			muted: newPaint(&th.Muted), rule: newPaint(&th.Rule), own: newPaint(&th.Own),
			peer: newPaint(&th.Peer), warning: newPaint(&th.Warning), errorS: newPaint(&th.Error),
			info: newPaint(&th.Info), stateRead: newPaint(&th.StateRead),
		}
		m.pt.sep = th.Rule.Render("│")
	}
	return m.pt
}
