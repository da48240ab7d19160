package chat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// --- a fake core with the features beside the conversation ---

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

// TestOpenAndMsgFindNamesInTheDirectory (issue 17, item 10): a name no
// chat has is looked up in the directory: one match opens (and /msg
// sends), several show the list to pick from with the line back in the
// composer, none says so.
func TestOpenAndMsgFindNamesInTheDirectory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		erin := mustID("ERINERIN")
		f := newVFake(threeChats())
		f.dir = []core.DirectoryEntry{{ID: erin, Name: "Erin Example", Internal: true}}
		f.contacts[erin] = core.Contact{ID: erin, Name: "Erin Example", Internal: true}
		d := vChatDriver(t, f)
		d.enter(`/msg "Erin Example" hello Erin`)
		if got := strings.Join(callsWith(d.svc.takeCalls(), "Find", "Send"), "; "); !strings.Contains(got, `Find "Erin Example"`) || !strings.Contains(got, "Send") {
			t.Fatalf("calls after /msg to a directory name: %s", got)
		}
		f.dir = []core.DirectoryEntry{{ID: mustID("FINNFIN1"), Name: "Finn Other"}, {ID: mustID("FINNFIN2"), Name: "Finn Other"}}
		d.enter(`/open "Finn Other"`)
		d.wantScreen("2 people match")
		if got := d.m.input.Value(); got != `/open "Finn Other"` {
			t.Errorf("composer = %q, want the line back to edit", got)
		}
		f.dir = nil
		d.press(tea.KeyEscape)
		d.m.input.Reset()
		d.enter("/open Nobody")
		if s := d.statusText(); !strings.Contains(s, "nobody in the directory") {
			t.Errorf("status = %q", s)
		}
	})
}
