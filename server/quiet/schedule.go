package quiet

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Minutes in a day and in a week.
const (
	dayMinutes  = 24 * 60
	weekMinutes = 7 * dayMinutes
)

// searchLimit bounds NextChange's search: a weekly schedule that changes at
// all changes within a week, give or take a daylight-saving shift.
const searchLimit = 8 * 24 * time.Hour

// Schedule is a parsed quiet-hours schedule in its time zone. The zero
// Schedule is no quiet hours: never quiet. A Schedule is immutable and safe
// for concurrent use.
type Schedule struct {
	loc     *time.Location
	entries []entry // sorted by day, then start
	spans   []span  // the quiet minutes of the week, merged, sorted, within [0, weekMinutes]
	edges   []int   // minutes of the week at which quiet changes, sorted
}

// Change is an instant at which a schedule changes: from then on it is
// quiet, or no longer.
type Change struct {
	At    time.Time `json:"at"`
	Quiet bool      `json:"quiet"`
}

// entry is one time range on one day.
type entry struct {
	day   int // 0 is Monday, 6 Sunday
	start int // minute of the day, 0..1439
	end   int // minute of the day, 1..1440; below start when the range crosses midnight into the next day
}

// span is the minutes [start, end) of the week, 0 being Monday 00:00.
type span struct{ start, end int }

func compareEntries(a, b entry) int {
	return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end))
}

// spans returns the minutes of the week the entry covers: one span, or two
// when it crosses from Sunday into Monday.
func (e entry) spans() []span {
	a := e.day*dayMinutes + e.start
	b := e.day*dayMinutes + e.end
	if e.end < e.start {
		b += dayMinutes
	}
	if b <= weekMinutes {
		return []span{{a, b}}
	}
	return []span{{a, weekMinutes}, {0, b - weekMinutes}}
}

// times writes the entry's time range: "18:00-08:00", "all-day".
func (e entry) times() string {
	if e.start == 0 && e.end == dayMinutes {
		return "all-day"
	}
	return clock(e.start) + "-" + clock(e.end)
}

// clock writes minutes of the day as HH:MM; 1440 is 24:00.
func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// dayName is the three-letter name of a day, 0 being Monday.
func dayName(d int) string { return "MonTueWedThuFriSatSun"[3*d : 3*d+3] }

// build makes the schedule of sorted, non-overlapping entries.
func build(loc *time.Location, entries []entry) Schedule {
	var parts []span
	for _, e := range entries {
		parts = append(parts, e.spans()...)
	}
	slices.SortFunc(parts, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var spans []span
	for _, p := range parts {
		if n := len(spans); n > 0 && spans[n-1].end >= p.start {
			spans[n-1].end = max(spans[n-1].end, p.end)
			continue
		}
		spans = append(spans, p)
	}
	// The edges are where quiet changes on the week's circle: Sunday 24:00
	// is Monday 00:00.
	var edges []int
	wraps := len(spans) > 0 && spans[0].start == 0 && spans[len(spans)-1].end == weekMinutes
	for i, sp := range spans {
		if i != 0 || !wraps {
			edges = append(edges, sp.start)
		}
		if i != len(spans)-1 || !wraps {
			edges = append(edges, sp.end%weekMinutes)
		}
	}
	slices.Sort(edges)
	return Schedule{loc: loc, entries: entries, spans: spans, edges: slices.Compact(edges)}
}

// IsZero reports whether s is no schedule at all.
func (s Schedule) IsZero() bool { return s.loc == nil }

// Zone returns the schedule's time zone; UTC for the zero Schedule.
func (s Schedule) Zone() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// Equal reports whether s and o are the same schedule in the same zone.
func (s Schedule) Equal(o Schedule) bool {
	return s.Zone().String() == o.Zone().String() && s.IsZero() == o.IsZero() && slices.Equal(s.entries, o.entries)
}

// String returns the schedule in canonical form, without the zone: days
// with the same ranges together, days in order, "Mon-Fri 18:00-08:00;
// Sat,Sun all-day". Parse reads it back to an equal schedule. The zero
// Schedule is "".
func (s Schedule) String() string {
	var byDay [7][]string
	for _, e := range s.entries {
		byDay[e.day] = append(byDay[e.day], e.times())
	}
	var groups []string
	done := [7]bool{}
	for d := range 7 {
		if done[d] || len(byDay[d]) == 0 {
			continue
		}
		var days []int
		for o := d; o < 7; o++ {
			if slices.Equal(byDay[o], byDay[d]) {
				days = append(days, o)
				done[o] = true
			}
		}
		groups = append(groups, dayList(days)+" "+strings.Join(byDay[d], ", "))
	}
	return strings.Join(groups, "; ")
}

// dayList writes sorted days: runs of three or more as ranges (Mon-Fri),
// the rest as a comma list (Sat,Sun).
func dayList(days []int) string {
	var out []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1] == days[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			out = append(out, dayName(days[i])+"-"+dayName(days[j]))
		default:
			for k := i; k <= j; k++ {
				out = append(out, dayName(days[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(out, ",")
}

// Value returns the schedule as stored in the parley_quiet_hours policy:
// "ZONE SPEC", e.g. "Europe/Zurich Mon-Fri 18:00-08:00; Sat,Sun all-day".
// The zero Schedule is "". ParseValue reads it back.
func (s Schedule) Value() string {
	if s.IsZero() {
		return ""
	}
	return s.loc.String() + " " + s.String()
}

// weekNanos is how far into its week (from Monday 00:00) the wall clock
// of lt is.
func weekNanos(lt time.Time) int64 {
	day := (int64(lt.Weekday()) + 6) % 7
	secs := ((day*24+int64(lt.Hour()))*60+int64(lt.Minute()))*60 + int64(lt.Second())
	return secs*int64(time.Second) + int64(lt.Nanosecond())
}

// quietAt reports whether minute m of the week is quiet.
func (s Schedule) quietAt(m int) bool {
	i := sort.Search(len(s.spans), func(i int) bool { return s.spans[i].end > m })
	return i < len(s.spans) && s.spans[i].start <= m
}

// Quiet reports whether t is in quiet hours: whether the wall clock of the
// schedule's zone shows, at t, a weekday and minute in one of its ranges.
// The zero Schedule is never quiet.
func (s Schedule) Quiet(t time.Time) bool {
	if s.IsZero() {
		return false
	}
	return s.quietAt(int(weekNanos(t.In(s.loc)) / int64(time.Minute)))
}

// NextChange returns the first instant after t at which Quiet changes, in
// the schedule's zone. It searches at most eight days ahead and returns
// false when the schedule does not change in that time: the zero Schedule,
// a schedule that is quiet all week, or one whose ranges fall only on
// wall-clock times that do not occur.
func (s Schedule) NextChange(t time.Time) (time.Time, bool) {
	if s.IsZero() || len(s.edges) == 0 {
		return time.Time{}, false
	}
	limit := t.Add(searchLimit)
	cur := s.Quiet(t)
	at := t
	// While the zone's offset stays the same, the wall clock runs with real
	// time: the next edge on the wall clock is the next change. The search
	// goes in steps of at most half a day; a step in which the offset
	// changes ends at the clock change, where the jump of the wall clock may
	// change quiet, or not. (Time.ZoneBounds would give the clock changes
	// directly, but returns wrong bounds in some years: golang/go#81583.)
	for !at.After(limit) {
		lt := at.In(s.loc)
		pos := weekNanos(lt)
		edge := int64(s.edges[0]+weekMinutes) * int64(time.Minute)
		if i := sort.Search(len(s.edges), func(i int) bool { return int64(s.edges[i])*int64(time.Minute) > pos }); i < len(s.edges) {
			edge = int64(s.edges[i]) * int64(time.Minute)
		}
		next := at.Add(time.Duration(edge - pos))
		stepEnd := at.Add(maxStep)
		if next.After(stepEnd) {
			next = time.Time{} // not in this step
		} else {
			stepEnd = next
		}
		if change, ok := clockChange(s.loc, at, stepEnd); ok {
			if change.After(limit) {
				return time.Time{}, false
			}
			if s.Quiet(change) != cur {
				return change.In(s.loc), true
			}
			at = change
			continue
		}
		if !next.IsZero() {
			if next.After(limit) {
				return time.Time{}, false
			}
			return next.In(s.loc), true
		}
		at = stepEnd
	}
	return time.Time{}, false
}

// maxStep bounds a step of NextChange: no zone changes its offset twice
// within it, so the offset at both ends tells whether it changed.
const maxStep = 12 * time.Hour

// offset is the zone's offset from UTC at t, in seconds.
func offset(loc *time.Location, t time.Time) int {
	_, off := t.In(loc).Zone()
	return off
}

// clockChange returns the instant in (from, to] at which the offset of
// loc changes, if it does. The interval must be short enough to hold at
// most one change (maxStep). Changes fall on whole seconds.
func clockChange(loc *time.Location, from, to time.Time) (time.Time, bool) {
	off := offset(loc, from)
	if offset(loc, to) == off {
		return time.Time{}, false
	}
	// offset(lo) == off, offset(hi) != off: find the first second of the new offset.
	lo, hi := from.Unix(), to.Unix()
	if to.Nanosecond() > 0 {
		hi++
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if offset(loc, time.Unix(mid, 0)) == off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return time.Unix(hi, 0), true
}

// Changes returns the next n changes after t (fewer when NextChange finds
// no more), each with the state it starts.
func (s Schedule) Changes(t time.Time, n int) []Change {
	var out []Change
	for range n {
		next, ok := s.NextChange(t)
		if !ok {
			break
		}
		out = append(out, Change{At: next, Quiet: s.Quiet(next)})
		t = next
	}
	return out
}
