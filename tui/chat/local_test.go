package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// --- a fake core with the local features ---

// vFake adds the local and directory features to fakeService; its fields
// are guarded by fakeService.mu and its calls recorded there too.
type vFake struct {
	*fakeService

	pin      string // "" when none is set
	revealed bool
	hidden   map[core.ConvRef]bool
	prefs    core.Prefs
	prefsErr error

	contactList []core.ContactEntry
	keys        map[crypto.ID]string // fingerprints the "server" gives
	results     []core.Message
	searchErr   error
	dir         []core.DirectoryEntry
	findErr     error
	who         core.WhoamiInfo
}

var (
	_ LocalService     = (*vFake)(nil)
	_ DirectoryService = (*vFake)(nil)
)

const (
	fpAlice = "0a1b 2c3d 4e5f 6a7b 8c9d 0e1f 2a3b 4c5d"
	fpBob   = "b0b0 1111 2222 3333 4444 5555 6666 7777"
)

func newVFake(base *fakeService) *vFake {
	return &vFake{
		fakeService: base,
		hidden:      map[core.ConvRef]bool{},
		prefs:       core.DefaultPrefs(),
		keys:        map[crypto.ID]string{base.me.ID: fpAlice, bob: fpBob},
	}
}

// vChatDriver is a chat driver whose service has the local features.
func vChatDriver(t *testing.T, f *vFake, opts ...func(*Options)) *driver {
	t.Helper()
	opts = append([]func(*Options){func(o *Options) { o.Service = f }}, opts...)
	return chatDriver(t, f.fakeService, opts...)
}

func (f *vFake) Search(_ context.Context, q string, limit int) ([]core.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Search %q %d", q, limit)
	return slices.Clone(f.results), f.searchErr
}

func (f *vFake) Hide(_ context.Context, ref core.ConvRef) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Hide %s", ref)
	if f.pin == "" {
		return core.ErrNoPIN
	}
	f.hidden[ref] = true
	return nil
}

func (f *vFake) Unhide(_ context.Context, ref core.ConvRef) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Unhide %s", ref)
	if !f.revealed {
		return core.ErrConcealed
	}
	delete(f.hidden, ref)
	return nil
}

func (f *vFake) PINSet(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("PINSet")
	return f.pin != "", nil
}

func (f *vFake) SetPIN(_ context.Context, old, pin string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SetPIN %q %q", old, pin)
	if old != f.pin {
		return core.ErrWrongPIN
	}
	f.pin = pin
	return nil
}

func (f *vFake) Reveal(_ context.Context, pin string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Reveal %q", pin)
	if f.pin == "" {
		return core.ErrNoPIN
	}
	if pin != f.pin {
		return fmt.Errorf("%w (4 tries left)", core.ErrWrongPIN)
	}
	f.revealed = true
	return nil
}

func (f *vFake) Conceal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Conceal")
	f.revealed = false
}

func (f *vFake) Revealed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revealed
}

func (f *vFake) Prefs(context.Context) (core.Prefs, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Prefs")
	return f.prefs, f.prefsErr
}

func (f *vFake) SetPrefs(_ context.Context, p core.Prefs) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SetPrefs %+v", p)
	f.prefs = p
	return nil
}

func (f *vFake) Contacts(context.Context) ([]core.ContactEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Contacts")
	return slices.Clone(f.contactList), nil
}

func (f *vFake) AddContact(_ context.Context, id crypto.ID) (core.ContactEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("AddContact %s", id)
	ct, ok := f.contacts[id]
	if !ok {
		return core.ContactEntry{}, fmt.Errorf("no user %s on this server", id)
	}
	e := core.ContactEntry{ID: id, Name: ct.Name, Trust: core.TrustDirectory, Added: testNow}
	f.contactList = append(f.contactList, e)
	return e, nil
}

func (f *vFake) RemoveContact(_ context.Context, id crypto.ID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RemoveContact %s", id)
	i := slices.IndexFunc(f.contactList, func(e core.ContactEntry) bool { return e.ID == id })
	if i < 0 {
		return core.ErrNotContact
	}
	f.contactList = slices.Delete(f.contactList, i, i+1)
	return nil
}

func (f *vFake) Fingerprint(_ context.Context, id crypto.ID) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Fingerprint %s", id)
	fp, ok := f.keys[id]
	if !ok {
		return "", fmt.Errorf("no user %s on this server", id)
	}
	return fp, nil
}

func (f *vFake) Verify(_ context.Context, id crypto.ID, fp string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Verify %s %q", id, fp)
	norm := strings.ToLower(strings.ReplaceAll(fp, " ", ""))
	if len(norm) != 32 {
		return core.ErrBadFingerprint
	}
	if norm != strings.ReplaceAll(f.keys[id], " ", "") {
		return fmt.Errorf("%s: %w", id, core.ErrFingerprintMismatch)
	}
	i := slices.IndexFunc(f.contactList, func(e core.ContactEntry) bool { return e.ID == id })
	e := core.ContactEntry{ID: id, Name: f.contacts[id].Name, Added: testNow}
	if i < 0 {
		f.contactList = append(f.contactList, e)
		i = len(f.contactList) - 1
	}
	f.contactList[i].Trust, f.contactList[i].Verified = core.TrustVerified, true
	return nil
}

func (f *vFake) Find(_ context.Context, q string) ([]core.DirectoryEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Find %q", q)
	return slices.Clone(f.dir), f.findErr
}

func (f *vFake) Whoami(context.Context) (core.WhoamiInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Whoami")
	return f.who, nil
}

// --- helpers ---

// threeChatsLocal is threeChats with the local features, a PIN set and
// contacts: Bob from the directory, Carol verified.
func threeChatsLocal() *vFake {
	f := newVFake(threeChats())
	f.pin = "2468"
	f.contactList = []core.ContactEntry{
		{ID: bob, Name: "Bob Builder", Trust: core.TrustDirectory, Added: at(1, 9, 0)},
		{ID: carol, Name: "Carol", Trust: core.TrustVerified, Verified: true, Added: at(2, 9, 0)},
		{ID: dave, Name: "~dave", Trust: core.TrustUnverified, Added: at(3, 9, 0)},
	}
	f.keys[carol] = "ca01 ca02 ca03 ca04 ca05 ca06 ca07 ca08"
	f.keys[dave] = "da01 da02 da03 da04 da05 da06 da07 da08"
	return f
}

// callsWith returns the recorded calls that start with one of prefixes.
func callsWith(calls []string, prefixes ...string) []string {
	var out []string
	for _, c := range calls {
		for _, p := range prefixes {
			if strings.HasPrefix(c, p) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// run clears the composer, types line and presses Enter: after a refused
// command the composer keeps the line, for the user to correct it.
func (d *driver) run(line string) {
	d.t.Helper()
	d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	d.enter(line)
}

func (d *driver) wantStatus(want string) {
	d.t.Helper()
	if got := d.statusText(); !strings.Contains(got, want) {
		d.t.Errorf("status = %q, want it to contain %q", got, want)
	}
}

// --- commands ---

func TestLocalCommandsUnavailable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats()) // a service without the local features
		for _, line := range []string{"/search x", "/contacts", "/contact add BOB00001", "/verify BOB00001",
			"/find bob", "/whoami", "/hide", "/unhide", "/pin", "/hidden", "/conceal", "/theme light",
			"/notify off", "/receipts off"} {
			d.run(line)
			name, _, _ := strings.Cut(line, " ")
			d.wantStatus(name + " is not available in this session.")
		}
	})
}

func TestSearchCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.results = []core.Message{
			{Conv: core.Direct(carol), From: carol, Time: at(15, 9, 0), Text: "PING me when you are there"},
			{Conv: core.Direct(bob), From: f.me.ID, Outgoing: true, Time: at(15, 8, 0), Text: "did you get my ping?"},
		}
		d := vChatDriver(t, f)
		f.takeCalls()

		d.run("/search")
		d.wantStatus("Usage: /search <text>")
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		d.run("/search " + strings.Repeat("x", maxQuery+1))
		d.wantStatus("Search text too long")
		if got := callsWith(f.takeCalls(), "Search"); len(got) != 0 {
			t.Errorf("bad queries reached the core: %q", got)
		}
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})

		d.run("/search  ping ")
		if got, want := callsWith(f.takeCalls(), "Search"), []string{fmt.Sprintf("Search %q %d", "ping", searchLimit)}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		d.wantScreen("Search: ping (2)")
		d.wantScreen("Carol")
		d.wantScreen("you → Bob Builder")
		d.wantStatus("2 messages with \"ping\"")
		if !strings.Contains(d.content(), theme.Default().Match.Render("PING")) {
			t.Errorf("the match is not highlighted:\n%q", d.content())
		}

		// ↓ selects the second result; Enter on the empty composer jumps.
		d.press(tea.KeyDown)
		d.press(tea.KeyEnter)
		if got, want := d.m.open, core.Direct(bob); got != want {
			t.Errorf("open = %v, want %v", got, want)
		}
		if d.m.loc.pane != paneNone {
			t.Errorf("pane = %d after the jump, want none", d.m.loc.pane)
		}
		d.wantStatus("from your search")

		// Esc closes the results.
		d.run("/search ping")
		d.press(tea.KeyEscape)
		if d.m.loc.pane != paneNone {
			t.Errorf("pane = %d after Esc, want none", d.m.loc.pane)
		}

		f.mu.Lock()
		f.searchErr = core.ErrEmptyQuery
		f.mu.Unlock()
		d.run("/search x")
		d.wantStatus("Search failed: " + core.ErrEmptyQuery.Error())
	})
}

func TestSearchNothingFound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := vChatDriver(t, threeChatsLocal())
		d.run("/search zebra")
		d.wantStatus(`Nothing found for "zebra".`)
		d.wantScreen("No message contains this text.")
		d.press(tea.KeyEnter) // nothing to open: nothing happens
		if d.m.loc.pane != paneSearch {
			t.Errorf("pane = %d, want the search results still", d.m.loc.pane)
		}
	})
}

func TestHideAndUnhide(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		d := vChatDriver(t, f)
		d.run("/hide")
		d.wantStatus("/hide: no conversation open")

		d.press('n', tea.ModCtrl) // opens Bob
		f.takeCalls()
		d.run("/hide")
		if got, want := callsWith(f.takeCalls(), "Hide"), []string{"Hide BOB00001"}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		d.wantStatus("Bob Builder is hidden. /hidden shows hidden chats")
		if d.m.open != (core.ConvRef{}) {
			t.Errorf("the hidden chat is still open: %v", d.m.open)
		}

		d.run("/unhide carol")
		d.wantStatus("Not unhidden: hidden chats are concealed: show them with /hidden first")
		d.run("/hidden 2468")
		d.run("/unhide bob")
		d.wantStatus("Bob Builder is no longer hidden.")

		d.run("/hide nobody")
		d.wantStatus(`/hide: "nobody" is neither an ID nor a chat in your list`)

		// Without a PIN: the error says how to set one.
		f.mu.Lock()
		f.pin = ""
		f.mu.Unlock()
		d.run("/hide carol")
		d.wantStatus("Not hidden: " + core.ErrNoPIN.Error() + " with /pin")
	})
}

func TestPINSetFlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.pin = ""
		d := vChatDriver(t, f)
		d.run("/pin")
		d.wantScreen("New PIN:")
		d.typeText("1357")
		d.wantNotScreen("1357")
		d.press(tea.KeyEnter)
		d.wantScreen("Repeat new PIN:")
		d.run("1357")
		if got, want := callsWith(f.takeCalls(), "SetPIN"), []string{`SetPIN "" "1357"`}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		d.wantStatus("PIN set.")
		if got := d.m.input.EchoMode; got != 0 {
			t.Errorf("composer echo mode = %d after the prompt, want normal", got)
		}
		d.wantScreen("Type a message, or /help")

		// Change it: the current one first.
		d.run("/pin")
		d.wantScreen("Current PIN:")
		d.run("1357")
		d.run("97531")
		d.run("97531")
		if got, want := callsWith(f.takeCalls(), "SetPIN"), []string{`SetPIN "1357" "97531"`}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		d.wantStatus("PIN changed.")

		// Remove it.
		d.run("/pin off")
		d.run("97531")
		if got, want := callsWith(f.takeCalls(), "SetPIN"), []string{`SetPIN "97531" ""`}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		d.wantStatus("PIN removed.")
		d.run("/pin off")
		d.wantStatus("No PIN is set.")
	})
}

// TestPINRefusals: a refused PIN keeps the masked prompt open, asking
// again with the reason, until Esc; nothing typed is sent or kept.
func TestPINRefusals(t *testing.T) {
	tests := []struct {
		name   string
		lines  []string
		status string
		ask    askKind // the prompt still open afterwards
	}{
		{"too short", []string{"/pin", "12"}, "Not a PIN: " + core.ErrBadPIN.Error(), askPINNew},
		{"not digits", []string{"/pin", "12ab"}, "Not a PIN: " + core.ErrBadPIN.Error(), askPINNew},
		{"repeat differs", []string{"/pin", "1234", "1243"}, "The two new PINs differ: type the new PIN again. Esc cancels.", askPINNew},
		{"bad argument", []string{"/pin 1234"}, "Usage: /pin", askNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := threeChatsLocal()
				f.pin = ""
				d := vChatDriver(t, f)
				for _, l := range tt.lines {
					d.run(l)
				}
				d.wantStatus(tt.status)
				if got := callsWith(f.takeCalls(), "SetPIN"); len(got) != 0 {
					t.Errorf("SetPIN called: %q", got)
				}
				if d.m.loc.ask != tt.ask {
					t.Errorf("asking %d, want %d", d.m.loc.ask, tt.ask)
				}
				if tt.ask != askNone && (d.m.input.Value() != "" || d.m.loc.next != "") {
					t.Errorf("a refused PIN is kept: composer %q, next %q", d.m.input.Value(), d.m.loc.next)
				}
				if got := callsWith(f.takeCalls(), "Send"); len(got) != 0 {
					t.Errorf("sent: %q", got)
				}
			})
		})
	}
	t.Run("escape cancels", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := threeChatsLocal()
			d := vChatDriver(t, f)
			d.run("/pin")
			d.typeText("24")
			d.press(tea.KeyEscape)
			d.wantStatus("Cancelled.")
			if d.m.loc.ask != askNone || d.m.loc.old != "" || d.m.input.Value() != "" {
				t.Errorf("prompt left behind: ask %d, old %q, composer %q", d.m.loc.ask, d.m.loc.old, d.m.input.Value())
			}
			if got := callsWith(f.takeCalls(), "SetPIN"); len(got) != 0 {
				t.Errorf("SetPIN called: %q", got)
			}
		})
	})
	t.Run("wrong current PIN", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := vChatDriver(t, threeChatsLocal())
			d.run("/pin")
			d.run("0000")
			d.run("1111")
			d.run("1111")
			d.wantStatus("PIN not changed: " + core.ErrWrongPIN.Error())
			if d.m.loc.ask != askPINOld || d.m.loc.old != "" {
				t.Errorf("after a wrong current PIN: asking %d, old %q; want the current PIN asked again", d.m.loc.ask, d.m.loc.old)
			}
			d.press(tea.KeyEscape)
			d.wantStatus("Cancelled.")
		})
	})
}

func TestRevealAndConceal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		d := vChatDriver(t, f)
		d.run("/hidden")
		d.wantScreen("PIN:")
		d.run("1111")
		d.wantStatus("Hidden chats not shown: wrong PIN (4 tries left) Esc cancels.")
		if d.m.loc.revealed {
			t.Error("revealed after a wrong PIN")
		}
		if d.m.loc.ask != askReveal {
			t.Fatalf("the PIN prompt closed after a refusal (asking %d)", d.m.loc.ask)
		}
		d.run("2468") // into the prompt, which stayed: never into the chat
		d.wantStatus("Hidden chats are shown.")
		if !d.m.loc.revealed {
			t.Error("not revealed after the right PIN")
		}
		if got, want := callsWith(f.takeCalls(), "Reveal", "Conversations", "Send"), []string{`Reveal "1111"`, `Reveal "2468"`, "Conversations"}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}

		// A hidden chat that is open closes on /conceal.
		f.mu.Lock()
		f.convs[0].Hidden = true
		f.mu.Unlock()
		d.run("/open bob")
		d.run("/conceal")
		if got, want := callsWith(f.takeCalls(), "Conceal"), []string{"Conceal"}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		if d.m.open != (core.ConvRef{}) {
			t.Errorf("a hidden chat stays open after /conceal: %v", d.m.open)
		}
		d.wantStatus("Hidden chats are concealed.")
		if d.m.loc.revealed {
			t.Error("still revealed after /conceal")
		}
		d.run("/conceal now")
		d.wantStatus("Usage: /conceal")
	})
}

func TestThemeCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		d := vChatDriver(t, f)
		if got := d.m.th.Name; got != theme.Dark {
			t.Fatalf("theme = %q at start, want dark", got)
		}
		d.run("/theme")
		d.wantStatus("Theme: dark.")
		d.run("/theme LIGHT")
		if got := d.m.th.Name; got != theme.Light {
			t.Errorf("theme = %q, want light", got)
		}
		if got := f.prefs.Theme; got != core.ThemeLight {
			t.Errorf("stored theme = %q, want light", got)
		}
		d.wantStatus("Theme: light.")
		d.run("/theme solarized")
		d.wantStatus("Usage: /theme dark or /theme light")
		if got := d.m.th.Name; got != theme.Light {
			t.Errorf("theme = %q after a bad /theme, want light still", got)
		}
		d.run("/theme dark")
		if got := d.m.th.Name; got != theme.Dark {
			t.Errorf("theme = %q, want dark", got)
		}
	})
}

func TestPrefsAppliedAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.prefs = core.Prefs{ReadReceipts: false, Theme: core.ThemeLight, Notify: core.NotifyDesktop}
		d := vChatDriver(t, f, func(o *Options) { o.Theme = theme.Branded("#AA0000") })
		if got := d.m.th.Name; got != theme.Light {
			t.Errorf("theme = %q, want light from the preferences", got)
		}
		if got := d.m.th.Accent; got != "#AA0000" {
			t.Errorf("accent = %q, want the tenant's kept", got)
		}
		d.run("/notify")
		d.wantStatus("Notifications: desktop.")
		d.run("/receipts")
		d.wantStatus("Read receipts: off.")
	})
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.prefsErr = errors.New("device store unreadable")
		d := vChatDriver(t, f)
		d.wantStatus("Could not read your preferences: device store unreadable")
	})
}

func TestNotifyAndReceiptsCommands(t *testing.T) {
	tests := []struct {
		line   string
		status string
		want   core.Prefs
	}{
		{"/notify desktop", "Notifications: desktop notifications", core.Prefs{ReadReceipts: true, Theme: "dark", Notify: "desktop"}},
		{"/notify Both", "Notifications: the bell and desktop", core.Prefs{ReadReceipts: true, Theme: "dark", Notify: "both"}},
		{"/notify off", "Notifications: off (alarms still ring).", core.Prefs{ReadReceipts: true, Theme: "dark", Notify: "off"}},
		{"/notify bell", "Notifications: the terminal bell.", core.Prefs{ReadReceipts: true, Theme: "dark", Notify: "bell"}},
		{"/receipts off", "Read receipts off", core.Prefs{ReadReceipts: false, Theme: "dark", Notify: "bell"}},
		{"/receipts on", "Read receipts on", core.Prefs{ReadReceipts: true, Theme: "dark", Notify: "bell"}},
		{"/notify loud", "Usage: /notify bell", core.DefaultPrefs()},
		{"/receipts maybe", "Usage: /receipts on", core.DefaultPrefs()},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := threeChatsLocal()
				d := vChatDriver(t, f)
				d.run(tt.line)
				d.wantStatus(tt.status)
				if diff := cmp.Diff(tt.want, f.prefs); diff != "" {
					t.Errorf("stored prefs (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestContactsCommands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.contactList = f.contactList[:2]
		d := vChatDriver(t, f)
		d.run("/contacts")
		d.wantScreen("Contacts (2)")
		d.wantScreen("● directory")
		d.wantScreen("● verified")
		d.run("/contacts please")
		d.wantStatus("Usage: /contacts")
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})

		d.run("/contact add DAVE0003")
		d.wantStatus("Dave (DAVE0003) added to your contacts: named by an administrator")
		d.wantScreen("Contacts (3)")
		d.run("/contact remove dave")
		d.wantStatus("DAVE0003 is no longer in your contacts.")
		d.wantScreen("Contacts (2)")
		d.run("/contact remove ERIN0004")
		d.wantStatus("Not removed: " + core.ErrNotContact.Error())
		d.run("/contact add ZZZZ9999")
		d.wantStatus("Not added: no user ZZZZ9999 on this server")
		d.run("/contact add ALICE001")
		d.wantStatus("/contact: that is your own ID.")
		d.run("/contact befriend BOB00001")
		d.wantStatus("Usage: /contact add <ID>")

		// Enter on the selected contact opens the chat with them.
		d.run("/contacts")
		d.press(tea.KeyDown)
		d.press(tea.KeyEnter)
		if got, want := d.m.open, core.Direct(carol); got != want {
			t.Errorf("open = %v, want %v", got, want)
		}
	})
}

func TestVerifyCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		d := vChatDriver(t, f)
		d.run("/verify")
		d.wantStatus("Usage: /verify <ID>")

		d.run("/verify bob")
		d.wantScreen("Verify Bob Builder · BOB00001")
		d.wantScreen("b0b0 1111 2222 3333")
		d.wantScreen("4444 5555 6666 7777")
		d.wantScreen("● directory")
		d.wantScreen("█") // the QR code
		if got := callsWith(f.takeCalls(), "Verify"); len(got) != 0 {
			t.Errorf("showing the key verified it: %q", got)
		}

		d.run("/verify BOB00001 B0B0 1111 2222 3333 4444 5555 6666 7778")
		d.wantStatus("MISMATCH: Bob Builder's key is NOT the one you were given.")
		d.wantScreen("● directory")

		d.run("/verify BOB00001 b0b0")
		d.wantStatus("/verify: " + core.ErrBadFingerprint.Error())

		d.run("/verify bob b0b011112222333344445555 6666 7777")
		d.wantStatus("✓ Bob Builder is verified")
		d.wantScreen("● verified")

		d.run("/verify ALICE001")
		d.wantScreen("Your key · ALICE001")
		d.wantScreen("0a1b 2c3d 4e5f 6a7b")
		d.run("/verify ALICE001 " + fpAlice)
		d.wantStatus("that is your own key")

		d.run("/verify nobody")
		d.wantStatus(`/verify: "nobody" is not a Parley ID`)
		d.run("/verify ZZZZ9999")
		d.wantStatus("/verify: no user ZZZZ9999 on this server")
	})
}

func TestFindCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		erin := mustID("ERIN0004")
		f.dir = []core.DirectoryEntry{
			{ID: erin, Name: "Erin Müller", Nickname: "erin", Category: "Sales", Tags: []string{"berlin", "oncall"}, Internal: true},
			{ID: bob, Name: "Bob Builder"},
		}
		d := vChatDriver(t, f)
		d.run("/find")
		d.wantStatus("Usage: /find <name>")
		d.run("/find *mül*")
		if got, want := callsWith(f.takeCalls(), "Find"), []string{`Find "*mül*"`}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
		d.wantScreen("Directory: *mül* (2)")
		d.wantScreen("Erin Müller ~erin ERIN0004 ● Sales #berlin #oncall")
		d.press(tea.KeyEnter)
		if got, want := d.m.open, core.Direct(erin); got != want {
			t.Errorf("open = %v, want %v", got, want)
		}

		f.mu.Lock()
		f.findErr = errors.New("the directory is disabled (policy th_disable_work_directory)")
		f.mu.Unlock()
		d.run("/find #oncall")
		d.wantStatus("/find: the directory is disabled")

		// A policy that forbids the directory: refused before asking.
		d.announce(core.Restrictions{Forbidden: map[string]string{core.FeatureWorkDirectory: "your organisation turned the directory off"}})
		f.takeCalls()
		d.run("/find bob")
		d.wantStatus("/find: your organisation turned the directory off.")
		if got := callsWith(f.takeCalls(), "Find"); len(got) != 0 {
			t.Errorf("a forbidden /find reached the core: %q", got)
		}
	})
}

func TestWhoamiCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		f.who = core.WhoamiInfo{
			ID: f.me.ID, Name: "Alice Example", Organisation: "Acme Climbing", PublicKey: crypto.PublicKey{0xab, 0xcd},
			Fingerprint: fpAlice, CreatedAt: at(1, 9, 30), EmailHashes: []string{strings.Repeat("e3", 32)},
			Groups:   []core.WhoamiGroup{{Key: "0011223344556677", Name: "Climbers", Members: 3}},
			Devices:  []core.WhoamiDevice{{Label: "laptop", Fingerprint: "SHA256:abc", Added: at(1, 9, 30), LastUsed: at(15, 8, 0)}},
			Policies: []core.WhoamiPolicy{{Key: "parley_alarm_send", Value: "true", Source: "user"}},
		}
		d := vChatDriver(t, f)
		d.run("/whoami now")
		d.wantStatus("Usage: /whoami")
		d.run("/whoami")
		d.wantScreen("Who am I")
		d.wantScreen("Acme Climbing")
		d.wantScreen(fpAlice)
		// Scroll down to the devices and policies.
		for range 40 {
			d.press(tea.KeyDown)
		}
		d.wantScreen("laptop")
		d.wantScreen("parley_alarm_send = true (user)")
		d.wantScreen("Climbers · group, 3 members")
		d.press(tea.KeyEscape)
		if d.m.loc.pane != paneNone {
			t.Errorf("pane = %d after Esc, want none", d.m.loc.pane)
		}
	})
}

// --- notifications ---

func incoming(from crypto.ID, alarm bool) core.Message {
	return core.Message{Conv: core.Direct(from), From: from, Text: "the secret plan", Time: testNow, Alarm: alarm}
}

func TestNotifications(t *testing.T) {
	const (
		bel   = "\a"
		osc9  = "\x1b]9;Parley: Carol\a"
		osc7  = "\x1b]777;notify;Parley;Carol\a"
		alarm = "\x1b]9;Parley alarm: Carol\a\x1b]777;notify;Parley alarm;Carol\a"
	)
	tests := []struct {
		name  string
		style string
		quiet bool
		in    []core.Message
		want  string
	}{
		{"bell", core.NotifyBell, false, []core.Message{incoming(carol, false)}, bel},
		{"desktop", core.NotifyDesktop, false, []core.Message{incoming(carol, false)}, osc9 + osc7},
		{"both", core.NotifyBoth, false, []core.Message{incoming(carol, false)}, bel + osc9 + osc7},
		{"off", core.NotifyOff, false, []core.Message{incoming(carol, false)}, ""},
		{"quiet bell", core.NotifyBell, true, []core.Message{incoming(carol, false)}, ""},
		{"quiet desktop", core.NotifyDesktop, true, []core.Message{incoming(carol, false)}, ""},
		{"quiet both", core.NotifyBoth, true, []core.Message{incoming(carol, false)}, ""},
		{"alarm in quiet hours", core.NotifyBell, true, []core.Message{incoming(carol, true)}, bel},
		{"alarm desktop in quiet hours", core.NotifyDesktop, true, []core.Message{incoming(carol, true)}, alarm},
		{"alarm with notifications off", core.NotifyOff, true, []core.Message{incoming(carol, true)}, bel},
		{"open conversation", core.NotifyBoth, false, []core.Message{incoming(bob, false)}, ""},
		{"alarm in the open conversation", core.NotifyBell, false, []core.Message{incoming(bob, true)}, bel},
		{"several senders", core.NotifyDesktop, false, []core.Message{incoming(carol, false), incoming(dave, false), incoming(carol, false)},
			"\x1b]9;Parley: Carol and 1 more\a\x1b]777;notify;Parley;Carol and 1 more\a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := threeChatsLocal()
				f.prefs.Notify = tt.style
				d := vChatDriver(t, f)
				d.run("/open bob")
				d.announce(core.Restrictions{Quiet: tt.quiet})
				f.mu.Lock()
				f.syncs = []core.Changes{{Incoming: tt.in}}
				f.mu.Unlock()
				d.raw = nil
				d.send(SyncMsg{})
				got := strings.Join(d.raw, "")
				if got != tt.want {
					t.Errorf("printed %q, want %q", got, tt.want)
				}
				if strings.Contains(got, "secret") {
					t.Errorf("the notification leaks the message text: %q", got)
				}
			})
		})
	}
}

// TestNoNotificationBeforePrefs: until the preferences are read, only
// alarms ring (the user may have turned notifications off).
func TestNoNotificationBeforePrefs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := threeChatsLocal()
		d := vChatDriver(t, f)
		d.m.loc.prefsRead = false
		if cmd := d.m.alert([]core.Message{incoming(carol, false)}); cmd != nil {
			t.Errorf("a notification before the preferences were read")
		}
		if cmd := d.m.alert([]core.Message{incoming(carol, true)}); cmd == nil {
			t.Errorf("no alarm before the preferences were read")
		}
	})
}

// TestNotificationSanitized: a name chosen by another user cannot inject
// escape sequences or OSC fields, and is cut short.
func TestNotificationSanitized(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		evil := mustID("EVIL0666")
		base := threeChats()
		base.addConv(core.Conversation{Ref: core.Direct(evil), Name: "Eve\x1b]52;c;cm0gLXJmIH4=\a;x\u202e\x9c" + strings.Repeat("n", 80), LastAt: at(15, 11, 0)})
		f := newVFake(base)
		f.prefs.Notify = core.NotifyDesktop
		d := vChatDriver(t, f)
		d.announce(core.Restrictions{})
		f.mu.Lock()
		f.syncs = []core.Changes{{Incoming: []core.Message{incoming(evil, false)}}}
		f.mu.Unlock()
		d.raw = nil
		d.send(SyncMsg{})
		got := strings.Join(d.raw, "")
		name := "Eve]52,c,cm0gLXJmIH4=,x" + strings.Repeat("n", maxNotifyName-23) + "…"
		want := "\x1b]9;Parley: " + name + "\a\x1b]777;notify;Parley;" + name + "\a"
		if got != want {
			t.Errorf("printed %q, want %q", got, want)
		}
	})
}

func TestNotifyText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ann Example", "Ann Example"},
		{"  Ann \t\n Example  ", "Ann Example"},
		{"a;b;c", "a,b,c"},
		{"\x1b\a\x07\x9c\u0085", "someone"},
		{"", "someone"},
		{"Zoë \u202eevil", "Zoë evil"},
		{strings.Repeat("x", maxNotifyName), strings.Repeat("x", maxNotifyName)},
		{strings.Repeat("x", maxNotifyName+1), strings.Repeat("x", maxNotifyName) + "…"},
	}
	for _, tt := range tests {
		if got := notifyText(tt.in); got != tt.want {
			t.Errorf("notifyText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNotifyText(f *testing.F) {
	for _, s := range []string{"Ann", "a;b", "\x1b]0;x\a", "\u202e", "\xff\xfe", strings.Repeat("é", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := notifyText(s)
		if got == "" || strings.ContainsAny(got, ";\x1b\a\u009c") {
			t.Fatalf("notifyText(%q) = %q", s, got)
		}
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r) || r == 0xFFFD {
				t.Fatalf("notifyText(%q) = %q holds %U", s, got, r)
			}
		}
		if n := len([]rune(got)); n > maxNotifyName+1 {
			t.Fatalf("notifyText(%q) has %d characters", s, n)
		}
	})
}

// FuzzLocalCommand: no command line crashes the model or leaves more than
// one status line, and none leaves the composer masked.
func FuzzLocalCommand(f *testing.F) {
	for _, s := range []string{"/search ping", "/verify bob 1234", "/contact add \x1b[2J", "/pin off", "/hidden 12",
		"/theme light", "/notify both", "/receipts off", "/find *a*", "/whoami", "/hide carol", "/unhide ~", "/contact remove"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		synctest.Test(t, func(t *testing.T) {
			d := vChatDriver(t, threeChatsLocal())
			d.run(line)
			d.press(tea.KeyEscape)
			if d.m.loc.ask != askNone {
				d.press(tea.KeyEscape)
			}
			if strings.Contains(d.statusText(), "\n") {
				t.Fatalf("status spans lines after %q", line)
			}
			if d.m.input.EchoMode != 0 {
				t.Fatalf("composer left masked after %q", line)
			}
		})
	})
}

func TestMoreCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := vChatDriver(t, threeChatsLocal())
		d.announce(core.Restrictions{Forbidden: map[string]string{core.FeatureWorkDirectory: "your organisation turned the directory off"}})
		d.run("/more")
		for _, c := range localCommands() {
			d.wantScreen(c.line())
		}
		d.wantScreen("not available: your organisation turned the directory")
		d.wantScreen("Now: theme dark, notifications bell, read receipts on.")
		d.press(tea.KeyEscape)
		d.wantNotScreen("More commands")
	})
}

func TestSnippet(t *testing.T) {
	m := &Model{th: theme.Default()}
	tests := []struct {
		text, query string
		w           int
		want        string
	}{
		{"short warm up", "warm", 30, "short warm up"},
		{"No problem, I'll warm up.", "WARM UP", 21, "…oblem, I'll warm up."},
		{"Shall we warm up together before the session?", "warm up", 21, "…ll we warm up toget…"},
		{"no match here at all, a long line of text", "zebra", 10, "no match …"},
		{"見積もりを送ります", "送", 8, "…を送り…"},
		{"abc", "abcdef", 10, "abc"},
		{"warm up", "warm up", 4, "war…"},
	}
	for _, tt := range tests {
		got := ansi.Strip(m.snippet(tt.text, tt.query, tt.w))
		if got != tt.want {
			t.Errorf("snippet(%q, %q, %d) = %q, want %q", tt.text, tt.query, tt.w, got, tt.want)
		}
		if ansi.StringWidth(got) > tt.w {
			t.Errorf("snippet(%q, %q, %d) is %d cells wide", tt.text, tt.query, tt.w, ansi.StringWidth(got))
		}
	}
}

func FuzzSnippet(f *testing.F) {
	f.Add("No problem, I'll warm up.", "warm", 21)
	f.Add("見積もりを送ります", "送", 3)
	f.Add("İstanbul", "i̇", 5)
	f.Fuzz(func(t *testing.T, text, query string, w int) {
		w = w%200 + 1
		if w < 1 {
			w = -w + 1
		}
		m := &Model{th: theme.Default()}
		text, query = cleanLine(text), cleanLine(query)
		got := ansi.Strip(m.snippet(text, query, w))
		if n := ansi.StringWidth(got); n > w {
			t.Fatalf("snippet(%q, %q, %d) = %q: %d cells", text, query, w, got, n)
		}
	})
}

// TestPaneGivesWay: opening a conversation or the help replaces a local
// pane; Esc closes the help first, then the pane.
func TestPaneGivesWay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := vChatDriver(t, threeChatsLocal())
		d.run("/contacts")
		d.run("/open dave")
		if d.m.loc.pane != paneNone || d.m.open != core.Direct(dave) {
			t.Errorf("after /open: pane %d, open %v; want no pane, Dave open", d.m.loc.pane, d.m.open)
		}
		d.run("/contacts")
		d.press('n', tea.ModCtrl)
		if d.m.loc.pane != paneNone {
			t.Errorf("after Ctrl+N: pane %d, want none", d.m.loc.pane)
		}
		d.run("/contacts")
		d.run("/help")
		d.wantScreen("Commands")
		d.press(tea.KeyEscape)
		d.wantScreen("Contacts (3)")
		d.press(tea.KeyEscape)
		d.wantNotScreen("Contacts (3)")
	})
}
