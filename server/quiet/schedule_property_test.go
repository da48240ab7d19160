package quiet

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The property tests compare Schedule with a reference written as plainly
// as possible: the wall clock's weekday and minute against every range,
// and NextChange against stepping minute by minute in UTC.

// refRange is one range as the reference sees it: on day (0 Monday) from
// start to end, minutes of the day; end <= start crosses midnight.
type refRange struct{ day, start, end int }

// refQuiet reports whether t is quiet under the ranges in loc.
func refQuiet(rs []refRange, loc *time.Location, t time.Time) bool {
	lt := t.In(loc)
	day := (int(lt.Weekday()) + 6) % 7 // Monday is 0
	minute := lt.Hour()*60 + lt.Minute()
	for _, r := range rs {
		if r.end > r.start {
			if r.day == day && r.start <= minute && minute < r.end {
				return true
			}
			continue
		}
		// Crosses midnight: the evening of its day and the morning after.
		if r.day == day && minute >= r.start || (r.day+1)%7 == day && minute < r.end {
			return true
		}
	}
	return false
}

// refNext steps minute by minute from t for at most eight days.
func refNext(rs []refRange, loc *time.Location, t time.Time) (time.Time, bool) {
	q := refQuiet(rs, loc, t)
	limit := t.Add(8 * 24 * time.Hour)
	for m := t.Truncate(time.Minute).Add(time.Minute); !m.After(limit); m = m.Add(time.Minute) {
		if refQuiet(rs, loc, m) != q {
			return m, true
		}
	}
	return time.Time{}, false
}

// genRanges makes random ranges that do not overlap: random intervals of
// the week cut into ranges of at most a day, some crossing midnight. Times
// and days cluster around the small hours of weekends, where clocks change.
func genRanges(r *rand.Rand) []refRange {
	n := 1 + r.IntN(5)
	seen := map[int]bool{}
	var cuts []int
	for len(cuts) < 2*n {
		day := r.IntN(7)
		if r.IntN(2) == 0 {
			day = 5 + r.IntN(2) // Saturday or Sunday
		}
		minute := r.IntN(dayMinutes)
		if r.IntN(2) == 0 {
			minute = r.IntN(5 * 60) // 00:00-05:00
		}
		if r.IntN(4) == 0 {
			minute -= minute % 30
		}
		c := day*dayMinutes + minute
		if !seen[c] {
			seen[c] = true
			cuts = append(cuts, c)
		}
	}
	sortInts(cuts)
	shift := 0
	if r.IntN(2) == 0 { // let the last interval wrap over Sunday midnight
		shift = 1
	}
	var out []refRange
	for i := 0; i < n; i++ {
		a := cuts[(2*i+shift)%len(cuts)]
		b := cuts[(2*i+1+shift)%len(cuts)]
		if b <= a {
			b += weekMinutes
		}
		for cur := a; cur < b; {
			day, start := cur/dayMinutes%7, cur%dayMinutes
			rest := b - cur
			toMidnight := dayMinutes - start
			switch {
			case rest <= toMidnight:
				out = append(out, refRange{day, start, start + rest})
				cur = b
			case start >= 2 && r.IntN(2) == 0: // cross midnight
				l := min(rest, dayMinutes-1)
				out = append(out, refRange{day, start, start + l - dayMinutes})
				cur += l
			default:
				out = append(out, refRange{day, start, dayMinutes})
				cur += toMidnight
			}
		}
	}
	return out
}

func sortInts(s []int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// specOf writes the ranges in the many ways the syntax allows.
func specOf(r *rand.Rand, rs []refRange) string {
	days := []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	name := func(d int) string {
		n := days[d]
		switch r.IntN(4) {
		case 0:
			n = n[:3]
		case 1:
			n = strings.ToLower(n[:3])
		case 2:
			n = strings.ToUpper(n)
		}
		return n
	}
	hm := func(m int) string {
		if r.IntN(2) == 0 {
			return fmt.Sprintf("%d:%02d", m/60, m%60)
		}
		return fmt.Sprintf("%02d:%02d", m/60, m%60)
	}
	times := func(x refRange) string {
		switch {
		case x.start == 0 && x.end == dayMinutes && r.IntN(2) == 0:
			return "all-day"
		case x.end == dayMinutes && x.start != 0 && r.IntN(2) == 0:
			return hm(x.start) + "-00:00"
		}
		return hm(x.start) + "-" + hm(x.end)
	}
	var segs []string
	for i := 0; i < len(rs); i++ {
		seg := name(rs[i].day) + " " + times(rs[i])
		for i+1 < len(rs) && rs[i+1].day == rs[i].day && r.IntN(2) == 0 {
			i++
			seg += ", " + times(rs[i])
		}
		segs = append(segs, seg)
	}
	r.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
	return strings.Join(segs, "; ")
}

// genInstant is a random instant, often within hours of a clock change of
// loc.
func genInstant(r *rand.Rand, loc *time.Location) time.Time {
	lo := time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	t := time.Unix(lo+r.Int64N(hi-lo), r.Int64N(int64(time.Second)))
	if r.IntN(3) == 0 {
		return t
	}
	_, end := t.In(loc).ZoneBounds()
	if end.IsZero() {
		return t
	}
	return end.Add(time.Duration(r.Int64N(int64(6*time.Hour))) - 3*time.Hour)
}

func TestScheduleProperties(t *testing.T) {
	zones := []string{"Europe/Zurich", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC", "Pacific/Apia"}
	schedules, instants := 40, 4
	if testing.Short() {
		schedules = 10
	}
	for zi, zone := range zones {
		t.Run(strings.ReplaceAll(zone, "/", "_"), func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(uint64(zi), 42))
			for range schedules {
				rs := genRanges(r)
				spec := specOf(r, rs)
				s, err := Parse(zone, spec)
				if err != nil {
					t.Fatalf("Parse(%q, %q): %v", zone, spec, err)
				}
				back, err := Parse(zone, s.String())
				if err != nil || !back.Equal(s) {
					t.Fatalf("Parse(String() = %q) = %v, %v; want %q back", s.String(), back, err, spec)
				}
				for range instants {
					at := genInstant(r, loc)
					// Quiet at and around the instant, to the minute.
					for d := -90; d <= 90; d += 7 {
						u := at.Add(time.Duration(d) * time.Minute)
						if got, want := s.Quiet(u), refQuiet(rs, loc, u); got != want {
							t.Fatalf("%q in %s: Quiet(%s) = %v, want %v", spec, zone, u.In(loc), got, want)
						}
					}
					got, gotOK := s.NextChange(at)
					want, wantOK := refNext(rs, loc, at)
					if gotOK != wantOK || !got.Equal(want) {
						t.Fatalf("%q in %s: NextChange(%s) = %s, %v; want %s, %v", spec, zone, at.In(loc), got, gotOK, want.In(loc), wantOK)
					}
				}
			}
		})
	}
}
