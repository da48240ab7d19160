package chat

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/tui/core"
)

var update = flag.Bool("update", false, "rewrite golden files")

// conversationService has a conversation with Bob over two days, with
// outgoing messages in every state, and unread messages elsewhere.
func conversationService() *fakeService {
	svc := newFakeService()
	svc.addConv(core.Conversation{Ref: core.Direct(bob), Name: "Bob Builder", LastAt: at(15, 11, 46)},
		in(at(14, 18, 2), "Are we still on for the climb tomorrow?"),
		out(at(14, 18, 5), "Yes! 9am at the gym.", core.StateRead),
		in(at(15, 8, 55), "Running 10 minutes late, sorry."),
		in(at(15, 8, 56), "Traffic is awful."),
		out(at(15, 9, 1), "No problem, I'll warm up.", core.StateDelivered),
		out(at(15, 9, 2), "Bring the spare harness please.", core.StateSent),
		in(at(15, 11, 30), "That was a great session. Next time let's try the overhang route on the north wall; "+
			"I think we're both ready for it, and the new holds they put up last week look fun."),
		core.Message{Outgoing: true, Time: at(15, 11, 45), Text: "Deal!", State: core.StateFailed, Error: "relay unreachable"},
		out(at(15, 11, 46), "Deal! (again)", core.StatePending),
	)
	svc.addConv(core.Conversation{Ref: core.Direct(carol), Name: "Carol", LastAt: at(15, 9, 0), Unread: 2},
		in(at(15, 8, 0), "are you there?"),
		in(at(15, 9, 0), "ping"))
	svc.addConv(core.Conversation{Ref: core.Direct(dave), Name: "Dave with a very long name indeed", LastAt: at(14, 9, 0), Unread: 12},
		in(at(14, 9, 0), "see you tomorrow"))
	svc.addConv(core.Conversation{Ref: core.Direct(mustID("ERIN0004")), LastAt: at(13, 9, 0)})
	return svc
}

// goldenScreens drives the model to each golden screen, at 80x24.
func goldenScreens(t *testing.T) map[string]string {
	t.Helper()
	screens := map[string]string{}
	synctest.Test(t, func(t *testing.T) {
		svc := newFakeService()
		svc.unlockErrs = []error{core.ErrWrongPassphrase}
		d := newDriver(t, svc, func(o *Options) { o.Tenant = "Acme Climbing" })
		screens["locked"] = d.content()
		d.enter("wrong")
		screens["locked_wrong"] = d.content()

		d = chatDriver(t, conversationService(), func(o *Options) { o.Tenant = "Acme Climbing" })
		screens["welcome"] = d.content()
		d.press('n', tea.ModCtrl)
		d.typeText("see you")
		screens["conversation"] = d.content()
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) // clear the composer
		d.enter("/help")
		screens["help"] = d.content()
		d.press(tea.KeyEscape)
		d.press(tea.KeyTab)
		d.press(tea.KeyDown)
		screens["list_focused"] = d.content()

		// Policies forbid /nick and /quiet, and quiet hours are on: the
		// help greys them with the reason, the status line says until when.
		d = chatDriver(t, conversationService(), func(o *Options) { o.Tenant = "Acme Climbing" })
		d.announce(core.Restrictions{
			Forbidden: map[string]string{
				core.FeatureEditProfile:   "your organisation manages your profile (policy th_readonly_profile)",
				core.FeatureOwnQuietHours: "your organisation sets your quiet hours (policy parley_user_quiet_hours)",
			},
			Quiet: true, QuietUntil: time.Date(2000, 1, 1, 8, 0, 0, 0, time.UTC),
			QuietSchedule: "Mon-Fri 18:00-08:00; Sat,Sun all-day (UTC)",
		})
		d.enter("/help")
		screens["help_restricted"] = d.content()
	})
	return screens
}

func TestGolden(t *testing.T) {
	screens := goldenScreens(t)
	for _, name := range []string{"locked", "locked_wrong", "welcome", "conversation", "help", "list_focused", "help_restricted"} {
		t.Run(name, func(t *testing.T) {
			content, ok := screens[name]
			if !ok {
				t.Fatalf("no screen %q", name)
			}
			golden(t, name+".golden", ansi.Strip(content))
		})
	}
	t.Run("conversation_ansi256", func(t *testing.T) {
		// View returns truecolor styling; a program downsamples it to the
		// terminal's profile. Pin the profile so the golden is stable.
		var buf bytes.Buffer
		w := colorprofile.Writer{Forward: &buf, Profile: colorprofile.ANSI256}
		if _, err := w.WriteString(screens["conversation"]); err != nil {
			t.Fatal(err)
		}
		golden(t, "conversation_ansi256.golden", buf.String())
	})
}

// TestGoldenUnlockSmall pins the compact unlock dialog of small windows,
// after a wrong passphrase: it fits, and the error shows.
func TestGoldenUnlockSmall(t *testing.T) {
	for _, size := range [][2]int{{30, 8}, {40, 10}} {
		w, h := size[0], size[1]
		name := fmt.Sprintf("locked_wrong_%dx%d", w, h)
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := newFakeService()
				svc.unlockErrs = []error{core.ErrWrongPassphrase}
				d := newDriver(t, svc)
				d.send(tea.WindowSizeMsg{Width: w, Height: h})
				d.enter("wrong")
				golden(t, name+".golden", d.plain())
			})
		})
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	// End every line visibly, so trailing spaces show in diffs and editors keep them.
	got = strings.ReplaceAll(got, "\n", "|\n") + "|\n"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got), run go test -update if the change is intended:\n%s", path, diff)
	}
}
