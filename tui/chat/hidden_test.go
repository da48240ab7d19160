package chat

import (
	"slices"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

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
