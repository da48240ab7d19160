package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// The local features: what the chat does on the user's own device store
// and account rather than in a conversation — search, hidden chats and
// their PIN, preferences (theme, notifications, read receipts), contacts
// and key verification, the directory and "who am I". They live in this
// file and its neighbours (search.go, contacts.go, whoami.go, notify.go)
// and reach the conversation UI through a few hooks: the command table,
// updateLocal at the top of updateChat, and localPaneLines for the right
// pane.

// LocalService is what the local features need from the client core. The
// model finds it on Options.Service (the core implements it); a service
// without it leaves these commands unavailable.
type LocalService interface {
	Search(ctx context.Context, query string, limit int) ([]core.Message, error)
	Hide(ctx context.Context, ref core.ConvRef) error
	Unhide(ctx context.Context, ref core.ConvRef) error
	PINSet(ctx context.Context) (bool, error)
	SetPIN(ctx context.Context, old, pin string) error
	Reveal(ctx context.Context, pin string) error
	Conceal()
	Revealed() bool
	Prefs(ctx context.Context) (core.Prefs, error)
	SetPrefs(ctx context.Context, p core.Prefs) error
	Contacts(ctx context.Context) ([]core.ContactEntry, error)
	AddContact(ctx context.Context, id crypto.ID) (core.ContactEntry, error)
	RemoveContact(ctx context.Context, id crypto.ID) error
	Fingerprint(ctx context.Context, id crypto.ID) (string, error)
	Verify(ctx context.Context, id crypto.ID, fingerprint string) error
}

// DirectoryService is what /find and /whoami need from the client core.
type DirectoryService interface {
	Find(ctx context.Context, query string) ([]core.DirectoryEntry, error)
	Whoami(ctx context.Context) (core.WhoamiInfo, error)
}

var (
	_ LocalService     = (*core.Core)(nil)
	_ DirectoryService = (*core.Core)(nil)
)

// searchLimit is how many results /search shows at most.
const searchLimit = 100

// pane is what the right pane shows instead of the open conversation.
type pane int

const (
	paneNone pane = iota
	paneSearch
	paneContacts
	paneVerify
	paneFind
	paneWhoami
	paneMore
)

// askKind is what the hidden (masked) composer prompt asks for.
type askKind int

const (
	askNone      askKind = iota
	askReveal            // the PIN, to show hidden chats
	askPINOld            // the current PIN, to change or remove it
	askPINNew            // a new PIN
	askPINRepeat         // the new PIN again
)

// localState is the model's state for the local features.
type localState struct {
	pane pane
	// sel is the selected row of a list pane; top the first line shown of
	// a text pane.
	sel, top int

	query    string
	results  []core.Message
	contacts []core.ContactEntry
	found    []core.DirectoryEntry
	verify   verifyInfo
	who      core.WhoamiInfo
	whoQR    string

	// prefs are the user's preferences once read (prefsRead).
	prefs     core.Prefs
	prefsRead bool
	// revealed says this session showed hidden chats with the PIN.
	revealed bool

	// ask is the masked prompt in the composer; old and next hold the PINs
	// typed so far, remove says the PIN is being removed.
	ask       askKind
	old, next string
	remove    bool
	// checking says what was typed into the prompt is being checked: the
	// prompt stays, and takes no typing until the answer.
	checking   bool
	saved      composerLook
	keys       paneKeys
	keysLoaded bool
}

// composerLook is what the masked prompt changes on the composer, to put
// back afterwards.
type composerLook struct {
	prompt, placeholder string
	limit               int
}

// paneKeys are the keys of a local pane; the pane's help line is rendered
// from them.
type paneKeys struct {
	Up, Down, Select, Scroll, Close key.Binding
}

func newPaneKeys() paneKeys {
	return paneKeys{
		Up:     key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "select")),
		Down:   key.NewBinding(key.WithKeys("down")),
		Select: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Scroll: key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", "scroll")),
		Close:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
}

// Messages of the local features' commands.
type (
	// localDoneMsg answers a command that changes something: info on
	// success, "what: error" otherwise; reload asks for the conversation
	// list again.
	localDoneMsg struct {
		what, info string
		err        error
		reload     bool
	}
	prefsMsg struct {
		p    core.Prefs
		info string // set when a command changed the preferences
		err  error
	}
	pinStateMsg struct {
		set, remove bool
		err         error
	}
	revealedMsg struct{ err error }
	// pinSetMsg answers a PIN change typed into the masked prompt.
	pinSetMsg struct {
		info string
		err  error
	}
	hiddenMsg struct {
		ref    core.ConvRef
		name   string
		hidden bool
		err    error
	}
)

// localSvc is the core's local features, nil when the service has none.
func (m *Model) localSvc() LocalService {
	l, _ := m.o.Service.(LocalService)
	return l
}

// dirSvc is the core's directory features, nil when the service has none.
func (m *Model) dirSvc() DirectoryService {
	d, _ := m.o.Service.(DirectoryService)
	return d
}

// localCommands lists the local features' commands for /help.
func localCommands() []commandInfo {
	return []commandInfo{
		{usage: "/search <text>", desc: "search your messages"},
		{usage: "/contacts", desc: "your contacts and their trust"},
		{usage: "/contact add|rm <ID>", desc: "add or remove a contact"},
		{usage: "/verify <ID> [<fp>]", desc: "show or check a contact's key"},
		{usage: "/find <name|#tag>", desc: "search the company directory", feature: core.FeatureWorkDirectory},
		{usage: "/whoami", desc: "your ID, key, devices, policies"},
		{usage: "/hide, /unhide [chat]", desc: "hide a chat behind your PIN"},
		{usage: "/pin [off]", desc: "set, change or remove your PIN"},
		{usage: "/hidden [PIN]", desc: "show hidden chats"},
		{usage: "/conceal", desc: "hide hidden chats again"},
		{usage: "/theme dark|light", desc: "for a dark or a light terminal"},
		{usage: "/notify <how>", desc: "bell, desktop, both or off"},
		{usage: "/receipts on|off", desc: "send read receipts or not"},
	}
}

// localCommand runs a local feature's command. handled is false for a
// command that is not one of them; ok says whether the composer is cleared.
func (m *Model) localCommand(name, rest string) (cmd tea.Cmd, ok, handled bool) {
	run := func(f func(string) (tea.Cmd, bool)) (tea.Cmd, bool, bool) {
		c, k := f(rest)
		return c, k, true
	}
	switch name {
	case "/search", "/s":
		return run(m.searchCommand)
	case "/contacts":
		return run(m.contactsCommand)
	case "/contact":
		return run(m.contactCommand)
	case "/verify":
		return run(m.verifyCommand)
	case "/find":
		return run(m.findCommand)
	case "/whoami":
		return run(m.whoamiCommand)
	case "/hide":
		return run(func(r string) (tea.Cmd, bool) { return m.hideCommand(r, true) })
	case "/unhide":
		return run(func(r string) (tea.Cmd, bool) { return m.hideCommand(r, false) })
	case "/pin":
		return run(m.pinCommand)
	case "/hidden":
		return run(m.hiddenCommand)
	case "/conceal":
		return run(m.concealCommand)
	case "/theme":
		return run(m.themeCommand)
	case "/notify":
		return run(m.notifyCommand)
	case "/receipts":
		return run(m.receiptsCommand)
	case "/more":
		m.openPane(paneMore)
		return nil, true, true
	}
	return nil, false, false
}

// unavailable reports a command the session's core cannot serve.
func (m *Model) unavailable(command string) (tea.Cmd, bool) {
	m.setError(command + " is not available in this session.")
	return nil, false
}

// updateLocal handles the local features' messages, and keys while a local
// pane or the masked prompt is open. ok says it handled msg.
func (m *Model) updateLocal(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if m.loc.ask != askNone {
			return m.askKey(msg), true
		}
		if m.loc.pane != paneNone && m.focus == focusComposer {
			return m.paneKey(msg)
		}
		return nil, false
	case localDoneMsg:
		if msg.err != nil {
			m.setError(msg.what + ": " + msg.err.Error())
			return nil, true
		}
		m.setInfo(msg.info)
		if msg.reload {
			return m.reloadCmd(), true
		}
		return nil, true
	case prefsMsg:
		return m.prefsRead(msg), true
	case pinStateMsg:
		return m.pinState(msg), true
	case pinSetMsg:
		return m.pinSet(msg), true
	case revealedMsg:
		m.loc.checking = false
		if msg.err != nil {
			if m.loc.ask == askReveal {
				m.askAgain(askReveal, "PIN: ", "Hidden chats not shown: "+pinErr(msg.err))
			} else {
				m.setError("Hidden chats not shown: " + pinErr(msg.err))
			}
			return nil, true
		}
		if m.loc.ask == askReveal {
			m.endAsk()
		}
		m.loc.revealed = true
		m.setInfo("Hidden chats are shown. /conceal hides them again.")
		return m.reloadCmd(), true
	case hiddenMsg:
		return m.hiddenDone(msg), true
	case searchMsg:
		return m.searchDone(msg), true
	case contactsMsg:
		return m.contactsDone(msg), true
	case contactsChanged:
		m.contactsDone(msg.list)
		m.setInfo(msg.done.info)
		return nil, true
	case verifyMsg:
		return m.verifyDone(msg), true
	case findMsg:
		return m.findDone(msg), true
	case whoamiMsg:
		return m.whoamiDone(msg), true
	case openedMsg:
		// A conversation opened by /open or /msg replaces the pane; the
		// message is the conversation UI's to handle.
		if msg.err == nil {
			m.closePane()
		}
	}
	return nil, false
}

// --- the local panes ---

// openPane shows p in the right pane.
func (m *Model) openPane(p pane) {
	m.loc.pane, m.loc.sel, m.loc.top = p, 0, 0
	m.showHelp = false
}

// closePane goes back to the open conversation.
func (m *Model) closePane() { m.loc.pane, m.loc.sel, m.loc.top = paneNone, 0, 0 }

// paneRows is how many rows the selectable list of the open pane has.
func (m *Model) paneRows() int {
	switch m.loc.pane {
	case paneSearch:
		return len(m.loc.results)
	case paneContacts:
		return len(m.loc.contacts)
	case paneFind:
		return len(m.loc.found)
	}
	return 0
}

// paneKey handles a key while a local pane is open: ↑/↓ move the
// selection (or scroll a text pane), Enter on an empty composer opens the
// selected row, Esc closes the pane. Other keys go to the composer.
func (m *Model) paneKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if !m.loc.keysLoaded {
		m.loc.keys, m.loc.keysLoaded = newPaneKeys(), true
	}
	k := m.loc.keys
	list := m.loc.pane == paneSearch || m.loc.pane == paneContacts || m.loc.pane == paneFind
	switch {
	case key.Matches(msg, m.keys.NextChat, m.keys.PrevChat):
		m.closePane() // switching chats shows the chat
		return nil, false
	case m.showHelp:
		return nil, false // the help is on top: keys are the help's
	case key.Matches(msg, k.Close):
		m.closePane()
		m.clearStatus()
		return nil, true
	case key.Matches(msg, k.Up):
		if list {
			m.loc.sel = max(0, m.loc.sel-1)
		} else {
			m.loc.top = max(0, m.loc.top-1)
		}
		return nil, true
	case key.Matches(msg, k.Down):
		if list {
			m.loc.sel = max(0, min(m.paneRows()-1, m.loc.sel+1))
		} else {
			m.loc.top++ // clamped when drawn
		}
		return nil, true
	case key.Matches(msg, k.Scroll):
		step := max(1, m.bodyHeight()-3)
		if msg.String() == "pgup" {
			step = -step
		}
		if list {
			m.loc.sel = max(0, min(m.paneRows()-1, m.loc.sel+step))
		} else {
			m.loc.top = max(0, m.loc.top+step)
		}
		return nil, true
	case key.Matches(msg, k.Select):
		if !list || strings.TrimSpace(m.input.Value()) != "" {
			return nil, false // the composer's Enter: a command or a message
		}
		return m.paneSelect(), true
	}
	return nil, false
}

// paneSelect opens what the selected row of a list pane stands for.
func (m *Model) paneSelect() tea.Cmd {
	if m.loc.sel >= m.paneRows() {
		return nil
	}
	switch m.loc.pane {
	case paneSearch:
		r := m.loc.results[m.loc.sel]
		m.closePane()
		return m.jumpTo(r)
	case paneContacts:
		c := m.loc.contacts[m.loc.sel]
		m.closePane()
		return m.openDirect(c.ID, c.Name)
	case paneFind:
		e := m.loc.found[m.loc.sel]
		m.closePane()
		return m.openDirect(e.ID, e.Name)
	}
	return nil
}

// openDirect opens the conversation with id, starting it if need be.
func (m *Model) openDirect(id crypto.ID, name string) tea.Cmd {
	if id == m.o.Service.Me().ID {
		m.setError("That is you: pick someone else to write to.")
		return nil
	}
	m.openConversation(core.Direct(id), name)
	m.focus = focusComposer
	m.input.Focus()
	return m.reloadCmd()
}

// localPaneLines renders the open local pane, w columns by h rows.
func (m *Model) localPaneLines(w, h int) []string {
	switch m.loc.pane {
	case paneSearch:
		return m.searchLines(w, h)
	case paneContacts:
		return m.contactLines(w, h)
	case paneFind:
		return m.findLines(w, h)
	case paneVerify:
		return m.textPane(m.verifyLines(w), w, h)
	case paneWhoami:
		return m.textPane(m.whoamiLines(w), w, h)
	case paneMore:
		return m.textPane(m.moreLines(w), w, h)
	}
	return nil
}

// listPane lays out a list pane: its title, the rows around the
// selection (the selected one marked), and a help line at the bottom.
func (m *Model) listPane(title string, rows []string, empty string, w, h int) []string {
	th := m.th
	lines := []string{th.Title.Render(fit(" "+title, w))}
	room := max(1, h-2) // title and help
	if len(rows) == 0 {
		lines = append(lines, "", th.Muted.Render(fit(" "+empty, w)))
	}
	first := 0
	if m.loc.sel >= room {
		first = m.loc.sel - room + 1
	}
	for i := first; i < len(rows) && i < first+room; i++ {
		row := fitStyled(rows[i], w-2)
		if i == m.loc.sel {
			lines = append(lines, th.Selected.Render("›")+" "+row)
		} else {
			lines = append(lines, "  "+row)
		}
	}
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	return append(lines[:h-1], m.paneHelp(true, w))
}

// textPane shows lines from the scroll position, with a help line.
func (m *Model) textPane(lines []string, w, h int) []string {
	room := max(1, h-1)
	m.loc.top = max(0, min(m.loc.top, len(lines)-room))
	end := min(len(lines), m.loc.top+room)
	out := append([]string(nil), lines[m.loc.top:end]...)
	for len(out) < h-1 {
		out = append(out, "")
	}
	return append(out[:h-1], m.paneHelp(false, w))
}

// paneHelp is the help line of a local pane, rendered from its keys.
func (m *Model) paneHelp(list bool, w int) string {
	if !m.loc.keysLoaded {
		m.loc.keys, m.loc.keysLoaded = newPaneKeys(), true
	}
	k := m.loc.keys
	bs := []key.Binding{k.Up, k.Select, k.Scroll, k.Close}
	if !list {
		scroll := key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓/pgup/pgdn", "scroll"))
		bs = []key.Binding{scroll, k.Close}
	}
	var parts []string
	for _, b := range bs {
		h := b.Help()
		parts = append(parts, m.th.Help.ShortKey.Render(h.Key)+" "+m.th.Help.ShortDesc.Render(h.Desc))
	}
	return fitStyled(" "+strings.Join(parts, m.th.Help.ShortSeparator.Render(" • ")), w)
}

// moreLines is the /more pane: the local features' commands, those policy
// forbids greyed with the reason, then the user's preferences.
func (m *Model) moreLines(w int) []string {
	th := m.th
	lines := []string{th.Title.Render(" More commands"), ""}
	for _, c := range localCommands() {
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
	receipts := "on"
	if m.loc.prefsRead && !m.loc.prefs.ReadReceipts {
		receipts = "off"
	}
	name := m.th.Name
	if name == "" {
		name = theme.Dark
	}
	summary := fmt.Sprintf("Now: theme %s, notifications %s, read receipts %s.", name, m.notifyStyle(), receipts)
	lines = append(lines, "", " "+fit(summary, max(10, w-2)))
	return lines
}

// --- hidden chats and the PIN ---

// targetConv is the conversation a command names ("" the open one).
func (m *Model) targetConv(arg string) (core.Conversation, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		if m.open == (core.ConvRef{}) {
			return core.Conversation{}, errors.New("no conversation open: open one, or name it")
		}
		for _, c := range m.convs {
			if c.Ref == m.open {
				return c, nil
			}
		}
		return core.Conversation{Ref: m.open, Name: m.openName}, nil
	}
	if id, err := crypto.ParseID(arg); err == nil {
		for _, c := range m.convs {
			if c.Ref == core.Direct(id) {
				return c, nil
			}
		}
		return core.Conversation{Ref: core.Direct(id)}, nil
	}
	want := strings.ToLower(arg)
	var hits []core.Conversation
	for _, c := range m.convs {
		name := strings.ToLower(c.Title())
		if name == want {
			return c, nil
		}
		if strings.HasPrefix(name, want) {
			hits = append(hits, c)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return core.Conversation{}, fmt.Errorf("%q is neither an ID nor a chat in your list", cleanLine(arg))
	}
	return core.Conversation{}, fmt.Errorf("%q matches %d chats: type more of the name", cleanLine(arg), len(hits))
}

// hideCommand is /hide and /unhide [chat].
func (m *Model) hideCommand(arg string, hide bool) (tea.Cmd, bool) {
	command := "/unhide"
	if hide {
		command = "/hide"
	}
	svc := m.localSvc()
	if svc == nil {
		return m.unavailable(command)
	}
	c, err := m.targetConv(arg)
	if err != nil {
		m.setError(command + ": " + err.Error())
		return nil, false
	}
	ctx := m.o.Context
	ref, name := c.Ref, c.Title()
	return func() tea.Msg {
		var err error
		if hide {
			err = svc.Hide(ctx, ref)
		} else {
			err = svc.Unhide(ctx, ref)
		}
		return hiddenMsg{ref: ref, name: name, hidden: hide, err: err}
	}, true
}

// hiddenDone answers /hide and /unhide.
func (m *Model) hiddenDone(msg hiddenMsg) tea.Cmd {
	name := cleanLine(msg.name)
	if msg.err != nil {
		what := "Not hidden"
		if !msg.hidden {
			what = "Not unhidden"
		}
		m.setError(what + ": " + pinErr(msg.err))
		return nil
	}
	if !msg.hidden {
		m.setInfo(fmt.Sprintf("%s is no longer hidden.", name))
		return m.reloadCmd()
	}
	if m.loc.revealed {
		m.setInfo(fmt.Sprintf("%s is hidden: it leaves the list when you /conceal.", name))
	} else {
		if m.open == msg.ref {
			m.closeConversation()
		}
		m.setInfo(fmt.Sprintf("%s is hidden. /hidden shows hidden chats with your PIN.", name))
	}
	return m.reloadCmd()
}

// closeConversation leaves the open conversation: the pane shows the
// welcome again.
func (m *Model) closeConversation() {
	m.open, m.openName = core.ConvRef{}, ""
	m.msgs, m.older = nil, nil
	m.scroll = 0
}

// pinErr is a PIN-related error as the user reads it, with the command
// that helps.
func pinErr(err error) string {
	switch {
	case errors.Is(err, core.ErrNoPIN):
		return err.Error() + " with /pin"
	case errors.Is(err, core.ErrConcealed):
		return "hidden chats are concealed: show them with /hidden first"
	}
	return err.Error()
}

// pinCommand is /pin (set or change the PIN) and /pin off (remove it). The
// PINs are asked for in the composer with typing hidden.
func (m *Model) pinCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if svc == nil {
		return m.unavailable("/pin")
	}
	remove := false
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "":
	case "off", "remove":
		remove = true
	default:
		m.setError("Usage: /pin to set or change your PIN, /pin off to remove it (the PIN is asked for hidden).")
		return nil, false
	}
	ctx := m.o.Context
	return func() tea.Msg {
		set, err := svc.PINSet(ctx)
		return pinStateMsg{set: set, remove: remove, err: err}
	}, true
}

// pinState starts asking for PINs once it is known whether one is set.
func (m *Model) pinState(msg pinStateMsg) tea.Cmd {
	switch {
	case msg.err != nil:
		m.setError("PIN not changed: " + msg.err.Error())
	case msg.remove && !msg.set:
		m.setInfo("No PIN is set.")
	case msg.set:
		m.loc.remove = msg.remove
		m.startAsk(askPINOld, "Current PIN: ")
	default:
		m.loc.remove = false
		m.startAsk(askPINNew, "New PIN: ")
	}
	return nil
}

// hiddenCommand is /hidden [PIN]: show hidden chats. Without the PIN it is
// asked for with typing hidden.
func (m *Model) hiddenCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if svc == nil {
		return m.unavailable("/hidden")
	}
	if m.loc.revealed {
		m.setInfo("Hidden chats are already shown. /conceal hides them again.")
		return nil, true
	}
	pin := strings.TrimSpace(arg)
	if pin == "" {
		m.startAsk(askReveal, "PIN: ")
		return nil, true
	}
	return m.revealCmd(svc, pin), true
}

func (m *Model) revealCmd(svc LocalService, pin string) tea.Cmd {
	ctx := m.o.Context
	return func() tea.Msg { return revealedMsg{err: svc.Reveal(ctx, pin)} }
}

// concealCommand is /conceal: hidden chats leave the list again.
func (m *Model) concealCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	if svc == nil {
		return m.unavailable("/conceal")
	}
	if strings.TrimSpace(arg) != "" {
		m.setError("Usage: /conceal")
		return nil, false
	}
	for _, c := range m.convs {
		if c.Ref == m.open && c.Hidden {
			m.closeConversation()
		}
	}
	m.loc.revealed = false
	if m.loc.pane == paneSearch {
		m.closePane() // results may come from hidden chats
	}
	return func() tea.Msg {
		svc.Conceal()
		return localDoneMsg{info: "Hidden chats are concealed.", reload: true}
	}, true
}

// startAsk turns the composer into a masked prompt.
func (m *Model) startAsk(kind askKind, prompt string) {
	if m.loc.ask == askNone {
		m.loc.saved = composerLook{prompt: m.input.Prompt, placeholder: m.input.Placeholder, limit: m.input.CharLimit}
	}
	m.loc.ask = kind
	m.input.Reset()
	m.input.Prompt = prompt
	m.input.Placeholder = ""
	m.input.EchoMode = textinput.EchoNone
	m.input.CharLimit = 12
	m.focus = focusComposer
	m.input.Focus()
	m.setInfo("Typing is hidden. Enter confirms, Esc cancels.")
}

// endAsk puts the composer back and forgets the PINs typed.
func (m *Model) endAsk() {
	m.loc.ask, m.loc.old, m.loc.next, m.loc.remove, m.loc.checking = askNone, "", "", false, false
	m.input.Reset()
	m.input.Prompt = m.loc.saved.prompt
	m.input.Placeholder = m.loc.saved.placeholder
	m.input.CharLimit = m.loc.saved.limit
	m.input.EchoMode = textinput.EchoNormal
}

// askAgain keeps the masked prompt open after a refusal: it asks for kind
// again, with the reason (and the tries left, when the core counts them).
// Nothing typed so far is kept.
func (m *Model) askAgain(kind askKind, prompt, reason string) {
	m.loc.ask, m.loc.checking = kind, false
	m.input.Reset()
	m.input.Prompt = prompt
	m.setError(reason + " Esc cancels.")
}

// askKey handles a key while the masked prompt is open. Nothing typed
// into it ever reaches the composer or a conversation: the prompt stays
// open, through refusals, until the answer is accepted or Esc.
func (m *Model) askKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.endAsk()
		m.setInfo("Cancelled.")
		return nil
	case "enter":
		if m.loc.checking {
			return nil
		}
	default:
		if m.loc.checking {
			return nil // typed while the last answer is checked: dropped
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return cmd
	}
	pin := m.input.Value()
	m.input.Reset()
	svc := m.localSvc()
	switch m.loc.ask {
	case askReveal:
		if pin == "" {
			m.endAsk()
			m.setInfo("Cancelled.")
			return nil
		}
		m.loc.checking = true
		m.setInfo("Checking the PIN…")
		return m.revealCmd(svc, pin)
	case askPINOld:
		if pin == "" {
			m.askAgain(askPINOld, "Current PIN: ", "Type your current PIN.")
			return nil
		}
		m.loc.old = pin
		if m.loc.remove {
			m.loc.checking = true
			m.setInfo("Checking the PIN…")
			return m.setPINCmd(svc, pin, "")
		}
		m.loc.ask, m.input.Prompt = askPINNew, "New PIN: "
		return nil
	case askPINNew:
		if !validPIN(pin) {
			m.askAgain(askPINNew, "New PIN: ", "Not a PIN: "+core.ErrBadPIN.Error()+".")
			return nil
		}
		m.loc.next = pin
		m.loc.ask, m.input.Prompt = askPINRepeat, "Repeat new PIN: "
		return nil
	case askPINRepeat:
		if pin != m.loc.next {
			m.loc.next = ""
			m.askAgain(askPINNew, "New PIN: ", "The two new PINs differ: type the new PIN again.")
			return nil
		}
		m.loc.checking = true
		m.setInfo("Saving the PIN…")
		return m.setPINCmd(svc, m.loc.old, pin)
	}
	m.endAsk()
	return nil
}

// pinSet takes the answer to a PIN change: a wrong current PIN asks for it
// again, a refused new one asks for a new one; anything else ends the prompt.
func (m *Model) pinSet(msg pinSetMsg) tea.Cmd {
	m.loc.checking = false
	if m.loc.ask == askNone { // cancelled while it was checked
		if msg.err != nil {
			m.setError("PIN not changed: " + pinErr(msg.err))
		} else {
			m.setInfo(msg.info)
		}
		return nil
	}
	switch {
	case msg.err == nil:
		m.endAsk()
		m.setInfo(msg.info)
	case errors.Is(msg.err, core.ErrWrongPIN), errors.Is(msg.err, core.ErrPINThrottled):
		m.loc.old, m.loc.next = "", ""
		m.askAgain(askPINOld, "Current PIN: ", "PIN not changed: "+pinErr(msg.err)+".")
	case errors.Is(msg.err, core.ErrBadPIN):
		m.loc.next = ""
		m.askAgain(askPINNew, "New PIN: ", "PIN not changed: "+pinErr(msg.err)+".")
	default:
		m.endAsk()
		m.setError("PIN not changed: " + pinErr(msg.err))
	}
	return nil
}

// validPIN reports whether pin is 4 to 12 ASCII digits (the core checks
// again).
func validPIN(pin string) bool {
	if len(pin) < 4 || len(pin) > 12 {
		return false
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (m *Model) setPINCmd(svc LocalService, old, pin string) tea.Cmd {
	ctx := m.o.Context
	info := "PIN set. /hide hides the open chat."
	if pin == "" {
		info = "PIN removed."
	} else if old != "" {
		info = "PIN changed."
	}
	return func() tea.Msg {
		return pinSetMsg{info: info, err: svc.SetPIN(ctx, old, pin)}
	}
}

// --- preferences ---

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

// styleComposer styles a text input with th, as newInput does.
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
	if svc == nil {
		return m.unavailable("/theme")
	}
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
	if svc == nil {
		return m.unavailable("/notify")
	}
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
	if svc == nil {
		return m.unavailable("/receipts")
	}
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

// resolvePerson reads a Parley ID, or the name of a contact or of someone
// the user has a direct chat with (case-insensitive, unique prefix).
func (m *Model) resolvePerson(s string) (crypto.ID, string, error) {
	s = strings.TrimSpace(s)
	if id, err := crypto.ParseID(s); err == nil {
		return id, "", nil
	}
	want := strings.ToLower(strings.TrimPrefix(s, "~"))
	type hit struct {
		id   crypto.ID
		name string
	}
	var hits []hit
	seen := map[crypto.ID]bool{}
	consider := func(id crypto.ID, name string) (hit, bool) {
		n := strings.ToLower(strings.TrimPrefix(name, "~"))
		if n == want {
			return hit{id, name}, true
		}
		if strings.HasPrefix(n, want) && !seen[id] {
			seen[id] = true
			hits = append(hits, hit{id, name})
		}
		return hit{}, false
	}
	for _, c := range m.loc.contacts {
		if h, ok := consider(c.ID, c.Name); ok {
			return h.id, h.name, nil
		}
	}
	for _, c := range m.convs {
		if c.Ref.Kind != core.ConvDirect {
			continue
		}
		if h, ok := consider(c.Ref.Peer, c.Title()); ok {
			return h.id, h.name, nil
		}
	}
	switch len(hits) {
	case 1:
		return hits[0].id, hits[0].name, nil
	case 0:
		return crypto.ID{}, "", fmt.Errorf("%q is not a Parley ID (8 characters A-Z, 0-9) nor a name you know", cleanLine(s))
	}
	return crypto.ID{}, "", fmt.Errorf("%q matches %d people: type more of the name, or the ID", cleanLine(s), len(hits))
}
