package chat

import (
	"bytes"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/parley-chat/parley/tui/core"
)

// localScreens drives the model to the local features' golden screens, at
// 80x24: the contact list, the verify screen with its QR code, search
// results, and the conversation in the light theme.
func localScreens(t *testing.T) map[string]string {
	t.Helper()
	screens := map[string]string{}
	synctest.Test(t, func(t *testing.T) {
		f := newVFake(conversationService())
		f.contactList = []core.ContactEntry{
			{ID: bob, Name: "Bob Builder", Trust: core.TrustDirectory},
			{ID: carol, Name: "Carol", Trust: core.TrustVerified, Verified: true},
			{ID: dave, Name: "Dave with a very long name indeed", Trust: core.TrustInternal},
			{ID: mustID("ERIN0004"), Name: "~erin", Trust: core.TrustUnverified},
			{ID: mustID("FRANK005"), Name: "Frank", Trust: core.TrustUnverified, KeyChanged: true},
		}
		f.results = []core.Message{
			{Conv: core.Direct(bob), From: bob, Time: at(15, 11, 30), Text: "That was a great session. Next time let's warm up on the overhang route on the north wall"},
			{Conv: core.Direct(bob), From: f.me.ID, Outgoing: true, Time: at(15, 9, 1), Text: "No problem, I'll warm up."},
			{Conv: core.Direct(carol), From: carol, Time: at(14, 8, 0), Text: "Shall we warm up together before the session?"},
		}
		d := vChatDriver(t, f, func(o *Options) { o.Tenant = "Acme Climbing" })
		d.run("/contacts")
		screens["contacts"] = d.content()
		d.run("/verify bob")
		screens["verify"] = d.content()
		d.run("/search warm up")
		screens["search"] = d.content()
		d.press(tea.KeyEscape)
		d.run("/theme light")
		d.press('n', tea.ModCtrl) // open Bob
		screens["conversation_light"] = d.content()
	})
	return screens
}

func TestGoldenLocal(t *testing.T) {
	screens := localScreens(t)
	for _, name := range []string{"contacts", "verify", "search"} {
		t.Run(name, func(t *testing.T) {
			content, ok := screens[name]
			if !ok {
				t.Fatalf("no screen %q", name)
			}
			golden(t, name+".golden", ansi.Strip(content))
		})
	}
	t.Run("conversation_light", func(t *testing.T) {
		content := screens["conversation_light"]
		if !strings.Contains(ansi.Strip(content), "Bob Builder") {
			t.Fatalf("Bob's conversation is not open:\n%s", ansi.Strip(content))
		}
		// The colours are the point: pin the profile as the dark golden does.
		var buf bytes.Buffer
		w := colorprofile.Writer{Forward: &buf, Profile: colorprofile.ANSI256}
		if _, err := w.WriteString(content); err != nil {
			t.Fatal(err)
		}
		golden(t, "conversation_light_ansi256.golden", buf.String())
	})
}
