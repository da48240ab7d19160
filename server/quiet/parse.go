package quiet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxSpecLen bounds the schedule text, in bytes.
const maxSpecLen = 2000

// Parse reads a schedule (see the package doc for the syntax) in the IANA
// time zone zone. Errors wrap ErrInvalid; they are an *Error that says what
// is wrong and, in the schedule text, where: an unknown day, a malformed
// time, an empty range, two ranges that overlap (both named), an unknown
// zone (named).
func Parse(zone, spec string) (Schedule, error) {
	loc, err := loadZone(zone)
	if err != nil {
		return Schedule{}, err
	}
	entries, err := parseSpec(spec)
	if err != nil {
		return Schedule{}, err
	}
	return build(loc, entries), nil
}

// ParseValue reads a schedule as Value writes it: "ZONE SPEC", the zone
// first and the schedule after the first space. The empty value is the
// zero Schedule: no quiet hours.
func ParseValue(v string) (Schedule, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Schedule{}, nil
	}
	zone, spec, _ := strings.Cut(v, " ")
	if i := strings.IndexFunc(zone, unicode.IsSpace); i >= 0 { // a tab or other space
		zone, spec = v[:i], v[i:]
	}
	return Parse(zone, spec)
}

// piece is a part of the schedule text and its byte offset in it.
type piece struct {
	s   string
	off int
}

// trim removes the spaces around p.
func (p piece) trim() piece {
	left := strings.TrimLeftFunc(p.s, unicode.IsSpace)
	return piece{s: strings.TrimRightFunc(left, unicode.IsSpace), off: p.off + len(p.s) - len(left)}
}

// split cuts p at every sep and trims the parts.
func (p piece) split(sep byte) []piece {
	var out []piece
	start := 0
	for i := 0; i <= len(p.s); i++ {
		if i == len(p.s) || p.s[i] == sep {
			out = append(out, piece{s: p.s[start:i], off: p.off + start}.trim())
			start = i + 1
		}
	}
	return out
}

// parser reads one schedule text.
type parser struct {
	spec string
}

// errAt is an error at the byte offset off of the text.
func (ps *parser) errAt(off int, format string, args ...any) *Error {
	return &Error{Column: ps.col(off), Msg: fmt.Sprintf(format, args...)}
}

func (ps *parser) col(off int) int { return utf8.RuneCountInString(ps.spec[:off]) + 1 }

// origin is where an entry was written, for errors.
type origin struct {
	text string
	off  int
}

func parseSpec(spec string) ([]entry, error) {
	if len(spec) > maxSpecLen {
		return nil, &Error{Msg: fmt.Sprintf("schedule too long: at most %d characters", maxSpecLen)}
	}
	if !utf8.ValidString(spec) {
		return nil, &Error{Msg: "schedule is not valid UTF-8 text"}
	}
	ps := &parser{spec: spec}
	var entries []entry
	var origins []origin
	for _, seg := range (piece{s: spec}).split(';') {
		if seg.s == "" {
			continue // "a; ; b" and a trailing semicolon are harmless
		}
		daysP, timesP, ok := splitDays(seg)
		if !ok {
			return nil, ps.errAt(seg.off, "%q has no times: write days then times, like \"Mon-Fri 18:00-08:00\" or \"Sat,Sun all-day\"", clip(seg.s))
		}
		days, err := ps.days(daysP)
		if err != nil {
			return nil, err
		}
		times, err := ps.times(timesP)
		if err != nil {
			return nil, err
		}
		for _, d := range days {
			for _, t := range times {
				entries = append(entries, entry{day: d, start: t[0], end: t[1]})
				origins = append(origins, origin{text: seg.s, off: seg.off})
			}
		}
	}
	if len(entries) == 0 {
		return nil, &Error{Msg: `empty schedule: give ranges like "Mon-Fri 18:00-08:00; Sat,Sun all-day"`}
	}
	if err := ps.overlaps(entries, origins); err != nil {
		return nil, err
	}
	slices.SortFunc(entries, compareEntries)
	return entries, nil
}

// isJoiner reports whether r joins days (Mon-Fri, Sat,Sun) so that spaces
// around it stay inside the days.
func isJoiner(r rune) bool { return r == ',' || r == '-' || r == '–' }

// splitDays cuts a range at the first space that is not next to a comma or
// dash: "Sat, Sun all-day" is "Sat, Sun" and "all-day".
func splitDays(p piece) (days, times piece, ok bool) {
	s := p.s
	for i, r := range s {
		if !unicode.IsSpace(r) {
			continue
		}
		before := strings.TrimRightFunc(s[:i], unicode.IsSpace)
		after := strings.TrimLeftFunc(s[i:], unicode.IsSpace)
		if before == "" || after == "" {
			continue
		}
		last, _ := utf8.DecodeLastRuneInString(before)
		first, _ := utf8.DecodeRuneInString(after)
		if isJoiner(last) || isJoiner(first) {
			continue
		}
		return piece{s: before, off: p.off}, piece{s: after, off: p.off + len(s) - len(after)}, true
	}
	return piece{}, piece{}, false
}

// cutDash cuts s at its one dash (- or –); ok is false if there is none
// or more than one.
func cutDash(s string) (before, after string, afterOff int, ok bool) {
	i := strings.IndexAny(s, "-–")
	if i < 0 {
		return "", "", 0, false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	if strings.ContainsAny(s[i+size:], "-–") {
		return "", "", 0, false
	}
	return s[:i], s[i+size:], i + size, true
}

// days reads a day list: Mon, Mon-Fri, Fri-Mon, Sat,Sun, Mon,Wed-Fri.
func (ps *parser) days(p piece) ([]int, error) {
	var out []int
	seen := [7]bool{}
	for _, item := range p.split(',') {
		if item.s == "" {
			return nil, ps.errAt(item.off, "missing day in %q", clip(p.s))
		}
		var ds []int
		if a, b, bOff, ok := cutDash(item.s); ok {
			from, err := ps.day(piece{s: a, off: item.off}.trim())
			if err != nil {
				return nil, err
			}
			to, err := ps.day(piece{s: b, off: item.off + bOff}.trim())
			if err != nil {
				return nil, err
			}
			for d := from; ; d = (d + 1) % 7 {
				ds = append(ds, d)
				if d == to {
					break
				}
			}
		} else if strings.ContainsAny(item.s, "-–") {
			return nil, ps.errAt(item.off, "malformed day range %q: use Mon-Fri", clip(item.s))
		} else {
			d, err := ps.day(item)
			if err != nil {
				return nil, err
			}
			ds = []int{d}
		}
		for _, d := range ds {
			if seen[d] {
				return nil, ps.errAt(item.off, "%s is given twice in %q", dayName(d), clip(p.s))
			}
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// day reads one day name.
func (ps *parser) day(p piece) (int, error) {
	if p.s == "" {
		return 0, ps.errAt(p.off, "missing day")
	}
	if d, ok := lookupDay(p.s); ok {
		return d, nil
	}
	return 0, ps.errAt(p.off, "unknown day %q: use Mon, Tue, Wed, Thu, Fri, Sat, Sun", clip(p.s))
}

// lookupDay reads a day name, three letters or in full, in any case;
// 0 is Monday.
func lookupDay(s string) (int, bool) {
	switch strings.ToLower(s) {
	case "mon", "monday":
		return 0, true
	case "tue", "tuesday":
		return 1, true
	case "wed", "wednesday":
		return 2, true
	case "thu", "thursday":
		return 3, true
	case "fri", "friday":
		return 4, true
	case "sat", "saturday":
		return 5, true
	case "sun", "sunday":
		return 6, true
	}
	return 0, false
}

// times reads the time ranges of one day list: "18:00-08:00",
// "12:00-13:00, 18:00-24:00", "all-day". Each is {start, end} in minutes of
// the day, end 1..1440, below start when the range crosses midnight.
func (ps *parser) times(p piece) ([][2]int, error) {
	var out [][2]int
	for _, item := range p.split(',') {
		if item.s == "" {
			return nil, ps.errAt(item.off, "missing time range in %q", clip(p.s))
		}
		if strings.EqualFold(item.s, "all-day") {
			out = append(out, [2]int{0, dayMinutes})
			continue
		}
		if first, _, _ := strings.Cut(item.s, " "); isDayList(first) {
			return nil, ps.errAt(item.off, "%q: separate days with commas (Sat,Sun) and ranges with semicolons", clip(item.s))
		}
		a, b, bOff, ok := cutDash(item.s)
		if !ok {
			return nil, ps.errAt(item.off, "malformed time range %q: use HH:MM-HH:MM (like 18:00-08:00) or all-day", clip(item.s))
		}
		startP := piece{s: a, off: item.off}.trim()
		endP := piece{s: b, off: item.off + bOff}.trim()
		start, err := ps.clock(startP, false)
		if err != nil {
			return nil, err
		}
		end, err := ps.clock(endP, true)
		if err != nil {
			return nil, err
		}
		if start == end {
			return nil, ps.errAt(item.off, "empty range %q: start and end are equal (all-day is the whole day)", clip(item.s))
		}
		if end == 0 {
			end = dayMinutes // 22:00-00:00 ends at midnight: 22:00-24:00
		}
		out = append(out, [2]int{start, end})
	}
	return out, nil
}

// isDayList reports whether s reads as days, for a better error.
func isDayList(s string) bool {
	for _, part := range strings.FieldsFunc(s, isJoiner) {
		if _, ok := lookupDay(part); !ok {
			return false
		}
	}
	return s != ""
}

// clock reads HH:MM (or H:MM) as minutes of the day; 24:00 only as an end.
func (ps *parser) clock(p piece, end bool) (int, error) {
	h, m, ok := strings.Cut(p.s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, ps.errAt(p.off, "malformed time %q: use HH:MM, like 08:00", clip(p.s))
	}
	hh := atoi(h)
	mm := atoi(m)
	switch {
	case mm > 59:
		return 0, ps.errAt(p.off, "%q is not a time of day: minutes run from 00 to 59", p.s)
	case hh == 24 && mm == 0 && end:
		return dayMinutes, nil
	case hh == 24 && mm == 0:
		return 0, ps.errAt(p.off, "24:00 only ends a range: start at 00:00")
	case hh > 23:
		return 0, ps.errAt(p.off, "%q is not a time of day: hours run from 00 to 23 (24:00 only ends a range)", p.s)
	}
	return hh*60 + mm, nil
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := range len(s) {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// overlaps refuses two entries that share a minute of the week, naming
// both and where they were written. One overlap is allowed: the part after
// midnight of a range that crosses midnight may lie inside a range of the
// next day, as Fri 18:00-08:00 in "Mon-Fri 18:00-08:00; Sat,Sun all-day".
func (ps *parser) overlaps(entries []entry, origins []origin) error {
	type part struct {
		span
		i    int  // index of the entry
		tail bool // the part after midnight of a range that crosses it
	}
	var parts []part
	for i, e := range entries {
		if e.end > e.start {
			parts = append(parts, part{span: span{e.day*dayMinutes + e.start, e.day*dayMinutes + e.end}, i: i})
			continue
		}
		next := (e.day + 1) % 7 * dayMinutes
		parts = append(parts, part{span: span{e.day*dayMinutes + e.start, (e.day + 1) * dayMinutes}, i: i},
			part{span: span{next, next + e.end}, i: i, tail: true})
	}
	slices.SortFunc(parts, func(a, b part) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end)) })
	inside := func(a, b part) bool { return b.start <= a.start && a.end <= b.end }
	for k, p := range parts {
		for _, q := range parts[k+1:] {
			if q.start >= p.end {
				break
			}
			if p.tail && inside(p, q) || q.tail && inside(q, p) {
				continue
			}
			a, b := p.i, q.i
			if origins[a].off > origins[b].off || origins[a].off == origins[b].off && a > b {
				a, b = b, a
			}
			return &Error{Column: ps.col(origins[b].off), Msg: fmt.Sprintf("overlapping ranges: %s and %s both cover %s",
				ps.describe(entries[a], origins[a]), ps.describe(entries[b], origins[b]), weekRange(q.start, min(p.end, q.end)))}
		}
	}
	return nil
}

// describe names an entry in an error: "Tue 22:00-06:00 (from "Mon-Fri
// 22:00-06:00" at column 1)".
func (ps *parser) describe(e entry, o origin) string {
	name := dayName(e.day) + " " + e.times()
	if o.text == name {
		return fmt.Sprintf("%q (column %d)", name, ps.col(o.off))
	}
	return fmt.Sprintf("%s (from %q at column %d)", name, clip(o.text), ps.col(o.off))
}

// weekRange writes minutes [a, b) of one day of the week: "Wed 05:00-06:00".
func weekRange(a, b int) string {
	d := a / dayMinutes
	return fmt.Sprintf("%s %s-%s", dayName(d%7), clock(a-d*dayMinutes), clock(b-d*dayMinutes))
}
