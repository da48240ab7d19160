package quiet

import (
	"testing"
	"time"
)

// fixed is a Wednesday.
var fixed = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC) //nolint:gochecknoglobals // a constant instant for tests

func mustParse(t testing.TB, zone, spec string) Schedule {
	t.Helper()
	s, err := Parse(zone, spec)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", zone, spec, err)
	}
	return s
}

func at(t testing.TB, zone, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestQuiet(t *testing.T) {
	s := mustParse(t, "Europe/Zurich", "Mon-Fri 22:00-06:00; Sat,Sun all-day")
	tests := []struct {
		wall string // Europe/Zurich
		want bool
	}{
		{"2026-03-02 21:59", false}, // Monday
		{"2026-03-02 22:00", true},
		{"2026-03-03 05:59", true}, // Tuesday
		{"2026-03-03 06:00", false},
		{"2026-03-06 23:00", true}, // Friday
		{"2026-03-07 05:00", true}, // Saturday: all-day anyway
		{"2026-03-08 23:59", true}, // Sunday
		{"2026-03-09 00:00", false},
		{"2026-03-09 00:30", false}, // Monday morning: Sunday's range does not cross
	}
	for _, tt := range tests {
		if got := s.Quiet(at(t, "Europe/Zurich", tt.wall)); got != tt.want {
			t.Errorf("Quiet(%s) = %v, want %v", tt.wall, got, tt.want)
		}
	}
}

func TestDST(t *testing.T) {
	// Europe/Zurich: 2026-03-29 02:00 → 03:00 (spring forward), 2026-10-25
	// 03:00 → 02:00 (fall back). Both Sundays.
	zurich, _ := time.LoadLocation("Europe/Zurich")
	spring := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC) // 03:00 CEST
	fall := time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)  // the second 02:00 CET

	skipped := mustParse(t, "Europe/Zurich", "Sun 02:00-03:00")
	for m := -120; m < 120; m++ {
		if u := spring.Add(time.Duration(m) * time.Minute); skipped.Quiet(u) {
			t.Fatalf("Quiet(%s): the skipped hour is quiet", u.In(zurich))
		}
	}
	if got, ok := skipped.NextChange(spring.Add(-2 * time.Hour)); !ok || !got.After(spring.Add(6*24*time.Hour)) {
		t.Errorf("NextChange before a skipped range = %s, %v; want next week's", got, ok)
	}

	shifted := mustParse(t, "Europe/Zurich", "Sun 02:30-04:00")
	got, ok := shifted.NextChange(spring.Add(-time.Hour))
	if want := spring; !ok || !got.Equal(want) {
		t.Errorf("NextChange into a range that starts in the skipped hour = %s, want %s (03:00 CEST)", got, want.In(zurich))
	}

	repeated := mustParse(t, "Europe/Zurich", "Sun 02:00-03:00")
	first := fall.Add(-time.Hour) // the first 02:00, CEST
	if !repeated.Quiet(first.Add(30*time.Minute)) || !repeated.Quiet(fall.Add(30*time.Minute)) {
		t.Error("the repeated hour is not quiet both times")
	}
	got, ok = repeated.NextChange(first.Add(-time.Minute))
	if !ok || !got.Equal(first) {
		t.Errorf("NextChange = %s, want %s", got, first)
	}
	got, ok = repeated.NextChange(first)
	if want := fall.Add(time.Hour); !ok || !got.Equal(want) {
		t.Errorf("NextChange in the repeated hour = %s, want %s (two hours later)", got, want.In(zurich))
	}
}

func TestNextChange(t *testing.T) {
	s := mustParse(t, "America/New_York", "Mon-Fri 18:00-08:00; Sat,Sun all-day")
	from := at(t, "America/New_York", "2026-03-06 12:00") // Friday noon
	want := []Change{
		{at(t, "America/New_York", "2026-03-06 18:00"), true},
		// Sunday's all-day ends at midnight; Friday's 18:00-08:00 reaches
		// into Saturday, but nothing into Monday morning.
		{at(t, "America/New_York", "2026-03-09 00:00"), false},
		{at(t, "America/New_York", "2026-03-09 18:00"), true},
	}
	got := s.Changes(from, 3)
	if len(got) != len(want) {
		t.Fatalf("Changes = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].Quiet != want[i].Quiet {
			t.Errorf("Changes[%d] = %v, want %v", i, got[i], want[i])
		}
		if got[i].At.Location().String() != "America/New_York" {
			t.Errorf("Changes[%d] in %s, want the schedule's zone", i, got[i].At.Location())
		}
	}

	always := mustParse(t, "UTC", "Mon-Sun all-day")
	if _, ok := always.NextChange(fixed); ok || !always.Quiet(fixed) {
		t.Error("a schedule quiet all week changes")
	}
	// Adjacent ranges are one: no change at midnight.
	joined := mustParse(t, "UTC", "Mon 22:00-24:00; Tue 00:00-06:00; Sun 23:00-24:00; Mon 00:00-01:00")
	got = joined.Changes(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), 4) // Sunday
	wantAt := []string{"2026-03-01 23:00", "2026-03-02 01:00", "2026-03-02 22:00", "2026-03-03 06:00"}
	for i, w := range wantAt {
		if i >= len(got) || !got[i].At.Equal(at(t, "UTC", w)) {
			t.Errorf("Changes = %v, want at %v", got, wantAt)
			break
		}
	}
	var zero Schedule
	if _, ok := zero.NextChange(fixed); ok || zero.Quiet(fixed) || zero.Changes(fixed, 3) != nil {
		t.Error("the zero schedule is quiet or changes")
	}
}

func TestNextChangeYearEnd(t *testing.T) {
	// Time.ZoneBounds reports a wrong period end on the last day of leap
	// years past the zone's explicit transitions (golang/go#81583); a
	// search built on it never ended here.
	s := mustParse(t, "Europe/Zurich", "Sat 01:20-01:19; Sun 01:19-01:18; Mon 01:18-03:24")
	from := at(t, "Europe/Zurich", "2040-12-31 00:44")
	got, ok := s.NextChange(from)
	if want := at(t, "Europe/Zurich", "2040-12-31 03:24"); !ok || !got.Equal(want) {
		t.Errorf("NextChange(%s) = %s, %v; want %s", from, got, ok, want)
	}
}

func TestNextChangeSkippedDay(t *testing.T) {
	// Samoa skipped Friday 2011-12-30: from Thursday 23:59:59 to Saturday 00:00.
	s := mustParse(t, "Pacific/Apia", "Fri all-day")
	from := at(t, "Pacific/Apia", "2011-12-29 12:00")
	got, ok := s.NextChange(from)
	if want := at(t, "Pacific/Apia", "2012-01-06 00:00"); !ok || !got.Equal(want) {
		t.Errorf("NextChange(%s) = %s, %v; want %s (the skipped Friday is never quiet)", from, got, ok, want)
	}
}
