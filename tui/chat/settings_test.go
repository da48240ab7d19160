package chat

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/tui/core"
)

func (f *fakeService) Settings(context.Context) (core.Restrictions, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Settings")
	return f.restr, f.settingsErr
}

func (f *fakeService) SetNickname(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SetNickname %q", name)
	return f.nickErr
}

func (f *fakeService) SetQuietHours(_ context.Context, zone, spec string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SetQuietHours %s %q", zone, spec)
	return f.quietErr
}

func (f *fakeService) ClearQuietHours(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ClearQuietHours")
	return f.quietErr
}

// setRestrictions changes what Settings returns.
func (f *fakeService) setRestrictions(r core.Restrictions) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restr = r
}

// announce makes the next Sync report a settings change, as the core does
// when the server publishes one, and delivers the notification.
func (d *driver) announce(r core.Restrictions) {
	d.t.Helper()
	d.svc.setRestrictions(r)
	d.svc.mu.Lock()
	d.svc.syncs = append(d.svc.syncs, core.Changes{Settings: true})
	d.svc.mu.Unlock()
	d.send(SyncMsg{})
}

const (
	readonlyReason = "your organisation manages your profile (policy th_readonly_profile)"
	quietReason    = "your organisation sets your quiet hours"
)

// timers collects what the model asks Options.After for.
type timers struct {
	d   []time.Duration
	msg []tea.Msg
}

func (tm *timers) after(d time.Duration, msg tea.Msg) {
	tm.d = append(tm.d, d)
	tm.msg = append(tm.msg, msg)
}

func TestSettingsReadAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		svc.restr = core.Restrictions{Quiet: true, QuietUntil: time.Now().Add(8 * time.Hour)}
		d := newDriver(t, svc)
		d.enter("correct horse")
		if n := svc.countCalls("Settings"); n != 1 {
			t.Errorf("Settings read %d times at start, want 1", n)
		}
		if got, want := d.statusText(), "quiet until 08:00 ─"; !strings.HasSuffix(got, want) {
			t.Errorf("status line = %q, want it to end with %q", got, want)
		}
	})
}

func TestQuietIndicator(t *testing.T) {
	// The synctest clock starts at midnight UTC, 1 January 2000, a Saturday.
	tests := []struct {
		name string
		r    core.Restrictions
		loc  *time.Location
		none bool // the terminal sent no zone
		want string
	}{
		{name: "not quiet", r: core.Restrictions{NextChange: time.Date(2000, 1, 1, 18, 0, 0, 0, time.UTC)}},
		{name: "until today", r: core.Restrictions{Quiet: true, QuietUntil: time.Date(2000, 1, 1, 8, 0, 0, 0, time.UTC)},
			want: "quiet until 08:00"},
		{name: "in the session's zone", loc: time.FixedZone("CET", 3600),
			r:    core.Restrictions{Quiet: true, QuietUntil: time.Date(2000, 1, 1, 7, 0, 0, 0, time.UTC)},
			want: "quiet until 08:00"},
		{name: "in the schedule's zone when the terminal sent none", none: true,
			r:    core.Restrictions{Quiet: true, QuietUntil: time.Date(2000, 1, 1, 7, 0, 0, 0, time.UTC), QuietZone: "Europe/Zurich"},
			want: "quiet until 08:00 CET"},
		{name: "the terminal's zone over the schedule's", loc: time.FixedZone("JST", 9*3600),
			r:    core.Restrictions{Quiet: true, QuietUntil: time.Date(2000, 1, 1, 13, 0, 0, 0, time.UTC), QuietZone: "Europe/Zurich"},
			want: "quiet until 22:00"},
		{name: "until Monday", r: core.Restrictions{Quiet: true, QuietUntil: time.Date(2000, 1, 3, 8, 0, 0, 0, time.UTC)},
			want: "quiet until Mon 08:00"},
		{name: "weeks away", r: core.Restrictions{Quiet: true, QuietUntil: time.Date(2000, 1, 24, 8, 0, 0, 0, time.UTC)},
			want: "quiet until 24 Jan 08:00"},
		{name: "no end", r: core.Restrictions{Quiet: true}, want: "quiet hours"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats(), func(o *Options) {
					if tc.loc != nil || tc.none {
						o.Location = tc.loc
					}
				})
				d.announce(tc.r)
				got := d.statusText()
				if tc.want == "" {
					if strings.Trim(got, "─") != "" {
						t.Errorf("status line = %q, want a plain rule", got)
					}
					return
				}
				if want := tc.want + " ─"; !strings.HasSuffix(got, want) {
					t.Errorf("status line = %q, want it to end with %q", got, want)
				}
			})
		})
	}
}

func TestQuietIndicatorKeepsErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.announce(core.Restrictions{Quiet: true, QuietUntil: time.Now().Add(time.Hour)})
		d.enter("/bogus")
		got := d.statusText()
		if !strings.HasPrefix(got, "Unknown command /bogus") || !strings.HasSuffix(got, "quiet until 01:00 ─") {
			t.Errorf("status line = %q, want the error and the indicator", got)
		}
		// A narrow window keeps the error and drops the indicator.
		d.send(tea.WindowSizeMsg{Width: 30, Height: 10})
		if got := d.statusText(); !strings.HasPrefix(got, "Unknown command") || strings.Contains(got, "quiet") {
			t.Errorf("status line at 30 columns = %q, want the error alone", got)
		}
	})
}

func TestBellDuringQuietHours(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		t.Run(map[bool]string{false: "outside", true: "during"}[quiet], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats())
				d.announce(core.Restrictions{Quiet: quiet})
				d.svc.syncs = []core.Changes{{Reload: true, Incoming: []core.Message{{Conv: core.Direct(carol), Text: "new"}}}}
				d.raw = nil
				d.send(SyncMsg{})
				var want []string
				if !quiet {
					want = []string{"\a"}
				}
				if diff := cmp.Diff(want, d.raw); diff != "" {
					t.Errorf("printed (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestSettingsFollowTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tm timers
		svc := threeChats()
		start := time.Now()
		svc.restr = core.Restrictions{Quiet: true, QuietUntil: start.Add(8 * time.Hour), NextChange: start.Add(8 * time.Hour)}
		d := chatDriver(t, svc, func(o *Options) { o.After = tm.after })
		if len(tm.d) != 1 || tm.d[0] != 8*time.Hour {
			t.Fatalf("timers = %v, want one in 8h", tm.d)
		}
		svc.setRestrictions(core.Restrictions{NextChange: start.Add(18 * time.Hour)})
		time.Sleep(8 * time.Hour) // the fake clock: the schedule turns
		d.svc.takeCalls()
		d.send(tm.msg[0])
		d.wantCalls("Settings")
		if strings.Contains(d.statusText(), "quiet") {
			t.Errorf("status line = %q after quiet hours ended", d.statusText())
		}
		if got := tm.d[len(tm.d)-1]; got != 10*time.Hour {
			t.Errorf("next timer in %v, want 10h", got)
		}
		// A timer from an earlier reading does nothing.
		d.send(tm.msg[0])
		d.wantCalls()
	})
}

func TestSettingsWithoutAfterUseTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		svc.restr = core.Restrictions{Quiet: true, QuietUntil: time.Now().Add(time.Hour), NextChange: time.Now().Add(time.Hour)}
		d := chatDriver(t, svc)
		svc.setRestrictions(core.Restrictions{})
		svc.takeCalls()
		d.fire()
		d.wantCalls("Settings")
		if strings.Contains(d.statusText(), "quiet") {
			t.Errorf("status line = %q after quiet hours ended", d.statusText())
		}
	})
}

func TestSettingsLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.announce(core.Restrictions{Forbidden: map[string]string{core.FeatureEditProfile: readonlyReason}})
		d.enter("/nick Ally")
		if got, want := d.statusText(), "/nick: "+readonlyReason+"."; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
		if n := d.svc.countCalls("SetNickname"); n != 0 {
			t.Errorf("SetNickname called %d times for a forbidden /nick", n)
		}
		if got, want := d.m.input.Value(), "/nick Ally"; got != want {
			t.Errorf("composer = %q, want %q kept", got, want)
		}
		// The policy is lifted: the same session may now.
		d.announce(core.Restrictions{})
		d.svc.takeCalls()
		d.m.input.Reset()
		d.enter("/nick Ally")
		d.wantCalls(`SetNickname "Ally"`, "Settings")
		if got, want := d.statusText(), "Your nickname is now Ally."; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
	})
}

func TestNickRefusedByTheService(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		svc.nickErr = errors.New("your organisation manages your profile\x1b[2J")
		d := chatDriver(t, svc)
		d.enter("/nick Ally")
		if got, want := d.statusText(), "Nickname not changed: your organisation manages your profile\ufffd[2J"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
		d.enter("/nick")
		if got, want := d.statusText(), "Usage: /nick <name>"; got != want {
			t.Errorf("status = %q, want %q", got, want)
		}
	})
}

func TestQuietCommand(t *testing.T) {
	zurich := time.FixedZone("", 0) // no name: falls back to UTC
	tests := []struct {
		line string
		loc  *time.Location
		call string
		info string
	}{
		{line: "/quiet Mon-Fri 18:00-08:00 tz Europe/Zurich", call: `SetQuietHours Europe/Zurich "Mon-Fri 18:00-08:00"`,
			info: "Quiet hours set: Mon-Fri 18:00-08:00 (Europe/Zurich)."},
		{line: "/quiet Mon-Fri 18:00-08:00; Sat,Sun all-day --tz Europe/Zurich",
			call: `SetQuietHours Europe/Zurich "Mon-Fri 18:00-08:00; Sat,Sun all-day"`},
		{line: "/quiet Sat all-day --tz=Asia/Tokyo", call: `SetQuietHours Asia/Tokyo "Sat all-day"`},
		{line: "/quiet Sat all-day", call: `SetQuietHours UTC "Sat all-day"`},
		{line: "/quiet Sat all-day", loc: zurich, call: `SetQuietHours UTC "Sat all-day"`},
		{line: "/quiet Sat all-day", loc: mustZone(t, "America/New_York"), call: `SetQuietHours America/New_York "Sat all-day"`},
		{line: "/quiet off", call: "ClearQuietHours", info: "Your own quiet hours are removed."},
		{line: "/quiet OFF", call: "ClearQuietHours"},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := chatDriver(t, threeChats(), func(o *Options) {
					if tc.loc != nil {
						o.Location = tc.loc
					}
				})
				d.enter(tc.line)
				d.wantCalls(tc.call, "Settings")
				if tc.info != "" && d.statusText() != tc.info {
					t.Errorf("status = %q, want %q", d.statusText(), tc.info)
				}
			})
		})
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("zone data is required in CI: %v", err)
		}
		t.Skipf("no zone data: %v", err)
	}
	return loc
}

func TestQuietCommandErrors(t *testing.T) {
	tests := []struct {
		name, line string
		r          core.Restrictions
		svcErr     error
		want       string
	}{
		{name: "forbidden", line: "/quiet Sat all-day",
			r:    core.Restrictions{Forbidden: map[string]string{core.FeatureOwnQuietHours: quietReason}},
			want: "/quiet: " + quietReason + "."},
		{name: "forbidden off", line: "/quiet off",
			r:    core.Restrictions{Forbidden: map[string]string{core.FeatureOwnQuietHours: quietReason}},
			want: "/quiet: " + quietReason + "."},
		{name: "zone missing", line: "/quiet Sat all-day tz", want: quietUsage},
		{name: "spec missing", line: "/quiet tz UTC", want: quietUsage},
		{name: "refused", line: "/quiet Sat 25:00-26:00", svcErr: errors.New(`bad time "25:00"`),
			want: `Quiet hours not set: bad time "25:00"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := threeChats()
				svc.restr, svc.quietErr = tc.r, tc.svcErr
				d := chatDriver(t, svc)
				d.enter(tc.line)
				if got := d.statusText(); got != tc.want {
					t.Errorf("status = %q, want %q", got, tc.want)
				}
			})
		})
	}
}

func TestQuietSummary(t *testing.T) {
	tests := []struct {
		r    core.Restrictions
		want string
	}{
		{want: "No quiet hours."},
		{r: core.Restrictions{QuietSchedule: "Mon-Fri 18:00-08:00 (Europe/Zurich)"},
			want: "Quiet hours (your organisation's): Mon-Fri 18:00-08:00 (Europe/Zurich)."},
		{r: core.Restrictions{QuietSchedule: "Sat,Sun all-day (UTC)", QuietOwn: true},
			want: "Quiet hours (your own): Sat,Sun all-day (UTC)."},
	}
	for _, tc := range tests {
		synctest.Test(t, func(t *testing.T) {
			svc := threeChats()
			svc.restr = tc.r
			d := chatDriver(t, svc)
			d.enter("/quiet")
			d.wantCalls()
			if got := d.statusText(); got != tc.want {
				t.Errorf("status = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHelpGreysForbidden(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := chatDriver(t, threeChats())
		d.announce(core.Restrictions{Forbidden: map[string]string{core.FeatureEditProfile: readonlyReason}})
		d.send(tea.WindowSizeMsg{Width: 140, Height: 40})
		d.enter("/help")
		lines := strings.Split(d.content(), "\n")
		var nick, msg, reason string
		for i, l := range lines {
			switch {
			case strings.Contains(l, "/nick <name>"):
				nick, reason = l, lines[i+1]
			case strings.Contains(l, "/msg <ID|name>"):
				msg = l
			}
		}
		muted := d.m.th.Muted.Render(" " + commands()[2].line())
		if !strings.Contains(nick, muted) {
			t.Errorf("/nick help line %q, want it muted", nick)
		}
		if strings.Contains(msg, d.m.th.Muted.Render(" "+commands()[0].line())) {
			t.Errorf("/msg help line %q is muted, want it plain", msg)
		}
		if !strings.Contains(reason, "not available: "+readonlyReason) {
			t.Errorf("line under /nick = %q, want the reason", reason)
		}
		// The help follows a change live.
		d.announce(core.Restrictions{})
		d.wantNotScreen("not available")
	})
}

// TestSettingsReadError: the last good restrictions stay.
func TestSettingsReadError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		svc.restr = core.Restrictions{Quiet: true}
		d := chatDriver(t, svc)
		svc.mu.Lock()
		svc.settingsErr = errors.New("store closed")
		svc.mu.Unlock()
		d.announce(core.Restrictions{})
		if got, want := d.statusText(), "Could not read your settings: store closed"; !strings.HasPrefix(got, want) {
			t.Errorf("status = %q, want %q", got, want)
		}
		if !d.m.restr.Quiet {
			t.Error("a failed reading dropped the restrictions")
		}
		d.svc.syncs = []core.Changes{{Incoming: []core.Message{{Conv: core.Direct(bob), Text: "x"}}}}
		d.raw = nil
		d.send(SyncMsg{})
		if len(d.raw) != 0 {
			t.Errorf("printed %q during quiet hours", d.raw)
		}
	})
}

// TestNoBellBeforeSettings: the catch-up at the start may race the first
// reading of the settings; it rings only once quiet hours are known.
func TestNoBellBeforeSettings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := threeChats()
		svc.syncs = []core.Changes{{Reload: true, Incoming: []core.Message{{Conv: core.Direct(bob), Text: "while away"}}}}
		d := newDriver(t, svc)
		d.typeText("correct horse")
		msgs := d.exec(d.update(tea.KeyPressMsg{Code: tea.KeyEnter})) // unlocked
		msgs = d.exec(d.update(msgs[0]))                              // started
		started := d.update(msgs[0])
		// The sync answers before the settings.
		var rest []tea.Msg
		for _, msg := range d.exec(started) {
			if _, ok := msg.(settingsMsg); ok {
				rest = append(rest, msg)
				continue
			}
			d.settle(d.update(msg))
		}
		if len(d.raw) != 0 {
			t.Errorf("printed %q before the settings were read", d.raw)
		}
		for _, msg := range rest {
			d.send(msg)
		}
		if !d.m.restrRead {
			t.Fatal("settings not read")
		}
	})
}
