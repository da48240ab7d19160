package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// Options configure the chat UI.
type Options struct {
	Service Service
	Theme   *theme.Theme
	// Context bounds every call the UI makes (the session's context).
	Context context.Context
	// Notify is handed to the core: the host calls it to queue a SyncMsg.
	Notify func()
	// Tenant is shown in the header.
	Tenant string
	// MaxUnlockTries ends the session after that many wrong passphrases (default 3).
	MaxUnlockTries int
	// UnlockTimeout ends a session that stays locked that long (default 2 minutes).
	UnlockTimeout time.Duration
	// After, when set, delivers msg to the model after d. A host with its
	// own timers (time.AfterFunc and Send) sets it, so a waiting session
	// holds no goroutine; without it the model uses tea.Tick.
	After func(d time.Duration, msg tea.Msg)
	// Location is the user's time zone, which messages are shown in. Nil
	// when the terminal did not say (no TZ): messages are shown in
	// time.Local then, and the quiet-hours indicator in the zone of the
	// user's quiet-hours schedule, which is the zone the user chose.
	Location *time.Location
	// Now is the clock the chat list's times are told by (default time.Now).
	Now func() time.Time
	// Files is the user's own disk, for /send and /save; nil in a hosted
	// session (the server's disk is not the user's).
	Files FileAccess
	// SCPHost is how a hosted session's file hint names the server for
	// scp: "chat.example.com", or "-P 2222 chat.example.com" off port 22.
	SCPHost string
}

// Refused says why the session ended without the user quitting: too many
// wrong passphrases, the unlock timeout, a start that failed; "" when the
// user quit. The host exits non-zero and says it.
func (m *Model) Refused() string { return m.ended }

// SyncMsg tells the UI that the core has live events to process.
type SyncMsg struct{}

// ConnectionMsg tells the UI whether the client is connected to the
// server (a local client's link; hosted sessions never send it). Offline
// says why not and what happens next; "" is connected. Final says the
// client gave up (a changed host key, a refused key): Offline is then an
// error the user must read, shown in the status line.
type ConnectionMsg struct {
	Offline string
	Final   bool
}

type screen int

const (
	screenLocked screen = iota
	screenLoading
	screenChat
)

type focus int

const (
	focusComposer focus = iota
	focusList
)

// statusKind colours the status line.
type statusKind int

const (
	statusNone statusKind = iota
	statusInfo
	statusError
)

// pageSize is how many messages one load brings.
const pageSize = 200

// Model is the chat UI. It is used by pointer: Update changes it in place
// and returns it, so the large struct (styles and inputs are most of it) is
// neither copied on every message nor held on a goroutine's stack.
type Model struct {
	o         Options
	zoneKnown bool // o.Location came from the user's terminal
	th        *theme.Theme
	pt        *paints // th's styles made ready (blocks.go)
	keys      keyMap
	// helpLines are the help line for the prompt, the composer, the list
	// and the composer while scrolled up, rendered from the key maps when
	// the width changes (or the theme).
	helpLines [4]string
	pass      *textinput.Model // the passphrase prompt; dropped once unlocked

	w, h   int
	screen screen
	focus  focus

	tries     int
	unlocking bool
	closing   bool // the session is about to end: input is ignored
	lockErr   string

	// convs are the conversations as the core last listed them; the
	// chat list shows them and keeps the selection.
	convs []core.Conversation
	// The components (doc.go). They are embedded, so their state reads as
	// the model's (m.sel, m.open, m.msgs, m.input); the overlay is part of
	// loc.
	chatList     // the conversation list (list.go)
	messagesPane // the open conversation (messages.go)
	composer     // the composer (composer.go)
	// showHelp says the right pane shows /help.
	showHelp bool

	syncing     bool
	syncPending bool
	reloading   bool
	reloadAgain bool
	// outbox is what the user wrote and is not yet handed to the core, in
	// the order written: one send runs at a time (sending), so messages
	// leave, are stored and are shown in that order. quitting says the
	// user asked to leave once it is empty.
	outbox   []outJob
	sending  bool
	quitting bool

	status     string
	statusKind statusKind
	// offline is the connection's state for the header; "" when connected.
	offline string
	// ended is why the session ended by itself (too many wrong
	// passphrases, …); "" while it runs and after the user quit.
	ended string

	// restr are the user's restrictions, read at start and again when the
	// server announces a change or the quiet-hours schedule turns.
	restr core.Restrictions
	// quietLoc is restr.QuietZone loaded (nil if none or unknown here),
	// once per reading rather than on every frame.
	quietLoc *time.Location
	// restrRead says restr was read at least once: until then the UI
	// cannot tell quiet hours and raises no notification.
	restrRead bool
	// settingsGen tells the current quiet-hours timer from stale ones.
	settingsGen     int
	settingsReading bool
	settingsAgain   bool

	// cmds are the slash commands (commands.go).
	cmds registry
	// loc is the state of the features beside the conversation
	// (features.go), the overlay among them (panes.go).
	loc featureState
	// grp is the state of groups (groups.go).
	grp groupState
	// prev are the chat list's previews (preview.go).
	prev previewState
	// drafts are the conversations' drafts (drafts.go).
	drafts draftState
	// typing is who types and the open conversation's presence (typing.go).
	typing typingState
	// ownNick is the user's own nickname as last known (read at start,
	// set by /nick and /whoami), shown in the header; "" if none.
	ownNick string
}

// New returns the chat UI, starting at the passphrase prompt.
func New(o Options) *Model {
	if o.Theme == nil {
		o.Theme = theme.Default()
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.Notify == nil {
		o.Notify = func() {}
	}
	if o.MaxUnlockTries <= 0 {
		o.MaxUnlockTries = 3
	}
	if o.UnlockTimeout <= 0 {
		o.UnlockTimeout = 2 * time.Minute
	}
	zoneKnown := o.Location != nil
	if !zoneKnown {
		o.Location = time.Local
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Model{o: o, th: o.Theme, keys: newKeyMap(), cmds: sharedCommands()}
	m.zoneKnown = zoneKnown
	m.chatList.keys = newListKeys()
	m.messagesPane.keys = newMessageKeys()
	m.composer = newComposer(m.th)

	pass := newInput(m.th)
	m.pass = &pass
	m.pass.Prompt = "Passphrase: "
	m.pass.EchoMode = textinput.EchoNone
	m.pass.CharLimit = crypto.MaxPassphraseLen
	m.pass.Focus()
	return m
}

// Init starts the unlock timeout.
func (m *Model) Init() tea.Cmd {
	if m.o.After != nil {
		m.o.After(m.o.UnlockTimeout, unlockTimeoutMsg{})
		return nil
	}
	return tea.Tick(m.o.UnlockTimeout, func(time.Time) tea.Msg { return unlockTimeoutMsg{} })
}

// Messages produced by commands.
type (
	unlockTimeoutMsg struct{}
	unlockedMsg      struct{ err error }
	startedMsg       struct{ err error }
	syncedMsg        struct {
		ch  core.Changes
		err error
	}
	loadedMsg struct {
		convs []core.Conversation
		peer  core.ConvRef
		page  core.Page
		// listOnly: only the list was read (the open conversation's
		// messages were put in place); page is empty.
		listOnly bool
		err      error
	}
	olderMsg struct {
		peer core.ConvRef
		gen  int
		page core.Page
		err  error
	}
	sentMsg struct {
		peer core.ConvRef
		// msg is the message a text send stored (zero for other sends).
		msg core.Message
		err error
	}
	openedMsg struct {
		peer core.ConvRef
		name string
		text string // to send once opened, for /msg
		err  error
	}
	markedMsg struct {
		ref     core.ConvRef
		changed bool
	}
	quitMsg     struct{ reason string }
	settingsMsg struct {
		r   core.Restrictions
		err error
	}
	// settingsTimerMsg comes when the quiet-hours schedule turns.
	settingsTimerMsg struct{ gen int }
	// doneMsg answers a settings command (/nick, /quiet): info on
	// success, the service's error otherwise.
	doneMsg struct {
		what string // "Nickname not changed", for the error
		info string
		err  error
		nick string // the nickname /nick set, on success
	}
	// ownNickMsg is the user's own nickname as the directory has it.
	ownNickMsg struct{ nick string }
)

// Update handles one message; then the open conversation's draft is
// noted and saved when due.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	if d := m.flushDrafts(); d != nil {
		cmd = tea.Batch(cmd, d)
	}
	if t := m.observeTyping(msg); t != nil {
		cmd = tea.Batch(cmd, t)
	}
	return next, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.layout()
		return m, nil
	case quitMsg:
		m.ended = msg.reason
		return m, tea.Quit
	case ConnectionMsg:
		was := m.offline
		m.offline = cleanLine(msg.Offline)
		switch {
		case msg.Final:
			m.offline = "offline, not retrying"
			m.setError(msg.Offline)
		case was != "" && m.offline == "" && m.screen == screenChat:
			m.setInfo("Connected again: what you wrote meanwhile is being sent.")
		}
		return m, nil
	}
	if msg, ok := msg.(tea.KeyPressMsg); ok && key.Matches(msg, m.keys.Quit) {
		return m, m.quit()
	}
	switch m.screen {
	case screenLocked:
		return m.updateLocked(msg)
	default:
		return m.updateChat(msg)
	}
}

func (m *Model) layout() {
	h := help.New()
	h.Styles = m.th.Help
	h.SetWidth(m.w)
	g, c, p := &m.keys, &m.composer.keys, &m.messagesPane.keys
	m.helpLines = [4]string{
		h.View(bindings{g.Unlock, g.Quit}),                               // the passphrase prompt
		h.View(bindings{c.Send, g.Focus, g.NextChat, p.PageUp, g.Quit}),  // typing
		h.View(m.listHelp(g)),                                            // the list has focus
		h.View(bindings{c.Send, p.Newest, p.PageUp, g.NextChat, g.Quit}), // typing, scrolled up
	}
	m.input.SetWidth(max(10, m.w-4))
	// The passphrase field fits the unlock dialog: its prompt, the field, the cursor.
	if m.pass != nil {
		m.pass.SetWidth(max(1, min(40, m.w-8-ansi.StringWidth(m.pass.Prompt)-1)))
	}
}

// --- locked ---

func (m *Model) updateLocked(msg tea.Msg) (tea.Model, tea.Cmd) {
	svc, ctx := m.o.Service, m.o.Context
	switch msg := msg.(type) {
	case unlockTimeoutMsg:
		m.lockErr = "Timed out waiting for the passphrase."
		m.closing = true
		return m, quitAfterRender("unlock timeout")
	case unlockedMsg:
		m.unlocking = false
		if msg.err == nil {
			m.screen = screenLoading
			m.pass = nil
			m.input.Focus()
			notify := m.o.Notify
			return m, func() tea.Msg { return startedMsg{err: svc.Start(ctx, notify)} }
		}
		if !errors.Is(msg.err, core.ErrWrongPassphrase) {
			// Throttled, or a failure that is not the user's: no try used up.
			m.lockErr = capitalize(cleanLine(msg.err.Error())) + "."
			return m, nil
		}
		m.tries++
		left := m.o.MaxUnlockTries - m.tries
		if left <= 0 {
			m.lockErr = "Wrong passphrase. Too many attempts: closing the session."
			m.closing = true
			return m, quitAfterRender("too many wrong passphrases")
		}
		m.lockErr = fmt.Sprintf("%s. %d %s left.", capitalize(cleanLine(msg.err.Error())), left, plural(left, "try", "tries"))
		return m, nil
	case tea.KeyPressMsg:
		if m.unlocking || m.closing {
			return m, nil
		}
		if key.Matches(msg, m.keys.Unlock) {
			pass := []byte(m.pass.Value())
			m.pass.Reset()
			if len(pass) == 0 {
				return m, nil
			}
			m.unlocking = true
			m.lockErr = ""
			return m, func() tea.Msg {
				err := svc.Unlock(ctx, pass)
				for i := range pass {
					pass[i] = 0
				}
				return unlockedMsg{err: err}
			}
		}
	}
	next, cmd := m.pass.Update(msg)
	*m.pass = next
	return m, cmd
}

func quitAfterRender(reason string) tea.Cmd {
	return tea.Tick(1500*time.Millisecond, func(time.Time) tea.Msg { return quitMsg{reason: reason} })
}

// --- chat ---

func (m *Model) updateChat(msg tea.Msg) (tea.Model, tea.Cmd) {
	if cmd, ok := m.updateDrafts(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.updateFeatures(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.updateGroups(msg); ok {
		return m, cmd
	}
	switch msg := msg.(type) {
	case startedMsg:
		if msg.err != nil {
			m.setError("Could not connect: " + msg.err.Error())
			return m, quitAfterRender(msg.err.Error())
		}
		m.screen = screenChat
		return m, tea.Batch(m.syncCmd(), m.reloadCmd(), m.settingsCmd(), m.prefsCmd(), m.draftsCmd(), m.ownNickCmd())
	case SyncMsg:
		if m.screen != screenChat {
			return m, nil
		}
		if m.syncing {
			m.syncPending = true
			return m, nil
		}
		return m, m.syncCmd()
	case syncedMsg:
		m.syncing = false
		var cmds []tea.Cmd
		if msg.ch.Settings {
			cmds = append(cmds, m.settingsCmd())
		}
		if msg.err != nil {
			m.setError("Sync failed: " + msg.err.Error())
		} else {
			switch {
			case msg.ch.Reload:
				cmds = append(cmds, m.reloadCmd())
			case len(msg.ch.Updated) > 0:
				cmds = append(cmds, m.applyUpdated(msg.ch.Updated))
			}
			cmds = append(cmds, m.alert(msg.ch.Incoming))
		}
		if m.syncPending {
			m.syncPending = false
			cmds = append(cmds, m.syncCmd())
		}
		return m, tea.Batch(cmds...)
	case loadedMsg:
		m.reloading = false
		if msg.err != nil {
			m.setError("Could not load: " + msg.err.Error())
			if m.reloadAgain {
				m.reloadAgain = false
				return m, m.reloadCmd()
			}
			return m, nil
		}
		m.convs = msg.convs
		m.clampSelection(len(m.convs))
		m.followTitle()
		cmds := []tea.Cmd{m.previewCmd()}
		if msg.peer == m.open && !m.open.IsZero() {
			if !msg.listOnly {
				m.pageLoaded(msg.page, m.lineCount)
			}
			// A message counts as read once it was on screen: not while
			// the user is scrolled up (the newest are below the view).
			if c := m.conv(m.open); c != nil && c.Unread > 0 && m.scroll == 0 {
				cmds = append(cmds, m.markReadCmd(m.open))
			}
			cmds = append(cmds, m.namesCmd())
		}
		if m.reloadAgain {
			m.reloadAgain = false
			cmds = append(cmds, m.reloadCmd())
		}
		return m, tea.Batch(cmds...)
	case olderMsg:
		if !m.olderFits(msg) {
			return m, nil // a reload or another conversation came in between
		}
		if msg.err != nil {
			m.olderFailed()
			m.setError("Could not load older messages: " + msg.err.Error())
			return m, nil
		}
		m.prependOlder(msg.page)
		return m, nil
	case settingsMsg:
		m.settingsReading = false
		var cmds []tea.Cmd
		if msg.err != nil {
			m.setError("Could not read your settings: " + msg.err.Error())
		} else {
			m.restr, m.restrRead = msg.r, true
			m.quietLoc = nil
			if z := msg.r.QuietZone; z != "" {
				m.quietLoc, _ = time.LoadLocation(z) // unknown here: the indicator keeps the terminal's zone
			}
			cmds = append(cmds, m.scheduleSettings())
		}
		if m.settingsAgain {
			m.settingsAgain = false
			cmds = append(cmds, m.settingsCmd())
		}
		return m, tea.Batch(cmds...)
	case settingsTimerMsg:
		if msg.gen != m.settingsGen {
			return m, nil // a newer reading set another timer
		}
		return m, m.settingsCmd()
	case fileDoneMsg:
		if msg.err != nil {
			m.setError(msg.err.Error())
			return m, nil
		}
		m.setInfo(msg.info)
		return m, m.reloadCmd()
	case doneMsg:
		if msg.err != nil {
			m.setError(msg.what + ": " + msg.err.Error())
			return m, nil
		}
		if msg.nick != "" {
			m.setOwnNick(msg.nick)
		}
		m.setInfo(msg.info)
		return m, m.settingsCmd()
	case markedMsg:
		// What marking read changes on screen is the conversation's
		// unread count: set it here rather than reading everything again.
		// A reading already under way may predate the mark; one more
		// follows it then.
		if msg.changed {
			if c := m.conv(msg.ref); c != nil {
				c.Unread = 0
			}
			if m.reloading {
				m.reloadAgain = true
			}
		}
		return m, nil
	case sentMsg:
		m.sending = false
		if len(m.outbox) > 0 {
			m.outbox = m.outbox[1:]
		}
		if msg.err != nil {
			m.setError("Not sent: " + msg.err.Error() + " (/retry sends it again)")
		}
		if m.quitting && len(m.outbox) == 0 {
			return m, tea.Quit
		}
		return m, tea.Batch(m.afterSend(msg), m.nextSend())
	case openedMsg:
		if msg.err != nil {
			m.setError(msg.err.Error())
			return m, nil
		}
		m.openByCommand(msg.peer, msg.name)
		cmds := []tea.Cmd{m.reloadCmd()}
		if msg.text != "" {
			cmds = append(cmds, m.sendCmd(msg.peer, msg.text))
		}
		return m, tea.Batch(cmds...)
	case tea.KeyPressMsg:
		return m, m.routeKey(msg)
	case previewsMsg:
		return m, m.previewsDone(msg)
	case pasteSendMsg:
		return m, m.sendPasted(msg.text)
	case tea.PasteMsg:
		switch {
		case m.focus != focusComposer || m.grp.confirm != nil:
		case m.loc.ask != askNone:
			// A masked prompt takes one line: the input drops line breaks.
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return m, cmd
		default:
			return m, m.paste(msg.Content)
		}
	}
	return m, nil
}

// routeKey sends a key of the chat screen to whoever has it, in this
// order: the masked prompt takes every key while it is open (hidden.go);
// an overlay on the composer's side takes its own (panes.go); a pending
// y/N question takes the next key (groups.go); ↑/↓ and Esc in an empty
// composer select a message (messages.go); then chatKey.
func (m *Model) routeKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.loc.ask != askNone {
		return m.askKey(msg)
	}
	if m.loc.pane != paneNone && m.focus == focusComposer {
		if cmd, ok := m.paneKey(msg); ok {
			return cmd
		}
	}
	if m.grp.confirm != nil {
		return m.answer(msg)
	}
	if m.pickKey(msg) {
		return nil
	}
	return m.chatKey(msg)
}

// chatKey handles the keys that work whatever has focus (Tab, Esc,
// ^n/^p), then the open conversation's (scrolling), then hands the key to
// the focused component: the chat list or the composer.
func (m *Model) chatKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.screen != screenChat {
		return nil
	}
	// A terminal sends Esc and a key typed right after it as one
	// Alt+key: Esc then "/" arrives as Alt+/. A punctuation key with Alt
	// is taken as both, so the slash is kept (Alt+letter stays the
	// composer's word motion).
	if r := msg.Code; msg.Mod == tea.ModAlt && r < unicode.MaxRune && (unicode.IsPunct(r) || unicode.IsSymbol(r)) {
		m.chatKey(tea.KeyPressMsg{Code: tea.KeyEscape})
		msg = tea.KeyPressMsg{Code: r, Text: string(r)} // with Alt, the terminal gave no text
	}
	switch {
	case key.Matches(msg, m.keys.Focus):
		if m.focus == focusComposer {
			m.focus = focusList
			m.input.Blur()
			m.selectConv(m.convs, m.open)
		} else {
			m.focus = focusComposer
			m.input.Focus()
		}
		return nil
	case key.Matches(msg, m.keys.Back):
		m.showHelp = false
		m.clearStatus()
		m.focus = focusComposer
		m.input.Focus()
		return nil
	case key.Matches(msg, m.keys.NextChat, m.keys.PrevChat):
		c := m.stepConv(m.convs, m.open, key.Matches(msg, m.keys.NextChat))
		if c == nil {
			return nil
		}
		m.openConversation(c.Ref, c.Title())
		return m.reloadCmd()
	}
	layout := func(need int) []string { return m.layoutMessages(m.paneWidth(), need) }
	wasUp := m.scroll > 0
	if handled, older := m.messagesPane.handleKey(msg, layout, m.bodyHeight()); handled {
		if older {
			return m.olderCmd()
		}
		// Back at the newest: what arrived while scrolled up is on screen now.
		if c := m.conv(m.open); wasUp && m.scroll == 0 && c != nil && c.Unread > 0 {
			return m.markReadCmd(m.open)
		}
		return nil
	}
	if m.focus == focusList {
		if c := m.chatList.handleKey(m.convs, msg); c != nil {
			m.openConversation(c.Ref, c.Title())
			m.focus = focusComposer
			m.input.Focus()
			return m.reloadCmd()
		}
		return nil
	}
	send, cmd, refused := m.composer.handleKey(msg)
	switch {
	case send:
		cmd, clearInput := m.submit(m.composerValue())
		if clearInput {
			m.resetComposer()
		}
		return cmd
	case refused != "":
		m.setError(refused)
	}
	return cmd
}

func (m *Model) openConversation(peer core.ConvRef, name string) {
	unread := 0
	if m.open != peer {
		if c := m.conv(peer); c != nil {
			unread = c.Unread
		}
		m.switchDraft(m.open, peer)
	}
	m.showConv(peer, name, unread)
	m.showHelp = false
	m.selectConv(m.convs, peer)
}

// closeConversation leaves the open conversation: the pane shows the
// welcome again.
func (m *Model) closeConversation() {
	m.noteDraft(m.open)
	m.clearConv()
}

func (m *Model) conv(peer core.ConvRef) *core.Conversation {
	if i := m.convIndex(peer); i >= 0 {
		return &m.convs[i]
	}
	return nil
}

func (m *Model) convIndex(peer core.ConvRef) int { return convIndex(m.convs, peer) }

// setError shows an error in the status line. Errors may quote what the
// server or another user sent, so they are cleaned like any foreign text.
func (m *Model) setError(s string) { m.status, m.statusKind = cleanLine(s), statusError }
func (m *Model) setInfo(s string)  { m.status, m.statusKind = cleanLine(s), statusInfo }
func (m *Model) clearStatus()      { m.status, m.statusKind = "", statusNone }

// scheduleSettings arranges to read the settings again when the quiet-hours
// schedule next turns, so the indicator and the bell follow it without any
// polling. Each reading replaces the previous timer.
func (m *Model) scheduleSettings() tea.Cmd {
	m.settingsGen++
	if m.restr.NextChange.IsZero() {
		return nil
	}
	// At least a second: a schedule that claims to turn now must not spin.
	d := max(time.Until(m.restr.NextChange), time.Second)
	msg := settingsTimerMsg{gen: m.settingsGen}
	if m.o.After != nil {
		m.o.After(d, msg)
		return nil
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return msg })
}

// --- commands: all I/O happens here, on values captured from the model ---

func (m *Model) syncCmd() tea.Cmd {
	m.syncing = true
	svc, ctx := m.o.Service, m.o.Context
	return func() tea.Msg {
		ch, err := svc.Sync(ctx)
		return syncedMsg{ch: ch, err: err}
	}
}

func (m *Model) reloadCmd() tea.Cmd {
	if m.reloading {
		m.reloadAgain = true
		return nil
	}
	m.reloading = true
	svc, ctx, peer := m.o.Service, m.o.Context, m.open
	// Keep whatever older history the user has loaded (and room for news).
	limit := max(pageSize, len(m.msgs)+pageSize/4)
	return func() tea.Msg {
		convs, err := svc.Conversations(ctx)
		if err != nil {
			return loadedMsg{err: err}
		}
		var page core.Page
		if !peer.IsZero() {
			if page, err = svc.Messages(ctx, peer, nil, limit); err != nil {
				return loadedMsg{err: err}
			}
		}
		return loadedMsg{convs: convs, peer: peer, page: page}
	}
}

// listCmd reads the conversation list only, one reading at a time like
// reloadCmd.
func (m *Model) listCmd() tea.Cmd {
	if m.reloading {
		m.reloadAgain = true
		return nil
	}
	m.reloading = true
	svc, ctx, peer := m.o.Service, m.o.Context, m.open
	return func() tea.Msg {
		convs, err := svc.Conversations(ctx)
		if err != nil {
			return loadedMsg{err: err}
		}
		return loadedMsg{convs: convs, peer: peer, listOnly: true}
	}
}

// applyUpdated takes the message records a sync wrote (new incoming
// messages, receipts): those of the open conversation go in place, and
// only the list is read again (its unread counts and previews changed).
// A reading under way may predate them, and a conversation the list does
// not show as readable here (a hidden chat while hidden chats are
// concealed) is not patched: both read everything again.
func (m *Model) applyUpdated(updated []core.Message) tea.Cmd {
	if m.reloading {
		return m.reloadCmd()
	}
	if !m.open.IsZero() {
		var mine []core.Message
		for _, u := range updated {
			if u.Conv == m.open {
				mine = append(mine, u)
			}
		}
		if len(mine) > 0 {
			c := m.conv(m.open)
			if c == nil || c.Hidden && !m.loc.revealed {
				return m.reloadCmd()
			}
			m.arrived(m.patched(mine), m.lineCount)
			m.placeUnread()
		}
	}
	return m.listCmd()
}

// patched returns the open conversation's messages with the updated
// records in their place in the history's order: a record already there
// is replaced, a new one inserted. One that sorts before the first loaded
// message while older ones are not loaded belongs to the part not loaded.
func (m *Model) patched(updated []core.Message) []core.Message {
	out := slices.Clone(m.msgs)
	for _, u := range updated {
		if i := slices.IndexFunc(out, func(x core.Message) bool { return x.ID == u.ID && x.Outgoing == u.Outgoing }); i >= 0 {
			out = slices.Delete(out, i, i+1)
		}
		i, _ := slices.BinarySearchFunc(out, u, func(x, u core.Message) int { return core.CompareStored(&x, &u) })
		if i == 0 && m.older != nil && len(out) > 0 {
			continue
		}
		out = slices.Insert(out, i, u)
	}
	return out
}

// settingsCmd reads the user's restrictions; one reading at a time, the
// next queued.
func (m *Model) settingsCmd() tea.Cmd {
	if m.settingsReading {
		m.settingsAgain = true
		return nil
	}
	m.settingsReading = true
	svc, ctx := m.o.Service, m.o.Context
	return func() tea.Msg {
		r, err := svc.Settings(ctx)
		return settingsMsg{r: r, err: err}
	}
}

func (m *Model) olderCmd() tea.Cmd {
	svc, ctx, peer, cursor, gen := m.o.Service, m.o.Context, m.open, m.older, m.olderGen
	m.older, m.olderPending = nil, cursor // one request at a time
	return func() tea.Msg {
		page, err := svc.Messages(ctx, peer, cursor, pageSize)
		return olderMsg{peer: peer, gen: gen, page: page, err: err}
	}
}

func (m *Model) markReadCmd(peer core.ConvRef) tea.Cmd {
	svc, ctx := m.o.Service, m.o.Context
	return func() tea.Msg {
		changed, _ := svc.MarkRead(ctx, peer)
		return markedMsg{ref: peer, changed: changed}
	}
}

func (m *Model) sendCmd(peer core.ConvRef, text string) tea.Cmd {
	svc := m.o.Service
	return m.push(outJob{ref: peer, text: text, send: func(ctx context.Context) (core.Message, error) {
		return svc.Send(ctx, peer, text)
	}})
}

// afterSend shows what a send stored. A text message sent without error
// is in hand: it goes at the end of the open conversation and its
// conversation up the list, as reading them again would show them (one
// reading less per message sent). Anything else — an error, a
// distribution list (its members' chats change too), a conversation not
// listed yet, a message that is not the newest, a reading under way that
// may predate the send — reads the list and the page again.
func (m *Model) afterSend(msg sentMsg) tea.Cmd {
	if msg.err != nil || msg.msg.ID == (crypto.MessageID{}) || msg.msg.Conv != msg.peer || m.reloading || !m.applySent(msg.msg) {
		return m.reloadCmd()
	}
	return m.previewCmd()
}

// applySent puts the message the user sent where a reading would show it;
// false (and nothing changed) when it cannot say where that is.
func (m *Model) applySent(msg core.Message) bool {
	if msg.Conv.Kind == core.ConvList {
		return false
	}
	i := convIndex(m.convs, msg.Conv)
	if i < 0 {
		return false
	}
	if msg.Conv == m.open {
		if n := len(m.msgs); n > 0 && !msg.Time.After(m.msgs[n-1].Time) {
			return false
		}
		m.arrived(append(slices.Clip(m.msgs), msg), m.lineCount)
		m.placeUnread()
	}
	c := &m.convs[i]
	if msg.Time.After(c.LastAt) {
		c.LastAt = msg.Time
	}
	c.Preview = core.OutgoingPreview(&msg)
	slices.SortStableFunc(m.convs, core.CompareConversations)
	m.clampSelection(len(m.convs))
	return true
}

// maxOutbox bounds what waits in the outbox: beyond it, the composer keeps
// what the user typed and says to wait.
const maxOutbox = 1000

// outJob is one entry of the outbox: a send to a conversation, and what
// the conversation shows for it while it waits.
type outJob struct {
	ref    core.ConvRef
	text   string
	stored bool // a retry: the conversation shows the message already
	run    func(context.Context) error
	// send, instead of run, is a text send: it returns what it stored.
	send func(context.Context) (core.Message, error)
}

// enqueue adds a send to the outbox and starts it if none is running.
// It returns nil, with the reason in the status line, when the outbox is
// full; the caller keeps the text in the composer then.
func (m *Model) enqueue(ref core.ConvRef, text string, run func(context.Context) error) tea.Cmd {
	return m.push(outJob{ref: ref, text: text, run: run})
}

// enqueueStored adds the retry of a stored message to the outbox.
func (m *Model) enqueueStored(ref core.ConvRef, run func(context.Context) error) tea.Cmd {
	return m.push(outJob{ref: ref, stored: true, run: run})
}

func (m *Model) push(j outJob) tea.Cmd {
	if len(m.outbox) >= maxOutbox {
		m.setError(fmt.Sprintf("%d messages are still waiting to be sent: wait a moment, then press Enter again.", len(m.outbox)))
		return nil
	}
	m.outbox = append(m.outbox, j)
	m.scroll = 0
	if m.sending {
		return noop // queued behind the running send
	}
	return m.nextSend()
}

// noop is a command that does nothing: enqueue's answer for "queued".
func noop() tea.Msg { return nil }

// nextSend starts the outbox's first send, unless one is running.
func (m *Model) nextSend() tea.Cmd {
	if m.sending || len(m.outbox) == 0 {
		return nil
	}
	m.sending = true
	j, ctx := m.outbox[0], m.o.Context
	return func() tea.Msg {
		if j.send != nil {
			msg, err := j.send(ctx)
			return sentMsg{peer: j.ref, msg: msg, err: err}
		}
		return sentMsg{peer: j.ref, err: j.run(ctx)}
	}
}

// waiting are the outbox's entries for the open conversation that have
// not started, shown as pending messages after the stored ones.
func (m *Model) waiting() []core.Message {
	var out []core.Message
	at := time.Now()
	if n := len(m.msgs); n > 0 {
		at = m.msgs[n-1].Time // shown with the messages before them
	}
	for i, j := range m.outbox {
		if i == 0 && m.sending || j.ref != m.open || j.stored {
			continue
		}
		out = append(out, core.Message{Conv: j.ref, Outgoing: true, From: m.o.Service.Me().ID,
			Kind: core.KindText, Text: j.text, State: core.StatePending, Time: at})
	}
	return out
}

// quit leaves, once the outbox is empty: the first request waits for it
// and says so, a second one leaves at once.
func (m *Model) quit() tea.Cmd {
	m.drafts.now = true // a draft not saved yet goes with the quit (Update batches it)
	if len(m.outbox) == 0 || m.quitting || m.screen != screenChat {
		return tea.Quit
	}
	m.quitting = true
	m.setInfo(fmt.Sprintf("Sending %d more %s, then leaving (Ctrl+C again leaves now).",
		len(m.outbox), plural(len(m.outbox), "message", "messages")))
	return nil
}

// openCmd opens a conversation: for a user, after looking them up.
func (m *Model) openCmd(ref core.ConvRef, text string) tea.Cmd {
	svc, ctx := m.o.Service, m.o.Context
	if ref.Kind != core.ConvDirect {
		name := ref.String()
		if c := m.conv(ref); c != nil {
			name = c.Title()
		}
		return func() tea.Msg { return openedMsg{peer: ref, name: name, text: text} }
	}
	return func() tea.Msg {
		c, err := svc.Contact(ctx, ref.Peer)
		if err != nil {
			return openedMsg{err: err}
		}
		return openedMsg{peer: core.Direct(c.ID), name: c.Name, text: text}
	}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
