package chat

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// typingFake is a fakeService with the core's typing features: it records
// Typing and Presence calls and answers presence from states.
type typingFake struct {
	*fakeService
	states map[crypto.ID]core.PresenceState
}

func (f *typingFake) Typing(_ context.Context, ref core.ConvRef, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Typing %s %v", ref.Peer, on)
	return nil
}

func (f *typingFake) Presence(_ context.Context, id crypto.ID) (core.Presence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Presence %s", id)
	return core.Presence{State: f.states[id]}, nil
}

// typingDriver drives a chat whose timers go to tm (a tea.Tick would let
// the bubble's clock run past what it waits for).
func typingDriver(t *testing.T) (*driver, *typingFake, *timers) {
	t.Helper()
	svc := &typingFake{fakeService: threeChats(), states: map[crypto.ID]core.PresenceState{}}
	tm := &timers{}
	d := chatDriver(t, svc.fakeService, func(o *Options) { o.Service, o.After = svc, tm.after })
	return d, svc, tm
}

// fireTimers delivers what went to tm, of the kind T, and forgets them.
func fireTimers[T tea.Msg](d *driver, tm *timers) {
	d.t.Helper()
	msgs := tm.msg
	tm.d, tm.msg = nil, nil
	for _, msg := range msgs {
		if _, ok := msg.(T); ok {
			d.send(msg)
		}
	}
}

// TestTypingToldToCore: text in a 1:1 composer tells the core the user
// types; a command does not; emptying the composer, sending or leaving the
// conversation tells it they stopped.
func TestTypingToldToCore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, svc, _ := typingDriver(t)
		d.enter("/open Bob")
		svc.takeCalls()

		d.typeText("he")
		if n := svc.countCalls("Typing BOB00001 true"); n != 2 {
			t.Errorf("typing two letters told the core %d times, want 2 (it throttles, not the chat)", n)
		}
		d.press(tea.KeyBackspace)
		d.press(tea.KeyBackspace)
		if n := svc.countCalls("Typing BOB00001 false"); n != 1 {
			t.Errorf("emptying the composer told the core it stopped %d times, want 1", n)
		}
		svc.takeCalls()

		d.typeText("/hel")
		if n := svc.countCalls("Typing"); n != 0 {
			t.Errorf("typing a command told the core %d times, want none", n)
		}
		for range 4 {
			d.press(tea.KeyBackspace)
		}

		d.typeText("hi")
		svc.takeCalls()
		d.press(tea.KeyEnter)
		if n := svc.countCalls("Typing BOB00001 false"); n != 1 {
			t.Errorf("sending told the core it stopped %d times, want 1", n)
		}

		d.typeText("x")
		svc.takeCalls()
		d.enter("/open Carol")
		if n := svc.countCalls("Typing BOB00001 false"); n != 1 {
			t.Errorf("leaving with text in the composer told the core it stopped %d times, want 1", n)
		}
		if n := svc.countCalls("Typing CAROL002"); n != 0 {
			t.Errorf("the draft taken along counts as typing to Carol (%d calls)", n)
		}
	})
}

// TestTypingShownAndExpires: a peer's typing shows in the title of their
// open conversation, not another's, and goes once its time is up.
func TestTypingShownAndExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, svc, tm := typingDriver(t)
		d.enter("/open Bob")
		svc.mu.Lock()
		svc.syncs = []core.Changes{{Typing: map[crypto.ID]time.Time{bob: time.Now().Add(6 * time.Second)}}}
		svc.mu.Unlock()
		d.send(SyncMsg{})
		d.wantScreen("Bob Builder · typing… · BOB00001")

		d.enter("/open Dave")
		d.wantNotScreen("typing…")
		d.enter("/open Bob")
		d.wantScreen("Bob Builder · typing… · BOB00001")

		time.Sleep(7 * time.Second)
		fireTimers[typingTimerMsg](d, tm)
		d.wantNotScreen("typing…")
	})
}

// TestPresenceMark: the open 1:1 conversation's title shows the peer's
// presence, read when it opens; a group's shows none.
func TestPresenceMark(t *testing.T) {
	for _, tc := range []struct {
		state core.PresenceState
		mark  string
	}{
		{core.PresenceOnline, "Bob Builder ●"},
		{core.PresenceAway, "Bob Builder ○"},
		{core.PresenceQuiet, "Bob Builder ☾"},
	} {
		synctest.Test(t, func(t *testing.T) {
			d, svc, _ := typingDriver(t)
			svc.states[bob] = tc.state
			d.enter("/open Bob")
			if n := svc.countCalls("Presence BOB00001"); n != 1 {
				t.Errorf("opening read the presence %d times, want 1", n)
			}
			d.wantScreen(tc.mark)
		})
	}

	synctest.Test(t, func(t *testing.T) {
		d, svc, tm := typingDriver(t)
		d.enter("/open Bob")
		d.wantNotScreen("Bob Builder ●") // unknown: no mark
		svc.states[bob] = core.PresenceOnline
		svc.takeCalls()
		time.Sleep(presenceEvery)
		fireTimers[presenceTimerMsg](d, tm)
		if n := svc.countCalls("Presence BOB00001"); n != 1 {
			t.Errorf("the presence was read %d times after %v, want 1", n, presenceEvery)
		}
		d.wantScreen("Bob Builder ●")
	})
}
