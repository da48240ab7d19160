package chat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// fakeGroups adds the group commands to the fake service and records them.
type fakeGroups struct {
	*fakeService
	mu    sync.Mutex
	calls []string
}

var _ GroupService = (*fakeGroups)(nil)

func (f *fakeGroups) rec(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return nil
}

func (f *fakeGroups) SendWith(_ context.Context, ref core.ConvRef, text string, o core.SendOptions) (core.Message, error) {
	reply := ""
	if o.ReplyTo != nil {
		reply = " reply-to " + o.ReplyTo.String()
	}
	return core.Message{}, f.rec("SendWith %s %q%s alarm=%v", ref, text, reply, o.Alarm)
}
func (f *fakeGroups) Edit(_ context.Context, ref core.ConvRef, id crypto.MessageID, text string) error {
	return f.rec("Edit %s %s %q", ref, id, text)
}
func (f *fakeGroups) Delete(_ context.Context, ref core.ConvRef, id crypto.MessageID) error {
	return f.rec("Delete %s %s", ref, id)
}
func (f *fakeGroups) DeleteHere(_ context.Context, ref core.ConvRef, id crypto.MessageID, out bool) error {
	return f.rec("DeleteHere %s %s %v", ref, id, out)
}
func (f *fakeGroups) Retry(_ context.Context, ref core.ConvRef, id crypto.MessageID) (core.Message, error) {
	return core.Message{}, f.rec("Retry %s %s", ref, id)
}
func (f *fakeGroups) CreateGroup(_ context.Context, name string, ids []crypto.ID) (core.Conversation, error) {
	return core.Conversation{Ref: core.GroupConv("00000000000000aa"), Name: name, Members: ids}, f.rec("CreateGroup %q %v", name, ids)
}
func (f *fakeGroups) AddMembers(_ context.Context, key string, ids []crypto.ID) error {
	return f.rec("AddMembers %s %v", key, ids)
}
func (f *fakeGroups) RemoveMembers(_ context.Context, key string, ids []crypto.ID) error {
	return f.rec("RemoveMembers %s %v", key, ids)
}
func (f *fakeGroups) RenameGroup(_ context.Context, key, name string) error {
	return f.rec("RenameGroup %s %q", key, name)
}
func (f *fakeGroups) SetGroupAdmin(_ context.Context, key string, id crypto.ID, admin bool) error {
	return f.rec("SetGroupAdmin %s %s %v", key, id, admin)
}
func (f *fakeGroups) LeaveGroup(_ context.Context, key string) error {
	return f.rec("LeaveGroup %s", key)
}
func (f *fakeGroups) CreateList(_ context.Context, name string, ids []crypto.ID) (core.Conversation, error) {
	return core.Conversation{Ref: core.ListConv("00000000000000bb"), Name: name}, f.rec("CreateList %q %v", name, ids)
}
func (f *fakeGroups) DeleteList(_ context.Context, id string) error {
	return f.rec("DeleteList %s", id)
}
func (f *fakeGroups) CreatePoll(_ context.Context, ref core.ConvRef, q string, choices []string, multi bool) (core.Message, error) {
	return core.Message{}, f.rec("CreatePoll %s %q %q multi=%v", ref, q, choices, multi)
}
func (f *fakeGroups) Vote(_ context.Context, ref core.ConvRef, poll crypto.MessageID, choices []int) error {
	return f.rec("Vote %s %s %v", ref, poll, choices)
}
func (f *fakeGroups) ClosePoll(_ context.Context, ref core.ConvRef, poll crypto.MessageID) error {
	return f.rec("ClosePoll %s %s", ref, poll)
}
func (f *fakeGroups) React(_ context.Context, ref core.ConvRef, id crypto.MessageID, agree bool) error {
	return f.rec("React %s %s agree=%v", ref, id, agree)
}
func (f *fakeGroups) SendLocation(_ context.Context, ref core.ConvRef, loc crypto.Location) (core.Message, error) {
	return core.Message{}, f.rec("SendLocation %s %v,%v %q", ref, loc.Lat, loc.Lon, loc.Label)
}

func (f *fakeGroups) last(t *testing.T) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("no group call")
	}
	return f.calls[len(f.calls)-1]
}

func groupsDriver(t *testing.T) (*driver, *fakeGroups) {
	t.Helper()
	svc := newFakeService()
	msgs := []core.Message{in(at(15, 10, 0), "first"), out(at(15, 10, 1), "mine", core.StateRead), in(at(15, 10, 2), "newest")}
	for i := range msgs {
		msgs[i].ID = crypto.MessageID{byte(i + 1)}
	}
	svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob", LastAt: at(15, 10, 2)}, msgs...)
	g := &fakeGroups{fakeService: svc}
	d := chatDriver(t, svc, func(o *Options) { o.Service = g })
	d.enter("/open Bob")
	d.wantScreen("newest")
	return d, g
}

func TestGroupCommands(t *testing.T) {
	synctest.Test(t, testGroupCommands)
}

func testGroupCommands(t *testing.T) {
	d, g := groupsDriver(t)
	tests := []struct{ line, want string }{
		{"/group create Climbers " + bob.String(), fmt.Sprintf("CreateGroup %q [%s]", "Climbers", bob)},
		{`/list create "Team leads" ` + bob.String(), fmt.Sprintf("CreateList %q [%s]", "Team leads", bob)},
	}
	for _, tc := range tests {
		d.enter(tc.line)
		if got := g.last(t); got != tc.want {
			t.Errorf("%s: call %q, want %q", tc.line, got, tc.want)
		}
	}
	d.enter("/group create")
	d.wantScreen("name missing")
	d.m.input.Reset() // a refused command stays in the composer
	d.enter("/group create X NOTANID1 x")
	d.wantScreen("not a Parley ID")
}

func TestMessageCommandsActOnNewestOrSelected(t *testing.T) {
	synctest.Test(t, testMessageCommands)
}

func testMessageCommands(t *testing.T) {
	d, g := groupsDriver(t)
	newest, mine, first := crypto.MessageID{3}, crypto.MessageID{2}, crypto.MessageID{1}
	d.enter("/reply sure")
	if got, want := g.last(t), fmt.Sprintf("SendWith %s %q reply-to %s alarm=false", bob, "sure", newest); got != want {
		t.Fatalf("call %q, want %q", got, want)
	}
	d.enter("/edit fixed")
	if got, want := g.last(t), fmt.Sprintf("Edit %s %s %q", bob, mine, "fixed"); got != want {
		t.Fatalf("call %q, want %q", got, want)
	}
	// ↑ in the empty composer selects messages, newest first.
	d.press(tea.KeyUp)
	d.press(tea.KeyUp)
	d.press(tea.KeyUp)
	d.wantScreen("Selected:")
	if !strings.Contains(d.content(), "▶") {
		t.Fatalf("no selection marker:\n%s", d.content())
	}
	d.enter("/agree")
	if got, want := g.last(t), fmt.Sprintf("React %s %s agree=true", bob, first); got != want {
		t.Fatalf("call %q, want %q", got, want)
	}
	// The selection is used once.
	d.enter("/disagree")
	if got, want := g.last(t), fmt.Sprintf("React %s %s agree=false", bob, newest); got != want {
		t.Fatalf("call %q, want %q", got, want)
	}
	d.enter("/alarm fire drill")
	if got, want := g.last(t), fmt.Sprintf("SendWith %s %q alarm=true", bob, "fire drill"); got != want {
		t.Fatalf("call %q, want %q", got, want)
	}
	d.enter(`/poll "Lunch?" "Pizza" "Salad" --multi`)
	if got, want := g.last(t), fmt.Sprintf("CreatePoll %s %q %q multi=true", bob, "Lunch?", []string{"Pizza", "Salad"}); got != want {
		t.Fatalf("call %q, want %q", got, want)
	}
	d.enter("/location 47.3769,8.5417 Zurich HB")
	if got, want := g.last(t), fmt.Sprintf("SendLocation %s 47.3769,8.5417 %q", bob, "Zurich HB"); got != want {
		t.Fatalf("call %q, want %q", got, want)
	}
	d.enter("/location north")
	d.wantScreen("Usage: /location")
	d.m.input.Reset()
	d.enter("/vote 1")
	d.wantScreen("No poll in this chat.")
}

// TestChangeActsOnTheSelectedMessage: with someone else's message
// selected, /edit refuses and changes nothing; /delete asks y/N and
// deletes only here; the user's own message is deleted for everyone only
// after y. A message's ID alone never picks a message of the other
// direction.
func TestChangeActsOnTheSelectedMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, g := groupsDriver(t)
		newest, mine := crypto.MessageID{3}, crypto.MessageID{2}
		calls := func() []string {
			g.mu.Lock()
			defer g.mu.Unlock()
			return slices.Clone(g.calls)
		}
		before := len(calls())
		d.press(tea.KeyUp) // Bob's newest
		d.enter("/edit changed")
		d.wantScreen("You can only edit your own messages.")
		if got := calls()[before:]; len(got) != 0 {
			t.Fatalf("/edit with someone else's message selected called %q", got)
		}
		d.m.input.Reset() // the refused command stayed in the composer

		d.enter("/delete")
		d.wantScreen("Delete Bob's message here only (they and others keep it)? y/N")
		d.typeText("n")
		d.wantScreen("Nothing deleted.")
		if got := calls()[before:]; len(got) != 0 {
			t.Fatalf("/delete answered n called %q", got)
		}
		d.press(tea.KeyUp)
		d.enter("/delete")
		d.typeText("y")
		if got, want := g.last(t), fmt.Sprintf("DeleteHere %s %s false", bob, newest); got != want {
			t.Fatalf("call %q, want %q", got, want)
		}

		d.enter("/delete") // nothing selected: the user's newest own message
		d.wantScreen("Delete your message for everyone? y/N")
		d.typeText("y")
		if got, want := g.last(t), fmt.Sprintf("Delete %s %s", bob, mine); got != want {
			t.Fatalf("call %q, want %q", got, want)
		}
	})
}

// TestPickMatchesDirection: an incoming message with the same ID as one
// of the user's is still the one selected.
func TestPickMatchesDirection(t *testing.T) {
	mine := out(at(15, 10, 1), "mine", core.StateRead)
	theirs := in(at(15, 10, 2), "theirs")
	mine.ID, theirs.ID = crypto.MessageID{9}, crypto.MessageID{9}
	theirs.From = bob
	p := &pick{id: theirs.ID, out: false, from: bob}
	if !p.is(theirs) || p.is(mine) {
		t.Fatal("a pick of an incoming message matches the user's own message with its ID")
	}
}

// TestRetryCommand: /retry sends the newest failed message again through
// the outbox; with a sent message selected it refuses.
func TestRetryCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		failed := out(at(15, 10, 0), "lost", core.StateFailed)
		failed.ID, failed.Error = crypto.MessageID{7}, "relay unreachable"
		sent := out(at(15, 10, 1), "fine", core.StateSent)
		sent.ID = crypto.MessageID{8}
		svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob", LastAt: at(15, 10, 1)}, failed, sent)
		g := &fakeGroups{fakeService: svc}
		d := chatDriver(t, svc, func(o *Options) { o.Service = g })
		d.enter("/open Bob")
		d.wantScreen("✗ not sent: relay unreachable · /retry")
		d.press(tea.KeyUp) // "fine"
		d.enter("/retry")
		d.wantScreen("The selected message is not one of yours that failed")
		d.m.input.Reset()
		d.press(tea.KeyEscape)
		d.enter("/retry")
		if got, want := g.last(t), fmt.Sprintf("Retry %s %s", bob, failed.ID); got != want {
			t.Fatalf("call %q, want %q", got, want)
		}
	})
}
