package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/theme"
)

// Options configure the console.
type Options struct {
	Service Service
	// Theme is used until a tenant is chosen; the tenant's screens use its
	// accent colour (theme.Branded). Default: theme.Default().
	Theme *theme.Theme
	// Context bounds every call the console makes (the session's context).
	Context context.Context
	// SSHCommand is how admins reach this server ("ssh -p 2222 host"),
	// for hints about exec commands.
	SSHCommand string
	// ActivateCommand is how a user runs `activate` with a terminal, so
	// that the passphrase is asked twice and not echoed ("ssh -t -p 2222
	// host"); default SSHCommand with -t.
	ActivateCommand string
	// MaxCodeTries ends the session after that many wrong second-factor
	// codes (default 3).
	MaxCodeTries int
	// After, when set, delivers msg to the model after d (a host with its
	// own timers); without it the model uses tea.Tick.
	After func(d time.Duration, msg tea.Msg)
	// Now is the clock for "days left" (default time.Now).
	Now func() time.Time
	// Location is the time zone times are shown in (default time.Local).
	Location *time.Location
	// StatsDays is how many days of messages the dashboard shows (default 14).
	StatsDays int
}

type phase int

const (
	phaseStart   phase = iota // asking whether a second factor is needed
	phaseCode                 // asking for the second factor
	phaseTenants              // loading the tenants
	phasePicker               // choosing a tenant
	phaseConsole              // a tenant's screens
)

type tab int

const (
	tabDashboard tab = iota
	tabUsers
	tabAdmins
	tabGroups
	tabAudit
	tabAPIKeys
	tabPolicies
	tabQuiet
	tabCount
)

func tabName(t tab) string {
	switch t {
	case tabDashboard:
		return "Dashboard"
	case tabUsers:
		return "Users"
	case tabAdmins:
		return "Admins"
	case tabGroups:
		return "Groups"
	case tabAudit:
		return "Audit"
	case tabAPIKeys:
		return "API keys"
	case tabPolicies:
		return "Policies"
	case tabQuiet:
		return "Quiet hours"
	}
	return ""
}

// statusKind colours the status line.
type statusKind int

const (
	statusNone statusKind = iota
	statusInfo
	statusOK
	statusError
)

// loadState is what a screen knows about its data.
type loadState struct {
	loaded  bool
	loading bool
	err     error
}

// Model is the console. It is used by pointer: Update changes it in place.
type Model struct {
	o    Options
	th   *theme.Theme
	keys keyMap

	w, h  int
	phase phase

	code      textinput.Model
	codeTries int
	codeErr   string
	proving   bool
	closing   bool // the session is about to end: input is ignored

	tenants   []Tenant
	tenantCur cursor
	tenant    Tenant
	perms     Perms // nil: unknown, nothing greyed out

	tab      tab
	showHelp bool
	dialog   dialog

	status     string
	statusKind statusKind

	dash    dashState
	users   usersState
	admins  adminsState
	groups  groupsState
	audit   auditState
	apikeys apiKeysState
	pol     policiesState
	quiet   quietState
	// subject is the user whose policies and quiet hours the two screens
	// show; nil: the tenant's.
	subject *subject
}

// New returns the console; Init starts it.
func New(o Options) *Model {
	if o.Theme == nil {
		o.Theme = theme.Default()
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.MaxCodeTries <= 0 {
		o.MaxCodeTries = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.StatsDays <= 0 {
		o.StatsDays = 14
	}
	if o.SSHCommand == "" {
		o.SSHCommand = "ssh HOST"
	}
	if o.ActivateCommand == "" {
		o.ActivateCommand = strings.Replace(o.SSHCommand, "ssh ", "ssh -t ", 1)
	}
	m := &Model{o: o, th: o.Theme, keys: newKeyMap()}
	m.code = newInput(m.th, "Code: ", "")
	m.code.EchoMode = textinput.EchoPassword
	m.code.EchoCharacter = '•'
	m.code.CharLimit = 20
	m.code.SetWidth(20)
	return m
}

func newInput(th *theme.Theme, prompt, value string) textinput.Model {
	in := textinput.New()
	in.SetVirtualCursor(false) // the terminal's own cursor: no blink timer
	in.Prompt = prompt
	st := in.Styles()
	st.Focused.Prompt = th.Prompt
	st.Blurred.Prompt = th.Muted
	st.Focused.Text = th.Text
	st.Blurred.Text = th.Text
	st.Focused.Placeholder = th.Muted
	st.Blurred.Placeholder = th.Muted
	in.SetStyles(st)
	// Ctrl+V would read the clipboard of the server the console runs on:
	// terminals paste on their own.
	in.KeyMap.Paste.SetEnabled(false)
	in.CharLimit = 200
	in.SetValue(value)
	in.CursorEnd()
	return in
}

// Init asks whether the key needs a second factor.
func (m *Model) Init() tea.Cmd {
	svc, ctx := m.o.Service, m.o.Context
	return func() tea.Msg {
		req, err := svc.SecondFactorRequired(ctx)
		return secondFactorMsg{required: req, err: err}
	}
}

// Messages produced by commands.
type (
	secondFactorMsg struct {
		required bool
		err      error
	}
	provedMsg  struct{ err error }
	tenantsMsg struct {
		list []Tenant
		err  error
	}
	permsMsg struct {
		tenant string
		perms  Perms
		err    error
	}
	// doneMsg reports an action: ok is the confirmation for the status
	// line; show, when set, builds a dialog to open (a code shown once).
	doneMsg struct {
		tenant string
		ok     string
		err    error
		show   func(*Model) dialog
		back   bool // leave the detail screen: what it showed is gone
	}
	quitMsg struct{}
)

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.resize()
		return m, nil
	case quitMsg:
		return m, tea.Quit
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.ForceQuit) {
			return m, tea.Quit
		}
		if m.closing {
			return m, nil
		}
		return m.handleKey(msg)
	case tea.PasteMsg:
		return m, m.paste(msg)
	case secondFactorMsg:
		switch {
		case msg.err != nil:
			m.phase = phaseCode
			m.codeErr = "Could not start the console: " + cleanLine(msg.err.Error())
			m.closing = true
			return m, m.quitLater()
		case msg.required:
			m.phase = phaseCode
			return m, m.code.Focus()
		}
		return m, m.loadTenants()
	case provedMsg:
		return m.proved(msg)
	case tenantsMsg:
		return m.gotTenants(msg)
	case permsMsg:
		if msg.tenant == m.tenant.Name && msg.err == nil {
			m.perms = msg.perms
		}
		return m, nil
	case doneMsg:
		return m.done(msg)
	}
	return m, m.handleData(msg)
}

// handleKey routes a key press to what has the focus.
func (m *Model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch m.phase {
	case phaseCode:
		return m.codeKey(msg)
	case phasePicker:
		return m.pickerKey(msg)
	case phaseConsole:
	default:
		if key.Matches(msg, m.keys.Quit) {
			return m, tea.Quit
		}
		return m, nil
	}
	if m.dialog != nil {
		return m, m.dialog.update(m, msg)
	}
	if m.filtering() {
		return m, m.filterKey(msg)
	}
	k := &m.keys
	if m.showHelp {
		switch {
		case key.Matches(msg, k.Quit):
			return m, tea.Quit
		case key.Matches(msg, k.Help, k.Back):
			m.showHelp = false
			return m, nil
		}
		m.showHelp = false
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return m, nil
	case key.Matches(msg, k.NextTab):
		return m, m.switchTab((m.tab + 1) % tabCount)
	case key.Matches(msg, k.PrevTab):
		return m, m.switchTab((m.tab + tabCount - 1) % tabCount)
	case key.Matches(msg, k.Refresh):
		m.clearStatus()
		return m, m.reload()
	case key.Matches(msg, k.Tenant) && len(m.tenants) > 1:
		m.phase = phasePicker
		return m, nil
	}
	for i, b := range k.Tab {
		if key.Matches(msg, b) {
			return m, m.switchTab(tab(i))
		}
	}
	if p, ok := m.refusedKey(msg); ok {
		// A form the role cannot submit is not opened: say why instead.
		m.setError(m.refusal(p))
		return m, nil
	}
	switch m.tab {
	case tabUsers:
		return m, m.usersKey(msg)
	case tabAdmins:
		return m, m.adminsKey(msg)
	case tabGroups:
		return m, m.groupsKey(msg)
	case tabAudit:
		return m, m.auditKey(msg)
	case tabAPIKeys:
		return m, m.apiKeysKey(msg)
	case tabPolicies:
		return m, m.policiesKey(msg)
	case tabQuiet:
		return m, m.quietKey(msg)
	}
	if key.Matches(msg, k.Back) {
		m.clearStatus()
	}
	return m, nil
}

// paste hands pasted text to the focused input.
func (m *Model) paste(msg tea.PasteMsg) tea.Cmd {
	var in *textinput.Model
	switch {
	case m.phase == phaseCode:
		in = &m.code
	case m.phase != phaseConsole:
	case m.dialog != nil:
		switch f := m.dialog.(type) {
		case *formDialog:
			in = &f.inputs[f.focus]
		case *quietDialog:
			in = &f.inputs[f.focus]
			defer f.preview(m)
		}
	case m.users.filtering:
		in = &m.users.filter
	case m.audit.filtering:
		in = &m.audit.filter
	case m.pol.filtering:
		in = &m.pol.filter
	}
	if in == nil {
		return nil
	}
	next, cmd := in.Update(msg)
	*in = next
	return cmd
}

// --- the second factor ---

func (m *Model) codeKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.proving {
		return m, nil
	}
	if key.Matches(msg, m.keys.Verify2FA) {
		code := m.code.Value()
		m.code.Reset()
		if code == "" {
			return m, nil
		}
		m.proving = true
		m.codeErr = ""
		svc, ctx := m.o.Service, m.o.Context
		return m, func() tea.Msg { return provedMsg{err: svc.ProveSecondFactor(ctx, code)} }
	}
	var cmd tea.Cmd
	m.code, cmd = m.code.Update(msg)
	return m, cmd
}

func (m *Model) proved(msg provedMsg) (tea.Model, tea.Cmd) {
	m.proving = false
	if msg.err == nil {
		m.code.Blur()
		return m, m.loadTenants()
	}
	if !errors.Is(msg.err, ErrBadCode) {
		m.codeErr = capitalize(cleanLine(msg.err.Error())) + "."
		return m, nil
	}
	m.codeTries++
	left := m.o.MaxCodeTries - m.codeTries
	if left <= 0 {
		m.codeErr = "Wrong code. Too many attempts: closing the session."
		m.closing = true
		return m, m.quitLater()
	}
	m.codeErr = fmt.Sprintf("Wrong or expired code. %d %s left.", left, plural(left, "try", "tries"))
	return m, nil
}

func (m *Model) quitLater() tea.Cmd {
	const d = 1500 * time.Millisecond
	if m.o.After != nil {
		m.o.After(d, quitMsg{})
		return nil
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return quitMsg{} })
}

// --- tenants ---

func (m *Model) loadTenants() tea.Cmd {
	m.phase = phaseTenants
	svc, ctx := m.o.Service, m.o.Context
	return func() tea.Msg {
		list, err := svc.Tenants(ctx)
		return tenantsMsg{list: list, err: err}
	}
}

func (m *Model) gotTenants(msg tenantsMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.setError("Could not list your tenants: " + msg.err.Error())
		return m, nil
	}
	m.tenants = msg.list
	m.tenantCur.clamp(len(m.tenants))
	if len(m.tenants) == 1 {
		return m, m.choose(m.tenants[0])
	}
	m.phase = phasePicker
	return m, nil
}

func (m *Model) pickerKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Back):
		if m.tenant.Name != "" {
			m.phase = phaseConsole
		}
	case key.Matches(msg, k.Pick):
		if i := m.tenantCur.sel; i < len(m.tenants) {
			return m, m.choose(m.tenants[i])
		}
	default:
		m.tenantCur.navigate(k, msg, len(m.tenants), m.pickerRows())
	}
	return m, nil
}

// choose opens a tenant's screens in its colours, at the dashboard.
func (m *Model) choose(t Tenant) tea.Cmd {
	same := t.Name == m.tenant.Name
	m.phase = phaseConsole
	if same {
		return nil
	}
	m.tenant, m.perms = t, nil
	m.th = theme.Branded(t.Accent)
	m.dash, m.users, m.admins, m.groups, m.audit, m.apikeys = dashState{}, usersState{}, adminsState{}, groupsState{}, auditState{}, apiKeysState{}
	m.pol, m.quiet, m.subject = policiesState{}, quietState{}, nil
	m.dialog, m.showHelp, m.tab = nil, false, tabDashboard
	m.clearStatus()
	svc, ctx, name := m.o.Service, m.o.Context, t.Name
	perms := func() tea.Msg {
		p, err := svc.Permissions(ctx, name)
		return permsMsg{tenant: name, perms: p, err: err}
	}
	return tea.Batch(perms, m.reload())
}

// allowed reports whether the role may take perm; unknown: yes.
func (m *Model) allowed(p Perm) bool { return p == "" || m.perms == nil || m.perms[p] }

// refusedKey reports the permission a key of the current screen needs
// when the role does not have it (the keys the help greys out). What the
// role has is the service's answer (Service.Permissions).
func (m *Model) refusedKey(msg tea.KeyPressMsg) (Perm, bool) {
	short, full := m.screenHelp()
	for _, it := range append(short, full...) {
		if it.perm != "" && key.Matches(msg, it.b) && !m.allowed(it.perm) {
			return it.perm, true
		}
	}
	return "", false
}

// refusal says why a greyed-out key does nothing, in one line.
func (m *Model) refusal(p Perm) string {
	role := "Your role"
	if m.tenant.Role != "" {
		role = "Role " + m.tenant.Role
	}
	return fmt.Sprintf("%s may not %s (%s)", role, p.what(), p)
}

// what names what a permission lets an admin do here, for refusals.
func (p Perm) what() string {
	switch p {
	case PermUsersWrite:
		return "change users"
	case PermDevicesWrite:
		return "remove devices"
	case PermAdminsWrite:
		return "add or remove admins"
	case PermGroupsWrite:
		return "create, rename or delete groups"
	case PermGroupMembers:
		return "change group members"
	case PermAuditRead:
		return "read the audit log"
	case PermAPIKeysWrite:
		return "create or revoke API keys"
	case PermPoliciesWrite:
		return "change policies or quiet hours"
	}
	return "do this"
}

// --- screens ---

func (m *Model) switchTab(t tab) tea.Cmd {
	m.showHelp = false
	if t == m.tab {
		return nil
	}
	m.tab = t
	m.clearStatus()
	return m.reload()
}

// reload fetches what the current screen shows.
func (m *Model) reload() tea.Cmd {
	switch m.tab {
	case tabDashboard:
		return m.loadDashboard()
	case tabUsers:
		return m.loadUsers()
	case tabAdmins:
		return m.loadAdmins()
	case tabGroups:
		return m.loadGroups()
	case tabAudit:
		return m.loadAudit()
	case tabAPIKeys:
		return m.loadAPIKeys()
	case tabPolicies:
		return m.loadPolicies()
	case tabQuiet:
		return m.loadQuiet()
	}
	return nil
}

// handleData takes in what a screen's command loaded.
func (m *Model) handleData(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case licenseMsg, statsMsg:
		m.gotDashboard(msg)
	case usersMsg:
		m.gotUsers(msg)
	case userMsg:
		m.gotUser(msg)
	case adminsMsg:
		m.gotAdmins(msg)
	case groupsMsg:
		m.gotGroups(msg)
	case auditMsg:
		m.gotAudit(msg)
	case verifyMsg:
		m.gotVerify(msg)
	case apiKeysMsg:
		m.gotAPIKeys(msg)
	case policiesMsg:
		m.gotPolicies(msg)
	case quietMsg:
		m.gotQuiet(msg)
	case subjectMsg:
		return m.gotSubject(msg)
	}
	return nil
}

// done takes in the result of an action.
func (m *Model) done(msg doneMsg) (tea.Model, tea.Cmd) {
	if msg.tenant != m.tenant.Name {
		return m, nil
	}
	if msg.err != nil {
		if form, ok := m.dialog.(keeper); ok && form.keep(capitalize(cleanLine(msg.err.Error()))) {
			// Keep the form open, with what was typed, to fix it.
			m.setError(msg.err.Error())
			return m, nil
		}
		m.dialog = nil
		m.setError(msg.err.Error())
		return m, nil
	}
	m.dialog = nil
	if msg.show != nil {
		m.dialog = msg.show(m)
	}
	if msg.back {
		switch m.tab {
		case tabUsers:
			m.users.detail = nil
		case tabGroups:
			m.groups.open = ""
		}
	}
	m.setOK(msg.ok)
	return m, m.reload()
}

// act runs an action of the current tenant in a command.
func (m *Model) act(f func(ctx context.Context, svc Service, tenant string) doneMsg) tea.Cmd {
	svc, ctx, tenant := m.o.Service, m.o.Context, m.tenant.Name
	return func() tea.Msg {
		d := f(ctx, svc, tenant)
		d.tenant = tenant
		return d
	}
}

func (m *Model) setError(s string) {
	m.status, m.statusKind = capitalize(cleanLine(s)), statusError
}
func (m *Model) setOK(s string) {
	if s == "" {
		return
	}
	m.status, m.statusKind = cleanLine(s), statusOK
}
func (m *Model) setInfo(s string) { m.status, m.statusKind = cleanLine(s), statusInfo }
func (m *Model) clearStatus()     { m.status, m.statusKind = "", statusNone }

// errText is what a failed load shows in place of the screen.
func errText(err error) string {
	if errors.Is(err, ErrNotAvailable) {
		return "Not available on this server yet."
	}
	return capitalize(cleanLine(err.Error())) + "."
}

// loadFailed reports a screen that could not load in the status line; a
// screen the server does not offer says so in its own place.
func (m *Model) loadFailed(err error) {
	if !errors.Is(err, ErrNotAvailable) {
		m.setError(err.Error())
	}
}
