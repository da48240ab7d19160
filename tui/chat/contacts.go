package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/qr"
)

// Contacts, key verification and the directory: /contacts lists the
// user's contacts with their trust level (Threema's coloured dots, plus a
// word for terminals without colour), /contact add|remove changes the
// list, /verify shows a contact's key fingerprint as hex groups and as a
// QR code and, given the fingerprint the contact reads out, marks them
// verified; /find searches the organisation's directory.

type (
	contactsMsg struct {
		list []core.ContactEntry
		// quiet: a background reading (names for notifications), not /contacts.
		quiet bool
		err   error
	}
	verifyMsg struct {
		v   verifyInfo
		err error
		// checked: a fingerprint was given and matched; mismatch: it was given
		// and did not.
		checked, mismatch bool
	}
	findMsg struct {
		query string
		found []core.DirectoryEntry
		err   error
	}
)

// verifyInfo is what the verify screen shows.
type verifyInfo struct {
	id        crypto.ID
	name      string
	fp, own   string // fingerprints in hex groups: theirs, the user's
	entry     core.ContactEntry
	isContact bool
	qr        string // the QR code of id:fingerprint, rendered
}

// contactsCmd reads the contact list; quiet ones only update the names.
func (m *Model) contactsCmd(quiet bool) tea.Cmd {
	svc := m.localSvc()
	if svc == nil {
		return nil
	}
	ctx := m.o.Context
	return func() tea.Msg {
		list, err := svc.Contacts(ctx)
		return contactsMsg{list: list, quiet: quiet, err: err}
	}
}

// contactsCommand is /contacts.
func (m *Model) contactsCommand(arg string) (tea.Cmd, bool) {
	if strings.TrimSpace(arg) != "" {
		m.setError("Usage: /contacts (to add one: /contact add <ID>)")
		return nil, false
	}
	return m.contactsCmd(false), true
}

func (m *Model) contactsDone(msg contactsMsg) tea.Cmd {
	if msg.err != nil {
		if !msg.quiet {
			m.setError("Could not read your contacts: " + msg.err.Error())
		}
		return nil
	}
	m.loc.contacts = msg.list
	if msg.quiet {
		if m.loc.pane == paneContacts {
			m.loc.sel = max(0, min(m.loc.sel, len(msg.list)-1))
		}
		return nil
	}
	m.openPane(paneContacts)
	return nil
}

// contactCommand is /contact add|remove <ID|name>.
func (m *Model) contactCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	verb, who, _ := strings.Cut(strings.TrimSpace(arg), " ")
	verb = strings.ToLower(verb)
	who = strings.TrimSpace(who)
	if verb == "rm" {
		verb = "remove"
	}
	if (verb != "add" && verb != "remove") || who == "" {
		m.setError("Usage: /contact add <ID> or /contact remove <ID|name>")
		return nil, false
	}
	id, _, err := m.resolvePerson(who)
	if err != nil {
		m.setError("/contact: " + err.Error())
		return nil, false
	}
	if id == m.o.Service.Me().ID {
		m.setError("/contact: that is your own ID.")
		return nil, false
	}
	ctx := m.o.Context
	if verb == "remove" {
		return func() tea.Msg {
			err := svc.RemoveContact(ctx, id)
			return contactChangedMsg(ctx, svc, changedMsg{what: "Not removed", info: id.String() + " is no longer in your contacts.", err: err})
		}, true
	}
	return func() tea.Msg {
		e, err := svc.AddContact(ctx, id)
		info := ""
		if err == nil {
			info = fmt.Sprintf("%s (%s) added to your contacts: %s.", e.Name, e.ID, trustText(e))
		}
		return contactChangedMsg(ctx, svc, changedMsg{what: "Not added", info: info, err: err})
	}, true
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

// contactChangedMsg follows a change of the contact list with the list as
// it is now.
func contactChangedMsg(ctx context.Context, svc LocalService, done changedMsg) tea.Msg {
	if done.err != nil {
		return done
	}
	list, err := svc.Contacts(ctx)
	return contactsChanged{done: done, list: contactsMsg{list: list, quiet: true, err: err}}
}

// contactsChanged answers /contact add|remove: the outcome, and the list.
type contactsChanged struct {
	done changedMsg
	list contactsMsg
}

// trustMark is a contact's coloured dot and trust word.
func (m *Model) trustMark(e core.ContactEntry) string {
	th := m.th
	if e.KeyChanged {
		return th.TrustUnverified.Render("⚠ key changed")
	}
	switch e.Trust {
	case core.TrustVerified:
		return th.TrustVerified.Render("● verified")
	case core.TrustInternal:
		return th.TrustInternal.Render("● internal")
	case core.TrustDirectory:
		return th.TrustDirectory.Render("● directory")
	}
	return th.TrustUnverified.Render("● unverified")
}

// trustText says in words what a contact's trust level means.
func trustText(e core.ContactEntry) string {
	if e.KeyChanged {
		return "their key CHANGED since you verified it: verify again before trusting it"
	}
	switch e.Trust {
	case core.TrustVerified:
		return "verified in person"
	case core.TrustInternal:
		return "a member of your organisation"
	case core.TrustDirectory:
		return "named by an administrator, not verified in person"
	}
	return "not verified: anyone could use this name"
}

// contactContent is what the contacts pane shows.
func (m *Model) contactContent(w int) paneContent {
	rows := make([]string, 0, len(m.loc.contacts))
	for _, e := range m.loc.contacts {
		mark := padRight(m.trustMark(e), 14)
		name := padRight(fit(cleanLine(e.Name), max(8, w-2-14-1-crypto.IDLen-1)), max(8, w-2-14-1-crypto.IDLen-1))
		rows = append(rows, mark+" "+m.th.Text.Render(name)+" "+m.th.Muted.Render(e.ID.String()))
	}
	title := fmt.Sprintf("Contacts (%d)", len(rows))
	return paneContent{title: title, rows: rows, empty: "No contacts yet: /contact add <ID>, or /find <name>."}
}

// --- /verify ---

// verifyCommand is /verify <ID|name> [fingerprint]: without a fingerprint
// it shows the key's; with one it checks it.
func (m *Model) verifyCommand(arg string) (tea.Cmd, bool) {
	svc := m.localSvc()
	who, fp, _ := strings.Cut(strings.TrimSpace(arg), " ")
	if who == "" {
		m.setError("Usage: /verify <ID> to see their key, /verify <ID> <fingerprint> to check it")
		return nil, false
	}
	id, _, err := m.resolvePerson(who)
	if err != nil {
		m.setError("/verify: " + err.Error())
		return nil, false
	}
	fp = strings.TrimSpace(fp)
	me := m.o.Service.Me()
	if id == me.ID && fp != "" {
		m.setError("/verify: that is your own key; compare it with what your contact's screen shows for you.")
		return nil, false
	}
	look := m.o.Service.Contact
	ctx := m.o.Context
	return func() tea.Msg {
		var checkErr error
		if fp != "" {
			checkErr = svc.Verify(ctx, id, fp)
			if checkErr != nil && !errors.Is(checkErr, core.ErrFingerprintMismatch) {
				return verifyMsg{err: checkErr}
			}
		}
		v, err := verifyData(ctx, svc, look, me, id)
		if err != nil {
			return verifyMsg{err: err}
		}
		return verifyMsg{v: v, err: checkErr, checked: fp != "" && checkErr == nil, mismatch: checkErr != nil}
	}, true
}

// verifyData gathers what the verify screen shows about id.
func verifyData(ctx context.Context, svc LocalService, look func(context.Context, crypto.ID) (core.Contact, error),
	me core.Identity, id crypto.ID) (verifyInfo, error) {
	v := verifyInfo{id: id}
	var err error
	if v.fp, err = svc.Fingerprint(ctx, id); err != nil {
		return v, err
	}
	if id != me.ID {
		if v.own, err = svc.Fingerprint(ctx, me.ID); err != nil {
			return v, err
		}
		list, err := svc.Contacts(ctx)
		if err != nil {
			return v, err
		}
		for _, e := range list {
			if e.ID == id {
				v.entry, v.isContact, v.name = e, true, e.Name
			}
		}
		if !v.isContact {
			if ct, err := look(ctx, id); err == nil {
				v.name = ct.Name
			}
		}
	} else {
		v.name = me.Name
	}
	if v.name == "" {
		v.name = id.String()
	}
	if v.qr, err = qr.Render(qrPayload(id, v.fp)); err != nil {
		return v, err
	}
	return v, nil
}

// qrPayload is what the verify QR code holds: "ID:FINGERPRINT", upper case
// without spaces (alphanumeric QR mode: a small code).
func qrPayload(id crypto.ID, fp string) string {
	return id.String() + ":" + strings.ToUpper(strings.ReplaceAll(fp, " ", ""))
}

func (m *Model) verifyDone(msg verifyMsg) tea.Cmd {
	if msg.err != nil && !msg.mismatch {
		m.setError("/verify: " + msg.err.Error())
		return nil
	}
	m.loc.verify = msg.v
	m.openPane(paneVerify)
	name := cleanLine(msg.v.name)
	switch {
	case msg.mismatch:
		m.setError("MISMATCH: " + name + "'s key is NOT the one you were given. Do not trust this chat; tell your administrator.")
	case msg.checked:
		m.setInfo(fmt.Sprintf("✓ %s is verified: their key matches.", name))
		return m.contactsCmd(true)
	default:
		m.clearStatus()
	}
	return nil
}

// verifyLines renders the verify screen: who, how far they are trusted,
// the fingerprint in hex groups with its QR code beside (or below, in a
// narrow pane), the user's own fingerprint, and what to do.
func (m *Model) verifyLines(w int) []string {
	th := m.th
	v := m.loc.verify
	me := m.o.Service.Me()
	name := cleanLine(v.name)
	self := v.id == me.ID
	code := strings.Split(strings.TrimSuffix(v.qr, "\n"), "\n")
	qrW := 0
	if len(code) > 0 {
		qrW = ansi.StringWidth(code[0])
	}
	side := w-qrW-2 >= 26
	textW := w - 1
	if side {
		textW = w - qrW - 2
	}
	// wrap breaks s into lines of the text column, each indented by one.
	wrap := func(s string, width int) []string {
		ls := strings.Split(ansi.Wrap(s, max(10, width-1), ""), "\n")
		for i := range ls {
			ls[i] = " " + ls[i]
		}
		return ls
	}

	title := " Verify " + name + " · " + v.id.String()
	if self {
		title = " Your key · " + v.id.String()
	}
	var left []string
	switch {
	case self:
		left = append(left, th.Muted.Render(" Show this to a contact who verifies you."))
	case !v.isContact:
		left = append(left, th.TrustUnverified.Render(" ○ not in your contacts"))
	default:
		left = append(left, " "+m.trustMark(v.entry))
		for _, l := range wrap(trustText(v.entry), textW) {
			left = append(left, th.Muted.Render(l))
		}
	}
	left = append(left, "")
	if self {
		left = append(left, " Your fingerprint:")
	} else {
		left = append(left, " Their fingerprint, as the")
		left = append(left, " server gives it:")
	}
	left = append(left, fingerprintLines(th.Title.Render, v.fp)...)
	if !self {
		left = append(left, " Yours:")
		left = append(left, fingerprintLines(th.Text.Render, v.own)...)
	}
	var help []string
	if !self {
		help = append(help, "", "Compare in person or on a call: "+name+" sees their own under /whoami. If the two match:")
		help = append(help, "/verify "+v.id.String()+" <their fingerprint>")
	}
	var lines []string
	lines = append(lines, th.Title.Render(fit(title, w)))
	if side {
		// The instructions go under the fingerprints, beside the code.
		for _, h := range help {
			for _, l := range wrap(h, textW) {
				left = append(left, th.Muted.Render(l))
			}
		}
		for i := 0; i < max(len(left), len(code)); i++ {
			l, c := "", ""
			if i < len(left) {
				l = left[i]
			}
			if i < len(code) {
				c = code[i]
			}
			lines = append(lines, padRight(fitStyled(l, textW), textW)+"  "+c)
		}
		return lines
	}
	lines = append(lines, left...)
	for _, c := range code {
		lines = append(lines, " "+c)
	}
	for _, h := range help {
		for _, l := range wrap(h, w) {
			lines = append(lines, th.Muted.Render(l))
		}
	}
	return lines
}

// fingerprintLines shows a fingerprint's eight groups as two rows of four.
func fingerprintLines(style func(...string) string, fp string) []string {
	g := strings.Fields(fp)
	if len(g) <= 4 {
		return []string{"   " + style(strings.Join(g, " "))}
	}
	return []string{"   " + style(strings.Join(g[:4], " ")), "   " + style(strings.Join(g[4:], " "))}
}

// --- /find ---

// findCommand is /find <name|#tag>. Policy may forbid it: the command
// table refuses it then.
func (m *Model) findCommand(arg string) (tea.Cmd, bool) {
	svc := m.dirSvc()
	q := strings.TrimSpace(arg)
	if q == "" {
		m.setError("Usage: /find <name> (wildcards: /find *mül*) or /find #tag")
		return nil, false
	}
	if n := len([]rune(q)); n > maxQuery {
		m.setError(fmt.Sprintf("Search text too long: %d characters, the limit is %d.", n, maxQuery))
		return nil, false
	}
	ctx := m.o.Context
	return func() tea.Msg {
		found, err := svc.Find(ctx, q)
		return findMsg{query: q, found: found, err: err}
	}, true
}

func (m *Model) findDone(msg findMsg) tea.Cmd {
	if msg.err != nil {
		m.setError("/find: " + msg.err.Error())
		return nil
	}
	m.loc.query, m.loc.found = msg.query, msg.found
	m.openPane(paneFind)
	switch n := len(msg.found); {
	case n == 0:
		m.setInfo(fmt.Sprintf("Nobody in the directory matches %q.", msg.query))
	case n >= core.FindLimit:
		m.setInfo(fmt.Sprintf("The first %d matches: add a word or a #tag to narrow it down.", n))
	default:
		m.setInfo(fmt.Sprintf("%d %s: Enter writes to the selected one.", len(msg.found), plural(len(msg.found), "person", "people")))
	}
	return nil
}

// findContent is what the pane of directory results shows.
func (m *Model) findContent(w int) paneContent {
	th := m.th
	rows := make([]string, 0, len(m.loc.found))
	for _, e := range m.loc.found {
		row := th.Text.Bold(true).Render(cleanLine(e.Name))
		if e.Nickname != "" {
			row += " " + th.Muted.Render("~"+cleanLine(e.Nickname))
		}
		row += " " + th.Muted.Render(e.ID.String())
		if e.Internal {
			row += " " + th.TrustInternal.Render("●")
		} else if e.Organisation != "" {
			row += " " + th.TrustDirectory.Render("● "+cleanLine(e.Organisation))
		}
		var extra []string
		if e.Category != "" {
			extra = append(extra, cleanLine(e.Category))
		}
		for _, t := range e.Tags {
			extra = append(extra, "#"+cleanLine(t))
		}
		if len(extra) > 0 {
			row += " " + th.Info.Render(strings.Join(extra, " "))
		}
		rows = append(rows, row)
	}
	title := fmt.Sprintf("Directory: %s (%d)", cleanLine(m.loc.query), len(rows))
	return paneContent{title: title, rows: rows, empty: "Nobody matches."}
}
