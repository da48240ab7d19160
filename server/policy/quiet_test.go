package policy_test

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
)

// zurich returns a wall-clock time in Europe/Zurich.
func zurich(t *testing.T, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// withValues builds effective values from a source and key=value pairs.
func withValues(src policy.Source, kv ...string) policy.Values {
	v := policy.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v[kv[i]] = policy.Value{Key: kv[i], Raw: kv[i+1], Source: src}
	}
	return v
}

const evenings = "Europe/Zurich Mon-Fri 18:00-08:00; Sat,Sun all-day"

func TestQuietNow(t *testing.T) {
	v := withValues(policy.SourceGlobal, policy.QuietHours, evenings)
	tests := []struct {
		wall      string
		quiet     bool
		untilWall string
	}{
		{"2026-03-04 12:00", false, ""},                // Wednesday noon
		{"2026-03-04 19:00", true, "2026-03-05 08:00"}, // Wednesday evening
		{"2026-03-06 19:00", true, "2026-03-09 00:00"}, // Friday evening: through the weekend
	}
	for _, tt := range tests {
		q, until := policy.QuietNow(v, zurich(t, tt.wall))
		if q != tt.quiet {
			t.Errorf("QuietNow(%s) = %v, want %v", tt.wall, q, tt.quiet)
		}
		if tt.untilWall == "" {
			if !until.IsZero() {
				t.Errorf("QuietNow(%s) until = %s, want zero", tt.wall, until)
			}
		} else if want := zurich(t, tt.untilWall); !until.Equal(want) {
			t.Errorf("QuietNow(%s) until = %s, want %s", tt.wall, until, want)
		}
	}
	if q, until := policy.QuietNow(policy.Values{}, zurich(t, "2026-03-04 19:00")); q || !until.IsZero() {
		t.Errorf("QuietNow without a schedule = %v, %s; want false", q, until)
	}
	always := withValues(policy.SourceGlobal, policy.QuietHours, "UTC Mon-Sun all-day")
	if q, until := policy.QuietNow(always, zurich(t, "2026-03-04 19:00")); !q || !until.IsZero() {
		t.Errorf("QuietNow quiet all week = %v, %s; want true and no end", q, until)
	}
	broken := withValues(policy.SourceGlobal, policy.QuietHours, "Nowhere/City Mon all-day")
	if q, _ := policy.QuietNow(broken, zurich(t, "2026-03-02 12:00")); q {
		t.Error("a schedule that does not parse is quiet")
	}
}

func TestDecideNotify(t *testing.T) {
	v := withValues(policy.SourceGlobal, policy.QuietHours, evenings)
	quietTime, loud := zurich(t, "2026-03-04 19:00"), zurich(t, "2026-03-04 12:00")
	tests := []struct {
		now   time.Time
		alarm bool
		want  bool
	}{
		{loud, false, true},
		{loud, true, true},
		{quietTime, false, false},
		{quietTime, true, true}, // alarms go through
	}
	for _, tt := range tests {
		if got := policy.DecideNotify(v, tt.alarm, tt.now); got != tt.want {
			t.Errorf("DecideNotify(alarm %v, %s) = %v, want %v", tt.alarm, tt.now, got, tt.want)
		}
	}
}

// TestQuietPerUserWins: a user's own schedule replaces the tenant's for
// them, and only for them.
func TestQuietPerUserWins(t *testing.T) {
	f := newFixture(t)
	if _, _, err := f.set(t, "t-acme", crypto.ID{}, policy.QuietHours, evenings); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.set(t, "t-acme", f.ada, policy.QuietHours, "Europe/Zurich Mon-Fri 12:00-13:00"); err != nil {
		t.Fatal(err)
	}
	lunch, evening := zurich(t, "2026-03-04 12:30"), zurich(t, "2026-03-04 19:00")
	ada, bob := f.effective(t, "t-acme", f.ada), f.effective(t, "t-acme", f.bob)
	if got := ada[policy.QuietHours].Source; got != policy.SourceIndividual {
		t.Errorf("Ada's schedule source = %s, want individual", got)
	}
	for _, tt := range []struct {
		who  string
		v    policy.Values
		at   time.Time
		want bool
	}{
		{"ada", ada, lunch, true},
		{"ada", ada, evening, false},
		{"bob", bob, lunch, false},
		{"bob", bob, evening, true},
	} {
		if got, _ := policy.QuietNow(tt.v, tt.at); got != tt.want {
			t.Errorf("QuietNow(%s, %s) = %v, want %v", tt.who, tt.at, got, tt.want)
		}
		if d := policy.DecideCall(tt.v, policy.CallAudio, tt.at); d.Accept == tt.want {
			t.Errorf("DecideCall(%s, %s) = %+v, want accept %v", tt.who, tt.at, d, !tt.want)
		}
	}
}
