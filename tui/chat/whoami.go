package chat

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/qr"
)

// /whoami: what the server knows about the user — ID, key and fingerprint
// (with the QR code a contact compares when verifying), organisation,
// linked e-mail (as a hash), devices and the policies in force.

type whoamiMsg struct {
	who core.WhoamiInfo
	qr  string // the QR code of ID:fingerprint, rendered
	err error
}

// whoamiCommand is /whoami.
func (m *Model) whoamiCommand(arg string) (tea.Cmd, bool) {
	svc := m.dirSvc()
	if strings.TrimSpace(arg) != "" {
		m.setError("Usage: /whoami")
		return nil, false
	}
	ctx := m.o.Context
	return func() tea.Msg {
		who, err := svc.Whoami(ctx)
		if err != nil {
			return whoamiMsg{err: err}
		}
		code, err := qr.Render(qrPayload(who.ID, who.Fingerprint))
		return whoamiMsg{who: who, qr: code, err: err}
	}, true
}

func (m *Model) whoamiDone(msg whoamiMsg) tea.Cmd {
	if msg.err != nil {
		m.setError("/whoami: " + msg.err.Error())
		return nil
	}
	m.loc.who, m.loc.whoQR = msg.who, msg.qr
	m.ownNick = msg.who.Nickname
	m.openPane(paneWhoami)
	m.clearStatus()
	return nil
}

// whoamiLines renders the /whoami pane.
func (m *Model) whoamiLines(w int) []string {
	th := m.th
	who := m.loc.who
	day := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(m.o.Location).Format("2 Jan 2006 15:04")
	}
	const labelW = 14
	field := func(label, value string) []string {
		valueW := max(10, w-labelW-2)
		var out []string
		for i, l := range strings.Split(ansi.Wrap(cleanLine(value), valueW, ""), "\n") {
			lab := ""
			if i == 0 {
				lab = label
			}
			out = append(out, " "+th.Muted.Render(padRight(lab, labelW))+" "+th.Text.Render(l))
		}
		return out
	}
	lines := []string{th.Title.Render(fit(" Who am I", w))}
	add := func(label, value string) {
		if value != "" {
			lines = append(lines, field(label, value)...)
		}
	}
	add("Name", who.Name)
	if who.Nickname != "" {
		add("Nickname", "~"+who.Nickname)
	}
	add("Parley ID", who.ID.String())
	add("Organisation", who.Organisation)
	add("Category", who.Category)
	if len(who.Tags) > 0 {
		add("Tags", "#"+strings.Join(who.Tags, " #"))
	}
	add("Status", who.Status)
	add("Created", day(who.CreatedAt))
	add("Fingerprint", who.Fingerprint)
	if !who.PublicKey.IsZero() {
		add("Public key", who.PublicKey.String())
	}
	add("E-mail", who.Email)
	for i, h := range who.EmailHashes {
		label := ""
		if i == 0 {
			label = "E-mail hash"
		}
		lines = append(lines, field(label, h)...)
	}
	if m.loc.whoQR != "" {
		lines = append(lines, "", th.Muted.Render(" Your fingerprint as a QR code, for a contact who verifies you:"))
		for _, c := range strings.Split(strings.TrimSuffix(m.loc.whoQR, "\n"), "\n") {
			lines = append(lines, " "+c)
		}
	}
	lines = append(lines, "", th.Title.Render(fmt.Sprintf(" Devices (%d)", len(who.Devices))))
	for _, d := range who.Devices {
		label := cleanLine(d.Label)
		if label == "" {
			label = "(no label)"
		}
		lines = append(lines, " "+th.Text.Render(fit(label, max(10, w-2))))
		lines = append(lines, "   "+th.Muted.Render(fit(cleanLine(d.Fingerprint)+" · added "+day(d.Added)+" · last used "+day(d.LastUsed), max(10, w-4))))
	}
	lines = append(lines, "", th.Title.Render(fmt.Sprintf(" Policies in force (%d)", len(who.Policies))))
	for _, p := range who.Policies {
		line := cleanLine(p.Key) + " = " + cleanLine(p.Value)
		if p.Source != "" {
			line += th.Muted.Render(" (" + cleanLine(p.Source) + ")")
		}
		lines = append(lines, " "+fitStyled(line, max(10, w-2)))
	}
	if len(who.Groups) > 0 {
		lines = append(lines, "", th.Title.Render(fmt.Sprintf(" Groups (%d)", len(who.Groups))))
		for _, g := range who.Groups {
			kind := "group"
			if g.Managed {
				kind = "managed group"
			}
			line := fmt.Sprintf("%s · %s, %d %s", cleanLine(g.Name), kind, g.Members, plural(g.Members, "member", "members"))
			lines = append(lines, " "+fit(line, max(10, w-2)))
		}
	}
	return lines
}
