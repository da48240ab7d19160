package chat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/theme"
)

// --- a fake core ---

// fakeService is an in-memory Service. Every call is recorded in calls as
// a short string, so tests can compare what the UI asked for.
type fakeService struct {
	me core.Identity

	mu       sync.Mutex // guards the fields below
	calls    []string
	convs    []core.Conversation
	msgs     map[crypto.ID][]core.Message // oldest first
	contacts map[crypto.ID]core.Contact

	unlockErrs []error // returned by successive Unlock calls; nil when used up
	startErr   error
	syncs      []core.Changes // returned by successive Sync calls
	syncErr    error
	loadErr    error
	olderErr   error // returned by Messages for older pages (a cursor given)
	sendErr    error
	sent       int      // messages Send stored
	passes     []string // passphrases Unlock was given
	notify     func()

	restr       core.Restrictions // returned by Settings
	settingsErr error
	nickErr     error // returned by SetNickname
	quietErr    error // returned by SetQuietHours and ClearQuietHours
}

var _ Service = (*fakeService)(nil)

func newFakeService() *fakeService {
	return &fakeService{
		me:       core.Identity{ID: mustID("ALICE001"), Name: "Alice Example"},
		msgs:     map[crypto.ID][]core.Message{},
		contacts: map[crypto.ID]core.Contact{},
	}
}

func (f *fakeService) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// takeCalls returns the calls recorded so far and forgets them.
func (f *fakeService) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// countCalls counts recorded calls that start with prefix.
func (f *fakeService) countCalls(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// addConv adds a conversation (and a contact) with the given messages.
func (f *fakeService) addConv(c core.Conversation, msgs ...core.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.convs = append(f.convs, c)
	f.contacts[c.Ref.Peer] = core.Contact{ID: c.Ref.Peer, Name: c.Name}
	for i := range msgs {
		msgs[i].Conv = c.Ref
	}
	f.msgs[c.Ref.Peer] = append(f.msgs[c.Ref.Peer], msgs...)
}

func (f *fakeService) Me() core.Identity { return f.me }

func (f *fakeService) Unlock(_ context.Context, pass []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Unlock")
	f.passes = append(f.passes, string(pass))
	if len(f.unlockErrs) == 0 {
		return nil
	}
	err := f.unlockErrs[0]
	f.unlockErrs = f.unlockErrs[1:]
	return err
}

func (f *fakeService) Start(_ context.Context, notify func()) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Start")
	f.notify = notify
	return f.startErr
}

func (f *fakeService) Sync(context.Context) (core.Changes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Sync")
	if f.syncErr != nil {
		return core.Changes{}, f.syncErr
	}
	if len(f.syncs) == 0 {
		return core.Changes{}, nil
	}
	ch := f.syncs[0]
	f.syncs = f.syncs[1:]
	return ch, nil
}

func (f *fakeService) Conversations(context.Context) ([]core.Conversation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Conversations")
	if f.loadErr != nil {
		return nil, f.loadErr
	}
	out := slices.Clone(f.convs)
	slices.SortStableFunc(out, core.CompareConversations) // as the core lists them
	return out, nil
}

func (f *fakeService) Messages(_ context.Context, ref core.ConvRef, before []byte, limit int) (core.Page, error) {
	peer := ref.Peer
	f.mu.Lock()
	defer f.mu.Unlock()
	all := f.msgs[peer]
	end := len(all)
	if before != nil {
		end = int(binary.BigEndian.Uint32(before))
		f.record("Messages %s before %d", peer, end)
		if f.olderErr != nil {
			return core.Page{}, f.olderErr
		}
	} else {
		f.record("Messages %s", peer)
	}
	start := max(0, end-limit)
	page := core.Page{Messages: slices.Clone(all[start:end])}
	if start > 0 {
		page.Older = binary.BigEndian.AppendUint32(nil, uint32(start))
	}
	return page, nil
}

func (f *fakeService) Send(_ context.Context, ref core.ConvRef, text string) (core.Message, error) {
	peer := ref.Peer
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Send %s %q", peer, text)
	if f.sendErr != nil {
		return core.Message{}, f.sendErr
	}
	// As the core does: a fresh ID, a time after the conversation's
	// newest, the conversation's summary updated.
	f.sent++
	at := testNow.Add(time.Duration(f.sent) * time.Millisecond)
	if n := len(f.msgs[peer]); n > 0 && !at.After(f.msgs[peer][n-1].Time) {
		at = f.msgs[peer][n-1].Time.Add(time.Millisecond)
	}
	m := core.Message{Conv: core.Direct(peer), Outgoing: true, Time: at, Text: text, State: core.StateSent}
	binary.BigEndian.PutUint32(m.ID[:], uint32(f.sent))
	f.msgs[peer] = append(f.msgs[peer], m)
	if i := slices.IndexFunc(f.convs, func(c core.Conversation) bool { return c.Ref.Peer == peer }); i < 0 {
		f.convs = append(f.convs, core.Conversation{Ref: core.Direct(peer), Name: f.contacts[peer].Name, LastAt: at, Preview: core.OutgoingPreview(&m)})
	} else {
		f.convs[i].LastAt, f.convs[i].Preview = at, core.OutgoingPreview(&m)
	}
	return m, nil
}

func (f *fakeService) MarkRead(_ context.Context, ref core.ConvRef) (bool, error) {
	peer := ref.Peer
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("MarkRead %s", peer)
	for i := range f.convs {
		if f.convs[i].Ref.Peer == peer && f.convs[i].Unread > 0 {
			f.convs[i].Unread = 0
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeService) Contact(_ context.Context, id crypto.ID) (core.Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Contact %s", id)
	if c, ok := f.contacts[id]; ok {
		return c, nil
	}
	return core.Contact{}, fmt.Errorf("no user %s on this server", id)
}

// --- driving the model ---

var (
	testNow = time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
	bob     = mustID("BOB00001")
	carol   = mustID("CAROL002")
	dave    = mustID("DAVE0003")
)

func mustID(s string) crypto.ID {
	id, err := crypto.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// driver runs the model synchronously, the way a Bubble Tea program would:
// it delivers a message, runs the command Update returned and feeds what
// the command produced back in, until nothing is left.
//
// It must be used inside a synctest bubble: a command that blocks on a
// timer (tea.Tick) is recognised because the bubble's clock moved while it
// ran, and its message is kept in delayed instead of being delivered.
type driver struct {
	t       *testing.T
	svc     *fakeService
	m       *Model
	quit    bool      // a tea.QuitMsg came out of a command
	raw     []string  // what tea.Raw commands printed
	delayed []tea.Msg // messages of commands that waited on a timer
}

func newDriver(t *testing.T, svc *fakeService, opts ...func(*Options)) *driver {
	t.Helper()
	o := Options{
		Service:  svc,
		Context:  context.Background(),
		Location: time.UTC,
	}
	for _, f := range opts {
		f(&o)
	}
	d := &driver{t: t, svc: svc, m: New(o)}
	d.update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return d
}

// update delivers msg and returns the command, without running it.
func (d *driver) update(msg tea.Msg) tea.Cmd {
	d.t.Helper()
	next, cmd := d.m.Update(msg)
	m, ok := next.(*Model)
	if !ok {
		d.t.Fatalf("Update returned %T, want *Model", next)
	}
	d.m = m
	return cmd
}

// exec runs cmd and returns the messages it produced, batches expanded.
// Messages of commands that waited on a timer go to d.delayed.
func (d *driver) exec(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	start := time.Now()
	msg := cmd()
	if time.Since(start) > 0 {
		d.delayed = append(d.delayed, msg)
		return nil
	}
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, d.exec(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// settle runs cmd and every command that follows from it.
func (d *driver) settle(cmd tea.Cmd) {
	d.t.Helper()
	queue := d.exec(cmd)
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 1000 {
			d.t.Fatalf("the model keeps producing messages: %T ...", queue[0])
		}
		msg := queue[0]
		queue = queue[1:]
		switch msg := msg.(type) {
		case tea.QuitMsg:
			d.quit = true
			continue
		case tea.RawMsg:
			d.raw = append(d.raw, fmt.Sprint(msg.Msg))
			continue
		}
		queue = append(queue, d.exec(d.update(msg))...)
	}
}

// send delivers msg and settles what follows.
func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	d.settle(d.update(msg))
}

// fire delivers the messages of timers that went off, and settles.
func (d *driver) fire() {
	d.t.Helper()
	msgs := d.delayed
	d.delayed = nil
	for _, msg := range msgs {
		d.send(msg)
	}
}

// typeText types s into whatever has focus, one key per rune.
func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func (d *driver) press(code rune, mod ...tea.KeyMod) {
	d.t.Helper()
	k := tea.KeyPressMsg{Code: code}
	for _, m := range mod {
		k.Mod |= m
	}
	d.send(k)
}

// enter types line and presses Enter.
func (d *driver) enter(line string) {
	d.t.Helper()
	d.typeText(line)
	d.press(tea.KeyEnter)
}

// unlock takes the model from the passphrase prompt to the chat screen.
func (d *driver) unlock() {
	d.t.Helper()
	d.enter("correct horse")
	if d.m.screen != screenChat {
		d.t.Fatalf("after unlocking, screen = %d, want the chat screen; view:\n%s", d.m.screen, d.plain())
	}
	d.svc.takeCalls()
}

func (d *driver) content() string { return d.m.View().Content }

// plain is the screen without escape sequences.
func (d *driver) plain() string { return ansi.Strip(d.content()) }

// statusText is the status line (the third line from the bottom).
func (d *driver) statusText() string {
	return strings.Join(d.statusRows(), " ")
}

// statusRows are the status lines as shown, trimmed: one, or the lines a
// long message wraps onto.
func (d *driver) statusRows() []string {
	lines := strings.Split(d.plain(), "\n")
	first := 1 + d.m.bodyHeight()
	n := len(d.m.statusText(d.m.statusWidth()))
	out := make([]string, 0, n)
	for _, l := range lines[first : first+n] {
		out = append(out, strings.TrimSpace(l))
	}
	return out
}

// listRow is the row of the conversation list that shows name, its
// spaces collapsed; "" if none does.
func (d *driver) listRow(name string) string {
	lw := d.m.listWidth()
	for _, l := range strings.Split(d.plain(), "\n")[2:] {
		row := strings.Join(strings.Fields(ansi.Truncate(l, lw, "")), " ")
		if strings.Contains(row, name) {
			return row
		}
	}
	return ""
}

func (d *driver) wantCalls(want ...string) {
	d.t.Helper()
	got := d.svc.takeCalls()
	if diff := cmp.Diff(want, got); diff != "" {
		d.t.Errorf("service calls (-want +got):\n%s", diff)
	}
}

// wantRows checks the first and last message rows of the open conversation.
func (d *driver) wantRows(first, last string) {
	d.t.Helper()
	lines := strings.Split(d.plain(), "\n")
	body := lines[2 : len(lines)-3] // below the header and the pane title, above the status
	if got := body[0]; !strings.Contains(got, first) {
		d.t.Errorf("first message row = %q, want %q", got, first)
	}
	if got := body[len(body)-1]; !strings.Contains(got, last) {
		d.t.Errorf("last message row = %q, want %q", got, last)
	}
}

func (d *driver) wantScreen(substr string) {
	d.t.Helper()
	if got := d.plain(); !strings.Contains(got, substr) {
		d.t.Errorf("screen does not show %q:\n%s", substr, got)
	}
}

func (d *driver) wantNotScreen(substr string) {
	d.t.Helper()
	if got := d.plain(); strings.Contains(got, substr) {
		d.t.Errorf("screen shows %q, want it not to:\n%s", substr, got)
	}
}

// --- fixtures ---

func at(day, hour, minute int) time.Time {
	return time.Date(2025, 3, day, hour, minute, 0, 0, time.UTC)
}

func in(t time.Time, text string) core.Message {
	return core.Message{Time: t, Text: text, State: core.StateReceived}
}

func out(t time.Time, text string, s core.State) core.Message {
	return core.Message{Outgoing: true, Time: t, Text: text, State: s}
}

// threeChats is a service with conversations with Bob, Carol and Dave.
func threeChats() *fakeService {
	svc := newFakeService()
	svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob Builder", LastAt: at(15, 11, 0)},
		in(at(15, 10, 0), "hi Alice"),
		out(at(15, 10, 1), "hi Bob", core.StateRead))
	svc.addConv(core.Conversation{Ref: core.Direct(carol), Name: "Carol", LastAt: at(15, 9, 0), Unread: 2},
		in(at(15, 8, 0), "are you there?"),
		in(at(15, 9, 0), "ping"))
	svc.addConv(core.Conversation{Ref: core.Direct(dave), Name: "Dave", LastAt: at(14, 9, 0)},
		in(at(14, 9, 0), "see you tomorrow"))
	return svc
}

// --- unlock ---

func TestUnlockEmptyEnterDoesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDriver(t, newFakeService())
		if cmd := d.update(tea.KeyPressMsg{Code: tea.KeyEnter}); cmd != nil {
			t.Errorf("Enter on an empty passphrase returned a command, want none")
		}
		d.wantCalls()
		if got, want := d.m.lockErr, ""; got != want {
			t.Errorf("lockErr = %q, want %q", got, want)
		}
		d.wantScreen("Enter your passphrase to unlock your messages.")
	})
}

func TestUnlockWrongPassphrase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		wrong := fmt.Errorf("%w", core.ErrWrongPassphrase)
		svc.unlockErrs = []error{wrong, wrong, wrong}
		d := newDriver(t, svc)

		steps := []string{
			"Wrong passphrase. 2 tries left.",
			"Wrong passphrase. 1 try left.",
			"Wrong passphrase. Too many attempts: closing the session.",
		}
		for i, want := range steps {
			d.enter(fmt.Sprintf("guess %d", i+1))
			d.wantScreen(want)
			if d.m.screen != screenLocked {
				t.Fatalf("after wrong passphrase %d, the screen is no longer locked", i+1)
			}
		}
		d.wantCalls("Unlock", "Unlock", "Unlock")
		if diff := cmp.Diff([]string{"guess 1", "guess 2", "guess 3"}, svc.passes); diff != "" {
			t.Errorf("passphrases given to Unlock (-want +got):\n%s", diff)
		}
		// The session ends after a pause that lets the message be read.
		if d.quit {
			t.Fatal("quit at once, want a pause so the message can be read")
		}
		if got, want := len(d.delayed), 1; got != want {
			t.Fatalf("%d timers pending after the last try, want %d", got, want)
		}
		d.fire()
		if !d.quit {
			t.Error("the session did not quit after too many wrong passphrases")
		}
		if got := d.m.Refused(); got != "too many wrong passphrases" {
			t.Errorf("Refused() = %q, want the reason the host reports", got)
		}
	})
}

func TestUnlockThrottledKeepsTries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		wrong := fmt.Errorf("%w", core.ErrWrongPassphrase)
		throttled := errors.New("too many failed unlocks: try again in 30s")
		svc.unlockErrs = []error{wrong, throttled, throttled, wrong}
		d := newDriver(t, svc)

		d.enter("guess 1")
		d.wantScreen("Wrong passphrase. 2 tries left.")
		d.enter("guess 2")
		d.wantScreen("Too many failed unlocks: try again in 30s.")
		d.enter("guess 3")
		d.wantScreen("Too many failed unlocks: try again in 30s.")
		d.enter("guess 4")
		d.wantScreen("Wrong passphrase. 1 try left.")
		if got, want := d.m.tries, 2; got != want {
			t.Errorf("tries used = %d, want %d (throttling must not use up tries)", got, want)
		}
		if d.quit || len(d.delayed) > 0 {
			t.Error("the session is closing, want it to stay at the prompt")
		}
	})
}

func TestUnlockHidesPassphrase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		svc.unlockErrs = []error{core.ErrWrongPassphrase}
		d := newDriver(t, svc)
		const secret = "s3cret-horse"
		d.typeText(secret)
		if d.m.input.Focused() {
			t.Error("the composer is focused while locked")
		}
		if !d.m.pass.Focused() {
			t.Error("the passphrase field is not focused while locked")
		}
		if strings.Contains(d.content(), secret) || strings.Contains(d.content(), "s3cret") {
			t.Errorf("the passphrase is on screen:\n%s", d.plain())
		}
		if got := d.m.View().WindowTitle; strings.Contains(got, secret) {
			t.Errorf("the window title %q holds the passphrase", got)
		}
		// The typed keys did not reach the composer either.
		if got := d.m.input.Value(); got != "" {
			t.Errorf("composer holds %q, want nothing", got)
		}

		// While Unlock runs, the prompt says so and ignores keys.
		cmd := d.update(tea.KeyPressMsg{Code: tea.KeyEnter})
		if cmd == nil {
			t.Fatal("Enter with a passphrase returned no command")
		}
		if got := d.m.pass.Value(); got != "" {
			t.Errorf("the passphrase field still holds %q after Enter", got)
		}
		d.wantScreen("Unlocking…")
		if c := d.m.View().Cursor; c != nil {
			t.Errorf("cursor shown at %v while unlocking, want none", c.Position)
		}
		if cmd := d.update(tea.KeyPressMsg{Code: tea.KeyEnter}); cmd != nil {
			t.Error("a second Enter while unlocking returned a command")
		}
		d.settle(cmd)
		d.wantCalls("Unlock")
		d.wantScreen("Wrong passphrase. 2 tries left.")
		if strings.Contains(d.content(), secret) {
			t.Errorf("the passphrase is on screen after the failure:\n%s", d.plain())
		}
	})
}

func TestUnlockCursorOnPrompt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDriver(t, newFakeService())
		v := d.m.View()
		if v.Cursor == nil {
			t.Fatal("no cursor on the passphrase prompt")
		}
		lines := strings.Split(ansi.Strip(v.Content), "\n")
		y, x := v.Cursor.Y, v.Cursor.X
		if y < 0 || y >= len(lines) {
			t.Fatalf("cursor row %d outside the screen", y)
		}
		row := lines[y]
		const prompt = "Passphrase: "
		i := strings.Index(row, prompt)
		if i < 0 {
			t.Fatalf("cursor row %d is %q, want the passphrase prompt", y, row)
		}
		if got, want := x, ansi.StringWidth(row[:i])+len(prompt); got != want {
			t.Errorf("cursor column = %d, want %d (right after %q)", got, want, prompt)
		}
	})
}

func TestUnlockSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		svc.syncs = []core.Changes{{Reload: true}}
		d := newDriver(t, svc)
		d.typeText("correct horse")
		d.settle(d.update(tea.KeyPressMsg{Code: tea.KeyEnter}))

		if got, want := d.m.screen, screenChat; got != want {
			t.Fatalf("screen = %d, want %d (chat)", got, want)
		}
		// The list loads at once (even if the first sync fails), and again after the sync's reload.
		// The own nickname is read once, for the header.
		d.wantCalls("Unlock", "Start", "Sync", "Conversations", "Settings", "Contact ALICE001", "Conversations")
		if diff := cmp.Diff([]string{"correct horse"}, svc.passes); diff != "" {
			t.Errorf("passphrase given to Unlock (-want +got):\n%s", diff)
		}
		if svc.notify == nil {
			t.Error("Start was not given a notify function")
		}
		if !d.m.input.Focused() {
			t.Error("the composer is not focused after unlocking")
		}
		if d.m.pass != nil {
			t.Errorf("the passphrase field is kept after unlocking (holding %q)", d.m.pass.Value())
		}
		d.wantScreen("Welcome to Parley")
		d.wantScreen("Bob Builder")
		d.wantNotScreen("connecting…")
		if got, want := d.m.View().WindowTitle, "Parley · Alice Example"; got != want {
			t.Errorf("window title = %q, want %q", got, want)
		}
	})
}

func TestUnlockStepByStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDriver(t, newFakeService())
		d.typeText("pw")
		unlock := d.update(tea.KeyPressMsg{Code: tea.KeyEnter})
		msgs := d.exec(unlock)
		if len(msgs) != 1 {
			t.Fatalf("Unlock command produced %d messages, want 1", len(msgs))
		}
		start := d.update(msgs[0])
		// Between Unlock and Start the header says it is connecting.
		d.wantScreen("connecting…")
		d.wantScreen("Connecting…")
		// Live events before Start are ignored: the first Sync after Start catches up.
		if cmd := d.update(SyncMsg{}); cmd != nil {
			t.Error("SyncMsg before Start returned a command")
		}
		msgs = d.exec(start)
		if _, ok := msgs[0].(startedMsg); !ok || len(msgs) != 1 {
			t.Fatalf("Start command produced %#v, want one startedMsg", msgs)
		}
		d.settle(d.update(msgs[0]))
		d.wantCalls("Unlock", "Start", "Sync", "Conversations", "Settings", "Contact ALICE001")
		if got, want := d.m.screen, screenChat; got != want {
			t.Errorf("screen = %d, want %d (chat)", got, want)
		}
	})
}

func TestStartFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		svc.startErr = errors.New("relay unreachable")
		d := newDriver(t, svc)
		d.enter("pw")
		d.wantScreen("Could not connect: relay unreachable")
		d.wantCalls("Unlock", "Start")
		d.fire()
		if !d.quit {
			t.Error("the session did not end after Start failed")
		}
	})
}

func TestUnlockTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDriver(t, newFakeService(), func(o *Options) { o.UnlockTimeout = time.Minute })
		begin := time.Now()
		d.settle(d.m.Init())
		if got, want := len(d.delayed), 1; got != want {
			t.Fatalf("Init started %d timers, want %d", got, want)
		}
		if got, want := time.Since(begin), time.Minute; got != want {
			t.Errorf("the timeout fired after %v, want %v", got, want)
		}
		d.fire()
		d.wantScreen("Timed out waiting for the passphrase.")
		d.fire()
		if !d.quit {
			t.Error("the session did not end after the unlock timeout")
		}
	})
}

func TestUnlockTimeoutIgnoredOnceUnlocked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newDriver(t, threeChats())
		timeout := d.m.Init()
		d.unlock()
		d.settle(timeout)
		d.fire()
		if d.quit || len(d.delayed) > 0 {
			t.Error("the unlock timeout ended an unlocked session")
		}
		d.wantNotScreen("Timed out")
	})
}

func TestCtrlCQuits(t *testing.T) {
	for _, unlocked := range []bool{false, true} {
		t.Run(fmt.Sprintf("unlocked=%v", unlocked), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := newDriver(t, threeChats())
				if unlocked {
					d.unlock()
				}
				d.press('c', tea.ModCtrl)
				if !d.quit {
					t.Error("ctrl+c did not quit")
				}
			})
		})
	}
}

// --- chat: commands ---

// chatDriver returns a driver past the passphrase prompt, conversations loaded.
func chatDriver(t *testing.T, svc *fakeService, opts ...func(*Options)) *driver {
	t.Helper()
	svc.syncs = append([]core.Changes{{Reload: true}}, svc.syncs...)
	d := newDriver(t, svc, opts...)
	d.unlock()
	return d
}

// opened lists the calls of /msg: the lookup, loading the conversation
// it opens and sending (the sent message goes on screen as Send returned
// it, without a reading).
func opened(id, quoted string) []string {
	return []string{"Contact " + id, "Conversations", "Messages " + id, "Send " + id + " " + quoted}
}

func TestMsgCommand(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []string
	}{
		{"by ID", "/msg BOB00001 hello there", opened("BOB00001", `"hello there"`)},
		{"lower-case ID", "/msg bob00001 hi", opened("BOB00001", `"hi"`)},
		{"short form", "/m BOB00001 hi", opened("BOB00001", `"hi"`)},
		{"by name with unread messages", "/msg carol  see   you ", []string{"Contact CAROL002",
			"Conversations", "Messages CAROL002", `Send CAROL002 "see   you"`, "MarkRead CAROL002"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.enter(tc.line)
				d.wantCalls(tc.want...)
				if got := d.m.input.Value(); got != "" {
					t.Errorf("composer holds %q after /msg, want it cleared", got)
				}
				if got := d.statusText(); strings.Trim(got, "─") != "" {
					t.Errorf("status line = %q, want none", got)
				}
			})
		})
	}
}

func TestMsgOpensNewConversation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		erin := mustID("ERIN0004")
		svc.contacts[erin] = core.Contact{ID: erin, Name: "Erin"}
		d := chatDriver(t, svc)
		d.enter("/msg ERIN0004 hello Erin")
		// A conversation not listed yet: the list and the page are read
		// again after the send.
		d.wantCalls(append(opened("ERIN0004", `"hello Erin"`), "Conversations", "Messages ERIN0004")...)
		if got, want := d.m.open.Peer, erin; got != want {
			t.Errorf("open conversation = %s, want %s", got, want)
		}
		d.wantScreen("Erin · ERIN0004")
		d.wantScreen("hello Erin")
	})
}

func TestMsgUsage(t *testing.T) {
	for _, line := range []string{"/msg", "/msg BOB00001", "/msg BOB00001   "} {
		t.Run(line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.enter(line)
				d.wantCalls()
				if got, want := d.statusText(), "Usage: /msg <ID|name> <text>"; got != want {
					t.Errorf("status = %q, want %q", got, want)
				}
				if got, want := d.m.input.Value(), line; got != want {
					t.Errorf("composer = %q, want %q kept", got, want)
				}
			})
		})
	}
}

func TestOpenUnknownID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/open ZZZZ9999")
		d.wantCalls("Contact ZZZZ9999")
		if got, want := d.statusText(), "no user ZZZZ9999 on this server"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
		if !d.m.open.IsZero() {
			t.Errorf("a conversation (%s) is open, want none", d.m.open)
		}
		d.wantScreen("Welcome to Parley")
	})
}

func TestOpenByName(t *testing.T) {
	tests := []struct {
		arg  string
		want crypto.ID
	}{
		{"Bob Builder", bob},
		{"bob builder", bob},
		{"Bo", bob},
		{"CAR", carol},
		{"dave0003", dave},
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.enter("/open " + tc.arg)
				if got := d.m.open.Peer; got != tc.want {
					t.Errorf("/open %s opened %q, want %s", tc.arg, got, tc.want)
				}
				if got := d.m.input.Value(); got != "" {
					t.Errorf("composer holds %q, want it cleared", got)
				}
				d.wantScreen(tc.want.String())
			})
		})
	}
}

func TestOpenErrors(t *testing.T) {
	svc := func() *fakeService {
		svc := threeChats()
		svc.addConv(core.Conversation{Ref: core.Direct(mustID("DANA0005")), Name: "Dana", LastAt: at(1, 0, 0)})
		return svc
	}
	tests := []struct {
		line string
		want string
	}{
		{"/open", "Usage: /open <ID|name>"},
		{"/open   ", "Usage: /open <ID|name>"},
		{"/open Da", `"Da" matches 2 chats: type more of the name, or the ID`},
		{"/open Zed", `"Zed" is not a Parley ID (8 characters A-Z, 0-9) nor a name in your chats`},
		{"/msg Da hello", `"Da" matches 2 chats: type more of the name, or the ID`},
		{"/open Bob\u202e", `"Bob" is not a Parley ID (8 characters A-Z, 0-9) nor a name in your chats`},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, svc())
				d.m.input.SetValue(tc.line)
				d.press(tea.KeyEnter)
				d.wantCalls()
				if got := d.statusText(); got != tc.want {
					t.Errorf("status = %q, want %q", got, tc.want)
				}
				if got := d.m.input.Value(); got != tc.line {
					t.Errorf("composer = %q, want %q kept to fix", got, tc.line)
				}
			})
		})
	}
}

func TestResolve(t *testing.T) {
	m := &Model{convs: []core.Conversation{
		{Ref: core.Direct(bob), Name: "Bob"},
		{Ref: core.Direct(mustID("BOBBY006")), Name: "Bobby"},
		{Ref: core.Direct(carol), Name: "Carol Danvers"},
		{Ref: core.Direct(dave)}, // no name: reachable by ID only
	}}
	tests := []struct {
		in      string
		want    crypto.ID
		wantErr string
	}{
		{in: "BOB00001", want: bob},
		{in: " bob00001 ", want: bob},
		{in: "bob", want: bob}, // exact beats the prefix of "Bobby"
		{in: "bobb", want: mustID("BOBBY006")},
		{in: "carol d", want: carol},
		{in: "DAVE0003", want: dave},
		{in: "bo", wantErr: "matches 2 chats"},
		{in: "dave", wantErr: "is not a Parley ID"},
		{in: "bobx", wantErr: "is not a Parley ID"},
	}
	for _, tc := range tests {
		got, err := m.resolve(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("resolve(%q) = %s, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Peer != tc.want {
			t.Errorf("resolve(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestHelpCommand(t *testing.T) {
	for _, line := range []string{"/help", "/?", "/HELP"} {
		t.Run(line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.enter(line)
				d.wantCalls()
				for _, c := range commands() {
					d.wantScreen(c.line()[:23]) // the syntax column
				}
				d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
				for _, c := range commands() {
					d.wantScreen(c.line())
				}
				if got := d.m.input.Value(); got != "" {
					t.Errorf("composer holds %q, want it cleared", got)
				}
				d.press(tea.KeyEscape)
				d.wantNotScreen(commands()[0].line())
				d.wantScreen("Welcome to Parley")
			})
		})
	}
}

func TestQuitCommand(t *testing.T) {
	for _, line := range []string{"/quit", "/exit"} {
		t.Run(line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.enter(line)
				if !d.quit {
					t.Errorf("%s did not quit", line)
				}
			})
		})
	}
}

func TestUnknownCommandKeepsInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/mgs BOB00001 hi")
		d.wantCalls()
		if got, want := d.statusText(), "Unknown command /mgs: /help lists the commands."; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
		if got, want := d.m.input.Value(), "/mgs BOB00001 hi"; got != want {
			t.Errorf("composer = %q, want %q kept so it can be fixed", got, want)
		}
		// Fixing the typo and sending works, and clears the error.
		d.press(tea.KeyHome)
		d.press(tea.KeyRight)
		d.press(tea.KeyRight)
		d.press(tea.KeyDelete)
		d.press(tea.KeyDelete)
		d.typeText("sg")
		if got, want := d.m.input.Value(), "/msg BOB00001 hi"; got != want {
			t.Fatalf("composer = %q after editing, want %q", got, want)
		}
		d.press(tea.KeyEnter)
		d.wantCalls(opened("BOB00001", `"hi"`)...)
		d.wantNotScreen("Unknown command")
	})
}

func TestSendWithoutConversation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("hello?")
		d.wantCalls()
		if got, want := d.statusText(), "No conversation open: use /open <ID> or /msg <ID> <text>."; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
		if got, want := d.m.input.Value(), "hello?"; got != want {
			t.Errorf("composer = %q, want %q kept", got, want)
		}
	})
}

func TestSend(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		{"hello", "hello"},
		{"  padded  ", "padded"},
		{"//text", "/text"},
		{"//help me", "/help me"},
		{"/", ""}, // not a message: an unknown command
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.enter("/open Bob")
				d.svc.takeCalls()
				d.enter(tc.line)
				if tc.want == "" {
					d.wantCalls()
					return
				}
				// What Send stored goes on screen as it returned it: no
				// reading of the list and the page again.
				d.wantCalls(fmt.Sprintf("Send BOB00001 %q", tc.want))
				if got := d.m.input.Value(); got != "" {
					t.Errorf("composer holds %q after sending, want it cleared", got)
				}
				d.wantScreen(tc.want + " ✓ sent")
			})
		})
	}
}

// TestSentMessageInPlace: a message sent goes at the end of the open
// conversation and its chat to the top of the list without reading them
// again, and what the screen holds then is what a reading gives.
func TestSentMessageInPlace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		d.enter("/open Dave")
		d.svc.takeCalls()
		d.enter("lunch at noon?")
		d.wantCalls(`Send DAVE0003 "lunch at noon?"`)
		d.wantScreen("lunch at noon? ✓ sent")
		var order []string
		for _, c := range d.m.convs {
			order = append(order, c.Name)
		}
		if want := []string{"Dave", "Bob Builder", "Carol"}; !slices.Equal(order, want) {
			t.Errorf("chat list = %v after sending to Dave, want %v", order, want)
		}
		applied := struct {
			convs []core.Conversation
			msgs  []core.Message
			rows  string
		}{slices.Clone(d.m.convs), slices.Clone(d.m.msgs), d.plain()}

		// A reading now finds the same.
		svc.syncs = append(svc.syncs, core.Changes{Reload: true})
		d.send(SyncMsg{})
		d.wantCalls("Sync", "Conversations", "Messages DAVE0003")
		if diff := cmp.Diff(applied.convs, d.m.convs); diff != "" {
			t.Errorf("conversations as applied differ from a reading (-applied +read):\n%s", diff)
		}
		if diff := cmp.Diff(applied.msgs, d.m.msgs); diff != "" {
			t.Errorf("messages as applied differ from a reading (-applied +read):\n%s", diff)
		}
		if got := d.plain(); got != applied.rows {
			t.Errorf("screen after a reading:\n%s\nwant as applied:\n%s", got, applied.rows)
		}
	})
}

// idMsg gives m the ID n, as the core gives every message one.
func idMsg(m core.Message, n uint32) core.Message {
	binary.BigEndian.PutUint32(m.ID[:], n)
	return m
}

// TestSyncedMessagesInPlace: what a sync wrote (a new incoming message, a
// receipt that moved an outgoing one on) goes in place in the open
// conversation; only the list is read again, and the screen then is what
// a full reading shows.
func TestSyncedMessagesInPlace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		sent := idMsg(out(at(15, 10, 1), "lunch?", core.StateSent), 2)
		svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob Builder", LastAt: at(15, 10, 1)},
			idMsg(in(at(15, 10, 0), "hi Alice"), 1), sent)
		svc.addConv(core.Conversation{Ref: core.Direct(carol), Name: "Carol", LastAt: at(15, 10, 30)},
			idMsg(in(at(15, 10, 30), "ping"), 3))
		d := chatDriver(t, svc)
		d.enter("/open Bob")
		d.svc.takeCalls()

		// Bob read "lunch?" and answered; Carol wrote too (not open).
		read := sent
		read.Conv, read.State = core.Direct(bob), core.StateRead
		answer := idMsg(in(at(15, 10, 2), "yes, at noon"), 4)
		answer.Conv = core.Direct(bob)
		other := idMsg(in(at(15, 10, 3), "still there?"), 5)
		other.Conv = core.Direct(carol)
		svc.mu.Lock()
		svc.msgs[bob] = []core.Message{svc.msgs[bob][0], read, answer}
		svc.msgs[carol] = append(svc.msgs[carol], other)
		svc.convs[0].LastAt, svc.convs[0].Preview = answer.Time, "yes, at noon"
		svc.convs[1].LastAt, svc.convs[1].Unread = other.Time, 1
		svc.syncs = append(svc.syncs, core.Changes{Updated: []core.Message{read, answer, other}})
		svc.mu.Unlock()
		d.send(SyncMsg{})
		d.wantCalls("Sync", "Conversations")
		d.wantScreen("lunch? ✓✓ read")
		d.wantScreen("yes, at noon")
		applied := struct {
			msgs   []core.Message
			screen string
		}{slices.Clone(d.m.msgs), d.plain()}

		svc.syncs = append(svc.syncs, core.Changes{Reload: true})
		d.send(SyncMsg{})
		d.wantCalls("Sync", "Conversations", "Messages BOB00001")
		if diff := cmp.Diff(applied.msgs, d.m.msgs); diff != "" {
			t.Errorf("messages as applied differ from a reading (-applied +read):\n%s", diff)
		}
		if got := d.plain(); got != applied.screen {
			t.Errorf("screen after a reading:\n%s\nwant as applied:\n%s", got, applied.screen)
		}
	})
}

// TestSyncedWhileReadingReadsAgain: records that land while a reading is
// under way are not patched into what that reading will replace: one more
// full reading follows.
func TestSyncedWhileReadingReadsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		d.enter("/open Bob")
		d.svc.takeCalls()
		d.m.reloading = true
		msg := idMsg(in(at(15, 11, 30), "news"), 9)
		msg.Conv = core.Direct(bob)
		d.update(syncedMsg{ch: core.Changes{Updated: []core.Message{msg}}})
		if !d.m.reloadAgain {
			t.Errorf("records landing during a reading did not ask for another full one")
		}
		if slices.ContainsFunc(d.m.msgs, func(x core.Message) bool { return x.Text == "news" }) {
			t.Errorf("the record was patched in although a reading under way replaces the page")
		}
	})
}

// TestSentWhileReadingReadsAgain: a reading under way when a send lands
// may predate it: one more reading follows instead of the message being
// put in place.
func TestSentWhileReadingReadsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/open Dave")
		d.svc.takeCalls()
		d.m.reloading = true // a reading under way
		d.enter("lunch?")
		if !d.m.reloadAgain {
			t.Errorf("a send landing during a reading did not ask for another")
		}
	})
}

func TestSendFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		d.enter("/open Bob")
		svc.sendErr = errors.New("relay refused it")
		d.enter("hello")
		if got, want := d.statusText(), "Not sent: relay refused it (/retry sends it again)"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
	})
}

func TestSendTooLong(t *testing.T) {
	long := strings.Repeat("é", crypto.MaxTextLen/2+1) // fits the composer in runes, not the limit in bytes
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"message", long, fmt.Sprintf("Message too long: %d bytes, the limit is %d.", len(long), crypto.MaxTextLen)},
		{"/msg", "/msg BOB00001 " + long, fmt.Sprintf("Message too long: %d bytes, the limit is %d.", len(long), crypto.MaxTextLen)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.enter("/open Bob")
				d.svc.takeCalls()
				// A paste that large is refused outright...
				d.send(tea.PasteMsg{Content: tc.input})
				if got := d.m.input.Value(); got != "" {
					t.Fatalf("composer took %d bytes of a refused paste", len(got))
				}
				if got := d.m.status; !strings.HasPrefix(got, "Paste refused") {
					t.Fatalf("status after the paste = %q", got)
				}
				// ...and typed text over the limit is refused on Enter.
				d.m.input.SetValue(tc.input)
				d.press(tea.KeyEnter)
				d.wantCalls()
				if got := d.statusText(); !strings.HasPrefix(tc.want, strings.TrimSuffix(got, "…")) {
					t.Errorf("status = %q, want %q", got, tc.want)
				}
				if got := d.m.status; got != tc.want {
					t.Errorf("status = %q, want %q", got, tc.want)
				}
				if got, want := d.m.input.Value(), tc.input; got != want {
					t.Errorf("composer lost the refused message (%d bytes, want %d)", len(got), len(want))
				}
			})
		})
	}
}

func TestSendAtLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/open Bob")
		d.svc.takeCalls()
		text := strings.Repeat("x", crypto.MaxTextLen)
		d.send(tea.PasteMsg{Content: text})
		d.press(tea.KeyEnter)
		if got, want := d.svc.countCalls("Send BOB00001"), 1; got != want {
			t.Errorf("%d sends of a message of exactly %d bytes, want %d", got, crypto.MaxTextLen, want)
		}
	})
}

func TestEnterOnBlankInput(t *testing.T) {
	for _, line := range []string{"", " ", "   \t "} {
		t.Run(fmt.Sprintf("%q", line), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.enter("/open Bob")
				d.svc.takeCalls()
				d.send(tea.PasteMsg{Content: line})
				before := d.m.status
				if cmd := d.update(tea.KeyPressMsg{Code: tea.KeyEnter}); cmd != nil {
					t.Error("Enter on blank input returned a command")
				}
				d.wantCalls()
				if got := d.m.status; got != before {
					t.Errorf("status = %q, want %q unchanged", got, before)
				}
			})
		})
	}
}

// --- live updates ---

func TestSyncCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		first := d.update(SyncMsg{})
		if first == nil {
			t.Fatal("SyncMsg returned no command")
		}
		for range 3 {
			if cmd := d.update(SyncMsg{}); cmd != nil {
				t.Fatal("SyncMsg while a sync runs returned a command, want it queued")
			}
		}
		d.settle(first)
		d.wantCalls("Sync", "Sync")
		if d.m.syncing || d.m.syncPending {
			t.Errorf("syncing = %v, pending = %v after settling, want both false", d.m.syncing, d.m.syncPending)
		}
		// And the next SyncMsg syncs again.
		d.send(SyncMsg{})
		d.wantCalls("Sync")
	})
}

func TestSyncBell(t *testing.T) {
	tests := []struct {
		name     string
		open     string
		incoming []crypto.ID
		bell     bool
	}{
		{name: "nothing new"},
		{name: "no conversation open", incoming: []crypto.ID{bob}, bell: true},
		{name: "from the open conversation", open: "Bob", incoming: []crypto.ID{bob}},
		{name: "from another conversation", open: "Bob", incoming: []crypto.ID{carol}, bell: true},
		{name: "one bell for many", open: "Bob", incoming: []crypto.ID{bob, carol, dave}, bell: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				if tc.open != "" {
					d.enter("/open " + tc.open)
				}
				var ch core.Changes
				for _, p := range tc.incoming {
					ch.Incoming = append(ch.Incoming, core.Message{Conv: core.Direct(p), Text: "new"})
				}
				d.svc.syncs = []core.Changes{ch}
				d.raw = nil
				d.send(SyncMsg{})
				var want []string
				if tc.bell {
					want = []string{"\a"}
				}
				if diff := cmp.Diff(want, d.raw); diff != "" {
					t.Errorf("printed (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestSyncReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		d.enter("/open Bob")
		svc.takeCalls()

		svc.mu.Lock()
		svc.msgs[bob] = append(svc.msgs[bob], core.Message{Conv: core.Direct(bob), Time: at(15, 11, 30), Text: "news from Bob", State: core.StateReceived})
		svc.convs = append(svc.convs, core.Conversation{Ref: core.Direct(mustID("ERIN0004")), Name: "Erin", LastAt: at(15, 11, 40)})
		svc.syncs = []core.Changes{{Reload: true}}
		svc.mu.Unlock()
		d.send(SyncMsg{})
		d.wantCalls("Sync", "Conversations", "Messages BOB00001")
		d.wantScreen("news from Bob")
		d.wantScreen("Erin")
	})
}

func TestSyncWithoutReloadLoadsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.send(SyncMsg{})
		d.wantCalls("Sync")
	})
}

func TestSyncError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		svc.syncErr = errors.New("relay gone")
		d.send(SyncMsg{})
		if got, want := d.statusText(), "Sync failed: relay gone"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
		// A failed sync does not block the next one.
		svc.syncErr = nil
		d.send(SyncMsg{})
		d.wantCalls("Sync", "Sync")
	})
}

func TestLoadError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		svc.loadErr = errors.New("store is closed")
		svc.syncs = []core.Changes{{Reload: true}}
		d.send(SyncMsg{})
		if got, want := d.statusText(), "Could not load: store is closed"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
		// The list loaded before stays.
		d.wantScreen("Bob Builder")
	})
}

func TestOpenMarksRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		if got, want := d.listRow("Carol"), "Carol 2"; got != want {
			t.Errorf("Carol's row = %q, want %q", got, want)
		}
		d.enter("/open Carol")
		// Marking read sets the count on screen; nothing is read again.
		d.wantCalls("Contact CAROL002", "Conversations", "Messages CAROL002", "MarkRead CAROL002")
		if got, want := d.listRow("Carol"), "▸ Carol"; got != want {
			t.Errorf("Carol's row = %q, want %q", got, want)
		}
		if got := d.m.conv(core.Direct(carol)).Unread; got != 0 {
			t.Errorf("Carol's unread count = %d after opening, want 0", got)
		}

		// A message that arrives in the open conversation is marked read too.
		svc.mu.Lock()
		svc.convs[1].Unread = 1
		svc.msgs[carol] = append(svc.msgs[carol], core.Message{Conv: core.Direct(carol), Time: at(15, 11, 50), Text: "still there?", State: core.StateReceived})
		svc.syncs = []core.Changes{{Reload: true, Incoming: []core.Message{{Conv: core.Direct(carol)}}}}
		svc.mu.Unlock()
		d.raw = nil
		d.send(SyncMsg{})
		d.wantCalls("Sync", "Conversations", "Messages CAROL002", "MarkRead CAROL002")
		d.wantScreen("still there?")
		if got, want := d.listRow("Carol"), "▸ Carol"; got != want {
			t.Errorf("Carol's row = %q after a message in the open conversation, want %q", got, want)
		}
		if len(d.raw) > 0 {
			t.Errorf("rang the bell for the open conversation: %q", d.raw)
		}
	})
}

func TestReloadCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/open Bob")
		d.svc.takeCalls()
		// A reload is in flight when the user switches conversation: the
		// switch waits for it and then loads again, for the new conversation.
		first := d.update(tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl})
		if first == nil {
			t.Fatal("ctrl+n returned no command")
		}
		if cmd := d.update(tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl}); cmd != nil {
			t.Fatal("ctrl+n while loading returned a command, want the reload queued")
		}
		d.settle(first)
		d.wantCalls("Conversations", "Messages CAROL002", "Conversations", "Messages DAVE0003")
		if got, want := d.m.open.Peer, dave; got != want {
			t.Errorf("open = %s, want %s", got, want)
		}
		d.wantScreen("see you tomorrow")
	})
}

// --- navigation ---

func TestTabTogglesFocus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.press(tea.KeyTab)
		if got, want := d.m.focus, focusList; got != want {
			t.Fatalf("focus = %d after tab, want the list", got)
		}
		if d.m.input.Focused() {
			t.Error("the composer is focused while the list is")
		}
		if c := d.m.View().Cursor; c != nil {
			t.Errorf("cursor at %v while the list is focused, want none", c.Position)
		}
		d.wantScreen("esc back")
		// Typing goes nowhere while the list has focus.
		d.typeText("x")
		if got := d.m.input.Value(); got != "" {
			t.Errorf("composer = %q, want keys ignored while the list is focused", got)
		}
		d.press(tea.KeyTab)
		if got, want := d.m.focus, focusComposer; got != want {
			t.Fatalf("focus = %d after a second tab, want the composer", got)
		}
		if !d.m.input.Focused() {
			t.Error("the composer is not focused after tab")
		}
		d.wantScreen("enter send")
	})
}

func TestListNavigation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.press(tea.KeyTab)
		steps := []struct {
			key  tea.KeyPressMsg
			want int
		}{
			{tea.KeyPressMsg{Code: tea.KeyUp}, 0}, // stays at the top
			{tea.KeyPressMsg{Code: tea.KeyDown}, 1},
			{tea.KeyPressMsg{Code: 'j', Text: "j"}, 2},
			{tea.KeyPressMsg{Code: tea.KeyDown}, 2}, // stays at the bottom
			{tea.KeyPressMsg{Code: 'k', Text: "k"}, 1},
		}
		for i, s := range steps {
			d.send(s.key)
			if got := d.m.sel; got != s.want {
				t.Errorf("step %d (%s): selection = %d, want %d", i, s.key, got, s.want)
			}
		}
		d.svc.takeCalls()
		d.press(tea.KeyEnter)
		if got, want := d.m.open.Peer, carol; got != want {
			t.Errorf("Enter opened %s, want %s", got, want)
		}
		if got, want := d.m.focus, focusComposer; got != want {
			t.Errorf("focus = %d after opening, want the composer", got)
		}
		d.wantCalls("Conversations", "Messages CAROL002", "MarkRead CAROL002")
		d.wantScreen("Carol · CAROL002")

		// Tab again selects the open conversation in the list.
		d.press(tea.KeyTab)
		if got, want := d.m.sel, 1; got != want {
			t.Errorf("selection = %d after tab, want the open conversation (%d)", got, want)
		}
	})
}

func TestListKeepsSelectionVisible(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		for i := range 40 {
			id := mustID(fmt.Sprintf("USER%04d", i))
			svc.addConv(core.Conversation{Ref: core.Direct(id), Name: fmt.Sprintf("Friend %02d", i), LastAt: at(15, 0, 0)})
		}
		d := chatDriver(t, svc)
		d.wantScreen("Friend 00")
		d.wantNotScreen("Friend 25")
		d.press(tea.KeyTab)
		for range 25 {
			d.press(tea.KeyDown)
		}
		if got, want := d.m.sel, 25; got != want {
			t.Fatalf("selection = %d, want %d", got, want)
		}
		lines := strings.Split(d.plain(), "\n")
		if got, want := d.listRow("Friend 25"), "› Friend 25"; got != want {
			t.Errorf("selected row = %q, want %q", got, want)
		}
		// The selection is the last row of the list.
		if got := lines[len(lines)-4]; !strings.Contains(got, "Friend 25") {
			t.Errorf("last list row = %q, want the selection", got)
		}
		d.press(tea.KeyEnter)
		if got, want := d.m.open.Peer, mustID("USER0025"); got != want {
			t.Errorf("open = %s, want %s", got, want)
		}
	})
}

func TestCycleConversations(t *testing.T) {
	tests := []struct {
		name string
		keys []rune // 'n' for ctrl+n, 'p' for ctrl+p
		want crypto.ID
	}{
		{"next from none", []rune("n"), bob},
		{"prev from none", []rune("p"), dave},
		{"next twice", []rune("nn"), carol},
		{"wraps forward", []rune("nnnn"), bob},
		{"wraps back", []rune("np"), dave},
		{"there and back", []rune("nnp"), bob},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				for _, k := range tc.keys {
					d.press(k, tea.ModCtrl)
				}
				if got := d.m.open.Peer; got != tc.want {
					t.Errorf("open = %s, want %s", got, tc.want)
				}
				if got, want := d.m.sel, d.m.convIndex(core.Direct(tc.want)); got != want {
					t.Errorf("selection = %d, want %d", got, want)
				}
			})
		})
	}
}

func TestCycleWithoutConversations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, newFakeService())
		if cmd := d.update(tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl}); cmd != nil {
			t.Error("ctrl+n with no conversations returned a command")
		}
		if !d.m.open.IsZero() {
			t.Errorf("open = %s, want none", d.m.open)
		}
	})
}

// longChat returns a service whose conversation with Bob has n messages,
// one a minute, each of one line, numbered from 1.
func longChat(n int) *fakeService {
	svc := newFakeService()
	msgs := make([]core.Message, n)
	start := at(10, 0, 0)
	for i := range msgs {
		msgs[i] = in(start.Add(time.Duration(i)*time.Minute), fmt.Sprintf("message %05d", i+1))
	}
	svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob", LastAt: msgs[n-1].Time}, msgs...)
	return svc
}

func TestScroll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, longChat(60))
		d.enter("/open Bob")
		// 19 rows for messages; a page is 18 of them.
		d.wantRows("message 00042", "message 00060")
		d.press(tea.KeyPgUp)
		d.wantRows("message 00024", "message 00042")
		d.press(tea.KeyPgUp)
		d.wantRows("message 00006", "message 00024")
		d.press(tea.KeyPgDown)
		d.wantRows("message 00024", "message 00042")
		d.press(tea.KeyPgDown)
		d.wantRows("message 00042", "message 00060")
		d.press(tea.KeyPgDown) // already at the bottom
		if got := d.m.scroll; got != 0 {
			t.Errorf("scroll = %d at the bottom, want 0", got)
		}
		d.wantScreen("message 00060")
		// Sending scrolls back to the bottom.
		d.press(tea.KeyPgUp)
		d.enter("back")
		if got := d.m.scroll; got != 0 {
			t.Errorf("scroll = %d after sending, want 0", got)
		}
		d.wantScreen("back ✓ sent")
	})
}

func TestScrollLoadsOlder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, longChat(pageSize+50))
		d.enter("/open Bob")
		d.svc.takeCalls()
		if got, want := len(d.m.msgs), pageSize; got != want {
			t.Fatalf("%d messages loaded, want a page of %d", got, want)
		}
		for range 20 { // enough to reach the top of the first page
			d.press(tea.KeyPgUp)
		}
		d.wantCalls("Messages BOB00001 before 50")
		if got, want := len(d.m.msgs), pageSize+50; got != want {
			t.Errorf("%d messages loaded after scrolling up, want %d", got, want)
		}
		if d.m.older != nil {
			t.Errorf("older cursor = %v at the start of the conversation, want nil", d.m.older)
		}
		if got, want := d.m.msgs[0].Text, "message 00001"; got != want {
			t.Errorf("first message = %q, want %q", got, want)
		}
	})
}

func TestEscClearsStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/nope")
		d.wantScreen("Unknown command")
		d.press(tea.KeyTab)
		d.press(tea.KeyEscape)
		if got, want := d.m.focus, focusComposer; got != want {
			t.Errorf("focus = %d after esc, want the composer", got)
		}
		if !d.m.input.Focused() {
			t.Error("the composer is not focused after esc")
		}
		if got := d.m.status; got != "" {
			t.Errorf("status = %q after esc, want none", got)
		}
		d.wantNotScreen("Unknown command")
		if got, want := d.m.input.Value(), "/nope"; got != want {
			t.Errorf("composer = %q, want %q (esc does not clear it)", got, want)
		}
	})
}

func TestComposerCursor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.typeText("héllo")
		c := d.m.View().Cursor
		if c == nil {
			t.Fatal("no cursor while typing")
		}
		if got, want := c.Position, (tea.Position{X: 2 + 5, Y: 22}); got != want {
			t.Errorf("cursor at %v, want %v (after the prompt and 5 characters, on the composer row)", got, want)
		}
		lines := strings.Split(d.plain(), "\n")
		if got, want := lines[22], "› héllo"; !strings.HasPrefix(got, want) {
			t.Errorf("composer row = %q, want it to start with %q", got, want)
		}
	})
}

// --- safety ---

// nasty holds what a hostile peer could put in a name or a message.
var nasty = []string{
	"\x1b[2J",             // erase the screen
	"\x1b]0;evil\x07",     // set the window title
	"\x1b]52;c;aGk=\x07",  // write the clipboard
	"\x9b31m",             // a raw C1 CSI byte (invalid UTF-8)
	"\u009b2J",            // C1 CSI as a rune
	"\u0085",              // C1 NEL
	"\u202eevil\u202c",    // right-to-left override
	"\u2066isolate\u2069", // bidi isolate
	"\r\x08\x7f\x00",      // carriage return, backspace, DEL, NUL
	"\a",                  // bell
}

// plainTheme has no colours or attributes: what it renders holds no escape
// sequences, so any that appear came from the text.
func plainTheme() *theme.Theme { return &theme.Theme{} }

func TestViewSanitizesRemoteText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		evil := strings.Join(nasty, "|")
		svc := newFakeService()
		svc.me.Name = "Me" + evil
		svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob" + evil, LastAt: at(15, 11, 0), Unread: 1},
			in(at(15, 10, 0), "text"+evil+"\nsecond line"),
			core.Message{Outgoing: true, Time: at(15, 10, 1), Text: "mine", State: core.StateFailed, Error: "refused" + evil})
		d := chatDriver(t, svc, func(o *Options) {
			o.Theme = plainTheme()
			o.Tenant = "Acme" + evil
		})
		d.press('n', tea.ModCtrl)
		check := func(where, s string) {
			t.Helper()
			if !utf8.ValidString(s) {
				t.Errorf("%s is not valid UTF-8", where)
			}
			for i, r := range s {
				if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) || isBidiControl(r) {
					t.Errorf("%s holds %U at byte %d", where, r, i)
				}
			}
		}
		check("chat screen", d.content())
		d.wantScreen("Bob") // it is on screen, defanged
		d.wantScreen("text")
		d.wantScreen("second line")
		d.wantScreen("✗ not sent: refused")
		check("window title", d.m.View().WindowTitle)

		// The list focused and the help pane too.
		d.press(tea.KeyTab)
		check("list", d.content())
		d.press(tea.KeyEscape)
		d.enter("/help")
		check("help", d.content())

		// And the passphrase prompt, which shows the user's own name.
		lock := newDriver(t, svc, func(o *Options) { o.Theme = plainTheme() })
		check("passphrase prompt", lock.content())
	})
}

// TestViewSanitizesRemoteTextStyled checks the injected sequences with the
// real theme, whose styling is made of escape sequences too.
func TestViewSanitizesRemoteTextStyled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		evil := strings.Join(nasty, "|")
		svc := newFakeService()
		svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob" + evil, LastAt: at(15, 11, 0)},
			in(at(15, 10, 0), "text"+evil))
		d := chatDriver(t, svc)
		d.press('n', tea.ModCtrl)
		got := d.content()
		for _, bad := range []string{"\x1b[2J", "\x1b]", "\a", "\u202e", "\u2066", "\u009b", "\x9b", "\r", "\x08", "\x7f", "\x00"} {
			if strings.Contains(got, bad) {
				t.Errorf("screen holds %q:\n%q", bad, got)
			}
		}
	})
}

var cleanTests = []struct {
	name string
	in   string
	want string
	line string // cleanLine's result
}{
	{"empty", "", "", ""},
	{"plain", "hello, world", "hello, world", "hello, world"},
	{"unicode", "grüße 👋 日本", "grüße 👋 日本", "grüße 👋 日本"},
	{"newlines stay", "a\nb", "a\nb", "a b"},
	{"crlf", "a\r\nb", "a\nb", "a b"},
	{"tab", "a\tb", "a    b", "a    b"},
	{"CSI", "\x1b[2Jgone", "\ufffd[2Jgone", "\ufffd[2Jgone"},
	{"OSC title", "\x1b]0;evil\x07", "\ufffd]0;evil\ufffd", "\ufffd]0;evil\ufffd"},
	{"C1 rune", "a\u009b2Jb", "a\ufffd2Jb", "a\ufffd2Jb"},
	{"C1 byte", "a\x9b2Jb", "a\ufffd2Jb", "a\ufffd2Jb"},
	{"NEL", "a\u0085b", "a\ufffdb", "a\ufffdb"},
	{"DEL", "a\x7fb", "a\ufffdb", "a\ufffdb"},
	{"NUL", "a\x00b", "a\ufffdb", "a\ufffdb"},
	{"backspace", "ab\x08\x08cd", "ab\ufffd\ufffdcd", "ab\ufffd\ufffdcd"},
	{"RLO", "abc\u202edef\u202c", "abcdef", "abcdef"},
	{"isolates", "\u2066x\u2067y\u2068z\u2069", "xyz", "xyz"},
	{"marks", "\u200ea\u200fb\u061c", "ab", "ab"},
	{"invalid UTF-8", "a\xffb\xc3", "a\ufffdb\ufffd", "a\ufffdb\ufffd"},
	{"replacement char stays", "a\ufffdb", "a\ufffdb", "a\ufffdb"},
	{"zero-width joiner stays", "👩\u200d💻", "👩\u200d💻", "👩\u200d💻"},
}

func TestClean(t *testing.T) {
	for _, tc := range cleanTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := clean(tc.in); got != tc.want {
				t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := cleanLine(tc.in); got != tc.line {
				t.Errorf("cleanLine(%q) = %q, want %q", tc.in, got, tc.line)
			}
		})
	}
}

func TestCleanDoesNotCopySafeText(t *testing.T) {
	s := strings.Repeat("safe text ", 100)
	if got := testing.AllocsPerRun(10, func() { _ = clean(s) }); got != 0 {
		t.Errorf("clean of safe text allocates %v times, want 0", got)
	}
}

func FuzzClean(f *testing.F) {
	for _, tc := range cleanTests {
		f.Add(tc.in)
	}
	for _, s := range nasty {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, got := range map[string]string{"clean": clean(s), "cleanLine": cleanLine(s)} {
			if !utf8.ValidString(got) {
				t.Fatalf("%s(%q) = %q, not valid UTF-8", name, s, got)
			}
			for _, r := range got {
				switch {
				case r == '\n' && name == "cleanLine":
					t.Fatalf("%s(%q) = %q holds a newline", name, s, got)
				case r < 0x20 && r != '\n', r >= 0x7f && r <= 0x9f, isBidiControl(r):
					t.Fatalf("%s(%q) = %q holds %U", name, s, got, r)
				}
			}
			if again := clean(got); again != got {
				t.Fatalf("clean is not idempotent: %q, then %q", got, again)
			}
		}
	})
}

// --- layout ---

// screens renders the model in each of its screens at w×h.
func screens(t *testing.T, w, h int) map[string]string {
	t.Helper()
	out := map[string]string{}
	size := tea.WindowSizeMsg{Width: w, Height: h}
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		svc.unlockErrs = []error{core.ErrWrongPassphrase}
		d := newDriver(t, svc)
		d.send(size)
		out["locked"] = d.content()
		d.enter("nope")
		out["wrong passphrase"] = d.content()

		d = chatDriver(t, conversationService())
		d.send(size)
		out["welcome"] = d.content()
		d.press('n', tea.ModCtrl)
		out["conversation"] = d.content()
		d.press(tea.KeyPgUp)
		out["scrolled"] = d.content()
		d.enter("/help")
		out["help"] = d.content()
		d.press(tea.KeyTab)
		out["list"] = d.content()
		d.press(tea.KeyEscape)
		d.enter("/an unknown command with a long text that will not fit on one line at all")
		out["error"] = d.content()
	})
	return out
}

func TestViewFitsWindow(t *testing.T) {
	tests := []struct {
		w, h int
		lock bool // check the passphrase prompt too
	}{
		{80, 24, true},
		{120, 40, true},
		{200, 60, true},
		{30, 8, false},
		{59, 12, false}, // no chat list below 60 columns
		{60, 12, false},
	}
	for _, tc := range tests {
		w, h := tc.w, tc.h
		for name, content := range screens(t, w, h) {
			if !tc.lock && (name == "locked" || name == "wrong passphrase") {
				continue
			}
			lines := strings.Split(content, "\n")
			if got := len(lines); got != h {
				t.Errorf("%dx%d %s: %d lines, want %d", w, h, name, got, h)
			}
			for i, l := range lines {
				if got := ansi.StringWidth(l); got > w {
					t.Errorf("%dx%d %s: line %d is %d cells wide, want at most %d: %q", w, h, name, i, got, w, ansi.Strip(l))
				}
			}
		}
	}
}

func TestWindowTooSmall(t *testing.T) {
	for _, size := range [][2]int{{29, 8}, {30, 7}, {100, 3}, {40, 1}} {
		w, h := size[0], size[1]
		synctest.Test(t, func(t *testing.T) {
			d := chatDriver(t, threeChats())
			d.send(tea.WindowSizeMsg{Width: w, Height: h})
			got := d.content()
			if !strings.HasPrefix("Window too small ("+fmt.Sprint(w)+"x"+fmt.Sprint(h)+"): Parley needs 30x8.", strings.TrimSuffix(got, "…")) {
				t.Errorf("%dx%d: screen = %q, want the too-small notice", w, h, got)
			}
			if got := ansi.StringWidth(got); got > w {
				t.Errorf("%dx%d: notice is %d cells wide", w, h, got)
			}
		})
	}
	t.Run("before the first size", func(t *testing.T) {
		m := New(Options{Service: newFakeService()})
		if got := m.View().Content; got != "" {
			t.Errorf("screen before any WindowSizeMsg = %q, want empty", got)
		}
	})
}

// tenThousand returns a model at 80x24 with 10,000 messages in the open
// conversation, without going through commands.
func tenThousand() *Model {
	svc := longChat(10_000)
	m := New(Options{Service: svc, Location: time.UTC})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m = next.(*Model)
	m.screen = screenChat
	m.pass = nil
	m.input.Focus()
	m.convs = slices.Clone(svc.convs)
	m.openConversation(core.Direct(bob), "Bob")
	m.msgs = svc.msgs[bob]
	return m
}

func TestLayoutOnlyWhatIsVisible(t *testing.T) {
	m := tenThousand()
	for _, need := range []int{1, 19, 50} {
		got := m.layoutMessages(60, need)
		// Each message is one line; a day separator or a name line may come along.
		if len(got) < need || len(got) > need+3 {
			t.Errorf("layoutMessages(60, %d) made %d lines, want about %d", need, len(got), need)
		}
	}
	lines := strings.Split(m.View().Content, "\n")
	if got, want := len(lines), 24; got != want {
		t.Fatalf("%d lines, want %d", got, want)
	}
	if got := ansi.Strip(lines[len(lines)-4]); !strings.Contains(got, "message 10000") {
		t.Errorf("the last message row is %q, want message 10000", got)
	}
}

func BenchmarkViewTenThousandMessages(b *testing.B) {
	m := tenThousand()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

func BenchmarkViewTenThousandMessagesScrolled(b *testing.B) {
	m := tenThousand()
	m.scroll = 500
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// --- regressions: one test per bug the review found ---

// After the last wrong passphrase, and after the unlock timeout, the
// session is closing: Enter must not try another passphrase in the pause.
func TestUnlockIgnoresInputWhileClosing(t *testing.T) {
	t.Run("after the last try", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			svc := newFakeService()
			svc.unlockErrs = []error{core.ErrWrongPassphrase, core.ErrWrongPassphrase, core.ErrWrongPassphrase}
			d := newDriver(t, svc)
			for i := range 3 {
				d.enter(fmt.Sprintf("guess %d", i+1))
			}
			d.wantCalls("Unlock", "Unlock", "Unlock")
			if !d.m.closing {
				t.Error("closing = false after the last try")
			}
			// The fake would accept the next passphrase: it must never get it.
			for range 3 {
				d.enter("correct horse")
			}
			d.wantCalls()
			if got, want := d.m.screen, screenLocked; got != want {
				t.Fatalf("screen = %d after Enter in the closing pause, want locked", got)
			}
			if got := d.m.pass.Value(); got != "" {
				t.Errorf("the passphrase field took %q while closing", got)
			}
			if c := d.m.View().Cursor; c != nil {
				t.Errorf("cursor shown at %v while closing, want none", c.Position)
			}
			d.wantScreen("Too many attempts: closing the session.")
			d.fire()
			if !d.quit {
				t.Error("the session did not end")
			}
		})
	})
	t.Run("after the timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := newDriver(t, newFakeService(), func(o *Options) { o.UnlockTimeout = time.Minute })
			d.settle(d.m.Init())
			d.fire() // the timeout
			if !d.m.closing {
				t.Error("closing = false after the unlock timeout")
			}
			d.enter("correct horse")
			d.wantCalls()
			if got, want := d.m.screen, screenLocked; got != want {
				t.Fatalf("screen = %d after Enter in the closing pause, want locked", got)
			}
			d.wantScreen("Timed out waiting for the passphrase.")
			if c := d.m.View().Cursor; c != nil {
				t.Errorf("cursor shown at %v while closing, want none", c.Position)
			}
			d.fire()
			if !d.quit {
				t.Error("the session did not end")
			}
		})
	})
}

// wantNoControls fails if s holds a control character other than a
// newline, a C1 control or a bidirectional control, or is not UTF-8.
func wantNoControls(t *testing.T, where, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not valid UTF-8: %q", where, s)
	}
	for i, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) || isBidiControl(r) {
			t.Errorf("%s holds %U at byte %d: %q", where, r, i, s)
			return
		}
	}
}

// Error texts can quote what a server or another user sent: they are
// cleaned before they reach the status line or the unlock screen.
func TestErrorTextsAreCleaned(t *testing.T) {
	const evil = "\x1b[2J\x1b]0;evil\x07\u009b31m\x9b\u0085\u202eevil\u202c\r\a"
	failure := errors.New("refused" + evil)
	plain := func(o *Options) { o.Theme = plainTheme() }

	status := []struct {
		name  string
		setup func(svc *fakeService)
		act   func(d *driver)
		want  string
	}{
		{"sync", func(svc *fakeService) { svc.syncErr = failure }, func(d *driver) { d.send(SyncMsg{}) }, "Sync failed: refused"},
		{"load", func(svc *fakeService) { svc.loadErr = failure }, func(d *driver) { d.press('n', tea.ModCtrl) }, "Could not load: refused"},
		{"send", func(svc *fakeService) { svc.sendErr = failure }, func(d *driver) { d.enter("/msg BOB00001 hi") }, "Not sent: refused"},
		{"older page", func(svc *fakeService) { svc.olderErr = failure }, func(d *driver) {
			d.enter("/open Bob")
			for range 20 {
				d.press(tea.KeyPgUp)
			}
		}, "Could not load older messages: refused"},
	}
	for _, tc := range status {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := longChat(pageSize + 50)
				d := chatDriver(t, svc, plain)
				svc.mu.Lock()
				tc.setup(svc)
				svc.mu.Unlock()
				tc.act(d)
				d.wantScreen(tc.want)
				wantNoControls(t, "screen", d.content())
			})
		})
	}

	lock := []struct {
		name string
		err  error
		want string
	}{
		{"throttled", failure, "Refused"},
		{"wrong passphrase", fmt.Errorf("%w"+evil, core.ErrWrongPassphrase), "2 tries left."},
	}
	for _, tc := range lock {
		t.Run("unlock "+tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := newFakeService()
				svc.unlockErrs = []error{tc.err}
				d := newDriver(t, svc, plain)
				d.enter("pw")
				d.wantScreen(tc.want)
				wantNoControls(t, "unlock screen", d.content())
			})
		})
	}
}

// The unlock dialog fits the window, shows the error, and keeps the cursor
// right after the prompt whatever was typed.
func TestUnlockDialogFitsWindow(t *testing.T) {
	for _, size := range [][2]int{{30, 8}, {40, 10}, {59, 24}, {60, 24}, {80, 24}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := newFakeService()
				svc.unlockErrs = []error{core.ErrWrongPassphrase}
				d := newDriver(t, svc)
				d.send(tea.WindowSizeMsg{Width: w, Height: h})
				d.enter("nope")

				lines := strings.Split(d.content(), "\n")
				if got := len(lines); got != h {
					t.Errorf("%d lines, want %d", got, h)
				}
				for i, l := range lines {
					if got := ansi.StringWidth(l); got > w {
						t.Errorf("line %d is %d cells wide, want at most %d: %q", i, got, w, ansi.Strip(l))
					}
				}
				// At 30 columns the dialog has 26 cells inside: the message wraps.
				if w < 40 {
					d.wantScreen("Wrong passphrase. 2 tries")
					d.wantScreen("left.")
				} else {
					d.wantScreen("Wrong passphrase. 2 tries left.")
				}

				// Neither the cursor nor the screen tells how much was typed.
				before := d.m.View()
				if before.Cursor == nil {
					t.Fatal("no cursor on the passphrase prompt")
				}
				plain := strings.Split(ansi.Strip(before.Content), "\n")
				y, x := before.Cursor.Y, before.Cursor.X
				if y < 0 || y >= len(plain) {
					t.Fatalf("cursor row %d outside the screen", y)
				}
				const prompt = "Passphrase: "
				i := strings.Index(plain[y], prompt)
				if i < 0 {
					t.Fatalf("cursor row %d is %q, want the passphrase prompt", y, plain[y])
				}
				if want := ansi.StringWidth(plain[y][:i]) + len(prompt); x != want {
					t.Errorf("cursor column = %d, want %d (right after %q)", x, want, prompt)
				}
				typed := 0
				for _, n := range []int{1, 5, 40, 100} {
					d.typeText(strings.Repeat("x", n-typed))
					typed = n
					v := d.m.View()
					if v.Cursor == nil || v.Cursor.Position != before.Cursor.Position {
						t.Errorf("after %d characters the cursor is at %v, want %v", n, v.Cursor, before.Cursor.Position)
					}
					// Compared without styling: the field's styled padding shrinks
					// as keys are typed, but spaces with a foreground colour look alike.
					if got := ansi.Strip(v.Content); got != ansi.Strip(before.Content) {
						t.Errorf("after %d characters the screen changed:\n%s", n, got)
					}
				}
			})
		})
	}
}

// PgUp stops at the top of what is loaded: in a short conversation the
// messages stay in view, and PgDown after many PgUps moves at once.
func TestScrollIsClamped(t *testing.T) {
	t.Run("short conversation", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := chatDriver(t, threeChats())
			d.enter("/open Bob")
			for range 3 {
				d.press(tea.KeyPgUp)
			}
			if got := d.m.scroll; got != 0 {
				t.Errorf("scroll = %d in a conversation that fits, want 0", got)
			}
			d.wantScreen("hi Alice")
			d.wantScreen("hi Bob")
		})
	})
	t.Run("long conversation", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := chatDriver(t, longChat(60)) // all loaded: 62 lines with the day and the name
			d.enter("/open Bob")
			for range 50 {
				d.press(tea.KeyPgUp)
			}
			if got, want := d.m.scroll, 62-19; got != want {
				t.Errorf("scroll = %d after many PgUps, want %d (the top)", got, want)
			}
			d.wantScreen("Monday, 10 March 2025")
			d.wantRows("Bob", "message 00017")
			d.press(tea.KeyPgDown)
			d.wantRows("message 00017", "message 00035")
		})
	})
}

// appendMessage adds the next numbered message of longChat to Bob's conversation.
func appendMessage(svc *fakeService, n int) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	m := in(at(10, 0, 0).Add(time.Duration(n-1)*time.Minute), fmt.Sprintf("message %05d", n))
	m.Conv = core.Direct(bob)
	svc.msgs[bob] = append(svc.msgs[bob], m)
}

// wantMessages checks that the loaded messages are longChat's first to
// last, in order, each once.
func (d *driver) wantMessages(first, last int) {
	d.t.Helper()
	var want, got []string
	for i := first; i <= last; i++ {
		want = append(want, fmt.Sprintf("message %05d", i))
	}
	for _, m := range d.m.msgs {
		got = append(got, m.Text)
	}
	if !slices.Equal(want, got) {
		d.t.Errorf("loaded %d messages, want %s to %s in order, each once (-want +got):\n%s",
			len(got), want[0], want[len(want)-1], cmp.Diff(want, got))
	}
}

// pageUpUntilOlder presses PgUp until it asks for an older page, and
// returns that request without running it.
func (d *driver) pageUpUntilOlder() tea.Cmd {
	d.t.Helper()
	for range 30 {
		if cmd := d.update(tea.KeyPressMsg{Code: tea.KeyPgUp}); cmd != nil {
			return cmd
		}
	}
	d.t.Fatal("PgUp never asked for older messages")
	return nil
}

// An older page asked for before a reload is stale when it comes back; a
// failed older page lets the user try again.
func TestOlderPage(t *testing.T) {
	t.Run("stale after a reload", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			svc := longChat(pageSize + 50)
			d := chatDriver(t, svc)
			d.enter("/open Bob")
			d.svc.takeCalls()
			stale := d.pageUpUntilOlder()

			appendMessage(svc, pageSize+51)
			svc.mu.Lock()
			svc.syncs = []core.Changes{{Reload: true}}
			svc.mu.Unlock()
			d.send(SyncMsg{})
			d.wantCalls("Sync", "Conversations", "Messages BOB00001")
			d.wantMessages(2, pageSize+51)

			d.settle(stale) // messages 1 to 50, which the reload already has (but one)
			d.wantCalls("Messages BOB00001 before 50")
			d.wantMessages(2, pageSize+51)
			if d.m.older == nil {
				t.Fatal("no older cursor after the stale page, want paging still possible")
			}
			for range 30 {
				d.press(tea.KeyPgUp)
			}
			d.wantCalls("Messages BOB00001 before 1")
			d.wantMessages(1, pageSize+51)
		})
	})
	t.Run("failed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			svc := longChat(pageSize + 50)
			d := chatDriver(t, svc)
			d.enter("/open Bob")
			d.svc.takeCalls()
			svc.mu.Lock()
			svc.olderErr = errors.New("store is busy")
			svc.mu.Unlock()
			d.settle(d.pageUpUntilOlder())
			d.wantCalls("Messages BOB00001 before 50")
			if got, want := d.statusText(), "Could not load older messages: store is busy"; got != want {
				t.Errorf("status = %q, want %q", got, want)
			}
			if d.m.older == nil {
				t.Fatal("older cursor lost after a failed load, want paging still possible")
			}
			d.wantMessages(51, pageSize+50)

			svc.mu.Lock()
			svc.olderErr = nil
			svc.mu.Unlock()
			d.press(tea.KeyPgUp)
			d.wantCalls("Messages BOB00001 before 50")
			d.wantMessages(1, pageSize+50)
		})
	})
}

// A reload keeps the older history the user has loaded.
func TestReloadKeepsLoadedHistory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := longChat(pageSize + 50)
		d := chatDriver(t, svc)
		d.enter("/open Bob")
		for range 30 {
			d.press(tea.KeyPgUp)
		}
		d.wantMessages(1, pageSize+50)
		screen := d.plain()
		d.svc.takeCalls()

		svc.mu.Lock()
		svc.syncs = []core.Changes{{Reload: true}}
		svc.mu.Unlock()
		d.send(SyncMsg{})
		d.wantCalls("Sync", "Conversations", "Messages BOB00001")
		d.wantMessages(1, pageSize+50)
		if d.m.older != nil {
			t.Errorf("older cursor = %v after the reload, want nil (all loaded)", d.m.older)
		}
		if got := d.plain(); got != screen {
			t.Errorf("the view moved on reload:\n%s", cmp.Diff(screen, got))
		}
	})
}

// A paste is refused whole when the message would pass the limit; the
// limit applies to the text that is sent, without surrounding spaces.
func TestMessageLimit(t *testing.T) {
	t.Run("paste refused", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := chatDriver(t, threeChats())
			d.enter("/open Bob")
			d.svc.takeCalls()
			d.typeText("hello ")
			d.send(tea.PasteMsg{Content: strings.Repeat("x", crypto.MaxTextLen-5)})
			if got := d.m.input.Value(); got != "hello " {
				t.Errorf("composer = %d bytes after a refused paste, want %q", len(got), "hello ")
			}
			want := fmt.Sprintf("Paste refused: the message would be %d bytes, the limit is %d.", crypto.MaxTextLen+1, crypto.MaxTextLen)
			if got := d.m.status; got != want {
				t.Errorf("status = %q, want %q", got, want)
			}
			d.wantScreen("Paste refused")
			// One byte less fits, and is sent.
			d.send(tea.PasteMsg{Content: strings.Repeat("x", crypto.MaxTextLen-6)})
			if got, want := len(d.m.input.Value()), crypto.MaxTextLen; got != want {
				t.Fatalf("composer = %d bytes, want %d", got, want)
			}
			d.press(tea.KeyEnter)
			if got, want := d.svc.countCalls("Send BOB00001"), 1; got != want {
				t.Errorf("%d sends, want %d", got, want)
			}
		})
	})
	t.Run("at the limit with spaces", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := chatDriver(t, threeChats())
			d.enter("/open Bob")
			d.svc.takeCalls()
			text := strings.Repeat("é", crypto.MaxTextLen/2) // MaxTextLen bytes, under the composer's rune limit
			d.m.input.SetValue("  " + text + "  ")
			d.press(tea.KeyEnter)
			if got, want := d.svc.countCalls("Send BOB00001 "+fmt.Sprintf("%q", text)), 1; got != want {
				t.Errorf("%d sends of a message of exactly %d bytes, want %d; status %q", got, crypto.MaxTextLen, want, d.m.status)
			}
			if got := d.m.input.Value(); got != "" {
				t.Errorf("composer holds %d bytes after sending, want it cleared", len(got))
			}
		})
	})
}

// A contact without a name is shown by ID.
func TestOpenContactWithoutName(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		erin := mustID("ERIN0004")
		svc.addConv(core.Conversation{Ref: core.Direct(erin), LastAt: at(15, 10, 0)}, in(at(15, 10, 0), "hello from Erin"))
		d := chatDriver(t, svc)
		d.enter("/open ERIN0004")
		d.wantCalls("Contact ERIN0004", "Conversations", "Messages ERIN0004")
		if got, want := d.m.openName, "ERIN0004"; got != want {
			t.Errorf("title = %q, want %q", got, want)
		}
		lines := strings.Split(d.plain(), "\n")
		pane := func(i int) string { return strings.TrimSpace(ansi.Cut(lines[i], d.m.listWidth()+1, d.m.w)) }
		if got, want := pane(1), "ERIN0004 · ERIN0004"; got != want {
			t.Errorf("pane title = %q, want %q", got, want)
		}
		if got, want := pane(3), "10:00 ERIN0004"; got != want {
			t.Errorf("sender line = %q, want %q", got, want)
		}
	})
}

// A reload that fails while another is queued runs the queued one.
func TestFailedReloadRunsQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		d.enter("/open Bob")
		d.svc.takeCalls()
		svc.mu.Lock()
		svc.loadErr = errors.New("store is busy")
		svc.mu.Unlock()
		first := d.update(tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl}) // Carol
		if first == nil {
			t.Fatal("ctrl+n returned no command")
		}
		if cmd := d.update(tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl}); cmd != nil { // Dave, queued
			t.Fatal("ctrl+n while loading returned a command, want the reload queued")
		}
		msgs := d.exec(first)
		svc.mu.Lock()
		svc.loadErr = nil
		svc.mu.Unlock()
		for _, msg := range msgs {
			d.send(msg)
		}
		d.wantCalls("Conversations", "Conversations", "Messages DAVE0003")
		d.wantScreen("see you tomorrow")
		if d.m.reloading || d.m.reloadAgain {
			t.Errorf("reloading = %v, queued = %v after settling, want both false", d.m.reloading, d.m.reloadAgain)
		}
	})
}

// The list measures its markers in cells: "▸ " and "› " are two cells,
// not their byte length, so long names are cut at the list's edge.
func TestListCutsNamesByCells(t *testing.T) {
	for _, name := range []string{"Bartholomew Wigglesworth-Smith", "日本語の名前がとても長い人です"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := newFakeService()
				svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: name, LastAt: at(15, 10, 0)})
				d := chatDriver(t, svc)
				d.press('n', tea.ModCtrl)
				lw := d.m.listWidth()
				// The name gets the row but its marker and one cell before the edge.
				cut := ansi.Truncate(name, lw-2-2, "") + "…"
				if got := ansi.StringWidth(cut); got != lw-3 {
					t.Fatalf("cut name is %d cells, want %d", got, lw-3)
				}
				row := func() string { return ansi.Truncate(strings.Split(d.plain(), "\n")[2], lw, "") }
				for _, marker := range []string{"▸ ", "› "} {
					if marker == "› " {
						d.press(tea.KeyTab) // the list, its selection on the open conversation
					}
					if got, want := row(), padRight(marker+cut, lw); got != want {
						t.Errorf("row = %q, want %q", got, want)
					}
				}
			})
		})
	}
}

// Without colour, markers tell the focused selection and the open
// conversation apart.
func TestListMarkersWithoutColour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats(), func(o *Options) { o.Theme = plainTheme() })
		d.press('n', tea.ModCtrl) // opens Bob
		rows := func() []string {
			if strings.Contains(d.content(), "\x1b") {
				t.Fatalf("the plain theme rendered escape sequences: %q", d.content())
			}
			return []string{d.listRow("Bob"), d.listRow("Carol"), d.listRow("Dave")}
		}
		steps := []struct {
			name string
			key  rune
			want []string
		}{
			{"composer focused", 0, []string{"▸ Bob Builder", "Carol 2", "Dave"}},
			{"list focused on the open one", tea.KeyTab, []string{"› Bob Builder", "Carol 2", "Dave"}},
			{"list focused on another", tea.KeyDown, []string{"▸ Bob Builder", "› Carol 2", "Dave"}},
			{"back to the composer", tea.KeyEscape, []string{"▸ Bob Builder", "Carol 2", "Dave"}},
		}
		for _, s := range steps {
			if s.key != 0 {
				d.press(s.key)
			}
			if diff := cmp.Diff(s.want, rows()); diff != "" {
				t.Errorf("%s: list rows (-want +got):\n%s", s.name, diff)
			}
		}
	})
}

// The list loads after Start even when the first sync fails.
func TestStartLoadsListWhenSyncFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		svc.syncErr = errors.New("relay unreachable")
		d := newDriver(t, svc)
		d.enter("correct horse")
		if got, want := d.m.screen, screenChat; got != want {
			t.Fatalf("screen = %d, want the chat screen", got)
		}
		d.wantCalls("Unlock", "Start", "Sync", "Conversations", "Settings", "Contact ALICE001")
		for _, name := range []string{"Bob Builder", "Carol", "Dave"} {
			if d.listRow(name) == "" {
				t.Errorf("%s is not in the list", name)
			}
		}
		if got, want := d.statusText(), "Sync failed: relay unreachable"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
	})
}

// TestOutboxSendsInOrder: lines entered while a send runs wait in the
// outbox, shown as sending after the stored messages, and are handed to
// the core one at a time in the order written; leaving waits for them.
func TestOutboxSendsInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		d := chatDriver(t, svc)
		d.enter("/open Bob")
		d.svc.takeCalls()
		// Enter without running what it starts: the sends pile up.
		var started []tea.Cmd
		for _, line := range []string{"one", "two", "three"} {
			d.typeText(line)
			if cmd := d.update(tea.KeyPressMsg{Code: tea.KeyEnter}); cmd != nil {
				started = append(started, cmd)
			}
		}
		if n := len(d.m.outbox); n != 3 {
			t.Fatalf("outbox holds %d, want 3", n)
		}
		screen := d.plain()
		if i, j := strings.Index(screen, "two"), strings.Index(screen, "three"); i < 0 || j < i {
			t.Fatalf("the waiting messages are not shown in order:\n%s", screen)
		}
		d.press('c', tea.ModCtrl)
		if d.quit {
			t.Fatal("ctrl+c left with messages unsent")
		}
		d.wantScreen("Sending 3 more messages, then leaving")
		// Run the first send; each answer starts the next.
		for _, cmd := range started {
			d.settle(cmd)
		}
		if got, want := callsWith(d.svc.takeCalls(), "Send"), []string{
			`Send BOB00001 "one"`, `Send BOB00001 "two"`, `Send BOB00001 "three"`}; !slices.Equal(got, want) {
			t.Fatalf("sends = %q, want %q", got, want)
		}
		if !d.quit {
			t.Error("did not leave once the outbox was empty")
		}
	})
}

// TestOutboxBounded: beyond maxOutbox waiting messages, Enter keeps the
// text in the composer and says to wait.
func TestOutboxBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/open Bob")
		for range maxOutbox {
			d.m.outbox = append(d.m.outbox, outJob{ref: d.m.open, text: "x", run: func(context.Context) error { return nil }})
		}
		d.m.sending = true
		d.typeText("one too many")
		d.update(tea.KeyPressMsg{Code: tea.KeyEnter})
		if d.m.input.Value() != "one too many" || len(d.m.outbox) != maxOutbox {
			t.Fatalf("composer %q, outbox %d", d.m.input.Value(), len(d.m.outbox))
		}
		d.wantScreen("still waiting to be sent")
	})
}

// TestEscThenSlashKeepsTheSlash (issue 17, item 10): Esc and "/" typed
// quickly arrive as Alt+/; the composer gets the slash, and the Esc
// still clears what it clears.
func TestEscThenSlashKeepsTheSlash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.enter("/frobnicate")
		d.press(tea.KeyEscape)
		d.press('u', tea.ModCtrl)
		d.m.setError("an old error")
		d.send(tea.KeyPressMsg{Code: '/', Mod: tea.ModAlt}) // as the terminal reports it: no text with Alt
		if got := d.m.input.Value(); got != "/" {
			t.Fatalf("composer = %q after Esc+/, want the slash", got)
		}
		if d.m.status != "" {
			t.Errorf("status = %q: the Esc part did not clear it", d.m.status)
		}
	})
}

// TestScrolledUpDoesNotMarkRead: a message that arrives while the user is
// scrolled up is not on screen, so it is not marked read (and no read
// receipt goes out) until the user is back at the newest.
func TestScrolledUpDoesNotMarkRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := longChat(60)
		d := chatDriver(t, svc)
		d.enter("/open Bob")
		d.press(tea.KeyPgUp)
		svc.takeCalls()

		svc.mu.Lock()
		svc.convs[0].Unread = 1
		svc.msgs[bob] = append(svc.msgs[bob], in(at(11, 30, 0), "arrived while scrolled up"))
		svc.syncs = []core.Changes{{Reload: true, Incoming: []core.Message{{Conv: core.Direct(bob)}}}}
		svc.mu.Unlock()
		d.send(SyncMsg{})
		d.wantCalls("Sync", "Conversations", "Messages BOB00001")
		if n := svc.countCalls("MarkRead"); n != 0 {
			t.Fatalf("marked read while scrolled up (%d calls)", n)
		}
		if got := d.m.conv(core.Direct(bob)).Unread; got != 1 {
			t.Errorf("unread = %d while scrolled up, want 1", got)
		}

		d.press(tea.KeyEnd)
		d.wantScreen("arrived while scrolled up")
		if n := svc.countCalls("MarkRead BOB00001"); n != 1 {
			t.Errorf("MarkRead calls after End = %d, want 1", n)
		}
	})
}
